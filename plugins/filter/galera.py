# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import bootstrap, restart_plan, service_plan
from ansible_collections.clustersec.mysql.plugins.module_utils._common.plain_data import plain as _plain


def _facts(hosts, hostvars, names):
    """Plain dicts of the named variables of each host (hostvars is lazy; read only what the rule needs)."""
    out = []
    for h in hosts:
        v = hostvars[h] if h in hostvars else {}
        out.append(dict((n, _plain(v[n])) for n in names if n in v))
    return out


def galera_restart_candidates(hosts, hostvars):
    hosts = [str(h) for h in hosts]
    facts = _facts(hosts, hostvars, ('galera_was_running', 'galera_config_changed', '__galera_full_restarted'))
    return restart_plan.changed_running(hosts, facts)


def _counts(name, size, arbitrators):
    try:
        return int(size), int(arbitrators)
    except (TypeError, ValueError):
        raise AnsibleFilterError('%s: the cluster size and arbitrators must be whole numbers, got %s and %s' % (name, size, arbitrators))


def galera_batch_problems(batch, size, arbitrators=0, seen=None):
    size, arbitrators = _counts('galera_batch_problems', size, arbitrators)
    if seen is not None:
        # Only the arbitrators the gate found in the cluster count toward the majority of the batch about to go down.
        if not isinstance(seen, list):
            raise AnsibleFilterError('galera_batch_problems: seen expects the results list of the gate')
        arbitrators = restart_plan.arbitrators_seen(_plain(seen), size, arbitrators)
    return restart_plan.batch_problems(batch, size, arbitrators)


def galera_restart_batch(batch, size, arbitrators=0):
    size, arbitrators = _counts('galera_restart_batch', size, arbitrators)
    problems = restart_plan.batch_problems(batch, size, arbitrators)
    if problems:
        raise AnsibleFilterError('galera_restart_batch: %s: %s' % (batch, '; '.join(problems)))
    return restart_plan.batch_size(batch, size, arbitrators)


def galera_batch_report(results, host_key, first, total, check_mode=False):
    return restart_plan.batch_report(_plain(results), str(host_key), int(first), total, boolean(check_mode, strict=False))


def galera_restart_summary(hosts, hostvars, check_mode=False):
    hosts = [str(h) for h in hosts]
    facts = _facts(hosts, hostvars, ('galera_config_changed', 'galera_restart_result'))
    return restart_plan.summary(hosts, facts, boolean(check_mode, strict=False))


def galera_saved_state(slurped):
    """A slurp result of grastate.dat (failed: no file) as the saved state."""
    content = (slurped or {}).get('content')
    return bootstrap.saved_state(None if content is None else base64.b64decode(content).decode('utf-8', 'replace'))


def galera_bootstrap_problem(hosts, hostvars, bootstrap_host):
    hosts = [str(h) for h in hosts]
    if str(bootstrap_host) not in hosts:
        hosts.append(str(bootstrap_host))
    states = [f.get('__galera_saved_state') for f in _facts(hosts, hostvars, ('__galera_saved_state',))]
    if any(s is None for s in states):
        raise AnsibleFilterError('galera_bootstrap_problem: no saved state read on %s'
                                 % ', '.join(h for h, s in zip(hosts, states) if s is None))
    return bootstrap.bootstrap_problem(hosts, states, str(bootstrap_host))


def galera_running_hosts(hosts, hostvars):
    hosts = [str(h) for h in hosts]
    return service_plan.running_hosts(hosts, _facts(hosts, hostvars, ('galera_was_running',)))


def galera_join_plan(hosts, hostvars, bootstrap, full_restart, bootstrap_host):
    hosts = [str(h) for h in hosts]
    return service_plan.join_plan(hosts, _facts(hosts, hostvars, ('galera_was_running',)), boolean(bootstrap, strict=False),
                                  boolean(full_restart, strict=False), str(bootstrap_host))


class FilterModule(object):
    def filters(self):
        return {
            'galera_restart_candidates': galera_restart_candidates,
            'galera_batch_problems': galera_batch_problems,
            'galera_restart_batch': galera_restart_batch,
            'galera_batch_report': galera_batch_report,
            'galera_restart_summary': galera_restart_summary,
            'galera_saved_state': galera_saved_state,
            'galera_bootstrap_problem': galera_bootstrap_problem,
            'galera_running_hosts': galera_running_hosts,
            'galera_join_plan': galera_join_plan,
        }
