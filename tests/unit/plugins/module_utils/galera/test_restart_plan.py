# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's rolling restart rules: which nodes, how many at once, what it reports."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import restart_plan as R


def test_only_running_changed_nodes_not_fully_restarted():
    hosts = ['db1', 'db2', 'db3', 'db4']
    facts = [{'galera_was_running': True, 'galera_config_changed': True},
             {'galera_was_running': False, 'galera_config_changed': True},
             {'galera_was_running': True, 'galera_config_changed': 'True', '__galera_full_restarted': True},
             {'galera_was_running': True, 'galera_config_changed': False}]
    assert R.changed_running(hosts, facts) == ['db1']
    assert R.changed_running(['db1'], [{}]) == []


def test_batch_must_leave_a_majority():
    assert R.batch_problems(2, 3) == ['would take 2 of 3 nodes down at once and the 1 left running are not a majority; '
                                      'at most 1 here']
    assert R.batch_problems('3', 5) == ['would take 3 of 5 nodes down at once and the 2 left running are not a majority; '
                                        'at most 2 here']
    assert R.batch_problems(4, 3)[0].startswith('would take 4 of 3 nodes down at once and the 0 left running')
    # controls: one at a time always, two of five leave three
    assert R.batch_problems(1, 2) == [] and R.batch_problems(2, 5) == []


def test_batch_must_be_a_whole_number():
    for bad in (0, '0', 'two', '1.5', -1):
        assert R.batch_problems(bad, 3) == ['must be a whole number of at least 1']
    assert R.batch_problems('1', 3) == []


def test_batch_report():
    results = [{'__n': 'db2', 'rejoined_by': 'ist', 'seconds': 4.2}, {'__n': 'db3'}]
    assert R.batch_report(results, '__n', 2, 3, False) == ['db2 (node 2 of 3): restarted, rejoined by ist in 4.2 s',
                                                           'db3 (node 3 of 3): restarted, rejoined by ? in ? s']
    assert R.batch_report(results[:1], '__n', '1', '1', True) == ['db2 (node 1 of 1): would be restarted (--check)']


def test_summary():
    facts = [{'galera_config_changed': True, 'galera_restart_result': {'rejoined_by': 'ist', 'seconds': 3}},
             {'galera_config_changed': False}]
    assert R.summary(['db1', 'db2'], facts, False) == ['db1: config changed, restarted, rejoined by ist, 3 s',
                                                       'db2: config unchanged, not restarted']
    assert R.summary(['db1'], facts[:1], True) == ['db1: config changed, would restart']
