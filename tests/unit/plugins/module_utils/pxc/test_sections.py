# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import sections as S

CERTS = '/etc/mysql/certs'


# ---------------------------------------------------------------- the section dict

def test_automatic_sections_leave_sst_and_gcomm_to_pxc(pxc_settings):
    s = S.build_sections(pxc_settings())
    mysqld = s['mysqld']
    assert mysqld['pxc-encrypt-cluster-traffic'] == 'ON'
    assert (mysqld['ssl-ca'], mysqld['ssl-cert'], mysqld['ssl-key']) == (
        CERTS + '/ca.pem', CERTS + '/server-cert.pem', CERTS + '/server-key.pem')
    assert mysqld['wsrep_cluster_address'] == 'gcomm://db1,db2,db3'
    assert 'wsrep_provider_options' not in mysqld
    assert 'sst' not in s
    # 3306 trusts only the cluster CA in automatic mode: the local tools present no client-CA certificate.
    assert s['client'] == {'ssl-ca': CERTS + '/ca.pem'}


def test_automatic_with_empty_paths_writes_no_ssl_options(pxc_settings):
    s = S.build_sections(pxc_settings(tls_ca='', tls_cert='', tls_key=''))
    assert not any(k.startswith('ssl-') for k in s['mysqld'])
    assert 'client' not in s


def test_manual_sections_per_channel(pxc_settings):
    s = S.build_sections(pxc_settings(mode='manual', provider_options='gcache.size=1G; socket.ssl=yes',
                                      sst_ca='/sst/ca.pem', sst_cert='/sst/cert.pem', sst_key='/sst/key.pem'))
    assert s['mysqld']['pxc-encrypt-cluster-traffic'] == 'OFF'
    assert s['mysqld']['wsrep_provider_options'] == '"gcache.size=1G; socket.ssl=yes"'
    assert s['sst'] == {'encrypt': '4', 'ssl-ca': '/sst/ca.pem', 'ssl-cert': '/sst/cert.pem', 'ssl-key': '/sst/key.pem'}


def test_manual_with_channels_off(pxc_settings):
    s = S.build_sections(pxc_settings(mode='manual', sst_tls=False, tls_client_server=False))
    assert s['sst'] == {'encrypt': '0'}
    assert 'ssl-ca' not in s['mysqld'] and 'client' not in s and 'require_secure_transport' not in s['mysqld']


@pytest.mark.parametrize('mode', ['automatic', 'manual'])
def test_crl_on_3306_only_when_given(mode, pxc_settings):
    s = S.build_sections(pxc_settings(mode=mode, tls_crl=CERTS + '/crl.pem'))
    assert s['mysqld']['ssl_crl'] == CERTS + '/crl.pem'
    assert all('crl' not in k for section in s if section != 'mysqld' for k in s[section])
    for value in (None, ''):
        assert 'ssl_crl' not in S.build_sections(pxc_settings(mode=mode, tls_crl=value))['mysqld']
    assert 'ssl_crl' not in S.build_sections(pxc_settings(mode=mode))['mysqld']


def test_no_crl_where_3306_has_no_tls(pxc_settings):
    s = S.build_sections(pxc_settings(mode='manual', tls_client_server=False, tls_crl=CERTS + '/crl.pem'))
    assert 'ssl_crl' not in s['mysqld']


def test_overrides_replace_in_place_and_append(pxc_settings):
    s = S.build_sections(pxc_settings(overrides={'mysqld': {'ssl_ca': '/other/ca.pem', 'max_connections': 500,
                                                            'skip-name-resolve': None},
                                                 'SST': {'inno-backup-opts': '--parallel=4'}}))
    keys = list(s['mysqld'])
    assert s['mysqld']['ssl-ca'] == '/other/ca.pem' and 'ssl_ca' not in s['mysqld']
    assert keys.index('ssl-ca') < keys.index('max_connections')
    assert s['mysqld']['skip-name-resolve'] is None
    assert s['sst'] == {'inno-backup-opts': '--parallel=4'}


def test_keyring_sections(pxc_settings):
    s = S.build_sections(pxc_settings(keyring_file=True))
    assert s['mysqld']['early-plugin-load'] == 'keyring_file.so'
    assert S.keyring(s) == {'plugin': True, 'data': '/var/lib/mysql-keyring/keyring'}
    assert S.keyring({'mysqld': {'early_plugin_load': 'audit_log.so;kr=keyring_file.so'}})['plugin'] is True
    assert S.keyring({'mysqld': {}}) == {'plugin': False, 'data': None}


# ---------------------------------------------------------------- bad input

def test_good_input_has_no_problems(pxc_settings):
    assert S.problems(pxc_settings()) == []
    assert S.problems(pxc_settings(mode='manual')) == []
    assert S.problems(pxc_settings(mode='manual', sst_tls=False)) == []
    assert S.problems(pxc_settings(keyring_file=True)) == []


def test_unknown_mode_and_version(pxc_settings):
    out = S.problems(pxc_settings(mode='auto', version='5.7'))
    assert any("pxc_encrypt_mode 'auto'" in p for p in out)
    assert any("pxc_version '5.7'" in p for p in out)


@pytest.mark.parametrize('mode,value', [('manual', 3), ('manual', 1), ('automatic', 2), ('manual', '5')])
def test_sst_encrypt_other_than_0_or_4_is_refused(mode, value, pxc_settings):
    out = S.problems(pxc_settings(mode=mode, overrides={'sst': {'encrypt': value}}))
    assert any('[sst] encrypt=%s is not supported' % value in p for p in out), out


def test_sst_encrypt_not_a_number(pxc_settings):
    out = S.problems(pxc_settings(mode='manual', overrides={'sst': {'encrypt': 'yes'}}))
    assert any("[sst] encrypt='yes' is not a number" in p for p in out)


def test_sst_encrypt_0_contradicts_automatic_mode(pxc_settings):
    out = S.problems(pxc_settings(overrides={'sst': {'encrypt': 0}}))
    assert any('contradicts automatic mode' in p for p in out)


def test_keyring_with_sst_encryption_off_is_refused(pxc_settings):
    out = S.problems(pxc_settings(mode='manual', sst_tls=False, keyring_file=True))
    assert any('keyring_file is loaded' in p and 'SST encryption is off' in p for p in out)
    # Through the operator's overrides as well.
    out = S.problems(pxc_settings(mode='manual', sst_tls=False, overrides={'mysqld': {'early_plugin_load': 'keyring_file.so'}}))
    assert any('SST encryption is off' in p for p in out)


def test_keyring_plugin_on_84_is_refused(pxc_settings):
    out = S.problems(pxc_settings(version='8.4', keyring_file=True))
    assert any('removed in MySQL/PXC 8.4' in p for p in out)


def test_overrides_of_options_the_role_owns_are_refused(pxc_settings):
    out = S.problems(pxc_settings(overrides={'mysqld': {'wsrep_provider_options': 'socket.ssl=no',
                                                        'pxc_encrypt_cluster_traffic': 'OFF'}}))
    assert any('set pxc_wsrep_provider_options instead' in p for p in out)
    assert any('set pxc_encrypt_mode' in p for p in out)


def test_overrides_must_be_dicts(pxc_settings):
    assert 'must be a dict' in S.problems(pxc_settings(overrides=['x']))[0]
    assert 'pxc_config_overrides.mysqld must be a dict' in S.problems(pxc_settings(overrides={'mysqld': 'x'}))[0]


@pytest.mark.parametrize('overrides', [
    {'mysqld': {'max_connections': '500\n[sst]\nencrypt = 0'}},
    {'mysqld': {'max_connections': '500\r[sst]'}},
    {'mysqld': {'max_connections\n[sst]\nencrypt': '0'}},
    {'mysqld]\n[sst': {'encrypt': '0'}},
])
def test_overrides_with_a_line_break_are_refused(pxc_settings, overrides):
    # issue 28 row 9: a line break in a section, key or value would write a line of its own into the drop-in
    out = S.problems(pxc_settings(overrides=overrides))
    assert any('line break' in p for p in out), out
    # control: the same override on one line passes
    assert S.problems(pxc_settings(overrides={'mysqld': {'max_connections': '500'}})) == []


def test_manual_mode_needs_paths_of_encrypted_channels(pxc_settings):
    out = S.problems(pxc_settings(mode='manual', sst_key='', gcomm_cert='', tls_ca=''))
    assert any('[sst] ssl-key is empty' in p for p in out)
    assert any('pxc_tls_gcomm_cert is empty' in p for p in out)
    assert any('pxc_tls_ca is empty' in p for p in out)


def test_small_dhparams_setting(pxc_settings):
    assert any('below 2048' in p for p in S.problems(pxc_settings(dhparams_bits=1024)))


# ---------------------------------------------------------------- keyring across nodes

def test_keyring_same_everywhere(pxc_settings):
    s = S.build_sections(pxc_settings(keyring_file=True))
    assert S.keyring_problems({'db1': s, 'db2': s, 'db3': s}) == []
    plain = S.build_sections(pxc_settings())
    assert S.keyring_problems({'db1': plain, 'db2': plain}) == []


def test_keyring_paths_differ_names_hosts(pxc_settings):
    a = S.build_sections(pxc_settings(keyring_file=True))
    b = S.build_sections(pxc_settings(keyring_file=True, keyring_file_data='/srv/keyring'))
    out = S.keyring_problems({'db1': a, 'db2': a, 'db3': b})
    assert out == ['keyring_file_data differs between nodes (the cluster does not work with different keyring '
                   'configurations): /srv/keyring on db3; /var/lib/mysql-keyring/keyring on db1, db2']


def test_keyring_loaded_on_some_nodes_only(pxc_settings):
    a = S.build_sections(pxc_settings(keyring_file=True))
    out = S.keyring_problems({'db1': a, 'db2': S.build_sections(pxc_settings()), 'db3': a})
    assert out == ['keyring_file is loaded on db1, db3 but not on db2; the keyring configuration must be the same on '
                   'every node']
