# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A node's Galera state as the command-line client prints it (-N -B), and what counts as Synced."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

STATUS_SQL = ("SHOW GLOBAL STATUS WHERE Variable_name IN "
              "('wsrep_cluster_size', 'wsrep_cluster_status', 'wsrep_local_state_comment')")


# Argument spec of the Galera modules that talk to the node's server and wait (doc fragment clustersec.mysql.galera_client).
CLIENT_SPEC = dict(client=dict(type='str', default='mariadb'), timeout=dict(type='int', default=300),
                   poll_interval=dict(type='float', default=0.5))


def parse(output):
    """Tab-separated name/value lines (client -N -B) as a dict; names lower case, values as printed."""
    status = {}
    for line in (output or '').splitlines():
        name, sep, value = line.strip().partition('\t')
        if sep:
            status[name.lower()] = value.strip()
    return status


def _seen(status):
    try:
        return int(status.get('wsrep_cluster_size', '0'))
    except ValueError:
        return 0


def problems(status, size, most=None):
    """Every reason the node is not Synced in a Primary component of size nodes (at most most, when given: a node
    that sees more than the inventory holds has a member nobody listed); empty when it is. The one wsrep status rule:
    the gate, the waits and the modules all decide with it."""
    out = []
    state = status.get('wsrep_local_state_comment', '?')
    if state != 'Synced':
        out.append('is %s' % state)
    if status.get('wsrep_cluster_status') != 'Primary':
        out.append('not in a Primary component')
    seen, shown = _seen(status), status.get('wsrep_cluster_size', '?')
    if seen < size:
        out.append('sees cluster size %s, expected %d' % (shown, size))
    elif most is not None and seen > most:
        out.append('sees cluster size %s, expected %s' % (shown, size if most == size else 'at most %d' % most))
    return out


def synced_problem(status, size, most=None):
    """None when the node is Synced in a Primary component of size (to most) nodes, else the first reason why not."""
    found = problems(status, size, most)
    return found[0] if found else None


# On the way to Synced: worth another poll even where membership must not change.
TRANSITIONAL = ('Joining', 'Joined', 'Donor/Desynced')


def settling(status, size, most=None):
    """True when the only thing wrong is a state on its way to Synced (after serving an IST, joining): another poll
    may help. Not answering, outside a Primary component or the wrong size is final for a step that cannot change
    membership."""
    state = status.get('wsrep_local_state_comment')
    return state in TRANSITIONAL and problems(status, size, most) == ['is %s' % state]


def result_problems(result, size, most=None):
    """problems() of a node from a registered client run (raw or command: rc, stdout, stderr; unreachable, msg)."""
    if result.get('rc', 1) != 0 or result.get('unreachable'):
        # raw over SSH with become runs on a tty: the client's error arrives in stdout, stderr is empty.
        if result.get('rc') == 124:
            return ['not answering: no reply within %d s' % READ_TIMEOUT]
        reason = [str(result.get(k) or '').strip() for k in ('stderr', 'stdout', 'msg')]
        return ['not answering: %s' % next((r for r in reason if r), 'client exit code %s' % result.get('rc'))]
    return problems(parse(result.get('stdout')), size, most)


def result_settling(result, size, most=None):
    """settling() of a node from a registered client run; a node that does not answer is not settling."""
    return result.get('rc', 1) == 0 and not result.get('unreachable') and settling(parse(result.get('stdout')), size, most)


def cluster_problems(results, host_key, size, most=None):
    """'<host> <problem>' for every node of a loop over the cluster's nodes (results of a registered loop, the node
    in item host_key)."""
    return ['%s %s' % (r.get(host_key, '?'), p) for r in results for p in result_problems(r, size, most)]


# One read may not outlast this: a client that connected while the server was starting was once seen waiting on its
# socket for good (molecule galera_smoke, 12 minutes, the server Synced), and a poll that hangs never reaches its own
# deadline. coreutils' timeout ends it; the next poll connects afresh.
READ_TIMEOUT = 20


def read(run, client):
    """(status, problem) of the node the client argv talks to; run is AnsibleModule.run_command."""
    rc, out, err = run(['timeout', str(READ_TIMEOUT)] + list(client) + ['-N', '-B', '-e', STATUS_SQL])
    if rc == 124:
        return {}, 'not answering: no reply within %d s' % READ_TIMEOUT
    if rc != 0:
        return {}, 'not answering: %s' % (err.strip() or 'client exit code %d' % rc)
    return parse(out), None


def wait_synced(run, client, size, timeout, interval, clock, sleep, fail_fast=False, most=None):
    """Poll until Synced in a Primary component of size (to most) nodes: (status, problem); problem is None on
    success, else the last reason after timeout seconds. With fail_fast (a step that cannot change membership,
    such as a TLS reload) only a node that is settling() is polled again; anything else is a problem at once.
    clock and sleep are time.monotonic and time.sleep."""
    deadline = clock() + timeout
    while True:
        status, problem = read(run, client)
        if problem is None:
            problem = synced_problem(status, size, most)
        if problem is None or clock() >= deadline:
            return status, problem
        if fail_fast and not settling(status, size, most):
            return status, problem
        sleep(interval)
