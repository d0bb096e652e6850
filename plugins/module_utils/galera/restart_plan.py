# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's rolling restart: which nodes restart, how many at once, and the lines it reports."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import wsrep_status


def _true(facts, name):
    return boolean(facts.get(name, False), strict=False)


def changed_running(hosts, facts):
    """The hosts that ran before this play and whose drop-in changed, except those a full restart already stopped
    and bootstrapped again (they read the new file); facts is aligned with hosts (each host's variables)."""
    return [h for h, v in zip(hosts, facts)
            if _true(v, 'galera_was_running') and _true(v, 'galera_config_changed') and not _true(v, '__galera_full_restarted')]


# restart_batch: auto, the largest batch the rule below allows (largest_batch).
AUTO = 'auto'


def largest_batch(size, arbitrators=0):
    """The most of size data nodes that may restart at once: the members left running (data nodes and arbitrators,
    one vote each toward the Primary component's quorum; pc.weight is not modelled) stay a majority of every member,
    and at least two data nodes keep running (an arbitrator holds no data and serves no client). One is always
    allowed: 3 nodes 1, 4 nodes 1, 5 nodes 2, 7 nodes 3, 2 nodes and an arbitrator 1, 4 nodes and an arbitrator 2."""
    members = size + arbitrators
    return max(min((members - 1) // 2, size - 2), 1)


def batch_size(batch, size, arbitrators=0):
    """The number of nodes restarted at once for restart_batch as set: auto is largest_batch, else the whole number
    (batch_problems refused anything else before)."""
    batch = str(batch).strip()
    return largest_batch(size, arbitrators) if batch == AUTO else int(batch)


def batch_problems(batch, size, arbitrators=0):
    """Why restart_batch nodes of a cluster of size data nodes (and arbitrators) may not restart at once: auto, or a
    whole number of at least 1, and more than one only when the members left running are a majority (one more failure
    must not cost quorum) with at least two data nodes among them (largest_batch)."""
    batch = str(batch).strip()
    if batch == AUTO:
        return []
    if not re.match(r'^[0-9]+$', batch) or int(batch) < 1:
        return ['must be a whole number of at least 1, or auto']
    down = int(batch)
    left = size - down
    most = largest_batch(size, arbitrators)
    if down <= most:
        return []
    if (left + arbitrators) * 2 <= size + arbitrators:
        if not arbitrators:
            return ['would take %d of %d nodes down at once and the %d left running are not a majority; at most %d here'
                    % (down, size, max(left, 0), most)]
        return ['would take %d of %d nodes down at once and the %d left running with %d arbitrator(s) are not a majority '
                'of the %d members; at most %d here' % (down, size, max(left, 0), arbitrators, size + arbitrators, most)]
    return ['would take %d of %d nodes down at once and leave %d data node(s) running; at least two must keep running; '
            'at most %d here' % (down, size, max(left, 0), most)]


def arbitrators_seen(results, size, arbitrators):
    """The arbitrators in the cluster now, from the gate's reads of every data node (registered raw/command results
    of `client -N -B` status): the smallest wsrep_cluster_size any node reports less the data nodes, at most
    arbitrators; 0 when a read holds no size. A batch counting on an arbitrator that left is checked against this."""
    sizes = []
    for r in results:
        value = wsrep_status.parse((r or {}).get('stdout') or '').get('wsrep_cluster_size')
        if not re.match(r'^[0-9]+$', str(value or '')):
            return 0
        sizes.append(int(value))
    return max(0, min([arbitrators] + [s - size for s in sizes])) if sizes else 0


def batch_report(results, host_key, first, total, check_mode):
    """One line per node of a restarted batch: position among all nodes to restart, how it rejoined, how long."""
    out = []
    for i, r in enumerate(results):
        what = ('would be restarted (--check)' if check_mode
                else 'restarted, rejoined by %s in %s s' % (r.get('rejoined_by', '?'), r.get('seconds', '?')))
        out.append('%s (node %d of %s): %s' % (r.get(host_key), int(first) + i, total, what))
    return out


def summary(hosts, facts, check_mode):
    """One line per host at the end of a rolling restart: config changed or not, restarted (how) or not."""
    out = []
    for h, v in zip(hosts, facts):
        r = v.get('galera_restart_result') or {}
        if not r:
            what = 'not restarted'
        elif check_mode:
            what = 'would restart'
        else:
            what = 'restarted, rejoined by %s, %s s' % (r.get('rejoined_by'), r.get('seconds'))
        out.append('%s: config %s, %s' % (h, 'changed' if _true(v, 'galera_config_changed') else 'unchanged', what))
    return out
