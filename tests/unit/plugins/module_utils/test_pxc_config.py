# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import subprocess

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils import pxc_config as P
from ansible_collections.clustersec.mysql.plugins.filter.pxc import FilterModule

CERTS = '/etc/mysql/certs'


def settings(**kw):
    base = {
        'mode': 'automatic', 'version': '8.0', 'cluster_name': 'clustersec', 'cluster_address': ['db1', 'db2', 'db3'],
        'node_name': 'db1', 'node_address': 'db1', 'bind_address': 'db1',
        'provider': '/usr/lib/galera4/libgalera_smm.so', 'sst_method': 'xtrabackup-v2', 'provider_options': '',
        'tls_ca': CERTS + '/ca.pem', 'tls_cert': CERTS + '/server-cert.pem', 'tls_key': CERTS + '/server-key.pem',
        'tls_client_server': True, 'tls_client_cert': CERTS + '/client-cert.pem',
        'tls_client_key': CERTS + '/client-key.pem', 'tls_versions': ['TLSv1.2', 'TLSv1.3'], 'tls_cipher': '',
        'require_secure_transport': False,
        'sst_tls': True, 'sst_ca': CERTS + '/ca.pem', 'sst_cert': CERTS + '/server-cert.pem',
        'sst_key': CERTS + '/server-key.pem',
        'gcomm_tls': True, 'gcomm_ca': CERTS + '/ca.pem', 'gcomm_cert': CERTS + '/server-cert.pem',
        'gcomm_key': CERTS + '/server-key.pem',
        'keyring_file': False, 'keyring_file_data': '/var/lib/mysql-keyring/keyring', 'overrides': {},
        'dhparams_bits': 2048,
    }
    base.update(kw)
    return base


# ---------------------------------------------------------------- names, values, parsing

@pytest.mark.parametrize('a,b', [('ssl_ca', 'ssl-ca'), ('SSL-CA', 'ssl_ca'), ('loose-keyring_file_data', 'keyring-file-data'),
                                 ('pxc_encrypt_cluster_traffic', 'pxc-encrypt-cluster-traffic')])
def test_option_names_compare_like_mysql(a, b):
    assert P.norm(a) == P.norm(b)


@pytest.mark.parametrize('value,out', [(True, 'ON'), (False, 'OFF'), (4, '4'), (None, None), ('/a/b.pem', '/a/b.pem'),
                                       (['TLSv1.2', 'TLSv1.3'], 'TLSv1.2,TLSv1.3'), ('a=1; b=2', '"a=1; b=2"'), ('', '""')])
def test_format_value(value, out):
    assert P.format_value(value) == out


def test_format_value_refuses_what_my_cnf_cannot_hold():
    with pytest.raises(ValueError, match='double quote'):
        P.format_value('a"b')
    with pytest.raises(ValueError, match='newline'):
        P.format_value('a\nb')


def test_parse_cnf_sections_quotes_comments_and_bare_options():
    text = '''# comment
!includedir /etc/mysql/conf.d/
[mysqld]
ssl-ca = "/etc/mysql/certs/ca.pem"   # trailing comment
wsrep_provider_options="socket.ssl=yes; gcache.size=1G"
skip-name-resolve
; other comment
[SST]
encrypt=4
'''
    parsed = P.parse_cnf(text)
    assert parsed == {'mysqld': {'ssl-ca': '/etc/mysql/certs/ca.pem',
                                 'wsrep_provider_options': 'socket.ssl=yes; gcache.size=1G', 'skip-name-resolve': None},
                      'sst': {'encrypt': '4'}}


# ---------------------------------------------------------------- the section dict

def test_automatic_sections_leave_sst_and_gcomm_to_pxc():
    s = P.build_sections(settings())
    mysqld = s['mysqld']
    assert mysqld['pxc-encrypt-cluster-traffic'] == 'ON'
    assert (mysqld['ssl-ca'], mysqld['ssl-cert'], mysqld['ssl-key']) == (
        CERTS + '/ca.pem', CERTS + '/server-cert.pem', CERTS + '/server-key.pem')
    assert mysqld['wsrep_cluster_address'] == 'gcomm://db1,db2,db3'
    assert 'wsrep_provider_options' not in mysqld
    assert 'sst' not in s
    # 3306 trusts only the cluster CA in automatic mode: the local tools present no client-CA certificate.
    assert s['client'] == {'ssl-ca': CERTS + '/ca.pem'}


def test_automatic_with_empty_paths_writes_no_ssl_options():
    s = P.build_sections(settings(tls_ca='', tls_cert='', tls_key=''))
    assert not any(k.startswith('ssl-') for k in s['mysqld'])
    assert 'client' not in s


def test_manual_sections_per_channel():
    s = P.build_sections(settings(mode='manual', provider_options='gcache.size=1G; socket.ssl=yes',
                                  sst_ca='/sst/ca.pem', sst_cert='/sst/cert.pem', sst_key='/sst/key.pem'))
    assert s['mysqld']['pxc-encrypt-cluster-traffic'] == 'OFF'
    assert s['mysqld']['wsrep_provider_options'] == '"gcache.size=1G; socket.ssl=yes"'
    assert s['sst'] == {'encrypt': '4', 'ssl-ca': '/sst/ca.pem', 'ssl-cert': '/sst/cert.pem', 'ssl-key': '/sst/key.pem'}


def test_manual_with_channels_off():
    s = P.build_sections(settings(mode='manual', sst_tls=False, tls_client_server=False))
    assert s['sst'] == {'encrypt': '0'}
    assert 'ssl-ca' not in s['mysqld'] and 'client' not in s and 'require_secure_transport' not in s['mysqld']


def test_overrides_replace_in_place_and_append():
    s = P.build_sections(settings(overrides={'mysqld': {'ssl_ca': '/other/ca.pem', 'max_connections': 500,
                                                        'skip-name-resolve': None},
                                             'SST': {'inno-backup-opts': '--parallel=4'}}))
    keys = list(s['mysqld'])
    assert s['mysqld']['ssl-ca'] == '/other/ca.pem' and 'ssl_ca' not in s['mysqld']
    assert keys.index('ssl-ca') < keys.index('max_connections')
    assert s['mysqld']['skip-name-resolve'] is None
    assert s['sst'] == {'inno-backup-opts': '--parallel=4'}


def test_keyring_sections():
    s = P.build_sections(settings(keyring_file=True))
    assert s['mysqld']['early-plugin-load'] == 'keyring_file.so'
    assert P.keyring(s) == {'plugin': True, 'data': '/var/lib/mysql-keyring/keyring'}
    assert P.keyring({'mysqld': {'early_plugin_load': 'audit_log.so;kr=keyring_file.so'}})['plugin'] is True
    assert P.keyring({'mysqld': {}}) == {'plugin': False, 'data': None}


# ---------------------------------------------------------------- bad input

def test_good_input_has_no_problems():
    assert P.problems(settings()) == []
    assert P.problems(settings(mode='manual')) == []
    assert P.problems(settings(mode='manual', sst_tls=False)) == []
    assert P.problems(settings(keyring_file=True)) == []


def test_unknown_mode_and_version():
    out = P.problems(settings(mode='auto', version='5.7'))
    assert any("pxc_encrypt_mode 'auto'" in p for p in out)
    assert any("pxc_version '5.7'" in p for p in out)


@pytest.mark.parametrize('mode,value', [('manual', 3), ('manual', 1), ('automatic', 2), ('manual', '5')])
def test_sst_encrypt_other_than_0_or_4_is_refused(mode, value):
    out = P.problems(settings(mode=mode, overrides={'sst': {'encrypt': value}}))
    assert any('[sst] encrypt=%s is not supported' % value in p for p in out), out


def test_sst_encrypt_not_a_number():
    out = P.problems(settings(mode='manual', overrides={'sst': {'encrypt': 'yes'}}))
    assert any("[sst] encrypt='yes' is not a number" in p for p in out)


def test_sst_encrypt_0_contradicts_automatic_mode():
    out = P.problems(settings(overrides={'sst': {'encrypt': 0}}))
    assert any('contradicts automatic mode' in p for p in out)


def test_keyring_with_sst_encryption_off_is_refused():
    out = P.problems(settings(mode='manual', sst_tls=False, keyring_file=True))
    assert any('keyring_file is loaded' in p and 'SST encryption is off' in p for p in out)
    # Through the operator's overrides as well.
    out = P.problems(settings(mode='manual', sst_tls=False, overrides={'mysqld': {'early_plugin_load': 'keyring_file.so'}}))
    assert any('SST encryption is off' in p for p in out)


def test_keyring_plugin_on_84_is_refused():
    out = P.problems(settings(version='8.4', keyring_file=True))
    assert any('removed in MySQL/PXC 8.4' in p for p in out)


def test_overrides_of_options_the_role_owns_are_refused():
    out = P.problems(settings(overrides={'mysqld': {'wsrep_provider_options': 'socket.ssl=no',
                                                    'pxc_encrypt_cluster_traffic': 'OFF'}}))
    assert any('set pxc_wsrep_provider_options instead' in p for p in out)
    assert any('set pxc_encrypt_mode' in p for p in out)


def test_overrides_must_be_dicts():
    assert 'must be a dict' in P.problems(settings(overrides=['x']))[0]
    assert 'pxc_config_overrides.mysqld must be a dict' in P.problems(settings(overrides={'mysqld': 'x'}))[0]


def test_manual_mode_needs_paths_of_encrypted_channels():
    out = P.problems(settings(mode='manual', sst_key='', gcomm_cert='', tls_ca=''))
    assert any('[sst] ssl-key is empty' in p for p in out)
    assert any('pxc_tls_gcomm_cert is empty' in p for p in out)
    assert any('pxc_tls_ca is empty' in p for p in out)


def test_small_dhparams_setting():
    assert any('below 2048' in p for p in P.problems(settings(dhparams_bits=1024)))


# ---------------------------------------------------------------- keyring across nodes

def test_keyring_same_everywhere():
    s = P.build_sections(settings(keyring_file=True))
    assert P.keyring_problems({'db1': s, 'db2': s, 'db3': s}) == []
    plain = P.build_sections(settings())
    assert P.keyring_problems({'db1': plain, 'db2': plain}) == []


def test_keyring_paths_differ_names_hosts():
    a = P.build_sections(settings(keyring_file=True))
    b = P.build_sections(settings(keyring_file=True, keyring_file_data='/srv/keyring'))
    out = P.keyring_problems({'db1': a, 'db2': a, 'db3': b})
    assert out == ['keyring_file_data differs between nodes (the cluster does not work with different keyring '
                   'configurations): /srv/keyring on db3; /var/lib/mysql-keyring/keyring on db1, db2']


def test_keyring_loaded_on_some_nodes_only():
    a = P.build_sections(settings(keyring_file=True))
    out = P.keyring_problems({'db1': a, 'db2': P.build_sections(settings()), 'db3': a})
    assert out == ['keyring_file is loaded on db1, db3 but not on db2; the keyring configuration must be the same on '
                   'every node']


# ---------------------------------------------------------------- PXC's lookup rule

def test_lookup_prefers_mysqld_options():
    s = P.build_sections(settings())
    lk = P.tls_lookup(s, '/var/lib/mysql')
    assert lk['ca'] == {'option': 'ssl-ca', 'path': CERTS + '/ca.pem', 'source': '[mysqld] ssl-ca'}


def test_lookup_falls_back_to_datadir_per_file_and_ignores_sst():
    s = P.build_sections(settings(tls_ca='', tls_key='', overrides={'sst': {'ssl-ca': '/sst/ca.pem'}}))
    lk = P.tls_lookup(s, '/var/lib/mysql')
    assert lk['ca']['path'] == '/var/lib/mysql/ca.pem'
    assert lk['ca']['source'] == 'data directory (no ssl-ca under [mysqld])'
    assert lk['cert']['path'] == CERTS + '/server-cert.pem'
    assert lk['key']['path'] == '/var/lib/mysql/server-key.pem'


def test_lookup_relative_paths_and_other_files():
    s = P.build_sections(settings(tls_ca='', tls_cert='my-cert.pem', tls_key=''))
    other = [('/etc/mysql/mysql.conf.d/mysqld.cnf', {'mysqld': {'ssl_ca': '/op/ca.pem'}})]
    lk = P.tls_lookup(s, '/var/lib/mysql', other)
    assert lk['ca'] == {'option': 'ssl-ca', 'path': '/op/ca.pem',
                        'source': '[mysqld] ssl-ca in /etc/mysql/mysql.conf.d/mysqld.cnf'}
    assert lk['cert']['path'] == '/var/lib/mysql/my-cert.pem'


def test_missing_files_named():
    lk = P.tls_lookup(P.build_sections(settings(tls_ca='')), '/var/lib/mysql')
    out = P.missing_tls_files(lk, exists=lambda path: path != '/var/lib/mysql/ca.pem')
    assert out == ['automatic mode (pxc-encrypt-cluster-traffic=ON) needs ssl-ca from data directory (no ssl-ca under '
                   '[mysqld]): /var/lib/mysql/ca.pem does not exist, the server would not start']


def test_conflicts_with_other_option_files():
    ours = P.build_sections(settings())
    other = [('/d/mysqld.cnf', {'mysqld': {'ssl_ca': '/x', 'wsrep_cluster_address': 'gcomm://', 'max_connections': '9'},
                                'sst': {'encrypt': '3'}})]
    errors, warnings = P.conflicts(ours, other, '/d/60-clustersec-pxc.cnf')
    assert errors == ['/d/mysqld.cnf sets [mysqld] ssl_ca, which /d/60-clustersec-pxc.cnf sets as well; MySQL does not '
                      'define which file wins: remove it there (or set it through the role)',
                      '/d/mysqld.cnf sets [sst] encrypt=3; PXC 8 accepts 0 (off) or 4 (TLS)']
    assert warnings == ['/d/mysqld.cnf sets [mysqld] wsrep_cluster_address, which /d/60-clustersec-pxc.cnf sets as well; '
                        'MySQL does not define which file wins']


def test_conflicting_sst_encrypt_reports_the_value_too():
    ours = P.build_sections(settings(mode='manual'))
    errors, dummy = P.conflicts(ours, [('/d/old.cnf', {'sst': {'encrypt': '2'}})], 'ours')
    assert errors == ['/d/old.cnf sets [sst] encrypt=2; PXC 8 accepts 0 (off) or 4 (TLS)',
                      '/d/old.cnf sets [sst] encrypt, which ours sets as well; MySQL does not define which file wins: '
                      'remove it there (or set it through the role)']


# ---------------------------------------------------------------- mode changes

def test_state_of_sections():
    assert P.encryption_state(P.build_sections(settings())) == {'mode': 'automatic', 'gcomm_tls': True, 'sst_encrypt': 4}
    manual = P.build_sections(settings(mode='manual', sst_tls=False, provider_options='socket.ssl=yes; socket.ssl_ca=/c'))
    assert P.encryption_state(manual) == {'mode': 'manual', 'gcomm_tls': True, 'sst_encrypt': 0}
    assert P.encryption_state(P.build_sections(settings(mode='manual')))['gcomm_tls'] is False


@pytest.mark.parametrize('options,tls', [('socket.ssl=yes', True), ('socket.ssl = NO; socket.ssl_cert = /c', False),
                                         ('socket.ssl_cert=/c;socket.ssl_key=/k', True), ('gcache.size=1G', False),
                                         ('', False), (None, False)])
def test_gcomm_tls(options, tls):
    assert P.gcomm_tls(options) is tls


def test_previous_state_prefers_running_server():
    dropin = P.parse_cnf('[mysqld]\npxc-encrypt-cluster-traffic = OFF\n[sst]\nencrypt = 4\n')
    assert P.previous_state(dropin, None) == {'mode': 'manual', 'gcomm_tls': False, 'sst_encrypt': 4}
    running = {'pxc_encrypt_cluster_traffic': '0', 'wsrep_provider_options': 'base_port = 4567; socket.ssl = YES; x = y'}
    assert P.previous_state(dropin, running) == {'mode': 'manual', 'gcomm_tls': True, 'sst_encrypt': 4}
    assert P.previous_state(None, {'pxc_encrypt_cluster_traffic': '1'})['mode'] == 'automatic'
    assert P.previous_state(None, {'pxc_encrypt_cluster_traffic': ''}) is None
    assert P.previous_state(None, None) is None


def test_changes():
    auto = {'mode': 'automatic', 'gcomm_tls': True, 'sst_encrypt': 4}
    manual_all = {'mode': 'manual', 'gcomm_tls': True, 'sst_encrypt': 4}
    manual_none = {'mode': 'manual', 'gcomm_tls': False, 'sst_encrypt': 0}
    assert P.encryption_changes(auto, auto) == []
    assert P.encryption_changes(None, auto) == []
    assert P.encryption_changes(auto, manual_all) == ['pxc-encrypt-cluster-traffic ON -> OFF (automatic -> manual mode)']
    assert P.encryption_changes(manual_all, manual_none) == ['group-communication/IST TLS on -> off', '[sst] encrypt 4 -> 0']
    assert P.encryption_changes({'mode': 'manual', 'gcomm_tls': False, 'sst_encrypt': None}, manual_none) == []


# ---------------------------------------------------------------- dhparams

def test_dh_bits_from_pem_rejects_other_files():
    with pytest.raises(ValueError, match='no "BEGIN DH PARAMETERS"'):
        P.dh_bits_from_pem(b'-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
    with pytest.raises(ValueError, match='truncated|SEQUENCE|INTEGER'):
        P.dh_bits_from_pem('-----BEGIN DH PARAMETERS-----\nMAMCAQ==\n-----END DH PARAMETERS-----')


# PKCS#3 ("BEGIN DH PARAMETERS", what `openssl dhparam` writes) and X9.42 (-dsaparam, quick to make).
@pytest.mark.parametrize('bits,extra', [(512, []), (2048, ['-dsaparam']), (3072, ['-dsaparam'])])
def test_dh_bits_from_pem_matches_openssl(tmp_path, bits, extra):
    path = tmp_path / 'dh.pem'
    done = subprocess.run(['openssl', 'dhparam'] + extra + ['-out', str(path), str(bits)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip('openssl cannot make %d-bit DH parameters here' % bits)
    text = subprocess.run(['openssl', 'dhparam', '-in', str(path), '-noout', '-text'], capture_output=True, text=True, check=False)
    assert '(%d bit)' % bits in text.stdout + text.stderr
    assert P.read_dhparams_bits(str(path)) == bits


def test_dhparams_problems():
    ok = {'path': '/s/dhparams.pem', 'exists': True, 'bits': 2048}
    small = {'path': '/d/dhparams.pem', 'exists': True, 'bits': 1024}
    absent = {'path': '/s/dhparams.pem', 'exists': False, 'bits': None}
    assert P.dhparams_problems(small, ok) == []  # the good source replaces it
    assert P.dhparams_problems(small, absent) == ['/d/dhparams.pem has 1024 bits, below 2048 (SST would use it); remove it '
                                                  'so the role generates a new one']
    assert P.dhparams_problems(absent, dict(small, path='/s/dhparams.pem')) == ['dhparams.pem /s/dhparams.pem has 1024 bits, below 2048']
    broken = {'path': '/d/dhparams.pem', 'exists': True, 'bits': None, 'error': 'not DH parameters'}
    assert 'cannot be read as DH parameters' in P.dhparams_problems(broken, None)[0]


# ---------------------------------------------------------------- on a node (temporary directories)

@pytest.fixture
def node(tmp_path):
    datadir = tmp_path / 'mysql'
    confdir = tmp_path / 'mysql.conf.d'
    certs = tmp_path / 'certs'
    for d in (datadir, confdir, certs):
        d.mkdir()
    return datadir, confdir, certs


def test_node_checks_missing_datadir_certificates(node):
    datadir, confdir, certs = node
    (datadir / 'ca.pem').write_text('x')
    (datadir / 'server-cert.pem').write_text('x')
    s = P.build_sections(settings(tls_ca='', tls_cert='', tls_key=''))
    r = P.node_checks(str(datadir), 'automatic', s, str(confdir), '60-clustersec-pxc.cnf')
    assert r['problems'] == ['automatic mode (pxc-encrypt-cluster-traffic=ON) needs ssl-key from data directory (no '
                             'ssl-key under [mysqld]): %s/server-key.pem does not exist, the server would not start' % datadir]
    assert r['tls_files']['ca']['exists'] is True
    assert r['previous'] is None and r['changes'] == []


def test_node_checks_reads_previous_dropin_and_other_files(node):
    datadir, confdir, certs = node
    (confdir / '60-clustersec-pxc.cnf').write_text('[mysqld]\npxc-encrypt-cluster-traffic = ON\n')
    (confdir / 'mysqld.cnf').write_text('[mysqld]\nwsrep_cluster_address=gcomm://\n')
    (confdir / 'README').write_text('not an option file')
    s = P.build_sections(settings(mode='manual'))
    r = P.node_checks(str(datadir), 'manual', s, str(confdir), '60-clustersec-pxc.cnf')
    assert r['problems'] == []
    assert r['other_files'] == [str(confdir / 'mysqld.cnf')]
    assert len(r['warnings']) == 1 and 'wsrep_cluster_address' in r['warnings'][0]
    assert r['changes'] == ['pxc-encrypt-cluster-traffic ON -> OFF (automatic -> manual mode)',
                            'group-communication/IST TLS on -> off']


def test_node_checks_no_datadir(tmp_path):
    r = P.node_checks(str(tmp_path / 'nope'), None)
    assert r['problems'] == ['data directory %s does not exist (is Percona XtraDB Cluster installed?)' % (tmp_path / 'nope')]


def test_node_checks_dhparams_sizes(node):
    datadir, confdir, certs = node
    openssl = subprocess.run(['openssl', 'dhparam', '-out', str(certs / 'dhparams.pem'), '512'], capture_output=True, check=False)
    if openssl.returncode != 0:
        pytest.skip('openssl refuses 512-bit DH parameters here: %s' % openssl.stderr.decode()[:80])
    r = P.node_checks(str(datadir), None, dhparams_path=str(datadir / 'dhparams.pem'),
                      dhparams_source=str(certs / 'dhparams.pem'))
    assert r['dhparams']['source_bits'] == 512 and r['dhparams']['exists'] is False
    assert r['problems'] == ['dhparams.pem %s has 512 bits, below 2048' % (certs / 'dhparams.pem')]


# ---------------------------------------------------------------- the filter wrappers

def test_filters_registered():
    f = FilterModule().filters()
    assert f['pxc_sections'](settings())['mysqld']['pxc-encrypt-cluster-traffic'] == 'ON'
    assert f['pxc_problems'](settings(mode='x'))
    a = f['pxc_sections'](settings(keyring_file=True))
    assert f['pxc_keyring_problems']({'db1': a, 'db2': f['pxc_sections'](settings())})
