# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL NDB Cluster helpers for transparent data encryption (TDE).

Password rules, the hex form of a secret, parsers for ndb_mgm, ndbxfrm and the ndbinfo query,
the cluster node list that config.ini is rendered from, and the order of a node initial rolling
restart. Pure Python, no Ansible import: modules, filters and tests share it.

No function here puts a password (or anything derived from it, except hexify) into a message.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import binascii
import re

# File system password (ndbmtd --filesystem-password*, [ndbd] filesystem-password).
FS_PASSWORD_FORBIDDEN = "!'\"`$%\\^"
FS_PASSWORD_MAX = 512
# Backup password (START BACKUP ENCRYPT PASSWORD=...): the manual lists these characters and 256.
BACKUP_PASSWORD_FORBIDDEN = "!'\"$%\\^"
BACKUP_PASSWORD_MAX = 256

SECRETS_FILE = 'D1/NDBCNTR/S0.sysfile'
NO_NODEGROUP = 65536

# The seed's query: EncryptedFileSystem per node from the active configuration.
CONFIG_VALUES_QUERY = ("SELECT node_id 'NodeId', config_value 'EncryptedFileSystem' "
                       "FROM ndbinfo.config_values cv JOIN ndbinfo.config_params cp "
                       "ON cv.config_param = cp.param_number WHERE param_name = 'EncryptedFileSystem'")


class NdbError(ValueError):
    """Bad input or output; the message never contains a password."""


def _printable_ascii(char):
    return 0x20 <= ord(char) <= 0x7e


def password_problems(password, kind='filesystem', max_length=None, name='password', encoding='plain'):
    """Every rule the password breaks, as sentences naming position and rule, never the password.

    kind 'filesystem' applies the data node rules (no ! ' " ` $ % \\ ^, at most 512 characters),
    'backup' those of START BACKUP ENCRYPT PASSWORD (no ! ' " $ % \\ ^, at most 256).
    encoding 'hex': the password is delivered in its hex form, which only has to fit in 512 characters.
    """
    if encoding == 'hex' and kind == 'filesystem':
        if password is None or password == '':
            return ['%s is empty' % name]
        raw = password if isinstance(password, bytes) else str(password).encode('utf-8')
        if 2 * len(raw) > FS_PASSWORD_MAX:
            return ['the hex form of %s is %d characters long; at most %d are allowed (a secret of at most %d bytes)'
                    % (name, 2 * len(raw), FS_PASSWORD_MAX, FS_PASSWORD_MAX // 2)]
        return []
    if encoding not in ('plain', 'hex'):
        return ["unknown password encoding '%s' (plain or hex)" % encoding]
    if kind == 'filesystem':
        forbidden, limit = FS_PASSWORD_FORBIDDEN, FS_PASSWORD_MAX
    elif kind == 'backup':
        forbidden, limit = BACKUP_PASSWORD_FORBIDDEN, BACKUP_PASSWORD_MAX
    else:
        raise NdbError("unknown password kind '%s' (filesystem or backup)" % kind)
    limit = max_length or limit
    if password is None or password == '':
        return ['%s is empty' % name]
    if isinstance(password, bytes):
        return ['%s is binary; give its hex form (ndb_password_hex)' % name]
    if not isinstance(password, str):
        return ['%s must be a string, not %s' % (name, type(password).__name__)]
    problems = []
    if len(password) > limit:
        problems.append('%s is %d characters long; at most %d are allowed' % (name, len(password), limit))
    bad_pos = [i + 1 for i, c in enumerate(password) if c in forbidden]
    odd_pos = [i + 1 for i, c in enumerate(password) if not _printable_ascii(c)]
    shown = ' '.join(forbidden)
    if bad_pos:
        problems.append('%s contains a forbidden character at position %s (none of %s may be used)'
                        % (name, _positions(bad_pos), shown))
    if odd_pos:
        problems.append('%s contains a character that is not printable ASCII at position %s'
                        % (name, _positions(odd_pos)))
    if (bad_pos or odd_pos) and kind == 'filesystem':
        raw = len(password.encode('utf-8'))
        if 2 * raw <= FS_PASSWORD_MAX:
            problems.append('use its hex form instead: set ndb_tde_password_encoding: hex (%d hex characters, '
                            'the hex text becomes the file system password)' % (2 * raw))
        else:
            problems.append('its hex form would be %d characters, more than %d: choose a shorter secret'
                            % (2 * raw, FS_PASSWORD_MAX))
    return problems


def _positions(positions):
    text = ', '.join(str(p) for p in positions[:5])
    return text + (' and %d more' % (len(positions) - 5) if len(positions) > 5 else '')


def check_password(password, kind='filesystem', where=None, name='password'):
    """Raise NdbError naming where (host, node) and every rule broken."""
    problems = password_problems(password, kind, name=name)
    if problems:
        prefix = '%s: ' % where if where else ''
        raise NdbError(prefix + '; '.join(problems))
    return password


def hexify(secret):
    """Hex form of a secret (str as UTF-8, or bytes): only 0-9a-f, accepted by every rule."""
    if isinstance(secret, str):
        secret = secret.encode('utf-8')
    if not isinstance(secret, bytes):
        raise NdbError('a secret to hexify must be text or bytes, not %s' % type(secret).__name__)
    if not secret:
        raise NdbError('cannot hexify an empty secret')
    out = binascii.hexlify(secret).decode('ascii')
    if len(out) > FS_PASSWORD_MAX:
        raise NdbError('the hex form is %d characters long; at most %d are allowed (a secret of at most %d bytes)'
                       % (len(out), FS_PASSWORD_MAX, FS_PASSWORD_MAX // 2))
    return out


def encode_password(password, encoding='plain'):
    """The text given to ndbmtd: the password itself or its hex form."""
    if encoding == 'plain':
        return password
    if encoding == 'hex':
        return hexify(password)
    raise NdbError("unknown password encoding '%s' (plain or hex)" % encoding)


# --- ndb_mgm output -------------------------------------------------------------------------

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


# --- config.ini ----------------------------------------------------------------------------

def parse_config_ini(text):
    """config.ini into [(section, {key: value})]; sections repeat, keys keep their case."""
    sections = []
    current = None
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line or line.startswith(('#', ';')):
            continue
        if line.startswith('[') and line.endswith(']'):
            current = (line[1:-1].strip(), {})
            sections.append(current)
            continue
        if current is None:
            raise NdbError("config.ini: '%s' is outside any section" % line)
        if '=' not in line:
            raise NdbError("config.ini: '%s' is not key=value (section [%s])" % (line, current[0]))
        key, value = line.split('=', 1)
        current[1][key.strip()] = value.strip()
    return sections


_SECTION_TYPES = {'ndbd': 'data', 'db': 'data', 'ndb_mgmd': 'mgmd', 'mgm': 'mgmd', 'mysqld': 'api', 'api': 'api'}


def config_ini_nodes(sections):
    """Node sections of a parsed config.ini: [{type, id, hostname, params}]."""
    nodes = []
    for name, values in sections:
        kind = _SECTION_TYPES.get(name.lower())
        if kind is None:
            continue
        lower = dict((k.lower(), v) for k, v in values.items())
        node_id = lower.get('nodeid', lower.get('id'))
        nodes.append({'type': kind, 'id': int(node_id) if node_id not in (None, '') else None,
                      'hostname': lower.get('hostname'), 'params': values})
    return nodes


def build_config_nodes(mgmd_hosts, data_hosts, api_hosts, hostvars, defaults=None):
    """The node list config.ini is rendered from, read from the inventory.

    hostvars maps host -> its variables (inventory, facts). Per host: ndb_tde_node_id (data node),
    ndb_tde_mgmd_node_id (management node), ndb_tde_api_node_ids (list, optional), ndb_tde_hostname,
    ndb_tde_datadir / ndb_tde_mgmd_datadir, ndb_tde_nodegroup, ndb_tde_node_params / ndb_tde_mgmd_params
    / ndb_tde_api_params. defaults gives datadir, mgmd_datadir and port.
    """
    defaults = defaults or {}
    nodes = []

    def var(host, name, default=None):
        values = hostvars[host] if host in hostvars else {}
        value = values.get(name) if hasattr(values, 'get') else None
        return default if value is None else value

    for host in mgmd_hosts or []:
        nodes.append({'type': 'mgmd', 'host': host, 'id': _int_or_none(var(host, 'ndb_tde_mgmd_node_id')),
                      'hostname': var(host, 'ndb_tde_hostname', host),
                      'port': _int_or_none(var(host, 'ndb_tde_mgmd_port', defaults.get('port'))),
                      'datadir': var(host, 'ndb_tde_mgmd_datadir', defaults.get('mgmd_datadir')),
                      'nodegroup': None, 'params': dict(var(host, 'ndb_tde_mgmd_params', {}))})
    for host in data_hosts or []:
        nodes.append({'type': 'data', 'host': host, 'id': _int_or_none(var(host, 'ndb_tde_node_id')),
                      'hostname': var(host, 'ndb_tde_hostname', host), 'port': None,
                      'datadir': var(host, 'ndb_tde_datadir', defaults.get('datadir')),
                      'nodegroup': _int_or_none(var(host, 'ndb_tde_nodegroup')),
                      'params': dict(var(host, 'ndb_tde_node_params', {}))})
    for host in api_hosts or []:
        ids = var(host, 'ndb_tde_api_node_ids', []) or [None]
        for node_id in ids:
            nodes.append({'type': 'api', 'host': host, 'id': _int_or_none(node_id),
                          'hostname': var(host, 'ndb_tde_hostname', host), 'port': None, 'datadir': None,
                          'nodegroup': None, 'params': dict(var(host, 'ndb_tde_api_params', {}))})
    return nodes


def _int_or_none(value):
    if value is None or value == '':
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NdbError("'%s' is not a node number" % value)


OWNED_DB_KEYS = ('NoOfReplicas', 'EncryptedFileSystem', 'RequireEncryptedBackup', 'LockPagesInMainMemory')
SECTIONS = ('DB default', 'MGM default', 'API default', 'TCP default', 'SHM default', 'SYSTEM')
_SECTION_ALIASES = {'ndbd default': 'DB default', 'ndb_mgmd default': 'MGM default', 'mysqld default': 'API default'}


def config_problems(nodes, replicas=2, overrides=None):
    """Everything wrong with a node list and the overrides, one sentence each."""
    problems = []
    seen = {}
    for node in nodes:
        kind, node_id = node.get('type'), node.get('id')
        label = '%s node on %s' % (kind, node.get('host') or node.get('hostname'))
        if kind not in ('mgmd', 'data', 'api'):
            problems.append("%s: type must be mgmd, data or api" % label)
            continue
        if node_id is None:
            if kind != 'api':
                problems.append('%s has no node id (set %s)' % (
                    label, 'ndb_tde_node_id' if kind == 'data' else 'ndb_tde_mgmd_node_id'))
            continue
        top = 144 if kind == 'data' else 255
        if not 1 <= node_id <= top:
            problems.append('%s: node id %d is outside 1..%d' % (label, node_id, top))
        if node_id in seen:
            problems.append('node id %d is used twice (%s and %s)' % (node_id, seen[node_id], label))
        seen[node_id] = label
        if kind == 'data' and not node.get('datadir'):
            problems.append('%s has no data directory' % label)
    data = [n for n in nodes if n.get('type') == 'data']
    mgmd = [n for n in nodes if n.get('type') == 'mgmd']
    if not mgmd:
        problems.append('no management node: put at least one host in the management group')
    if not data:
        problems.append('no data node: put at least one host in the data node group')
    try:
        replicas = int(replicas)
    except (TypeError, ValueError):
        replicas = 0
    if not 1 <= replicas <= 4:
        problems.append('NoOfReplicas must be 1 to 4')
    elif data and len(data) % replicas:
        problems.append('%d data nodes cannot form node groups of NoOfReplicas=%d' % (len(data), replicas))
    for section, values in (overrides or {}).items():
        if section not in SECTIONS:
            hint = _SECTION_ALIASES.get(section.lower() if isinstance(section, str) else section)
            problems.append("ndb_tde_config_overrides: unknown section '%s'%s (use one of %s)" % (
                section, " (write '%s')" % hint if hint else '', ', '.join(SECTIONS)))
            continue
        if not isinstance(values, dict):
            problems.append("ndb_tde_config_overrides['%s'] must be a mapping" % section)
            continue
        if section == 'DB default':
            owned = [k for k in values if str(k).lower() in [o.lower() for o in OWNED_DB_KEYS]]
            for key in owned:
                problems.append("ndb_tde_config_overrides['DB default'] sets %s, which the role owns "
                                "(ndb_tde_enabled, ndb_tde_require_encrypted_backup, ndb_tde_no_of_replicas, "
                                "ndb_tde_lock_pages_in_main_memory)" % key)
    return problems


def missing_data_nodes(nodes, expected):
    """Data nodes {host: node_id} of the inventory that the node list does not declare as data nodes."""
    declared = set(n['id'] for n in nodes if n.get('type') == 'data' and n.get('id') is not None)
    return dict((host, node_id) for host, node_id in sorted(expected.items()) if int(node_id) not in declared)


def assign_nodegroups(nodes, replicas):
    """Node groups as NDB forms them: an explicit nodegroup, else data nodes in order, `replicas` a group."""
    data = [n for n in nodes if n.get('type') == 'data']
    out = {}
    used = set(n['nodegroup'] for n in data if n.get('nodegroup') is not None)
    group, count = 0, 0
    for node in data:
        if node.get('nodegroup') is not None:
            out[node['id']] = None if node['nodegroup'] == NO_NODEGROUP else node['nodegroup']
            continue
        while group in used:
            group += 1
        out[node['id']] = group
        count += 1
        if count == int(replicas):
            used.add(group)
            count = 0
    return out


# --- restart plan --------------------------------------------------------------------------

def nodegroups(data_nodes):
    """{nodegroup: [ids]} (None for nodes without a node group)."""
    groups = {}
    for node in data_nodes:
        groups.setdefault(node.get('nodegroup'), []).append(int(node['id']))
    for ids in groups.values():
        ids.sort()
    return groups


def single_replica_groups(data_nodes):
    """Node groups with one member: stopping it takes part of the data offline."""
    return sorted(g for g, ids in nodegroups(data_nodes).items() if g is not None and len(ids) < 2)


def restart_plan(data_nodes, only=None):
    """Order of a node initial rolling restart: node groups interleaved (0, 1, 0, 1, ...).

    Consecutive restarts hit different node groups where possible, nodes without a node group
    come last. only restricts the plan to these node ids (keeping the order).
    """
    groups = nodegroups(data_nodes)
    ordered = sorted((g for g in groups if g is not None))
    queues = [list(groups[g]) for g in ordered]
    plan = []
    while any(queues):
        for queue in queues:
            if queue:
                plan.append(queue.pop(0))
    plan.extend(groups.get(None, []))
    if only is not None:
        wanted = set(int(i) for i in only)
        plan = [i for i in plan if i in wanted]
    return plan


def restart_steps(plan, data_nodes, parallel=1):
    """Cut a plan into steps (nodes down together): never two nodes of one node group in a step."""
    group_of = dict((int(n['id']), n.get('nodegroup')) for n in data_nodes)
    steps = []
    for node_id in plan:
        group = group_of.get(node_id)
        placed = False
        if parallel > 1 and steps:
            step = steps[-1]
            if len(step) < parallel and (group is None or group not in [group_of.get(i) for i in step]):
                step.append(node_id)
                placed = True
        if not placed:
            steps.append([node_id])
    return steps


def plan_problems(steps, data_nodes, backup_confirmed=False):
    """Why a rolling restart must not run: a step taking a node group down, or a node group of one."""
    problems = []
    group_of = dict((int(n['id']), n.get('nodegroup')) for n in data_nodes)
    for step in steps:
        groups = [group_of.get(i) for i in step if group_of.get(i) is not None]
        if len(groups) != len(set(groups)):
            problems.append('step %s stops two nodes of one node group' % step)
    lonely = single_replica_groups(data_nodes)
    if lonely and not backup_confirmed:
        problems.append('node group%s %s ha%s a single data node (NoOfReplicas=1): restarting it with --initial '
                        'loses its data unless it is restored from a backup; take one and set '
                        'ndb_tde_backup_confirmed: true' % ('s' if len(lonely) > 1 else '',
                                                            ', '.join(str(g) for g in lonely),
                                                            've' if len(lonely) > 1 else 's'))
    return problems


# --- status --------------------------------------------------------------------------------

def tde_verdict(config_value, secrets_present, files):
    """'encrypted', 'not encrypted', or 'inconsistent: ...' from the three checks of the seed."""
    encrypted_files = [f for f in files or [] if f.get('encryption') is True]
    plain_files = [f for f in files or [] if f.get('encryption') is False]
    signs_on = [config_value == 1, secrets_present is True] + [True] * len(encrypted_files)
    signs_off = [config_value == 0, secrets_present is False] + [True] * len(plain_files)
    if any(signs_on) and not any(signs_off):
        return 'encrypted'
    if any(signs_off) and not any(signs_on):
        return 'not encrypted'
    if not any(signs_on) and not any(signs_off):
        return 'unknown'
    reasons = []
    if config_value is not None:
        reasons.append('EncryptedFileSystem=%s' % config_value)
    if secrets_present is not None:
        reasons.append('secrets file %s' % ('present' if secrets_present else 'absent'))
    if encrypted_files or plain_files:
        reasons.append('%d of %d files encrypted' % (len(encrypted_files), len(encrypted_files) + len(plain_files)))
    return 'inconsistent: ' + ', '.join(reasons)


def status_table(rows):
    """Plain-text table of per-node TDE status rows."""
    columns = [('node', 'Node'), ('host', 'Host'), ('config', 'EncryptedFileSystem'),
               ('secrets_file', 'Secrets file'), ('files', 'ndbxfrm'), ('verdict', 'TDE')]
    cells = [[column[1] for column in columns]]
    for row in rows:
        cells.append([_cell(row.get(column[0])) for column in columns])
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = []
    for index, row in enumerate(cells):
        lines.append(' | '.join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if index == 0:
            lines.append('-+-'.join('-' * w for w in widths))
    return lines


def _cell(value):
    if value is None:
        return '-'
    if value is True:
        return 'yes'
    if value is False:
        return 'no'
    return str(value)
