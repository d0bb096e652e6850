# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.filter.pxc import FilterModule


def test_filters_registered(pxc_settings):
    f = FilterModule().filters()
    assert f['pxc_sections'](pxc_settings())['mysqld']['pxc-encrypt-cluster-traffic'] == 'ON'
    assert f['pxc_problems'](pxc_settings(mode='x'))
    a = f['pxc_sections'](pxc_settings(keyring_file=True))
    assert f['pxc_keyring_problems']({'db1': a, 'db2': f['pxc_sections'](pxc_settings())})


def test_bad_input_is_a_filter_error(pxc_settings):
    f = FilterModule().filters()
    with pytest.raises(AnsibleFilterError, match='expects a dict of settings'):
        f['pxc_sections'](['mode'])
    with pytest.raises(AnsibleFilterError, match='pxc_config_overrides must be a dict'):
        f['pxc_sections'](pxc_settings(overrides=['x']))
