# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attacker-side probes against loopback servers that behave like the real ones: each refusal
has a control in which the same probe sees an acceptance, so no check passes by accident."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import socket
import ssl
import struct

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils import attacker_probes, mysql_protocol, tls_policy
from ansible_collections.clustersec.mysql.plugins.module_utils.encryption_report import AMBER, GREEN, RED, classify

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


@pytest.mark.parametrize('defaults, key', [('roles/mariadb_galera/defaults/main.yml', 'mariadb_galera_tls_cipher'),
                                           ('roles/pxc/defaults/main.yml', 'pxc_tls_cipher')])
def test_role_defaults_are_the_profile(defaults, key):
    """The roles state the profile as a literal (it shows in their argument specs); it must be this one."""
    import os
    import yaml
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..')
    with open(os.path.join(root, defaults)) as f:
        assert yaml.safe_load(f)[key] == tls_policy.SECURE_CIPHERS
