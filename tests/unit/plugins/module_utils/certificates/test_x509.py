# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""x509 logic, with results confirmed by the openssl command line."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import os
import re
import stat
import subprocess

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_checks import check_files, reissue_reasons
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error
from ansible_collections.clustersec.mysql.plugins.modules import x509_ca, x509_node_certs


def openssl(*args):
    return subprocess.run(('openssl',) + args, capture_output=True, text=True, check=False)


def ca_params(tmp, name='ca', **kw):
    p = dict(cert_path=str(tmp / ('%s.pem' % name)), key_path=str(tmp / ('%s-key.pem' % name)), passphrase=None,
             subject={'common_name': 'test CA %s' % name}, valid_days=3650, bundle_path=None, bundle_with=[],
             key_type='ecdsa', key_size=2048, curve='P-256')
    p.update(kw)
    return p


def node_params(tmp, ca='ca', **kw):
    p = dict(ca_cert_path=str(tmp / ('%s.pem' % ca)), ca_key_path=str(tmp / ('%s-key.pem' % ca)), ca_passphrase=None,
             dest_dir=str(tmp / 'nodes'), nodes=[{'name': 'db1', 'dns': ['db1.example'], 'ips': ['10.0.0.1']},
                                                 {'name': 'db2', 'dns': [], 'ips': []}],
             extra_sans=['localhost', '127.0.0.1'], client_certs=True, valid_days=365, renew_before=30,
             key_type='ecdsa', key_size=2048, curve='P-256')
    p.update(kw)
    return p


def issue(p, check_mode=False):
    ca_cert, ca_key, work = x509_node_certs.plan(p)
    return x509_node_certs.apply(p, ca_cert, ca_key, work, check_mode)[0]


@pytest.fixture
def pki(tmp_path):
    x509_ca.ensure_ca(ca_params(tmp_path), False)
    return tmp_path


def test_ca_created_with_ca_extensions_and_private_key(tmp_path):
    p = ca_params(tmp_path, key_type='rsa', key_size=2048)
    cert, created, dummy = x509_ca.ensure_ca(p, False)
    assert created
    assert stat.S_IMODE(os.stat(p['key_path']).st_mode) == 0o600
    text = openssl('x509', '-in', p['cert_path'], '-noout', '-text').stdout
    assert 'CA:TRUE' in text and 'Certificate Sign, CRL Sign' in text
    assert 'Subject Key Identifier' in text and 'Authority Key Identifier' in text
    assert 'Public-Key: (2048 bit)' in text


def test_existing_ca_adopted_unchanged(pki):
    p = ca_params(pki)
    before = open(p['cert_path'], 'rb').read()
    dummy, created, dummy2 = x509_ca.ensure_ca(p, False)
    assert not created and open(p['cert_path'], 'rb').read() == before


def test_ca_check_mode_writes_nothing(tmp_path):
    p = ca_params(tmp_path)
    dummy, created, dummy2 = x509_ca.ensure_ca(p, True)
    assert created and not os.path.exists(p['cert_path'])


def test_passphrase_protected_ca_needs_passphrase(tmp_path):
    x509_ca.ensure_ca(ca_params(tmp_path, passphrase='s3cret'), False)
    with pytest.raises(X509Error, match='passphrase'):
        x509_ca.ensure_ca(ca_params(tmp_path), False)
    assert not x509_ca.ensure_ca(ca_params(tmp_path, passphrase='s3cret'), False)[1]


def test_ca_has_path_length_zero_so_a_leaf_cannot_sign_certificates(pki):
    """Issue 28 row 14: the CA carries pathLenConstraint 0 (the old CA had none). A certificate a leaf key signed is
    refused by openssl verify even when the leaf were marked CA; control: the node certificate itself verifies."""
    text = openssl('x509', '-in', str(pki / 'ca.pem'), '-noout', '-text').stdout
    assert 'CA:TRUE, pathlen:0' in text, text
    ca_cert, ca_key = X.load_cert('c', str(pki / 'ca.pem')), X.load_key('k', str(pki / 'ca-key.pem'))
    # a rogue intermediate: a CA certificate signed by the CA, which then signs a leaf
    mid_key = X.generate_key('ecdsa', curve='P-256')
    mid = X.create_ca(mid_key, {'common_name': 'rogue'}, 10)
    from cryptography import x509 as cx
    from cryptography.hazmat.primitives import hashes
    now = X.utcnow()
    import datetime as dt
    mid = (cx.CertificateBuilder().subject_name(mid.subject).issuer_name(ca_cert.subject).public_key(mid_key.public_key())
           .serial_number(cx.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
           .not_valid_after(now + dt.timedelta(days=5)).add_extension(cx.BasicConstraints(ca=True, path_length=None), critical=True)
           .sign(ca_key, hashes.SHA256()))
    leaf = X.issue_cert(mid, mid_key, X.generate_key('ecdsa', curve='P-256'), {'common_name': 'evil', 'dns': ['evil'], 'ips': []}, 5)
    (pki / 'chain.pem').write_bytes(X.cert_pem(mid))
    (pki / 'evil.pem').write_bytes(X.cert_pem(leaf))
    out = openssl('verify', '-CAfile', str(pki / 'ca.pem'), '-untrusted', str(pki / 'chain.pem'), str(pki / 'evil.pem'))
    assert out.returncode != 0 and 'path length' in (out.stdout + out.stderr).lower(), out.stdout + out.stderr
    result = issue(node_params(pki))
    assert openssl('verify', '-CAfile', str(pki / 'ca.pem'), result['db1']['server']['cert_path']).returncode == 0


def test_protected_ca_key_uses_many_kdf_rounds(tmp_path):
    """Row 14: a passphrase-protected CA key was PBKDF2 with 2048 rounds (cryptography's BestAvailableEncryption);
    now PBES2 with PBKDF2-HMAC-SHA256 at KDF_ROUNDS and AES-256-CBC, which openssl and cryptography both read."""
    p = ca_params(tmp_path, passphrase='s3cret')
    x509_ca.ensure_ca(p, False)
    parsed = openssl('asn1parse', '-in', p['key_path']).stdout
    assert 'PBKDF2' in parsed and 'hmacWithSHA256' in parsed and 'aes-256-cbc' in parsed
    assert ':%X' % X.KDF_ROUNDS in parsed.replace(':0', ':'), parsed[:800]
    assert X.KDF_ROUNDS >= 600000
    assert openssl('pkey', '-in', p['key_path'], '-passin', 'pass:s3cret', '-noout').returncode == 0
    assert openssl('pkey', '-in', p['key_path'], '-passin', 'pass:wrong', '-noout').returncode != 0
    assert X.key_spec(X.load_key('k', p['key_path'], 's3cret')) == 'ecdsa-P-256'


@pytest.mark.parametrize('kw,field', [
    ({'key_type': 'dsa'}, 'key_type'), ({'key_type': 'rsa', 'key_size': 1024}, 'key_size'),
    ({'valid_days': 0}, 'valid_days'), ({'valid_days': -5}, 'valid_days'),
    ({'subject': {'common_name': 'x', 'country': 'FRA'}}, 'subject.country')])
def test_ca_bad_input_names_field(tmp_path, kw, field):
    with pytest.raises(X509Error, match=field):
        x509_ca.ensure_ca(ca_params(tmp_path, **kw), False)
    assert not os.listdir(str(tmp_path))


def test_bundle_old_then_new_dedup(pki):
    old = ca_params(pki)
    new = ca_params(pki, name='ca2', bundle_with=[old['cert_path'], old['cert_path']], bundle_path=str(pki / 'bundle.pem'))
    cert, dummy, dummy2 = x509_ca.ensure_ca(new, False)
    assert x509_ca.ensure_bundle(new, cert, False)
    certs = X.parse_pem_certs(open(new['bundle_path'], 'rb').read())
    assert [X.common_name(c.subject) for c in certs] == ['test CA ca', 'test CA ca2']
    assert not x509_ca.ensure_bundle(new, cert, False)


@pytest.mark.parametrize('key_type,key_size,curve,text', [('rsa', 2048, 'P-256', '2048 bit'),
                                                          ('ecdsa', 2048, 'P-384', '384 bit')])
def test_node_certs_verify_with_openssl(pki, key_type, key_size, curve, text):
    p = node_params(pki, key_type=key_type, key_size=key_size, curve=curve)
    nodes = issue(p)
    srv = nodes['db1']['server']
    assert srv['changed'] and srv['reasons'] == ['missing']
    assert openssl('verify', '-CAfile', p['ca_cert_path'], srv['cert_path']).stdout.strip().endswith(': OK')
    out = openssl('x509', '-in', srv['cert_path'], '-noout', '-text').stdout
    assert 'DNS:db1, DNS:db1.example, DNS:localhost, IP Address:10.0.0.1, IP Address:127.0.0.1' in out
    assert text in out and 'TLS Web Server Authentication, TLS Web Client Authentication' in out
    assert stat.S_IMODE(os.stat(srv['key_path']).st_mode) == 0o600
    client = nodes['db1']['client']
    assert 'CN = db1-client' in openssl('x509', '-in', client['cert_path'], '-noout', '-subject').stdout


def test_second_run_changes_nothing(pki):
    p = node_params(pki)
    first = issue(p)
    second = issue(p)
    assert not any(v['changed'] for v in second.values())
    assert second['db1']['server']['serial'] == first['db1']['server']['serial']


def test_san_change_reissues_only_that_node(pki):
    issue(node_params(pki))
    p = node_params(pki)
    p['nodes'][1]['dns'] = ['db2.example']
    nodes = issue(p)
    assert not nodes['db1']['changed']
    assert nodes['db2']['server']['reasons'] == ['SANs changed']


def test_renewal_window(pki):
    issue(node_params(pki, valid_days=20))
    nodes = issue(node_params(pki, valid_days=365))
    assert any('expires within' in r for r in nodes['db1']['server']['reasons'])


def test_key_type_change_reissues(pki):
    issue(node_params(pki))
    nodes = issue(node_params(pki, key_type='rsa'))
    assert any('key type changed' in r for r in nodes['db1']['server']['reasons'])


def test_ca_change_reissues(pki):
    issue(node_params(pki))
    x509_ca.ensure_ca(ca_params(pki, name='other'), False)
    nodes = issue(node_params(pki, ca='other'))
    assert 'not signed by the current CA' in nodes['db1']['server']['reasons']


def test_cn_equal_to_ca_cn_refused(pki):
    p = node_params(pki, nodes=[{'name': 'test CA ca', 'dns': [], 'ips': []}])
    with pytest.raises(X509Error, match="equals the CA's CN"):
        issue(p)


@pytest.mark.parametrize('nodes,match', [
    ([{'name': 'a', 'dns': [], 'ips': []}, {'name': 'a', 'dns': [], 'ips': []}], 'duplicate node name'),
    ([{'name': 'a', 'dns': ['bad name!'], 'ips': []}], "SAN 'bad name!'"),
    ([{'name': 'a', 'dns': [], 'ips': ['10.0.0.300']}], "'10.0.0.300'")])
def test_bad_node_input_before_any_write(pki, nodes, match):
    with pytest.raises(X509Error, match=match):
        issue(node_params(pki, nodes=nodes))
    assert not os.path.exists(str(pki / 'nodes'))


def test_missing_ca_file(tmp_path):
    with pytest.raises(X509Error, match='ca_cert_path: cannot read'):
        issue(node_params(tmp_path))


def test_check_mode_issues_nothing(pki):
    nodes = issue(node_params(pki), check_mode=True)
    assert nodes['db1']['changed'] and not os.path.exists(str(pki / 'nodes'))


def test_check_files_good_and_control(pki):
    p = node_params(pki)
    srv = issue(p)['db1']['server']
    problems, facts = check_files(p['ca_cert_path'], srv['cert_path'], srv['key_path'], names=['db1', '10.0.0.1'])
    assert problems == [] and facts['cert']['dns_names'][0] == 'db1'
    # Control: the same check on wrong inputs reports every problem at once.
    other = issue(node_params(pki))['db2']['server']
    os.chmod(srv['key_path'], 0o644)
    problems, dummy = check_files(p['ca_cert_path'], srv['cert_path'], other['key_path'],
                                  names=['db9'], warn_days=400)
    text = '\n'.join(problems)
    assert 'does not match' in text and 'name db9 is not in the certificate' in text and 'expires in' in text
    problems, dummy = check_files(p['ca_cert_path'], srv['cert_path'], srv['key_path'])
    assert any('readable by others' in x for x in problems)


def test_check_files_foreign_ca_expired_and_missing(pki, tmp_path_factory):
    p = node_params(pki)
    srv = issue(p)['db1']['server']
    other = tmp_path_factory.mktemp('other')
    x509_ca.ensure_ca(ca_params(other), False)
    problems, dummy = check_files(str(other / 'ca.pem'), srv['cert_path'], str(pki / 'nope.pem'))
    text = '\n'.join(problems)
    assert 'chain does not verify' in text and 'nope.pem' in text
    key = X.generate_key('ecdsa', curve='P-256')
    ca_cert = X.load_cert('ca', p['ca_cert_path'])
    ca_key = X.load_key('ca', p['ca_key_path'])
    node = {'common_name': 'old', 'dns': ['old'], 'ips': []}
    expired = X.issue_cert(ca_cert, ca_key, key, node, 1)
    later = X.utcnow() + datetime.timedelta(days=3)
    assert 'expires within 30 days' in reissue_reasons(expired, key, ca_cert, node, 'ecdsa-P-256', 30, now=later)


def test_client_certs_signed_by_the_client_ca_not_by_the_cluster_ca(pki):
    x509_ca.ensure_ca(ca_params(pki, name='client-ca'), False)
    p = node_params(pki, client_ca_cert_path=str(pki / 'client-ca.pem'), client_ca_key_path=str(pki / 'client-ca-key.pem'))
    issue(p)
    client = str(pki / 'nodes' / 'db1' / 'client-cert.pem')
    server = str(pki / 'nodes' / 'db1' / 'server-cert.pem')
    assert openssl('verify', '-CAfile', str(pki / 'client-ca.pem'), client).returncode == 0
    assert openssl('verify', '-CAfile', str(pki / 'ca.pem'), client).returncode != 0
    assert openssl('verify', '-CAfile', str(pki / 'ca.pem'), server).returncode == 0
    # The same check the roles run: the cluster CA must not have signed a client certificate.
    problems, dummy = check_files(str(pki / 'client-ca.pem'), client, None, refuse_ca_path=str(pki / 'ca.pem'))
    assert problems == []
    problems, dummy = check_files(str(pki / 'ca.pem'), server, None, refuse_ca_path=str(pki / 'ca.pem'))
    assert any('must not be' in p for p in problems)


def test_single_ca_layout_migrates_client_certs_to_the_client_ca(pki):
    issue(node_params(pki))
    x509_ca.ensure_ca(ca_params(pki, name='client-ca'), False)
    p = node_params(pki, client_ca_cert_path=str(pki / 'client-ca.pem'), client_ca_key_path=str(pki / 'client-ca-key.pem'))
    result = issue(p)
    assert result['db1']['client']['changed'] and not result['db1']['server']['changed']
    assert not issue(p)['db1']['changed']


def test_client_ca_equal_to_cluster_ca_refused(pki):
    p = node_params(pki, client_ca_cert_path=str(pki / 'ca.pem'), client_ca_key_path=str(pki / 'ca-key.pem'))
    with pytest.raises(X509Error, match='share one CA'):
        issue(p)


def test_client_cn_equal_to_a_ca_cn_refused(pki):
    p = node_params(pki, nodes=[{'name': 'x', 'common_name': 'test CA',
                                 'dns': [], 'ips': []}])
    x509_ca.ensure_ca(ca_params(pki, name='c2', subject={'common_name': 'test CA-client'}), False)
    p.update(client_ca_cert_path=str(pki / 'c2.pem'), client_ca_key_path=str(pki / 'c2-key.pem'))
    with pytest.raises(X509Error, match="'test CA-client' equals the CA's CN"):
        issue(p)
    assert not (pki / 'nodes').exists()


@pytest.mark.parametrize('node, message', [
    ({'name': '../escaped', 'common_name': 'escaped'}, 'names a directory'),
    ({'name': 'db 1', 'common_name': 'db1'}, 'names a directory'),
    ({'name': '*.db.example.com'}, 'names a directory'),
    ({'name': '..'}, 'names a directory'),
    ({'name': 'db9', 'common_name': 'n' * 65}, "CN '%s' has 65 characters" % ('n' * 65)),
])
def test_bad_node_input_refused_before_any_file(pki, node, message):
    p = node_params(pki, nodes=[dict({'dns': [], 'ips': []}, **node)])
    with pytest.raises(X509Error, match=re.escape(message)):
        issue(p)
    assert not (pki / 'nodes').exists() and not (pki.parent / 'escaped').exists()


def test_empty_node_list_refused(pki):
    with pytest.raises(X509Error, match='the list is empty'):
        issue(node_params(pki, nodes=[]))


def test_sixty_character_name_without_client_certificate_is_fine(pki):
    result = issue(node_params(pki, nodes=[{'name': 'n' * 60, 'dns': [], 'ips': []}], client_certs=False))
    assert result['n' * 60]['changed']


def test_sixty_character_fqdn_gets_a_client_certificate_with_a_short_cn_and_the_name_as_san(pki):
    """Issue 28 row 15: '<name>-client' of a 60-character FQDN exceeds the 64-character CN limit; the old code
    refused the whole call. The CN is shortened (unique per name), the SAN carries the whole name."""
    fqdn = 'db1.' + 'a' * 40 + '.example.internal'
    assert len(fqdn) == 61 and len(fqdn + '-client') > 64
    other = 'db1.' + 'b' * 40 + '.example.internal'
    result = issue(node_params(pki, nodes=[{'name': fqdn, 'dns': [], 'ips': []}, {'name': other, 'dns': [], 'ips': []}]))
    cert = X.load_cert('c', result[fqdn]['client']['cert_path'])
    cn = X.common_name(cert.subject)
    assert len(cn) <= 64 and cn.startswith('db1-') and cn.endswith('-client'), cn
    assert cn != X.common_name(X.load_cert('c', result[other]['client']['cert_path']).subject)
    text = openssl('x509', '-in', result[fqdn]['client']['cert_path'], '-noout', '-ext', 'subjectAltName').stdout
    assert 'DNS:' + fqdn in text, text
    assert openssl('verify', '-CAfile', str(pki / 'ca.pem'), result[fqdn]['client']['cert_path']).returncode == 0
    # a second run keeps them (the shortened subject is what the plan expects)
    assert not issue(node_params(pki, nodes=[{'name': fqdn, 'dns': [], 'ips': []}, {'name': other, 'dns': [], 'ips': []}]))[fqdn]['changed']


def test_short_names_keep_their_client_cn_and_no_san(pki):
    """Control: a name that fits keeps '<name>-client' and no SAN, so existing client certificates are not reissued."""
    result = issue(node_params(pki, nodes=[{'name': 'db1', 'dns': [], 'ips': []}]))
    cert = X.load_cert('c', result['db1']['client']['cert_path'])
    assert X.common_name(cert.subject) == 'db1-client'
    assert 'DNS:' not in openssl('x509', '-in', result['db1']['client']['cert_path'], '-noout', '-ext', 'subjectAltName').stdout


def test_a_certificate_that_would_outlive_its_ca_is_refused_before_anything_is_written(tmp_path):
    x509_ca.ensure_ca(ca_params(tmp_path, valid_days=100), False)
    with pytest.raises(X509Error, match=r"nodes\[db1\]: a server certificate valid 365 days would outlive its CA "
                                        r"'test CA ca' \(expires .*, in 99 days\).*rotate_ca=true.*at most 98 days"):
        issue(node_params(tmp_path, valid_days=365))
    assert not os.path.exists(str(tmp_path / 'nodes'))
    # Control: within the CA's validity it issues.
    assert issue(node_params(tmp_path, valid_days=98))['db1']['changed']
    # Nothing to issue (the certificates are fresh): a converged run is not refused.
    assert not issue(node_params(tmp_path, valid_days=365))['db1']['changed']
    # outlive_ca=cap (the rotation's probe certificates of a CA being replaced) issues, cut to the CA's end.
    assert issue(node_params(tmp_path, valid_days=365, outlive_ca='cap', dest_dir=str(tmp_path / 'probe')))['db1']['changed']
