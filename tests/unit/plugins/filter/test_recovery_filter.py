# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rotation's and the recovery's filters read hostvars the way the task files give them."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.filter import recovery as F


def test_rotation_summary_and_pending_from_hostvars():
    hv = {'a': {'__galera_rotate_log': [{'phase': 2, 'files': 4, 'reloaded': True, 'seconds': 1}], '__galera_rotate_done': True},
          'b': {}}
    assert F.galera_rotation_summary(['a', 'b'], hv) == ['a - phase 2: 4 file(s) changed, reloaded, 1 s', 'b - nothing done']
    assert F.galera_rotation_pending(['a', 'b'], hv) == ['b']


def test_recovery_addresses_and_files():
    hv = {'n1': {'galera_engine': {'node_address': '10.0.0.1'}, 'galera_recovery_saved': {'resolved': {}}},
          'n2': {'galera_engine': {}, 'galera_recovery_saved': {'resolved': {'10.0.0.1': ['10.0.0.1']}}}}
    assert F.galera_recovery_addresses(['n1', 'n2'], hv) == {'n1': ['n1', '10.0.0.1'], 'n2': ['n2']}
    assert F.galera_recovery_files([{'ca': '/a', 'cert': '/b'}]) == [{'path': '/a', 'kind': 'ca'}, {'path': '/b', 'kind': 'cert'}]
    with pytest.raises(AnsibleFilterError):
        F.galera_recovery_files('x')


def test_recovery_summary_from_hostvars_and_the_join_loop():
    plan = {'running': ['a'], 'bootstrap': None, 'positions': {}}
    hv = {'a': {'__galera_tls_reload': {'files_changed': ['x'], 'seconds': 2}, 'galera_reload_restarted': True}, 'c': {}}
    joined = {'results': [{'__galera_recover_joiner': 'c', 'rejoined_by': 'IST', 'seconds': 5}]}
    assert F.galera_recovery_summary(['a', 'c'], plan, hv, joined) == [
        'a: 1 file(s) changed, restarted, 2 s', 'c: started with the new set, joined by IST in 5 s']
    assert F.galera_recovery_summary(['c'], plan, hv, {'skipped': True}, True) == ['c: would be started with the new set']
