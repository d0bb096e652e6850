#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ndb_tde_status
short_description: Whether an NDB data node's file system is encrypted (TDE), from its files
version_added: 0.8.0
description:
  - Looks in the file system of one data node (C(<datadir>/ndb_<id>_fs)) for the secrets file
    C(D1/NDBCNTR/S0.sysfile), which exists when the node started with transparent data encryption.
  - When C(ndbxfrm) is installed, runs C(ndbxfrm -i) on the secrets file and a few data files (checkpoints,
    redo log, tablespaces) and reports which are encrypted.
  - Combines both, and the node's active EncryptedFileSystem when given, into a verdict, and returns it as
    the fact C(ndb_tde_status).
  - It never changes anything and never needs a password.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
attributes:
  check_mode:
    support: full
    details: Read-only; it runs the same in check mode.
options:
  node_id:
    description: The data node id.
    type: int
    required: true
  datadir:
    description: The data node's DataDir.
    type: path
    required: true
  fs_path:
    description: The node's file system directory, when not C(<datadir>/ndb_<node_id>_fs) (FileSystemPath).
    type: path
  ndbxfrm:
    description: The ndbxfrm program, a name on C(PATH) or a path. Skipped when it is not found.
    type: str
    default: ndbxfrm
  max_files:
    description: How many files C(ndbxfrm -i) looks at, the secrets file first.
    type: int
    default: 6
  config_value:
    description: The node's active EncryptedFileSystem (from ndbinfo), when known, to include in the verdict.
    type: int
  inspect_files:
    description: Run C(ndbxfrm -i) on the files; C(false) only looks for the file system and the secrets file.
    type: bool
    default: true
  password_file:
    description:
      - A file holding the node's file system password and a line break (read on ndbmtd's standard input).
      - Reported with its mode and owner, whether only its owner can read it (RV(password_file.private)), and,
        with O(password), whether it holds that password (RV(password_file.current)).
    type: path
  defaults_file:
    description: The node's private defaults file with C([ndbd] filesystem-password), reported like O(password_file).
    type: path
  password:
    description:
      - The password the files should hold (as delivered to ndbmtd), to tell whether they are current.
      - Never returned; the task should also use C(no_log).
    type: str
'''

EXAMPLES = r'''
- name: Look at the data node's files
  clustersec.mysql.ndb_tde_status:
    node_id: 2
    datadir: /var/lib/mysql-cluster
'''

RETURN = r'''
node_id:
  description: The data node id.
  returned: always
  type: int
  sample: 2
fs_path:
  description: The file system directory looked at.
  returned: always
  type: str
  sample: /var/lib/mysql-cluster/ndb_2_fs
fs_present:
  description: Whether the file system directory exists.
  returned: always
  type: bool
secrets_file:
  description: Path of the secrets file.
  returned: always
  type: str
  sample: /var/lib/mysql-cluster/ndb_2_fs/D1/NDBCNTR/S0.sysfile
secrets_file_present:
  description: Whether the secrets file exists (TDE on, if the node started); null when there is no file system.
  returned: always
  type: bool
ndbxfrm_available:
  description: Whether ndbxfrm was found (always false with O(inspect_files=false)).
  returned: always
  type: bool
files:
  description: C(ndbxfrm -i) of each file looked at (path relative to the file system directory).
  returned: always
  type: list
  elements: dict
  sample: [{file: D1/NDBCNTR/S0.sysfile, encryption: true, compression: false}]
  contains:
    file: {description: Path relative to the file system directory., type: str, sample: LCP/0/T2F0.Data}
    encryption: {description: "C(ndbxfrm -i) says encryption=yes.", type: bool, sample: true}
    compression: {description: "C(ndbxfrm -i) says compression=yes.", type: bool, sample: false}
    error: {description: "The tool's message when it could not read the file.", type: str, sample: ""}
verdict:
  description: C(encrypted), C(not encrypted), C(unknown), or C(inconsistent) with the reasons.
  returned: always
  type: str
  sample: encrypted
password_file:
  description: The password file, when O(password_file) is given.
  returned: when O(password_file) is given
  type: dict
  sample: {path: /etc/clustersec-ndb/ndbmtd-2.pw, exists: true, mode: '0600', owner: root, private: true, current: true}
  contains:
    path:
      description: The file.
      type: str
    exists:
      description: Whether it exists.
      type: bool
    mode:
      description: Its permissions, in octal.
      type: str
    owner:
      description: Its owner.
      type: str
    private:
      description: Neither group nor others have any permission on it.
      type: bool
    current:
      description: It holds O(password) (only when O(password) is given).
      type: bool
defaults_file:
  description: The private defaults file, when O(defaults_file) is given; same keys as RV(password_file).
  returned: when O(defaults_file) is given
  type: dict
ansible_facts:
  description: The same result under C(ndb_tde_status).
  returned: always
  type: dict
'''

import glob
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.output import parse_ndbxfrm_info
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.status import SECRETS_FILE, tde_verdict

# Files TDE encrypts, after the secrets file (names vary with the tables and logs present): local checkpoints,
# redo log, tablespace and undo files. System files (D1/NDBCNTR/P0.sysfile and the like) are never encrypted.
PATTERNS = ('LCP/*/T*F*.Data', 'D*/DBLQH/S*.FragLog', 'TS/*.dat', 'LG/*.dat')


def candidates(fs, limit):
    found = []
    secrets = os.path.join(fs, SECRETS_FILE)
    if os.path.isfile(secrets):
        found.append(secrets)
    for pattern in PATTERNS:
        for path in sorted(glob.glob(os.path.join(fs, pattern)))[:2]:
            if path not in found and os.path.isfile(path):
                found.append(path)
    return found[:limit]


def secret_file(path, expected):
    """Mode, owner and privacy of a secret file; whether it holds `expected` (never its content)."""
    out = {'path': path, 'exists': os.path.isfile(path)}
    if not out['exists']:
        return out
    st = os.stat(path)
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    out.update(mode='%04o' % stat.S_IMODE(st.st_mode), owner=owner,
               private=not st.st_mode & (stat.S_IRWXG | stat.S_IRWXO))
    if expected is not None:
        try:
            with open(path, 'rb') as f:
                out['current'] = f.read() == expected.encode('utf-8')
        except (IOError, OSError):
            out['current'] = False
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            node_id=dict(type='int', required=True),
            datadir=dict(type='path', required=True),
            fs_path=dict(type='path'),
            ndbxfrm=dict(type='str', default='ndbxfrm'),
            max_files=dict(type='int', default=6),
            config_value=dict(type='int'),
            inspect_files=dict(type='bool', default=True),
            password_file=dict(type='path'),
            defaults_file=dict(type='path'),
            password=dict(type='str', no_log=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    fs = p['fs_path'] or os.path.join(p['datadir'], 'ndb_%d_fs' % p['node_id'])
    secrets = os.path.join(fs, SECRETS_FILE)
    fs_present = os.path.isdir(fs)
    secrets_present = os.path.isfile(secrets) if fs_present else None
    tool = None
    if p['inspect_files']:
        tool = p['ndbxfrm'] if '/' in p['ndbxfrm'] else module.get_bin_path(p['ndbxfrm'])
    available = bool(tool) and os.access(tool, os.X_OK)
    files = []
    if available and fs_present:
        for path in candidates(fs, p['max_files']):
            rc, out, err = module.run_command([tool, '-i', path])
            entry = {'file': os.path.relpath(path, fs)}
            if rc == 0:
                try:
                    info = parse_ndbxfrm_info(out)
                    entry.update(encryption=info['encryption'], compression=info['compression'])
                except NdbError as exc:
                    entry['error'] = str(exc)
            else:
                entry['error'] = (err or out).strip()[:300] or 'ndbxfrm rc %d' % rc
            files.append(entry)
    verdict = tde_verdict(p['config_value'], secrets_present, files)
    status = dict(node_id=p['node_id'], fs_path=fs, fs_present=fs_present, secrets_file=secrets,
                  secrets_file_present=secrets_present, ndbxfrm_available=available, files=files, verdict=verdict)
    password = p['password']
    if p['password_file']:
        status['password_file'] = secret_file(p['password_file'], None if password is None else password + '\n')
    if p['defaults_file']:
        # The one line the role writes ([ndbd] filesystem-password="...") and nothing else but comments.
        expected = None
        if password is not None:
            expected = '[ndbd]\nfilesystem-password="%s"\n' % password
        entry = secret_file(p['defaults_file'], None)
        if expected is not None and entry['exists']:
            try:
                with open(p['defaults_file']) as f:
                    body = ''.join(line for line in f if not line.startswith('#'))
                entry['current'] = body.strip() == expected.strip()
            except (IOError, OSError):
                entry['current'] = False
        status['defaults_file'] = entry
    module.exit_json(changed=False, ansible_facts=dict(ndb_tde_status=status), **status)


if __name__ == '__main__':
    main()
