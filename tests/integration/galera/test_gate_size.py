# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 29, one wsrep status rule: the engine's gate and wait decide with module_utils/galera/wsrep_status.py.
The gate wants exactly the inventory's size: a node that sees more nodes than the inventory lists has a member nobody
listed, and a rolling change must not start there (before, the Jinja gate compared with == and the modules with >=).
The wait accepts a growing cluster (at least galera_wait_size) but never more than the inventory.

Three local hosts; the server's client is a stand-in on PATH that answers Synced in a Primary component of the size
in a file."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402  -- collections_path()

VENV_BIN = os.path.dirname(sys.executable)

CLIENT = """#!/bin/sh
printf 'wsrep_cluster_size\\t%s\\nwsrep_cluster_status\\tPrimary\\nwsrep_local_state_comment\\tSynced\\n' "$(cat "{size}")"
"""


def run(tmp_path, size, entry, extra_vars=None):
    fake = tmp_path / 'bin'
    fake.mkdir(parents=True)
    (tmp_path / 'size').write_text(str(size))
    client = fake / 'client'
    client.write_text(CLIENT.format(size=tmp_path / 'size'))
    client.chmod(client.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    hosts = {'db%d' % i: {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable} for i in (1, 2, 3)}
    inv = tmp_path / 'inventory.yml'
    inv.write_text(yaml.safe_dump({'all': {'hosts': hosts}}))
    play = tmp_path / 'play.yml'
    play.write_text(yaml.safe_dump([{
        'name': 'gate', 'hosts': 'all', 'gather_facts': False,
        'vars': dict({'galera_engine': {'flavor': 'mariadb', 'client': str(client), 'cluster_hosts': ['db1', 'db2', 'db3'],
                                        'sync_timeout': 2, 'poll_delay': 1}}, **(extra_vars or {})),
        'tasks': [{'name': 'Engine entry point', 'ansible.builtin.include_role': {
            'name': 'clustersec.mysql.galera', 'tasks_from': entry}, 'run_once': True}]}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False')
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv), str(play)], env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def test_gate_refuses_a_cluster_larger_than_the_inventory(tmp_path):
    rc, out = run(tmp_path, 4, 'gate')
    assert rc != 0
    assert ('cluster is not whole, nothing more is touched: db1 sees cluster size 4, expected 3; '
            'db2 sees cluster size 4, expected 3; db3 sees cluster size 4, expected 3') in out, out[-3000:]


@pytest.mark.parametrize('size', [2, 3])
def test_gate_smaller_refused_exact_passes(tmp_path, size):
    rc, out = run(tmp_path, size, 'gate')
    if size == 3:
        assert rc == 0, out[-3000:]
    else:
        assert rc != 0 and 'db1 sees cluster size 2, expected 3' in out, out[-3000:]


def test_wait_accepts_a_growing_cluster_but_not_an_unknown_member(tmp_path):
    # control: a joiner waiting for 2 nodes passes in a cluster of 3 (the inventory)
    rc, out = run(tmp_path / 'a', 3, 'wait_synced', {'galera_wait_size': 2})
    assert rc == 0, out[-3000:]
    rc, out = run(tmp_path / 'b', 4, 'wait_synced', {'galera_wait_size': 2})
    assert rc != 0 and 'Wait until the node is Synced' in out, out[-3000:]
