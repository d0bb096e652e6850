# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 28 row 14, revocation: before, a retired node's certificate stayed valid up to 825 days (no CRL at all).
A CRL of the client CA naming a retired node makes a real TLS server (Python's ssl on a socket pair, CRL checked as
MariaDB's ssl_crl does) refuse that node's client certificate; control: another node's certificate is accepted."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import socket
import ssl
import subprocess
import threading

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509_crl as C
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error
from ansible_collections.clustersec.mysql.plugins.modules import x509_ca, x509_node_certs


def _ca(tmp, name, cn):
    x509_ca.ensure_ca(dict(cert_path=str(tmp / (name + '.pem')), key_path=str(tmp / (name + '-key.pem')), passphrase=None,
                           subject={'common_name': cn}, valid_days=3650, bundle_path=None, bundle_with=[],
                           key_type='ecdsa', key_size=2048, curve='P-256'), False)
    return X.load_cert('c', str(tmp / (name + '.pem'))), X.load_key('k', str(tmp / (name + '-key.pem')))


@pytest.fixture
def pki(tmp_path):
    cas = [_ca(tmp_path, 'client-ca', 'test client CA'), _ca(tmp_path, 'ca', 'test CA')]
    p = dict(ca_cert_path=str(tmp_path / 'ca.pem'), ca_key_path=str(tmp_path / 'ca-key.pem'), ca_passphrase=None,
             client_ca_cert_path=str(tmp_path / 'client-ca.pem'), client_ca_key_path=str(tmp_path / 'client-ca-key.pem'),
             dest_dir=str(tmp_path / 'nodes'), nodes=[{'name': n, 'dns': [], 'ips': []} for n in ('db1', 'db2', 'db4')],
             extra_sans=['localhost'], client_certs=True, valid_days=365, renew_before=30, key_type='ecdsa',
             key_size=2048, curve='P-256')
    ca_cert, ca_key, work = x509_node_certs.plan(p)
    x509_node_certs.apply(p, ca_cert, ca_key, work, False)
    return tmp_path, cas


def _write_crl(tmp, cas, revoked):
    serials = C.revoked_serials(revoked, str(tmp / 'nodes'))
    (tmp / 'crl.pem').write_bytes(C.pem_of([C.build(c, k, serials, 365) for c, k in cas]))
    return serials


def _handshake(tmp, client):
    """Server: the node's certificate, trusting the client CA, CRLs checked (ssl_crl); returns the server's error."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(str(tmp / 'nodes' / 'db1' / 'server-cert.pem'), str(tmp / 'nodes' / 'db1' / 'server-key.pem'))
    server_ctx.load_verify_locations(str(tmp / 'client-ca.pem'))
    server_ctx.load_verify_locations(str(tmp / 'crl.pem'))
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    server_ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.load_verify_locations(str(tmp / 'ca.pem'))
    client_ctx.load_cert_chain(str(tmp / 'nodes' / client / 'client-cert.pem'), str(tmp / 'nodes' / client / 'client-key.pem'))
    a, b = socket.socketpair()
    a.settimeout(10)
    b.settimeout(10)
    errors = []

    def serve():
        try:
            with server_ctx.wrap_socket(a, server_side=True) as s:
                s.sendall(s.recv(5))
        except (ssl.SSLError, OSError) as exc:
            errors.append(exc)
    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client_ctx.wrap_socket(b, server_hostname='localhost') as c:
            c.sendall(b'hello')
            c.recv(5)
    except (ssl.SSLError, OSError):
        pass
    thread.join(10)
    return errors


def test_revoked_client_certificate_is_refused_by_a_real_handshake(pki):
    tmp, cas = pki
    serials = _write_crl(tmp, cas, ['db4'])
    assert len(serials) == 2  # server and client certificate of the retired node
    errors = _handshake(tmp, 'db4')
    assert errors and 'revoked' in str(errors[0]).lower(), errors
    # control: a node that is not revoked connects
    assert _handshake(tmp, 'db2') == []


def test_openssl_verify_with_crl_check_agrees(pki):
    tmp, cas = pki
    _write_crl(tmp, cas, ['db4'])
    (tmp / 'trust.pem').write_bytes((tmp / 'client-ca.pem').read_bytes() + (tmp / 'crl.pem').read_bytes())

    def verify(node):
        return subprocess.run(['openssl', 'verify', '-crl_check', '-CAfile', str(tmp / 'trust.pem'),
                               str(tmp / 'nodes' / node / 'client-cert.pem')], capture_output=True, text=True, check=False)
    out = verify('db4')
    assert out.returncode != 0 and 'revoked' in out.stdout + out.stderr
    assert verify('db2').returncode == 0


def test_current_says_when_to_remake(pki):
    tmp, cas = pki
    serials = _write_crl(tmp, cas, ['db4'])
    pem, certs = (tmp / 'crl.pem').read_bytes(), [c for c, k in cas]
    assert C.current(pem, certs, serials, 30)
    assert not C.current(pem, certs, serials + [1], 30), 'a newly revoked serial'
    assert not C.current(pem, certs[:1], serials, 30), 'a CA more or less'
    assert not C.current(pem, list(reversed(certs)), serials, 30), 'signed by another CA'
    assert not C.current(pem, certs, serials, 400), 'ends within renew_before'
    assert not C.current(b'', certs, serials, 30)


def test_serials_and_names(pki):
    tmp, cas = pki
    assert C.revoked_serials(['0x1F', '1f', 'ab:cd'], str(tmp / 'nodes')) == [0x1f, 0xabcd]
    with pytest.raises(X509Error, match='neither a serial'):
        C.revoked_serials(['db9-retired'], str(tmp / 'nodes'))


def test_crl_never_outlives_its_ca(pki):
    tmp, cas = pki
    cert, key = cas[0]
    crl = C.build(cert, key, [], 100000, now=X.utcnow())
    assert C._next_update(crl) <= X.not_after(cert) + datetime.timedelta(seconds=1)
