# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tls_probe against real loopback servers: a TLS port, a MySQL-protocol port with TLS upgrade,
a plain MySQL port (the control: 'encrypted' must be able to come out False), and a foreign CA."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import socket
import ssl
import struct
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.clustersec.mysql.plugins.module_utils.probes import _mysql_protocol as mysql_protocol
from ansible_collections.clustersec.mysql.plugins.module_utils.probes import tls_probe
from ansible_collections.clustersec.mysql.plugins.module_utils.probes.encryption_report import (
    classify, render_markdown, summarize)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, issuer, pub, signer, days, ca=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer)).public_key(pub)
         .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
         .not_valid_after(now + datetime.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName('localhost')]), critical=False)
    return b.sign(signer, hashes.SHA256())


def _write_pki(tmp, tag, days=365):
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert('%s CA' % tag, '%s CA' % tag, ca_key.public_key(), ca_key, 3650, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert('node-%s' % tag, '%s CA' % tag, key.public_key(), ca_key, days)
    paths = {}
    for name, data in (('ca', ca.public_bytes(serialization.Encoding.PEM)),
                       ('cert', cert.public_bytes(serialization.Encoding.PEM)),
                       ('key', key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))):
        p = tmp / ('%s-%s.pem' % (tag, name))
        p.write_bytes(data)
        paths[name] = str(p)
    return paths


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('pki')
    return {'good': _write_pki(tmp, 'good'), 'foreign': _write_pki(tmp, 'foreign'),
            'short': _write_pki(tmp, 'short', days=5)}


def _greeting(with_ssl):
    caps = 0xffff if with_ssl else (0xffff & ~mysql_protocol.CLIENT_SSL)
    body = (b'\x0a' + b'10.11.18-MariaDB\x00' + struct.pack('<I', 7) + b'abcdefgh' + b'\x00'
            + struct.pack('<H', caps & 0xffff) + b'\x21' + struct.pack('<H', 2) + struct.pack('<H', caps >> 16)
            + b'\x15' + b'\x00' * 10 + b'ijklmnopqrst\x00' + b'mysql_native_password\x00')
    return struct.pack('<I', len(body))[:3] + b'\x00' + body


class Loopback(object):
    """A loopback server handling one connection at a time with handle(conn) in a thread."""

    def __init__(self, paths):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(paths['cert'], paths['key'])
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]

    def start(self):
        threading.Thread(target=self.serve, daemon=True).start()
        return self

    def serve(self):
        while True:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            try:
                conn.settimeout(5)
                self.handle(conn)
            except (OSError, ssl.SSLError, mysql_protocol.ProbeError):
                pass

    def handle(self, conn):
        raise NotImplementedError

    def close(self):
        self.sock.close()


class Server(Loopback):
    """'tls', 'mysql' (TLS upgrade) or 'plain-mysql'."""

    def __init__(self, kind, paths):
        super(Server, self).__init__(paths)
        self.kind = kind
        self.start()

    def handle(self, conn):
        if self.kind in ('mysql', 'plain-mysql'):
            conn.sendall(_greeting(self.kind == 'mysql'))
            if self.kind == 'plain-mysql':
                conn.recv(1024)
                conn.close()
                return
            mysql_protocol.read_mysql_packet(conn)
        with self.ctx.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)


@pytest.fixture
def server(pki):
    made = []

    def make(kind, which='good'):
        s = Server(kind, pki[which])
        made.append(s)
        return s
    yield make
    for s in made:
        s.close()


def test_tls_port_encrypted_and_verified(server, pki):
    s = server('tls')
    r = tls_probe.probe_tls('127.0.0.1', s.port, 'group-communication', ca_path=pki['good']['ca'])
    assert r['encrypted'] and r['verified']
    assert r['protocol'] in ('TLSv1.2', 'TLSv1.3')
    assert 'node-good' in r['subject'] and 'good CA' in r['issuer']
    assert r['days_left'] >= 363 and len(r['sha256_fingerprint']) == 64
    assert classify(r)['status'] == 'green'


def test_mysql_upgrade_encrypted(server, pki):
    s = server('mysql')
    r = tls_probe.probe_mysql('127.0.0.1', s.port, ca_path=pki['good']['ca'])
    assert r['tls_offered'] and r['encrypted'] and r['verified']
    assert r['server_version'].startswith('10.11')


def test_control_plain_mysql_is_not_encrypted(server, pki):
    s = server('plain-mysql')
    r = classify(tls_probe.probe_mysql('127.0.0.1', s.port, ca_path=pki['good']['ca']))
    assert r['encrypted'] is False and r['status'] == 'red'
    assert 'does not offer TLS' in r['findings'][0]


def test_foreign_ca_is_reported_not_hidden(server, pki):
    s = server('tls', 'foreign')
    r = classify(tls_probe.probe_tls('127.0.0.1', s.port, 'ist', ca_path=pki['good']['ca']))
    assert r['encrypted'] and r['verified'] is False and r['status'] == 'red'
    assert 'node-foreign' in r['subject']
    assert any('not verified' in f for f in r['findings'])


def test_expiring_certificate_is_amber(server, pki):
    s = server('tls', 'short')
    r = classify(tls_probe.probe_tls('127.0.0.1', s.port, 'gcomm', ca_path=pki['short']['ca']), warn_days=30)
    assert r['status'] == 'amber' and 'expires in' in r['findings'][0]


def test_closed_port_is_a_finding_unless_optional():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    r = tls_probe.probe_tls('127.0.0.1', port, 'gcomm')
    assert r['listening'] is False
    assert classify(dict(r))['status'] == 'red'
    assert classify(dict(r), optional=True)['status'] == 'green'


def test_report_summary_and_markdown():
    nodes = {'n1': [classify({'channel': 'gcomm', 'port': 4567, 'encrypted': True, 'verified': True,
                              'protocol': 'TLSv1.3', 'days_left': 300, 'listening': True})],
             'n2': [classify({'channel': 'gcomm', 'port': 4567, 'encrypted': False, 'listening': True,
                              'error': 'plain'})]}
    summary = summarize(nodes)
    assert summary['status'] == 'red' and summary['counts'] == {'green': 1, 'amber': 0, 'red': 1, 'off': 0}
    md = render_markdown(nodes, summary)
    assert '| n1 | GREEN TLSv1.3 |' in md and '| n2 | RED plain |' in md
    assert 'n2 gcomm (4567): not encrypted' in md


def test_missing_ca_file_still_probes_and_reports(server, tmp_path):
    s = server('tls')
    r = classify(tls_probe.probe_tls('127.0.0.1', s.port, 'gcomm', ca_path=str(tmp_path / 'missing.pem')))
    assert r['encrypted'] and r['verified'] is False and r['status'] == 'red'
    assert 'cannot load' in r['verify_error']


def test_host_not_allowed_is_amber_not_plain():
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def refuse():
        conn, dummy = srv.accept()
        body = b'\xff' + struct.pack('<H', 1130) + b"Host 'x' is not allowed to connect"
        conn.sendall(struct.pack('<I', len(body))[:3] + b'\x00' + body)
        conn.close()
    t = threading.Thread(target=refuse, daemon=True)
    t.start()
    r = classify(tls_probe.probe_mysql('127.0.0.1', port))
    srv.close()
    assert r['status'] == 'amber' and r.get('undetermined')
    assert '1130' in r['findings'][0]
