# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import subprocess

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils._common import mycnf
from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import node as N
from ansible_collections.clustersec.mysql.plugins.module_utils.pxc.sections import build_sections

CERTS = '/etc/mysql/certs'


# ---------------------------------------------------------------- PXC's lookup rule

WINS = ('MySQL does not define which file wins: remove it there, set it through the role, or add the file to '
        'pxc_packaged_option_files so the role comments it out')


def test_lookup_prefers_mysqld_options(pxc_settings):
    s = build_sections(pxc_settings())
    lk = N.tls_lookup(s, '/var/lib/mysql')
    assert lk['ca'] == {'option': 'ssl-ca', 'path': CERTS + '/ca.pem', 'source': '[mysqld] ssl-ca'}


def test_lookup_falls_back_to_datadir_per_file_and_ignores_sst(pxc_settings):
    s = build_sections(pxc_settings(tls_ca='', tls_key='', overrides={'sst': {'ssl-ca': '/sst/ca.pem'}}))
    lk = N.tls_lookup(s, '/var/lib/mysql')
    assert lk['ca']['path'] == '/var/lib/mysql/ca.pem'
    assert lk['ca']['source'] == 'data directory (no ssl-ca under [mysqld])'
    assert lk['cert']['path'] == CERTS + '/server-cert.pem'
    assert lk['key']['path'] == '/var/lib/mysql/server-key.pem'


def test_lookup_relative_paths_and_other_files(pxc_settings):
    s = build_sections(pxc_settings(tls_ca='', tls_cert='my-cert.pem', tls_key=''))
    other = [('/etc/mysql/mysql.conf.d/mysqld.cnf', {'mysqld': {'ssl_ca': '/op/ca.pem'}})]
    lk = N.tls_lookup(s, '/var/lib/mysql', other)
    assert lk['ca'] == {'option': 'ssl-ca', 'path': '/op/ca.pem',
                        'source': '[mysqld] ssl-ca in /etc/mysql/mysql.conf.d/mysqld.cnf'}
    assert lk['cert']['path'] == '/var/lib/mysql/my-cert.pem'


def test_missing_files_named(pxc_settings):
    lk = N.tls_lookup(build_sections(pxc_settings(tls_ca='')), '/var/lib/mysql')
    out = N.missing_tls_files(lk, exists=lambda path: path != '/var/lib/mysql/ca.pem')
    assert out == ['automatic mode (pxc-encrypt-cluster-traffic=ON) needs ssl-ca from data directory (no ssl-ca under '
                   '[mysqld]): /var/lib/mysql/ca.pem does not exist, the server would not start']


def test_conflicts_with_other_option_files(pxc_settings):
    ours = build_sections(pxc_settings())
    other = [('/d/mysqld.cnf', {'mysqld': {'ssl_ca': '/x', 'wsrep_cluster_address': 'gcomm://', 'max_connections': '9'},
                                'sst': {'encrypt': '3'}})]
    errors, taken = N.conflicts(ours, other, '/d/60-clustersec-pxc.cnf')
    assert errors == ['/d/mysqld.cnf sets [mysqld] ssl_ca, which /d/60-clustersec-pxc.cnf sets as well; ' + WINS,
                      '/d/mysqld.cnf sets [mysqld] wsrep_cluster_address, which /d/60-clustersec-pxc.cnf sets as well; '
                      + WINS,
                      '/d/mysqld.cnf sets [sst] encrypt=3; PXC 8 accepts 0 (off) or 4 (TLS)']
    assert taken == []


def test_conflicts_in_a_packaged_file_are_taken_over_not_refused(pxc_settings):
    ours = build_sections(pxc_settings())
    other = [('/d/mysqld.cnf', {'mysqld': {'wsrep_cluster_address': 'gcomm://', 'max_connections': '9'}})]
    errors, taken = N.conflicts(ours, other, '/d/60-clustersec-pxc.cnf', takeover=['/d/mysqld.cnf'])
    assert errors == []
    assert taken == [{'path': '/d/mysqld.cnf', 'section': 'mysqld', 'option': 'wsrep_cluster_address'}]


def test_conflicting_sst_encrypt_reports_the_value_too(pxc_settings):
    ours = build_sections(pxc_settings(mode='manual'))
    errors, dummy = N.conflicts(ours, [('/d/old.cnf', {'sst': {'encrypt': '2'}})], 'ours')
    assert errors == ['/d/old.cnf sets [sst] encrypt=2; PXC 8 accepts 0 (off) or 4 (TLS)',
                      '/d/old.cnf sets [sst] encrypt, which ours sets as well; ' + WINS]


# ---------------------------------------------------------------- mode changes

def test_state_of_sections(pxc_settings):
    assert N.encryption_state(build_sections(pxc_settings())) == {'mode': 'automatic', 'gcomm_tls': True, 'sst_encrypt': 4}
    manual = build_sections(pxc_settings(mode='manual', sst_tls=False, provider_options='socket.ssl=yes; socket.ssl_ca=/c'))
    assert N.encryption_state(manual) == {'mode': 'manual', 'gcomm_tls': True, 'sst_encrypt': 0}
    assert N.encryption_state(build_sections(pxc_settings(mode='manual')))['gcomm_tls'] is False


def test_previous_state_prefers_running_server():
    dropin = mycnf.parse_cnf('[mysqld]\npxc-encrypt-cluster-traffic = OFF\n[sst]\nencrypt = 4\n')
    assert N.previous_state(dropin, None) == {'mode': 'manual', 'gcomm_tls': False, 'sst_encrypt': 4}
    running = {'pxc_encrypt_cluster_traffic': '0', 'wsrep_provider_options': 'base_port = 4567; socket.ssl = YES; x = y'}
    assert N.previous_state(dropin, running) == {'mode': 'manual', 'gcomm_tls': True, 'sst_encrypt': 4}
    assert N.previous_state(None, {'pxc_encrypt_cluster_traffic': '1'})['mode'] == 'automatic'
    assert N.previous_state(None, {'pxc_encrypt_cluster_traffic': ''}) is None
    assert N.previous_state(None, None) is None


def test_changes():
    auto = {'mode': 'automatic', 'gcomm_tls': True, 'sst_encrypt': 4}
    manual_all = {'mode': 'manual', 'gcomm_tls': True, 'sst_encrypt': 4}
    manual_none = {'mode': 'manual', 'gcomm_tls': False, 'sst_encrypt': 0}
    assert N.encryption_changes(auto, auto) == []
    assert N.encryption_changes(None, auto) == []
    assert N.encryption_changes(auto, manual_all) == ['pxc-encrypt-cluster-traffic ON -> OFF (automatic -> manual mode)']
    assert N.encryption_changes(manual_all, manual_none) == ['group-communication/IST TLS on -> off', '[sst] encrypt 4 -> 0']
    assert N.encryption_changes({'mode': 'manual', 'gcomm_tls': False, 'sst_encrypt': None}, manual_none) == []


# ---------------------------------------------------------------- on a node (temporary directories)

@pytest.fixture
def node(tmp_path):
    datadir = tmp_path / 'mysql'
    confdir = tmp_path / 'mysql.conf.d'
    certs = tmp_path / 'certs'
    for d in (datadir, confdir, certs):
        d.mkdir()
    return datadir, confdir, certs


def test_node_checks_missing_datadir_certificates(node, pxc_settings):
    datadir, confdir, certs = node
    (datadir / 'ca.pem').write_text('x')
    (datadir / 'server-cert.pem').write_text('x')
    s = build_sections(pxc_settings(tls_ca='', tls_cert='', tls_key=''))
    r = N.node_checks(str(datadir), 'automatic', s, str(confdir), '60-clustersec-pxc.cnf')
    assert r['problems'] == ['automatic mode (pxc-encrypt-cluster-traffic=ON) needs ssl-key from data directory (no '
                             'ssl-key under [mysqld]): %s/server-key.pem does not exist, the server would not start' % datadir]
    assert r['tls_files']['ca']['exists'] is True
    assert r['previous'] is None and r['changes'] == []


def test_node_checks_reads_previous_dropin_and_other_files(node, pxc_settings):
    datadir, confdir, certs = node
    (confdir / '60-clustersec-pxc.cnf').write_text('[mysqld]\npxc-encrypt-cluster-traffic = ON\n')
    (confdir / 'mysqld.cnf').write_text('[mysqld]\nwsrep_cluster_address=gcomm://\n')
    (confdir / 'README').write_text('not an option file')
    s = build_sections(pxc_settings(mode='manual'))
    r = N.node_checks(str(datadir), 'manual', s, str(confdir), '60-clustersec-pxc.cnf',
                      takeover_files=[str(confdir / 'mysqld.cnf')])
    assert r['problems'] == []
    assert r['other_files'] == [str(confdir / 'mysqld.cnf')]
    assert [t['option'] for t in r['taken_over']] == ['wsrep_cluster_address']
    refused = N.node_checks(str(datadir), 'manual', s, str(confdir), '60-clustersec-pxc.cnf')
    assert len(refused['problems']) == 1 and 'mysqld.cnf sets [mysqld] wsrep_cluster_address' in refused['problems'][0]
    assert r['changes'] == ['pxc-encrypt-cluster-traffic ON -> OFF (automatic -> manual mode)',
                            'group-communication/IST TLS on -> off']


def test_node_checks_no_datadir(tmp_path):
    r = N.node_checks(str(tmp_path / 'nope'), None)
    assert r['problems'] == ['data directory %s does not exist (is Percona XtraDB Cluster installed?)' % (tmp_path / 'nope')]


def test_node_checks_dhparams_sizes(node):
    datadir, confdir, certs = node
    openssl = subprocess.run(['openssl', 'dhparam', '-out', str(certs / 'dhparams.pem'), '512'], capture_output=True, check=False)
    if openssl.returncode != 0:
        pytest.skip('openssl refuses 512-bit DH parameters here: %s' % openssl.stderr.decode()[:80])
    r = N.node_checks(str(datadir), None, dhparams_path=str(datadir / 'dhparams.pem'),
                      dhparams_source=str(certs / 'dhparams.pem'))
    assert r['dhparams']['source_bits'] == 512 and r['dhparams']['exists'] is False
    assert r['problems'] == ['dhparams.pem %s has 512 bits, below 2048' % (certs / 'dhparams.pem')]
