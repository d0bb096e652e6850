# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parity of the NDB simulator with the real NDB programs, where the simulator still speaks for them.

The same commands run against a small loopback cluster of each kind (one ndb_mgmd, two ndbmtd, NoOfReplicas=2,
EncryptedFileSystem=1, the file system password on ndbmtd's stdin): the real one from the programs
scripts/build-ndb.sh built (.build/ndb-root), the simulated one from tests/ndb_simulator. What is compared is what
the role and modules read: exit codes and the lines the module_utils parsers take (show, all status, STOP, START
BACKUP in every form the role builds and the misordered one, ndbxfrm -i, ndb_restore with no, a wrong and the right
password, ndbinfo_select_all, connect retries, the management server's stop and an immediate --reload). Skipped,
saying why, where the real programs have not been built.
"""

from __future__ import (absolute_import, division, print_function)

import glob
import os
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

sys.path.insert(0, harness.collections_path())
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import backup as ndb_backup
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import mgm as ndb_mgm
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import output as ndb_output  # noqa: E402

ROOT_FILE = os.path.join(harness.ROOT, '.build', 'ndb-root')
FS_PASSWORD = 'Parity-Fs.1'
BACKUP_PASSWORD = 'Parity-Backup.2'


def real_bin():
    """The real programs' directory, or None (with the reason) when they are not built here."""
    if not os.path.exists(ROOT_FILE):
        return None, '%s does not exist: build the real NDB programs with scripts/build-ndb.sh' % ROOT_FILE
    with open(ROOT_FILE) as f:
        path = os.path.join(f.read().strip(), 'bin')
    missing = [p for p in ('ndb_mgmd', 'ndbmtd', 'ndb_mgm', 'ndbxfrm', 'ndb_restore', 'ndbinfo_select_all')
               if not os.access(os.path.join(path, p), os.X_OK)]
    if missing:
        return None, 'real NDB programs missing in %s: %s' % (path, ', '.join(missing))
    return path, None


REAL_BIN, SKIP_REASON = real_bin()
pytestmark = pytest.mark.skipif(REAL_BIN is None, reason=SKIP_REASON or '')


free_port = harness.free_port


class Loopback(object):
    """One ndb_mgmd (node 1, as a daemon: its pid file is what the role reads) and two ndbmtd (nodes 2 and 3, in
    the foreground, each in a session of its own so that teardown ends exactly them) on 127.0.0.1."""

    def __init__(self, kind, base, bindir):
        self.kind, self.base, self.bindir = kind, str(base), bindir
        self.port = free_port()
        self.connectstring = '127.0.0.1:%d' % self.port
        self.mgmd_dir = os.path.join(self.base, 'mgm')
        self.config = os.path.join(self.mgmd_dir, 'config.ini')
        self.data_dirs = dict((i, os.path.join(self.base, 'data%d' % i)) for i in (2, 3))
        self.procs = []
        self.mgmd_pids = set()
        for d in [self.mgmd_dir, os.path.join(self.mgmd_dir, 'cache')] + list(self.data_dirs.values()):
            os.makedirs(d, exist_ok=True)
        with open(self.config, 'w') as f:
            f.write('[DB default]\nNoOfReplicas=2\nEncryptedFileSystem=1\nRequireEncryptedBackup=0\n'
                    'DataMemory=48M\nSharedGlobalMemory=32M\nRedoBuffer=8M\nFragmentLogFileSize=16M\n'
                    'NoOfFragmentLogFiles=4\nLockPagesInMainMemory=0\n\n'
                    '[MGM]\nNodeId=1\nHostName=127.0.0.1\nPortNumber=%d\nDataDir=%s\n' % (self.port, self.mgmd_dir))
            for i, d in sorted(self.data_dirs.items()):
                f.write('\n[DB]\nNodeId=%d\nHostName=127.0.0.1\nDataDir=%s\n' % (i, d))
            for i in (50, 51, 52):
                f.write('\n[API]\nNodeId=%d\nHostName=127.0.0.1\n' % i)

    def env(self):
        env = dict(os.environ)
        env.update({'NDBSIM_STATE': os.path.join(self.base, 'ndbsim'), 'NDBSIM_START_DELAY': '0.3',
                    'HOME': self.base, 'PATH': harness.VENV_BIN + os.pathsep + env.get('PATH', '')})
        return env

    def run(self, argv, stdin=None, timeout=120):
        proc = subprocess.run([os.path.join(self.bindir, argv[0])] + list(argv[1:]), input=stdin, env=self.env(),
                              capture_output=True, text=True, timeout=timeout, check=False, cwd=self.base)
        return proc.returncode, proc.stdout + proc.stderr

    def mgm(self, *args, **kw):
        retries = kw.pop('retries', 0)
        argv = ndb_mgm.command('ndb_mgm', self.connectstring, None, retries)
        return self.run(argv + list(args), **kw)

    def mgmd_argv(self, *flags):
        return ['ndb_mgmd', '--config-file=%s' % self.config, '--configdir=%s' % os.path.join(self.mgmd_dir, 'cache'),
                '--ndb-nodeid=1'] + list(flags)

    def mgmd_pid(self, wait=0):
        """The pid in ndb_mgmd's pid file; with wait, up to that many seconds for the daemon to write it (the parent
        exits before the child has)."""
        deadline = time.time() + wait
        while True:
            try:
                with open(os.path.join(self.mgmd_dir, 'ndb_1.pid')) as f:
                    pid = int(f.read().strip())
                if os.path.exists('/proc/%d' % pid):
                    return pid
            except (IOError, OSError, ValueError):
                pass
            if time.time() >= deadline:
                return None
            time.sleep(0.1)

    def started_mgmd(self):
        pid = self.mgmd_pid(wait=10)
        if pid:
            self.mgmd_pids.add(pid)
        return pid

    def start(self):
        rc, out = self.run(self.mgmd_argv('--initial'))
        assert rc == 0, out
        self.started_mgmd()
        for i, d in sorted(self.data_dirs.items()):
            log = open(os.path.join(d, 'ndbmtd.out'), 'w')
            proc = subprocess.Popen([os.path.join(self.bindir, 'ndbmtd'), '--ndb-nodeid=%d' % i,
                                     '--ndb-connectstring=%s' % self.connectstring, '--nodaemon', '--initial',
                                     '--filesystem-password-from-stdin'], stdin=subprocess.PIPE, stdout=log,
                                    stderr=subprocess.STDOUT, env=self.env(), cwd=d, start_new_session=True)
            proc.stdin.write(('%s\n' % FS_PASSWORD).encode())
            proc.stdin.close()
            self.procs.append(proc)
        self.wait_status(['started', 'started'], 240)

    def status(self):
        rc, out = self.mgm('-e', 'all status')
        try:
            return ndb_output.parse_status(out)
        except Exception:
            return {}

    def wait_status(self, wanted, timeout):
        deadline = time.time() + timeout
        states = None
        while time.time() < deadline:
            states = [s['status'] for dummy, s in sorted(self.status().items())]
            if states == wanted:
                return
            if any(p.poll() is not None for p in self.procs):
                break
            time.sleep(1)
        raise AssertionError('%s cluster: data nodes %s, wanted %s' % (self.kind, states, wanted))

    def stop(self):
        """Ends what this test started, by process (group) id: the ndbmtd sessions and the ndb_mgmd daemons."""
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass
            proc.wait(timeout=30)
        for pid in self.mgmd_pids | set([self.mgmd_pid()]):
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


def backup_files(cluster, backup_id):
    files = []
    for node, d in sorted(cluster.data_dirs.items()):
        files += sorted(glob.glob(os.path.join(d, 'BACKUP', 'BACKUP-%d' % backup_id, '*')))
    return files


def xfrm(cluster, path):
    rc, out = cluster.run(['ndbxfrm', '-i', path])
    return rc, ndb_output.parse_ndbxfrm_info(out)['encryption'] if rc == 0 else None


def start_backup(cluster, run):
    argv = ndb_mgm.command('ndb_mgm', cluster.connectstring, None, 0) + run['args']
    rc, out = cluster.run(argv, stdin=run['stdin'])
    parsed = ndb_output.parse_backup_output(ndb_backup.redact(out, BACKUP_PASSWORD))
    files = backup_files(cluster, parsed['backup_id']) if parsed['backup_id'] else []
    return {'rc': rc, 'warning': parsed['unencrypted_warning'], 'completed': parsed['completed'],
            'id': parsed['backup_id'] is not None, 'error': parsed['error'] is not None,
            'problems': bool(ndb_backup.backup_run_problems(parsed, rc, bool(run['stdin']),
                                                            interactive=run['interactive'])),
            'files': len(files), 'encrypted': sorted(set(xfrm(cluster, f)[1] for f in files)),
            'backup_id': parsed['backup_id'], 'output': out}


def observe(cluster):
    """Everything compared, in one pass (about a minute against the real programs)."""
    seen, raw = {}, {}
    cluster.start()

    rc, out = cluster.mgm('-e', 'show')
    raw['show'] = out
    seen['show'] = (rc, [(n['id'], n['type'], n['connected'], n['nodegroup'], n['state'], n['master'])
                         for n in ndb_output.parse_show(out)])
    rc, out = cluster.mgm('-e', 'all status')
    raw['all status'] = out
    seen['all status'] = (rc, dict((i, s['status']) for i, s in ndb_output.parse_status(out).items()))

    # A port nothing listens on: one attempt gives up at once with the connect error; 0 attempts retry forever.
    dead = '127.0.0.1:%d' % free_port()
    start = time.time()
    rc, out = cluster.run(ndb_mgm.command('ndb_mgm', dead, None, 0) + ['-e', 'show'], timeout=30)
    raw['unreachable'] = out
    seen['unreachable'] = (rc, ndb_output.connect_error(out) is not None, time.time() - start < 10)
    proc = subprocess.Popen([os.path.join(cluster.bindir, 'ndb_mgm'), '--ndb-connectstring=%s' % dead,
                             '--connect-retries=0', '--connect-retry-delay=1', '-e', 'show'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=cluster.env(),
                            start_new_session=True)
    time.sleep(3)
    seen['connect-retries=0 still waiting after 3 s'] = proc.poll() is None
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

    rc, out = cluster.run(['ndbinfo_select_all', '--ndb-connectstring=%s' % cluster.connectstring,
                           '--connect-retries=2', '--connect-retry-delay=1', 'config_values'])
    raw['ndbinfo_select_all'] = out[:400]
    seen['ndbinfo_select_all'] = (rc, ndb_output.active_encryption(out))
    rc, out = cluster.run(['ndbinfo_select_all', '--ndb-connectstring=%s' % cluster.connectstring,
                           '--connect-retries=2', 'no_such_table'])
    raw['ndbinfo_select_all no_such_table'] = out
    seen['ndbinfo_select_all no_such_table'] = (rc, ndb_output.active_encryption(out)['error'] is not None)

    fs = os.path.join(cluster.data_dirs[2], 'ndb_2_fs')
    seen['ndbxfrm secrets file'] = xfrm(cluster, os.path.join(fs, 'D1', 'NDBCNTR', 'S0.sysfile'))
    redo = sorted(glob.glob(os.path.join(fs, 'D8', 'DBLQH', 'S*.FragLog')))[:1]
    seen['ndbxfrm redo log'] = xfrm(cluster, redo[0]) if redo else 'no D8/DBLQH/S*.FragLog'
    rc, out = cluster.run(['ndbxfrm', '-i', os.path.join(fs, 'D1', 'NDBCNTR', 'S0.sysfile')])
    raw['ndbxfrm -i'] = out

    # START BACKUP: each form the role builds, the misordered one of issue 27, and no password.
    backups = {}
    for name, run in (('password_stdin', ndb_backup.backup_invocation(BACKUP_PASSWORD, 'password_stdin', 11)),
                      ('command_stdin', ndb_backup.backup_invocation(BACKUP_PASSWORD, 'command_stdin', 12)),
                      ('misordered ENCRYPT WAIT COMPLETED', {
                          'args': ['--backup-password-from-stdin', '-e', 'START BACKUP 13 ENCRYPT WAIT COMPLETED'],
                          'stdin': BACKUP_PASSWORD + '\n', 'interactive': False}),
                      ('unencrypted', ndb_backup.backup_invocation('', 'password_stdin', 14)),
                      ('bad quotes on stdin', {'args': [], 'interactive': True,
                                               'stdin': 'START BACKUP 15 ENCRYPT PASSWORD=%s\nexit\n' % BACKUP_PASSWORD})):
        result = start_backup(cluster, run)
        raw['backup ' + name] = ndb_backup.redact(result.pop('output'), BACKUP_PASSWORD)
        backups[name] = result
        seen['backup ' + name] = dict((k, v) for k, v in result.items() if k != 'backup_id')

    # ndb_restore of node 2's part of the encrypted backup 11: without --decrypt, a wrong and the right password.
    path = os.path.join(cluster.data_dirs[2], 'BACKUP', 'BACKUP-11')
    base = ['ndb_restore', '--ndb-connectstring=%s' % cluster.connectstring, '--nodeid=2', '--backupid=11',
            '--backup-path=%s' % path]
    for name, extra, stdin in (('no password', [], None),
                               ('wrong password', ['--decrypt', '--backup-password-from-stdin'], 'Wrong-Pw.3\n'),
                               ('right password', ['--decrypt', '--backup-password-from-stdin'], BACKUP_PASSWORD + '\n')):
        rc, out = cluster.run(base + extra, stdin=stdin)
        raw['ndb_restore ' + name] = out[-600:]
        seen['ndb_restore ' + name] = rc == 0

    # STOP: two data nodes in one command; a data node may stop while its node group keeps the other; then the last
    # one of the group may not.
    rc, out = cluster.mgm('-e', '2 3 stop')
    raw['2 3 stop'] = out
    parsed = ndb_output.parse_stop_output(out)
    seen['2 3 stop'] = (rc, parsed['stopped'], parsed['error'])
    rc, out = cluster.mgm('-e', '3 stop')
    raw['3 stop'] = out
    parsed = ndb_output.parse_stop_output(out)
    seen['3 stop'] = (rc, parsed['stopped'], parsed['error'] is not None)
    rc, out = cluster.mgm('-e', '2 stop')
    raw['2 stop (last of its node group)'] = out
    parsed = ndb_output.parse_stop_output(out)
    seen['2 stop (last of its node group)'] = (rc, parsed['stopped'], parsed['error'] is not None)

    # The management server: `1 stop` answers before the process has gone, so an immediate --reload finds the
    # port in use; once the old pid (from its pid file) has exited, the start succeeds.
    old = cluster.mgmd_pid(wait=10)
    seen['mgmd pid file'] = old is not None
    rc, out = cluster.mgm('-e', '1 stop')
    raw['1 stop'] = out
    parsed = ndb_output.parse_stop_output(out)
    seen['1 stop'] = (rc, parsed['stopped'], parsed['disconnected'])
    rc, out = cluster.run(cluster.mgmd_argv('--reload'))
    raw['--reload at once'] = out
    seen['--reload at once'] = (rc, "error: 98 'Address already in use'" in out)
    deadline = time.time() + 60
    while old and os.path.exists('/proc/%d' % old) and time.time() < deadline:
        time.sleep(0.2)
    seen['old mgmd gone within 60 s'] = not (old and os.path.exists('/proc/%d' % old))
    rc, out = cluster.run(cluster.mgmd_argv('--reload'))
    cluster.started_mgmd()
    raw['--reload after exit'] = out
    seen['--reload after exit'] = rc
    return seen, raw


@pytest.fixture(scope='module')
def observed(tmp_path_factory):
    out = {}
    for kind, bindir in (('real', REAL_BIN), ('simulator', harness.SIM_BIN)):
        cluster = Loopback(kind, tmp_path_factory.mktemp('parity-%s' % kind), bindir)
        try:
            out[kind] = observe(cluster)
        finally:
            cluster.stop()
    with open(os.path.join(str(tmp_path_factory.getbasetemp()), 'parity-raw.txt'), 'w') as f:
        for kind in out:
            for key, text in out[kind][1].items():
                f.write('===== %s: %s =====\n%s\n' % (kind, key, text))
    return out


KEYS = ['show', 'all status', 'unreachable', 'connect-retries=0 still waiting after 3 s', 'ndbinfo_select_all',
        'ndbinfo_select_all no_such_table', 'ndbxfrm secrets file', 'ndbxfrm redo log',
        'backup password_stdin', 'backup command_stdin', 'backup misordered ENCRYPT WAIT COMPLETED',
        'backup unencrypted', 'backup bad quotes on stdin', 'ndb_restore no password', 'ndb_restore wrong password',
        'ndb_restore right password', '2 3 stop', '3 stop', '2 stop (last of its node group)', 'mgmd pid file', '1 stop',
        '--reload at once', 'old mgmd gone within 60 s', '--reload after exit']


@pytest.mark.parametrize('key', KEYS)
def test_simulator_answers_as_the_real_programs(observed, key):
    real, sim = observed['real'][0].get(key), observed['simulator'][0].get(key)
    assert sim == real, '%s\nreal: %r\n%s\nsimulator: %r\n%s' % (
        key, real, observed['real'][1].get(key, ''), sim, observed['simulator'][1].get(key, ''))


def test_real_programs_show_what_the_role_relies_on(observed):
    """The facts of issue 27 themselves, on the real programs (so that a parity pass is not parity of two wrongs)."""
    real = observed['real'][0]
    assert real['backup misordered ENCRYPT WAIT COMPLETED']['warning'] is True
    assert real['backup misordered ENCRYPT WAIT COMPLETED']['rc'] == 0
    assert real['backup misordered ENCRYPT WAIT COMPLETED']['encrypted'] == [False]
    for mode in ('password_stdin', 'command_stdin'):
        assert real['backup ' + mode]['encrypted'] == [True] and not real['backup ' + mode]['problems'], mode
    assert real['backup bad quotes on stdin']['rc'] == 0 and real['backup bad quotes on stdin']['problems']
    assert real['connect-retries=0 still waiting after 3 s'] is True
    assert real['unreachable'][0] != 0 and real['unreachable'][1]
    assert real['--reload at once'][0] != 0 and real['--reload at once'][1] and real['--reload after exit'] == 0
    assert real['ndbinfo_select_all'][1] == {'values': {2: 1, 3: 1}, 'error': None}
    assert real['ndb_restore right password'] and not real['ndb_restore wrong password']
