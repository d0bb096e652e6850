# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tags by concern (docs/usage.md, "Tags"): ansible-playbook --list-tasks --tags X on site.yml and on each role's main entry
point. The checks (managed node Python, input checks, pre-flight) are listed under every tag; --tags certificates
lists nothing that restarts or writes configuration; --tags config/restart list no certificate task."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402  -- collections_path()

VENV_BIN = os.path.dirname(sys.executable)
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
TAGS = ['certificates', 'config', 'restart', 'verify', 'preflight', 'converged']
ROLES = ['pki', 'mariadb_galera', 'pxc', 'ndb_tde']


def list_tasks(playbook, tag, inventory, by_play=False):
    """{task name: tags} (or {play name: {task name: tags}}), a role's prefix "clustersec.mysql.<role> : " dropped."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1')
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '--list-tasks', '--tags', tag, '-i', inventory,
                           playbook], env=env, capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    plays, play = {}, None
    for line in proc.stdout.splitlines():
        m = re.match(r'^  play #\d+ \((.*?)\): (.*?)\tTAGS', line)
        if m:
            play = plays.setdefault(m.group(2), {})
            continue
        m = re.match(r'^\s{6}(\S.*?)\tTAGS: \[(.*)\]$', line)
        if m:
            name = re.sub(r'^clustersec[.]mysql[.][a-z_]+ : ', '', m.group(1))
            play[name] = set(t.strip() for t in m.group(2).split(',') if t.strip())
    if by_play:
        return plays
    return dict(item for p in plays.values() for item in p.items())


@pytest.fixture(scope='module')
def roles_playbook(tmp_path_factory):
    """One play per role, the role applied statically, so --list-tasks shows its main.yml with tags."""
    d = tmp_path_factory.mktemp('tags')
    (d / 'hosts.yml').write_text(yaml.safe_dump({'all': {'hosts': {'db1': {}}}}))
    (d / 'roles.yml').write_text(yaml.safe_dump([
        {'name': role, 'hosts': 'all', 'gather_facts': False, 'roles': ['clustersec.mysql.' + role]} for role in ROLES]))
    return str(d / 'roles.yml'), str(d / 'hosts.yml')


@pytest.mark.parametrize('tag', TAGS)
def test_site_checks_run_under_every_tag(tag):
    tasks = list_tasks(os.path.join(ROOT, 'playbooks', 'site.yml'), tag, os.path.join(ROOT, 'inventories', 'demo', 'hosts.yml'))
    for name in ("Check every node's Python before any module runs there",
                 "Check the product role's input before anything is made or copied",
                 "Find out whether every node already is as this play would leave it"):
        assert name in tasks and 'always' in tasks[name], (tag, tasks)
    pki, galera = 'Make and distribute the certificates', 'Configure, start or roll the nodes'
    expected = {'certificates': {pki}, 'config': {galera}, 'restart': {galera}, 'verify': set(), 'preflight': {pki, galera},
                'converged': set()}
    assert set(tasks) & {pki, galera} == expected[tag], (tag, tasks)
    if tag == 'certificates':
        # Steps that issue certificates and also write what uses them (application accounts, garbd's account, the
        # NDB role's own certificates) carry both tags; nothing restarts under certificates.
        both = {n for n, t in tasks.items() if 'config' in t}
        assert both <= {'Issue the application certificates and bind their database accounts',
                        'Make the account garbd runs as (the group of its key)'}, tasks
        assert not any('restart' in t for t in tasks.values()), tasks


@pytest.mark.parametrize('tag', TAGS)
def test_role_checks_run_under_every_tag(roles_playbook, tag):
    plays = list_tasks(roles_playbook[0], tag, roles_playbook[1], by_play=True)
    for role in ('mariadb_galera', 'pxc', 'ndb_tde'):
        tasks = plays[role]
        assert [n for n, t in tasks.items() if n.startswith('Check the managed node') and 'always' in t], (role, tag, tasks)
        assert [n for n, t in tasks.items() if n.startswith('Pre-flight checks') and 'always' in t], (role, tag, tasks)
    assert 'always' in plays['pki'].get('Check the inputs', ()), plays['pki']
    for role, tasks in plays.items():
        for name, t in tasks.items():
            if 'always' not in t:
                assert tag in t, (role, name, t)   # nothing untagged slips into a --tags run
    if tag == 'certificates':
        # NDB's TLS step runs under restart too: it notes which processes must restart; it restarts nothing itself.
        ndb_tls = 'TLS keys (made on each host) and certificates (signed by the NDB CA on the controller)'
        assert not any('restart' in t for p in plays.values() for n, t in p.items() if n != ndb_tls), plays
        assert not any('config' in t and 'certificates' not in t for p in plays.values() for t in p.values()), plays
        assert 'Put the files on the nodes' in plays['pki']
    if tag in ('config', 'restart', 'verify'):
        assert not [n for n, t in plays['pki'].items() if 'always' not in t], plays['pki']


def test_verification_playbooks_are_tagged_verify():
    inventory = os.path.join(ROOT, 'inventories', 'demo', 'hosts.yml')
    for playbook in ('verify_encryption.yml', 'ndb_tde_status.yml'):
        path = os.path.join(ROOT, 'playbooks', playbook)
        assert list_tasks(path, 'verify', inventory), playbook
        assert not list_tasks(path, 'certificates', inventory), playbook
