# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Negative probes: what an attacker tries against a port. Present a certificate of another CA, offer TLS 1.0/1.1
and weak TLS 1.2 suites, log in without TLS.

Each returns True (the server refused), False (it accepted) or None (not determined, with the reason), so a check
can never pass by accident. Only the standard library is used so the probes run on any node or controller.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import socket
import ssl
import struct
import warnings

from ansible_collections.clustersec.mysql.plugins.module_utils.mysql_protocol import (
    CLIENT_SSL, ProbeError, handshake_response_packet, login_outcome, native_password_scramble, parse_server_greeting,
    read_mysql_packet, ssl_request_packet)
from ansible_collections.clustersec.mysql.plugins.module_utils.tls_policy import WEAK_PROBE_CIPHERS

# Alerts and errors that mean the server refused our certificate (or our offer) during the handshake.
_REFUSAL_MARKERS = ('unknown ca', 'bad certificate', 'certificate unknown', 'certificate required',
                    'handshake failure', 'access denied', 'decrypt error', 'unsupported certificate',
                    'certificate expired', 'certificate revoked', 'protocol version', 'no shared cipher',
                    'insufficient security', 'wrong version number', 'unexpected eof', 'eof occurred',
                    'connection reset', 'broken pipe')
# Errors that mean our own TLS library could not make the offer (nothing was learned about the server).
_LOCAL_MARKERS = ('no protocols available', 'no ciphers available', 'no cipher match', 'unsupported protocol')


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

    The probe account is meant to give no session: locked (MariaDB answers 'account locked' after the
    transport check) or, on MySQL, whose lock check comes first, unlocked with an expired password
    ('must change password'). The control then proves the credentials right, so a plain 'access denied'
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
    if plain['outcome'] in ('ok', 'locked', 'expired'):
        out['plain_refused'] = False
    elif plain['outcome'] == 'transport_refused':
        out['plain_refused'] = True
    elif plain['outcome'] == 'denied' and ctrl['outcome'] in ('ok', 'locked', 'expired'):
        out['plain_refused'] = True
    else:
        out['plain_refused'] = None
        out['plain_error'] = ('undetermined: plain login %s (%s), control login over TLS %s (%s)'
                              % (plain['outcome'], plain.get('message', ''), ctrl['outcome'], ctrl.get('message', '')))
    return out
