# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.filter.ndb import FilterModule

F = FilterModule().filters()

# What ndb_cluster_info returns as nodes: management, data and API nodes together.
NODES = [{'id': 1, 'type': 'mgmd', 'nodegroup': None}, {'id': 2, 'type': 'data', 'nodegroup': 0},
         {'id': 3, 'type': 'data', 'nodegroup': 0}, {'id': 4, 'type': 'data', 'nodegroup': 1},
         {'id': 50, 'type': 'api', 'nodegroup': None}]


def test_filters_registered():
    assert sorted(F) == ['ndb_active_encryption', 'ndb_backup_result', 'ndb_choice_problems', 'ndb_config_nodes',
                         'ndb_config_problems', 'ndb_config_values', 'ndb_node_started', 'ndb_node_state',
                         'ndb_password_hex', 'ndb_password_problems', 'ndb_restart_host_waves', 'ndb_restart_problems',
                         'ndb_restart_summary', 'ndb_restart_waves', 'ndb_restore_problems', 'ndb_running_problems',
                         'ndb_tde_status_rows', 'ndb_tde_status_table', 'ndb_unconverged']
    assert F['ndb_password_hex']('t0p$') == '74307024'
    nodes = [{'id': 2, 'nodegroup': 0, 'type': 'data'}, {'id': 3, 'nodegroup': 0}, {'id': 4, 'nodegroup': 1},
             {'id': 1, 'type': 'mgmd', 'nodegroup': None}]
    assert F['ndb_restart_waves'](nodes, None, 'nodegroup') == [[2, 4], [3]]
    assert F['ndb_restart_waves'](nodes, [3, 4]) == [[4], [3]]
    with pytest.raises(AnsibleFilterError, match="strategy must be 'node' or 'nodegroup'"):
        F['ndb_restart_waves'](nodes, None, 'all')
    assert F['ndb_config_values']('2\t1\n') == {2: 1}


def test_errors_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match='unknown password kind'):
        F['ndb_password_problems']('a', kind='other')
    with pytest.raises(AnsibleFilterError, match='empty secret'):
        F['ndb_password_hex']('')
    with pytest.raises(AnsibleFilterError, match="'x' is not a node number"):
        F['ndb_config_nodes']({'d1': {'ndb_tde_node_id': 'x'}}, [], ['d1'])


def test_ndb_backup_result():
    out = 'Node 2: Backup 7 started from node 1\nNode 2: Backup 7 started from node 1 completed\n'
    assert F['ndb_backup_result'](out) == {'backup_id': 7, 'completed': True, 'started': True, 'aborted': False,
                                           'unencrypted_warning': False, 'error': None}
    empty = F['ndb_backup_result']('')
    assert empty['backup_id'] is None and not empty['completed'] and empty['error'] is None


def test_ndb_restart_problems_reads_the_data_nodes_of_ndb_cluster_info():
    # Node group 1 has one data node (4); management and API nodes do not count.
    problems = F['ndb_restart_problems'](NODES, 2)
    assert len(problems) == 1 and problems[0].startswith('NoOfReplicas=2 (node groups 1 have one data node): ')
    assert F['ndb_restart_problems'](NODES, 2, 'yes') == []
    assert F['ndb_restart_problems'](NODES[:3], 2) == []
    assert F['ndb_restart_problems'](NODES[:3], 1)[0].startswith('NoOfReplicas=1: ')
    with pytest.raises(AnsibleFilterError, match="backup_confirmed must be a boolean, got 'perhaps'"):
        F['ndb_restart_problems'](NODES, 2, 'perhaps')


def test_ndb_active_encryption_reads_either_source():
    select_all = {'rc': 0, 'stdout': '== config_values ==\nnode_id\tconfig_param\tconfig_value\t\n2\t680\t1\t\n'
                                     '3\t680\t0\t\n', 'stderr': ''}
    assert F['ndb_active_encryption'](select_all) == {'values': {2: 1, 3: 0}, 'error': None}
    assert F['ndb_active_encryption']({'rc': 0, 'stdout': '2\t1\n', 'stderr': ''}, 'sql') == {'values': {2: 1},
                                                                                              'error': None}
    # ndbinfo_select_all exits 0 after "Failed to open": the line is the answer.
    failed = F['ndb_active_encryption']({'rc': 0, 'stdout': '== config_values ==\nFailed to open: config_values, '
                                                            'res: 4240\n', 'stderr': ''})
    assert failed['values'] == {} and 'Failed to open' in failed['error']
    assert 'rc 1' in F['ndb_active_encryption']({'rc': 1, 'stdout': 'Unable to connect to management server.',
                                                 'stderr': ''})['error']
    assert 'ndb_tde_status_query_host' in F['ndb_active_encryption']({'skipped': True}, 'sql')['error']
    with pytest.raises(AnsibleFilterError):
        F['ndb_active_encryption']({}, 'mysql')


def test_state_filters_need_the_node_id_and_the_asked_encryption():
    with pytest.raises(AnsibleFilterError, match='ndb_node_state: the settings lack node_id, enabled'):
        F['ndb_node_state']({}, {}, {})
    with pytest.raises(AnsibleFilterError, match='ndb_running_problems: the settings lack enabled'):
        F['ndb_running_problems']({}, {}, {'node_id': 2})
    state = F['ndb_node_state'](None, None, {'node_id': '2', 'enabled': True})
    assert state['needs_initial'] is False and state['process_running'] is False
    assert F['ndb_unconverged'](None, None) == ['no management server answers']


def test_ndb_restart_summary_reads_check_mode_as_a_boolean():
    assert F['ndb_restart_summary']({'d1': {'wave': '1 of 1', 'seconds': 2}}, 'true') == [
        'd1: would restart with --initial (--check)']
    assert F['ndb_restart_summary'](None) == []


def test_ndb_restart_host_waves_reads_the_data_nodes_of_ndb_cluster_info():
    assert F['ndb_restart_host_waves'](NODES, {'d2': 2, 'd3': 3, 'd4': 4}, 'nodegroup') == [['d2', 'd4'], ['d3']]
    assert F['ndb_restart_host_waves'](NODES, {'d3': 3, 'd4': 4}) == [['d4'], ['d3']]
    with pytest.raises(AnsibleFilterError, match="strategy must be 'node' or 'nodegroup'"):
        F['ndb_restart_host_waves'](NODES, {}, 'all')
    with pytest.raises(AnsibleFilterError, match='a node id is not a number'):
        F['ndb_restart_host_waves'](NODES, {'d2': 'two'})


def test_ndb_restore_and_choice_problems():
    cluster = {'all_started': True, 'not_started': {}, 'data_nodes': [2]}
    assert F['ndb_restore_problems']({'problems': [], 'files': []}, cluster, 2, 7, '/b', 'yes') == [
        'the backup is not encrypted but ndb_tde_backup_password is set']
    assert F['ndb_choice_problems']({'ndb_tde_manager': 'x'}, {'ndb_tde_manager': ['config']}) == [
        "ndb_tde_manager must be one of config, not 'x'"]


def test_ndb_node_started_and_status_rows():
    assert F['ndb_node_started']([{'id': 1, 'type': 'mgmd', 'state': 'started'}], 'mgmd', '1')
    assert F['ndb_tde_status_rows'](None) == []
