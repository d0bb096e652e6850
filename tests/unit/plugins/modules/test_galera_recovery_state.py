# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""galera_recovery_state attacked as nobody (standing in for the server user, or any local user) on local files
(issue 28): row 1, the grastate.dat rewrite in the server user's data directory; row 5, the --wsrep-recover log."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat
import subprocess
import sys
import tempfile

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.clustersec.mysql.plugins.modules import galera_recovery_state as M

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
import local_attacker as A  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the attacks need root (the writer) and nobody (the attacker)')

UUID = '8bcf4a34-aedb-11e9-bea1-4acb7fe6b1e8'
GRASTATE = '# GALERA saved state\nversion: 2.1\nuuid:    %s\nseqno:   -1\nsafe_to_bootstrap: 0\n' % UUID


@pytest.fixture
def base(monkeypatch):
    with A.base_dir() as path:
        # my_print_defaults (the module reads the cluster address with it when the server is down): none here.
        bindir = os.path.join(path, 'bin')
        os.mkdir(bindir, 0o755)
        with open(os.path.join(bindir, 'my_print_defaults'), 'w') as f:
            f.write('#!/bin/sh\nexit 0\n')
        os.chmod(os.path.join(bindir, 'my_print_defaults'), 0o755)
        monkeypatch.setenv('PATH', bindir + os.pathsep + os.environ['PATH'])
        yield path


def _datadir(base):
    datadir = A.nobody_dir(base, 'mysql', 0o750)
    _reset(datadir)
    return datadir


def _reset(datadir):
    def write():
        with open(os.path.join(datadir, 'grastate.dat'), 'w') as f:
            f.write(GRASTATE)
        os.chmod(os.path.join(datadir, 'grastate.dat'), 0o660)
    if os.path.lexists(os.path.join(datadir, 'grastate.dat')):
        assert A.as_nobody(os.unlink, os.path.join(datadir, 'grastate.dat'))
    assert A.as_nobody(write)


def _run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            M.main()
    return json.loads(capsys.readouterr().out)


# --- row 1: grastate.dat -------------------------------------------------------------------------------------------

def test_row1_control_safe_to_bootstrap_is_written_as_the_server_user(base, capsys):
    datadir = _datadir(base)
    result = _run(capsys, datadir=datadir, safe_to_bootstrap=True, user='nobody')
    assert result['changed'] and not result.get('failed'), result
    st = os.lstat(os.path.join(datadir, 'grastate.dat'))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (A.NOBODY.pw_uid, A.NOBODY.pw_gid, 0o660)
    with open(os.path.join(datadir, 'grastate.dat')) as f:
        assert f.read() == GRASTATE.replace('safe_to_bootstrap: 0', 'safe_to_bootstrap: 1')
    assert os.listdir(datadir) == ['grastate.dat']
    assert _run(capsys, datadir=datadir, safe_to_bootstrap=True, user='nobody')['changed'] is False


def test_row1_a_symlink_planted_at_the_temporary_name_or_swapped_in_never_reaches_a_root_file(base, capsys, monkeypatch):
    datadir = _datadir(base)
    target = A.victim(base)
    A.plant(os.path.join(datadir, 'grastate.dat.clustersec'), target)  # the old fixed temporary name
    with A.pause_at_fsync(monkeypatch, datadir, target):  # the new code's temporary file, swapped before its chown
        _run(capsys, datadir=datadir, safe_to_bootstrap=True, user='nobody')
    assert A.untouched(target) is True, 'root wrote a root file through the server user\'s symlink'


def test_row1_racing_a_loop_of_swaps_never_reaches_a_root_file(base, capsys):
    datadir = _datadir(base)
    target = A.victim(base)
    runs = []
    with A.racing(datadir, target, names=('grastate.dat.', '.clustersec')):
        for dummy in range(25):
            runs.append(_run(capsys, datadir=datadir, safe_to_bootstrap=True, user='nobody').get('failed', False))
            if A.untouched(target) is not True:
                break
            _reset(datadir)
    assert A.untouched(target) is True, 'a root file was taken over after %d runs' % len(runs)


def test_row1_a_symlinked_grastate_is_not_read_through(base, capsys):
    datadir = A.nobody_dir(base, 'mysql', 0o750)
    A.plant(os.path.join(datadir, 'grastate.dat'), A.victim(base))
    result = _run(capsys, datadir=datadir, safe_to_bootstrap=True, user='nobody')
    assert result['grastate']['present'] is False and result.get('failed') and 'missing' in result['msg']


# --- row 5: the --wsrep-recover log --------------------------------------------------------------------------------

SERVER = '''#!/bin/bash
# Stand-in for mariadbd --wsrep-recover: logs to --log-error=FILE if given, else to its standard error.
log=
for a in "$@"; do case "$a" in --log-error=*) log="${a#--log-error=}" ;; esac; done
[ -n "$log" ] && exec 2>>"$log"
path=$(readlink /proc/self/fd/2)
echo "$(stat -c '%%a %%U' "$(dirname "$path")")" > %(report)s/logdir
echo "[Note] WSREP: Recovered position: %(uuid)s:1000" >&2
# While the server runs, a local user appends a better position to its log.
setpriv --reuid=nobody --regid=%(nogroup)s --clear-groups -- \\
  sh -c 'echo "[Note] WSREP: Recovered position: %(uuid)s:999999" >> "$1" && echo appended || echo denied' sh "$path" \\
  > %(report)s/attacker 2>/dev/null
sleep "${SERVER_SLEEP:-0}"
exit 0
'''


class FakeModule(object):
    def __init__(self, server):
        self.server = server

    def get_bin_path(self, name, opt_dirs=None):
        return self.server

    def run_command(self, args):
        proc = subprocess.run(args, capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def fail_json(self, **kw):
        raise AssertionError(kw)


@pytest.fixture
def server(base, monkeypatch):
    report = A.nobody_dir(base, 'report', 0o755)
    path = os.path.join(base, 'mariadbd')
    with open(path, 'w') as f:
        f.write(SERVER % dict(report=report, uuid=UUID, nogroup=A.NOGROUP))
    os.chmod(path, 0o755)
    monkeypatch.setattr(tempfile, 'tempdir', '/tmp')  # the node's shared temporary directory
    return path, report


def _read(report, name):
    with open(os.path.join(report, name)) as f:
        return f.read().strip()


def test_row5_a_local_user_cannot_append_to_the_recover_log(server):
    path, report = server
    recovered = M._wsrep_recover(FakeModule(path), 'mariadbd', 'mysql')
    assert _read(report, 'logdir') == '700 root', 'the log is not in a private root directory'
    assert _read(report, 'attacker') == 'denied'
    assert recovered['uuid'] == UUID and recovered['seqno'] == 1000


def test_row5_a_position_appended_by_a_loop_is_not_used(server, monkeypatch):
    """The loop variant: nobody appends a higher position to every recover log it can find in /tmp while the
    server runs; the position used is the one the server wrote."""
    path, report = server
    monkeypatch.setenv('SERVER_SLEEP', '0.3')
    line = '[Note] WSREP: Recovered position: %s:999999\n' % UUID

    def append_everywhere():
        while True:
            for name in os.listdir('/tmp'):
                for candidate in (os.path.join('/tmp', name), os.path.join('/tmp', name, 'stderr.log')):
                    if 'wsrep' in name and os.path.isfile(candidate):
                        try:
                            with open(candidate, 'a') as f:
                                f.write(line)
                        except OSError:
                            pass

    pid = os.fork()
    if pid == 0:  # pragma: no cover - the attacker
        try:
            os.setgroups([])
            os.setgid(A.NOBODY.pw_gid)
            os.setuid(A.NOBODY.pw_uid)
            append_everywhere()
        finally:
            os._exit(0)
    try:
        seqnos = [M._wsrep_recover(FakeModule(path), 'mariadbd', 'mysql')['seqno'] for dummy in range(5)]
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert seqnos == [1000] * 5
