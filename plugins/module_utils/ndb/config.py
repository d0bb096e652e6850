# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL NDB Cluster config.ini: the node list it is rendered from, and what is wrong with it before it is written.

The role's template config.ini.j2 writes what build_config_nodes returns (filter ndb_config_nodes); config_problems
(filter ndb_config_problems) refuses node ids, node groups and overrides that ndb_mgmd would refuse or that would
change what the role owns, so a bad inventory never reaches a management server. Pure Python, no Ansible import.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError

# Keys of [DB default] the role writes from its own variables; an override of one would undo them.
OWNED_DB_KEYS = ('NoOfReplicas', 'EncryptedFileSystem', 'RequireEncryptedBackup', 'LockPagesInMainMemory')
SECTIONS = ('DB default', 'MGM default', 'API default', 'TCP default', 'SHM default', 'SYSTEM')
_SECTION_ALIASES = {'ndbd default': 'DB default', 'ndb_mgmd default': 'MGM default', 'mysqld default': 'API default'}


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
