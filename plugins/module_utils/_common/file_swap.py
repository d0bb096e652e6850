# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put prepared files in place: only where the content differs, each by one atomic rename, with its mode and owner
set before the rename so no reader sees a half-written or wrongly owned file. Every write, owner and mode goes
through module_utils/_common/safe_files.py: by descriptor, never following a symlink at the destination, and refused in a
directory another account could change (unless that account owns the directory and is to own the file: then that
account writes it)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import os
import stat

from ansible_collections.clustersec.mysql.plugins.module_utils._common import safe_files


# The file set argument spec of node_files and galera_node_state (doc fragment clustersec.mysql.file_set).
FILE_SET_SPEC = dict(
    directories=dict(type='list', elements='dict', default=[], options=dict(
        path=dict(type='path', required=True), mode=dict(type='str', default='0755'),
        owner=dict(type='str'), group=dict(type='str'))),
    files=dict(type='list', elements='dict', default=[], options=dict(
        dest=dict(type='path', required=True), content=dict(type='str', no_log=True),
        content_base64=dict(type='str', no_log=True), src=dict(type='path'), mode=dict(type='str', default='0644'), owner=dict(type='str'),
        group=dict(type='str'), secret=dict(type='bool', default=False))),
)


def set_problems(files):
    """Entries of a file set that give none or more than one of src, content and content_base64."""
    return ['%s: give one of src, content and content_base64' % e['dest'] for e in files
            if sum(e.get(k) is not None for k in ('src', 'content', 'content_base64')) != 1]


def differing(directories, files):
    """Paths of the set whose content, mode, owner or group differ from what they should be, or are missing."""
    out = [d['path'] for d in directories
           if not os.path.isdir(d['path']) or attributes_off(dict(d, dest=d['path']))]
    for entry in files:
        try:
            if pending([entry]) or attributes_off(entry):
                out.append(entry['dest'])
        except (SwapError, KeyError, OSError):
            out.append(entry['dest'])
    return out


def _diff(entry):
    """before/after of a file about to be written; key material shows as a marker."""
    if entry.get('secret'):
        old = new = '(secret)\n'
    else:
        old = (safe_files.read_file(entry['dest']) or b'').decode('utf-8', 'replace')
        new = wanted(entry).decode('utf-8', 'replace')
    return dict(before_header=entry['dest'], after_header=entry['dest'], before=old, after=new)


def apply(directories, files, check_mode=False, want_diff=False):
    """Put a file set in place, changing only what differs: (written, attributes_fixed, diffs). A missing
    directory is made with its mode and owner; a file is written where its content differs and only given its
    mode, owner and group where only those differ. In check mode nothing is touched."""
    written, fixed, diffs = [], [], []
    for directory in directories:
        entry = dict(directory, dest=directory['path'])
        if not os.path.isdir(directory['path']):
            written.append(directory['path'])
            if not check_mode:
                uid, gid = _ids(directory.get('owner'), directory.get('group'))
                safe_files.make_directory(directory['path'], int(str(directory.get('mode') or '0755'), 8), uid, gid)
        elif attributes_off(entry):
            fixed.append(directory['path'])
            if not check_mode:
                set_attributes(entry, directory=True)
    for entry in files:
        if pending([entry]):
            written.append(entry['dest'])
            if want_diff:
                diffs.append(_diff(entry))
            if not check_mode:
                install(entry)
        elif attributes_off(entry):
            fixed.append(entry['dest'])
            if not check_mode:
                set_attributes(entry)
    return written, fixed, diffs


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
    if entry.get('content_base64') is not None:
        return base64.b64decode(entry['content_base64'])
    data = _read(entry.get('src') or '')
    if data is None:
        raise SwapError('%s: cannot read the prepared file' % entry.get('src'))
    return data


def pending(files):
    """The entries of files whose dest differs from what they should hold."""
    return [entry for entry in files if safe_files.read_file(entry['dest']) != wanted(entry)]


def attributes_off(entry):
    """What of mode, owner and group of an existing dest differs from entry (names; empty when all match)."""
    try:
        st = os.lstat(entry['dest'])
    except OSError:
        return ['missing']
    if stat.S_ISLNK(st.st_mode):
        return ['symlink']
    out = []
    if entry.get('mode') is not None and (st.st_mode & 0o7777) != int(str(entry['mode']), 8):
        out.append('mode')
    uid, gid = _ids(entry.get('owner'), entry.get('group'))
    if uid != -1 and st.st_uid != uid:
        out.append('owner')
    if gid != -1 and st.st_gid != gid:
        out.append('group')
    return out


def set_attributes(entry, directory=False):
    """Mode, owner and group of dest as entry says, without rewriting its content (by descriptor)."""
    uid, gid = _ids(entry.get('owner'), entry.get('group'))
    mode = int(str(entry['mode']), 8) if entry.get('mode') is not None else None
    safe_files.set_attributes(entry['dest'], mode, uid, gid, directory=directory)


def _ids(owner, group):
    return safe_files.ids(owner, group)


def install(entry):
    """Put what entry should hold over entry['dest'] atomically with its mode (octal string), owner and group
    (safe_files.put); a missing parent directory is made root-only."""
    data = wanted(entry)
    uid, gid = _ids(entry.get('owner'), entry.get('group'))
    parent = os.path.dirname(entry['dest']) or '.'
    if not os.path.isdir(parent):
        os.makedirs(parent, 0o700)
    safe_files.put(entry['dest'], data, int(str(entry.get('mode', '0600')), 8), uid, gid)
