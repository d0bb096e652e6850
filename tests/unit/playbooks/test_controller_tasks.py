# -*- coding: utf-8 -*-
"""Every task that runs on the controller (delegate_to: localhost, or a play on localhost) sets the variable
ansible_become: false itself or through its block or play. The keyword `become: false` is not enough: an inventory
with `ansible_become: true` (the usual way for SSH users, often in group_vars/all, which the implicit localhost reads
too) wins over the keyword, and such a task would sudo on the controller and leave root-owned files in the user's
directory (tried: su to another user is attempted despite `become: false`; a task variable stops it). Checked on
every role task file and playbook, with a control that a task lacking it is reported."""
import glob
import os

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
BLOCK_KEYS = ('block', 'rescue', 'always')
# Action plugins that never open a connection (become does not apply), and includes (their files are checked).
NO_CONNECTION = {'debug', 'assert', 'set_fact', 'fail', 'meta', 'include_tasks', 'import_tasks', 'include_role',
                 'import_role', 'include_vars', 'add_host', 'group_by'}


def offenders(tasks, where, inherited_become=None, on_controller=False):
    """Yield 'file: task name' for controller tasks whose effective become is not false."""
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        become = (task.get('vars') or {}).get('ansible_become', inherited_become)
        local = on_controller or task.get('delegate_to') in ('localhost', '127.0.0.1')
        if any(k in task for k in BLOCK_KEYS):
            for key in BLOCK_KEYS:
                yield from offenders(task.get(key), where, become, local)
            continue
        # include/import of other files: the included tasks are checked in their own file.
        action = next((k.rsplit('.', 1)[-1] for k in task if k.startswith('ansible.builtin.') or '.' not in k
                       and k.rsplit('.', 1)[-1] in NO_CONNECTION), '')
        if local and become is not False and action not in NO_CONNECTION:
            yield '%s: %s' % (where, task.get('name', '<unnamed>'))


def file_offenders(path):
    data = yaml.safe_load(open(path)) or []
    rel = os.path.relpath(path, ROOT)
    out = []
    is_playbook = data and isinstance(data[0], dict) and any(
        k in data[0] for k in ('hosts', 'import_playbook', 'ansible.builtin.import_playbook'))
    if is_playbook:
        for play in data:
            if 'hosts' not in play:
                continue
            local = play['hosts'] in ('localhost', '127.0.0.1')
            for key in ('pre_tasks', 'tasks', 'post_tasks', 'handlers'):
                out += list(offenders(play.get(key), rel, (play.get('vars') or {}).get('ansible_become'), local))
    else:
        out += list(offenders(data, rel))
    return out


def yaml_files():
    pats = ['roles/*/tasks/*.yml', 'roles/*/handlers/*.yml', 'playbooks/*.yml', 'playbooks/tasks/*.yml']
    return sorted(p for pat in pats for p in glob.glob(os.path.join(ROOT, pat)))


def test_every_controller_task_runs_without_become():
    files = yaml_files()
    assert len(files) > 40, files
    found = [o for f in files for o in file_offenders(f)]
    assert found == []


def test_control_a_controller_task_without_become_false_is_reported(tmp_path):
    path = tmp_path / 'tasks.yml'
    path.write_text('- name: Write on the controller\n  ansible.builtin.copy: {content: x, dest: /tmp/x}\n'
                    '  delegate_to: localhost\n  become: false\n'
                    '- name: In a block that says it\n  vars: {ansible_become: false}\n  delegate_to: localhost\n  block:\n'
                    '    - name: Fine\n      ansible.builtin.debug: {msg: x}\n      delegate_to: localhost\n')
    assert [o.split(': ', 1)[1] for o in file_offenders(str(path))] == ['Write on the controller']
    play = tmp_path / 'play.yml'
    play.write_text('- name: On the controller\n  hosts: localhost\n  tasks:\n'
                    '    - name: Inherits nothing\n      ansible.builtin.command: id\n'
                    '    - name: Opens no connection\n      ansible.builtin.debug: {msg: x}\n')
    assert [o.split(': ', 1)[1] for o in file_offenders(str(play))] == ['Inherits nothing']
