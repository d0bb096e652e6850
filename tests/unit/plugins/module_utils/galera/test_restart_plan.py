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


def test_batch_must_be_a_whole_number_or_auto():
    for bad in (0, '0', 'two', '1.5', -1, 'AUTO', 'auto2', None):
        assert R.batch_problems(bad, 3) == ['must be a whole number of at least 1, or auto']
    assert R.batch_problems('1', 3) == [] and R.batch_problems('auto', 3) == [] and R.batch_problems(' auto', 2, 1) == []


def test_auto_is_the_largest_batch_that_leaves_a_majority():
    cases = {(3, 0): 1, (5, 0): 2, (4, 0): 1, (7, 0): 3, (2, 1): 1, (6, 0): 2, (9, 0): 4,
             # an arbitrator's vote counts: two of four data nodes leave two and garbd, three of five members
             (4, 1): 2, (3, 1): 1,
             # the majority of 3 data + 2 arbitrators would allow 2, but only one data node would be left running
             (3, 2): 1,
             # nothing to spare: one at a time
             (1, 0): 1, (2, 0): 1, (1, 1): 1}
    for (size, arbitrators), want in cases.items():
        got = R.batch_size('auto', size, arbitrators)
        assert got == want, (size, arbitrators, got)
        # what auto picks passes the check, one more is refused (except where one is the floor)
        assert R.batch_problems(got, size, arbitrators) == []
        if got + 1 <= size:
            assert R.batch_problems(got + 1, size, arbitrators) != [], (size, arbitrators)
    # a number is used as set
    assert R.batch_size('2', 5) == 2 and R.batch_size(1, 3) == 1


def test_auto_against_every_batch_by_brute_force():
    for size in range(1, 12):
        for arbitrators in range(0, 3):
            members = size + arbitrators
            ok = [b for b in range(2, size + 1) if (members - b) * 2 > members and size - b >= 2]
            assert R.largest_batch(size, arbitrators) == max(ok + [1])


def test_integer_batch_that_breaks_majority_still_refused_with_the_same_message():
    # negative: auto did not loosen the rule for numbers; the message is the one the integration test greps
    assert R.batch_problems(3, 5) == ['would take 3 of 5 nodes down at once and the 2 left running are not a majority; '
                                      'at most 2 here']
    assert R.batch_problems(2, 4) == ['would take 2 of 4 nodes down at once and the 2 left running are not a majority; '
                                      'at most 1 here']
    assert R.batch_problems(2, 4, 1) == []  # control: the arbitrator makes it three of five
    assert R.batch_problems(3, 4, 1) == ['would take 3 of 4 nodes down at once and the 1 left running with 1 arbitrator(s) '
                                         'are not a majority of the 5 members; at most 2 here']
    assert R.batch_problems(2, 3, 2) == ['would take 2 of 3 nodes down at once and leave 1 data node(s) running; at least '
                                         'two must keep running; at most 1 here']


def _gate(*sizes):
    return [{'rc': 0, 'stdout': 'wsrep_cluster_size\t%s\nwsrep_cluster_status\tPrimary\n' % s} for s in sizes]


def test_arbitrators_seen_by_the_gate():
    assert R.arbitrators_seen(_gate(5, 5, 5, 5), 4, 1) == 1
    # the arbitrator left: its vote no longer counts, and two of four are refused at the gate
    assert R.arbitrators_seen(_gate(4, 4, 4, 4), 4, 1) == 0
    assert R.batch_problems(2, 4, R.arbitrators_seen(_gate(4, 4, 4, 4), 4, 1)) != []
    # one node still sees the arbitrator's departure late: the smallest size counts; unreadable reads count none
    assert R.arbitrators_seen(_gate(5, 4, 5, 5), 4, 1) == 0
    assert R.arbitrators_seen([{'rc': 1, 'stdout': ''}], 4, 1) == 0 and R.arbitrators_seen([], 4, 1) == 0
    # never more than the inventory's arbitrators
    assert R.arbitrators_seen(_gate(7, 7), 4, 1) == 1


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
