# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 28 row 8: the data node's start script (script service manager) run as root with `start`, its log in the
data directory the data user (here nobody) owns, attacked as that user on local files: a symlink planted at the
log's name, and a loop swapping the log for a symlink while the node is started again and again. Root must never
write through it; control: the log is written, the data user's."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', '..'))
import local_attacker as A  # noqa: E402  pylint: disable=wrong-import-position
from test_templates import render  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the attacks need root (the writer) and nobody (the attacker)')

STUB = '#!/bin/sh\necho "ndbmtd stand-in started as $(id -un)"\nexit 0\n'


@pytest.fixture
def node():
    with A.base_dir() as base:
        datadir = A.nobody_dir(base, 'ndb', 0o750)
        stub = os.path.join(base, 'ndbmtd')
        with open(stub, 'w') as f:
            f.write(STUB)
        os.chmod(stub, 0o755)
        script = os.path.join(base, 'start')
        with open(script, 'w') as f:
            f.write(render('ndbmtd-start.sh.j2', ndb_tde_enabled=False, ndb_tde_lock_pages_in_main_memory=0,
                           ndb_tde_ndbmtd_bin=stub, ndb_tde_data_user='nobody', ndb_tde_run_dir=os.path.join(base, 'run'),
                           __ndb_tde_initial_marker=os.path.join(base, 'run', 'm'),
                           __ndb_tde_pid_file=os.path.join(base, 'run', 'pid'),
                           ndb_tde_ndbmtd_out_file=os.path.join(datadir, 'ndb_2_start.log')))
        os.chmod(script, stat.S_IRWXU)
        yield script, os.path.join(datadir, 'ndb_2_start.log'), A.victim(base)


def start(script):
    proc = subprocess.run([script, 'start'], capture_output=True, text=True, check=False, timeout=30,
                          env={'PATH': os.environ['PATH']})
    time.sleep(0.3)  # the stand-in prints and exits; its output passes through the log writer
    return proc.returncode, proc.stdout + proc.stderr


def test_row8_control_the_log_is_written_by_the_data_user(node):
    script, log, dummy = node
    rc, out = start(script)
    assert rc == 0, out
    for dummy in range(50):
        if os.path.exists(log) and os.path.getsize(log):
            break
        time.sleep(0.1)
    st = os.lstat(log)
    assert (st.st_uid, stat.S_ISREG(st.st_mode)) == (A.NOBODY.pw_uid, True)
    with open(log) as f:
        assert f.read() == 'ndbmtd stand-in started as nobody\n'


def test_row8_a_symlink_planted_at_the_log_never_reaches_a_root_file(node):
    script, log, target = node
    A.plant(log, target)
    rc, out = start(script)
    assert A.untouched(target) is True, 'root appended to a root file through the data user\'s symlink'
    assert rc != 0 and 'cannot append' in out, out


def test_row8_racing_a_loop_of_swaps_never_reaches_a_root_file(node):
    script, log, target = node
    with A.racing(os.path.dirname(log), target, names=('ndb_2_start.log',)):
        for dummy in range(10):
            start(script)
            if A.untouched(target) is not True:
                break
    assert A.untouched(target) is True, 'a root file was appended to'
