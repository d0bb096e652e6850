# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PXC: traffic encryption (pxc-encrypt-cluster-traffic and the channel settings) and the keyring change only with
every node stopped - an encrypted node cannot talk to a plain one, and nodes with and without a keyring cannot be
mixed. The rule of the pxc role's pre-flight (filter clustersec.mysql.pxc_encryption_change_problems); the toggle
entry point is the way to make such a change. Plain functions, no Ansible imports."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

TOGGLE = ('playbooks/pxc_toggle_cluster_encryption.yml with pxc_toggle_confirm=true, which stops the whole cluster, '
          'changes it and bootstraps again')


def problems(nodes, outside_hosts=None):
    """One message when an encryption or keyring change would be made node by node; empty otherwise.

    nodes: {host: {'running': bool, 'changes': [what would change]}} of the cluster's hosts in the play, in order;
    outside_hosts: the cluster's hosts that are not in the play (their state is unknown: counted as running).
    """
    changes = [(host, node.get('changes') or []) for host, node in (nodes or {}).items() if (node or {}).get('changes')]
    running = [host for host, node in (nodes or {}).items() if (node or {}).get('running')]
    outside = list(outside_hosts or [])
    if not changes or not (running or outside):
        return []
    where = ' and '.join(part for part in (
        ', '.join(running) + ' run' if running else '', ', '.join(outside) + ' are not in this play' if outside else '')
        if part)
    return ['replication-traffic encryption or the keyring would change (%s) while %s. PXC cannot change this one node '
            'at a time (nor mix nodes with and without a keyring): run %s. No node was changed'
            % ('; '.join('%s: %s' % (host, ', '.join(c)) for host, c in changes), where, TOGGLE)]


def plain_warning(mode, sst_tls=True, gcomm_tls=True):
    """The warning a toggle to manual mode (pxc-encrypt-cluster-traffic OFF) prints first; empty in automatic mode."""
    if mode != 'manual':
        return ''
    plain = (['SST (full copies of the data)'] if not sst_tls else []) + (
        ['group communication and IST (write-sets, joining nodes)'] if not gcomm_tls else [])
    what = ('NOT encrypted: %s.' % ' and '.join(plain)) if plain else (
        'replication traffic stays encrypted only through the manual SST and socket.ssl settings.')
    return ('WARNING: pxc-encrypt-cluster-traffic will be OFF; %s Without encryption anyone with access to the network '
            'can connect to any node as a client or join the cluster as a node, and so query the data or receive a '
            'complete copy of it.' % what)
