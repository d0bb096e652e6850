# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mariadb filter plugin: every filter registered, bad input a filter error (the rules are tested in
tests/unit/plugins/module_utils/mariadb)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.filter.mariadb import FilterModule

FILTERS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'plugins', 'filter'))


def test_every_filter_has_its_doc_file():
    for name in FilterModule().filters():
        assert os.path.isfile(os.path.join(FILTERS, name + '.yml')), name


def test_filters_registered():
    f = FilterModule().filters()
    sections = f['mariadb_galera_sections']({'cluster_address': ['a'], 'tls_client_server': True, 'tls_ca': '/ca.pem'})
    assert sections['client']['ssl-ca'] == '/ca.pem' and f['mariadb_galera_notes'](sections)['client']
    assert f['mariadb_at_rest_problems']({'encrypt_at_rest': False}) == []
    assert f['mariadb_at_rest_moved_summary']({'moved': []}, 3) == 'moved 0 table(s) to key 3 in 0 s'
    assert f['mariadb_at_rest_rotation_summary'](3, []) == 'table key 3, key ids in use '


@pytest.mark.parametrize('name', ['mariadb_galera_sections', 'mariadb_galera_notes', 'mariadb_at_rest_problems'])
def test_bad_input_is_a_filter_error(name):
    with pytest.raises(AnsibleFilterError, match='expects'):
        FilterModule().filters()[name](['x'])
