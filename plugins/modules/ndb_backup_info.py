#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ndb_backup_info
short_description: Check one data node's files of an NDB backup before a restore
version_added: 0.8.0
description:
  - Lists the node's files of a native NDB backup (C(BACKUP-<id>.<node>.ctl), C(BACKUP-<id>-<n>.<node>.Data),
    C(BACKUP-<id>.<node>.log)) in O(backup_path), runs C(ndbxfrm -i) on each and reports whether they are all
    there and all encrypted.
  - Reads only; the password is not needed (C(ndbxfrm -i) shows the header, it does not decrypt).
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
attributes:
  check_mode:
    support: full
    details: Reads only, in check mode as well.
options:
  backup_path:
    description: Directory of the backup on this host (C(<BackupDataDir>/BACKUP/BACKUP-<id>)).
    type: path
    required: true
  backup_id:
    description: The backup id.
    type: int
    required: true
  node_id:
    description: The data node whose files to check.
    type: int
    required: true
  ndbxfrm:
    description: The ndbxfrm program, a name on C(PATH) or a path.
    type: str
    default: ndbxfrm
  require_encrypted:
    description: Report unencrypted files as a problem (RequireEncryptedBackup=1).
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Check data node 2's part of backup 7
  clustersec.mysql.ndb_backup_info:
    backup_path: /var/lib/mysql-cluster/BACKUP/BACKUP-7
    backup_id: 7
    node_id: 2
  register: backup

- name: Refuse a backup that is incomplete or not encrypted
  ansible.builtin.assert:
    that: backup.problems | length == 0
    fail_msg: "{{ backup.problems | join('; ') }}"
'''

RETURN = r'''
files:
  description: The node's backup files and what C(ndbxfrm -i) says of each.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: File name in O(backup_path).
      type: str
      sample: BACKUP-7.2.ctl
    encryption:
      description: C(ndbxfrm -i) says encryption=yes.
      type: bool
      sample: true
    compression:
      description: C(ndbxfrm -i) says compression=yes.
      type: bool
      sample: false
    error:
      description: Why the file could not be read, when it could not.
      type: str
encrypted:
  description: Every file was found and is encrypted.
  returned: always
  type: bool
problems:
  description: Why the files must not be restored (missing files, unreadable files, unencrypted files when
    O(require_encrypted)); empty when they may.
  returned: always
  type: list
  elements: str
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import backup as ndb_backup
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.output import parse_ndbxfrm_info


def main():
    module = AnsibleModule(
        argument_spec=dict(
            backup_path=dict(type='path', required=True),
            backup_id=dict(type='int', required=True),
            node_id=dict(type='int', required=True),
            ndbxfrm=dict(type='str', default='ndbxfrm'),
            require_encrypted=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    tool = p['ndbxfrm'] if '/' in p['ndbxfrm'] else module.get_bin_path(p['ndbxfrm'], required=True)
    names = os.listdir(p['backup_path']) if os.path.isdir(p['backup_path']) else []
    found = ndb_backup.backup_files(names, p['backup_id'], p['node_id'])
    infos, files = {}, []
    for name in [n for n in [found['ctl']] + found['data'] + [found['log']] if n]:
        rc, out, err = module.run_command([tool, '-i', os.path.join(p['backup_path'], name)])
        try:
            info = parse_ndbxfrm_info(out) if rc == 0 else {'error': (err or out).strip()[:300] or 'rc %d' % rc}
        except NdbError as exc:
            info = {'error': str(exc)}
        info.pop('file', None)
        infos[name] = info
        files.append(dict(name=name, **info))
    problems = ndb_backup.backup_problems(found, infos, p['require_encrypted'])
    if not os.path.isdir(p['backup_path']):
        problems.insert(0, 'no backup directory %s' % p['backup_path'])
    encrypted = bool(files) and not ndb_backup.backup_problems(found, infos, True)
    module.exit_json(changed=False, files=files, encrypted=encrypted, problems=problems)


if __name__ == '__main__':
    main()
