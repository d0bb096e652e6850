# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MySQL client/server protocol, as far as the probes speak it: read a packet, parse the server greeting,
ask for the TLS upgrade (SSLRequest), log in with mysql_native_password or caching_sha2_password and classify the
answer.

Kept apart from the probes (tls_probe, attacker_probes) that use it, so the byte layout is in one place and
tested on its own. Only the standard library is used so it runs on any node or controller.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import struct

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
# MySQL checks an account lock BEFORE require_secure_transport (acl_authenticate()), so its probe account is an
# unlocked one with an expired password instead: 1862 without a session, after the transport check.
ER_MUST_CHANGE_PASSWORD_LOGIN = 1862


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


def caching_sha2_scramble(password, nonce):
    """caching_sha2_password fast authentication: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + nonce)."""
    if not password:
        return b''
    h1 = hashlib.sha256(password.encode('utf-8')).digest()
    h2 = hashlib.sha256(hashlib.sha256(h1).digest() + nonce[:20]).digest()
    return bytes(a ^ b for a, b in zip(h1, h2))


# caching_sha2_password's "more data" answers: the cached fast path passed, or the server wants the password itself
# (only over TLS, the cache was cold).
SHA2_FAST_AUTH_OK = 3
SHA2_FULL_AUTH = 4


def auth_response(plugin, password, nonce):
    """The scramble a plugin wants, or None for a plugin the probes do not speak."""
    if plugin == 'mysql_native_password':
        return native_password_scramble(password, nonce)
    if plugin == 'caching_sha2_password':
        return caching_sha2_scramble(password, nonce)
    return None


def packet(payload, sequence_id):
    """A MySQL packet: 3-byte length, sequence id, payload."""
    return struct.pack('<I', len(payload))[:3] + bytes([sequence_id & 0xff]) + payload


def handshake_response_packet(capabilities, user, password, nonce, sequence_id, tls, plugin=None):
    """HandshakeResponse41 logging in with the greeting's plugin when it is caching_sha2_password, else with
    mysql_native_password. MySQL 9.7 has no mysql_native_password and answers a response naming it with 1251
    (ER_NOT_SUPPORTED_AUTH_MODE), not with an AuthSwitchRequest (measured on 9.7.4, issue 27)."""
    flags = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_LONG_PASSWORD | CLIENT_PLUGIN_AUTH
    flags &= capabilities
    flags |= CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION
    if tls:
        flags |= CLIENT_SSL
    if plugin != 'caching_sha2_password' or not flags & CLIENT_PLUGIN_AUTH:
        plugin = 'mysql_native_password'
    auth = auth_response(plugin, password, nonce)
    body = struct.pack('<IIB', flags, 16 * 1024 * 1024, 33) + b'\x00' * 23
    body += user.encode('utf-8') + b'\x00' + bytes([len(auth)]) + auth
    if flags & CLIENT_PLUGIN_AUTH:
        body += plugin.encode('ascii') + b'\x00'
    return struct.pack('<I', len(body))[:3] + bytes([sequence_id]) + body


def login_outcome(packet):
    """Classify the server's answer to a login: ok, locked, expired, denied, transport_refused or other.

    locked and expired both prove the password right without giving a session.
    """
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
        elif code == ER_MUST_CHANGE_PASSWORD_LOGIN:
            outcome = 'expired'
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
    """The SSLRequest packet a client sends to upgrade the connection to TLS. Its flags must already hold
    CLIENT_PLUGIN_AUTH: MySQL 9.7 keeps the SSLRequest's capabilities and, without it, answers the login after the
    handshake with 1251 (ER_NOT_SUPPORTED_AUTH_MODE) (measured on 9.7.4, issue 27)."""
    flags = CLIENT_SSL | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_LONG_PASSWORD | CLIENT_PLUGIN_AUTH
    flags &= capabilities | CLIENT_SSL
    body = struct.pack('<IIB', flags, 16 * 1024 * 1024, 33) + b'\x00' * 23
    return struct.pack('<I', len(body))[:3] + bytes([sequence_id]) + body
