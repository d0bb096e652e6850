# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 29 item 8: data at rest that was not asked for is 'off' - neither GREEN nor a finding; required, it is red."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import at_rest_status as ars
from ansible_collections.clustersec.mysql.plugins.module_utils.probes.encryption_report import (
    OFF, classify, render_markdown, settle, summarize)

TLS = {'channel': 'group-communication', 'port': 4567, 'encrypted': True, 'verified': True, 'protocol': 'TLSv1.3',
       'days_left': 300, 'listening': True}
NOT_ENABLED = {'plugin': None, 'variables': {}, 'tablespaces': []}


def at_rest(required=False):
    """The entry at_rest_status makes for a node without file_key_management."""
    return ars.classify(NOT_ENABLED, required=required)


def report(entry):
    nodes = {'n1': [classify(dict(TLS)), settle(entry)]}
    summary = summarize(nodes)
    return nodes, summary, render_markdown(nodes, summary)


def test_not_asked_for_is_off_not_green_and_no_finding():
    nodes, summary, md = report(at_rest())
    assert nodes['n1'][1]['status'] == OFF == 'off'
    assert summary['status'] == 'green' and summary['problems'] == []
    assert summary['counts'] == {'green': 1, 'amber': 0, 'red': 0, 'off': 1}
    assert '| n1 | GREEN TLSv1.3 | off |' in md and 'GREEN off' not in md
    assert '(1 green, 0 amber, 0 red, 1 off)' in md
    # The data-at-rest table says off as well.
    assert '| n1 | off | off |' in md


def test_required_and_not_enabled_is_red():
    nodes, summary, md = report(at_rest(required=True))
    assert nodes['n1'][1]['status'] == 'red' and summary['status'] == 'red'
    assert 'RED off' in md and summary['problems'] and 'not enabled' in summary['problems'][0]


def test_control_encrypted_at_rest_stays_green_and_tls_plain_stays_red():
    enabled = {'channel': 'data-at-rest', 'port': '-', 'status': 'green', 'encrypted': True, 'protocol': 'FORCE, 5/5',
               'findings': []}
    nodes, summary, md = report(dict(enabled))
    assert nodes['n1'][1]['status'] == 'green' and summary['counts']['off'] == 0
    assert '| n1 | GREEN TLSv1.3 | GREEN FORCE, 5/5 |' in md and ' off)' not in md
    # Only data at rest is ever off: a channel in clear is red, whatever else it carries.
    plain = settle(classify({'channel': 'client-server', 'port': 3306, 'encrypted': False, 'listening': True,
                             'skipped_reason': 'not enabled'}))
    assert plain['status'] == 'red'


# collect_nodes (filter report_nodes): each host's probe and data-at-rest results, or why there is none.
class LazyVars(object):
    """Answers 'in' and [] only, as Ansible's hostvars do (no .get, no iteration)."""

    def __init__(self, data):
        self._data = data

    def __contains__(self, key):
        return key in self._data

    def __getitem__(self, key):
        value = self._data[key]
        return LazyVars(value) if isinstance(value, dict) and key in ('n1', 'n2', 'n3', 'n4') else value


def test_collect_nodes_channels_then_at_rest_or_the_cause():
    from ansible_collections.clustersec.mysql.plugins.module_utils.probes.encryption_report import collect_nodes
    gc = dict(TLS)
    hostvars = LazyVars({
        'n1': {'galera_verify_probe': {'channels': [gc]}, 'galera_verify_at_rest': {'entry': {'channel': 'data-at-rest'}}},
        'n2': {'galera_verify_probe': {'channels': [gc]}, 'galera_verify_at_rest': {'failed': True, 'msg': 'no client'}},
        'n3': {'galera_verify_probe': {'failed': True, 'msg': 'port 3306: timed out'}},
        'n4': {'galera_verify_probe': {'channels': [gc]}, 'galera_verify_at_rest': {'skipped': True}},  # PXC
    })
    nodes = collect_nodes(['n1', 'n2', 'n3', 'n4', 'n5'], hostvars)
    assert nodes['n1'] == [gc, {'channel': 'data-at-rest'}]
    assert nodes['n2'][1]['status'] == 'amber' and nodes['n2'][1]['findings'] == ['could not read the state: no client']
    assert nodes['n3'] == 'port 3306: timed out'
    assert nodes['n4'] == [gc]
    # Control: a host not in the play (no variables at all) is named, not dropped.
    assert nodes['n5'] == 'node unreachable or not probed'


def test_report_nodes_filter_refuses_a_pattern_text():
    import pytest
    from ansible.errors import AnsibleFilterError
    from ansible_collections.clustersec.mysql.plugins.filter.probes import report_nodes
    with pytest.raises(AnsibleFilterError):
        report_nodes('mariadb_galera:pxc', {})
    assert report_nodes([], {}) == {}
