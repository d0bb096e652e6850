# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQL of the PXC stand-in over its unix socket (the stand-in client, stdin or -e) and the logins it leads to."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import json
import os
import socket
import ssl
import struct
import subprocess
import sys

from ansible_collections.clustersec.mysql.plugins.module_utils.probes import _mysql_protocol as mysql_protocol

try:
    from ansible_collections.clustersec.mysql.plugins.module_utils.probes import attacker_probes as probes
except ImportError:  # before the attacker-side probes moved out of tls_probe
    from ansible_collections.clustersec.mysql.plugins.module_utils.probes import tls_probe as probes

from .conftest import CLIENT, automatic

H = '127.0.0.1'
MARKER = 'Pr0be-Secret-7731'


def test_the_playbooks_probe_account_statements_are_idempotent_and_errors_name_the_account(standin, pki):
    server = standin(**automatic(pki, default_authentication_plugin='mysql_native_password'))
    create = ("CREATE USER IF NOT EXISTS 'clustersec_probe'@'%%' IDENTIFIED BY '%s' ACCOUNT LOCK;\n"
              "ALTER USER 'clustersec_probe'@'%%' IDENTIFIED BY '%s' ACCOUNT LOCK;\n")
    server.sql(create % ('first', 'first'))
    server.sql(create % ('second', 'second'))  # IF NOT EXISTS leaves the account, ALTER USER sets the password
    assert probes.probe_plain_login(H, server.port, 'clustersec_probe', 'second')['tls_login']['code'] == 3118
    assert probes.probe_plain_login(H, server.port, 'clustersec_probe', 'first')['tls_login']['code'] == 1045
    server.sql(create.split('\n', maxsplit=1)[0] % 'third')  # IF NOT EXISTS alone changes nothing
    assert probes.probe_plain_login(H, server.port, 'clustersec_probe', 'second')['tls_login']['code'] == 3118
    rc, dummy, err = server.sql("CREATE USER 'clustersec_probe'@'%' IDENTIFIED BY 'x'", check=False)
    assert rc == 1 and err.strip() == "ERROR 1396 (HY000): Operation CREATE USER failed for 'clustersec_probe'@'%'"
    rc, dummy, err = server.sql("ALTER USER 'nobody'@'%' ACCOUNT LOCK", check=False)
    assert rc == 1 and "Operation ALTER USER failed for 'nobody'@'%'" in err
    server.sql("ALTER USER IF EXISTS 'nobody'@'%' ACCOUNT LOCK; ALTER USER 'clustersec_probe'@'%' ACCOUNT UNLOCK")
    assert probes.probe_plain_login(H, server.port, 'clustersec_probe', 'second')['tls_login']['outcome'] == 'ok'
    server.sql("DROP USER 'clustersec_probe'@'%'")
    assert probes.probe_plain_login(H, server.port, 'clustersec_probe', 'second')['tls_login']['code'] == 1045


def test_the_pxc_probe_account_is_caching_sha2_expired_proves_the_refusal_and_is_dropped(standin, pki):
    """Issue 28 row 12: the statements verify_encryption.yml sends (probe_account_sql) on a caching_sha2_password-only
    server (PXC 8.4, MySQL 9: no mysql_native_password): the account proves a plaintext login refused (3159, the TLS
    control answers 1862), a second run takes it over with its own password, and the drop leaves nothing behind."""
    server = standin(**automatic(pki, default_authentication_plugin='caching_sha2_password'))
    assert 'mysql_native_password' not in probes.probe_account_sql('pxc', 'create', 'first')
    server.sql(probes.probe_account_sql('pxc', 'create', 'first'))
    res = probes.probe_plain_login(H, server.port, probes.PROBE_USER, 'first')
    assert res['tls_login']['code'] == 1862 and res['plain_login']['code'] == 3159 and res['plain_refused'] is True, res
    server.sql(probes.probe_account_sql('pxc', 'create', 'second'))  # a leftover of an interrupted run is taken over
    assert probes.probe_plain_login(H, server.port, probes.PROBE_USER, 'first')['tls_login']['code'] == 1045
    assert probes.probe_plain_login(H, server.port, probes.PROBE_USER, 'second')['plain_refused'] is True
    server.sql(probes.probe_account_sql('pxc', 'drop'))
    assert probes.probe_plain_login(H, server.port, probes.PROBE_USER, 'second')['tls_login']['code'] == 1045
    server.sql(probes.probe_account_sql('pxc', 'drop'))  # IF EXISTS: a second drop is no error


def test_variables_answer_with_e_and_stdin(standin, pki):
    server = standin(**automatic(pki))
    cmd = [sys.executable, CLIENT, '-N', '-B', '-e',
           'SELECT @@require_secure_transport, @@tls_version, @@ssl_cipher, @@ssl_ca, @@pxc_encrypt_cluster_traffic']
    out = subprocess.run(cmd, env=server.env, capture_output=True, text=True, check=True).stdout
    assert out.rstrip('\n').split('\t') == ['1', 'TLSv1.2,TLSv1.3',
                                            'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:'
                                            'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:'
                                            'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305', pki['cluster']['ca'], '1']
    rows = dict(line.split('\t') for line in server.sql(
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('require_secure_transport', 'have_ssl')")[1].splitlines())
    assert rows == {'require_secure_transport': 'ON', 'have_ssl': 'YES'}
    rc, dummy, err = server.sql('SET GLOBAL tls_version = "TLSv1.1"', check=False)
    assert rc == 1 and "Variable 'tls_version' can't be set to the value of 'TLSv1.1'" in err
    missing = subprocess.run(cmd, env=dict(server.env, PXC_STANDIN_SOCKET=server.base + '/none.sock'),
                             capture_output=True, text=True, check=False)
    assert missing.returncode == 1 and missing.stderr.startswith('ERROR 2002 (HY000)')


def test_a_password_is_never_echoed_logged_or_stored_in_clear(standin, pki):
    server = standin(**automatic(pki))
    outputs = []
    for statement in ("CREATE USER IF NOT EXISTS 'p'@'%%' IDENTIFIED BY '%s' ACCOUNT LOCK" % MARKER,
                      "CREATE USER 'q'@'%%' IDENTIFIED WITH mysql_native_password BY '%s' BOGUS CLAUSE" % MARKER,
                      "GRANT USAGE ON *.* TO 'p'@'%%' IDENTIFIED BY '%s'" % MARKER,
                      "SET PASSWORD FOR 'p'@'%%' = '%s'" % MARKER):
        outputs.extend(server.sql(statement, check=False)[1:])
    assert outputs[3] and outputs[5], outputs  # the malformed ones failed ...
    assert not any(MARKER in text for text in outputs + [server.output()])  # ... without quoting the password
    state = server.env['PXC_STANDIN_STATE_DIR']
    for name in os.listdir(state):
        path = os.path.join(state, name)
        assert not (os.path.isfile(path) and MARKER in open(path).read())


def _connect(port, user, reply, plugin, tls_ctx=None):
    """A HandshakeResponse41 with the given auth reply and plugin: (socket, nonce, first answer)."""
    sock = socket.create_connection((H, port), timeout=5)
    dummy, greeting = mysql_protocol.read_mysql_packet(sock)
    info = mysql_protocol.parse_server_greeting(greeting)
    assert info['plugin'] == 'caching_sha2_password'
    seq = 1
    if tls_ctx:
        sock.sendall(mysql_protocol.ssl_request_packet(info['capabilities']))
        sock, seq = tls_ctx.wrap_socket(sock), 2
    caps = 0x200 | 0x8000 | 0x80000 | (0x800 if tls_ctx else 0)
    auth = reply(info['nonce'])
    body = struct.pack('<IIB', caps, 1 << 24, 33) + b'\x00' * 23 + user.encode() + b'\x00' + bytes([len(auth)]) + auth
    body += plugin.encode() + b'\x00'
    sock.sendall(struct.pack('<I', len(body))[:3] + bytes([seq]) + body)
    return sock, mysql_protocol.read_mysql_packet(sock)


def _sha2(password):
    def reply(nonce):
        s1 = hashlib.sha256(password.encode()).digest()
        s3 = hashlib.sha256(hashlib.sha256(s1).digest() + nonce[:20]).digest()
        return bytes(a ^ b for a, b in zip(s1, s3))
    return reply


def test_caching_sha2_full_authentication_over_tls_then_the_fast_path(standin, pki):
    """sha2_password.cc: an empty cache asks for full authentication (cleartext, TLS only); after it the scramble
    alone logs in, also without TLS, where require_secure_transport then refuses with 3159."""
    server = standin(**automatic(pki))
    server.sql("CREATE USER 'app'@'%' IDENTIFIED BY 'pw'")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    sock, (seq, answer) = _connect(server.port, 'app', _sha2('pw'), 'caching_sha2_password')
    assert answer == b'\x01\x04'  # plain, empty cache: full authentication, which needs TLS (or RSA: not simulated)
    sock.sendall(struct.pack('<I', 3)[:3] + bytes([seq + 1]) + b'pw\x00')
    assert mysql_protocol.login_outcome(mysql_protocol.read_mysql_packet(sock)[1])['code'] == 1045
    sock.close()
    sock, (seq, answer) = _connect(server.port, 'app', _sha2('pw'), 'caching_sha2_password', ctx)
    assert answer == b'\x01\x04'
    sock.sendall(struct.pack('<I', 3)[:3] + bytes([seq + 1]) + b'pw\x00')
    assert mysql_protocol.read_mysql_packet(sock)[1][:1] == b'\x00'
    sock.close()
    sock, (seq, answer) = _connect(server.port, 'app', _sha2('pw'), 'caching_sha2_password')
    assert answer == b'\x01\x03'  # fast_auth_success from the cache, then the transport check
    assert mysql_protocol.login_outcome(mysql_protocol.read_mysql_packet(sock)[1])['code'] == 3159
    sock.close()
    sock, (seq, answer) = _connect(server.port, 'app', _sha2('wrong'), 'caching_sha2_password', ctx)
    assert answer == b'\x01\x04'  # a wrong scramble never passes the fast path
    sock.close()


def test_password_expire_answers_1862_after_the_transport_check(standin, pki):
    """acl_authenticate(): locked (3118), then require_secure_transport (3159), then an expired password (1862,
    clients without CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS). An expired account proves the password over TLS without a
    session, and its plain login meets the transport check."""
    server = standin(**automatic(pki))
    server.sql("CREATE USER 'exp'@'%' IDENTIFIED WITH mysql_native_password BY 'pw' PASSWORD EXPIRE")
    res = probes.probe_plain_login(H, server.port, 'exp', 'pw')
    assert res['tls_login']['code'] == 1862 and res['plain_login']['code'] == 3159, res
    server.sql("ALTER USER 'exp'@'%' PASSWORD EXPIRE NEVER")
    assert probes.probe_plain_login(H, server.port, 'exp', 'pw')['tls_login']['outcome'] == 'ok'


def test_server_json_names_the_ports(standin, pki):
    server = standin(**automatic(pki))
    with open(os.path.join(server.env['PXC_STANDIN_STATE_DIR'], 'server.json')) as handle:
        info = json.load(handle)
    assert (info['client_port'], info['gcomm_port'], info['client_tls']) == (server.port, server.gcomm_port, True)
