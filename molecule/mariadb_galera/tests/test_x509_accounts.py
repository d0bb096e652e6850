"""Issue 30 item 3: an application account bound to its certificate on the real cluster.

The inventory (molecule.yml) lists app1: the pki role issued its certificate from the client CA and delivered it to
node1 (/root, 0600); the account requires the certificate's subject and issuer, in the one-line form the server
compares. Checked with the mariadb client from node1 against another node: refused without a certificate and with the
node's own client certificate (same client CA, another subject), accepted with app1's. Runs after test_rotation:
the certificate and the issuer then come from the rotated client CA, which is what the node trusts.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import nodes, sql  # noqa: E402

CERTS = "/etc/mysql/certs"
APP_CERT, APP_KEY = "/root/app1-cert.pem", "/root/app1-key.pem"


@pytest.fixture(scope="module")
def cluster():
    return nodes()


def _login(host, target, cert=None, key=None):
    tls = f"--ssl-ca={CERTS}/ca.pem" + (f" --ssl-cert={cert} --ssl-key={key}" if cert else "")
    return host.run(f"mariadb --no-defaults -h {target} -u app1 {tls} -N -B -e 'SELECT CURRENT_USER()'")


def _oneline(host, what, path):
    # openssl's compat form is X509_NAME_oneline, what the server compares REQUIRE SUBJECT/ISSUER with.
    return host.check_output(f"openssl x509 -in {path} -noout -{what} -nameopt compat").split("=", 1)[1].strip()


def test_application_files_delivered_0600_and_issued_by_the_client_ca(cluster):
    node1 = cluster["node1"]
    for path in (APP_CERT, APP_KEY):
        assert node1.check_output(f"stat -c '%a %U' {path}") == "600 root", path
    node1.run_test(f"openssl verify -CAfile {CERTS}/client-ca.pem {APP_CERT}")
    assert node1.run(f"openssl verify -CAfile {CERTS}/ca.pem {APP_CERT}").rc != 0  # never the cluster CA's


def test_account_requires_the_subject_and_issuer_as_the_server_prints_them(cluster):
    node1 = cluster["node1"]
    subject = _oneline(node1, "subject", APP_CERT)
    issuer = _oneline(node1, "subject", f"{CERTS}/client-ca.pem")
    assert subject == "/O=clustersec test/CN=app1"
    for name, host in cluster.items():  # the account replicated to every node
        line = sql(host, "SHOW CREATE USER 'app1'@'%'")
        assert f"SUBJECT '{subject}'" in line and f"ISSUER '{issuer}'" in line, (name, line)
        assert "IDENTIFIED" not in line, f"{name}: the account has a password: {line}"


def test_login_refused_without_the_certificate_and_with_another_accepted_with_it(cluster):
    node1 = cluster["node1"]
    for target in sorted(n for n in cluster if n != "node1"):
        ok = _login(node1, target, APP_CERT, APP_KEY)
        assert ok.rc == 0 and ok.stdout.strip() == "app1@%", (target, ok.stderr)  # control
        bare = _login(node1, target)
        assert bare.rc != 0 and "Access denied" in bare.stderr, (target, bare.stdout, bare.stderr)
        other = _login(node1, target, f"{CERTS}/client-cert.pem", f"{CERTS}/client-key.pem")
        assert other.rc != 0 and "Access denied" in other.stderr, (target, other.stdout, other.stderr)
