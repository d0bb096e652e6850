# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Data-at-rest state of one MariaDB node, read through SQL and the key files, turned into a report entry."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import pwd
import stat

GREEN = 'green'
AMBER = 'amber'
RED = 'red'
_RANK = {GREEN: 0, AMBER: 1, RED: 2}

# The settings the role writes; each OFF (or missing) on a node that loads the plugin is a red finding.
SETTINGS = ('innodb_encrypt_log', 'innodb_encrypt_temporary_tables', 'encrypt_tmp_files', 'encrypt_tmp_disk_tables',
            'encrypt_binlog', 'aria_encrypt_tables')
VARIABLES = ('innodb_encrypt_tables', 'file_key_management_filename', 'file_key_management_filekey',
             'innodb_default_encryption_key_id') + SETTINGS
SYSTEM_SCHEMAS = ('mysql', 'information_schema', 'performance_schema', 'sys')

# One client call; every row starts with a tag so the output of the four statements can be told apart.
SQL = ("SELECT 'var', LOWER(VARIABLE_NAME), VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES "
       "WHERE LOWER(VARIABLE_NAME) IN (%s);\n"
       "SELECT 'plugin', PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'FILE_KEY_MANAGEMENT';\n"
       # Every InnoDB tablespace (innodb_system included) with its encryption: one without crypt data is absent from
       # the encryption view. innodb_temporary is encrypted page by page without crypt data (never in that view); its
       # state is the variable innodb_encrypt_temporary_tables.
       "SELECT 'ts', t.NAME, IFNULL(e.ENCRYPTION_SCHEME, 0), IFNULL(e.CURRENT_KEY_ID, 0), "
       "IFNULL(e.CURRENT_KEY_VERSION, 0), IFNULL(e.ROTATING_OR_FLUSHING, 0) "
       "FROM information_schema.INNODB_SYS_TABLESPACES t "
       "LEFT JOIN information_schema.INNODB_TABLESPACES_ENCRYPTION e ON e.SPACE = t.SPACE "
       "WHERE t.NAME <> 'innodb_temporary';\n"
       "SELECT 'aria', CONCAT(TABLE_SCHEMA, '.', TABLE_NAME), TABLE_SCHEMA IN (%s) FROM information_schema.TABLES "
       "WHERE ENGINE = 'Aria';\n") % (', '.join("'%s'" % v for v in VARIABLES),
                                      ', '.join("'%s'" % s for s in SYSTEM_SCHEMAS))


def parse(output):
    """Client output (-N -B) of SQL -> {'variables', 'plugin', 'tablespaces', 'aria_user', 'aria_system'}."""
    state = {'variables': {}, 'plugin': None, 'tablespaces': [], 'aria_user': [], 'aria_system': []}
    for line in output.splitlines():
        f = line.split('\t')
        if f[0] == 'var' and len(f) >= 3:
            state['variables'][f[1]] = f[2]
        elif f[0] == 'plugin' and len(f) >= 2:
            state['plugin'] = f[1]
        elif f[0] == 'ts' and len(f) >= 6:
            state['tablespaces'].append({'name': f[1], 'encrypted': f[2] == '1', 'key_id': int(f[3]),
                                         'key_version': int(f[4]), 'rotating': f[5] == '1'})
        elif f[0] == 'aria' and len(f) >= 3:
            state['aria_system' if f[2] == '1' else 'aria_user'].append(f[1])
    return state


def key_file_facts(path, server_user='mysql'):
    """Mode and owner of one key file; what is wrong with them (None when it is fine)."""
    if path.startswith('FILE:'):
        path = path[len('FILE:'):]
    try:
        st = os.stat(path)
    except OSError as exc:
        return {'path': path, 'mode': None, 'owner': None, 'problem': 'cannot stat: %s' % exc.strerror}
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    mode = stat.S_IMODE(st.st_mode)
    problem = None
    if mode & 0o077:
        problem = 'mode %04o: readable or writable by group or others' % mode
    elif owner != server_user:
        problem = 'owner %s, not the server user %s' % (owner, server_user)
    return {'path': path, 'mode': '%04o' % mode, 'owner': owner, 'problem': problem}


def classify(state, key_files=(), accepted_risks=(), required=False):
    """One report entry (channel 'data-at-rest') from parse() and key_file_facts(); required: off is red."""
    v = state['variables']
    findings, notes, statuses = [], [], []
    shown = dict(v)
    if shown.get('file_key_management_filekey') and not shown['file_key_management_filekey'].startswith('FILE:'):
        shown['file_key_management_filekey'] = '<literal file key, not shown>'
    entry = {'channel': 'data-at-rest', 'port': '-', 'tablespaces': len(state['tablespaces']),
             'key_files': list(key_files), 'variables': shown}
    if state['plugin'] != 'ACTIVE':
        entry.update(status=RED if required else GREEN, protocol='off', encrypted=False, skipped_reason='not enabled',
                     findings=['not enabled (file_key_management not loaded; mariadb_galera_encrypt_at_rest)'],
                     notes=[])
        return entry
    tables = (v.get('innodb_encrypt_tables') or 'OFF').upper()
    if tables == 'OFF':
        findings.append('innodb_encrypt_tables is OFF: new and existing tables stay in clear')
        statuses.append(RED)
    elif tables == 'ON':
        accepted = 'unencrypted_tables' in accepted_risks
        findings.append('innodb_encrypt_tables is ON: tables may opt out with ENCRYPTED=NO%s'
                        % (' [accepted opt-out unencrypted_tables]' if accepted else ''))
        statuses.append(AMBER if accepted else RED)
    for name in SETTINGS:
        if (v.get(name) or 'OFF').upper() != 'ON':
            findings.append('%s is %s' % (name, v.get(name) or 'missing'))
            statuses.append(RED)
    clear = sorted(t['name'] for t in state['tablespaces'] if not t['encrypted'])
    rotating = sorted(t['name'] for t in state['tablespaces'] if t['encrypted'] and t['rotating'])
    if clear:
        accepted = tables == 'ON' and 'unencrypted_tables' in accepted_risks
        opt_out = ' [accepted opt-out unencrypted_tables]' if accepted else ''
        findings.append('%d tablespace(s) not encrypted: %s%s' % (len(clear), ', '.join(clear), opt_out))
        statuses.append(AMBER if accepted else RED)
    if rotating:
        findings.append('still being encrypted or re-keyed: %s' % ', '.join(rotating))
        statuses.append(AMBER)
    if state['aria_user']:
        # aria_encrypt_tables applies to tables created (or rebuilt) after it is on; SQL cannot tell which ones.
        findings.append('Aria tables, in clear if created before aria_encrypt_tables was on (rebuild with ALTER TABLE '
                        '... ENGINE=Aria): %s' % ', '.join(sorted(state['aria_user'])))
        statuses.append(AMBER)
    for kf in key_files:
        if kf.get('problem'):
            findings.append('key file %s: %s' % (kf['path'], kf['problem']))
            statuses.append(RED)
    if state['aria_system']:
        notes.append('%d system Aria table(s) in the mysql schema were created at install, before encryption'
                     % len(state['aria_system']))
    notes.append('not encrypted by MariaDB Community: galera.cache (GCache) and the Aria log (aria_log.*)')
    key_ids = sorted(set(t['key_id'] for t in state['tablespaces'] if t['encrypted']))
    entry.update(status=max([GREEN] + statuses, key=lambda s: _RANK[s]), findings=findings, notes=notes,
                 protocol='%s, %d/%d' % (tables, len(state['tablespaces']) - len(clear), len(state['tablespaces'])),
                 encrypted=not clear, unencrypted=clear, key_ids_in_use=key_ids,
                 aria_tables=sorted(state['aria_user']))
    return entry
