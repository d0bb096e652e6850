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


def test_mgmd_and_data_node_sharing_a_directory_keep_the_data_nodes_mode(tmp_path):
    """Both default to /var/lib/mysql-cluster: the data node's directory (owned by the data user, 0750) must not be
    reset by the management server's task (root, 0755), nor flip on every run."""
    shared = os.path.join(str(tmp_path), 'mgm')
    c = harness.Cluster(tmp_path, data_nodes=2, host_vars={2: {'ndb_tde_datadir': shared}})
    try:
        rc, out = c.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False})
        assert rc == 0, out[-3000:]
        assert stat.S_IMODE(os.stat(shared).st_mode) == 0o750, oct(os.stat(shared).st_mode)
        assert os.path.isdir(os.path.join(shared, 'ndb_2_fs'))
        rc, out = c.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False})
        assert rc == 0, out[-3000:]
        assert re.search(r'data1\s*: ok=\d+\s+changed=0', out), out[-1500:]
        assert stat.S_IMODE(os.stat(shared).st_mode) == 0o750
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
