# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.filter.galera import FilterModule

F = FilterModule().filters()


def test_restart_candidates_and_summary_read_only_hostvars_of_the_hosts():
    hostvars = {'db1': {'galera_was_running': True, 'galera_config_changed': True,
                        'galera_restart_result': {'rejoined_by': 'ist', 'seconds': 2}},
                'db2': {'galera_was_running': True, 'galera_config_changed': False}}
    assert F['galera_restart_candidates'](['db1', 'db2', 'db3'], hostvars) == ['db1']
    assert F['galera_restart_summary'](['db1', 'db2'], hostvars, False) == ['db1: config changed, restarted, rejoined by ist, 2 s',
                                                                            'db2: config unchanged, not restarted']


def test_batch_problems_and_report():
    assert F['galera_batch_problems']('2', '3')[0].startswith('would take 2 of 3 nodes down')
    assert F['galera_batch_problems']('1', 3) == []
    with pytest.raises(AnsibleFilterError, match='whole number'):
        F['galera_batch_problems']('1', 'x')
    assert F['galera_batch_problems']('2', '4', '1') == []
    seen = [{'stdout': 'wsrep_cluster_size\t4\n'}] * 4
    assert F['galera_batch_problems']('2', 4, 1, seen=seen)[0].startswith('would take 2 of 4 nodes down')
    with pytest.raises(AnsibleFilterError, match='results list'):
        F['galera_batch_problems']('2', 4, 1, seen='x')
    assert F['galera_batch_report']([{'n': 'db1'}], 'n', '1', '1', True) == ['db1 (node 1 of 1): would be restarted (--check)']


def test_restart_batch_resolves_auto_and_refuses_what_the_check_refuses():
    assert [F['galera_restart_batch']('auto', n) for n in (3, 4, 5, 7)] == [1, 1, 2, 3]
    assert F['galera_restart_batch']('auto', '2', '1') == 1 and F['galera_restart_batch']('2', 5) == 2
    with pytest.raises(AnsibleFilterError, match='would take 3 of 5 nodes down'):
        F['galera_restart_batch'](3, 5)
    with pytest.raises(AnsibleFilterError, match='whole number'):
        F['galera_restart_batch']('auto', 'x')


def test_saved_state_and_bootstrap_problem():
    slurped = {'content': base64.b64encode(b'seqno: 7\nsafe_to_bootstrap: 0\n').decode()}
    unsafe = F['galera_saved_state'](slurped)
    assert unsafe['present'] and unsafe['seqno'] == 7 and not unsafe['safe_to_bootstrap']
    missing = F['galera_saved_state']({'failed': True, 'msg': 'file not found'})
    assert not missing['present']
    hostvars = {'db1': {'__galera_saved_state': unsafe}, 'db2': {'__galera_saved_state': missing}}
    assert 'safe_to_bootstrap: 0' in F['galera_bootstrap_problem'](['db1', 'db2'], hostvars, 'db1')
    ok = {'db1': {'__galera_saved_state': missing}, 'db2': {'__galera_saved_state': missing}}
    assert F['galera_bootstrap_problem'](['db1', 'db2'], ok, 'db1') == ''
    with pytest.raises(AnsibleFilterError, match='no saved state read on db2'):
        F['galera_bootstrap_problem'](['db1', 'db2'], {'db1': hostvars['db1']}, 'db1')


def test_running_hosts_and_join_plan():
    hostvars = {'db1': {'galera_was_running': True}, 'db2': {'galera_was_running': False}, 'db3': {}}
    assert F['galera_running_hosts'](['db1', 'db2', 'db3'], hostvars) == ['db1']
    assert F['galera_join_plan'](['db1', 'db2', 'db3'], hostvars, False, False, 'db1') == {'joiners': ['db2', 'db3'], 'base': 1}
    assert F['galera_join_plan'](['db1', 'db2', 'db3'], hostvars, 'True', 'True', 'db2') == {'joiners': ['db1', 'db3'], 'base': 1}
