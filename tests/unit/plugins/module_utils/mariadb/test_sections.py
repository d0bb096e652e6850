# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mariadb sections: the drop-in's sections and notes (the whole file is compared with golden files in
tests/unit/roles/mariadb_galera/test_render.py); the shared Galera part of module_utils.galera.drop_in."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import drop_in as D
from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import sections as S
from ansible_collections.clustersec.mysql.plugins.filter.mariadb import FilterModule


def settings(**kw):
    out = dict(cluster_name='c', cluster_address=['a', 'b'], node_name='a', node_address='10.0.0.1', bind_address='10.0.0.1',
               provider='/p.so', sst_method='mariabackup', provider_options='socket.ssl=yes', tls_client_server=True,
               tls_ca='/ca.pem', tls_client_ca='/client-ca.pem', tls_cert='/c.pem', tls_key='/k.pem', tls_crl='',
               tls_client_cert='/cc.pem', tls_client_key='/ck.pem', tls_versions=['TLSv1.2', 'TLSv1.3'], tls_cipher='HIGH',
               require_secure_transport=True, sst_tls=True, sst_sockopt='', sst_cipher='HIGH', encrypt_at_rest=False,
               overrides={})
    out.update(kw)
    return out


def test_galera_part_and_tls():
    s = S.build_sections(settings())
    assert list(s) == ['mysqld', 'client', 'client-mariadb', 'sst']
    m = s['mysqld']
    assert m['wsrep_on'] == 'ON' and m['wsrep_cluster_address'] == 'gcomm://a,b'
    assert m['wsrep_provider_options'] == '"socket.ssl=yes"' and m['ssl_ca'] == '/client-ca.pem'
    assert m['tls_version'] == 'TLSv1.2,TLSv1.3' and m['require_secure_transport'] == 'ON' and 'ssl_crl' not in m
    assert s['sst'] == {'encrypt': '4', 'tca': '/ca.pem', 'tcert': '/c.pem', 'tkey': '/k.pem', 'sockopt': '"cipher=HIGH"'}


def test_tls_off_leaves_only_galera():
    s = S.build_sections(settings(tls_client_server='false', sst_tls=False, provider_options=''))
    assert list(s) == ['mysqld'] and 'ssl_ca' not in s['mysqld'] and 'wsrep_provider_options' not in s['mysqld']


@pytest.mark.parametrize('method,sockopt,expected', [
    ('mariabackup', '', 'cipher=HIGH'),
    ('rsync_tunnel', 'pf=ip4', 'pf=ip4,cipher=HIGH'),
    ('mariabackup', 'cipher=X,pf=ip4', 'cipher=X,pf=ip4'),
    ('rsync', 'pf=ip4', ''),
])
def test_sst_sockopt(method, sockopt, expected):
    assert S.sst_sockopt(settings(sst_method=method, sst_sockopt=sockopt)) == expected
    assert S.sst_sockopt(settings(sst_method=method, sst_sockopt=sockopt, sst_tls=False)) == ''


def test_rsync_sst_verifies_the_ca():
    s = S.build_sections(settings(sst_method='rsync'))
    assert list(s['sst']) == ['ssl-mode', 'tca', 'tcert', 'tkey']
    assert S.notes(s)['sst ssl-mode'][1] == 'without it the script falls back to plaintext).'


def test_at_rest_and_crl():
    s = S.build_sections(settings(encrypt_at_rest=True, at_rest_dir='/k', at_rest_algorithm='AES_CTR', at_rest_tables='FORCE',
                                  at_rest_threads=4, at_rest_default_key_id=2, tls_crl='/crl.pem'))
    m = s['mysqld']
    assert m['file_key_management_filekey'] == 'FILE:/k/filekey' and m['innodb_encryption_threads'] == '4'
    assert m['ssl_crl'] == '/crl.pem'
    assert set(S.notes(s)) == {'mysqld ssl_ca', 'mysqld ssl_crl', 'mysqld plugin_load_add', 'client', 'sst encrypt'}


def test_overrides_come_last_as_given():
    s = S.build_sections(settings(overrides={'mysqld': {'bind_address': '0.0.0.0', 'x': True}, 'sst': {'y': None},
                                             'mariadb': {'max_connections': 5}}))
    assert list(s['mysqld'])[-2:] == ['bind_address', 'x'] and s['mysqld']['x'] == 'True'
    assert list(s['sst'])[-1] == 'y' and s['mariadb'] == {'max_connections': '5'}


def test_flavours_differ_only_by_their_data():
    base = dict(bind_address='', cluster_address=['a'], node_name='', node_address='')
    maria, pxc = D.galera_mysqld(base, 'mariadb'), D.galera_mysqld(base, 'pxc')
    assert maria['wsrep_on'] is True and maria['bind_address'] == '' and maria['wsrep_sst_method'] == 'mariabackup'
    assert 'wsrep_on' not in pxc and 'bind_address' not in pxc and pxc['wsrep_sst_method'] == 'xtrabackup-v2'
    in_place = D.apply_overrides({'mysqld': {'a': 1, 'b': 2}}, {'mysqld': {'a': 3}}, 'pxc', lambda t, k: (k if k in t else None, 0))
    assert list(in_place['mysqld'].items()) == [('a', 3), ('b', 2)]
    last = D.apply_overrides({'mysqld': {'a': 1, 'b': 2}}, {'mysqld': {'a': 3}}, 'mariadb')
    assert list(last['mysqld'].items()) == [('b', 2), ('a', 3)]


def test_filters():
    f = FilterModule().filters()
    s = f['mariadb_galera_sections'](settings())
    assert f['mariadb_galera_notes'](s)['client']
    with pytest.raises(Exception, match='expects a dict'):
        f['mariadb_galera_sections']([])
    with pytest.raises(Exception, match='expects the dict'):
        f['mariadb_galera_notes']([])
