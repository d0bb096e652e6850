# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's check before a bootstrap (safe_to_bootstrap.yml, rules in module_utils/galera/bootstrap.py) on three
local hosts, each with its own data directory: a bootstrap node whose grastate.dat says safe_to_bootstrap: 0 is
refused with every node's saved state (control: the node that stopped last passes)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402  -- collections_path()

VENV_BIN = os.path.dirname(sys.executable)
GRASTATE = "# GALERA saved state\nversion: 2.1\nuuid: 0b1e5ac8-0000-11ee-9c6a-000000000001\nseqno: %d\nsafe_to_bootstrap: %d\n"


def run(tmp_path, bootstrap_host):
    host_vars = {}
    for h, seqno, safe in (('db1', 40, 0), ('db2', 42, 1), ('db3', -1, None)):
        datadir = tmp_path / h
        datadir.mkdir(parents=True)
        if safe is not None:
            (datadir / 'grastate.dat').write_text(GRASTATE % (seqno, safe))
        host_vars[h] = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                        'galera_engine': {'flavor': 'mariadb', 'cluster_hosts': ['db1', 'db2', 'db3'],
                                          'bootstrap_host': bootstrap_host, 'datadir': str(datadir)}}
    inv = tmp_path / 'inventory.yml'
    inv.write_text(yaml.safe_dump({'all': {'hosts': host_vars}}))
    play = tmp_path / 'play.yml'
    play.write_text(yaml.safe_dump([{
        'name': 'safe_to_bootstrap', 'hosts': 'all', 'gather_facts': False,
        'tasks': [{'name': 'Check', 'ansible.builtin.include_role': {
            'name': 'clustersec.mysql.galera', 'tasks_from': 'safe_to_bootstrap'}}]}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False')
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv), str(play)], env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def test_bootstrap_node_with_safe_to_bootstrap_0_is_refused_naming_every_state(tmp_path):
    rc, out = run(tmp_path, 'db1')
    assert rc != 0
    assert ("db1 must not bootstrap the cluster: its grastate.dat has safe_to_bootstrap: 0. Saved states: db1 seqno=40 "
            "safe_to_bootstrap=0; db2 seqno=42 safe_to_bootstrap=1; db3 seqno=-1 safe_to_bootstrap=0. Set the role's "
            "bootstrap host to the node that stopped last (highest seqno). No node was started.") in out, out[-3000:]


def test_control_the_node_that_stopped_last_passes(tmp_path):
    rc, out = run(tmp_path, 'db2')
    assert rc == 0, out[-3000:]
