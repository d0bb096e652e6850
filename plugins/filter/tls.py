# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.module_utils.probes import attacker_probes
from ansible_collections.clustersec.mysql.plugins.module_utils.galera import tls_channels, tls_policy
from ansible_collections.clustersec.mysql.plugins.module_utils._common.plain_data import plain as _plain


def tls_policy_problems(settings, allowed=None):
    if not isinstance(settings, dict):
        raise AnsibleFilterError('tls_policy_problems expects a dict, got %s' % type(settings).__name__)
    try:
        return tls_policy.settings_problems(_plain(settings), _plain(allowed or []))
    except tls_policy.PolicyError as exc:
        return ['%s (no opt-out accepts this)' % exc]


def tls_override_problems(overrides, allowed=None, variable='config_overrides'):
    if not isinstance(overrides, dict):
        raise AnsibleFilterError('tls_override_problems expects a dict of sections, got %s' % type(overrides).__name__)
    return tls_policy.override_problems(_plain(overrides), _plain(allowed or []), str(variable))


def probe_accepted_certs(probe, strict_channels=None):
    """From a channel_probe result: the certificates that were not proven refused, one line each.

    strict_channels: channels where an undetermined refusal counts too (default: every channel);
    on the others only a proven acceptance counts (3306 refuses hosts without an account before
    TLS, which proves nothing either way)."""
    if not isinstance(probe, dict):
        raise AnsibleFilterError('probe_accepted_certs expects a channel_probe result')
    out = []
    for ch in probe.get('channels') or []:
        strict = strict_channels is None or ch.get('channel') in strict_channels
        wanted = ch.get('refused_certs')
        if wanted is None:
            if not strict:
                continue
            out.append('%s (%s): not probed (%s)' % (ch.get('channel'), ch.get('port'),
                                                     ch.get('error') or 'no TLS session'))
            continue
        for name, res in sorted(wanted.items()):
            if res.get('refused') is False or (res.get('refused') is None and strict):
                why = '' if res.get('refused') is False else ': undetermined, %s' % res.get('error', '')
                out.append('%s on %s (%s)%s' % (name, ch.get('channel'), ch.get('port'), why))
    if not probe.get('channels'):
        out.append('no probe result: %s' % probe.get('msg', 'unknown'))
    return out


def probe_account_sql(flavor, action, password=None):
    try:
        return attacker_probes.probe_account_sql(str(flavor), str(action), None if password is None else str(password))
    except ValueError as exc:
        raise AnsibleFilterError('probe_account_sql: %s' % exc)


def _list(value, name):
    if not isinstance(value, list):
        raise AnsibleFilterError('%s expects a list, got %s' % (name, type(value).__name__))
    return _plain(value)


def tls_channel_sets(channels, node_address):
    try:
        return tls_channels.x509_sets(_list(channels, 'tls_channel_sets'), str(node_address))
    except KeyError as exc:
        raise AnsibleFilterError('tls_channel_sets: a channel lacks %s' % exc)


def tls_ca_fingerprints(results):
    return tls_channels.ca_fingerprints(_list(results, 'tls_ca_fingerprints'))


def tls_missing_files(results):
    return tls_channels.missing_files(_list(results, 'tls_missing_files'))


def tls_channel_problems(results, channels, allow_insecure=None, skip=None):
    try:
        return tls_channels.channel_problems(_list(results, 'tls_channel_problems'), _list(channels, 'tls_channel_problems'),
                                             _plain(allow_insecure or []), _plain(skip or []))
    except KeyError as exc:
        raise AnsibleFilterError('tls_channel_problems: no channel or CA %s' % exc)


def tls_ca_differences(hosts, fingerprints_by_host, channels):
    return tls_channels.ca_differences(_list(hosts, 'tls_ca_differences'), _list(fingerprints_by_host, 'tls_ca_differences'),
                                       list(_plain(channels)))


class FilterModule(object):
    def filters(self):
        return {
            'tls_policy_problems': tls_policy_problems,
            'tls_override_problems': tls_override_problems,
            'probe_accepted_certs': probe_accepted_certs,
            'probe_account_sql': probe_account_sql,
            'tls_channel_sets': tls_channel_sets,
            'tls_ca_fingerprints': tls_ca_fingerprints,
            'tls_missing_files': tls_missing_files,
            'tls_channel_problems': tls_channel_problems,
            'tls_ca_differences': tls_ca_differences,
        }
