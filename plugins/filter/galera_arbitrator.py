# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import arbitrator
from ansible_collections.clustersec.mysql.plugins.module_utils._common.plain_data import plain as _plain


def galera_arbitrator_problems(settings, allowed=None):
    return arbitrator.problems(_plain(settings), list(_plain(allowed) or []))


def galera_arbitrator_config(settings):
    return arbitrator.config_text(_plain(settings))


def galera_arbitrator_dropin(config_path, user):
    return arbitrator.dropin_text(str(config_path), str(user))


def galera_arbitrator_restart_hosts(hosts, hostvars):
    out = []
    for host in hosts:
        v = hostvars[host] if host in hostvars else {}
        active = _plain(v.get('__galera_arbitrator_active') or {})
        written = _plain(v.get('__galera_arbitrator_written') or {})
        if arbitrator.needs_restart(active.get('stdout', ''), bool(written.get('changed'))):
            out.append(str(host))
    return out


def galera_arbitrator_pki_node(host, hostvars):
    v = hostvars[host] if host in hostvars else {}
    wanted = ('pki_dns_names', 'pki_ip_addresses', 'ansible_host', 'pki_common_name')
    return arbitrator.pki_node(str(host), dict((k, _plain(v[k])) for k in wanted if k in v))


class FilterModule(object):
    def filters(self):
        return {
            'galera_arbitrator_problems': galera_arbitrator_problems,
            'galera_arbitrator_config': galera_arbitrator_config,
            'galera_arbitrator_dropin': galera_arbitrator_dropin,
            'galera_arbitrator_restart_hosts': galera_arbitrator_restart_hosts,
            'galera_arbitrator_pki_node': galera_arbitrator_pki_node,
        }
