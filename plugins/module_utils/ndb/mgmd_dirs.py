# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The management server's own directories (issue 28 row 8): ndb_mgmd runs as root and writes its logs, pid file and
configuration cache there, and root writes config.ini there. None of them may be a data node's directory (the data
user owns it) or lie inside one, nor be a directory that an account other than root can change: that account could
plant a symbolic link where root writes, or rewrite config.ini (EncryptedFileSystem=0 at the next reload).

Moving the configuration directory (--configdir) of a running cluster: ndb_mgmd started with an empty configdir and
config.ini does not use --reload; it takes config.ini as an initial configuration (generation 0), and a second
management server still running with the confirmed one makes it exit ("started --initial with a config which is _not_
equal"; ConfigManager.cpp). With the newest ndb_<id>_config.bin.<generation> of the old configdir copied into the new
one first, it starts from the confirmed configuration and --reload applies config.ini as any change would be. The copy
reads the old file without following a symlink, only a regular file root owns with one link, and writes it with
safe_files into the new (root's) directory.

Plain functions, no Ansible imports.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import stat

from ansible_collections.clustersec.mysql.plugins.module_utils._common import safe_files

CACHE_NAME = re.compile(r'^ndb_(\d+)_config\.bin\.(\d+)$')
_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)


def _norm(path):
    return os.path.normpath(path) if path else path


def inside(path, top):
    """Whether path is top or lies inside it (by path components: /a/b-c is not inside /a/b)."""
    path, top = _norm(path), _norm(top)
    return path == top or path.startswith(top.rstrip('/') + '/')


def layout_problems(paths, data_directories):
    """Management paths that are not absolute, or are a data node's directory or inside one.

    paths: (variable name, directory) pairs; data_directories: the DataDir of every data node on this host."""
    problems = []
    datadirs = [_norm(d) for d in data_directories or [] if d]
    for name, path in paths:
        if not path or not os.path.isabs(path):
            problems.append('%s must be an absolute path, not %r' % (name, path))
            continue
        for datadir in datadirs:
            if inside(path, datadir):
                problems.append(
                    '%s (%s) is %s the data node directory %s, which the data user owns: ndb_mgmd runs as root and '
                    'writes its logs, pid file and configuration cache there, and root writes config.ini; give the '
                    'management server a root-owned directory of its own (default /var/lib/mysql-cluster-mgm)'
                    % (name, path, 'the same as' if _norm(path) == datadir else 'inside', datadir))
                break
    return problems


def _existing_ancestor(path):
    parent = os.path.dirname(path)
    while not os.path.lexists(parent) and parent != os.path.dirname(parent):
        parent = os.path.dirname(parent)
    return parent


def _above_problem(directory):
    """Why root must not make a directory in directory: it, or one above it, can be changed by another account (a
    sticky bit, as on /tmp, is enough there: root makes the new directory itself, and no other account can rename
    it away)."""
    current = os.path.realpath(directory)
    while True:
        why = safe_files._others_can_write(os.lstat(current), sticky_ok=True)  # pylint: disable=protected-access
        if why:
            return '%s is %s' % (current, why)
        if current == os.path.dirname(current):
            return None
        current = os.path.dirname(current)


def directory_problems(paths):
    """Why root must not write in these directories (safe_files.directory_problem), one sentence each. A directory
    that does not exist yet is judged by the nearest existing directory above it, where root would make it."""
    problems = []
    seen = set()
    for name, path in paths:
        if not path or not os.path.isabs(path) or _norm(path) in seen:
            continue
        seen.add(_norm(path))
        if os.path.lexists(path):
            why = safe_files.directory_problem(path)
        else:
            above = _existing_ancestor(_norm(path))
            why = _above_problem(above)
            if why:
                why = '%s does not exist and would be made in %s, but %s' % (path, above, why)
        if why:
            problems.append('%s: %s; another account could plant symbolic links where ndb_mgmd and root write, or '
                            'replace config.ini (make it root:root 0750 and not writable by any other account)'
                            % (name, why))
    return problems


def file_problem(name, path):
    """Why root must not rewrite or ndb_mgmd read the existing file path (None when it is a regular file of root's
    with one link, or missing)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return '%s (%s): %s' % (name, path, exc.strerror)
    if stat.S_ISLNK(st.st_mode):
        return '%s (%s) is a symbolic link' % (name, path)
    if not stat.S_ISREG(st.st_mode):
        return '%s (%s) is not a regular file' % (name, path)
    if st.st_uid != 0:
        return '%s (%s) is owned by uid %d, not root' % (name, path, st.st_uid)
    if st.st_nlink != 1:
        return '%s (%s) has %d hard links' % (name, path, st.st_nlink)
    return None


def cache_files(directory, node_id):
    """generation -> file name of node_id's binary configurations in directory (empty when it cannot be read)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return {}
    out = {}
    for name in names:
        m = CACHE_NAME.match(name)
        if m and int(m.group(1)) == int(node_id):
            out[int(m.group(2))] = name
    return out


def cache_source(configdir, node_id, old_configdirs):
    """The newest binary configuration of node_id in the first of old_configdirs that has one, when configdir has
    none (the configuration directory moved); None otherwise."""
    if cache_files(configdir, node_id):
        return None
    for old in old_configdirs or []:
        if not old or _norm(old) == _norm(configdir):
            continue
        files = cache_files(old, node_id)
        if files:
            return os.path.join(old, files[max(files)])
    return None


def _read_root_file(path):
    """The bytes of path: opened without following a symlink, a regular file owned by root with one link."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | _CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != 0 or st.st_nlink != 1:
            raise safe_files.UnsafePath('refusing to copy %s: not a regular file of root with one link (owner uid %d, '
                                        '%d links)' % (path, st.st_uid, st.st_nlink))
        with os.fdopen(os.dup(fd), 'rb') as f:
            return f.read()
    finally:
        os.close(fd)


def copy_cache(source, configdir, mode=0o600):
    """Copy the binary configuration source into configdir (a directory only root can change); returns the new path."""
    data = _read_root_file(source)
    dest = os.path.join(configdir, os.path.basename(source))
    safe_files.write_file(dest, data, mode, 0, 0)
    return dest
