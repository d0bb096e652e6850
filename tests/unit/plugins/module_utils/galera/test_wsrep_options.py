# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import wsrep_options as w


def test_parse_tolerates_spaces_and_trailing_semicolon():
    assert w.parse(' gcache.size = 1G ;evs.keepalive_period=PT3S; ') == [('gcache.size', '1G'), ('evs.keepalive_period', 'PT3S')]


def test_value_may_contain_equals_and_paths():
    assert w.parse('socket.ssl_cipher=AES128-SHA256;x=a=b') == [('socket.ssl_cipher', 'AES128-SHA256'), ('x', 'a=b')]


@pytest.mark.parametrize('bad,fragment', [('gcache.size', 'gcache.size'), ('a=1;b', 'b'), ('a b=1', 'a b')])
def test_parse_rejects_non_key_value(bad, fragment):
    with pytest.raises(ValueError, match=fragment):
        w.parse(bad)


def test_parse_rejects_duplicates():
    with pytest.raises(ValueError, match='twice'):
        w.parse('a=1;a=2')


def test_merge_keeps_operator_keys_and_order():
    ours = w.galera_ssl_options('/c/ca.pem', '/c/cert.pem', '/c/key.pem')
    merged = w.merge('gcache.size=1G; socket.ssl_ca=/old/ca.pem; gcs.fc_limit=32', ours)
    assert merged == ('gcache.size=1G; socket.ssl_ca=/c/ca.pem; gcs.fc_limit=32; socket.ssl=yes; '
                      'socket.ssl_cert=/c/cert.pem; socket.ssl_key=/c/key.pem')


def test_merge_is_idempotent():
    ours = w.galera_ssl_options('/ca', '/cert', '/key', dynamic=True)
    once = w.merge('gcache.size=1G', ours)
    assert w.merge(once, ours) == once


def test_remove_drops_only_listed_keys():
    assert w.merge('a=1; socket.dynamic=yes; socket.ssl=yes', {}, ['socket.dynamic']) == 'a=1; socket.ssl=yes'


def test_disabled_gives_no_keys_and_empty_input_ok():
    assert w.galera_ssl_options('a', 'b', 'c', enabled=False) == {}
    assert w.merge('', {}) == ''
    assert w.merge(None, {'socket.ssl': True}) == 'socket.ssl=yes'


def test_semicolon_in_value_rejected():
    with pytest.raises(ValueError, match="must not contain"):
        w.merge('', {'socket.ssl_ca': '/a;b'})


@pytest.mark.parametrize('options,tls', [('socket.ssl=yes', True), ('socket.ssl = NO; socket.ssl_cert = /c', False),
                                         ('socket.ssl_cert=/c;socket.ssl_key=/k', True), ('gcache.size=1G', False),
                                         ('', False), (None, False)])
def test_tls_enabled_configured_and_running_forms(options, tls):
    assert w.tls_enabled(options) is tls
