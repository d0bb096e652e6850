# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL NDB Cluster node initial rolling restart: node groups, the order of the restarts, and when to refuse one.

A node initial restart (--initial) empties the node's file system, which the other nodes of its node group
refill; the order keeps consecutive restarts in different node groups and restart_problems refuses a restart
that no node group member could refill. ndb_cluster_info reports the order, the role's preflight uses
restart_problems (filter ndb_restart_problems). Pure Python, no Ansible import.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


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


def restart_waves(data_nodes, only=None, per_nodegroup=False):
    """The restart plan as waves: one node per wave, or with per_nodegroup one node of each node group per wave
    (restarted together, as the NDB operator does), in restart_plan's order. Nodes without a node group hold no
    data and join the first wave."""
    plan = restart_plan(data_nodes, only)
    if not per_nodegroup:
        return [[i] for i in plan]
    group_of = dict((int(n['id']), n.get('nodegroup')) for n in data_nodes)
    waves = []
    for node_id in plan:
        group = group_of.get(node_id)
        key = ('none', node_id) if group is None else group
        for wave, keys in waves:
            if key not in keys:
                wave.append(node_id)
                keys.add(key)
                break
        else:
            waves.append(([node_id], set([key])))
    return [wave for wave, dummy in waves]


def host_waves(data_nodes, ids_by_host, per_nodegroup=False):
    """restart_waves of the hosts in ids_by_host ({host: data node id}), as waves of host names; a host whose node
    the running cluster does not list is left out."""
    host_of = dict((int(i), h) for h, i in (ids_by_host or {}).items())
    return [[host_of[i] for i in wave] for wave in restart_waves(data_nodes, list(host_of), per_nodegroup)]


def restart_problems(data_nodes, replicas, backup_confirmed=False):
    """Why a node initial restart must not run: a node group whose data no other node holds.

    data_nodes: the running data nodes ({id, nodegroup}); replicas: NoOfReplicas of the configuration being
    written. With NoOfReplicas=1, or a running node group of one data node, --initial loses that node group's
    data, which only the operator's backup brings back: refused unless backup_confirmed.
    """
    lonely = single_replica_groups(data_nodes)
    try:
        few = int(replicas) < 2
    except (TypeError, ValueError):
        few = True
    if backup_confirmed or not (few or lonely):
        return []
    groups = ' (node groups %s have one data node)' % ', '.join(str(g) for g in lonely) if lonely else ''
    return ['NoOfReplicas=%s%s: a node initial restart empties the node\'s file system and no other node of its '
            'node group holds the data; take a backup, then set ndb_tde_backup_confirmed: true to restore it '
            'yourself after the restart' % (replicas, groups)]


def restart_summary(results, check_mode=False):
    """One line per data node after a rolling restart: results is {host: the host's ndb_tde_restart_result, or an
    empty dict when it was not restarted} in the order to show."""
    lines = []
    for host, result in (results or {}).items():
        if not result:
            what = 'not restarted'
        elif check_mode:
            what = 'would restart with --initial (--check)'
        else:
            what = ('restarted with --initial in wave %s, started again after %s s'
                    % (result.get('wave'), result.get('seconds')))
        lines.append('%s: %s' % (host, what))
    return lines
