# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the certificate rotation and the recovery (roles/galera tasks rotate_certificates, recover_*): the logic
is in module_utils/galera/recovery.py and rotation.py."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import recovery, rotation


def _var(hostvars, host, name, default=None):
    try:
        value = hostvars[host].get(name)
    except (KeyError, TypeError):
        return default
    return default if value is None else value


def galera_rotation_summary(hosts, hostvars, check_mode=False):
    """One line per node of what each rotation phase changed (the phases' __galera_rotate_log)."""
    return rotation.summary(list(hosts), dict((h, _var(hostvars, h, '__galera_rotate_log', [])) for h in hosts),
                            bool(check_mode))


def galera_rotation_pending(hosts, hostvars):
    """Nodes of the play that did not finish every rotation phase."""
    return rotation.pending(list(hosts), dict((h, bool(_var(hostvars, h, '__galera_rotate_done', False))) for h in hosts))


def galera_recovery_files(tls_channels):
    """The CA and certificate files of the node's channels, each once: galera_recovery_state certificates input."""
    if not isinstance(tls_channels, list):
        raise AnsibleFilterError('galera_recovery_files expects the list galera_engine.tls_channels')
    return recovery.certificate_files(tls_channels)


def galera_recovery_addresses(hosts, hostvars):
    """{host: names it is known by}: inventory name, node address, what any node resolved that address to."""
    hosts = list(hosts)
    addresses = dict((h, (_var(hostvars, h, 'galera_engine', {}) or {}).get('node_address') or h) for h in hosts)
    resolved = dict((h, (_var(hostvars, h, 'galera_recovery_saved', {}) or {}).get('resolved') or {}) for h in hosts)
    return recovery.inventory_addresses(hosts, addresses, resolved)


def galera_recovery_describe(plan, needs_recover=None, check_mode=False):
    """One line: the case, what expired where, the positions, which CAs sign the new set."""
    return recovery.describe(plan, list(needs_recover or []), bool(check_mode))


def galera_recovery_summary(hosts, plan, hostvars, joined=None, check_mode=False):
    """One line per node of what the recovery did. joined: the registered loop that started the down nodes."""
    reloads = {}
    for h in hosts:
        r = dict(_var(hostvars, h, '__galera_tls_reload', {}) or {})
        r['restarted'] = bool(_var(hostvars, h, 'galera_reload_restarted', False))
        reloads[h] = r
    started = dict((r.get('__galera_recover_joiner'), r) for r in (joined or {}).get('results', []) or [])
    return recovery.summary(list(hosts), plan, reloads, started, bool(check_mode))


class FilterModule(object):
    def filters(self):
        return {
            'galera_rotation_summary': galera_rotation_summary,
            'galera_rotation_pending': galera_rotation_pending,
            'galera_recovery_files': galera_recovery_files,
            'galera_recovery_addresses': galera_recovery_addresses,
            'galera_recovery_describe': galera_recovery_describe,
            'galera_recovery_summary': galera_recovery_summary,
        }
