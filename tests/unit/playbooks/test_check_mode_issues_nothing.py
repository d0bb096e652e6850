# -*- coding: utf-8 -*-
"""Issue 28 row 10: --check of rotate_certificates.yml and recover_expired_certificates.yml wrote real node keys,
signed by the production CA (and, in recovery, a copy of the CA key), to a clustersec-*-check-* directory in the
controller's temporary directory, and left them there when the run stopped. Now every controller task that makes or
copies key material is skipped in check mode (and none is forced to run with check_mode: false), the phases compare
the nodes' files with a placeholder, and nothing is left to clean up. Checked on the playbooks' YAML, with a control
that the checker sees the old layout."""
import os

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
# Issue 29: the procedures are entry points of the galera role; the set is staged by the pki role's entry point stage
# (clustersec.mysql.x509_set, which makes nothing in check mode: unit tests of module_utils/certificates/cert_set.py).
PLAYBOOKS = ['playbooks/rotate_certificates.yml', 'playbooks/recover_expired_certificates.yml',
             'roles/galera/tasks/rotate_certificates.yml', 'roles/galera/tasks/recover_certificates.yml',
             'roles/galera/tasks/rotate_phase.yml', 'roles/pki/tasks/stage.yml', 'roles/pki/tasks/promote.yml']
# Modules that make or copy keys on the controller (copy: the CA key into next/).
KEY_WRITERS = {'x509_ca', 'x509_node_certs', 'copy', 'tempfile'}
# A key writer that is safe in check mode must not be forced to run in it.
CHECK_MODE_SAFE = {'x509_set'}
BLOCK_KEYS = ('block', 'rescue', 'always')


def _skipped_in_check(task):
    whens = task.get('when') or []
    whens = whens if isinstance(whens, list) else [whens]
    return any('not ansible_check_mode' in str(w) for w in whens)


def writers_in_check_mode(tasks, skipped=False):
    """Names of tasks that would make or copy key material under --check."""
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        here = skipped or _skipped_in_check(task)
        if any(k in task for k in BLOCK_KEYS):
            for key in BLOCK_KEYS:
                yield from writers_in_check_mode(task.get(key), here)
            continue
        action = next((k.rsplit('.', 1)[-1] for k in task if k.rsplit('.', 1)[-1] in KEY_WRITERS | CHECK_MODE_SAFE), None)
        if action in CHECK_MODE_SAFE:
            if task.get('check_mode') is False:
                yield '%s (%s)' % (task.get('name'), action)
            continue
        if action and (not here or task.get('check_mode') is False):
            yield '%s (%s)' % (task.get('name'), action)


def plays(path):
    data = yaml.safe_load(open(os.path.join(ROOT, path)))
    # A task file is one list of tasks.
    return data if path.startswith('playbooks/') else [{'tasks': data}]


@pytest.mark.parametrize('path', PLAYBOOKS)
def test_check_mode_makes_no_key(path):
    found = [w for play in plays(path) for key in ('pre_tasks', 'tasks') for w in writers_in_check_mode(play.get(key))]
    assert found == [], '%s: under --check these make or copy keys: %s' % (path, found)


@pytest.mark.parametrize('path', PLAYBOOKS)
def test_no_throwaway_directory_and_the_phases_compare_with_a_placeholder(path):
    text = open(os.path.join(ROOT, path)).read()
    assert 'clustersec-rotate-check-' not in text and 'clustersec-recover-check-' not in text
    if 'cert_set_files' in text:
        assert 'placeholder=ansible_check_mode' in text
    files = open(os.path.join(ROOT, 'plugins/filter/files.py')).read()
    assert "'--check: not issued %s" in files


def test_control_the_old_layout_is_caught():
    old = [{'name': 'Prepare', 'delegate_to': 'localhost', 'block': [
        {'name': 'Make a throwaway directory', 'ansible.builtin.tempfile': {'state': 'directory'},
         'check_mode': False, 'when': 'ansible_check_mode'},
        {'name': 'Issue', 'clustersec.mysql.x509_node_certs': {}, 'check_mode': False}]}]
    assert list(writers_in_check_mode(old)) == ['Make a throwaway directory (tempfile)', 'Issue (x509_node_certs)']
    # and a skipped block with a task forced into check mode is still caught
    forced = [{'name': 'b', 'when': 'not ansible_check_mode', 'block': [{'name': 'x', 'clustersec.mysql.x509_ca': {},
                                                                         'check_mode': False}]}]
    assert list(writers_in_check_mode(forced)) == ['x (x509_ca)']


def test_no_shell_switches_the_sets():
    """Row 14 (a shell step cd'ing into an unquoted pki_dir) is gone with issue 29: x509_set promotes the staged set
    in Python, and no procedure file runs a shell or command on the controller."""
    for path in PLAYBOOKS:
        text = open(os.path.join(ROOT, path)).read()
        assert 'ansible.builtin.shell' not in text and 'ansible.builtin.command' not in text, path
