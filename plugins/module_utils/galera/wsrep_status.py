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


def synced_problem(status, size):
    """None when the node is Synced in a Primary component of at least size nodes, else why not."""
    state = status.get('wsrep_local_state_comment', '?')
    if state != 'Synced':
        return 'is %s' % state
    if status.get('wsrep_cluster_status') != 'Primary':
        return 'not in a Primary component'
    try:
        seen = int(status.get('wsrep_cluster_size', '0'))
    except ValueError:
        seen = 0
    if seen < size:
        return 'sees cluster size %s, expected %d' % (status.get('wsrep_cluster_size', '?'), size)
    return None


def read(run, client):
    """(status, problem) of the node the client argv talks to; run is AnsibleModule.run_command."""
    rc, out, err = run(list(client) + ['-N', '-B', '-e', STATUS_SQL])
    if rc != 0:
        return {}, 'not answering: %s' % (err.strip() or 'client exit code %d' % rc)
    return parse(out), None


# On the way to Synced: worth another poll even where membership must not change.
TRANSITIONAL = ('Joining', 'Joined', 'Donor/Desynced')


def wait_synced(run, client, size, timeout, interval, clock, sleep, fail_fast=False):
    """Poll until Synced in a Primary component of at least size nodes: (status, problem); problem is None on
    success, else the last reason after timeout seconds. With fail_fast (a step that cannot change membership,
    such as a TLS reload) only a transitional state is polled; a node not answering, outside a Primary component
    or seeing fewer nodes is a problem at once. clock and sleep are time.monotonic and time.sleep."""
    deadline = clock() + timeout
    while True:
        status, problem = read(run, client)
        if problem is None:
            problem = synced_problem(status, size)
        if problem is None or clock() >= deadline:
            return status, problem
        if fail_fast and status.get('wsrep_local_state_comment') not in TRANSITIONAL:
            return status, problem
        sleep(interval)
