# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 30 item 4: the report's findings as node_exporter textfile metrics - values, generic probes, escaping,
validation and the change decision, each with a negative and a control."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import calendar
import copy

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import at_rest_status as ars
from ansible_collections.clustersec.mysql.plugins.module_utils.probes import metrics as M

T = 1796000000
NOT_AFTER = '2027-11-23T00:00:00Z'
GCOMM = {'channel': 'group-communication', 'port': 4567, 'encrypted': True, 'verified': True, 'listening': True,
         'protocol': 'TLSv1.3', 'not_after': NOT_AFTER, 'days_left': 300, 'subject': 'commonName=node1',
         'issuer': 'commonName=clustersec CA', 'sha256_fingerprint': 'ab' * 32, 'status': 'green', 'findings': [],
         'plain_peer': {'refused': True, 'detail': 'closed'},
         'refused_certs': {'client-certificate': {'refused': True}, 'previous-CA': {'refused': True}},
         'weak_tls': {'old_protocol': {'refused': True}, 'weak_cipher': {'refused': True}}}
CLIENT = {'channel': 'client-server', 'port': 3306, 'kind': 'mysql', 'encrypted': True, 'verified': True,
          'listening': True, 'not_after': NOT_AFTER, 'status': 'green', 'findings': [], 'plain_refused': True}
SST = {'channel': 'sst', 'port': 4444, 'encrypted': False, 'listening': False, 'skipped': True, 'status': 'green',
       'findings': ['not listening']}


def nodes(**changes):
    gcomm = dict(copy.deepcopy(GCOMM), **changes)
    return {'node1': [gcomm, dict(CLIENT), dict(SST), ars.classify({'plugin': None, 'variables': {}, 'tablespaces': []})]}


def values(ns, **kw):
    return M.parse(M.render(ns, kw.pop('report_time', T), **kw))


def get(vals, name, **labels):
    matches = [v for (n, ls), v in vals.items() if n == M.PREFIX + name and all(dict(ls).get(k) == x for k, x in labels.items())]
    assert len(matches) == 1, (name, labels, matches)
    return matches[0]


def test_values_equal_the_report():
    vals = values(nodes(), warn_days=21, max_age_seconds=3600)
    assert get(vals, 'report_timestamp_seconds', node='node1') == T
    assert get(vals, 'certificate_warning_window_seconds', node='node1') == 21 * 86400
    assert get(vals, 'report_max_age_seconds', node='node1') == 3600
    assert get(vals, 'certificate_not_after_timestamp_seconds', node='node1', channel='group-communication',
               port='4567') == calendar.timegm((2027, 11, 23, 0, 0, 0))
    assert get(vals, 'channel_encrypted', channel='client-server') == 1
    assert get(vals, 'channel_status', channel='group-communication', status='green') == 1
    assert get(vals, 'channel_status', channel='group-communication', status='red') == 0
    assert get(vals, 'node_probed', node='node1') == 1
    assert get(vals, 'probe_refused', channel='client-server', probe='plaintext-login') == 1
    names = sorted(dict(ls)['probe'] for (n, ls) in vals if n == M.PREFIX + 'probe_refused'
                   and dict(ls)['channel'] == 'group-communication')
    assert names == ['client-certificate', 'old-protocol', 'plaintext-peer', 'previous-CA', 'weak-cipher']


def test_accepted_probe_is_zero_undetermined_minus_one_control_refused_is_one():
    refused = values(nodes())
    accepted = values(nodes(refused_certs={'client-certificate': {'refused': False}},
                            plain_peer={'refused': None, 'error': 'timeout'}))
    assert get(refused, 'probe_refused', probe='client-certificate') == 1
    assert get(accepted, 'probe_refused', probe='client-certificate') == 0
    assert get(accepted, 'probe_refused', probe='plaintext-peer') == -1


def test_a_probe_another_part_adds_shows_up_without_a_change_here():
    # e.g. the X.509 account probe or garbd's port: any <x>_refused, {refused} or {name: {refused}} is a probe
    ns = nodes(login_without_certificate_refused=False, x509_accounts={'app1': {'refused': True}})
    ns['node1'].append(dict(GCOMM, channel='arbitrator', port=4567))
    vals = values(ns)
    assert get(vals, 'probe_refused', channel='group-communication', probe='login-without-certificate') == 0
    assert get(vals, 'probe_refused', channel='group-communication', probe='app1') == 1
    assert get(vals, 'certificate_not_after_timestamp_seconds', channel='arbitrator') > 0
    # control: keys that are no probe (lists, plain text, a dict without refused) add nothing
    plain = values(nodes(sans=['DNS:node1'], variables={'a': 'b'}, weird={'x': 1}))
    assert len([k for k in plain if k[0] == M.PREFIX + 'probe_refused']) == len(
        [k for k in values(nodes()) if k[0] == M.PREFIX + 'probe_refused'])


def test_channel_not_encrypted_is_zero_but_a_closed_optional_port_says_nothing():
    vals = values(nodes(encrypted=False, status='red'))
    assert get(vals, 'channel_encrypted', channel='group-communication') == 0
    assert get(vals, 'channel_status', channel='group-communication', status='red') == 1
    assert get(vals, 'channel_listening', channel='sst') == 0
    assert not [k for k in vals if k[0] == M.PREFIX + 'channel_encrypted' and dict(k[1])['channel'] == 'sst']


def test_data_at_rest_not_asked_for_is_off_as_in_the_report_and_required_is_red():
    vals = values(nodes())
    assert get(vals, 'channel_status', channel='data-at-rest', status='off') == 1
    assert get(vals, 'at_rest_encrypted', node='node1') == 0
    ns = nodes()
    ns['node1'][3] = ars.classify({'plugin': None, 'variables': {}, 'tablespaces': []}, required=True)
    assert get(values(ns), 'channel_status', channel='data-at-rest', status='red') == 1


def test_unprobed_node_is_zero_and_has_only_its_node_series():
    vals = values({'node2': 'node unreachable or not probed'})
    assert get(vals, 'node_probed', node='node2') == 0
    assert {n for n, dummy in vals} == {M.PREFIX + x for x in (
        'report_timestamp_seconds', 'report_max_age_seconds', 'certificate_warning_window_seconds', 'node_probed')}


def test_labels_are_escaped_and_read_back():
    tricky = 'CN=a"b\\c\nd'
    text = M.render(nodes(subject=tricky), T)
    assert 'subject="CN=a\\"b\\\\c\\nd"' in text
    assert '\nd"' not in text  # the line feed stays escaped: one sample per line
    info = [dict(ls) for n, ls in M.parse(text) if n == M.PREFIX + 'certificate_info' and dict(ls)['channel'] ==
            'group-communication']
    assert info[0]['subject'] == tricky


def test_each_family_has_help_and_type_once_and_its_series_together():
    lines = M.render(nodes(), T).splitlines()
    seen = []
    for line in lines:
        if line.startswith('# TYPE '):
            name = line.split()[2]
            assert name not in seen
            seen.append(name)
            assert lines[lines.index(line) - 1].startswith('# HELP %s ' % name)
        elif not line.startswith('#'):
            assert line.split('{')[0] == seen[-1], line


@pytest.mark.parametrize('bad, cause', [
    ({}, 'no nodes'),
    ({'n': [{'port': 1, 'status': 'green'}]}, 'without a channel name'),
    ({'n': [dict(GCOMM, status='purple')]}, "status 'purple'"),
    ({'n': [dict(GCOMM), dict(GCOMM)]}, 'given twice'),
    ({'n': ['text']}, 'not a mapping'),
])
def test_invalid_input_is_refused_with_the_cause(bad, cause):
    with pytest.raises(M.MetricsError, match=cause):
        M.render(bad, T)
    # control: the valid input renders
    assert M.render(nodes(), T)


@pytest.mark.parametrize('kw', [{'warn_days': -1}, {'max_age_seconds': 0}, {'report_time': 'soon'}])
def test_invalid_settings_are_refused(kw):
    with pytest.raises(M.MetricsError):
        M.render(nodes(), kw.pop('report_time', T), **kw)


def test_change_decision_ignores_only_the_report_time():
    a = M.render(nodes(), T)
    assert a != M.render(nodes(), T + 3600)
    assert M.same_apart_from_time(a, M.render(nodes(), T + 3600))
    # negative: an accepted probe, a new certificate, another window are changes
    assert not M.same_apart_from_time(a, M.render(nodes(refused_certs={'previous-CA': {'refused': False}}), T))
    assert not M.same_apart_from_time(a, M.render(nodes(not_after='2028-01-01T00:00:00Z'), T))
    assert not M.same_apart_from_time(a, M.render(nodes(), T, warn_days=10))
    assert not M.same_apart_from_time(None, a)


def test_parse_refuses_a_broken_line_control_reads_comments_and_timestamps():
    with pytest.raises(M.MetricsError, match='no sample'):
        M.parse('clustersec_mysql_x{node="a" 1\n')
    with pytest.raises(M.MetricsError, match='twice'):
        M.parse('a 1\na 2\n')
    assert M.parse('# HELP a b\na{x="1"} 2 1700000000\nb 3.5e+09\n') == {('a', (('x', '1'),)): 2.0, ('b', ()): 3.5e9}


def test_not_after_unreadable_gives_no_series():
    assert M.not_after_seconds('soon') is None and M.not_after_seconds(None) is None
    vals = values(nodes(not_after='soon'))
    assert not [k for k in vals if k[0] == M.PREFIX + 'certificate_not_after_timestamp_seconds'
                and dict(k[1])['channel'] == 'group-communication']
