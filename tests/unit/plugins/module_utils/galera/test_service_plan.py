# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's service step: running unit, running nodes, joiners and the size each waits for."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import service_plan as S

PXC = ['mysql', 'mysql@bootstrap.service']


def test_running_unit_is_the_bootstrap_unit_only_when_it_alone_runs():
    assert S.running_unit(PXC, {'mysql': 'inactive', 'mysql@bootstrap.service': 'active'}) == 'mysql@bootstrap.service'
    # controls: the normal unit runs, or nothing runs
    assert S.running_unit(PXC, {'mysql': 'active', 'mysql@bootstrap.service': 'active'}) == 'mysql'
    assert S.running_unit(PXC, {'mysql': 'inactive', 'mysql@bootstrap.service': 'inactive'}) == 'mysql'
    assert S.running_unit(['mariadb'], {'mariadb': 'failed'}) == 'mariadb'


def test_running_hosts():
    assert S.running_hosts(['a', 'b', 'c'], [{'galera_was_running': True}, {'galera_was_running': 'False'}, {}]) == ['a']


def test_join_plan_after_a_bootstrap_skips_the_bootstrap_node():
    facts = [{'galera_was_running': False}] * 3
    assert S.join_plan(['a', 'b', 'c'], facts, True, False, 'a') == {'joiners': ['b', 'c'], 'base': 1}


def test_join_plan_into_a_running_cluster_starts_only_the_stopped_nodes():
    facts = [{'galera_was_running': True}, {'galera_was_running': False}, {'galera_was_running': True}]
    assert S.join_plan(['a', 'b', 'c'], facts, False, False, 'a') == {'joiners': ['b'], 'base': 2}
    # control: nothing stopped, nobody joins
    assert S.join_plan(['a', 'b'], [{'galera_was_running': True}] * 2, False, False, 'a') == {'joiners': [], 'base': 2}


def test_join_plan_after_a_full_restart_starts_every_other_node():
    facts = [{'galera_was_running': True}] * 3
    assert S.join_plan(['a', 'b', 'c'], facts, True, True, 'b') == {'joiners': ['a', 'c'], 'base': 1}
