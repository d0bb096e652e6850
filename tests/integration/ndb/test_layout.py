# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host layouts of the NDB role against the simulator: a management server and a data node on one host."""

from __future__ import (absolute_import, division, print_function)

import os
import re
import stat
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the role writes root-owned files (run as root)')


def test_mgmd_and_data_node_sharing_a_directory_are_refused_before_anything_is_written(tmp_path):
    """The management server's directories (the defaults before issue 28: /var/lib/mysql-cluster for both) must not
    be the data node's directory, which the data user owns: ndb_mgmd runs as root and writes logs, pid file and
    configuration cache there, and root writes config.ini. The pre-flight refuses, naming host and path, and writes
    nothing; control: the same cluster with the management server in a directory of its own runs, its directories
    root:root 0750."""
    shared = os.path.join(str(tmp_path), 'mgm')
    c = harness.Cluster(tmp_path, data_nodes=2, host_vars={2: {'ndb_tde_datadir': shared}})
    try:
        rc, out = c.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False})
        assert rc != 0, out[-3000:]
        assert re.search(r'data1[^\n]*ndb_tde_mgmd_datadir \(%s\) is the same as the data node directory %s'
                         % (re.escape(shared), re.escape(shared)), out), out[-3000:]
        assert 'ndb_tde_mgmd_configdir (%s/cache) is inside the data node directory' % shared in out
        assert not os.path.exists(shared), os.listdir(shared)
        assert not c.pids('mgmd') and not c.pids()
    finally:
        c.stop_all()
    control = os.path.join(str(tmp_path), 'control')
    os.mkdir(control)
    c = harness.Cluster(control, data_nodes=2)
    try:
        rc, out = c.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False})
        assert rc == 0, out[-3000:]
        mgm = os.path.join(control, 'mgm')
        for path in (mgm, os.path.join(mgm, 'cache')):
            st = os.stat(path)
            assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o750), (path, oct(st.st_mode))
        assert os.path.isdir(os.path.join(c.datadir(2), 'ndb_2_fs'))
        rc, out = c.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False})
        assert rc == 0, out[-3000:]
        assert re.search(r'data1\s*: ok=\d+\s+changed=0', out), out[-1500:]
    finally:
        c.stop_all()


def test_a_management_directory_another_account_can_change_is_refused(tmp_path):
    """Not the data node's directory, but writable by every account: refused the same way."""
    c = harness.Cluster(tmp_path, data_nodes=2)
    mgm = os.path.join(str(tmp_path), 'mgm')
    os.mkdir(mgm)
    os.chmod(mgm, 0o777)
    try:
        rc, out = c.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False})
        assert rc != 0, out[-3000:]
        assert re.search(r'data1[^\n]*ndb_tde_mgmd_datadir: %s is writable by every account' % re.escape(mgm), out), \
            out[-3000:]
        assert os.listdir(mgm) == [] and not c.pids('mgmd')
    finally:
        c.stop_all()


def test_every_ndb_mgm_call_gives_up_quickly_on_a_management_server_that_is_down(tmp_path):
    """Real ndb_mgm waits about a minute (12 attempts, 5 s apart: 55 s) for a management server that does not
    answer; the role and its modules poll themselves, so each call sets --connect-retries (attempts: the role's
    ndb_tde_mgm_connect_retries=1 is 2 attempts, 1 s apart). The simulator logs how long the real tool would have
    waited."""
    import subprocess

    c = harness.Cluster(tmp_path, data_nodes=2)
    try:
        rc, out = c.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False})
        assert rc == 0, out[-3000:]
        calls = [r for r in c.log() if r['prog'] == 'ndb_mgm' and r['event'] == 'invoke']
        assert calls and all(any(a.startswith('--connect-retries=') for a in r['argv']) for r in calls), calls[:3]
        c.stop_all()  # the management server too
        mark = len(c.log())
        # control: the same probe without the option, management server down, would have waited a minute
        subprocess.run([os.path.join(harness.SIM_BIN, 'ndb_mgm'), '-e', 'show'], env=c.env(), capture_output=True,
                       check=False, timeout=30)
        rc, out = c.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False})
        down = [r for r in c.log()[mark:] if r['prog'] == 'ndb_mgm' and 'would_wait' in r]
        assert down[0]['would_wait'] == 55, down[:1]
        assert down[1:] and max(r['would_wait'] for r in down[1:]) <= 1, down
    finally:
        c.stop_all()


def test_two_management_servers_restart_one_at_a_time(tmp_path):
    """A changed config.ini restarts each management server, and the second stops only once the first answers
    again (the simulator logs all_mgmd_down when both are down). The first run starts both: nothing is running."""
    c = harness.Cluster(tmp_path, data_nodes=2, mgmd_hosts={1: 'data1', 60: 'data2'})
    try:
        rc, out = c.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False})
        assert rc == 0, out[-3000:]
        assert sorted(c.pids('mgmd')) == [1, 60]
        mark = len(c.log())
        env_delay = {'NDBSIM_MGMD_START_DELAY': '1.0'}
        rc, out = c.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False, 'ndb_tde_free_api_slots': 2},
                             env=env_delay)
        assert rc == 0, out[-3000:]
        events = [(r['event'], r['node']) for r in c.log()[mark:]
                  if r['prog'] == 'ndb_mgmd' and r['event'] in ('stopped', 'started', 'all_mgmd_down')]
        assert events == [('stopped', 1), ('started', 1), ('stopped', 60), ('started', 60)], events
        assert sorted(c.pids('mgmd')) == [1, 60]
        # Data nodes keep running through it (ndb_tde_free_api_slots needs no data node restart).
        assert not [r for r in c.log()[mark:] if r['prog'] == 'ndbmtd' and r['event'] == 'stopped']
    finally:
        c.stop_all()
