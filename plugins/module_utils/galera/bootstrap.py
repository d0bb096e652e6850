# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether the bootstrap node may bootstrap: galera refuses safe_to_bootstrap: 0, and a node without data while
others hold some would make every joiner an SST copy of an empty node."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.galera.recovery import parse_grastate


def saved_state(text):
    """grastate.dat text (None: no file) as present, uuid, seqno (-1 unknown), safe_to_bootstrap."""
    return parse_grastate(text)


def bootstrap_problem(hosts, states, bootstrap_host):
    """'' when bootstrap_host may bootstrap, else why not with every node's saved state; states aligned with hosts."""
    by_host = dict(zip(hosts, states))
    boot = by_host[bootstrap_host]
    if boot['present'] and boot['safe_to_bootstrap']:
        return ''
    if boot['present']:
        why = 'its grastate.dat has safe_to_bootstrap: 0'
    elif any(s['present'] for s in states):
        why = 'it has no grastate.dat while other nodes hold data'
    else:
        return ''
    saved = '; '.join('%s seqno=%d safe_to_bootstrap=%d' % (h, s['seqno'], 1 if s['safe_to_bootstrap'] else 0)
                      for h, s in zip(hosts, states))
    return ('%s must not bootstrap the cluster: %s. Saved states: %s. Set the role\'s bootstrap host to the node that '
            'stopped last (highest seqno). No node was started.' % (bootstrap_host, why, saved))
