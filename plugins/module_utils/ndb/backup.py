# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NDB native backups: the START BACKUP command and its verdict, the files of one data node's part, and whether
they may be restored.

START BACKUP writes, per data node, BACKUP-<id>.<node>.ctl (metadata), BACKUP-<id>-<n>.<node>.Data (table data,
one or more parts) and BACKUP-<id>.<node>.log (changes during the backup) into BackupDataDir/BACKUP/BACKUP-<id>
(NDB manual, "NDB Cluster Backup Concepts"). The module ndb_backup starts a backup with backup_invocation and judges
it with backup_run_problems; ndb_backup_info checks the files. Pure Python, no Ansible import.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError


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


# How the backup password reaches ndb_mgm (role variable ndb_tde_backup_password_input, module ndb_backup).
PASSWORD_INPUTS = ('command_stdin', 'password_stdin')
WAITS = ('COMPLETED', 'STARTED')


def restore_problems(files, cluster, node_id, backup_id, path, password_given=False):
    """Why this data node's part of a backup must not be restored now, as sentences; [] when it may.

    files: ndb_backup_info's result (problems, files with encryption); cluster: ndb_cluster_info's result.
    """
    problems = ['backup %s in %s: %s' % (backup_id, path, p) for p in (files or {}).get('problems') or []]
    if not cluster.get('all_started'):
        problems.append('not every data node is started (%s)'
                        % ', '.join('%s is %s' % item for item in (cluster.get('not_started') or {}).items()))
    if int(node_id) not in [int(i) for i in cluster.get('data_nodes') or []]:
        problems.append('data node %s is not in the running cluster' % node_id)
    if password_given and not any(f.get('encryption') for f in (files or {}).get('files') or []):
        problems.append('the backup is not encrypted but ndb_tde_backup_password is set')
    return problems


def backup_statement(backup_id=0, wait='COMPLETED', encrypt=False, password=None):
    """START BACKUP as ndb_mgm's parser (CommandInterpreter.cpp, executeStartBackup) takes it.

    A bare ENCRYPT reads the password given by --backup-password(-from-stdin) only as the LAST word: followed by
    another word (WAIT ...) it is ignored, ndb_mgm prints UNENCRYPTED_WARNING and the backup is written in plain
    text. ENCRYPT PASSWORD='...' may stand anywhere, the password in quotes."""
    wait = str(wait).upper()
    if wait not in WAITS:
        raise NdbError('wait must be COMPLETED or STARTED, not %r' % (wait,))
    words = ['START', 'BACKUP']
    if int(backup_id or 0) > 0:
        words.append('%d' % int(backup_id))
    words += ['WAIT', wait]
    if encrypt:
        words.append('ENCRYPT')
        if password is not None:
            words.append('PASSWORD="%s"' % password)
    return ' '.join(words)


def backup_invocation(password=None, password_input='command_stdin', backup_id=0, wait='COMPLETED'):
    """What to run: {args (after ndb_mgm and its connection options), stdin (None or text), shown (the command with
    the password redacted), interactive (commands on stdin)}; no password given: an unencrypted backup.

    password_stdin: `--backup-password-from-stdin -e "START BACKUP ... WAIT COMPLETED ENCRYPT"`, the password alone
    on stdin; ndb_mgm then waits for the backup's events itself and its exit code means something.
    command_stdin: the whole statement (ENCRYPT PASSWORD="...") and `exit` on stdin: ndb_mgm runs them as an
    interactive session, exits 0 whatever happened and reports the backup only through its event thread, so the
    caller must read the lines (parse_backup_output), never the exit code."""
    if password_input not in PASSWORD_INPUTS:
        raise NdbError('password_input must be one of %s, not %r' % (', '.join(PASSWORD_INPUTS), password_input))
    if not password:
        statement = backup_statement(backup_id, wait)
        return {'args': ['-e', statement], 'stdin': None, 'shown': statement, 'interactive': False}
    if password_input == 'password_stdin':
        statement = backup_statement(backup_id, wait, encrypt=True)
        return {'args': ['--backup-password-from-stdin', '-e', statement], 'stdin': password + '\n',
                'shown': statement, 'interactive': False}
    statement = backup_statement(backup_id, wait, encrypt=True, password=password)
    return {'args': [], 'stdin': statement + '\nexit\n', 'interactive': True,
            'shown': backup_statement(backup_id, wait, encrypt=True, password='********')}


def redact(text, password):
    """text without the password (ndb_mgm echoes a refused command, PASSWORD= included: `Invalid command: ...`)."""
    text = text or ''
    if password:
        text = text.replace(password, '********')
    return re.sub(r'(?i)(PASSWORD\s*=\s*)("[^"]*"|\'[^\']*\'|\S+)', r'\1"********"', text)


def backup_run_problems(result, rc, encrypt, wait='COMPLETED', interactive=False):
    """Why a START BACKUP run failed, as sentences; [] when it did what was asked.

    result: parse_backup_output() of its (redacted) output. The exit code counts only outside interactive mode;
    the lines count always: the unencrypted-backup warning when a password was given is a failure, as is a
    backup without its id, or not completed when COMPLETED was awaited."""
    problems = []
    if result.get('unencrypted_warning') and encrypt:
        problems.append('ndb_mgm started an UNENCRYPTED backup although a password was given ("%s"): ENCRYPT must '
                        'be the last word of START BACKUP' % 'Warning, unencrypted backup requested although backup '
                        'password is provided.')
    if result.get('error'):
        problems.append('ndb_mgm reported: %s' % result['error'])
    if rc != 0 and not interactive:
        problems.append('ndb_mgm exited with %d' % rc)
    if result.get('backup_id') is None:
        problems.append('ndb_mgm reported no backup id (no "Backup <id> started from node <n>" line)')
    elif str(wait).upper() == 'COMPLETED' and not result.get('completed'):
        problems.append('backup %d was not reported completed' % result['backup_id'])
    return problems
