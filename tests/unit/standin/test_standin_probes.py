# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's own probes against the PXC stand-in (molecule/pxc/files) on 127.0.0.1: the answers a MySQL 8.0 /
PXC 8.0 server gives on 3306 and galera on 4567, each with a control in which the same probe sees the opposite."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import shutil
import ssl
import subprocess
import sys

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import tls as pxc_tls
from ansible_collections.clustersec.mysql.plugins.module_utils.probes.tls_probe import probe_mysql, probe_tls

try:
    from ansible_collections.clustersec.mysql.plugins.module_utils.probes import attacker_probes as probes
except ImportError:  # before the attacker-side probes moved out of tls_probe
    from ansible_collections.clustersec.mysql.plugins.module_utils.probes import tls_probe as probes

from .conftest import CLIENT, StandIn, automatic

H = '127.0.0.1'
PROFILE = ('ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:'
           'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:'
           'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305')


def accepted(port, kind, paths, max_version=ssl.TLSVersion.TLSv1_2):
    """probe_refuses_cert's handshake (TLS 1.2: the server's verdict is part of the handshake) with a short settle,
    so an acceptance costs no 1.5 s; refusals are checked with probe_refuses_cert itself."""
    ctx = probes._offer_context(paths['cert'], paths['key'], max_version=max_version)  # pylint: disable=protected-access
    res = probes.try_handshake(H, port, kind, ctx, settle=0.1)
    assert res['refused'] is not None, res
    return not res['refused']


def refused(port, kind, paths):
    res = probes.probe_refuses_cert(H, port, kind, paths['cert'], paths['key'])
    assert res['refused'] is not None, res
    return res['refused']


@pytest.fixture(scope='module')
def node(pki):
    """The pxc role's automatic mode with its secure defaults, and the probe accounts (shared: tests that change a
    setting put it back)."""
    server = StandIn(automatic(pki))
    server.sql("CREATE USER 'plain_probe'@'%' IDENTIFIED WITH mysql_native_password BY 'pw1';"
               "CREATE USER 'locked_probe'@'%' IDENTIFIED WITH mysql_native_password BY 'pw2' ACCOUNT LOCK;"
               "CREATE USER IF NOT EXISTS 'clustersec_probe'@'%' IDENTIFIED BY 'pw3' ACCOUNT LOCK;")
    yield server
    server.close()


@pytest.fixture(scope='module')
def weak(pki):
    """The control: TLS 1.2 with a CBC suite on 3306 and on 4567."""
    server = StandIn(automatic(pki, ssl_cipher='ECDHE-ECDSA-AES128-SHA', tls_version='TLSv1.2',
                               wsrep_provider_options='socket.ssl_cipher=ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0'))
    yield server
    server.close()


def test_tls_offered_on_3306_with_the_server_certificate(node, pki):
    res = probe_mysql(H, node.port, ca_path=pki['cluster']['ca'])
    assert res['tls_offered'] and res['encrypted'] and res['verified'], res
    assert res['issuer'] == 'commonName=cluster CA' and res['protocol'] in ('TLSv1.2', 'TLSv1.3'), res
    assert node.sql('SELECT @@have_ssl, @@require_secure_transport, @@tls_version, @@ssl_cipher, @@ssl_ca')[1].split(
        '\t') == ['YES', '1', 'TLSv1.2,TLSv1.3', PROFILE, pki['cluster']['ca'] + '\n']


@pytest.mark.parametrize('option', [{'tls_version': 'TLSv1.1'}, {'tls_version': ''}, {'ssl_cipher': 'NOT-A-SUITE'}])
def test_a_client_tls_setup_that_fails_leaves_3306_without_tls_but_the_server_runs(standin, pki, option):
    """MySQL (sql/ssl_acceptor_context_data.cc): a context that cannot be built is a warning, not a refusal to start."""
    server = standin(**automatic(pki, **option))
    res = probe_mysql(H, server.port, ca_path=pki['cluster']['ca'])
    assert res['tls_offered'] is False and not res['encrypted'], res
    assert 'Failed to set up SSL because of the following SSL library error' in server.output()
    assert server.sql('SELECT @@have_ssl')[1] == 'DISABLED\n'


def test_plain_login_refused_with_3159_and_the_tls_control_logs_in(node):
    res = probes.probe_plain_login(H, node.port, 'plain_probe', 'pw1')
    assert res['tls_login']['outcome'] == 'ok', res
    assert res['plain_login']['code'] == 3159 and res['plain_refused'] is True, res
    assert 'require_secure_transport=ON' in res['plain_login']['message']
    node.sql('SET GLOBAL require_secure_transport = OFF')  # control: the same login without the setting
    try:
        res = probes.probe_plain_login(H, node.port, 'plain_probe', 'pw1')
        assert res['plain_login']['outcome'] == 'ok' and res['plain_refused'] is False, res
    finally:
        node.sql('SET GLOBAL require_secure_transport = ON')


def test_locked_account_answers_3118_after_the_password_check(node):
    res = probes.probe_plain_login(H, node.port, 'locked_probe', 'pw2')
    assert res['tls_login'] == {'outcome': 'locked', 'code': 3118,
                                'message': "Access denied for user 'locked_probe'@'localhost'. Account is locked."}
    # acl_authenticate() checks ACCOUNT LOCK before require_secure_transport: a plain login gets 3118 too, so a
    # locked account cannot show that plain logins are refused (MariaDB answers differently).
    assert res['plain_login']['code'] == 3118 and res['plain_refused'] is False, res
    wrong = probes.probe_plain_login(H, node.port, 'locked_probe', 'not-it')  # control: the password is checked
    assert wrong['tls_login']['code'] == 1045 and wrong['plain_refused'] is None, wrong
    assert probes.probe_plain_login(H, node.port, 'nobody', 'pw2')['tls_login']['outcome'] != 'locked'


def test_default_plugin_is_caching_sha2_and_the_native_probe_is_switched(node, standin, pki):
    """CREATE USER ... IDENTIFIED BY without WITH uses default_authentication_plugin (caching_sha2_password in PXC
    8.0): the mysql_native_password login gets an AuthSwitchRequest, which the probe follows (full authentication
    over TLS, then the fast path from the cache in plain); with the native default it reaches 3118 directly."""
    res = probes.probe_plain_login(H, node.port, 'clustersec_probe', 'pw3')
    assert res['tls_login']['code'] == 3118 and res['plain_login']['code'] == 3118, res
    native = standin(**automatic(pki, default_authentication_plugin='mysql_native_password'))
    native.sql("CREATE USER IF NOT EXISTS 'clustersec_probe'@'%' IDENTIFIED BY 'pw3' ACCOUNT LOCK")
    assert probes.probe_plain_login(H, native.port, 'clustersec_probe', 'pw3')['tls_login']['code'] == 3118


@pytest.mark.parametrize('kind', ['mysql', 'tls'])
def test_client_certificate_of_another_ca_is_refused(node, pki, kind):
    port = node.port if kind == 'mysql' else node.gcomm_port
    res = probes.probe_refuses_cert(H, port, kind, pki['client']['cert'], pki['client']['key'])
    assert res['refused'] is True and 'unknown ca' in res['error'].lower(), res
    assert accepted(port, kind, pki['cluster'])  # control: a certificate of the trusted CA
    assert accepted(port, kind, pki['cluster'], max_version=ssl.TLSVersion.TLSv1_3)


@pytest.mark.parametrize('kind', ['mysql', 'tls'])
def test_weak_tls_refused_with_the_profile_and_seen_without_it(node, weak, pki, kind):
    port = node.port if kind == 'mysql' else node.gcomm_port
    res = probes.probe_weak_tls(H, port, kind, pki['cluster']['cert'], pki['cluster']['key'])
    assert res['weak_cipher']['refused'] is True and res['old_protocol']['refused'] in (True, None), res
    port = weak.port if kind == 'mysql' else weak.gcomm_port
    res = probes.probe_weak_tls(H, port, kind, pki['cluster']['cert'], pki['cluster']['key'])
    assert res['weak_cipher']['refused'] is False and res['weak_cipher']['cipher'] == 'ECDHE-ECDSA-AES128-SHA', res


def _manual(tmp, pki):
    """Manual mode as the role writes it: 3306 trusts the client CA (ssl_ca), 4567 the cluster CA (socket.ssl_*)."""
    ca = str(tmp / 'client-ca.pem')
    shutil.copyfile(pki['client']['ca'], ca)
    return ca, {'pxc-encrypt-cluster-traffic': 'OFF', 'ssl_ca': ca, 'ssl_cert': pki['cluster']['cert'],
                'ssl_key': pki['cluster']['key'], 'require_secure_transport': 'ON',
                'wsrep_provider_options': 'socket.ssl=yes; socket.ssl_ca=%s; socket.ssl_cert=%s; socket.ssl_key=%s'
                                          % (pki['cluster']['ca'], pki['cluster']['cert'], pki['cluster']['key'])}


@pytest.mark.skipif(not shutil.which('openssl'), reason='auto_generate_certs runs the openssl tool')
def test_without_ssl_options_3306_uses_auto_generated_certificates(standin, pki):
    """Manual mode with client-server TLS off: MySQL generates a self-signed CA and server certificate in the data
    directory (auto_generate_certs); the probe sees TLS that the cluster CA does not verify."""
    server = standin(**{'pxc-encrypt-cluster-traffic': 'OFF', 'require_secure_transport': 'OFF'})
    res = probe_mysql(H, server.port, ca_path=pki['cluster']['ca'])
    assert res['encrypted'] is True and res['verified'] is False, res
    assert 'Auto_Generated_CA_Certificate' in res['issuer'], res
    server.sql('ALTER INSTANCE RELOAD TLS')
    assert server.sql('SELECT @@ssl_ca, @@have_ssl')[1] == 'ca.pem\tYES\n'
    assert probe_tls(H, server.gcomm_port, 'gcomm')['encrypted'] is False  # group communication stays plain
    server.sql("SET GLOBAL wsrep_provider_options='socket.ssl_reload=1'")  # cannot switch TLS on at run time
    assert probe_tls(H, server.gcomm_port, 'gcomm')['encrypted'] is False


def test_alter_instance_reload_tls_refuses_the_old_client_ca_at_once(standin, pki, tmp_path):
    ca, opts = _manual(tmp_path, pki)
    server = standin(**opts)
    assert accepted(server.port, 'mysql', pki['client'])          # control: trusted before the rotation
    assert refused(server.port, 'mysql', pki['client_new'])
    shutil.copyfile(pki['client_new']['ca'], ca)                    # ssl_ca now holds only the new client CA
    assert accepted(server.port, 'mysql', pki['client'])          # files alone change nothing
    server.sql('ALTER INSTANCE RELOAD TLS')
    assert refused(server.port, 'mysql', pki['client'])           # a new context: the old CA is gone
    assert accepted(server.port, 'mysql', pki['client_new'])
    assert accepted(server.gcomm_port, 'tls', pki['cluster'])     # 4567 is not touched by it
    assert refused(server.port, 'mysql', pki['cluster'])          # nor is 3306 trusting the cluster CA


def test_a_failed_reload_keeps_the_old_context_unless_no_rollback_on_error(standin, pki, tmp_path):
    key = str(tmp_path / 'server-key.pem')
    shutil.copyfile(pki['cluster']['key'], key)
    server = standin(**automatic(pki, **{'ssl-key': key}))
    with open(key, 'w') as handle:
        handle.write('not a key\n')
    rc, dummy, err = server.sql('ALTER INSTANCE RELOAD TLS', check=False)
    assert rc == 1 and 'ERROR 3888 (HY000)' in err and 'Unable to get private key' in err, err
    assert probe_mysql(H, server.port, ca_path=pki['cluster']['ca'])['encrypted'] is True
    server.sql('ALTER INSTANCE RELOAD TLS NO ROLLBACK ON ERROR')
    assert probe_mysql(H, server.port, ca_path=pki['cluster']['ca'])['tls_offered'] is False
    shutil.copyfile(pki['cluster']['key'], key)
    server.sql('ALTER INSTANCE RELOAD TLS')
    assert probe_mysql(H, server.port, ca_path=pki['cluster']['ca'])['encrypted'] is True


@pytest.mark.parametrize('version, checks', [('8.0.36-28.1', False), ('8.4.5-5.1', True), ('9.7.4-2', True)])
def test_manual_mode_reload_per_version_and_the_roles_reload_path(standin, pki, tmp_path, monkeypatch, version, checks):
    """Manual mode (ssl_ca = the client CA): 8.1 and later verify their own certificate against ssl_ca, so a plain
    ALTER INSTANCE RELOAD TLS fails with 3888 "Invalid certificates" and keeps the old certificate; NO ROLLBACK ON
    ERROR serves the new one and 3306 still trusts only the client CA. pxc_tls.reload (galera_tls_reload) gets
    there on every version and checks the served certificate; 8.0 reloads at once (control)."""
    monkeypatch.setenv('PXC_STANDIN_VERSION', version)
    cert, key = str(tmp_path / 'server-cert.pem'), str(tmp_path / 'server-key.pem')
    shutil.copyfile(pki['cluster']['cert'], cert)
    shutil.copyfile(pki['cluster']['key'], key)
    server = standin(**automatic(pki, **{'pxc-encrypt-cluster-traffic': 'OFF', 'ssl-ca': pki['client']['ca'],
                                         'ssl-cert': cert, 'ssl-key': key}))
    old = probe_mysql(H, server.port)['sha256_fingerprint']
    shutil.copyfile(pki['cluster_new']['cert'], cert)
    shutil.copyfile(pki['cluster_new']['key'], key)
    new = pxc_tls.cert_fingerprint(cert)
    rc, dummy, err = server.sql('ALTER INSTANCE RELOAD TLS', check=False)
    if checks:
        assert rc == 1 and pxc_tls.is_self_check_refusal(err), err
        assert probe_mysql(H, server.port)['sha256_fingerprint'] == old
    else:
        assert rc == 0, err
        shutil.copyfile(pki['cluster']['cert'], cert)  # back to the old pair: the role's path must bring the new
        shutil.copyfile(pki['cluster']['key'], key)
        server.sql('ALTER INSTANCE RELOAD TLS')
        shutil.copyfile(pki['cluster_new']['cert'], cert)
        shutil.copyfile(pki['cluster_new']['key'], key)

    def run(args):
        proc = subprocess.run([sys.executable, CLIENT] + args[1:], env=server.env, capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr
    result = pxc_tls.reload(run, ['mysql'], ['ALTER INSTANCE RELOAD TLS'],
                            {'cert': cert, 'host': H, 'port': server.port}, pxc_tls.cert_fingerprint,
                            pxc_tls.served_fingerprint)
    assert result['reloaded'] and result['no_rollback'] == checks, result
    assert result['served']['sha256_fingerprint'] == new != old
    assert accepted(server.port, 'mysql', pki['client'])          # client certificates of the client CA
    assert refused(server.port, 'mysql', pki['cluster'])          # not those of the cluster CA


def test_ssl_reload_keeps_trusting_the_old_ca_on_4567_until_a_restart(standin, pki, tmp_path):
    """galera-4 26.4.23 as measured here: socket.ssl_reload=1 re-reads the files into the same context, so the CA
    store only grows; a new process trusts only the files on disk."""
    files = dict((name, str(tmp_path / ('%s.pem' % name))) for name in ('ca', 'cert', 'key'))
    for name, path in files.items():
        shutil.copyfile(pki['cluster'][name], path)
    server = standin(**automatic(pki, **{'ssl-ca': files['ca'], 'ssl-cert': files['cert'], 'ssl-key': files['key']}))
    assert accepted(server.gcomm_port, 'tls', pki['cluster'])
    assert refused(server.gcomm_port, 'tls', pki['cluster_new'])  # control: the new CA is not trusted yet
    for name, path in files.items():
        shutil.copyfile(pki['cluster_new'][name], path)
    server.sql("SET GLOBAL wsrep_provider_options='socket.ssl_reload=1'")
    assert accepted(server.gcomm_port, 'tls', pki['cluster_new'])
    assert probe_tls(H, server.gcomm_port, 'gcomm', ca_path=pki['cluster_new']['ca'], cert_path=files['cert'],
                     key_path=files['key'])['issuer'] == 'commonName=cluster_new CA'
    assert accepted(server.gcomm_port, 'tls', pki['cluster'])      # the previous CA is still trusted
    server.restart()
    assert refused(server.gcomm_port, 'tls', pki['cluster'])       # control: a new process has only the new CA
    assert accepted(server.gcomm_port, 'tls', pki['cluster_new'])
