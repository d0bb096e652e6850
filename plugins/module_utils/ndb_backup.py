# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files of one data node's part of an NDB native backup, and whether they may be restored.

START BACKUP writes, per data node, BACKUP-<id>.<node>.ctl (metadata), BACKUP-<id>-<n>.<node>.Data (table data,
one or more parts) and BACKUP-<id>.<node>.log (changes during the backup) into BackupDataDir/BACKUP/BACKUP-<id>
(NDB manual, "NDB Cluster Backup Concepts"). Pure Python, no Ansible import.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re


def backup_files(names, backup_id, node_id):
    """The backup's files of this node among `names`: {ctl, data: [...], log} (None / [] when absent)."""
    backup_id, node_id = int(backup_id), int(node_id)
    found = {'ctl': None, 'data': [], 'log': None}
    for name in sorted(names):
        if name == 'BACKUP-%d.%d.ctl' % (backup_id, node_id):
            found['ctl'] = name
        elif name == 'BACKUP-%d.%d.log' % (backup_id, node_id):
            found['log'] = name
        elif re.match(r'^BACKUP-%d-\d+\.%d\.Data$' % (backup_id, node_id), name):
            found['data'].append(name)
    return found


def backup_problems(found, infos, require_encrypted=True):
    """Why this node's backup files must not be restored, as sentences; [] when they may.

    found: backup_files(); infos: {name: parse_ndbxfrm_info() or {'error': text}} of the files found.
    """
    problems = []
    missing = [kind for kind in ('ctl', 'log') if not found.get(kind)] + ([] if found.get('data') else ['Data'])
    if missing:
        problems.append('the backup files %s are missing' % ', '.join('.%s' % m for m in missing))
    names = [n for n in [found.get('ctl')] + list(found.get('data') or []) + [found.get('log')] if n]
    unreadable = [n for n in names if (infos.get(n) or {}).get('error') or n not in infos]
    if unreadable:
        problems.append('ndbxfrm could not read %s' % ', '.join(unreadable))
    plain = [n for n in names if n not in unreadable and infos[n].get('encryption') is not True]
    if plain and require_encrypted:
        problems.append('%s %s not encrypted (ndbxfrm -i: encryption=no), and RequireEncryptedBackup=1 expects an '
                        'encrypted backup; restore it knowingly with ndb_tde_require_encrypted_backup: false'
                        % (', '.join(plain), 'is' if len(plain) == 1 else 'are'))
    return problems
