# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The systemd service manager (the role's default) against the simulator inside one systemd container of the
node image: the role's units start ndb_mgmd and each data node (--nodaemon, Type=simple), a rotation stops each
unit (angel included) and starts it once with --initial through the /run marker."""

from __future__ import (absolute_import, division, print_function)

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

IMAGE_FILE = os.path.join(harness.ROOT, '.build', 'node-image')
NAME = 'clustersec-ndb-systemd'
SIM = os.path.join(harness.ROOT, 'tests', 'ndb_simulator')
# the harness's remote temp dir is a host path; modules run inside the container
REMOTE = {'ANSIBLE_REMOTE_TEMP': '/root/.ansible/tmp'}

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason='needs root (podman, root-owned files)'),
    pytest.mark.skipif(not shutil.which('podman') or not os.path.exists(IMAGE_FILE),
                       reason='needs podman and the node image (make image)'),
]


def sh(*args, check=True):
    proc = subprocess.run(['podman', 'exec', NAME] + list(args), capture_output=True, text=True, timeout=120,
                          check=False)
    if check:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc.stdout


def sim_state():
    return json.loads(sh('cat', '/var/lib/ndbsim/state.json'))


def sim_log(since=0):
    return [json.loads(line) for line in sh('cat', '/var/lib/ndbsim/log.jsonl').splitlines()[since:] if line]


def main_pid(unit):
    return int(sh('systemctl', 'show', '-p', 'MainPID', '--value', unit).strip())


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    with open(IMAGE_FILE) as f:
        image = f.read().strip()
    subprocess.run(['podman', 'rm', '-f', NAME], capture_output=True, check=False)
    subprocess.run(['podman', 'run', '-d', '--name', NAME, '--systemd=always', '--network=none',
                    '-v', '%s:/opt/ndbsim:ro' % SIM, image, '/sbin/init'], check=True, capture_output=True)
    try:
        deadline = time.time() + 60
        while sh('systemctl', 'is-system-running', check=False).strip() not in ('running', 'degraded'):
            assert time.time() < deadline, 'systemd did not come up in the container'
            time.sleep(0.5)
        # the simulator's programs start with "#!/usr/bin/env python"
        sh('ln', '-sf', '/usr/bin/python3', '/usr/local/bin/python')
        c = harness.Cluster(tmp_path_factory.mktemp('ndbsystemd'), data_nodes=2, extra_vars={
            'ansible_connection': 'containers.podman.podman', 'ansible_host': NAME,
            'ansible_python_interpreter': '/usr/bin/python3', 'ndb_tde_service_manager': 'systemd',
            # one container plays every host: each data node needs a unit of its own
            'ndb_tde_ndbmtd_service': "ndbmtd-{{ ndb_tde_node_id | default('') }}",
            'ndb_tde_ndb_mgm_bin': '/opt/ndbsim/bin/ndb_mgm', 'ndb_tde_ndb_mgmd_bin': '/opt/ndbsim/bin/ndb_mgmd',
            'ndb_tde_ndbmtd_bin': '/opt/ndbsim/bin/ndbmtd', 'ndb_tde_ndbxfrm_bin': '/opt/ndbsim/bin/ndbxfrm',
            'ndb_tde_mysql_bin': '/opt/ndbsim/bin/mysql', 'ndb_tde_ndb_restore_bin': '/opt/ndbsim/bin/ndb_restore',
        })
        yield c
    finally:
        subprocess.run(['podman', 'rm', '-f', '-t', '2', NAME], capture_output=True, check=False)


def test_units_start_the_cluster_with_tde(cluster):
    rc, out = cluster.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': True}, timeout=300, env=REMOTE)
    assert rc == 0, out[-4000:]
    assert sh('systemctl', 'is-active', 'ndb_mgmd', 'ndbmtd-2', 'ndbmtd-3').split() == ['active'] * 3
    state = sim_state()
    for node in (2, 3):
        # the unit's main process is the angel (--nodaemon): systemd tracks the data node itself
        assert main_pid('ndbmtd-%d' % node) == state['nodes'][str(node)]['angel']
        assert state['nodes'][str(node)]['state'] == 'started'
        assert state['nodes'][str(node)]['encrypted_fs'] == 1
    assert main_pid('ndb_mgmd') == state['nodes']['1']['pid']


def test_rotation_restarts_each_unit_once_with_initial(cluster):
    before = dict((n, main_pid('ndbmtd-%d' % n)) for n in (2, 3))
    since = len(sim_log())
    rc, out = cluster.playbook('ndb_password_rotation.yml', timeout=300, env=REMOTE)
    assert rc == 0, out[-4000:]
    log = sim_log(since)
    angels = [r for r in log if r['event'] == 'angel_start']
    assert sorted(r['node'] for r in angels) == [2, 3]
    for r in angels:
        assert r['password_sha256'] == hashlib.sha256((harness.PASSWORDS[r['node']] + '\n').encode()).hexdigest()
    starts = [r for r in log if r['event'] == 'start']
    assert [(r['node'], r['initial']) for r in starts] in ([(2, True), (3, True)], [(3, True), (2, True)])
    assert not [r for r in log if r['event'] in ('angel_restart', 'group_down', 'error', 'stop_refused')]
    for node in (2, 3):
        assert main_pid('ndbmtd-%d' % node) not in (0, before[node])
    # the one-shot markers were consumed: the next start of a unit is a normal one
    assert sh('sh', '-c', 'ls %s/*.initial 2>/dev/null || true' % os.path.join(cluster.base, 'run')).strip() == ''
