# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moving InnoDB tables from one data-at-rest key id to another on a running MariaDB node.

MariaDB's file_key_management plugin has no key versions: a key is rotated by introducing a new key id and rebuilding
each table with it (ALTER TABLE ... ENCRYPTION_KEY_ID=<new>, which Galera replicates to every node in total order).
The ids in use come from information_schema.INNODB_TABLESPACES_ENCRYPTION, one row per tablespace named
"<db>/<table>" in the server's file name encoding. Key id 1 stays: the redo log, binlogs, temporary files, Aria tables
and the system tablespace are encrypted with it whatever innodb_default_encryption_key_id says.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

SYSTEM_KEY_ID = 1

# One client call; rows tagged so the statements' output can be told apart.
SQL = ("SELECT 'ts', NAME, ENCRYPTION_SCHEME, CURRENT_KEY_ID, ROTATING_OR_FLUSHING "
       "FROM information_schema.INNODB_TABLESPACES_ENCRYPTION;\n")

# Warning 1210 "innodb_default_encryption_key=<id> is not available": the server has not loaded that key.
_NOT_AVAILABLE = re.compile(r'innodb_default_encryption_key=(\d+) is not available')
_HEX4 = re.compile(r'@([0-9a-fA-F]{4})')
# Auxiliary full-text index tables: rebuilt with the table they belong to.
_FTS_AUX = re.compile(r'^FTS_[0-9a-fA-F]{16}_')


class RekeyError(Exception):
    """A state in which moving tables would break the cluster."""


def availability_sql(key_ids):
    """Statements whose warnings name each key id the server has not loaded (one SET per id, in the session only)."""
    return ''.join("SET SESSION innodb_default_encryption_key_id = %d;\nSHOW WARNINGS;\n" % int(k)
                   for k in sorted(set(key_ids)))


def unavailable(output):
    """Key ids the warnings of availability_sql() name as not loaded."""
    return sorted(set(int(m.group(1)) for m in _NOT_AVAILABLE.finditer(output)))


def parse(output):
    """Client output (-N -B) of SQL -> [{'name', 'encrypted', 'key_id', 'rotating'}]."""
    spaces = []
    for line in output.splitlines():
        f = line.split('\t')
        if f[0] == 'ts' and len(f) >= 5:
            spaces.append({'name': f[1], 'encrypted': f[2] == '1', 'key_id': int(f[3]), 'rotating': f[4] == '1'})
    return spaces


def decode_filename(name):
    """A table or database name from the server's file name encoding ("@002d" is "-"), or None when it uses one of
    the two-character codes of my_charset_filename's letter table, which this does not decode."""
    if '@' in _HEX4.sub('', name):
        return None
    return _HEX4.sub(lambda m: chr(int(m.group(1), 16)), name)


def table_of(space_name):
    """(schema, table) that owns a file-per-table tablespace, None for tablespaces that belong to no table of their
    own (system, undo, temporary, FTS auxiliary, intermediate #sql tables), 'undecodable' for names this cannot
    map back."""
    if '/' not in space_name:
        return None
    schema, table = space_name.split('/', 1)
    table = re.split(r'#P#|#p#', table, 1)[0]
    if table.startswith('#sql') or _FTS_AUX.match(table):
        return None
    schema_d, table_d = decode_filename(schema), decode_filename(table)
    if schema_d is None or table_d is None:
        return 'undecodable'
    return schema_d, table_d


def quote(identifier):
    return '`%s`' % identifier.replace('`', '``')


def in_use(spaces):
    """{key id: number of encrypted tablespaces using it}."""
    out = {}
    for s in spaces:
        if s['encrypted']:
            out[s['key_id']] = out.get(s['key_id'], 0) + 1
    return dict(sorted(out.items()))


def plan_moves(spaces, key_id, retire_ids=()):
    """Tables to rebuild with key_id: those with an encrypted tablespace on another key; in the mysql schema only
    those on a key being retired (DDL on system tables is left to the server unless a retirement needs it).
    Returns (tables, unmapped): sorted unique (schema, table) pairs, and the tablespace names no table could be
    decoded for."""
    retire = set(int(k) for k in retire_ids)
    tables, unmapped = set(), []
    for s in spaces:
        if not s['encrypted'] or s['key_id'] == key_id:
            continue
        owner = table_of(s['name'])
        if owner is None:
            continue
        if owner == 'undecodable':
            unmapped.append(s['name'])
        elif owner[0] != 'mysql' or s['key_id'] in retire:
            tables.add(owner)
    return sorted(tables), sorted(unmapped)


def statements(tables, key_id):
    return ['ALTER TABLE %s.%s ENCRYPTION_KEY_ID=%d' % (quote(s), quote(t), int(key_id)) for s, t in tables]


def still_using(spaces, key_ids):
    """Names of the encrypted tablespaces on one of key_ids."""
    ids = set(int(k) for k in key_ids)
    return sorted(s['name'] for s in spaces if s['encrypted'] and s['key_id'] in ids)


def check_retire(retire_ids, key_id):
    problems = []
    ids = set(int(k) for k in retire_ids)
    if SYSTEM_KEY_ID in ids:
        problems.append('key id 1 cannot be retired: the redo log, binlogs, temporary files, Aria tables and the '
                        'system tablespace are encrypted with it')
    if int(key_id) in ids:
        problems.append('key id %d is both the new table key and one to retire' % int(key_id))
    return problems


# ---------------------------------------------------------------- what the rotation entry point says

def moved_summary(result, key_id, check_mode=False):
    """The line of step 2: the tables at_rest_rekey moved (or would move) to key_id, and those it could not map."""
    result = result or {}
    moved, unmapped = result.get('moved') or [], result.get('unmapped') or []
    return '%s %d table(s) to key %s in %s s%s%s' % (
        'would move' if check_mode else 'moved', len(moved), key_id, result.get('seconds', 0),
        (': ' + ', '.join(moved)) if moved else '',
        ('; not moved (names not decoded): ' + ', '.join(unmapped)) if unmapped else '')


def rotation_summary(key_id, retire, after, loaded, check_mode=False):
    """A node's last line: its table key, the key ids its tablespaces use (after step 3 when it ran, else after
    step 1) and the keys retired."""
    result = after if (after or {}).get('key_ids_in_use') is not None else (loaded or {})
    text = 'table key %s, key ids in use %s' % (key_id, ', '.join(str(k) for k in (result.get('key_ids_in_use') or {})))
    if retire:
        text += '; retired %s%s' % (', '.join(str(k) for k in retire), ' (would be)' if check_mode else ', none loaded')
    return text
