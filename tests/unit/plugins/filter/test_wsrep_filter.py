# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.filter.wsrep import FilterModule

F = FilterModule().filters()


def test_filters_registered_and_error_is_clear():
    assert F['wsrep_options_parse']('a=1') == {'a': '1'}
    assert F['wsrep_options_merge']('a=1', {'socket.ssl': 'yes'}) == 'a=1; socket.ssl=yes'
    with pytest.raises(AnsibleFilterError, match="'oops' is not key=value"):
        F['wsrep_options_merge']('a=1;oops', {})


@pytest.mark.parametrize('options,tls', [('gcache.size=1G; socket.ssl=yes', True),
                                         ('base_port = 4567; socket.ssl = NO; socket.ssl_cert = /c; socket.ssl_key = /k',
                                          False),
                                         ('socket.ssl_cert = /c; socket.ssl_key = /k; ', True),
                                         ('socket.ssl_cert=/c', False), ('', False), (None, False)])
def test_wsrep_tls_enabled(options, tls):
    assert F['wsrep_tls_enabled'](options) is tls


def test_wsrep_tls_enabled_refuses_what_is_not_a_string():
    with pytest.raises(AnsibleFilterError, match='expects a wsrep_provider_options string, got dict'):
        F['wsrep_tls_enabled']({'socket.ssl': 'yes'})


def test_wsrep_ssl_options():
    keys = {'socket.ssl': 'yes', 'socket.ssl_ca': '/c/ca.pem', 'socket.ssl_cert': '/c/cert.pem',
            'socket.ssl_key': '/c/key.pem'}
    assert F['wsrep_ssl_options']('/c/ca.pem', '/c/cert.pem', '/c/key.pem') == keys
    assert F['wsrep_ssl_options']('/c/ca.pem', '/c/cert.pem', '/c/key.pem', dynamic='yes', cipher='ECDHE+AESGCM') == dict(
        keys, **{'socket.dynamic': 'yes', 'socket.ssl_cipher': 'ECDHE+AESGCM'})
    # Switches from the command line arrive as text: 'false' must turn TLS off, not count as true.
    assert F['wsrep_ssl_options']('/c/ca.pem', '/c/cert.pem', '/c/key.pem', enabled='false') == {}
    assert F['wsrep_ssl_options']('/c/ca.pem', '/c/cert.pem', '/c/key.pem', cipher='') == keys
    # The result merges into the operator's options as the roles do it.
    merged = F['wsrep_options_merge']('gcache.size=1G', F['wsrep_ssl_options']('/ca', '/cert', '/key'))
    assert merged == 'gcache.size=1G; socket.ssl=yes; socket.ssl_ca=/ca; socket.ssl_cert=/cert; socket.ssl_key=/key'


def test_wsrep_ssl_options_refuses_a_switch_that_is_not_a_boolean():
    with pytest.raises(AnsibleFilterError, match="enabled must be a boolean, got 'perhaps'"):
        F['wsrep_ssl_options']('/ca', '/cert', '/key', enabled='perhaps')


# The gate's and the wait's wsrep status rule (module_utils/galera/wsrep_status.py) as filters on raw results.
SYNCED_OUT = 'wsrep_cluster_size\t3\r\nwsrep_cluster_status\tPrimary\r\nwsrep_local_state_comment\tSynced\r\n'


def test_status_filters_on_registered_results():
    ok = {'rc': 0, 'stdout': SYNCED_OUT, 'host': 'db1'}
    bigger = {'rc': 0, 'stdout': SYNCED_OUT.replace('\t3', '\t4', 1), 'host': 'db2'}
    joined = {'rc': 0, 'stdout': SYNCED_OUT.replace('Synced', 'Joined'), 'host': 'db3'}
    assert F['wsrep_status_problems'](ok, '3', '3') == []
    assert F['wsrep_status_problems'](bigger, 3, 3) == ['sees cluster size 4, expected 3']
    assert F['wsrep_status_problems'](bigger, 3) == []  # control: no ceiling
    assert F['wsrep_status_settling'](joined, 3, 3) and not F['wsrep_status_settling'](ok, 3, 3)
    assert F['wsrep_cluster_problems']([ok, bigger, joined], 'host', 3, 3) == [
        'db2 sees cluster size 4, expected 3', 'db3 is Joined']
    with pytest.raises(AnsibleFilterError, match='registered client result'):
        F['wsrep_status_problems']('text', 3)
    with pytest.raises(AnsibleFilterError, match='whole numbers'):
        F['wsrep_status_problems'](ok, 'three')
