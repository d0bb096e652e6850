# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.module_utils._common.hosts import all_hosts_true
from ansible_collections.clustersec.mysql.plugins.filter.hosts import all_converged

HOSTS = ['db1', 'db2', 'db3']


def test_every_host_converged_is_true():
    hostvars = dict((h, {'pxc_converged': True}) for h in HOSTS)
    assert all_hosts_true(HOSTS, hostvars, 'pxc_converged') is True
    # Templating may hand the fact over as text.
    hostvars['db2']['pxc_converged'] = 'True'
    assert all_hosts_true(HOSTS, hostvars, 'pxc_converged') is True


@pytest.mark.parametrize('missing', [
    {'db2': {}},                                    # not published (not reached, failed before)
    {'db2': {'pxc_converged': False}},
    {'db2': {'pxc_converged': 'False'}},
    {'db2': {'pxc_converged': 'yes please'}},       # truthy text is not a yes
    {'db2': {'pxc_converged': 1}},
    {'db2': {'pxc_converged': None}},
])
def test_one_host_not_converged_is_false(missing):
    hostvars = dict((h, {'pxc_converged': True}) for h in HOSTS)
    hostvars.update(missing)
    assert all_hosts_true(HOSTS, hostvars, 'pxc_converged') is False


def test_a_host_missing_from_hostvars_or_no_hosts_is_false():
    assert all_hosts_true(HOSTS, {'db1': {'pxc_converged': True}}, 'pxc_converged') is False
    assert all_hosts_true([], {}, 'pxc_converged') is False


def test_another_products_fact_does_not_count():
    hostvars = dict((h, {'mariadb_galera_converged': True}) for h in HOSTS)
    assert all_hosts_true(HOSTS, hostvars, 'pxc_converged') is False
    assert all_hosts_true(HOSTS, hostvars, 'mariadb_galera_converged') is True


def test_filter_refuses_a_missing_fact_name():
    with pytest.raises(AnsibleFilterError):
        all_converged(HOSTS, {}, '')
    assert all_converged(HOSTS, dict((h, {'ndb_tde_converged': True}) for h in HOSTS), 'ndb_tde_converged') is True
