# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's rolling restart: which nodes restart, how many at once, and the lines it reports."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible.module_utils.parsing.convert_bool import boolean


def _true(facts, name):
    return boolean(facts.get(name, False), strict=False)


def changed_running(hosts, facts):
    """The hosts that ran before this play and whose drop-in changed, except those a full restart already stopped
    and bootstrapped again (they read the new file); facts is aligned with hosts (each host's variables)."""
    return [h for h, v in zip(hosts, facts)
            if _true(v, 'galera_was_running') and _true(v, 'galera_config_changed') and not _true(v, '__galera_full_restarted')]


def batch_problems(batch, size):
    """Why restart_batch nodes of a cluster of size may not restart at once: a whole number of at least 1, and more
    than one only when the nodes left running are a majority (one more failure must not cost quorum)."""
    batch = str(batch)
    if not re.match(r'^[0-9]+$', batch) or int(batch) < 1:
        return ['must be a whole number of at least 1']
    left = size - int(batch)
    if int(batch) > 1 and left * 2 <= size:
        return ['would take %s of %d nodes down at once and the %d left running are not a majority; at most %d here'
                % (batch, size, max(left, 0), max((size - 1) // 2, 1))]
    return []


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
