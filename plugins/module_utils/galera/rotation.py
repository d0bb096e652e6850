# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificate rotation of a Galera cluster: the summary of what each phase did on each node."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


def phase_line(entry, check_mode=False):
    if entry.get('restarted'):
        how = 'restarted'
    elif entry.get('reloaded'):
        how = 'reloaded'
    else:
        how = 'would reload' if check_mode else 'not reloaded'
    return 'phase %s: %s file(s) %s, %s, %s s' % (entry.get('phase'), entry.get('files', 0),
                                                  'would change' if check_mode else 'changed', how,
                                                  entry.get('seconds', 0))


def summary(hosts, logs, check_mode=False):
    """One line per node: '<host> - phase N: X file(s) changed, reloaded, S s; ...' or '<host> - nothing done'.
    logs: {host: [{phase, files, reloaded, restarted, seconds}]}."""
    out = []
    for h in hosts:
        steps = [phase_line(e, check_mode) for e in logs.get(h) or []]
        out.append('%s - %s' % (h, '; '.join(steps) if steps else 'nothing done'))
    return out


def pending(hosts, done):
    """Hosts of the play that did not finish every phase (done: {host: bool})."""
    return [h for h in hosts if not done.get(h)]
