# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's X.509 accounts entry (issue 30 item 3): green only when the accounts are as wanted and the probe
account refused a login without its certificate and with another one while its own got in; the section renders the
clauses as SHOW CREATE USER printed them."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.probes import encryption_report as R
from ansible_collections.clustersec.mysql.plugins.module_utils.probes import x509_report as XR

ACCOUNTS = {'accounts': [{'user': 'app1', 'host': '%', 'state': 'present', 'exists': True, 'changed': False,
                          'require_before': "SUBJECT '/CN=app1'", 'require': "SUBJECT '/CN=app1'"}]}
PASSED = {'accepted_with_cert': True, 'refused_without_cert': True, 'refused_other_cert': True,
          'without_cert': {'outcome': 'denied'}, 'with_cert': {'outcome': 'ok'}, 'other_cert': {'outcome': 'denied'}}


def test_nothing_asked_gives_no_entry():
    assert XR.entry(None, None) is None
    assert XR.entry({'skipped': True}, {'skipped': True}) is None


def test_accounts_as_wanted_and_probe_passed_is_green():
    e = XR.entry(ACCOUNTS, PASSED)
    assert e['status'] == XR.GREEN and e['findings'] == []


@pytest.mark.parametrize('login, status, finding', [
    (dict(PASSED, refused_without_cert=False), XR.RED, 'without a certificate was accepted'),
    (dict(PASSED, refused_other_cert=False), XR.RED, 'another client certificate'),
    (dict(PASSED, accepted_with_cert=False, refused_without_cert=None, refused_other_cert=None), XR.AMBER,
     'did not log in'),
])
def test_probe_failures(login, status, finding):
    e = XR.entry(None, login)
    assert e['status'] == status and any(finding in f for f in e['findings']), e['findings']


@pytest.mark.parametrize('change, finding', [
    ({'changed': True, 'require_before': 'SSL'}, "REQUIRE SSL, wanted REQUIRE SUBJECT '/CN=app1'"),
    ({'exists': False, 'require_before': None}, 'does not exist'),
])
def test_account_drift_is_amber(change, finding):
    e = XR.entry({'accounts': [dict(ACCOUNTS['accounts'][0], **change)]}, PASSED)
    assert e['status'] == XR.AMBER and any(finding in f for f in e['findings'])


def test_unreadable_accounts_are_amber():
    e = XR.entry({'failed': True, 'msg': 'ERROR 1045'}, None)
    assert e['status'] == XR.AMBER and 'ERROR 1045' in e['findings'][0]


def test_report_collects_and_renders_the_entry():
    hostvars = {'db1': {'galera_verify_probe': {'channels': [{'channel': 'client-server', 'port': 3306,
                                                              'status': R.GREEN, 'findings': []}]},
                        'galera_verify_x509_accounts': ACCOUNTS,
                        'galera_verify_x509_login': dict(PASSED, refused_without_cert=False)}}
    nodes = R.collect_nodes(['db1'], hostvars)
    summary = R.summarize(nodes)
    assert summary['status'] == R.RED and 'db1 x509-accounts (3306)' in summary['problems'][0]
    md = R.render_markdown(nodes, summary)
    assert "| 'app1'@'%' | SUBJECT '/CN=app1' | SUBJECT '/CN=app1' |" in md
    assert '| db1 | NO | yes | yes |' in md
    # control: without the X.509 variables the node has only its channels
    assert [c['channel'] for c in R.collect_nodes(['db1'], {'db1': {'galera_verify_probe':
                                                                    hostvars['db1']['galera_verify_probe']}})['db1']] \
        == ['client-server']
