# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NDB playbooks are short lists of plays calling ndb_tde entry points (issue 29): every play selects its hosts with
<clustersec_hosts>:&<group>, every entry point it calls has an argument spec and a task file, every task file the
role includes exists, and the old names (ndb_tde_hosts, validate.yml, playbooks/tasks/) are gone."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
ROLE = os.path.join(ROOT, 'roles', 'ndb_tde')
PLAYBOOKS = sorted(glob.glob(os.path.join(ROOT, 'playbooks', 'ndb_*.yml')))
PATTERN = re.compile(r"^\{\{ clustersec_hosts \| default\('all'\) \}\}:&(ndb|ndb_mgmd|ndb_data)$")
BLOCK_KEYS = ('block', 'rescue', 'always')


def _load(path):
    with open(path) as f:
        return yaml.safe_load(f) or []


def _tasks(tasks):
    for task in tasks or []:
        yield task
        for key in BLOCK_KEYS:
            yield from _tasks(task.get(key))


def _action(task, name):
    return task.get('ansible.builtin.' + name, task.get(name))


SPECS = _load(os.path.join(ROLE, 'meta', 'argument_specs.yml'))['argument_specs']


def test_there_are_ndb_playbooks():
    assert [os.path.basename(p) for p in PLAYBOOKS] == [
        'ndb_encrypted_backup.yml', 'ndb_password_rotation.yml', 'ndb_restore_encrypted_backup.yml',
        'ndb_tde_status.yml', 'ndb_tde_toggle.yml']


@pytest.mark.parametrize('path', PLAYBOOKS, ids=os.path.basename)
def test_plays_select_the_group_and_call_an_entry_point(path):
    called = []
    for play in _load(path):
        assert PATTERN.match(play['hosts']), (path, play['hosts'])
        for task in _tasks(play.get('tasks')):
            assert _action(task, 'include_tasks') is None and _action(task, 'import_tasks') is None, (path, task)
            role = _action(task, 'include_role')
            if role:
                assert role['name'] == 'clustersec.mysql.ndb_tde', (path, role)
                called.append(role.get('tasks_from', 'main'))
    assert called, path
    for entry in called:
        assert entry in SPECS, (path, entry)
        assert os.path.isfile(os.path.join(ROLE, 'tasks', entry + '.yml')), (path, entry)
    assert len(open(path).read().splitlines()) <= 80, path


def test_every_entry_point_has_a_task_file_and_every_included_file_exists():
    for entry in SPECS:
        assert os.path.isfile(os.path.join(ROLE, 'tasks', entry + '.yml')), entry
    for path in glob.glob(os.path.join(ROLE, 'tasks', '*.yml')):
        for task in _tasks(_load(path)):
            included = _action(task, 'include_tasks') or _action(task, 'import_tasks')
            if included:
                name = included['file'] if isinstance(included, dict) else included
                assert os.path.isfile(os.path.join(ROLE, 'tasks', name)), (path, name)


def test_old_names_are_gone():
    assert not os.path.exists(os.path.join(ROOT, 'playbooks', 'tasks', 'ndb_rolling.yml'))
    for name in ('validate.yml', 'validate_password.yml'):
        assert not os.path.exists(os.path.join(ROLE, 'tasks', name)), name
    texts = [open(p).read() for p in PLAYBOOKS + glob.glob(os.path.join(ROLE, 'tasks', '*.yml'))]
    for text in texts:
        assert not re.search(r'\bndb_tde_(data_)?hosts\b', text)


def test_no_jinja_statement_in_task_files_or_playbooks():
    """Rules are filters (module_utils/ndb); task files and playbooks only call them."""
    for path in PLAYBOOKS + glob.glob(os.path.join(ROLE, 'tasks', '*.yml')) + glob.glob(os.path.join(ROLE, 'handlers', '*.yml')):
        assert '{%' not in open(path).read(), path


def test_control_the_pattern_refuses_the_old_host_selection():
    assert not PATTERN.match("{{ ndb_tde_hosts | default('ndb_mgmd:ndb_data') }}")
    assert not PATTERN.match("{{ clustersec_hosts | default('all') }}:&ndb_mgmd:ndb_data")
