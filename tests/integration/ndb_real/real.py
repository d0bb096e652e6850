# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NDB harness pointed at the real NDB 9.7 programs that scripts/build-ndb.sh built (issue 27).

Every inventory host is an alias of localhost (-c local) as in tests/integration/ndb/harness.py, but the role's binary
paths are the real ndb_mgmd, ndbmtd, ndb_mgm, ndbxfrm and ndb_restore, every node's HostName is 127.0.0.1, the
management server listens on a free port, and memory settings are small (two cores, several clusters per test run).
Rows are written and counted by ndb_marker, an NDB API program built beside the programs (no SQL node needed).
"""

from __future__ import (absolute_import, division, print_function)

import os
import re
import signal
import subprocess
import sys
import time

import yaml as real_yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402

ROOT_FILE = os.path.join(harness.ROOT, '.build', 'ndb-root')
SMALL = {
    'DataMemory': '48M', 'SharedGlobalMemory': '32M', 'RedoBuffer': '8M', 'FragmentLogFileSize': '16M',
    'NoOfFragmentLogFiles': 4, 'MaxNoOfExecutionThreads': 2, 'TimeBetweenLocalCheckpoints': 6,
    'TimeBetweenGlobalCheckpoints': 500, 'StartPartialTimeout': 20000, 'StartPartitionedTimeout': 0,
    'BackupLogBufferSize': '2M',
}


def real_root():
    """The directory of the cached build, or None when scripts/build-ndb.sh has not run."""
    if not os.path.exists(ROOT_FILE):
        return None
    path = open(ROOT_FILE).read().strip()
    return path if os.path.exists(os.path.join(path, 'bin', 'ndbmtd')) else None


def api_on_loopback(path):
    """The API host's HostName 127.0.0.1 too: ndb_mgmd refuses config.ini mixing localhost with other host names
    ("Mixing of localhost (default for [NDBD]HostName) with other hostname(api1) is illegal")."""
    with open(path) as f:
        inventory = real_yaml.safe_load(f)
    inventory['all']['children']['ndb_api']['hosts']['api1']['ndb_tde_hostname'] = '127.0.0.1'
    with open(path, 'w') as f:
        real_yaml.safe_dump(inventory, f, default_flow_style=False)
    return path


free_port = harness.free_port


class RealCluster(harness.Cluster):
    """Management node 1 on data1, data nodes 2-5 (node groups {2,3} and {4,5}) on data1-data4, all on loopback."""

    def __init__(self, base, **kwargs):
        self.real = real_root()
        self.port = free_port()
        extra = {
            'ndb_tde_ndb_mgm_bin': self.bin('ndb_mgm'),
            'ndb_tde_ndb_mgmd_bin': self.bin('ndb_mgmd'),
            'ndb_tde_ndbmtd_bin': self.bin('ndbmtd'),
            'ndb_tde_ndbxfrm_bin': self.bin('ndbxfrm'),
            'ndb_tde_ndb_restore_bin': self.bin('ndb_restore'),
            'ndb_tde_mgmd_port': self.port,
            'ndb_tde_lock_pages_in_main_memory': 0,
            'ndb_tde_free_api_slots': 4,
            'ndb_tde_config_overrides': {'DB default': dict(SMALL)},
            'ndb_tde_poll_interval': 0.5,
            'ndb_tde_start_timeout': 240,
            'ndb_tde_stop_timeout': 60,
        }
        extra.update(kwargs.pop('extra_vars', {}) or {})
        host_vars = kwargs.pop('host_vars', {}) or {}
        self._hv = host_vars
        super(RealCluster, self).__init__(base, extra_vars=extra, host_vars=host_vars, **kwargs)

    def bin(self, name):
        return os.path.join(self.real, 'bin', name)

    def write_inventory(self, path=None, passwords=None, host_vars=None):
        # Every node on loopback: the real management server allocates a node id only to a host that resolves to
        # the connecting address.
        hv = dict((n, dict({'ndb_tde_hostname': '127.0.0.1'}, **(host_vars or self.host_vars).get(n, {})))
                  for n in self.data_nodes)
        return api_on_loopback(super(RealCluster, self).write_inventory(path=path, passwords=passwords, host_vars=hv))

    def mgmd_vars(self, node_id):
        hv = super(RealCluster, self).mgmd_vars(node_id)
        hv['ndb_tde_hostname'] = '127.0.0.1'
        return hv

    @property
    def connectstring(self):
        return '127.0.0.1:%d' % self.port

    def env(self):
        env = super(RealCluster, self).env()
        env['LD_LIBRARY_PATH'] = os.path.join(self.real, 'lib')
        return env

    def tool(self, name, *args, **kwargs):
        """Run a real NDB program; returns (rc, output)."""
        proc = subprocess.run([self.bin(name)] + list(args), env=self.env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, input=kwargs.get('input'), timeout=kwargs.get('timeout', 120),
                              check=False)
        return proc.returncode, proc.stdout.decode('utf-8', 'replace')

    def marker(self, mode, marker, rows=200):
        rc, out = self.tool('ndb_marker', mode, self.connectstring, marker, str(rows))
        assert rc == 0, out
        return out

    def mgm(self, command):
        return self.tool('ndb_mgm', '--connect-retries=1', '-c', self.connectstring, '-e', command)

    def fs_files(self, node_id):
        """Every regular file under data node node_id's file system."""
        fs = os.path.join(self.datadir(node_id), 'ndb_%d_fs' % node_id)
        out = []
        for dirpath, _dirs, files in os.walk(fs):
            out += [os.path.join(dirpath, f) for f in files]
        return out

    def backup_files(self, backup_id):
        out = []
        for node_id in self.data_nodes:
            d = os.path.join(self.datadir(node_id), 'BACKUP', 'BACKUP-%d' % backup_id)
            if os.path.isdir(d):
                out += [os.path.join(d, f) for f in os.listdir(d)]
        return out

    def encrypted(self, path):
        """ndbxfrm -i: True for encryption=yes, False for encryption=no, None for a file gone since it was listed."""
        rc, out = self.tool('ndbxfrm', '-i', path)
        m = re.search(r'encryption=(yes|no)', out)
        if not m and not os.path.exists(path):
            return None  # removed meanwhile by a local checkpoint
        assert m, (path, rc, out)
        return m.group(1) == 'yes'

    def processes(self):
        """pid -> argv of every process running one of this cluster's real programs."""
        out = {}
        for pid in os.listdir('/proc'):
            if not pid.isdigit():
                continue
            try:
                argv = harness.read_proc(int(pid), 'cmdline').split(b'\0')
            except OSError:
                continue
            if argv and argv[0].decode('utf-8', 'replace').startswith(os.path.join(self.real, 'bin')) and \
                    any(self.base.encode() in a or str(self.port).encode() in a for a in argv):
                out[int(pid)] = argv
        return out

    def stop_all(self, mgmd=True):
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        deadline = time.time() + 10
        while self.processes() and time.time() < deadline:
            time.sleep(0.1)
