# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The managed node's Python is checked first, by one raw call (clustersec.mysql.managed_node), in every product role
and in site.yml: a node whose interpreter is Python 2.7, fails, or is missing stops with one clear message before any
module runs there, in check mode too. Local hosts (-c local) whose ansible_python_interpreter is a fake script;
control: the real interpreter passes and the role goes on to its own pre-flight checks."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402  -- collections_path()

VENV_BIN = os.path.dirname(sys.executable)
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
GROUPS = {'mariadb_galera': 'mariadb_galera', 'pxc': 'pxc', 'ndb_tde': 'ndb_data'}


def fake(tmp_path, name, body):
    path = tmp_path / name
    path.write_text('#!/bin/sh\n' + body + '\n')
    path.chmod(0o755)
    return str(path)


def run(tmp_path, interpreter, role=None, playbook=None, args=()):
    group = GROUPS.get(role, 'mariadb_galera')
    host = {'ansible_connection': 'local', 'ansible_python_interpreter': interpreter}
    if role == 'ndb_tde':
        host['ndb_tde_node_id'] = 2
    inv = tmp_path / 'inventory.yml'
    inv.write_text(yaml.safe_dump({'all': {'children': {group: {'hosts': {'db1': host}}}}}))
    if playbook is None:
        playbook = tmp_path / 'play.yml'
        playbook.write_text(yaml.safe_dump([{'name': 'role', 'hosts': 'all', 'gather_facts': False,
                                             'roles': ['clustersec.mysql.' + role]}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False')
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv), str(playbook),
                           '-e', 'pki_dir=' + str(tmp_path / 'pki')] + list(args),
                          env=env, capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def message(found, at):
    return 'db1: Python >= 3.8 is needed on managed nodes, found %s at %s; set ansible_python_interpreter' % (found, at)


@pytest.mark.parametrize('role', sorted(GROUPS))
def test_python_27_stops_the_role_first_in_check_mode(tmp_path, role):
    py27 = fake(tmp_path, 'python2.7', 'echo "Python 2.7.18"')
    rc, out = run(tmp_path, py27, role=role, args=['--check'])
    assert rc != 0
    assert message('2.7.18', py27) in out, out[-3000:]
    # nothing ran on the node before the check: the role's own pre-flight never started
    assert 'Pre-flight checks' not in out, out[-3000:]
    assert 'changed=0' in out


@pytest.mark.parametrize('role', sorted(GROUPS))
def test_control_real_python_passes(tmp_path, role):
    # --check --tags preflight: only the checks run, so nothing could change even if every check passed here
    rc, out = run(tmp_path, sys.executable, role=role, args=['--check', '--tags', 'preflight'])
    assert 'is needed on managed nodes' not in out, out[-3000:]
    assert 'Pre-flight checks' in out, out[-3000:]   # the role went on to its own checks
    assert 'changed=0' in out, out[-3000:]


def test_failing_and_missing_interpreters(tmp_path):
    bad = fake(tmp_path, 'python3', 'echo "Fatal Python error: init_fs_encoding" >&2; exit 1')
    rc, out = run(tmp_path, bad, role='mariadb_galera')
    assert rc != 0 and message('an interpreter that does not run (exit 1: Fatal Python error: init_fs_encoding)',
                               bad) in out, out[-3000:]
    missing = str(tmp_path / 'no' / 'python3')
    rc, out = run(tmp_path, missing, role='mariadb_galera')
    assert rc != 0 and message('no interpreter', missing) in out, out[-3000:]


def test_site_checks_python_before_anything(tmp_path):
    py27 = fake(tmp_path, 'python', 'echo "Python 2.7.18"')
    rc, out = run(tmp_path, py27, playbook=os.path.join(ROOT, 'playbooks', 'site.yml'))
    assert rc != 0 and message('2.7.18', py27) in out, out[-3000:]
    assert not (tmp_path / 'pki').exists()
