# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import arbitrator as a
from ansible_collections.clustersec.mysql.plugins.module_utils.galera import tls_policy, wsrep_options


def _settings(**kw):
    s = {'name': 'arb3', 'group': 'clustersec', 'peers': ['db1', 'db2:4568', '[fd00::1]'], 'port': 4567,
         'ca': '/c/ca.pem', 'cert': '/c/server-cert.pem', 'key': '/c/server-key.pem', 'cipher': '',
         'options': '', 'workdir': '/var/lib/garb', 'user': 'garb'}
    s.update(kw)
    return s


def test_config_has_the_data_nodes_tls_options_and_the_profile_suites():
    text = a.config_text(_settings())
    assert 'address = gcomm://db1:4567,db2:4568,[fd00::1]:4567\n' in text
    assert 'group = clustersec\n' in text
    opts = dict(wsrep_options.parse(text.split('options = ', 1)[1].split('\n', 1)[0]))
    assert opts == {'socket.ssl': 'yes', 'socket.ssl_ca': '/c/ca.pem', 'socket.ssl_cert': '/c/server-cert.pem',
                    'socket.ssl_key': '/c/server-key.pem', 'socket.ssl_cipher': tls_policy.SECURE_CIPHERS}
    assert wsrep_options.tls_enabled(text.split('options = ', 1)[1])


def test_operator_options_kept_and_their_tls_keys_replaced():
    text = a.config_text(_settings(options='gcs.fc_limit=32; socket.dynamic=yes; socket.ssl_cert=/old.pem'))
    line = text.split('options = ', 1)[1].split('\n', 1)[0]
    opts = dict(wsrep_options.parse(line))
    assert opts['gcs.fc_limit'] == '32' and opts['socket.ssl_cert'] == '/c/server-cert.pem'
    assert 'socket.dynamic' not in opts  # plaintext peers would be accepted


def test_control_good_settings_have_no_problem():
    assert a.problems(_settings()) == []


def test_weak_suites_refused_unless_opted_out():
    bad = a.problems(_settings(cipher='AES128-SHA'))
    assert any('weak_tls' in p for p in bad)
    assert a.problems(_settings(cipher='AES128-SHA'), ['weak_tls']) == []


def test_empty_peers_group_and_line_breaks_and_hash_refused():
    found = ' | '.join(a.problems(_settings(peers=[], group='', options='x=1\nname = evil', ca='/c/#ca.pem')))
    assert 'no data node' in found and 'cluster name' in found
    assert 'line break' in found and "holds '#'" in found


def test_dropin_replaces_execstart_and_user():
    text = a.dropin_text('/etc/garb/garbd.cnf', 'garb')
    assert 'ExecStart=\nExecStart=/usr/bin/garbd --cfg /etc/garb/garbd.cnf\n' in text
    assert 'User=garb\n' in text and 'default/garb' in text.split('\n', 1)[0]


def test_restart_when_not_running_or_files_changed_control_not_when_current():
    assert a.needs_restart('inactive', False) and a.needs_restart('active', True) and a.needs_restart('', False)
    assert not a.needs_restart('active\n', False)


def test_pki_node_follows_the_pki_rule():
    assert a.pki_node('arb3', {}) == {'name': 'arb3', 'common_name': 'arb3', 'dns': ['arb3'], 'ips': []}
    node = a.pki_node('arb3', {'ansible_host': '10.0.0.3', 'pki_dns_names': ['garbd.example'], 'pki_common_name': 'g'})
    assert node == {'name': 'arb3', 'common_name': 'g', 'dns': ['arb3', 'garbd.example'], 'ips': ['10.0.0.3']}
    # Control: a name in ansible_host is not an address.
    assert a.pki_node('arb3', {'ansible_host': 'arb3.lan'})['ips'] == []
