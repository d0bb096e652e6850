# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator's fidelity where the role depends on it (tests/ndb_simulator/README.md cites the sources):
the angel keeps the password it read, daemonizing without --nodaemon, and the management server's refusal
to stop the last started node of a node group. Each is also the control of a role test that relies on it."""

from __future__ import (absolute_import, division, print_function)

import hashlib
import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the role writes root-owned files (run as root)')


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    c = harness.Cluster(tmp_path_factory.mktemp('ndbsim'))
    rc, out = c.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': True})
    assert rc == 0, out[-3000:]
    yield c
    c.stop_all()


def mgm(cluster, command):
    proc = subprocess.run([os.path.join(harness.SIM_BIN, 'ndb_mgm'), '--connect-retries=1', '-e', command],
                          env=cluster.env(), capture_output=True, timeout=60, check=False)
    return proc.returncode, proc.stdout.decode()


def wait_started(cluster, nodes, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        rc, out = mgm(cluster, 'all status')
        if all('Node %d: started' % n in out for n in nodes):
            return
        time.sleep(0.1)
    raise AssertionError('not started: %s' % out)


def sha_line(password):
    return hashlib.sha256((password + '\n').encode()).hexdigest()


def test_restart_initial_keeps_the_password_the_angel_read(cluster):
    """Control of the role's rotation check: after the password file changed, ndb_mgm "3 RESTART -i" makes the
    old angel start the data node again with the password it read at its own start, not the new one."""
    path = os.path.join(cluster.base, 'etc', 'ndbmtd-3.pw')
    with open(path) as f:
        kept = f.read()
    angel = cluster.angels()[3]
    since = len(cluster.log())
    try:
        with open(path, 'w') as f:
            f.write('Another-Pw.3\n')
        rc, out = mgm(cluster, '3 restart -i')
        assert rc == 0 and 'Node 3 is being restarted' in out, out
        wait_started(cluster, [3])
    finally:
        with open(path, 'w') as f:
            f.write(kept)
    restarts = [r for r in cluster.log()[since:] if r['event'] == 'angel_restart']
    assert [(r['node'], r['angel'], r['initial']) for r in restarts] == [(3, angel, True)]
    assert restarts[0]['password_sha256'] == sha_line(harness.PASSWORDS[3])
    assert cluster.angels()[3] == angel
    secrets = os.path.join(cluster.datadir(3), 'ndb_3_fs', 'D1', 'NDBCNTR', 'S0.sysfile')
    with open(secrets) as f:
        fields = dict(p.split('=', 1) for p in f.read().split() if '=' in p)
    assert fields['check'] == hashlib.sha256((fields['salt'] + harness.PASSWORDS[3]).encode()).hexdigest()


def test_stop_of_the_last_started_node_of_a_group_is_refused(cluster):
    """Real ndb_mgmd refuses to stop the last started node of a node group (manual, ndb_mgm STOP); the node
    stays up. Real 9.7.4 refuses several data nodes in one STOP without -a whatever their node groups (parity
    test). Control: each stop is accepted alone while its partner runs."""
    rc, out = mgm(cluster, '2 4 stop')
    assert rc == 255, out
    assert 'Shutdown failed.\n*  2002: Stop failed\n*        Unsupported multi node shutdown. Abort option required.' \
        in out
    assert sorted(cluster.pids()) == [2, 3, 4, 5]
    for node in (2, 4):
        rc, out = mgm(cluster, '%d stop' % node)
        assert rc == 0 and 'Node %d has shutdown.' % node in out, out
    assert sorted(cluster.pids()) == [3, 5]
    rc, out = mgm(cluster, '3 stop')
    assert rc == 255, out
    assert 'Shutdown failed.\n*  2002: Stop failed\n*        Node shutdown would cause system crash: ' \
           'Permanent error: Application error' in out
    assert sorted(cluster.pids()) == [3, 5]
    for node in (2, 4):
        subprocess.run([os.path.join(cluster.base, 'sbin', 'ndbmtd-%d' % node), 'start'], env=cluster.env(),
                       check=True, capture_output=True)
    wait_started(cluster, [2, 3, 4, 5])


def test_without_nodaemon_ndbmtd_daemonizes(cluster):
    """The start scripts and units run ndbmtd with --nodaemon: without it the process started exits at once
    and the angel lives on under another pid (what systemd Type=simple would lose track of)."""
    node = 5
    subprocess.run([os.path.join(cluster.base, 'sbin', 'ndbmtd-%d' % node), 'stop'], env=cluster.env(), check=True,
                   capture_output=True)
    with open(os.path.join(cluster.base, 'etc', 'ndbmtd-%d.pw' % node), 'rb') as f:
        password = f.read()
    argv = [os.path.join(harness.SIM_BIN, 'ndbmtd'), '--ndb-connectstring=data1.example:1186', '--ndb-nodeid=5',
            '--filesystem-password-from-stdin']
    # communicate() returns only when the daemon let go of the pipes: it detached its standard streams
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=cluster.env())
    err = proc.communicate(password, timeout=20)[1]
    assert proc.returncode == 0, err
    wait_started(cluster, [node])
    angel = cluster.angels()[node]
    assert angel != proc.pid
    with open('/proc/%d/stat' % angel) as f:
        assert f.read().split(') ', 1)[1].split()[3] == str(angel)  # session leader: detached
    subprocess.run([os.path.join(harness.SIM_BIN, 'ndb_mgm'), '--connect-retries=1', '-e', '%d stop' % node],
                   env=cluster.env(), check=True, capture_output=True)
    deadline = time.time() + 10
    while os.path.exists('/proc/%d' % angel) and time.time() < deadline:
        time.sleep(0.05)
    assert not os.path.exists('/proc/%d' % angel), 'the angel outlived a STOP'
    subprocess.run([os.path.join(cluster.base, 'sbin', 'ndbmtd-%d' % node), 'start'], env=cluster.env(), check=True,
                   capture_output=True)
    wait_started(cluster, [2, 3, 4, 5])
