# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the ndb_tde role about one host against the running cluster: what state a data node is in
(node_state: does it need a node initial restart), what the running state refuses (running_problems, the
role's preflight_running), and what would still change (unconverged, the role's converged entry point).

Inputs are the results of ndb_cluster_info (cluster) and ndb_tde_status (node) as the role registers them.
Pure Python, no Ansible import.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import restart as ndb_restart

# ndb_mgm's states of a node whose process is gone (the others: starting, started, stopping, ...).
GONE = ('not connected', 'no contact')
SYSTEMD_RUNNING = ('active', 'activating', 'deactivating')


def _file(node, key):
    return (node or {}).get(key) or {}


def _int_list(values):
    return [int(v) for v in values or []]


def process_running(cluster, node_id, service_manager='systemd', active_state=None, script_rc=None):
    """Whether the data node's process runs: from the management server when one answers, else from systemd's
    ActiveState or the start script's status exit code."""
    if cluster.get('reachable'):
        return any(int(n['id']) == int(node_id) and n.get('state') not in GONE for n in cluster.get('nodes') or [])
    if service_manager == 'systemd':
        return (active_state or 'inactive') in SYSTEMD_RUNNING
    return (3 if script_rc is None else int(script_rc)) == 0


def node_state(node, cluster, settings):
    """The state of one data node.

    node: ndb_tde_status's result (fs_present, secrets_file_present, password_file, defaults_file);
    cluster: ndb_cluster_info's result; settings: node_id, enabled, rotate, rotate_nodes, uses_password_file,
    uses_defaults_file, service_manager, active_state (systemd), script_rc (start script status).
    needs_initial: the file system must be rebuilt (encryption turned on or off, or a rotation of this node);
    secret_would_change: the password source on the node would change, and a node keeping its encrypted file
    system would then fail its next start.
    """
    node = node or {}
    node_id = int(settings['node_id'])
    enabled = bool(settings.get('enabled'))
    fs_present = bool(node.get('fs_present'))
    fs_encrypted = bool(node.get('secrets_file_present'))
    rotate_nodes = _int_list(settings.get('rotate_nodes'))
    rotating = bool(settings.get('rotate')) and (not rotate_nodes or node_id in rotate_nodes)
    changes = []
    for uses, key in (('uses_password_file', 'password_file'), ('uses_defaults_file', 'defaults_file')):
        found = _file(node, key)
        changes.append(bool(settings.get(uses)) and bool(found.get('exists')) and not found.get('current'))
    return {
        'fs_present': fs_present,
        'fs_encrypted': fs_encrypted,
        'process_running': process_running(cluster or {}, node_id, settings.get('service_manager', 'systemd'),
                                           settings.get('active_state'), settings.get('script_rc')),
        'secret_would_change': any(changes),
        'needs_initial': fs_present and (rotating or fs_encrypted != enabled),
    }


def node_started(nodes, node_type, node_id):
    """Whether the node of this type and id reports started (nodes: ndb_cluster_info's nodes)."""
    try:
        wanted = int(node_id)
    except (TypeError, ValueError):
        return False
    return any(n.get('type', 'data') == node_type and int(n['id']) == wanted and n.get('state') == 'started'
               for n in nodes or [])


def cluster_running(cluster):
    """A management server answers and at least one data node is started."""
    return bool(cluster.get('reachable')) and len(cluster.get('started') or []) > 0


def running_problems(cluster, state, settings):
    """Why this data node must not go on, against the running state (each a sentence).

    cluster: ndb_cluster_info's result; state: node_state's result; settings: node_id, connectstring, enabled,
    rotate, replicas, backup_confirmed, restarting (hosts that need a node initial restart, any host).
    """
    node_id = int(settings['node_id'])
    enabled = bool(settings.get('enabled'))
    rotate = bool(settings.get('rotate'))
    problems = []
    if not cluster.get('reachable') and state.get('process_running'):
        problems.append('the node runs but no management server answers at %s (%s); start ndb_mgmd first'
                        % (settings.get('connectstring'), cluster.get('error') or ''))
    if not cluster_running(cluster):
        if state.get('fs_present') and state.get('fs_encrypted') != enabled:
            problems.append(
                'its file system is %s but ndb_tde_enabled is %s, and the cluster is stopped, so no node group could '
                'rebuild the node; start the cluster as it is, then turn encryption %s with playbooks/ndb_tde_toggle.yml'
                % ('encrypted' if state.get('fs_encrypted') else 'not encrypted', enabled, 'on' if enabled else 'off'))
        if rotate:
            problems.append('the cluster is stopped; a password rotation needs it running')
        return problems
    data_nodes = _int_list(cluster.get('data_nodes'))
    if node_id not in data_nodes:
        problems.append(
            "data node %d is missing from the running cluster's config.ini (the management server knows data nodes "
            "%s); fix ndb_tde_node_id, or add the node to the cluster before turning encryption on or off"
            % (node_id, ', '.join(str(i) for i in data_nodes)))
    if settings.get('restarting') and not cluster.get('all_started'):
        problems.append('a node initial rolling restart needs every data node started, but %s'
                        % ', '.join('%s is %s' % item for item in (cluster.get('not_started') or {}).items()))
    if state.get('needs_initial'):
        data = [n for n in cluster.get('nodes') or [] if n.get('type', 'data') == 'data']
        problems.extend(ndb_restart.restart_problems(data, settings.get('replicas'), bool(settings.get('backup_confirmed'))))
    if state.get('secret_would_change') and state.get('fs_encrypted') and not state.get('needs_initial'):
        problems.append('the file system password differs from the one on the node, but the node keeps its encrypted '
                        'file system and would not start with it next time; rotate with '
                        'playbooks/ndb_password_rotation.yml (ndb_tde_rotate: true)')
    if rotate and not enabled:
        problems.append('ndb_tde_rotate needs ndb_tde_enabled true (there is no password to rotate)')
    return problems


def unconverged(cluster, host):
    """What the role's main would still do for this host (each a short sentence); empty when nothing.

    Conservative: anything the role cannot read cheaply counts as a change. cluster: ndb_cluster_info's result
    (empty when it was not read); host: manager, rotate, data_node_id (None on other hosts), needs_initial,
    secret_would_change, mgmd_node_id (None on other hosts), cache_moves (the configuration cache moves to a new
    directory), changed (names of files or directories that would change).
    """
    cluster = cluster or {}
    if host.get('manager', 'config') != 'config':
        return ['ndb_tde_manager is %s: MySQL Cluster Manager applies the change, the role does not read its state'
                % host.get('manager')]
    out = []
    if host.get('rotate'):
        out.append('ndb_tde_rotate asks for a password rotation')
    if not cluster.get('reachable'):
        out.append('no management server answers')
    elif not cluster.get('all_started'):
        out.append('not every data node is started (%s)'
                   % ', '.join('%s is %s' % item for item in (cluster.get('not_started') or {}).items()))
    states = dict(((n.get('type', 'data'), int(n['id'])), n.get('state')) for n in cluster.get('nodes') or [])
    if host.get('data_node_id') is not None:
        node_id = int(host['data_node_id'])
        if cluster.get('reachable') and states.get(('data', node_id)) != 'started':
            out.append('data node %d is not started' % node_id)
        if host.get('needs_initial'):
            out.append('data node %d needs a node initial restart' % node_id)
        if host.get('secret_would_change'):
            out.append("data node %d's password source would change" % node_id)
    mgmd = host.get('mgmd_node_id')
    if mgmd is not None and str(mgmd) != '':
        if cluster.get('reachable') and states.get(('mgmd', int(mgmd))) != 'started':
            out.append('management server %s is not started' % mgmd)
        if host.get('cache_moves'):
            out.append('the configuration cache of management server %s moves to a new directory' % mgmd)
    changed = [str(c) for c in host.get('changed') or []]
    if changed:
        out.append('would change: %s' % ', '.join(changed))
    return out
