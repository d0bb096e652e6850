# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import itertools

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import restart as R


def _cluster(groups):
    """groups: list of node groups, each a list of ids."""
    return [{'id': i, 'nodegroup': g} for g, ids in enumerate(groups) for i in ids]


def test_plan_interleaves_node_groups():
    nodes = _cluster([[2, 3], [4, 5], [6, 7]])
    assert R.restart_plan(nodes) == [2, 4, 6, 3, 5, 7]
    assert R.restart_plan(nodes, only=[7, 3]) == [3, 7]
    nodes.append({'id': 9, 'nodegroup': None})
    assert R.restart_plan(nodes)[-1] == 9


@pytest.mark.parametrize('layout', [[[2, 3]], [[2, 3], [4, 5]], [[1, 2, 3], [4, 5, 6]], [[2, 3, 4, 5]],
                                    [[10, 11], [12, 13], [14, 15], [16, 17]]])
def test_plan_restarts_every_node_once_whatever_the_input_order(layout):
    nodes = _cluster(layout)
    expected = R.restart_plan(nodes)
    assert sorted(expected) == sorted(n['id'] for n in nodes)
    for perm in itertools.islice(itertools.permutations(nodes), 0, 24):
        assert R.restart_plan(list(perm)) == expected
    # Consecutive restarts are in different node groups whenever there is more than one.
    group_of = dict((n['id'], n['nodegroup']) for n in nodes)
    if len(layout) > 1 and len(set(len(ids) for ids in layout)) == 1:
        assert all(group_of[a] != group_of[b] for a, b in zip(expected, expected[1:]))


def test_single_replica_groups():
    assert R.single_replica_groups(_cluster([[2, 3], [4]])) == [1]
    assert R.single_replica_groups(_cluster([[2, 3]]) + [{'id': 9, 'nodegroup': None}]) == []


def test_restart_problems_single_replica_groups_and_configured_replicas():
    assert R.restart_problems(_cluster([[2, 3], [4, 5]]), 2) == []
    problems = R.restart_problems(_cluster([[2], [3]]), 2)
    assert problems == ["NoOfReplicas=2 (node groups 0, 1 have one data node): a node initial restart empties the "
                        "node's file system and no other node of its node group holds the data; take a backup, then "
                        "set ndb_tde_backup_confirmed: true to restore it yourself after the restart"]
    # The configuration being written asks for one replica: refused even though the running groups have two.
    problems = R.restart_problems(_cluster([[2, 3]]), '1')
    assert len(problems) == 1 and problems[0].startswith("NoOfReplicas=1: a node initial restart empties")
    assert R.restart_problems(_cluster([[2], [3]]), 1, backup_confirmed=True) == []
    assert R.restart_problems(_cluster([[2, 3]]), 'two')[0].startswith('NoOfReplicas=two:')


def test_waves_one_node_each_or_one_per_node_group():
    nodes = _cluster([[2, 3], [4, 5], [6, 7]])
    assert R.restart_waves(nodes) == [[2], [4], [6], [3], [5], [7]]
    assert R.restart_waves(nodes, per_nodegroup=True) == [[2, 4, 6], [3, 5, 7]]
    assert R.restart_waves(nodes, only=[3, 5, 2], per_nodegroup=True) == [[2, 5], [3]]
    nodes += [{'id': 9, 'nodegroup': None}, {'id': 10, 'nodegroup': None}]
    assert R.restart_waves(nodes, per_nodegroup=True) == [[2, 4, 6, 9, 10], [3, 5, 7]]


@pytest.mark.parametrize('layout', [[[2, 3]], [[2, 3], [4, 5]], [[1, 2, 3], [4, 5, 6]], [[10, 11], [12, 13], [14, 15]]])
def test_no_wave_holds_two_nodes_of_a_node_group(layout):
    nodes = _cluster(layout)
    group_of = dict((n['id'], n['nodegroup']) for n in nodes)
    waves = R.restart_waves(nodes, per_nodegroup=True)
    assert sorted(i for w in waves for i in w) == sorted(group_of)
    assert all(len(set(group_of[i] for i in w)) == len(w) for w in waves)
    assert len(waves) == max(len(ids) for ids in layout)


def test_restart_summary_one_line_per_node():
    results = {'data1': {'wave': '1 of 2', 'seconds': 12}, 'data2': {}, 'data3': None}
    assert R.restart_summary(results) == ['data1: restarted with --initial in wave 1 of 2, started again after 12 s',
                                          'data2: not restarted', 'data3: not restarted']
    assert R.restart_summary(results, check_mode=True)[0] == 'data1: would restart with --initial (--check)'
    assert R.restart_summary({}) == []


def test_host_waves_name_the_hosts_in_restart_order():
    nodes = _cluster([[2, 3], [4, 5]])
    hosts = {'data1': 2, 'data2': '3', 'data3': 4, 'data4': 5}
    assert R.host_waves(nodes, hosts) == [['data1'], ['data3'], ['data2'], ['data4']]
    assert R.host_waves(nodes, hosts, per_nodegroup=True) == [['data1', 'data3'], ['data2', 'data4']]
    # a node the running cluster does not list is left out; no candidate, no wave
    assert R.host_waves(nodes, {'data1': 2, 'x': 9}) == [['data1']]
    assert R.host_waves(nodes, {}) == []
