# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""X.509 application accounts on a REAL MySQL server (issue 30 item 3): Debian sid's mysqld 9.7.4 in one container of
the image test_mysql_server.py uses (`--network none`; the probes enter its network namespace), 3306 presenting a node
certificate and trusting only the client CA, every certificate from the collection's certificate set (cert_set with
application certificates).

- x509_accounts' statements and its reading of SHOW CREATE USER: check mode changes nothing, a run creates, a second
  run changes nothing, an account altered by hand is put back, absent drops.
- The one-line subject the server compares: the certificate logs in with the manifest's string and is refused with
  the RFC 4514 form of the same name (negative).
- The report's X.509 login probe: refused without a certificate and with another certificate of the client CA,
  accepted with its own; control: the same account REQUIRE NONE lets all three in and the probe says so.
"""

from __future__ import (absolute_import, division, print_function)

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_mysql_server as real  # noqa: E402  (its Container, Server and image(); its tests are not collected here)

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import app_certs, cert_set  # noqa: E402
from ansible_collections.clustersec.mysql.plugins.module_utils.galera import x509_accounts as XA  # noqa: E402

pytestmark = real.pytestmark
CERTS = '/etc/mysql/certs'
APPS = [{'name': 'app1', 'subject': {'common_name': 'app1', 'organization': 'Example Corp', 'country': 'DE'}},
        {'name': 'other', 'subject': {'common_name': 'other'}}]


@pytest.fixture(scope='module')
def mysql(tmp_path_factory):
    pki = str(tmp_path_factory.mktemp('x509') / 'pki')
    cert_set.ensure_current(pki, {'key_type': 'ecdsa', 'ca_key_type': 'ecdsa', 'ca_curve': 'P-256'}, [{'name': 'db1'}],
                            applications=app_certs.set_input(APPS))
    box = real.Container(real.image())
    try:
        box.sh('useradd -r -M -d /nonexistent mysql && mkdir -p /run/mysqld /var/lib/mysql-files '
               '&& chown mysql:mysql /run/mysqld /var/lib/mysql-files')
        for src, dest, private in (('nodes/db1/server-cert.pem', 'server-cert.pem', False),
                                   ('nodes/db1/server-key.pem', 'server-key.pem', True),
                                   ('client-ca.pem', 'client-ca.pem', False)):
            box.put('%s/%s' % (CERTS, dest), open(os.path.join(pki, src)).read(), mode='0600' if private else '0644',
                    owner='mysql' if private else 'root')
        server = real.Server(box, 'x509', 3306)
        box.sh('touch /var/log/mysql-init.err && chown mysql /var/log/mysql-init.err && mysqld --no-defaults '
               '--user=mysql --datadir=%s --secure-file-priv=/var/lib/mysql-files --log-error=/var/log/mysql-init.err '
               '--initialize-insecure' % server.datadir, timeout=180)
        server.configure('[mysqld]\nssl_cert = %s/server-cert.pem\nssl_key = %s/server-key.pem\nssl_ca = %s/client-ca.pem\n'
                         'require_secure_transport = ON\n' % (CERTS, CERTS, CERTS))
        server.start()
        yield {'box': box, 'server': server, 'pki': pki, 'certs': app_certs.read_manifest(pki)}
    finally:
        box.close()


def _run(mysql):
    box = mysql['box']

    def run(argv):
        proc = subprocess.run(['podman', 'exec', '-i', box.name] + list(argv), capture_output=True, text=True,
                              timeout=60, check=False)
        return proc.returncode, proc.stdout, proc.stderr
    return run


CLIENT_ARGS = ['mysql', '--no-defaults', '-uroot']


def _apply(mysql, accounts, check_mode=False, relax=False):
    client = CLIENT_ARGS + ['--socket=%s' % mysql['server'].socket]
    return XA.apply(_run(mysql), client, XA.normalise(accounts, mysql['certs'], relax), 'pxc', check_mode)


def _probe(mysql, user, cert='clustersec-probe-x509', other='other'):
    apps = os.path.join(mysql['pki'], 'applications')
    code = ('import json; from ansible_collections.clustersec.mysql.plugins.module_utils.probes.attacker_probes '
            'import probe_x509_login as p; r = p("127.0.0.1", 3306, %r, %r, %r, %r, %r); '
            'print(json.dumps(dict((k, v) for k, v in r.items() if not isinstance(v, dict))))'
            % (user, os.path.join(apps, cert, 'cert.pem'), os.path.join(apps, cert, 'key.pem'),
               os.path.join(apps, other, 'cert.pem'), os.path.join(apps, other, 'key.pem')))
    return mysql['box'].netns_python(code)


ACCOUNTS = [{'user': 'app1', 'require': ['subject', 'issuer'], 'cert': 'app1'},
            {'user': 'app2', 'require': ['x509'], 'cert': 'app1'},
            {'user': 'clustersec_probe_x509', 'require': ['subject'], 'cert': 'clustersec-probe-x509'}]


def test_accounts_created_once_read_back_and_put_back(mysql):
    changed, dummy, queries = _apply(mysql, ACCOUNTS, check_mode=True)
    assert changed and len(queries) == 3
    assert mysql['server'].value("SELECT COUNT(*) FROM mysql.user WHERE User LIKE 'app%'") == '0'  # check: nothing
    changed, dummy, queries = _apply(mysql, ACCOUNTS)
    assert [q.split(' ')[0] for q in queries] == ['CREATE'] * 3
    changed, results, queries = _apply(mysql, ACCOUNTS)
    assert not changed and queries == []
    assert results[0]['require_before'] == ("SUBJECT '/C=DE/O=Example Corp/CN=app1' AND ISSUER "
                                            "'/CN=clustersec.mysql client CA'")
    line = mysql['server'].value("SHOW CREATE USER 'app1'@'%'")
    assert "REQUIRE SUBJECT '/C=DE/O=Example Corp/CN=app1' ISSUER '/CN=clustersec.mysql client CA'" in line
    mysql['server'].sql("ALTER USER 'app1'@'%' REQUIRE X509")
    changed, results, queries = _apply(mysql, ACCOUNTS)
    assert results[0]['require_before'] == 'X509' and len(queries) == 1 and queries[0].startswith('ALTER USER')
    changed, dummy, queries = _apply(mysql, ACCOUNTS, relax=True)
    assert queries == ["ALTER USER 'app1'@'%' REQUIRE SUBJECT '/C=DE/O=Example Corp/CN=app1'"]
    _apply(mysql, ACCOUNTS)


def test_login_probe_refuses_without_and_with_another_certificate_accepts_its_own(mysql):
    _apply(mysql, ACCOUNTS)
    assert _probe(mysql, 'clustersec_probe_x509') == {
        'accepted_with_cert': True, 'refused_without_cert': True, 'refused_other_cert': True}
    assert _probe(mysql, 'app1', cert='app1') == {
        'accepted_with_cert': True, 'refused_without_cert': True, 'refused_other_cert': True}
    # control: REQUIRE X509 lets the other certificate in, REQUIRE NONE every login; the probe says so
    assert _probe(mysql, 'app2', cert='app1')['refused_other_cert'] is False
    mysql['server'].sql("ALTER USER 'clustersec_probe_x509'@'%' REQUIRE NONE")
    out = _probe(mysql, 'clustersec_probe_x509')
    assert out['refused_without_cert'] is False and out['refused_other_cert'] is False
    _apply(mysql, ACCOUNTS)


def test_the_server_compares_the_one_line_form_not_rfc4514(mysql):
    mysql['server'].sql("CREATE USER 'rfc'@'%' REQUIRE SUBJECT 'CN=app1,O=Example Corp,C=DE'")
    try:
        out = _probe(mysql, 'rfc', cert='app1')
        assert out['accepted_with_cert'] is False, out  # the same name in another form: refused
    finally:
        mysql['server'].sql("DROP USER 'rfc'@'%'")
    assert _probe(mysql, 'app1', cert='app1')['accepted_with_cert'] is True  # control: the manifest's form


def test_absent_drops_the_accounts(mysql):
    gone = [{'user': a['user'], 'state': 'absent'} for a in ACCOUNTS]
    assert len(_apply(mysql, gone)[2]) == 3
    assert not _apply(mysql, gone)[0]
    assert mysql['server'].value("SELECT COUNT(*) FROM mysql.user WHERE User LIKE 'app%'") == '0'
