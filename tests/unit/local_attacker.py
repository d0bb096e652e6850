# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An unprivileged local account (nobody) attacking root's file writes on local files, for the tests of issue 28:
a symlink planted in a directory that account owns, a temporary file swapped for a symlink between its creation
and its chown (at a pause injected into the code under test, or by a loop racing it), a line appended to a log.

The tests run as root; the attacker is a forked child that drops to nobody, so it has only nobody's rights."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import grp
import os
import pwd
import signal
import stat
import tempfile
import time

NOBODY = pwd.getpwnam('nobody')
NOGROUP = grp.getgrgid(NOBODY.pw_gid).gr_name
SECRET = b'root-only text of a file the attacker wants\n'


def as_nobody(func, *args):
    """Run func(*args) in a child running as nobody; True when it returned without raising."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            if os.geteuid() != NOBODY.pw_uid:
                os.setgroups([])
                os.setgid(NOBODY.pw_gid)
                os.setuid(NOBODY.pw_uid)
            func(*args)
            code = 0
        except BaseException:  # pylint: disable=broad-except
            pass
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


@contextlib.contextmanager
def base_dir():
    """A root-owned 0755 directory below /tmp (pytest's own temporary directory is 0700: nobody could not reach
    anything in it)."""
    path = tempfile.mkdtemp(prefix='clustersec-attack-', dir='/tmp')
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        for dirpath, dirnames, filenames in os.walk(path, topdown=False):
            for name in filenames + dirnames:
                full = os.path.join(dirpath, name)
                if os.path.isdir(full) and not os.path.islink(full):
                    os.rmdir(full)
                else:
                    os.unlink(full)
        os.rmdir(path)


def nobody_dir(parent, name, mode=0o750):
    """A directory nobody owns (as mysql owns the data directory)."""
    path = os.path.join(parent, name)
    os.mkdir(path)
    os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid)
    os.chmod(path, mode)
    return path


def victim(parent, name='victim'):
    """A root-owned 0600 file the attacker must never get: its owner, mode and content are checked afterwards."""
    path = os.path.join(parent, name)
    with open(path, 'wb') as f:
        f.write(SECRET)
    os.chmod(path, 0o600)
    return path


def untouched(path):
    """The victim's state is what victim() made (owner root, 0600, its text); else what changed."""
    st = os.lstat(path)
    with open(path, 'rb') as f:
        data = f.read()
    return (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), data) == (0, 0, 0o600, SECRET) or \
        'uid %d gid %d mode %o content %r' % (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), data[:60])


def swap_for_symlink(path, target):
    """What the attacker does to a file in its directory: replace it by a symlink to target."""
    os.unlink(path)
    os.symlink(target, path)


def plant(path, target):
    """A symlink at path (in nobody's directory) to target, made by nobody."""
    assert as_nobody(os.symlink, target, path)


@contextlib.contextmanager
def pause_at_fsync(monkeypatch, directory, target):
    """The deterministic attack: the first os.fsync of a file in directory (the code under test syncing its new
    temporary file, after creating and before chowning it, in the old code and in the new) pauses while nobody swaps
    that file for a symlink to target. Yields a dict whose 'swapped' tells whether the swap succeeded."""
    real = os.fsync
    seen = {'swapped': None}

    def fsync(fd):
        try:
            path = os.readlink('/proc/self/fd/%d' % fd)
        except OSError:
            path = ''
        if seen['swapped'] is None and os.path.dirname(path) == directory and os.path.isfile(path):
            seen['swapped'] = as_nobody(swap_for_symlink, path, target)
        return real(fd)

    monkeypatch.setattr(os, 'fsync', fsync)
    yield seen


def _race_forever(directory, target, names, chmod):
    if chmod is not None:
        os.chmod(directory, chmod)  # the directory's owner may always make it writable again
    while True:
        try:
            entries = os.listdir(directory)
        except OSError:
            entries = []
        for name in entries:
            path = os.path.join(directory, name)
            if any(name.startswith(n) for n in names) and not os.path.islink(path):
                try:
                    swap_for_symlink(path, target)
                except OSError:
                    pass


@contextlib.contextmanager
def racing(directory, target, names=('.',), chmod=None):
    """The loop variant: nobody swaps every file of directory whose name starts with one of names for a symlink to
    target, as fast as it can, while the body runs (chmod: the mode it first gives the directory it owns)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.setgroups([])
            os.setgid(NOBODY.pw_gid)
            os.setuid(NOBODY.pw_uid)
            _race_forever(directory, target, names, chmod)
        finally:
            os._exit(0)
    try:
        time.sleep(0.05)
        yield pid
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
