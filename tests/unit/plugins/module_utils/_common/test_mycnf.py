# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils._common import mycnf


@pytest.mark.parametrize('a,b', [('ssl_ca', 'ssl-ca'), ('SSL-CA', 'ssl_ca'), ('loose-keyring_file_data', 'keyring-file-data'),
                                 ('pxc_encrypt_cluster_traffic', 'pxc-encrypt-cluster-traffic')])
def test_option_names_compare_like_mysql(a, b):
    assert mycnf.norm(a) == mycnf.norm(b)


@pytest.mark.parametrize('value,out', [(True, 'ON'), (False, 'OFF'), (4, '4'), (None, None), ('/a/b.pem', '/a/b.pem'),
                                       (['TLSv1.2', 'TLSv1.3'], 'TLSv1.2,TLSv1.3'), ('a=1; b=2', '"a=1; b=2"'), ('', '""')])
def test_format_value(value, out):
    assert mycnf.format_value(value) == out


def test_format_value_refuses_what_my_cnf_cannot_hold():
    with pytest.raises(ValueError, match='double quote'):
        mycnf.format_value('a"b')
    with pytest.raises(ValueError, match='line break'):
        mycnf.format_value('a\nb')
    # issue 28 row 9: a carriage return is a line break too
    with pytest.raises(ValueError, match='line break'):
        mycnf.format_value('500\r[sst]')
    assert mycnf.format_value('500') == '500'


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
    parsed = mycnf.parse_cnf(text)
    assert parsed == {'mysqld': {'ssl-ca': '/etc/mysql/certs/ca.pem',
                                 'wsrep_provider_options': 'socket.ssl=yes; gcache.size=1G', 'skip-name-resolve': None},
                      'sst': {'encrypt': '4'}}


def test_find_has_value_of_compare_normalised_names_and_last_wins():
    options = {'ssl_ca': '/a', 'loose-ssl-ca': '/b', 'skip-name-resolve': None}
    assert mycnf.find(options, 'SSL-CA') == ('loose-ssl-ca', '/b')
    assert mycnf.has(options, 'skip_name_resolve') and mycnf.value_of(options, 'skip_name_resolve') is None
    assert mycnf.find(None, 'x') == (None, None)


@pytest.mark.parametrize('value,out', [('ON', True), ('"yes"', True), (1, True), (True, True), ('off', False),
                                       ("'0'", False), (False, False), ('maybe', None), (None, None)])
def test_truthy_reads_booleans_like_the_server(value, out):
    assert mycnf.truthy(value) is out
    assert mycnf.truthy(None, default=True) is True
