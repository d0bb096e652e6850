# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL NDB Cluster program output: ndb_mgm (show, all status, START BACKUP), ndbxfrm -i and the ndbinfo query.

These programs answer in text meant for people; the modules ndb_cluster_info, ndb_node_stop and ndb_tde_status
and the filters ndb_config_values and ndb_backup_result read it here, in one place, so that a format change of a
release is fixed once. An unreachable management server is an NdbError, never an empty cluster. Pure Python,
no Ansible import.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb_error import NdbError

_CONNECT_ERRORS = ('Unable to connect', 'Could not connect', 'Connection to management server failed',
                   'Failed to connect')
_SHOW_SECTION = re.compile(r'^\[(ndbd|ndb_mgmd|mysqld)\((NDB|MGM|API)\)\]\s+(\d+)\s+node\(s\)')
_SHOW_NODE = re.compile(r'^id=(\d+)\s*(?:@(\S+))?\s*\((.*)\)\s*$')
_STATUS_LINE = re.compile(r'^Node (\d+): ([A-Za-z][A-Za-z ]*?)\s*(?:\(Last completed phase (\d+)\))?\s*'
                          r'(?:\(([^)]*)\))?\s*$')
_TYPES = {'ndbd': 'data', 'ndb_mgmd': 'mgmd', 'mysqld': 'api'}


def _check_connected(text):
    for line in (text or '').splitlines():
        if line.strip().startswith(_CONNECT_ERRORS):
            raise NdbError('ndb_mgm could not reach the management server: %s' % line.strip())


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


def parse_backup_output(text):
    """START BACKUP output: {backup_id, completed, error} (an error quotes ndb_mgm's lines)."""
    backup_id = None
    completed = False
    errors = []
    for raw in (text or '').splitlines():
        line = raw.strip()
        match = re.search(r'Backup (\d+) started from node \d+( completed)?', line)
        if match:
            backup_id = int(match.group(1))
            completed = completed or bool(match.group(2))
        if line.startswith(('Backup failed', '*')) or 'error' in line.lower():
            errors.append(line)
    return {'backup_id': backup_id, 'completed': completed, 'error': ' '.join(errors) or None}


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
