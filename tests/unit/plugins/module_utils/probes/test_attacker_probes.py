# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attacker-side probes against loopback servers that behave like the real ones: each refusal
has a control in which the same probe sees an acceptance, so no check passes by accident."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import socket
import threading
import time
import ssl
import struct

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.probes import attacker_probes
from ansible_collections.clustersec.mysql.plugins.module_utils.probes import _mysql_protocol as mysql_protocol
from ansible_collections.clustersec.mysql.plugins.module_utils.galera import tls_policy
from ansible_collections.clustersec.mysql.plugins.module_utils.probes.encryption_report import AMBER, GREEN, RED, classify

from .test_tls_probe import Loopback, _greeting, _write_pki  # noqa: F401 -- shared loopback helpers


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('pki')
    return {'cluster': _write_pki(tmp, 'cluster'), 'client': _write_pki(tmp, 'client'),
            'old': _write_pki(tmp, 'old')}


class TLSServer(Loopback):
    """TLS from the first byte (galera-like) or after a MySQL SSLRequest, demanding a client
    certificate of `trust` (galera demands one; MariaDB checks one that is presented)."""

    def __init__(self, paths, trust, kind='tls', max_version=None, ciphers=None):
        super(TLSServer, self).__init__(paths)
        self.kind = kind
        self.ctx.load_verify_locations(cafile=trust)
        self.ctx.verify_mode = ssl.CERT_REQUIRED
        if max_version is not None:
            self.ctx.maximum_version = max_version
        if ciphers:
            self.ctx.set_ciphers(ciphers)
        self.start()

    def handle(self, conn):
        if self.kind == 'mysql':
            conn.sendall(_greeting(True))
            mysql_protocol.read_mysql_packet(conn)
        with self.ctx.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)


@pytest.fixture
def servers():
    made = []
    yield made
    for s in made:
        s.close()


@pytest.mark.parametrize('max_version', [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
@pytest.mark.parametrize('kind', ['tls', 'mysql'])
def test_cert_of_another_ca_is_refused_and_the_trusted_one_accepted(pki, servers, kind, max_version):
    s = TLSServer(pki['cluster'], pki['cluster']['ca'], kind, max_version=max_version)
    servers.append(s)
    other = attacker_probes.probe_refuses_cert('127.0.0.1', s.port, kind, pki['client']['cert'], pki['client']['key'])
    assert other['refused'] is True, other
    control = attacker_probes.probe_refuses_cert('127.0.0.1', s.port, kind, pki['cluster']['cert'], pki['cluster']['key'])
    assert control['refused'] is False, control


def test_cert_refusal_undetermined_when_nothing_listens(pki):
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    assert attacker_probes.probe_refuses_cert('127.0.0.1', port, 'tls', pki['client']['cert'], pki['client']['key'])[
        'refused'] is None


def test_weak_suites_refused_by_the_profile_and_seen_without_it(pki, servers):
    strict = TLSServer(pki['cluster'], pki['cluster']['ca'], ciphers=tls_policy.SECURE_CIPHERS)
    weak = TLSServer(pki['cluster'], pki['cluster']['ca'], ciphers='ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0',
                     max_version=ssl.TLSVersion.TLSv1_2)
    servers.extend([strict, weak])
    res = attacker_probes.probe_weak_tls('127.0.0.1', strict.port, 'tls', pki['cluster']['cert'], pki['cluster']['key'])
    assert res['weak_cipher']['refused'] is True and res['old_protocol']['refused'] in (True, None)
    res = attacker_probes.probe_weak_tls('127.0.0.1', weak.port, 'tls', pki['cluster']['cert'], pki['cluster']['key'])
    assert res['weak_cipher']['refused'] is False and res['weak_cipher']['cipher'] == 'ECDHE-ECDSA-AES128-SHA'


NONCE = b'abcdefghijklmnopqrst'


class LoginServer(Loopback):
    """MariaDB-like login: a locked account answers 4151 once the password was checked; with
    require_secure_transport a plain login gets 1045 (MariaDB) or 3159 (MySQL)."""

    def __init__(self, paths, password, require_tls, plain_code=1045, no_session_code=4151):
        super(LoginServer, self).__init__(paths)
        self.password, self.require_tls, self.plain_code = password, require_tls, plain_code
        self.no_session_code = no_session_code
        self.start()

    def expected(self):
        h1 = hashlib.sha1(self.password.encode()).digest()
        h3 = hashlib.sha1(NONCE + hashlib.sha1(h1).digest()).digest()
        return bytes(a ^ b for a, b in zip(h1, h3))

    @staticmethod
    def error(seq, code, msg):
        body = b'\xff' + struct.pack('<H', code) + b'#HY000' + msg.encode()
        return struct.pack('<I', len(body))[:3] + bytes([seq]) + body

    def handle(self, conn):
        conn.sendall(_greeting(True))
        seq, payload = mysql_protocol.read_mysql_packet(conn)
        caps = struct.unpack('<I', payload[:4])[0]
        chan = conn
        if caps & mysql_protocol.CLIENT_SSL and len(payload) == 32:
            chan = self.ctx.wrap_socket(conn, server_side=True)
            seq, payload = mysql_protocol.read_mysql_packet(chan)
        dummy, dummy2, rest = payload[32:].partition(b'\x00')
        auth = rest[1:1 + rest[0]]
        if chan is conn and self.require_tls:
            chan.sendall(self.error(seq + 1, self.plain_code, 'Access denied'))
        elif auth == self.expected():
            chan.sendall(self.error(seq + 1, self.no_session_code, 'Access denied, this account is locked'))
        else:
            chan.sendall(self.error(seq + 1, 1045, 'Access denied'))
        chan.close()


def test_greeting_nonce_parsed_for_the_scramble():
    info = mysql_protocol.parse_server_greeting(_greeting(True)[4:])
    assert info['nonce'] == NONCE and info['plugin'] == 'mysql_native_password'


@pytest.mark.parametrize('code', [1045, 3159])
def test_plain_login_refused_is_proven_by_the_tls_control(pki, servers, code):
    s = LoginServer(pki['cluster'], 'pw', require_tls=True, plain_code=code)
    servers.append(s)
    res = attacker_probes.probe_plain_login('127.0.0.1', s.port, 'clustersec_probe', 'pw')
    assert res['tls_login']['outcome'] == 'locked'
    assert res['plain_refused'] is True


def test_mysql_expired_probe_account_proves_the_refusal_too(pki, servers):
    # MySQL's probe account is unlocked with an expired password (its lock check comes before the transport check).
    s = LoginServer(pki['cluster'], 'pw', require_tls=True, plain_code=3159, no_session_code=1862)
    servers.append(s)
    res = attacker_probes.probe_plain_login('127.0.0.1', s.port, 'clustersec_probe', 'pw')
    assert res['tls_login']['outcome'] == 'expired' and res['plain_refused'] is True
    # Control: the same account over plaintext without require_secure_transport is seen as accepted.
    t = LoginServer(pki['cluster'], 'pw', require_tls=False, no_session_code=1862)
    servers.append(t)
    assert attacker_probes.probe_plain_login('127.0.0.1', t.port, 'clustersec_probe', 'pw')['plain_refused'] is False


def test_plain_login_accepted_is_seen(pki, servers):
    s = LoginServer(pki['cluster'], 'pw', require_tls=False)
    servers.append(s)
    res = attacker_probes.probe_plain_login('127.0.0.1', s.port, 'clustersec_probe', 'pw')
    assert res['plain_login']['outcome'] == 'locked' and res['plain_refused'] is False


def test_wrong_password_leaves_plain_refusal_undetermined(pki, servers):
    s = LoginServer(pki['cluster'], 'pw', require_tls=True)
    servers.append(s)
    res = attacker_probes.probe_plain_login('127.0.0.1', s.port, 'clustersec_probe', 'not-it')
    assert res['plain_refused'] is None and 'undetermined' in res['plain_error']


def _channel(**kw):
    base = {'channel': 'client-server', 'kind': 'mysql', 'port': 3306, 'listening': True, 'encrypted': True,
            'verified': True, 'days_left': 300}
    base.update(kw)
    return base


def test_client_server_green_only_with_proven_plain_refusal():
    assert classify(_channel(plain_refused=True))['status'] == GREEN
    assert classify(_channel(plain_refused=None))['status'] == AMBER
    r = classify(_channel(plain_refused=False))
    assert r['status'] == RED and 'plaintext login is accepted' in r['findings'][0]
    assert classify(_channel(plain_refused=False), accepted_risks=['plaintext_clients'])['status'] == AMBER


def test_peer_channel_findings_for_client_certificate_and_previous_ca():
    gc = dict(channel='group-communication', kind='tls', port=4567)
    ok = classify(_channel(refused_certs={'client-certificate': {'refused': True}}, **gc))
    assert ok['status'] == GREEN
    bad = classify(_channel(refused_certs={'client-certificate': {'refused': False}}, **gc))
    assert bad['status'] == RED and 'client certificate is accepted as a cluster peer' in bad['findings'][0]
    assert classify(_channel(refused_certs={'client-certificate': {'refused': False}}, **gc),
                    accepted_risks=['shared_ca'])['status'] == AMBER
    # Only previous_ca_until_restart accepts the previous CA, and only on group communication.
    prev = classify(_channel(refused_certs={'previous-CA': {'refused': False}}, **gc),
                    accepted_risks=[o for o in tls_policy.OPT_OUTS if o != 'previous_ca_until_restart'])
    assert prev['status'] == RED and 'previous CA is still accepted' in prev['findings'][0]
    prev = classify(_channel(refused_certs={'previous-CA': {'refused': False}}, **gc),
                    accepted_risks=['previous_ca_until_restart'])
    assert prev['status'] == AMBER and 'accepted opt-out previous_ca_until_restart' in prev['findings'][0]
    client = classify(_channel(refused_certs={'previous-client-CA': {'refused': False}}, channel='client-server',
                               kind='mysql', port=3306), accepted_risks=list(tls_policy.OPT_OUTS))
    assert client['status'] == RED, 'no opt-out accepts the previous client CA on 3306'
    assert classify(_channel(refused_certs={'previous-CA': {'refused': None, 'error': 'x'}}, **gc))['status'] == AMBER


def test_weak_tls_findings():
    gc = dict(channel='group-communication', kind='tls', port=4567)
    weak = {'weak_cipher': {'refused': False, 'protocol': 'TLSv1.2', 'cipher': 'AES128-SHA'},
            'old_protocol': {'refused': True}}
    r = classify(_channel(weak_tls=weak, **gc))
    assert r['status'] == RED and 'AES128-SHA' in r['findings'][0]
    assert classify(_channel(weak_tls=weak, **gc), accepted_risks=['weak_tls'])['status'] == AMBER


def test_policy_profile_passes_and_each_weakening_needs_its_opt_out():
    good = {'tls_versions': ['TLSv1.2', 'TLSv1.3'], 'ciphers': {'client-server': tls_policy.SECURE_CIPHERS},
            'require_secure_transport': True}
    assert tls_policy.settings_problems(good) == []
    assert all(not tls_policy.weak_suite(c) for c in tls_policy.expand_ciphers(tls_policy.SECURE_CIPHERS))
    cases = [({'ciphers': {'client-server': 'DEFAULT'}}, 'weak_tls'),
             ({'tls_versions': ['TLSv1.1', 'TLSv1.2']}, 'weak_tls'),
             ({'require_secure_transport': False}, 'plaintext_clients'),
             ({'shared_ca': True}, 'shared_ca'),
             ({'unencrypted': ['sst']}, 'unencrypted_channels')]
    for change, opt_out in cases:
        settings = dict(good, **change)
        problems = tls_policy.settings_problems(settings)
        assert len(problems) == 1 and opt_out in problems[0], (change, problems)
        assert tls_policy.settings_problems(settings, [opt_out]) == []


@pytest.mark.parametrize('settings', [{'ciphers': {'group-communication': 'NOT-A-SUITE'}},
                                      {'ciphers': {'client-server': 'eNULL:!eNULL'}},
                                      {'tls_versions': []}, {'tls_versions': ['SSLv3']}])
def test_policy_refuses_what_no_opt_out_can_fix(settings):
    with pytest.raises(tls_policy.PolicyError):
        tls_policy.settings_problems(settings, list(tls_policy.OPT_OUTS))


def test_policy_refuses_unknown_opt_out():
    with pytest.raises(tls_policy.PolicyError, match='unknown opt-out'):
        tls_policy.settings_problems({}, ['plaintext'])


@pytest.mark.parametrize('overrides, opt_out', [
    ({'sst': {'ssl-mode': 'DISABLED'}}, 'unencrypted_channels'),
    ({'sst': {'ssl-mode': 'REQUIRED'}}, 'weak_tls'),
    ({'sst': {'encrypt': 3}}, 'weak_tls'),
    ({'sst': {'encrypt': '0'}}, 'unencrypted_channels'),
    ({'sst': {'sockopt': '"verify=0"'}}, 'weak_tls'),
    ({'sst': {'sockopt': 'pf=ip4,commonname=db1'}}, 'weak_tls'),
])
def test_overrides_that_weaken_sst_need_their_opt_out(overrides, opt_out):
    problems = tls_policy.override_problems(overrides)
    assert len(problems) == 1 and opt_out in problems[0], problems
    assert tls_policy.override_problems(overrides, [opt_out]) == []


@pytest.mark.parametrize('overrides', [
    {'mysqld': {'wsrep_provider_options': 'socket.ssl=no'}},
    {'galera': {'wsrep-provider-options': 'socket.ssl=no'}},
    {'mysqld': {'require-secure-transport': 'OFF'}},
    {'mysqld': {'ssl_cipher': 'ALL'}},
    {'client': {'ssl-ca': '/tmp/other.pem'}},
    {'sst': {'tca': '/tmp/other.pem'}},
])
def test_overrides_of_our_tls_keys_refused_whatever_the_opt_outs(overrides):
    problems = tls_policy.override_problems(overrides, list(tls_policy.OPT_OUTS))
    assert len(problems) == 1 and 'no opt-out accepts this' in problems[0]


def test_harmless_overrides_pass():
    assert tls_policy.override_problems({'mysqld': {'max_connections': 500}, 'sst': {'encrypt': 4,
                                         'sockopt': 'pf=ip4', 'inno-backup-opts': '--parallel=4'}}) == []


@pytest.mark.parametrize('defaults, key, profile', [
    ('roles/mariadb_galera/defaults/main.yml', 'mariadb_galera_tls_cipher', tls_policy.SECURE_CIPHERS),
    # PXC 8.4 (MySQL 8.1+) takes cipher names only (MY-015104): the same suites spelled out.
    ('roles/pxc/defaults/main.yml', 'pxc_tls_cipher', tls_policy.SECURE_CIPHER_NAMES)])
def test_role_defaults_are_the_profile(defaults, key, profile):
    """The roles state the profile as a literal (it shows in their argument specs); it must be this one."""
    import os
    import yaml
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', '..')
    with open(os.path.join(root, defaults)) as f:
        assert yaml.safe_load(f)[key] == profile
    assert sorted(c['name'] for c in tls_policy.expand_ciphers(profile)) == sorted(
        c['name'] for c in tls_policy.expand_ciphers(tls_policy.SECURE_CIPHERS))


# ---------------------------------------------------------------- issue 28 rows 7 and 9: policy settings

GOOD = {'tls_versions': ['TLSv1.2', 'TLSv1.3'], 'ciphers': {'client-server': tls_policy.SECURE_CIPHERS},
        'require_secure_transport': True}


@pytest.mark.parametrize('value', ['500\n[sst]\nsockopt = "verify=0"', '500\r[sst]', '\n'])
def test_override_values_with_a_line_break_are_refused_whatever_the_opt_outs(value):
    overrides = {'mysqld': {'max_connections': value}}
    problems = tls_policy.override_problems(overrides, list(tls_policy.OPT_OUTS), 'mariadb_galera_config_overrides')
    assert len(problems) == 1 and 'line break' in problems[0] and 'no opt-out accepts this' in problems[0], problems
    assert 'mariadb_galera_config_overrides[mysqld][max_connections]' in problems[0]
    assert '\n' not in problems[0] and '\r' not in problems[0], 'the message itself stays one line'
    # control: the value on one line passes
    assert tls_policy.override_problems({'mysqld': {'max_connections': '500'}}) == []


@pytest.mark.parametrize('overrides', [{'mysqld': {'max_connections\n[sst]\nsockopt': 'verify=0'}},
                                       {'mysqld]\n[sst': {'sockopt': 'pf=ip4'}}])
def test_override_keys_and_sections_with_a_line_break_are_refused(overrides):
    problems = tls_policy.override_problems(overrides, list(tls_policy.OPT_OUTS))
    assert any('line break' in p for p in problems), problems


def test_rendered_role_values_with_a_line_break_are_refused_whatever_the_opt_outs():
    settings = dict(GOOD, rendered={'mariadb_galera_node_address': 'db1\n[sst]\nsockopt=verify=0',
                                    'mariadb_galera_tls_cert': '/etc/mysql/certs/server-cert.pem',
                                    'mariadb_galera_sst_sockopt': 'pf=ip4\r'})
    problems = tls_policy.settings_problems(settings, list(tls_policy.OPT_OUTS))
    assert len(problems) == 2 and all('line break' in p for p in problems), problems
    assert 'mariadb_galera_node_address' in problems[0] and 'mariadb_galera_sst_sockopt' in problems[1]
    # control
    ok = dict(GOOD, rendered={'mariadb_galera_node_address': 'db1', 'mariadb_galera_sst_sockopt': 'pf=ip4'})
    assert tls_policy.settings_problems(ok) == []


@pytest.mark.parametrize('sockopt, shown', [('verify=0', 'verify=0'), ('pf=ip4,commonname=db1', 'commonname=db1'),
                                            ('VERIFY=false', 'verify=false')])
def test_sst_sockopt_weakening_needs_weak_tls_and_is_amber_with_it(sockopt, shown):
    # issue 28 row 9: before, mariadb_galera_sst_sockopt with verify=0 was only a warning
    settings = dict(GOOD, sst_sockopt=sockopt)
    problems = tls_policy.settings_problems(settings)
    assert len(problems) == 1 and 'weak_tls' in problems[0] and shown in problems[0], problems
    assert tls_policy.settings_problems(settings, ['weak_tls']) == []
    accepted = tls_policy.accepted_weakenings(settings, ['weak_tls'])
    assert [w['channel'] for w in accepted] == ['sst'] and 'accepted opt-out weak_tls' in accepted[0]['finding']
    sst = classify({'channel': 'sst', 'port': 4444, 'listening': False}, optional=True,
                   accepted_risks=['weak_tls'], configured=accepted)
    assert sst['status'] == AMBER and shown in sst['findings'][1]
    # control: harmless socat options pass and show nothing
    assert tls_policy.settings_problems(dict(GOOD, sst_sockopt='pf=ip4,verify=1')) == []
    assert tls_policy.accepted_weakenings(dict(GOOD, sst_sockopt='pf=ip4'), list(tls_policy.OPT_OUTS)) == []


def test_socket_dynamic_needs_plaintext_peers_and_is_amber_with_it():
    # issue 28 row 7: socket.dynamic was no policy setting at all
    settings = dict(GOOD, dynamic=True)
    problems = tls_policy.settings_problems(settings)
    assert len(problems) == 1 and 'plaintext_peers' in problems[0] and 'socket.dynamic' in problems[0], problems
    assert tls_policy.settings_problems(settings, ['plaintext_peers']) == []
    assert tls_policy.settings_problems(dict(GOOD, dynamic=False)) == []
    accepted = tls_policy.accepted_weakenings(settings, ['plaintext_peers'])
    gc = classify(_channel(channel='group-communication', kind='tls', port=4567, plain_peer={'refused': True}),
                  accepted_risks=['plaintext_peers'], configured=accepted)
    assert gc['status'] == AMBER and 'socket.dynamic' in gc['findings'][0]


def test_enable_tls_online_grants_plaintext_peers_to_its_first_step_only():
    import os
    import yaml
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', '..')
    with open(os.path.join(root, 'roles', 'galera', 'tasks', 'enable_tls_online.yml')) as f:
        steps = dict((t['name'].split(' - ')[0], t) for t in yaml.safe_load(f) if t['name'].startswith('Step '))
    step1, step2 = steps['Step 1'], steps['Step 2']
    assert 'plaintext_peers' in step1['block'][1]['ansible.builtin.set_fact']['__galera_online_allow_insecure']
    assert 'plaintext_peers' not in str(step2)


# ---------------------------------------------------------------- issue 28 row 7: a plaintext peer on 4567

GCOMM_HANDSHAKE = b'\x4c\x00\x00\x00' + b'\x11' * 4 + b'\x00' * 68  # a gcomm frame: length, CRC, message


class GaleraPeerServer(Loopback):
    """Galera's group-communication acceptor: 'tls' (socket.ssl, TLS from the first byte), 'dynamic' (socket.dynamic:
    TLS when a ClientHello arrives within 750 ms, else plain gcomm) or 'plain'. Plain gcomm: the acceptor sends its
    handshake first."""

    def __init__(self, paths, mode):
        super(GaleraPeerServer, self).__init__(paths)
        self.mode = mode
        self.start()

    def silent(self, conn):
        """What real galera-4 26.4.23 did with socket.ssl: plain bytes get no answer at all, a TLS record an alert
        ('silent-tls'); 'silent' answers nothing to either."""
        try:
            first = conn.recv(5)
            if self.mode == 'silent-tls' and first[:1] == b'\x16':
                conn.sendall(b'\x15\x03\x03\x00\x02\x02\x32')
            else:
                time.sleep(4)
        except OSError:
            pass
        finally:
            conn.close()

    def handle(self, conn):
        if self.mode in ('silent-tls', 'silent'):
            # galera serves connections side by side; one silent connection must not hold the next one back
            threading.Thread(target=self.silent, args=(conn,), daemon=True).start()
            return
        if self.mode == 'dynamic':
            conn.settimeout(0.75)
            try:
                peek = conn.recv(1, socket.MSG_PEEK)
            except socket.timeout:
                peek = b''
            conn.settimeout(5)
            if not peek:
                conn.sendall(GCOMM_HANDSHAKE)
                conn.recv(64)
                return
        if self.mode == 'plain':
            conn.sendall(GCOMM_HANDSHAKE)
            conn.recv(64)
            return
        try:
            with self.ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        finally:
            conn.close()


@pytest.mark.parametrize('mode', ['dynamic', 'plain'])
def test_plaintext_peer_accepted_by_socket_dynamic_is_seen(pki, servers, mode):
    s = GaleraPeerServer(pki['cluster'], mode)
    servers.append(s)
    res = attacker_probes.probe_plain_peer('127.0.0.1', s.port, timeout=5, wait=1.5)
    assert res['refused'] is False and 'plaintext gcomm' in res['detail'], res


def test_plaintext_peer_dropped_by_a_tls_only_node(pki, servers):
    s = GaleraPeerServer(pki['cluster'], 'tls')
    servers.append(s)
    res = attacker_probes.probe_plain_peer('127.0.0.1', s.port, timeout=5, wait=1.5)
    assert res['refused'] is True, res
    # control: the dynamic node still speaks TLS to a TLS peer (the positive probe stays encrypted)
    d = GaleraPeerServer(pki['cluster'], 'dynamic')
    servers.append(d)
    ctrl = attacker_probes.probe_refuses_cert('127.0.0.1', d.port, 'tls', pki['cluster']['cert'], pki['cluster']['key'])
    assert ctrl['refused'] is False, ctrl


def test_plaintext_peer_refused_by_a_silent_tls_node_as_galera_does(pki, servers):
    """Real galera-4 26.4.23 (socket.ssl=yes) answered plain bytes with silence: refused, because the same port answers
    a TLS record (control: a port silent to both stays undetermined)."""
    s = GaleraPeerServer(pki['cluster'], 'silent-tls')
    servers.append(s)
    res = attacker_probes.probe_plain_peer('127.0.0.1', s.port, timeout=5, wait=0.5)
    assert res['refused'] is True and 'answers a TLS record' in res['detail'], res
    q = GaleraPeerServer(pki['cluster'], 'silent')
    servers.append(q)
    res = attacker_probes.probe_plain_peer('127.0.0.1', q.port, timeout=5, wait=0.5)
    assert res['refused'] is None and 'no TLS answer' in res['error'], res


def test_plaintext_peer_undetermined_when_nothing_listens():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    res = attacker_probes.probe_plain_peer('127.0.0.1', port, timeout=2, wait=0.5)
    assert res['refused'] is None and 'unreachable' in res['error']


def test_plaintext_peer_findings():
    gc = dict(channel='group-communication', kind='tls', port=4567)
    assert classify(_channel(plain_peer={'refused': True, 'detail': 'closed'}, **gc))['status'] == GREEN
    bad = classify(_channel(plain_peer={'refused': False, 'detail': 'the node sent 80 bytes of plaintext gcomm'}, **gc))
    assert bad['status'] == RED and 'a peer without TLS is accepted' in bad['findings'][0]
    ok = classify(_channel(plain_peer={'refused': False, 'detail': 'x'}, **gc), accepted_risks=['plaintext_peers'])
    assert ok['status'] == AMBER and 'accepted opt-out plaintext_peers' in ok['findings'][0]
    assert classify(_channel(plain_peer={'refused': None, 'error': 'x'}, **gc))['status'] == AMBER


# ---------------------------------------------------------------- issue 28 row 12: the probe account

def test_probe_account_statements():
    create = attacker_probes.probe_account_sql('pxc', 'create', 'Abc123')
    assert create == ("CREATE USER IF NOT EXISTS 'clustersec_probe'@'%' IDENTIFIED WITH caching_sha2_password BY "
                      "'Abc123' PASSWORD EXPIRE ACCOUNT UNLOCK;\nALTER USER 'clustersec_probe'@'%' IDENTIFIED WITH "
                      "caching_sha2_password BY 'Abc123' PASSWORD EXPIRE ACCOUNT UNLOCK;")
    assert attacker_probes.probe_account_sql('mariadb', 'create', 'Abc123') == (
        "CREATE USER IF NOT EXISTS 'clustersec_probe'@'%' IDENTIFIED BY 'Abc123' ACCOUNT LOCK;\n"
        "ALTER USER 'clustersec_probe'@'%' IDENTIFIED BY 'Abc123' ACCOUNT LOCK;")
    for flavor in ('mariadb', 'pxc'):
        assert attacker_probes.probe_account_sql(flavor, 'drop') == "DROP USER IF EXISTS 'clustersec_probe'@'%';"


@pytest.mark.parametrize('args', [('pxc', 'create', "x'; DROP DATABASE mysql; --"), ('pxc', 'create', 'a\\b'),
                                  ('pxc', 'create', ''), ('pxc', 'create', 'a\nb'), ('ndb', 'create', 'pw'),
                                  ('pxc', 'lock', 'pw')])
def test_probe_account_statements_refuse_what_would_need_escaping(args):
    with pytest.raises(ValueError):
        attacker_probes.probe_account_sql(*args)


def test_verify_makes_and_drops_the_probe_account_inside_the_block():
    """The account is made inside the block whose always section drops it (before: made before the block, only
    locked again, never dropped), and the statements come from probe_account_sql (no mysql_native_password).
    The report's node side is the entry point verify of the galera role (verify_encryption.yml calls it)."""
    import os
    import yaml
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', '..')
    with open(os.path.join(root, 'roles', 'galera', 'tasks', 'verify.yml')) as f:
        tasks = yaml.safe_load(f)
    text = yaml.safe_dump(tasks)
    assert 'mysql_native_password' not in text
    outer = next(t for t in tasks if 'block' in t)['block']
    outside = [t for t in outer if 'block' not in t]
    assert not any('CREATE USER' in str(t) or 'probe_account_sql' in str(t) for t in outside)
    block = next(t for t in outer if 'block' in t)
    assert "probe_account_sql('create'" in str(block['block'][0])
    drops = [t for t in block['always'] if "probe_account_sql('drop')" in str(t)]
    assert len(drops) == 1 and drops[0]['when'] == '__galera_verify_probe_user'
    assert not any('ACCOUNT LOCK' in str(t) for t in block['always'])


def test_refuse_cert_sets_client_certificate_always_previous_ca_only_when_there():
    sets = attacker_probes.refuse_cert_sets('/etc/mysql/certs', '/run/p')
    assert sets == [{'name': 'client-certificate', 'cert_path': '/etc/mysql/certs/client-cert.pem',
                     'key_path': '/etc/mysql/certs/client-key.pem', 'channels': ['group-communication', 'ist', 'sst']}]
    sets = attacker_probes.refuse_cert_sets('/etc/mysql/certs', '/run/p', previous=True)
    assert [s['name'] for s in sets] == ['client-certificate', 'previous-CA', 'previous-client-CA']
    assert sets[1]['cert_path'] == '/run/p/server-cert.pem' and sets[1]['channels'] == ['group-communication', 'ist', 'sst']
    # The previous client CA is tried where clients connect only.
    assert sets[2]['key_path'] == '/run/p/client-key.pem' and sets[2]['channels'] == ['client-server']


def test_probe_refuse_certs_filter_takes_yes_no_and_refuses_other_text():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.clustersec.mysql.plugins.filter.probes import probe_refuse_certs
    assert len(probe_refuse_certs('/c', '/p', 'true')) == 3 and len(probe_refuse_certs('/c', '/p', False)) == 1
    with pytest.raises(AnsibleFilterError):
        probe_refuse_certs('/c', '/p', 'maybe')
