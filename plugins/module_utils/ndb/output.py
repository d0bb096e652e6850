# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL NDB Cluster program output: ndb_mgm (show, all status, STOP, START BACKUP), ndbxfrm -i, ndbinfo_select_all
and the ndbinfo query.

These programs answer in text meant for people; the modules ndb_cluster_info, ndb_node_stop and ndb_tde_status
and the filters ndb_config_values and ndb_backup_result read it here, in one place, so that a format change of a
release is fixed once. An unreachable management server is an NdbError, never an empty cluster.

Exit codes are not enough: commands ndb_mgm reads on its standard input always end with exit code 0 (main.cpp
ignores what each line returns) and report a backup only through the event thread's lines, and ndbinfo_select_all
exits 0 after "Failed to open" a table. So every parser here reads the lines. Pure Python, no Ansible import.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError

_CONNECT_ERRORS = ('Unable to connect', 'Could not connect', 'Connection to management server failed',
                   'Failed to connect')
_SHOW_SECTION = re.compile(r'^\[(ndbd|ndb_mgmd|mysqld)\((NDB|MGM|API)\)\]\s+(\d+)\s+node\(s\)')
_SHOW_NODE = re.compile(r'^id=(\d+)\s*(?:@(\S+))?\s*\((.*)\)\s*$')
_STATUS_LINE = re.compile(r'^Node (\d+): ([A-Za-z][A-Za-z ]*?)\s*(?:\(Last completed phase (\d+)\))?\s*'
                          r'(?:\(([^)]*)\))?\s*$')
_TYPES = {'ndbd': 'data', 'ndb_mgmd': 'mgmd', 'mysqld': 'api'}


def connect_error(text):
    """The line saying no management server answered, or None. Real ndb_mgm prints `ERROR: Unable to connect with
    connect string: ...` (mgmapi.cpp), so the phrase is looked for anywhere in a line."""
    for line in (text or '').splitlines():
        if any(phrase in line for phrase in _CONNECT_ERRORS):
            return line.strip()
    return None


def _check_connected(text):
    line = connect_error(text)
    if line:
        raise NdbError('ndb_mgm could not reach the management server: %s' % line)


def parse_show(text):
    """Nodes of `ndb_mgm -e show`: [{id, type, connected, address, version, nodegroup, master, state}]."""
    _check_connected(text)
    nodes = []
    kind = None
    for raw in (text or '').splitlines():
        line = raw.strip()
        section = _SHOW_SECTION.match(line)
        if section:
            kind = _TYPES[section.group(1)]
            continue
        match = _SHOW_NODE.match(line)
        if not match or kind is None:
            continue
        node = {'id': int(match.group(1)), 'type': kind, 'address': match.group(2), 'connected': True,
                'version': None, 'nodegroup': None, 'master': False, 'state': None}
        items = [i.strip() for i in match.group(3).split(',')]
        if items and items[0].startswith('not connected'):
            node['connected'] = False
            node['state'] = 'not connected'
            nodes.append(node)
            continue
        for item in items:
            if item.startswith(('mysql-', 'ndb-')):
                node['version'] = item
            elif item.lower().startswith('nodegroup:'):
                node['nodegroup'] = int(item.split(':', 1)[1])
            elif item.lower() == 'no nodegroup':
                node['nodegroup'] = None
            elif item == '*':
                node['master'] = True
            elif item.startswith('accepting connect'):
                continue
            elif item:
                node['state'] = item.lower()
        if node['state'] is None:
            node['state'] = 'started'
        nodes.append(node)
    return nodes


def parse_status(text):
    """`ndb_mgm -e "all status"` or `-e "N status"`: {id: {status, phase, version}}."""
    _check_connected(text)
    out = {}
    for raw in (text or '').splitlines():
        match = _STATUS_LINE.match(raw.strip())
        if not match:
            continue
        out[int(match.group(1))] = {'status': match.group(2).strip().lower(),
                                    'phase': int(match.group(3)) if match.group(3) else None,
                                    'version': match.group(4)}
    return out


def merge_show_status(show_nodes, status):
    """Data nodes of `show`, their status from `all status` when given (it is more precise)."""
    merged = []
    for node in show_nodes:
        node = dict(node)
        if node['type'] == 'data' and node['id'] in status:
            node['state'] = status[node['id']]['status']
            node['phase'] = status[node['id']]['phase']
        merged.append(node)
    return merged


# ndb_mgm prints this and starts an UNENCRYPTED backup when --backup-password(-from-stdin) was given but ENCRYPT is
# not the last word of START BACKUP (CommandInterpreter.cpp, executeStartBackup): never a success.
UNENCRYPTED_WARNING = 'Warning, unencrypted backup requested although backup password is provided.'


def parse_backup_output(text):
    """START BACKUP output: {backup_id, completed, started, aborted, unencrypted_warning, error}.

    backup_id comes from the event lines (`Node 2: Backup 7 started from node 1`, `... completed`), the only place
    ndb_mgm reports it; error quotes ndb_mgm's failure lines (`Backup failed`, `* 3001: ...`, `Invalid command`,
    an aborted backup, no connection)."""
    backup_id = None
    completed = started = aborted = warning = False
    errors = []
    in_invalid = False
    for raw in (text or '').splitlines():
        line = raw.strip()
        # invalid_command() prints the command, an optional reason, then `Type HELP for help.`
        if in_invalid:
            in_invalid = bool(line) and not line.startswith('Type HELP')
            if in_invalid:
                errors.append(line)
            continue
        if line.startswith('Invalid command'):
            in_invalid = True
        match = re.search(r'Backup (\d+) started from (?:node )?\d+( completed)?( has been aborted)?', line)
        if match:
            backup_id = int(match.group(1))
            started = True
            completed = completed or bool(match.group(2))
            aborted = aborted or bool(match.group(3))
        if line == UNENCRYPTED_WARNING:
            warning = True
            continue
        if line.startswith(('Backup failed', '*', 'Invalid command', 'Encryption need password', 'Type HELP')) \
                or 'error' in line.lower() or 'failed' in line.lower() or 'Unable to connect' in line:
            if not line.startswith('Type HELP'):
                errors.append(line)
    return {'backup_id': backup_id, 'completed': completed and not aborted, 'started': started, 'aborted': aborted,
            'unencrypted_warning': warning, 'error': ' '.join(errors) or None}


def parse_stop_output(text):
    """`ndb_mgm -e "N [M] stop"`: {stopped: [ids], disconnected, error}. ndb_mgm prints `Node 2 4 has shutdown.`
    or `Shutdown failed.` and the `*` lines of the error (CommandInterpreter.cpp, executeStop)."""
    stopped, errors = [], []
    disconnected = False
    for raw in (text or '').splitlines():
        line = raw.strip()
        match = re.match(r'^Node((?: \d+)+) has shutdown\.$', line)
        if match:
            stopped.extend(int(i) for i in match.group(1).split())
        elif line.startswith('Disconnecting to allow Management Server to shutdown'):
            disconnected = True
        elif line.startswith(('Shutdown failed', '*', 'Invalid', 'Unknown')) or 'error' in line.lower() \
                or 'Unable to connect' in line or 'not found' in line.lower():
            errors.append(line)
    return {'stopped': stopped, 'disconnected': disconnected, 'error': ' '.join(errors) or None}


def parse_ndbxfrm_info(text):
    """`ndbxfrm -i FILE`: {file, compression, encryption} (booleans; None when not reported)."""
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line.startswith('File='):
            continue
        fields = {}
        for part in line.split(', '):
            if '=' in part:
                key, value = part.split('=', 1)
                fields[key.strip().lower()] = value.strip()
        return {'file': fields.get('file'),
                'compression': _yes_no(fields.get('compression')),
                'encryption': _yes_no(fields.get('encryption'))}
    raise NdbError('ndbxfrm printed no File= line: %s' % (text or '').strip()[:200])


def _yes_no(value):
    if value is None:
        return None
    return value.lower() in ('yes', '1', 'true')


def parse_config_values(text):
    """Rows of the ndbinfo query (mysql -N -B): {node_id: EncryptedFileSystem as int}."""
    out = {}
    for raw in (text or '').splitlines():
        parts = raw.split('\t') if '\t' in raw else raw.split()
        if len(parts) != 2 or not parts[0].strip().isdigit():
            continue
        out[int(parts[0])] = int(parts[1]) if parts[1].strip().isdigit() else parts[1].strip()
    return out


# EncryptedFileSystem's parameter number (CFG_DB_ENCRYPTED_FILE_SYSTEM, storage/ndb/include/mgmapi/
# mgmapi_config_parameters.h): ndbinfo's config_params, which maps names to numbers, is a table of the SQL node only.
ENCRYPTED_FILE_SYSTEM_PARAM = 680


def parse_ndbinfo_select_all(text):
    """`ndbinfo_select_all TABLE...` (storage/ndb/tools/ndbinfo_select_all.cpp): `== table ==`, a line of column names
    and one line per row, tab-separated with a trailing tab. {table: [{column: value}]}; NdbError when a table could
    not be read (the program still exits 0) or no management server answered."""
    tables, errors = read_ndbinfo_select_all(text)
    if errors:
        raise NdbError('ndbinfo_select_all: %s' % '; '.join(errors))
    return tables


def read_ndbinfo_select_all(text):
    """The tables parse_ndbinfo_select_all reads and the error lines beside them, without raising: ({table: rows},
    [error line]). For a reader that reports a table it could not read as 'not read' (the NDB TLS links) and keeps the
    tables that were read."""
    tables, errors = {}, []
    table = columns = None
    for raw in (text or '').splitlines():
        line = raw.rstrip('\n')
        head = re.match(r'^== (\S+) ==$', line.strip())
        if head:
            table, columns = head.group(1), None
            tables[table] = []
            continue
        if line.startswith(('Failed to', 'Unable to connect', 'Cluster nodes not ready', 'scanOp->')):
            errors.append(line.strip())
            continue
        if table is None or not line.strip():
            continue
        cells = line.split('\t')
        if cells and cells[-1] == '':
            cells = cells[:-1]
        if columns is None:
            columns = cells
            continue
        tables[table].append(dict(zip(columns, cells)))
    return tables, errors


def encrypted_fs_values(rows, param=ENCRYPTED_FILE_SYSTEM_PARAM):
    """{node_id: EncryptedFileSystem as int} from config_values rows (node_id, config_param, config_value)."""
    out = {}
    for row in rows or []:
        try:
            if int(row.get('config_param')) != param:
                continue
            node = int(row['node_id'])
        except (TypeError, ValueError, KeyError):
            continue
        value = (row.get('config_value') or '').strip()
        out[node] = int(value) if value.isdigit() else value
    return out


def active_encryption(result, source='ndbinfo_select_all'):
    """EncryptedFileSystem per data node from either source of ndb_tde_status: `ndbinfo_select_all config_values`
    (no SQL node needed) or the ndbinfo query through mysql -N -B. result: the command's registered result (rc,
    stdout, stderr, skipped) or its output text. {values: {node_id: int}, error: str or None}."""
    if source == 'none':
        return {'values': {}, 'error': 'EncryptedFileSystem not read (ndb_tde_status_source: none)'}
    if isinstance(result, dict):
        if result.get('skipped') or 'rc' not in result:
            return {'values': {}, 'error': 'no SQL node to query (ndb_tde_status_query_host)' if source == 'sql'
                    else '%s did not run' % source}
        text = '%s\n%s' % (result.get('stdout') or '', result.get('stderr') or '')
        if result['rc'] != 0:
            return {'values': {}, 'error': '%s failed (rc %s): %s' % (source, result['rc'], ' '.join(text.split())[:300])}
    else:
        text = result or ''
    if source == 'sql':
        return {'values': parse_config_values(text), 'error': None}
    try:
        values = encrypted_fs_values(parse_ndbinfo_select_all(text).get('config_values'))
    except NdbError as exc:
        return {'values': {}, 'error': str(exc)}
    return {'values': values, 'error': None if values else 'ndbinfo_select_all returned no EncryptedFileSystem row'}
