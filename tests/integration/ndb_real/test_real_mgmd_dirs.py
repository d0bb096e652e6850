# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moving the management servers' directories of a running cluster (issue 28 row 8: the new root-owned defaults) on
the real NDB 9.7.4 programs: two management servers (1 on data1, 60 on data2), two data nodes, loopback, service
manager script.

ndb_mgmd given an empty --configdir and config.ini does not use --reload: it takes config.ini as an initial
configuration (generation 0) and exits when another management server runs the confirmed one and config.ini differs
(its DataDir moved too; ConfigManager.cpp). The role carries the newest ndb_<id>_config.bin.<generation> over into
the new configdir just before each server starts there, so --reload applies config.ini as any other change: the data
nodes keep running, every row stays readable. Control: the same move without the carried cache
(ndb_tde_mgmd_old_configdirs empty) - the real ndb_mgmd refuses to start."""

from __future__ import (absolute_import, division, print_function)

import os
import re

import pytest

import real

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason='the role writes root-owned files (run as root)'),
    pytest.mark.skipif(real.real_root() is None and not os.environ.get('CI'),
                       reason='scripts/build-ndb.sh has not built the real NDB programs (.build/ndb-root)'),
]

MARKER = 'CLUSTERSEC-MGMD-DIRS-7c2e'


class TwoMgmd(real.RealCluster):
    """Management servers 1 (data1) and 60 (data2, its own port), each in <base>/<layout>-mgm-<id>."""

    def __init__(self, base, **kwargs):
        self.layout, self.old_layouts, self.port2 = 'old', [], real.free_port()
        super(TwoMgmd, self).__init__(base, data_nodes=2, mgmd_hosts={1: 'data1', 60: 'data2'}, **kwargs)

    def mgm_dir(self, node_id, layout=None):
        return os.path.join(self.base, '%s-mgm-%d' % (layout or self.layout, node_id))

    def mgmd_vars(self, node_id):
        hv = super(TwoMgmd, self).mgmd_vars(node_id)
        d = self.mgm_dir(node_id)
        hv.update({'ndb_tde_config_file': os.path.join(d, 'config.ini'), 'ndb_tde_mgmd_configdir': os.path.join(d, 'cache'),
                   'ndb_tde_mgmd_datadir': d,
                   'ndb_tde_mgmd_old_configdirs': [os.path.join(self.mgm_dir(node_id, old), 'cache')
                                                   for old in self.old_layouts]})
        if node_id != 1:
            hv['ndb_tde_mgmd_port'] = self.port2
        return hv

    def move(self, layout, carry=True):
        self.old_layouts = [self.layout] if carry else []
        self.layout = layout
        self.write_inventory()


def generations(directory, node_id):
    out = []
    for name in os.listdir(directory) if os.path.isdir(directory) else []:
        m = re.match(r'ndb_%d_config\.bin\.(\d+)$' % node_id, name)
        if m:
            out.append(int(m.group(1)))
    return sorted(out)


def mgmd_argv(cluster):
    return dict((pid, b' '.join(argv).decode()) for pid, argv in cluster.processes().items()
                if argv[0].endswith(b'/ndb_mgmd'))


def data_pids(cluster):
    return sorted(pid for pid, argv in cluster.processes().items() if argv[0].endswith(b'/ndbmtd'))


def test_a_running_cluster_moves_its_management_directories_and_keeps_running(tmp_path):
    assert real.real_root(), 'scripts/build-ndb.sh has not built the real NDB programs (.build/ndb-root)'
    c = TwoMgmd(tmp_path)
    try:
        rc, out = c.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False}, timeout=600)
        assert rc == 0, out[-4000:]
        assert 'written=50' in c.marker('write', MARKER, 50)
        before = data_pids(c)
        assert len(before) >= 2, c.processes()
        old_gen = dict((n, generations(os.path.join(c.mgm_dir(n), 'cache'), n)) for n in (1, 60))
        assert all(old_gen.values()), old_gen

        c.move('new')
        rc, out = c.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False}, timeout=600)
        assert rc == 0, out[-4000:]
        # the data nodes never stopped, the rows are there, both management servers run from the new directories
        assert data_pids(c) == before
        m = re.search(r'rows=(\d+) marker_rows=(\d+)', c.marker('count', MARKER))
        assert m and int(m.group(2)) == 50, m
        argv = mgmd_argv(c)
        assert len(argv) == 2, argv
        for n in (1, 60):
            new_cache = os.path.join(c.mgm_dir(n), 'cache')
            assert any('--configdir=%s' % new_cache in a for a in argv.values()), argv
            gen = generations(new_cache, n)
            # carried over (the old generation), then config.ini applied with --reload as a configuration change
            assert gen and max(gen) > max(old_gen[n]), (n, gen, old_gen)
            for path in (c.mgm_dir(n), new_cache):
                st = os.stat(path)
                assert (st.st_uid, st.st_mode & 0o777) == (0, 0o750), (path, oct(st.st_mode))
        rc, show = c.mgm('show')
        assert rc == 0 and len(re.findall(r'id=(2|3)\s+@127\.0\.0\.1', show)) == 2, show
        assert len(re.findall(r'id=(1|60)\s+@127\.0\.0\.1', show)) == 2, show

        # control: the same move without the cache carried over - the real ndb_mgmd 1 starts from config.ini as an
        # initial configuration, meets management server 60 running the confirmed one, and exits
        c.move('bare', carry=False)
        rc, out = c.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False, 'ndb_tde_start_timeout': 25},
                             timeout=300)
        assert rc != 0, out[-3000:]
        log = ''
        for name in os.listdir(c.mgm_dir(1)):
            if name.endswith('.log'):
                log += open(os.path.join(c.mgm_dir(1), name), errors='replace').read()
        assert re.search(r"not.{0,3}equal to the one node 60 is using|Refusing to start", log), log[-3000:]
        assert data_pids(c) == before
    finally:
        c.stop_all()
