# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probe what a port really speaks: MySQL protocol with its TLS upgrade, or TLS from the first byte.

Only the standard library is used so the probe runs on any node or controller.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import hashlib
import os
import socket
import ssl
import struct
import tempfile
import warnings

CLIENT_SSL = 0x00000800
CLIENT_PROTOCOL_41 = 0x00000200
CLIENT_SECURE_CONNECTION = 0x00008000
CLIENT_LONG_PASSWORD = 0x00000001
CLIENT_PLUGIN_AUTH = 0x00080000
# Server answers to a login: access denied (wrong password, or MariaDB's answer to a plain login under
# require_secure_transport), MySQL's "insecure transport prohibited", and "account locked" (the
# password was right and the transport accepted).
ER_ACCESS_DENIED = 1045
ER_SECURE_TRANSPORT_REQUIRED = 3159
ER_ACCOUNT_LOCKED = (3118, 4151)
# Alerts and errors that mean the server refused our certificate (or our offer) during the handshake.
_REFUSAL_MARKERS = ('unknown ca', 'bad certificate', 'certificate unknown', 'certificate required',
                    'handshake failure', 'access denied', 'decrypt error', 'unsupported certificate',
                    'certificate expired', 'certificate revoked', 'protocol version', 'no shared cipher',
                    'insufficient security', 'wrong version number', 'unexpected eof', 'eof occurred',
                    'connection reset', 'broken pipe')
# Errors that mean our own TLS library could not make the offer (nothing was learned about the server).
_LOCAL_MARKERS = ('no protocols available', 'no ciphers available', 'no cipher match', 'unsupported protocol')


class ProbeError(Exception):
    """A probe that could not complete; the message says why."""


class RefusedBeforeTLS(ProbeError):
    """The server answered the connection with an error packet (e.g. 1130, host not allowed), so
    whether it would have encrypted the session is unknown, not 'plain'."""


def _recv_exact(sock, size):
    data = b''
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ProbeError('connection closed by the server after %d of %d bytes' % (len(data), size))
        data += chunk
    return data


def read_mysql_packet(sock):
    """Return (sequence id, payload) of one MySQL protocol packet."""
    header = _recv_exact(sock, 4)
    length = header[0] | (header[1] << 8) | (header[2] << 16)
    return header[3], _recv_exact(sock, length)


def parse_server_greeting(payload):
    """Parse the initial handshake packet (protocol 10): version, capabilities."""
    if not payload:
        raise ProbeError('empty greeting')
    if payload[0] == 0xff:
        code = struct.unpack('<H', payload[1:3])[0] if len(payload) >= 3 else 0
        raise RefusedBeforeTLS('server refused the connection before TLS could start: error %d %s'
                               % (code, payload[3:].decode('utf-8', 'replace')))
    if payload[0] != 10:
        raise ProbeError('not a MySQL protocol 10 greeting (first byte %d)' % payload[0])
    end = payload.index(b'\x00', 1)
    version = payload[1:end].decode('ascii', 'replace')
    pos = end + 1 + 4 + 8 + 1  # connection id, auth data part 1, filler
    nonce = payload[end + 5:end + 13]
    cap_low = struct.unpack('<H', payload[pos:pos + 2])[0]
    pos += 2
    cap_high = 0
    plugin = ''
    if len(payload) >= pos + 5:
        cap_high = struct.unpack('<H', payload[pos + 3:pos + 5])[0]
        auth_len = payload[pos + 5] if len(payload) > pos + 5 else 0
        rest = payload[pos + 16:]
        part2 = rest[:max(13, auth_len - 8)]
        nonce += part2.rstrip(b'\x00')[:12]
        tail = rest[len(part2):]
        plugin = tail.split(b'\x00', 1)[0].decode('ascii', 'replace')
    return {'version': version, 'capabilities': cap_low | (cap_high << 16), 'nonce': nonce, 'plugin': plugin}


def native_password_scramble(password, nonce):
    """mysql_native_password: SHA1(pw) XOR SHA1(nonce + SHA1(SHA1(pw)))."""
    if not password:
        return b''
    h1 = hashlib.sha1(password.encode('utf-8')).digest()
    h2 = hashlib.sha1(h1).digest()
    h3 = hashlib.sha1(nonce[:20] + h2).digest()
    return bytes(a ^ b for a, b in zip(h1, h3))


def handshake_response_packet(capabilities, user, password, nonce, sequence_id, tls):
    """HandshakeResponse41 logging in with mysql_native_password."""
    flags = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_LONG_PASSWORD | CLIENT_PLUGIN_AUTH
    flags &= capabilities
    flags |= CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION
    if tls:
        flags |= CLIENT_SSL
    auth = native_password_scramble(password, nonce)
    body = struct.pack('<IIB', flags, 16 * 1024 * 1024, 33) + b'\x00' * 23
    body += user.encode('utf-8') + b'\x00' + bytes([len(auth)]) + auth
    if flags & CLIENT_PLUGIN_AUTH:
        body += b'mysql_native_password\x00'
    return struct.pack('<I', len(body))[:3] + bytes([sequence_id]) + body


def login_outcome(packet):
    """Classify the server's answer to a login: ok, locked, denied, transport_refused or other."""
    if not packet:
        return {'outcome': 'other', 'message': 'empty answer'}
    if packet[0] == 0x00:
        return {'outcome': 'ok', 'message': 'logged in'}
    if packet[0] == 0xff:
        code = struct.unpack('<H', packet[1:3])[0] if len(packet) >= 3 else 0
        msg = packet[3:].decode('utf-8', 'replace')
        if msg.startswith('#'):
            msg = msg[6:]  # '#' and the SQLSTATE
        if code in ER_ACCOUNT_LOCKED:
            outcome = 'locked'
        elif code == ER_SECURE_TRANSPORT_REQUIRED:
            outcome = 'transport_refused'
        elif code == ER_ACCESS_DENIED:
            outcome = 'denied'
        else:
            outcome = 'other'
        return {'outcome': outcome, 'code': code, 'message': msg}
    if packet[0] == 0xfe:
        return {'outcome': 'auth_switch', 'message': 'server asked for another authentication method'}
    return {'outcome': 'other', 'message': 'unexpected answer (first byte %d)' % packet[0]}


def ssl_request_packet(capabilities, sequence_id=1):
    """The SSLRequest packet a client sends to upgrade the connection to TLS."""
    flags = CLIENT_SSL | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_LONG_PASSWORD
    flags &= capabilities | CLIENT_SSL
    body = struct.pack('<IIB', flags, 16 * 1024 * 1024, 33) + b'\x00' * 23
    return struct.pack('<I', len(body))[:3] + bytes([sequence_id]) + body


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


# Negative probes: what an attacker tries. Each returns True (the server refused), False (it accepted)
# or None (not determined, with the reason), so a check can never pass by accident.

def _classify_failure(exc):
    text = str(exc).lower()
    if any(m in text for m in _LOCAL_MARKERS):
        return None
    if isinstance(exc, (ssl.SSLError, ConnectionError)) or any(m in text for m in _REFUSAL_MARKERS):
        return True
    return None


def _offer_context(cert_path=None, key_path=None, max_version=None, min_version=None, ciphers=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if ciphers:
        ctx.set_ciphers(ciphers)
    with warnings.catch_warnings():
        # Offering TLS 1.0/1.1 is the point of the weak probe; Python warns about the names.
        warnings.simplefilter('ignore', DeprecationWarning)
        if min_version is not None:
            ctx.minimum_version = min_version
        if max_version is not None:
            ctx.maximum_version = max_version
    if cert_path:
        ctx.load_cert_chain(cert_path, key_path)
    return ctx


def _open(host, port, kind, timeout):
    """A TCP connection ready for the TLS handshake (after the MySQL SSLRequest for kind mysql)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    if kind == 'mysql':
        try:
            dummy, greeting = read_mysql_packet(sock)
            info = parse_server_greeting(greeting)
            if not info['capabilities'] & CLIENT_SSL:
                raise ProbeError('server does not offer TLS')
            sock.sendall(ssl_request_packet(info['capabilities']))
        except BaseException:
            sock.close()
            raise
    return sock


def try_handshake(host, port, kind, ctx, timeout=5.0, settle=1.5):
    """Handshake with what ctx offers. Returns {'refused': True/False/None, ...}.

    Under TLS 1.3 a server checks the client certificate after the client has finished its side
    of the handshake; a refusal then arrives as an alert on the first read, so a completed
    handshake is followed by one read of `settle` seconds (silence or data means accepted).
    """
    result = {}
    try:
        sock = _open(host, port, kind, timeout)
    except (OSError, socket.timeout) as exc:
        return {'refused': None, 'error': 'port closed or unreachable: %s' % exc}
    except ProbeError as exc:
        return {'refused': None, 'error': str(exc)}
    try:
        tls = ctx.wrap_socket(sock, server_hostname=None)
    except (ssl.SSLError, OSError) as exc:
        sock.close()
        refused = _classify_failure(exc)
        return {'refused': refused, 'error': str(exc)}
    try:
        result['protocol'] = tls.version()
        result['cipher'] = tls.cipher()[0] if tls.cipher() else None
        tls.settimeout(settle)
        try:
            tls.recv(1)
            result['refused'] = False
        except socket.timeout:
            result['refused'] = False
        except (ssl.SSLError, OSError) as exc:
            text = str(exc).lower()
            if any(m in text for m in ('unknown ca', 'bad certificate', 'certificate unknown', 'certificate required',
                                       'access denied', 'decrypt error', 'certificate expired')):
                result['refused'] = True
                result['error'] = str(exc)
            else:
                result['refused'] = False
        return result
    finally:
        tls.close()


def probe_refuses_cert(host, port, kind, cert_path, key_path, timeout=5.0):
    """Present cert_path to the port; True when the server refuses it. TLS 1.2 is tried first since
    the server's verdict is then part of the handshake; a TLS 1.3-only server is asked in 1.3."""
    try:
        ctx = _offer_context(cert_path, key_path, max_version=ssl.TLSVersion.TLSv1_2)
    except (OSError, ssl.SSLError) as exc:
        return {'refused': None, 'error': 'cannot load %s: %s' % (cert_path, exc)}
    res = try_handshake(host, port, kind, ctx, timeout)
    if res.get('refused') and 'protocol version' in res.get('error', '').lower():
        res = try_handshake(host, port, kind, _offer_context(cert_path, key_path), timeout)
    return res


def probe_weak_tls(host, port, kind, cert_path=None, key_path=None, timeout=5.0):
    """Offer what the profile forbids: TLS 1.0/1.1, then TLS 1.2 with CBC or static-RSA suites.
    Returns {'old_protocol': {...}, 'weak_cipher': {...}} with 'refused' in each."""
    out = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)
            tls11 = ssl.TLSVersion.TLSv1_1
        old = _offer_context(cert_path, key_path, min_version=ssl.TLSVersion.MINIMUM_SUPPORTED,
                             max_version=tls11, ciphers='ALL:@SECLEVEL=0')
        out['old_protocol'] = try_handshake(host, port, kind, old, timeout, settle=0.2)
    except (ValueError, ssl.SSLError, OSError) as exc:
        out['old_protocol'] = {'refused': None, 'error': 'this TLS library cannot offer TLS 1.0/1.1: %s' % exc}
    try:
        from ansible_collections.clustersec.mysql.plugins.module_utils.tls_policy import WEAK_PROBE_CIPHERS
        weak = _offer_context(cert_path, key_path, max_version=ssl.TLSVersion.TLSv1_2, ciphers=WEAK_PROBE_CIPHERS)
        out['weak_cipher'] = try_handshake(host, port, kind, weak, timeout, settle=0.2)
    except (ValueError, ssl.SSLError, OSError) as exc:
        out['weak_cipher'] = {'refused': None, 'error': 'this TLS library cannot offer the weak suites: %s' % exc}
    return out


def _login_once(host, port, user, password, ctx, timeout):
    sock = socket.create_connection((host, port), timeout=timeout)
    conn = sock
    try:
        dummy, greeting = read_mysql_packet(sock)
        info = parse_server_greeting(greeting)
        seq = 1
        if ctx is not None:
            if not info['capabilities'] & CLIENT_SSL:
                return {'outcome': 'no_tls', 'message': 'server does not offer TLS'}
            sock.sendall(ssl_request_packet(info['capabilities']))
            conn = ctx.wrap_socket(sock, server_hostname=None)
            seq = 2
        conn.sendall(handshake_response_packet(info['capabilities'], user, password, info['nonce'], seq, ctx is not None))
        seq_in, answer = read_mysql_packet(conn)
        res = login_outcome(answer)
        if res['outcome'] == 'auth_switch':
            name, dummy, data = answer[1:].partition(b'\x00')
            if name != b'mysql_native_password':
                return {'outcome': 'other', 'message': 'server wants %s' % name.decode('ascii', 'replace')}
            scramble = native_password_scramble(password, data.rstrip(b'\x00'))
            conn.sendall(struct.pack('<I', len(scramble))[:3] + bytes([(seq_in + 1) & 0xff]) + scramble)
            dummy, answer = read_mysql_packet(conn)
            res = login_outcome(answer)
        return res
    finally:
        conn.close()
        if conn is not sock:
            sock.close()


def probe_plain_login(host, port, user, password, cert_path=None, key_path=None, timeout=5.0):
    """Log in with the same credentials without TLS and with TLS (the control).

    The probe account is meant to be locked: a server that reached the password check answers
    'account locked', so the control proves the credentials right and a plain 'access denied'
    can only come from the transport. Returns {'plain_refused': True/False/None, ...}.
    """
    out = {}
    try:
        ctrl = _login_once(host, port, user, password, _offer_context(cert_path, key_path), timeout)
    except (ProbeError, ssl.SSLError, OSError) as exc:
        ctrl = {'outcome': 'error', 'message': str(exc)}
    try:
        plain = _login_once(host, port, user, password, None, timeout)
    except (ProbeError, OSError) as exc:
        plain = {'outcome': 'error', 'message': str(exc)}
    out['tls_login'] = ctrl
    out['plain_login'] = plain
    if plain['outcome'] in ('ok', 'locked'):
        out['plain_refused'] = False
    elif plain['outcome'] == 'transport_refused':
        out['plain_refused'] = True
    elif plain['outcome'] == 'denied' and ctrl['outcome'] in ('ok', 'locked'):
        out['plain_refused'] = True
    else:
        out['plain_refused'] = None
        out['plain_error'] = ('undetermined: plain login %s (%s), control login over TLS %s (%s)'
                              % (plain['outcome'], plain.get('message', ''), ctrl['outcome'], ctrl.get('message', '')))
    return out
