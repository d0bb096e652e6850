# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import tls as T

from cryptography import x509
from cryptography.x509.oid import NameOID


@pytest.fixture(scope='module')
def ca():
    key = X.generate_key('ecdsa', curve='P-256')
    return X.create_ca(key, {'common_name': 'test NDB CA'}, 100), key


@pytest.fixture(scope='module')
def other_ca():
    key = X.generate_key('ecdsa', curve='P-256')
    return X.create_ca(key, {'common_name': 'other NDB CA'}, 100), key


def pub():
    return T.public_pem(T.new_key_pem())


def cn(cert):
    return cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def sans(cert):
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName)
    except x509.ExtensionNotFound:
        return []


def test_profile_ndb_parses(ca):
    cert, key = ca
    p = pub()
    for node_type, prefix in (('mgmd', 'NDB Management Node '), ('data', 'NDB Data Node '), ('api', 'NDB Node ')):
        leaf = T.issue(cert, key, p, node_type, 'db1.example', ['mgmd', 'api'], 30)
        assert cn(leaf).startswith(prefix)
        assert sans(leaf) == ([] if node_type == 'data' else ['db1.example'])
        assert leaf.issuer == cert.subject
    # The data node is bound too when asked for (control of the default above).
    assert sans(T.issue(cert, key, p, 'data', 'db1.example', ['data'], 30)) == ['db1.example']
    assert T.key_file('data') == 'ndb-data-node-private-key' and T.cert_file('mgmd') == 'ndb-mgm-server-cert'


def test_reissue_reasons(ca, other_ca):
    cert, key = ca
    p = pub()
    chain = T.chain_pem(T.issue(cert, key, p, 'api', 'h1', ['api'], 90), cert).decode()
    assert T.reissue_reason(chain, cert, p, 'api', 'h1', ['api'], 30, False) is None  # control
    assert T.reissue_reason(None, cert, p, 'api', 'h1', ['api'], 30, False) == 'no certificate'
    assert T.reissue_reason(chain, cert, p, 'api', 'h1', ['api'], 30, True) == 'rotation asked for'
    assert T.reissue_reason(chain, cert, pub(), 'api', 'h1', ['api'], 30, False).startswith('certificate does not match')
    assert T.reissue_reason(chain, other_ca[0], p, 'api', 'h1', ['api'], 30, False).startswith('not issued')
    assert T.reissue_reason(chain, cert, p, 'api', 'h2', ['api'], 30, False) == 'bound host names changed'
    assert T.reissue_reason(chain, cert, p, 'data', 'h1', ['api'], 30, False).startswith('common name')
    assert T.reissue_reason(chain, cert, p, 'api', 'h1', ['api'], 95, False) == 'expires within 95 days'
    assert T.reissue_reason('garbage', cert, p, 'api', 'h1', ['api'], 30, False) == 'no certificate'


def test_sign_inputs_and_sign_all(ca):
    cert, key = ca
    p1, p2 = pub(), pub()
    current = T.chain_pem(T.issue(cert, key, p2, 'data', 'h2', ['mgmd', 'api'], 90), cert).decode()
    results = {'n1': {'keys': {'mgmd': {'public_key': p1, 'chain': None}}},
               'n2': {'keys': {'data': {'public_key': p2, 'chain': current}, 'api': {'public_key': None, 'chain': None}}}}
    nodes = T.sign_inputs(results, {'n1': '10.0.0.1'})
    assert {(n['host'], n['type'], n['hostname']) for n in nodes} == {
        ('n1', 'mgmd', '10.0.0.1'), ('n2', 'data', 'n2'), ('n2', 'api', 'n2')}
    out = T.sign_all(cert, key, nodes, ['mgmd', 'api'], 90, 30, False)
    # n2's data certificate is current, its api key not made yet (check mode): only n1 is issued.
    assert list(out) == ['n1'] and out['n1']['mgmd']['reason'] == 'no certificate'
    leaf = X.parse_pem_certs(out['n1']['mgmd']['chain'].encode())[0]
    assert sans(leaf) == ['10.0.0.1']
    assert set(T.sign_all(cert, key, nodes, ['mgmd', 'api'], 90, 30, True)) == {'n1', 'n2'}
    with pytest.raises(T.NdbTlsError):
        T.sign_all(cert, key, [{'host': 'x', 'type': 'sql', 'public_key': p1}], [], 90, 30, False)


def test_node_files(tmp_path, ca):
    if os.geteuid() != 0:
        pytest.skip('writes root-owned files')
    cert, key = ca
    os.chmod(str(tmp_path), 0o700)
    d = str(tmp_path / 'tls')
    assert T.ensure_directory(d, -1, True) and not os.path.exists(d)  # check mode writes nothing
    keys, created = T.node_keys(d, ['data', 'api'], -1, 0, True)
    assert created == ['data', 'api'] and keys['data']['public_key'] is None and not os.path.exists(d)
    assert T.ensure_directory(d, -1, False)
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o750
    keys, created = T.node_keys(d, ['data', 'api'], -1, 0, False)
    assert created == ['data', 'api']
    assert stat.S_IMODE(os.stat(os.path.join(d, 'ndb-data-node-private-key')).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(os.path.join(d, 'ndb-api-private-key')).st_mode) == 0o600
    again, created = T.node_keys(d, ['data', 'api'], -1, 0, False)
    assert created == [] and again['data']['public_key'] == keys['data']['public_key']  # a key is never replaced
    chain = T.chain_pem(T.issue(cert, key, keys['data']['public_key'], 'data', 'h', [], 30), cert).decode()
    ca_pem = X.cert_pem(cert).decode()
    assert T.install(d, {'data': chain}, ca_pem, True) and not os.path.exists(os.path.join(d, 'ndb-data-node-cert'))
    written = T.install(d, {'data': {'chain': chain, 'reason': 'no certificate'}}, ca_pem, False)
    assert sorted(os.path.basename(w) for w in written) == ['NDB-trusted-certs', 'ndb-data-node-cert']
    assert T.install(d, {'data': chain}, ca_pem, False) == []  # idempotent
    os.symlink('/etc/passwd', os.path.join(str(tmp_path), 'link'))
    with pytest.raises(T.NdbTlsError):
        T.ensure_directory(os.path.join(str(tmp_path), 'link'), -1, False)


# ndbinfo_select_all transporters certificates on NDB 9.7.4 (measured; columns tab-separated, a trailing tab)
SELECT_ALL = (
    "== transporters ==\n"
    "node_id\tremote_node_id\tconnection_status\tremote_address\tbytes_sent\tbytes_received\tconnect_count\t"
    "overloaded\toverload_count\tslowdown\tslowdown_count\tencrypted\t\n"
    "2\t1\t0\t127.0.0.1\t14604\t3860\t1\t0\t0\t0\t0\t1\t\n"
    "2\t3\t0\t127.0.0.1\t70672\t528\t2\t0\t0\t0\t0\t0\t\n"
    "2\t4\t1\t-\t0\t0\t0\t0\t0\t0\t0\t0\t\n"
    "== certificates ==\n"
    "reporting_node_id\tnode_id\tname\tserial\texpires\t\n"
    "2\t1\tNDB Management Node\t78:C6\t1828196597\t\n")


def test_parse_links():
    parsed = T.parse_links(SELECT_ALL)
    assert parsed['read'] and len(parsed['links']) == 3
    assert parsed['certificates'] == [{'reporting_node_id': 2, 'node_id': 1, 'name': 'NDB Management Node',
                                       'serial': '78:C6', 'expires': 1828196597}]
    summary = T.link_summary(parsed)
    assert summary == {'connected': 2, 'encrypted': 1, 'cleartext_links': ['2-3'], 'all_encrypted': False}
    lines = T.link_lines(parsed)
    assert lines[0].startswith('TLS links: 1 of 2') and 'node 2 -> node 3: CLEAR' in lines
    enc = T.parse_links(SELECT_ALL.replace('\t0\t0\t0\t0\t0\t\n2\t4', '\t0\t0\t0\t0\t1\t\n2\t4'))
    assert T.link_summary(enc)['all_encrypted']  # control
    assert T.link_lines(T.parse_links('Failed to open transporters'))[0].endswith('not read')


def test_running_require_tls():
    text = ("== config_values ==\nnode_id\tconfig_param\tconfig_value\t\n"
            "2\t680\t0\t\n2\t681\t1\t\n3\t681\t0\t\n")
    assert T.running_require_tls(text) == {2: 1, 3: 0}
    assert T.running_require_tls('Failed to open config_values') == {}  # not read: no restart from this rule
