# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A restart batch that would leave less than a majority of the cluster running is refused by the input checks,
before any certificate is made: site.yml on local hosts stops before the pki role writes pki_dir."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402  -- collections_path()

VENV_BIN = os.path.dirname(sys.executable)
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))


def run(tmp_path, nodes, batch, playbook=None, role='mariadb_galera'):
    hosts = {'db%d' % i: {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
             for i in range(1, nodes + 1)}
    inv = tmp_path / 'inventory.yml'
    inv.write_text(yaml.safe_dump({'all': {'children': {'mariadb_galera' if role == 'mariadb_galera' else 'pxc':
                                                        {'hosts': hosts}}}}))
    if playbook is None:
        playbook = tmp_path / 'policy.yml'
        playbook.write_text(yaml.safe_dump([{
            'name': 'input checks', 'hosts': 'all', 'gather_facts': False,
            'tasks': [{'name': 'policy', 'ansible.builtin.include_role': {
                'name': 'clustersec.mysql.' + role, 'tasks_from': 'preflight' if role == 'mariadb_galera' else 'engine'}},
                {'name': 'engine policy',
                 'ansible.builtin.include_role': {'name': 'clustersec.mysql.galera', 'tasks_from': 'preflight'}}]}]))
    extra = {'pki_dir': str(tmp_path / 'pki'), role + '_restart_batch': batch}
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False')
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv), str(playbook),
                           '-e', json.dumps(extra)], env=env, capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def test_site_refuses_two_of_three_before_any_certificate(tmp_path):
    rc, out = run(tmp_path, 3, 2, playbook=os.path.join(ROOT, 'playbooks', 'site.yml'))
    assert rc != 0
    assert ('db1: mariadb_galera_restart_batch=2: would take 2 of 3 nodes down at once and the 1 left running are '
            'not a majority; at most 1 here') in out, out[-3000:]
    assert not (tmp_path / 'pki').exists(), 'the refused run wrote pki_dir'


def test_majority_rule_by_cluster_size(tmp_path):
    # controls: one at a time always passes (two nodes with an arbitrator), two of five leave three running
    assert run(tmp_path, 2, 1)[0] == 0
    rc, out = run(tmp_path, 5, 2)
    assert rc == 0, out[-3000:]
    rc, out = run(tmp_path, 5, 3)
    assert rc != 0 and 'would take 3 of 5 nodes down at once' in out and 'at most 2 here' in out, out[-3000:]
    rc, out = run(tmp_path, 3, 0)
    assert rc != 0 and 'mariadb_galera_restart_batch=0: must be a whole number of at least 1' in out, out[-3000:]


def test_pxc_names_its_own_setting(tmp_path):
    rc, out = run(tmp_path, 3, 3, role='pxc')
    assert rc != 0 and 'pxc_restart_batch=3: would take 3 of 3 nodes down at once' in out, out[-3000:]
