# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 28, deliverable 6: a node whose restart fails in a rolling restart stops the whole play at once, on every
host, naming the node; the nodes not yet touched keep running (are never stopped).

Three local hosts run the galera engine's rolling restart as the callers do (the handler that data at rest flushes
before its wait, and include_role tasks_from rolling_restart with run_once as the rotation playbooks). systemctl,
journalctl and the server's client are stand-ins on PATH: every call is logged, the client answers Synced in a
Primary component of 3, and the second `systemctl start` fails (db2 cannot rejoin). Before the fix db2 and db3
went on to the next step of the play."""

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

SYSTEMCTL = """#!/bin/sh
echo "systemctl $*" >> "{log}"
if [ "$1" = start ]; then
    n=$(cat "{count}" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "{count}"
    [ "$n" -ge {fail_at} ] && {{ echo "Job for $2 failed (stand-in: the node cannot rejoin)" >&2; exit 1; }}
fi
exit 0
"""
JOURNALCTL = """#!/bin/sh
exit 0
"""
CLIENT = """#!/bin/sh
printf 'wsrep_cluster_size\\t3\\nwsrep_cluster_status\\tPrimary\\nwsrep_local_state_comment\\tSynced\\n'
"""


def _script(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _tasks(via):
    """The rolling restart as the handler (flushed before the data-at-rest wait) or as the rotation playbooks call it,
    then the play's next step, which must not run anywhere once a restart failed."""
    if via == 'handler':
        first = [{'name': 'Load the engine (its handler)',
                  'ansible.builtin.include_role': {'name': 'clustersec.mysql.galera', 'tasks_from': 'gate'},
                  'run_once': True},
                 {'name': 'A drop-in changed', 'ansible.builtin.debug': {'msg': 'changed'}, 'changed_when': True,
                  'notify': 'Restart changed Galera nodes one at a time'},
                 {'name': 'Restart before the wait', 'ansible.builtin.meta': 'flush_handlers'}]
    else:
        first = [{'name': 'Restart, gated', 'ansible.builtin.include_role': {
            'name': 'clustersec.mysql.galera', 'tasks_from': 'rolling_restart'}, 'run_once': True}]
    return first + [{'name': 'Next step', 'ansible.builtin.shell': 'echo "next step on {{ inventory_hostname }}" >> "{{ log }}"',
                     'changed_when': True}]


def run(tmp_path, via, fail_at):
    fake = tmp_path / 'bin'
    fake.mkdir()
    log, count = tmp_path / 'calls.log', tmp_path / 'starts'
    _script(fake / 'systemctl', SYSTEMCTL.format(log=log, count=count, fail_at=fail_at))
    _script(fake / 'journalctl', JOURNALCTL)
    _script(fake / 'client', CLIENT)
    hosts = {'db%d' % i: {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable} for i in (1, 2, 3)}
    inv = tmp_path / 'inventory.yml'
    inv.write_text(yaml.safe_dump({'all': {'hosts': hosts}}))
    play = tmp_path / 'play.yml'
    play.write_text(yaml.safe_dump([{
        'name': 'rolling restart', 'hosts': 'all', 'gather_facts': False,
        'vars': {'log': str(log), 'galera_restart_hosts': ['db1', 'db2', 'db3'],
                 'galera_engine': {'flavor': 'mariadb', 'client': str(fake / 'client'), 'service': 'fake-galera',
                                   'cluster_hosts': ['db1', 'db2', 'db3'], 'sync_timeout': 5, 'poll_delay': 1,
                                   'rejoin_log': ''}},
        'tasks': _tasks(via)}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False',
               PATH=str(fake) + os.pathsep + os.environ.get('PATH', ''))
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv), str(play)], env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    calls = log.read_text().splitlines() if log.exists() else []
    return proc.returncode, proc.stdout + proc.stderr, calls


@pytest.mark.parametrize('via', ['handler', 'include_role'])
def test_a_failed_restart_stops_the_play_on_every_host_and_leaves_the_rest_running(tmp_path, via):
    rc, out, calls = run(tmp_path, via, fail_at=2)
    assert rc != 0, out[-3000:]
    # db1 restarted, db2 stopped and failed to start, db3 never touched; no host went on to the next step.
    assert calls[:2] == ['systemctl stop fake-galera', 'systemctl start fake-galera'], calls
    assert calls.count('systemctl stop fake-galera') == 2, calls
    assert not any(c.startswith('next step') for c in calls), calls
    assert 'db2: the restart failed (systemctl start fake-galera: Job for fake-galera failed' in out, out[-3000:]
    assert 'the play stops on every host' in out, out[-3000:]
    assert 'Restarted before: db1; not touched, still running: db3' in out, out[-3000:]


def test_control_every_restart_succeeds_and_the_play_goes_on(tmp_path):
    rc, out, calls = run(tmp_path, 'handler', fail_at=99)
    assert rc == 0, out[-3000:]
    assert calls.count('systemctl start fake-galera') == 3, calls
    assert sorted(c for c in calls if c.startswith('next step')) == ['next step on db1', 'next step on db2',
                                                                     'next step on db3'], calls
