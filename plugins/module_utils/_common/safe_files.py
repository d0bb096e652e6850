# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing files as root on a node where another account (the database server's) may be hostile.

The rule (docs/hardening.md): root never follows a path that another account controls.
- Where root writes (key and certificate directories, root:<server group> 0750), the directory must not be a
  symbolic link, nor be writable or renamable by any account but root: then no other account can put a symlink or
  swap a file in it. A file is made there under a random name with O_CREAT|O_EXCL|O_NOFOLLOW, written, synced, given
  its owner and mode through its descriptor (fchown/fchmod), and renamed over the destination (a rename replaces a
  symlink there instead of following it).
- A file that must live in a directory the server user owns (grastate.dat, dhparams.pem in the data directory) is
  written the same way by a child process running as that user, so root never opens a path there.

Plain functions, no Ansible imports.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import binascii
import grp
import os
import pwd
import shutil
import stat
import subprocess
import tempfile

PREFIX = '.clustersec-'
_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)


class UnsafePath(OSError):
    """A path root must not write through, or a write that did not end as it should (an OSError, so that callers
    that report file errors report it too)."""


def ids(owner=None, group=None):
    """uid and gid of account names (-1 for None or ''); numbers are taken as they are."""
    uid = gid = -1
    if owner not in (None, ''):
        uid = owner if isinstance(owner, int) else pwd.getpwnam(owner).pw_uid
    if group not in (None, ''):
        gid = group if isinstance(group, int) else grp.getgrnam(group).gr_gid
    return uid, gid


def _trusted_uids():
    return (0, os.geteuid())


def _others_can_write(st, sticky_ok):
    """Whether an account other than root (or the running user) can create, remove or rename entries in a
    directory of this stat: it owns it, or its group or everyone may write (a sticky bit keeps others from
    renaming what they do not own: enough for a directory above, not for the one written into)."""
    if st.st_uid not in _trusted_uids():
        return 'owned by uid %d' % st.st_uid
    if st.st_mode & stat.S_IWOTH and not (sticky_ok and st.st_mode & stat.S_ISVTX):
        return 'writable by every account (mode %04o)' % stat.S_IMODE(st.st_mode)
    if st.st_mode & stat.S_IWGRP and st.st_gid not in (0, os.getegid()) and not (sticky_ok and st.st_mode & stat.S_ISVTX):
        return 'writable by group %d (mode %04o)' % (st.st_gid, stat.S_IMODE(st.st_mode))
    return None


def directory_problem(path):
    """Why root must not make files in the directory path (None when it may): it is a symbolic link or no
    directory, or it, or a directory above it (which could rename it away), can be changed by another account."""
    path = os.path.abspath(path)
    try:
        st = os.lstat(path)
    except OSError as exc:
        return '%s: %s' % (path, exc.strerror)
    if stat.S_ISLNK(st.st_mode):
        return '%s is a symbolic link' % path
    if not stat.S_ISDIR(st.st_mode):
        return '%s is not a directory' % path
    why = _others_can_write(st, sticky_ok=False)
    if why:
        return '%s is %s' % (path, why)
    # Directories above, as they really are (root's own symlinks such as /var/run resolved).
    parent = os.path.realpath(os.path.dirname(path))
    while True:
        why = _others_can_write(os.lstat(parent), sticky_ok=True)
        if why:
            return '%s is in %s, which is %s' % (path, parent, why)
        if parent == os.path.dirname(parent):
            return None
        parent = os.path.dirname(parent)


def _random_name(name):
    return '%s%s.%s' % (PREFIX, name, binascii.hexlify(os.urandom(6)).decode('ascii'))


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_at(dir_fd, name, data, mode, uid, gid):
    """Put data at name in the open directory dir_fd: a new file (O_EXCL|O_NOFOLLOW) written and synced, owner and
    mode set by descriptor, renamed over name. Afterwards name must be that very file (a swapped temporary name
    would have put another file there)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC
    for dummy in range(100):
        tmp = _random_name(name)
        try:
            fd = os.open(tmp, flags, 0o600, dir_fd=dir_fd)
            break
        except FileExistsError:
            continue
    else:
        raise UnsafePath('%s: no free temporary name' % name)
    try:
        _write_all(fd, data)
        os.fsync(fd)
        if uid != -1 or gid != -1:
            os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        made = os.fstat(fd)
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        now = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if (now.st_dev, now.st_ino) != (made.st_dev, made.st_ino):
            raise UnsafePath('%s: the temporary file was replaced before the rename (another account writes in this '
                             'directory)' % name)
        os.fsync(dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise
    finally:
        os.close(fd)


def _open_dir(path):
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC)


def _checked_dir(path):
    """An open descriptor of the directory path, after directory_problem found nothing and the descriptor is that
    directory (no swap between the check and the open)."""
    why = directory_problem(path)
    if why:
        raise UnsafePath('refusing to write as root: %s' % why)
    dir_fd = _open_dir(path)
    st, now = os.fstat(dir_fd), os.lstat(path)
    if (st.st_dev, st.st_ino) != (now.st_dev, now.st_ino) or _others_can_write(st, sticky_ok=False):
        os.close(dir_fd)
        raise UnsafePath('refusing to write as root: %s changed while it was checked' % path)
    return dir_fd


def write_file(path, data, mode=0o600, uid=-1, gid=-1):
    """Write data to path as the running user (root), in a directory no other account can change."""
    dir_fd = _checked_dir(os.path.dirname(os.path.abspath(path)))
    try:
        _write_at(dir_fd, os.path.basename(path), data, mode, uid, gid)
    finally:
        os.close(dir_fd)


def run_as(user, func, *args):
    """func(*args) in a child process running as user (its primary and supplementary groups): what it opens, it
    opens with that user's rights only. Raises UnsafePath with the child's error."""
    pw = pwd.getpwnam(user) if not isinstance(user, int) else pwd.getpwuid(user)
    if os.geteuid() == pw.pw_uid:
        func(*args)
        return
    if os.geteuid() != 0:
        raise UnsafePath('cannot act as %s: not running as root' % pw.pw_name)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (its outcome is checked through the pipe)
        code = 1
        try:
            os.close(rfd)
            os.setgroups(os.getgrouplist(pw.pw_name, pw.pw_gid))
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            func(*args)
            code = 0
        except BaseException as exc:  # pylint: disable=broad-except
            try:
                os.write(wfd, ('%s' % exc).encode('utf-8', 'replace')[:4000])
            except BaseException:  # pylint: disable=broad-except
                pass
        finally:
            os._exit(code)
    os.close(wfd)
    chunks = []
    while True:
        chunk = os.read(rfd, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(rfd)
    dummy, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        raise UnsafePath('as %s: %s' % (pw.pw_name, b''.join(chunks).decode('utf-8', 'replace') or 'status %d' % status))


def _write_here(path, data, mode, gid):
    dir_fd = _open_dir(os.path.dirname(os.path.abspath(path)))
    try:
        _write_at(dir_fd, os.path.basename(path), data, mode, -1, gid)
    finally:
        os.close(dir_fd)


def write_as(user, path, data, mode=0o600, gid=-1):
    """Write data to path by a process running as user (the file is that user's; gid, when given, one of its
    groups): for files in a directory that user owns, where root must not open anything."""
    run_as(user, _write_here, path, data, mode, gid)


def _attributes_here(path, mode, uid, gid, kind):
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | _CLOEXEC)
    try:
        st = os.fstat(fd)
        if stat.S_IFMT(st.st_mode) != kind:
            raise UnsafePath('%s is not a %s' % (path, 'directory' if kind == stat.S_IFDIR else 'regular file'))
        if uid != -1 or gid != -1:
            os.fchown(fd, uid, gid)
        if mode is not None:
            os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _owning_user(directory, uid):
    """The account to act as in directory: None for root (a directory only root can change), the directory's
    owner where that is the file's owner uid; else UnsafePath."""
    why = directory_problem(directory)
    if not why:
        return None
    st = os.lstat(directory)
    if not stat.S_ISLNK(st.st_mode) and stat.S_ISDIR(st.st_mode) and st.st_uid not in _trusted_uids() \
            and uid in (-1, st.st_uid):
        return st.st_uid
    raise UnsafePath('refusing to write as root: %s' % why)


def put(path, data, mode=0o600, uid=-1, gid=-1):
    """Write data to path with mode, owner and group: as root in a directory only root can change, as the
    directory's owner where that account owns the directory and is to own the file; anything else is refused."""
    directory = os.path.dirname(os.path.abspath(path))
    user = _owning_user(directory, uid)
    if user is None:
        write_file(path, data, mode, uid, gid)
    else:
        write_as(user, path, data, mode, gid)


def set_attributes(path, mode=None, uid=-1, gid=-1, directory=False):
    """Mode, owner and group of an existing file (or directory) through a descriptor opened without following a
    symlink, by the same account put would write it as."""
    kind = stat.S_IFDIR if directory else stat.S_IFREG
    user = _owning_user(os.path.dirname(os.path.abspath(path)), uid)
    if user is None:
        _attributes_here(path, mode, uid, gid, kind)
    else:
        run_as(user, _attributes_here, path, mode, -1, gid, kind)


def make_directory(path, mode=0o755, uid=-1, gid=-1):
    """Make the directory path (and missing parents, root-only) with mode, owner and group, set by descriptor."""
    path = os.path.abspath(path)
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        os.makedirs(parent, 0o700)
    user = _owning_user(parent, uid)
    if user is None:
        os.mkdir(path, 0o700)
        _attributes_here(path, mode, uid, gid, stat.S_IFDIR)
    else:
        run_as(user, _make_here, path, mode, gid)


def write_in_root_directory(path, data, mode=0o644, uid=0, gid=0, create=True):
    """Write data to path in a directory only root may change, whose parents may be another account's (Debian's
    /var/lib/prometheus belongs to the prometheus user). The file is made through a descriptor of that directory
    opened without following a symlink, so whatever the parent's owner renames, root writes where no other account
    can. Missing directories are made root 0755 (when create) and opened the same way."""
    directory = os.path.dirname(os.path.abspath(path))
    if create:
        missing = []
        walk = directory
        while not os.path.lexists(walk):
            missing.append(walk)
            walk = os.path.dirname(walk)
        for new in reversed(missing):
            os.mkdir(new, 0o700)
            _attributes_here(new, 0o755, 0, 0, stat.S_IFDIR)
    dir_fd = _open_dir(directory)
    try:
        why = _others_can_write(os.fstat(dir_fd), sticky_ok=False)
        if why:
            raise UnsafePath('refusing to write as root: %s is %s' % (directory, why))
        _write_at(dir_fd, os.path.basename(path), data, mode, uid, gid)
    finally:
        os.close(dir_fd)


def _make_here(path, mode, gid):
    os.mkdir(path, 0o700)
    _attributes_here(path, mode, -1, gid, stat.S_IFDIR)


def read_file(path):
    """The bytes of a regular file, not following a symlink at path (None where missing, a symlink or no file)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | _CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b''.join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


def run_logged(argv, prefix=PREFIX):
    """Run argv with its standard error going to a file in a new private directory (mkdtemp: 0700, the running
    user's), opened here: the command never opens a path, and no other account can read, append to or replace what
    it writes. Returns (rc, stdout, what it wrote to standard error); the directory is removed."""
    directory = tempfile.mkdtemp(prefix=prefix)
    try:
        path = os.path.join(directory, 'stderr.log')
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC, 0o600)
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=fd, close_fds=True)
        finally:
            os.close(fd)
        out = proc.communicate()[0]
        text = read_file(path) or b''
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return proc.returncode, out.decode('utf-8', 'replace'), text.decode('utf-8', 'replace')
