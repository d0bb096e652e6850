# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The systemd service manager (the role's default) with the real NDB 9.7.4 programs inside one systemd container of
the node image: the role's units start ndb_mgmd and two data nodes as the `mysql` user, TDE on from the first start,
a password rotation restarts each unit once with --initial, and a wrong file system password stops the data node
with the role naming it. The programs come from the build cache, mounted read-only."""

from __future__ import (absolute_import, division, print_function)

import os
import re
import shutil
import subprocess
import time

import pytest

import real

IMAGE_FILE = os.path.join(real.harness.ROOT, '.build', 'node-image')
NAME = 'clustersec-ndb-real-systemd'
BIN = '/opt/ndb/bin'
REMOTE = {'ANSIBLE_REMOTE_TEMP': '/root/.ansible/tmp'}
MARKER = 'CLUSTERSEC-NDB-SYSTEMD-9c2e'

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason='needs root (podman, root-owned files)'),
    pytest.mark.skipif(not shutil.which('podman') or not os.path.exists(IMAGE_FILE),
                       reason='needs podman and the node image (make image)'),
    pytest.mark.skipif(real.real_root() is None and not os.environ.get('CI'),
                       reason='scripts/build-ndb.sh has not built the real NDB programs (.build/ndb-root)'),
]


def sh(*args, check=True, stdin=None):
    proc = subprocess.run(['podman', 'exec', '-i', NAME] + list(args), capture_output=True, text=True, timeout=180,
                          check=False, input=stdin)
    if check:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc.stdout + proc.stderr


def main_pid(unit):
    return int(sh('systemctl', 'show', '-p', 'MainPID', '--value', unit).strip())


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    root = real.real_root()
    assert root, 'scripts/build-ndb.sh has not built the real NDB programs (.build/ndb-root)'
    with open(IMAGE_FILE) as f:
        image = f.read().strip()
    subprocess.run(['podman', 'rm', '-f', NAME], capture_output=True, check=False)
    subprocess.run(['podman', 'run', '-d', '--name', NAME, '--systemd=always', '--network=none',
                    '-v', '%s:/opt/ndb:ro' % root, image, '/sbin/init'], check=True, capture_output=True)
    try:
        deadline = time.time() + 60
        while sh('systemctl', 'is-system-running', check=False).strip() not in ('running', 'degraded'):
            assert time.time() < deadline, 'systemd did not come up in the container'
            time.sleep(0.5)
        base = tmp_path_factory.mktemp('ndbrealsystemd')
        c = real.harness.Cluster(base, data_nodes=2, extra_vars={
            'ansible_connection': 'containers.podman.podman', 'ansible_host': NAME,
            'ansible_python_interpreter': '/usr/bin/python3', 'ndb_tde_service_manager': 'systemd',
            'ndb_tde_data_user': 'mysql', 'ndb_tde_data_user_group': 'mysql',
            # one container plays every host: each data node needs a unit of its own
            'ndb_tde_ndbmtd_service': "ndbmtd-{{ ndb_tde_node_id | default('') }}",
            'ndb_tde_ndb_mgm_bin': BIN + '/ndb_mgm', 'ndb_tde_ndb_mgmd_bin': BIN + '/ndb_mgmd',
            'ndb_tde_ndbmtd_bin': BIN + '/ndbmtd', 'ndb_tde_ndbxfrm_bin': BIN + '/ndbxfrm',
            'ndb_tde_ndb_restore_bin': BIN + '/ndb_restore',
            'ndb_tde_mgmd_port': 1186, 'ndb_tde_lock_pages_in_main_memory': 0, 'ndb_tde_free_api_slots': 2,
            'ndb_tde_config_overrides': {'DB default': dict(real.SMALL)},
            'ndb_tde_poll_interval': 0.5, 'ndb_tde_start_timeout': 120, 'ndb_tde_stop_timeout': 60,
        }, host_vars=dict((n, {'ndb_tde_hostname': '127.0.0.1'}) for n in (2, 3)),
            mgmd_hosts={1: 'data1'})
        # The harness's paths live under the container's /tmp (mode 1777): made root-owned (not writable by others) first, as the role refuses
        # to create a management directory where another account could have planted one.
        sh('install', '-d', '-m', '0755', str(base))
        real.api_on_loopback(c.inventory)
        yield c
    finally:
        subprocess.run(['podman', 'rm', '-f', '-t', '2', NAME], capture_output=True, check=False)


def fs_files(cluster, node):
    out = sh('find', os.path.join(cluster.datadir(node), 'ndb_%d_fs' % node), '-type', 'f')
    return [line for line in out.splitlines() if line.startswith('/')]


def encryption(path):
    m = re.search(r'encryption=(yes|no)', sh(BIN + '/ndbxfrm', '-i', path, check=False))
    assert m, path
    return m.group(1) == 'yes'


def container_ndbmtd():
    """Host pid -> (cmdline, environ) of every process running this container's /opt/ndb/bin/ndbmtd."""
    out = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            argv = real.harness.read_proc(int(pid), 'cmdline')
            if argv.split(b'\0')[0] == (BIN + '/ndbmtd').encode():
                out[int(pid)] = (argv, real.harness.read_proc(int(pid), 'environ'))
        except OSError:
            continue
    return out


def journal():
    return sh('sh', '-c', 'journalctl --no-pager -n 60 -u ndb_mgmd -u ndbmtd-2 -u ndbmtd-3', check=False)


def test_units_start_the_real_cluster_with_tde(cluster):
    rc, out = cluster.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': True}, timeout=900, env=REMOTE)
    assert rc == 0, out[-4000:] + journal()
    assert sh('systemctl', 'is-active', 'ndb_mgmd', 'ndbmtd-2', 'ndbmtd-3').split() == ['active'] * 3
    assert 'written=50' in sh(BIN + '/ndb_marker', 'write', '127.0.0.1:1186', MARKER, '50')
    for node in (2, 3):
        pid = main_pid('ndbmtd-%d' % node)
        assert sh('ps', '-o', 'user=', '-p', str(pid)).strip() == 'mysql'
        frag = [p for p in fs_files(cluster, node) if p.endswith('.FragLog')]
        assert frag and all(encryption(p) for p in frag)
    # /proc of the container's data node processes, read from the host (podman exec may not read environ)
    procs = container_ndbmtd()
    assert len(procs) >= 2, procs
    for pid, (argv, environ) in procs.items():
        for pw in real.harness.PASSWORDS.values():
            assert pw.encode() not in argv and pw.encode() not in environ, pid
    hits = sh('sh', '-c', 'grep -rlc %s %s %s || true' % (MARKER, cluster.datadir(2), cluster.datadir(3)))
    assert hits.strip() == '', hits


def test_rotation_restarts_each_unit_once_with_initial(cluster):
    before = dict((n, main_pid('ndbmtd-%d' % n)) for n in (2, 3))
    rc, out = cluster.playbook('ndb_password_rotation.yml', timeout=900, env=REMOTE)
    assert rc == 0, out[-4000:]
    for node in (2, 3):
        assert main_pid('ndbmtd-%d' % node) not in (0, before[node])
    # the one-shot --initial markers were consumed: the next start of a unit is a normal one
    assert sh('sh', '-c', 'ls %s/*.initial 2>/dev/null || true' % os.path.join(cluster.base, 'run')).strip() == ''
    assert 'rows=50 marker_rows=50' in sh(BIN + '/ndb_marker', 'count', '127.0.0.1:1186', MARKER)


def test_wrong_file_system_password_stops_the_data_node(cluster):
    """A data node given another password than the one its file system was written with does not start; control:
    the same node with its own password starts again."""
    node3_pw = os.path.join(cluster.base, 'etc', 'ndbmtd-3.pw')
    good = sh('cat', node3_pw)
    sh('systemctl', 'stop', 'ndbmtd-3')
    sh('sh', '-c', 'umask 077; printf "%%s\\n" Wrong-Pw.systemd9 > %s' % node3_pw)
    sh('systemctl', 'start', 'ndbmtd-3', check=False)
    deadline = time.time() + 90
    state = ''
    while time.time() < deadline:
        state = sh('systemctl', 'is-active', 'ndbmtd-3', check=False).strip()
        if state in ('failed', 'inactive'):
            break
        time.sleep(1)
    log = sh('sh', '-c', 'journalctl -u ndbmtd-3 --no-pager | tail -40; cat %s/ndb_3_out.log 2>/dev/null | tail -20'
             % cluster.datadir(3), check=False)
    assert state in ('failed', 'inactive', 'activating'), (state, log)
    rc, out = cluster.playbook('ndb_tde_status.yml', timeout=300, env=REMOTE)
    flat = ' '.join(out.split())
    assert rc != 0 or 'node 3' in flat or 'data2' in flat, out[-3000:]
    # control: the right password brings it back
    sh('sh', '-c', 'umask 077; cat > %s' % node3_pw, stdin=good)
    sh('systemctl', 'reset-failed', 'ndbmtd-3', check=False)
    sh('systemctl', 'start', 'ndbmtd-3')
    rc, out = cluster.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': True}, timeout=900, env=REMOTE)
    assert rc == 0, out[-4000:]
    assert 'rows=50 marker_rows=50' in sh(BIN + '/ndb_marker', 'count', '127.0.0.1:1186', MARKER)
