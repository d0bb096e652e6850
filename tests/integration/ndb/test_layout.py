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
