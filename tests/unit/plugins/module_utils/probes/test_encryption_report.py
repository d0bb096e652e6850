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
