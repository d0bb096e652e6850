# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Negative probes: what an attacker tries against a port. Present a certificate of another CA, offer TLS 1.0/1.1
and weak TLS 1.2 suites, log in without TLS, join group communication without TLS.

Each returns True (the server refused), False (it accepted) or None (not determined, with the reason), so a check
can never pass by accident. Only the standard library is used so the probes run on any node or controller.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import socket
import ssl
import warnings

from ansible_collections.clustersec.mysql.plugins.module_utils.probes._mysql_protocol import (
    CLIENT_SSL, SHA2_FAST_AUTH_OK, SHA2_FULL_AUTH, ProbeError, auth_response, handshake_response_packet, login_outcome,
    packet, parse_server_greeting, read_mysql_packet, ssl_request_packet)
from ansible_collections.clustersec.mysql.plugins.module_utils.galera.tls_policy import WEAK_PROBE_CIPHERS

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


# A plaintext peer's first bytes: a gcomm frame header (length, then a CRC) and zeros. Whatever a TLS-only node makes
# of it, it is no TLS record (first byte 0x20), so it must drop the connection.
_PLAIN_PEER_FRAME = b'\x20\x00\x00\x00' + b'\x00' * 32
# galera's socket.dynamic waits 750 ms for a ClientHello before it speaks plain gcomm (gu_asio_stream_engine.cpp),
# and the accepting node sends the first gcomm message: a plaintext peer only has to connect and listen longer.
PLAIN_PEER_WAIT = 2.0


# A TLS record header and a ClientHello cut short: a TLS endpoint answers with an alert record at once.
_TLS_PROBE_RECORD = b'\x16\x03\x01\x00\x05' + b'\x01\x00\x00\x01\x00'


def _answers_tls(host, port, timeout, wait):
    """Whether host:port answers a (malformed) TLS handshake record with a TLS record."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except (OSError, socket.timeout):
        return False
    try:
        sock.sendall(_TLS_PROBE_RECORD)
        answer = _read_some(sock, wait)
        return bool(answer) and _tls_record(answer)
    except (OSError, socket.timeout):
        return False
    finally:
        sock.close()


def _read_some(sock, wait):
    """Bytes the server sent within wait seconds: b'' when it closed the connection, None when it stayed silent."""
    sock.settimeout(wait)
    try:
        return sock.recv(4096)
    except socket.timeout:
        return None


def _tls_record(data):
    """True when data starts like a TLS record (change cipher spec, alert, handshake, application data; 3.x)."""
    return len(data) >= 3 and data[0] in (0x14, 0x15, 0x16, 0x17) and data[1] == 3


def probe_plain_peer(host, port, timeout=5.0, wait=PLAIN_PEER_WAIT):
    """Join a TLS peer port the way a plaintext galera peer does: connect, listen, then offer plain gcomm bytes.

    A node that accepts plaintext peers (socket.ssl off, or socket.dynamic) sends its gcomm handshake in the clear;
    a TLS-only node waits for a ClientHello and drops the plain bytes (closes, resets or sends a TLS alert).
    Returns {'refused': True/False/None, 'detail' or 'error'}; silence after the plain bytes proves nothing (None)."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except (OSError, socket.timeout) as exc:
        return {'refused': None, 'error': 'port closed or unreachable: %s' % exc}
    try:
        first = _read_some(sock, wait)
        sent = False
        if first is None:
            sock.sendall(_PLAIN_PEER_FRAME)
            sent = True
            first = _read_some(sock, wait)
        if first is None:
            # Real galera-4 26.4.23 with socket.ssl keeps a plain connection open and silent (seen on a node of the
            # test clusters: nothing in 15 s, also to plain junk), while a plaintext or socket.dynamic node speaks its
            # gcomm handshake first. Silence proves the refusal only together with the control: the same port answers
            # a TLS record at once (an alert to a malformed ClientHello), so it is a live TLS-only endpoint.
            if _answers_tls(host, port, timeout, wait):
                return {'refused': True, 'detail': 'the node sent no plaintext gcomm in %.1f s, nor after our plain '
                                                   'bytes, and answers a TLS record on the same port' % (2 * wait)}
            return {'refused': None, 'error': 'no answer within %.1f s to plaintext gcomm bytes (neither dropped nor '
                                              'answered) and no TLS answer either' % wait}
        if first == b'':
            return {'refused': True, 'detail': 'the node closed the connection%s'
                                               % (' on plaintext gcomm bytes' if sent else '')}
        if _tls_record(first):
            return {'refused': True, 'detail': 'the node answered with a TLS record (type %d), not plaintext' % first[0]}
        return {'refused': False, 'detail': 'the node sent %d bytes of plaintext gcomm%s (starting %s)'
                                            % (len(first), ' after our plain bytes' if sent else ' unasked',
                                               first[:8].hex())}
    except (OSError, socket.timeout) as exc:
        # A reset while we send or read the plain bytes is the TLS-only node dropping them.
        return {'refused': True, 'detail': 'the node dropped the plaintext connection: %s' % exc}
    finally:
        sock.close()


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
        conn.sendall(handshake_response_packet(info['capabilities'], user, password, info['nonce'], seq, ctx is not None,
                                               info.get('plugin')))
        seq_in, answer = read_mysql_packet(conn)
        # An account of another plugin than the greeting's gets an AuthSwitchRequest; caching_sha2_password (MySQL 8
        # and 9, PXC: mysql_native_password is gone or off there) then says whether its cache let the scramble pass.
        for dummy in range(3):
            if answer[:1] == b'\xfe' and len(answer) > 1:
                name, dummy2, data = answer[1:].partition(b'\x00')
                scramble = auth_response(name.decode('ascii', 'replace'), password, data.rstrip(b'\x00'))
                if scramble is None:
                    return {'outcome': 'other', 'message': 'server wants %s' % name.decode('ascii', 'replace')}
                conn.sendall(packet(scramble, seq_in + 1))
            elif answer[:2] == bytes([1, SHA2_FAST_AUTH_OK]):
                pass  # the OK or error packet follows
            elif answer[:2] == bytes([1, SHA2_FULL_AUTH]):
                if ctx is None:
                    # Never the password in clear; the TLS control login before this one fills the server's cache.
                    return {'outcome': 'other', 'message': 'caching_sha2_password wants the full password, which is '
                                                           'sent over TLS only (cache not filled)'}
                conn.sendall(packet(password.encode('utf-8') + b'\x00', seq_in + 1))
            else:
                break
            seq_in, answer = read_mysql_packet(conn)
        return login_outcome(answer)
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
    offers = [(cert_path, key_path)] + ([(None, None)] if cert_path else [])
    for cert, key in offers:
        # A server that does not trust the client certificate offered (PXC's automatic mode trusts the cluster CA on
        # 3306) still lets the account in over TLS without one: the control needs TLS only, not that certificate.
        try:
            ctrl = _login_once(host, port, user, password, _offer_context(cert, key), timeout)
        except (ProbeError, ssl.SSLError, OSError) as exc:
            ctrl = {'outcome': 'error', 'message': str(exc)}
        if ctrl['outcome'] != 'error':
            break
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


# The account of the plaintext-login probe (verify_encryption.yml). It grants nothing and lives for one run: made
# before the probes, dropped after them (an always section; a run killed before it leaves the account of a
# random password nobody kept, which the next run's CREATE ... / ALTER gives a new password and drops again).
PROBE_USER = 'clustersec_probe'
PROBE_HOST = '%'
# MariaDB checks require_secure_transport before an account lock, so a locked account proves a plain login refused
# by the transport. MySQL/PXC check the lock first (acl_authenticate()): there the account is unlocked with an
# expired password (1862, no session). caching_sha2_password: mysql_native_password is gone in MySQL 9 and off by
# default in PXC 8.4.
_PROBE_AUTH = {
    'mariadb': "IDENTIFIED BY '%s' ACCOUNT LOCK",
    'pxc': "IDENTIFIED WITH caching_sha2_password BY '%s' PASSWORD EXPIRE ACCOUNT UNLOCK",
}


def _sql_string(text):
    """text for a single-quoted SQL literal: refused unless it needs no escaping (what a backslash means depends on
    the server's sql_mode; the names and the generated password never hold one)."""
    if not text or any(c in text for c in "'\\\"") or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError('a probe account name or password must be printable text without quotes or backslashes')
    return text


def probe_account_sql(flavor, action, password=None, user=PROBE_USER, host=PROBE_HOST):
    """The statements that create (action 'create') or drop (action 'drop') the probe account, for the server's
    client on stdin. create is idempotent and never leaves a moment without the account (every node runs it at once,
    replication carries it): CREATE IF NOT EXISTS, then ALTER to this run's password and state."""
    account = "'%s'@'%s'" % (_sql_string(user), _sql_string(host))
    if action == 'drop':
        return 'DROP USER IF EXISTS %s;' % account
    if action != 'create':
        raise ValueError("action must be 'create' or 'drop', got %r" % (action,))
    if flavor not in _PROBE_AUTH:
        raise ValueError('flavor must be one of %s, got %r' % (', '.join(sorted(_PROBE_AUTH)), flavor))
    if not password:
        raise ValueError('the probe account needs a password')
    auth = _PROBE_AUTH[flavor] % _sql_string(password)
    return 'CREATE USER IF NOT EXISTS %s %s;\nALTER USER %s %s;' % (account, auth, account, auth)


# The certificate sets a node must refuse (the report, entry point verify of clustersec.mysql.galera): its own client
# certificate on the peer ports always; the previous CA's node and client certificates (left by a CA rotation in
# pki_dir/previous/probe, copied to probe_dir for the run) when they exist.
PEER_CHANNELS = ('group-communication', 'ist', 'sst')


def refuse_cert_sets(tls_dir, probe_dir, previous=False):
    """The refuse_certs input of channel_probe: a list of {name, cert_path, key_path, channels}."""
    sets = [{'name': 'client-certificate', 'cert_path': tls_dir + '/client-cert.pem',
             'key_path': tls_dir + '/client-key.pem', 'channels': list(PEER_CHANNELS)}]
    if previous:
        sets += [{'name': 'previous-CA', 'cert_path': probe_dir + '/server-cert.pem',
                  'key_path': probe_dir + '/server-key.pem', 'channels': list(PEER_CHANNELS)},
                 {'name': 'previous-client-CA', 'cert_path': probe_dir + '/client-cert.pem',
                  'key_path': probe_dir + '/client-key.pem', 'channels': ['client-server']}]
    return sets


# The X.509 login probe (issue 30): an account bound to a probe certificate's subject (no password: the certificate
# is the credential) must refuse a TLS login without a certificate and one with another certificate of the same client
# CA, and accept one with its certificate (the control: the account and the server's trust are right).
X509_PROBE_USER = 'clustersec_probe_x509'
_ACCEPTED = ('ok', 'locked', 'expired')


def _x509_attempt(host, port, user, cert_path, key_path, timeout):
    try:
        return _login_once(host, port, user, '', _offer_context(cert_path, key_path), timeout)
    except (ProbeError, ssl.SSLError, OSError) as exc:
        # A server that verifies client certificates may end the handshake on one it does not trust.
        return {'outcome': 'error', 'message': str(exc), 'refused': _classify_failure(exc)}


def probe_x509_login(host, port, user, cert_path, key_path, other_cert_path=None, other_key_path=None, timeout=5.0):
    """Log in as user over TLS without a certificate, with cert_path and (when given) with other_cert_path. Returns
    {'without_cert': .., 'with_cert': .., 'other_cert': .., 'refused_without_cert', 'accepted_with_cert',
    'refused_other_cert': True/False/None}: None when the answer proves nothing (an error that is not a refusal)."""
    out = {}
    attempts = [('without_cert', None, None), ('with_cert', cert_path, key_path)]
    if other_cert_path:
        attempts.append(('other_cert', other_cert_path, other_key_path))
    for name, cert, key in attempts:
        out[name] = _x509_attempt(host, port, user, cert, key, timeout)
    out['accepted_with_cert'] = True if out['with_cert']['outcome'] in _ACCEPTED else (
        False if out['with_cert']['outcome'] == 'denied' else None)
    for name in [a[0] for a in attempts if a[0] != 'with_cert']:
        answer = out[name]
        if answer['outcome'] in _ACCEPTED:
            verdict = False
        elif answer['outcome'] == 'denied' or answer.get('refused'):
            # 'denied' proves the certificate was the reason only when the control got in.
            verdict = True if out['accepted_with_cert'] else None
        else:
            verdict = None
        out['refused_' + name] = verdict
    return out
