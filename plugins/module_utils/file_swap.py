# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put prepared files in place: only where the content differs, each by one atomic rename, with its mode and owner
set before the rename so no reader sees a half-written or wrongly owned file."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import grp
import os
import pwd
import tempfile


class SwapError(Exception):
    pass


def _read(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except IOError:
        return None


def wanted(entry):
    """The bytes entry ({content} or {src}, dest, ...) should put at dest; a missing src is an error."""
    if entry.get('content') is not None:
        return entry['content'].encode('utf-8')
    data = _read(entry.get('src') or '')
    if data is None:
        raise SwapError('%s: cannot read the prepared file' % entry.get('src'))
    return data


def pending(files):
    """The entries of files whose dest differs from what they should hold."""
    return [entry for entry in files if _read(entry['dest']) != wanted(entry)]


def _ids(owner, group):
    uid = pwd.getpwnam(owner).pw_uid if owner else -1
    gid = grp.getgrnam(group).gr_gid if group else -1
    return uid, gid


def install(entry):
    """Put what entry should hold over entry['dest'] atomically with its mode (octal string), owner and group; a
    missing parent directory is made root-only."""
    data = wanted(entry)
    uid, gid = _ids(entry.get('owner'), entry.get('group'))
    parent = os.path.dirname(entry['dest']) or '.'
    if not os.path.isdir(parent):
        os.makedirs(parent, 0o700)
    fd, tmp = tempfile.mkstemp(dir=parent, prefix='.clustersec-swap-')
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, int(str(entry.get('mode', '0600')), 8))
        if uid != -1 or gid != -1:
            os.chown(tmp, uid, gid)
        os.rename(tmp, entry['dest'])
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
