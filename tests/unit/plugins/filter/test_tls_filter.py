# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.filter.tls import probe_accepted_certs, tls_policy_problems


def _probe(gc, cs=None):
    chans = [dict(channel='group-communication', port=4567, **gc)]
    if cs is not None:
        chans.append(dict(channel='client-server', port=3306, **cs))
    return {'channels': chans}


def test_refused_everywhere_is_empty():
    assert probe_accepted_certs(_probe({'refused_certs': {'previous-CA': {'refused': True}}})) == []


def test_accepted_and_undetermined_are_listed():
    out = probe_accepted_certs(_probe({'refused_certs': {'previous-CA': {'refused': False}}}))
    assert out == ['previous-CA on group-communication (4567)']
    out = probe_accepted_certs(_probe({'refused_certs': {'previous-CA': {'refused': None, 'error': 'timeout'}}}))
    assert 'undetermined' in out[0]
    # No TLS session: nothing was proven, so it is listed, never taken as refused.
    assert 'not probed' in probe_accepted_certs(_probe({'error': 'port closed'}))[0]
    assert probe_accepted_certs({'msg': 'unreachable'}) == ['no probe result: unreachable']


def test_strict_channels_limit_what_undetermined_means():
    probe = _probe({'refused_certs': {'previous-CA': {'refused': True}}}, {'error': 'host not allowed (1130)'})
    assert probe_accepted_certs(probe, ['group-communication']) == []
    assert probe_accepted_certs(probe) != []
    probe = _probe({'refused_certs': {'previous-CA': {'refused': True}}},
                   {'refused_certs': {'previous-client-CA': {'refused': False}}})
    assert probe_accepted_certs(probe, ['group-communication']) == ['previous-client-CA on client-server (3306)']


def test_policy_filter_turns_hard_errors_into_problems():
    assert tls_policy_problems({'ciphers': {'sst': 'NOPE'}}) and 'no opt-out' in tls_policy_problems(
        {'ciphers': {'sst': 'NOPE'}})[0]
    assert tls_policy_problems({'require_secure_transport': False}, ['plaintext_clients']) == []


def test_channel_filters_wrap_the_engine_preflight():
    from ansible_collections.clustersec.mysql.plugins.filter.tls import FilterModule as TlsFilters
    f = TlsFilters().filters()
    channels = [{'name': 'galera', 'ca': '/c/ca.pem', 'cert': '/c/cert.pem', 'key': '/c/key.pem'},
                {'name': 'client', 'ca': '/c/cca.pem', 'cert': '/c/ccert.pem', 'key': '/c/ckey.pem', 'separate_from': 'galera'}]
    assert f['tls_channel_sets'](channels[:1], 'db1')[0]['names'] == ['db1']
    results = [{'name': 'galera', 'ca': {'sha256_fingerprint': 'AA'}, 'problems': ['x: No such file or directory']},
               {'name': 'client', 'ca': {'sha256_fingerprint': 'AA'}, 'problems': []}]
    assert f['tls_ca_fingerprints'](results) == {'galera': 'AA', 'client': 'AA'}
    assert f['tls_missing_files'](results) == ['x: No such file or directory']
    assert len(f['tls_channel_problems'](results, channels, [], f['tls_missing_files'](results))) == 1
    assert f['tls_channel_problems'](results, channels, ['shared_ca'], ['x: No such file or directory']) == []
    assert f['tls_ca_differences'](['db1', 'db2'], [{'galera': 'AA'}, {'galera': 'BB'}], {'galera': 'AA'}) == ['galera: db1 / db2']
    with pytest.raises(AnsibleFilterError, match='lacks'):
        f['tls_channel_sets']([{'name': 'galera'}], 'db1')
