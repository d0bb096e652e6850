# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which unit runs a Galera node, which nodes run, and who joins after a bootstrap (the engine's service step)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.module_utils.parsing.convert_bool import boolean


def running_unit(units, answers):
    """The unit that runs the server: units[0] (the normal unit) unless only another one is active (PXC's
    mysql@bootstrap.service after a bootstrap); answers maps each unit to its systemctl is-active answer."""
    if answers.get(units[0]) != 'active':
        for unit in units[1:]:
            if answers.get(unit) == 'active':
                return unit
    return units[0]


def running_hosts(hosts, facts):
    """The hosts whose server ran when state read it (galera_was_running); facts is aligned with hosts."""
    return [h for h, v in zip(hosts, facts) if boolean(v.get('galera_was_running', False), strict=False)]


def join_plan(hosts, facts, bootstrap, full_restart, bootstrap_host):
    """joiners: the nodes to start one at a time (every node after a full restart, else those not running; never the
    node that bootstrapped); base: the nodes already in the cluster before the first joiner (each joiner waits for
    base + its index + 1)."""
    running = running_hosts(hosts, facts)
    joiners = list(hosts) if full_restart else [h for h in hosts if h not in running]
    if bootstrap:
        joiners = [h for h in joiners if h != bootstrap_host]
    return {'joiners': joiners, 'base': 1 if bootstrap else len(running)}
