# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probe what a port really speaks: MySQL protocol with its TLS upgrade, or TLS from the first byte.

The positive probes: which protocol, cipher and certificate a port presents, verified against the CA where
possible. What an attacker would try (a foreign certificate, weak TLS, a plain login) is in attacker_probes.
Only the standard library is used so the probe runs on any node or controller.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import hashlib
import os
import socket
import ssl
import tempfile

from ansible_collections.clustersec.mysql.plugins.module_utils.probes._mysql_protocol import (
    CLIENT_SSL, ProbeError, RefusedBeforeTLS, parse_server_greeting, read_mysql_packet, ssl_request_packet)


def _context(ca_path, cert_path=None, key_path=None, server_name=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = bool(server_name)
    if ca_path:
        ctx.load_verify_locations(cafile=ca_path)
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert_path:
        ctx.load_cert_chain(cert_path, key_path)
    return ctx


def decode_der(der):
    """Decode a DER certificate into the dict shape of SSLSocket.getpeercert()."""
    fd, path = tempfile.mkstemp(suffix='.pem')
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(ssl.DER_cert_to_PEM_cert(der))
        return ssl._ssl._test_decode_cert(path)  # pylint: disable=protected-access
    except (AttributeError, ssl.SSLError, OSError):
        return {}
    finally:
        os.unlink(path)


def describe_peer(tls_sock):
    """Protocol, cipher and the peer certificate's facts after a handshake."""
    der = tls_sock.getpeercert(binary_form=True)
    info = {
        'encrypted': True,
        'protocol': tls_sock.version(),
        'cipher': tls_sock.cipher()[0] if tls_sock.cipher() else None,
        'sha256_fingerprint': hashlib.sha256(der).hexdigest() if der else None,
    }
    # Without verification the ssl module hides the decoded certificate; decode it ourselves.
    cert = tls_sock.getpeercert() or (decode_der(der) if der else {})
    if cert:
        info['subject'] = ', '.join('%s=%s' % kv for rdn in cert.get('subject', ()) for kv in rdn)
        info['issuer'] = ', '.join('%s=%s' % kv for rdn in cert.get('issuer', ()) for kv in rdn)
        info['sans'] = ['%s:%s' % san for san in cert.get('subjectAltName', ())]
        if cert.get('notAfter'):
            not_after = datetime.datetime.utcfromtimestamp(ssl.cert_time_to_seconds(cert['notAfter']))
            info['not_after'] = not_after.strftime('%Y-%m-%dT%H:%M:%SZ')
            info['days_left'] = (not_after - datetime.datetime.utcnow()).days
    return info


def _mysql_once(host, port, ctx, server_name, timeout, result):
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        dummy, greeting = read_mysql_packet(sock)
        info = parse_server_greeting(greeting)
        result['server_version'] = info['version']
        result['tls_offered'] = bool(info['capabilities'] & CLIENT_SSL)
        if not result['tls_offered']:
            result['error'] = 'server does not offer TLS (CLIENT_SSL capability absent)'
            return
        sock.sendall(ssl_request_packet(info['capabilities']))
        with ctx.wrap_socket(sock, server_hostname=server_name) as tls:
            sock = None
            result.update(describe_peer(tls))
    finally:
        if sock is not None:
            sock.close()


def _tls_once(host, port, ctx, server_name, timeout, result):
    raw = socket.create_connection((host, port), timeout=timeout)
    try:
        with ctx.wrap_socket(raw, server_hostname=server_name) as tls:
            raw = None
            result.update(describe_peer(tls))
    finally:
        if raw is not None:
            raw.close()


def _probe(once, host, port, channel, ca_path, cert_path, key_path, server_name, timeout):
    """Handshake verifying against the CA; when verification fails, look again without it so the
    report can still say which certificate the port presents."""
    result = {'host': host, 'port': port, 'channel': channel, 'encrypted': False}
    try:
        ctx = _context(ca_path, cert_path, key_path, server_name)
        can_verify = bool(ca_path)
    except (OSError, ssl.SSLError) as exc:
        # A missing CA or client certificate is a finding, not a reason to skip the probe.
        result['verify_error'] = 'cannot load the CA or client certificate: %s' % exc
        ctx, can_verify = _context(None), False
    try:
        once(host, port, ctx, server_name if can_verify else None, timeout, result)
        result['listening'] = True
        if result.get('encrypted'):
            result['verified'] = can_verify
        return result
    except ssl.SSLCertVerificationError as exc:
        result['listening'] = True
        result['verified'] = False
        result['verify_error'] = exc.verify_message or str(exc)
    except (ssl.SSLError, ssl.CertificateError) as exc:
        result['listening'] = True
        result['error'] = 'TLS handshake failed: %s' % exc
        return result
    except RefusedBeforeTLS as exc:
        result['listening'] = True
        result['undetermined'] = True
        result['error'] = str(exc)
        return result
    except ProbeError as exc:
        result['listening'] = True
        result['error'] = str(exc)
        return result
    except (OSError, socket.timeout) as exc:
        result['listening'] = False
        result['error'] = 'port closed or unreachable: %s' % exc
        return result
    try:
        once(host, port, _context(None, cert_path, key_path), None, timeout, result)
    except (ssl.SSLError, ProbeError, OSError, socket.timeout) as exc:
        result['error'] = 'TLS handshake failed: %s' % exc
    return result


def probe_mysql(host, port=3306, ca_path=None, cert_path=None, key_path=None, server_name=None, timeout=5.0):
    """Connect the MySQL way: read the greeting, send SSLRequest, then do the TLS handshake."""
    return _probe(_mysql_once, host, port, 'client-server', ca_path, cert_path, key_path, server_name, timeout)


def probe_tls(host, port, channel, ca_path=None, cert_path=None, key_path=None, server_name=None, timeout=5.0):
    """A TLS handshake from the first byte (Galera group communication, IST, SST tunnel)."""
    return _probe(_tls_once, host, port, channel, ca_path, cert_path, key_path, server_name, timeout)
