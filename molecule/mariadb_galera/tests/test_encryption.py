"""Every channel of a real three-node MariaDB Galera cluster is encrypted.

Claims are checked with independent tools (the mariadb client, openssl s_client, a packet capture
on the host side of the bridge). The control cases live in the galera_smoke scenario, where the
same capture DOES see the marker on a plain cluster.
"""
import os
import subprocess
import sys
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from capture import Capture  # noqa: E402
from galera import nodes, podman_hosts, sql, status, wait_synced  # noqa: E402

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
testinfra_hosts = podman_hosts()
CERTS = "/etc/mysql/certs"
PROBE_PW = "probe-" + uuid.uuid4().hex[:12]


@pytest.fixture(scope="module")
def cluster():
    hosts = nodes()
    first = hosts[sorted(hosts)[0]]
    sql(first, "CREATE DATABASE IF NOT EXISTS enc; CREATE TABLE IF NOT EXISTS enc.m "
               "(id INT AUTO_INCREMENT PRIMARY KEY, v TEXT)")
    sql(first, f"CREATE USER IF NOT EXISTS 'probe'@'%' IDENTIFIED BY '{PROBE_PW}'; "
               f"ALTER USER 'probe'@'%' IDENTIFIED BY '{PROBE_PW}'; GRANT SELECT ON *.* TO 'probe'@'%'")
    return hosts


def test_cluster_whole(host):
    assert status(host, "wsrep_cluster_size") == "3"
    assert status(host, "wsrep_local_state_comment") == "Synced"


def test_gcomm_tls_in_provider_options_and_operator_keys_kept(host):
    opts = sql(host, "SELECT @@wsrep_provider_options")
    assert "socket.ssl = YES" in opts
    assert f"socket.ssl_ca = {CERTS}/ca.pem" in opts
    assert "gcache.size = 64M" in opts and "gcs.fc_limit = 32" in opts


def test_client_connection_over_tcp_is_tls(cluster, host):
    me = host.backend.get_hostname()
    other = [n for n in cluster if n != me][0]
    cmd = host.run(f"mariadb -h {other} -u probe -p{PROBE_PW} --ssl-ca={CERTS}/ca.pem -N -B "
                   "-e \"SHOW SESSION STATUS LIKE 'Ssl_cipher'\"")
    assert cmd.rc == 0, cmd.stderr
    cipher = cmd.stdout.split("\t")[1].strip()
    assert cipher, "Ssl_cipher is empty: the connection is not encrypted"


def test_plain_client_connection_refused(cluster, host):
    """With require_secure_transport the same credentials work over TLS and are refused in plain
    (MariaDB 10.11 answers 1045). The control turns the setting off for a moment on the target:
    then the plain login works, so the refusal is due to the transport and not the password."""
    me = host.backend.get_hostname()
    other = [n for n in cluster if n != me][0]
    plain = f"mariadb -h {other} -u probe -p{PROBE_PW} --skip-ssl -N -B -e 'SELECT 1'"
    refused = host.run(plain)
    assert refused.rc != 0 and "1045" in refused.stderr, refused.stderr
    sql(cluster[other], "SET GLOBAL require_secure_transport = OFF")
    try:
        control = host.run(plain)
    finally:
        sql(cluster[other], "SET GLOBAL require_secure_transport = ON")
    assert control.rc == 0 and control.stdout.strip() == "1", control.stderr


def test_gcomm_handshake_with_cluster_ca(host):
    me = host.backend.get_hostname()
    cmd = host.run(f"openssl s_client -connect {me}:4567 -CAfile {CERTS}/ca.pem -cert {CERTS}/client-cert.pem "
                   f"-key {CERTS}/client-key.pem -verify_return_error -brief </dev/null 2>&1 >/dev/null")
    assert cmd.rc == 0 and "Verification: OK" in cmd.stdout, cmd.stdout[-800:]


def test_gcomm_handshake_fails_with_foreign_ca(host):
    me = host.backend.get_hostname()
    host.run_test("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=foreign-ca "
                  "-keyout /tmp/foreign-key.pem -out /tmp/foreign-ca.pem")
    cmd = host.run(f"openssl s_client -connect {me}:4567 -CAfile /tmp/foreign-ca.pem -cert {CERTS}/client-cert.pem "
                   f"-key {CERTS}/client-key.pem -verify_return_error -brief </dev/null 2>&1 >/dev/null")
    assert cmd.rc != 0
    assert "Verification: OK" not in cmd.stdout and "verify" in cmd.stdout.lower(), cmd.stdout[-800:]


def _apply_sst_method(method):
    """Re-run the converge playbook with another SST method (rolling restart of changed nodes)."""
    scen = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
    env = dict(os.environ)
    res = subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(scen, "converge.yml"),
                          "-e", f"sst_method={method}"], capture_output=True, text=True, env=env, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]


@pytest.mark.parametrize("method", ["mariabackup", "rsync", "rsync_tunnel"])
def test_sst_is_encrypted(cluster, method):
    names = sorted(cluster)
    donor_side, joiner = cluster[names[0]], cluster[names[-1]]
    _apply_sst_method(method)
    for h in cluster.values():
        wait_synced(h)
    marker = f"clustersec-secret-{method}-{uuid.uuid4().hex[:8]}"
    # Written before the SST: it travels inside the snapshot. Written during: by replication.
    sql(donor_side, f"INSERT INTO enc.m (v) VALUES ('{marker}')")
    with Capture() as cap:
        joiner.run_test("systemctl stop mariadb")
        joiner.run_test("rm -f /var/lib/mysql/grastate.dat /var/lib/mysql/galera.cache")
        since = joiner.run("date '+%Y-%m-%d %H:%M:%S'").stdout.strip()
        joiner.run_test("systemctl start mariadb")
        wait_synced(joiner)
        sql(donor_side, f"INSERT INTO enc.m (v) VALUES ('{marker}-live')")
        wait_synced(joiner)
    try:
        log = joiner.run(f"journalctl -u mariadb --since '{since}' --no-pager").stdout
        assert f"wsrep_sst_{method}" in log or f"sst_method: {method}" in log.lower() or method in log
        assert "State transfer" in log or "SST" in log
        seen = cap.ports_seen()
        assert 4444 in seen, f"no SST traffic captured on 4444 (ports seen: {seen}): the capture proves nothing"
        assert cap.count(marker) == 0, f"marker seen in clear on the wire during {method} SST"
        assert marker in sql(joiner, f"SELECT v FROM enc.m WHERE v = '{marker}'")
        assert status(joiner, "wsrep_cluster_size") == "3"
        if method == "rsync_tunnel":
            assert "socat" in log and "OPENSSL" in log, "the tunnel's socat command is not in the log"
        if method == "rsync":
            assert "stunnel" in log.lower()
    finally:
        cap.remove()


def test_report_all_green_and_matches_independent_probes(cluster, tmp_path):
    from galera import encryption_report

    proc, report = encryption_report(tmp_path, "verify_encryption_strict=true")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert report["summary"]["status"] == "green"
    for name, host in cluster.items():
        channels = {c["channel"]: c for c in report["nodes"][name]}
        fp = host.check_output(f"openssl x509 -in {CERTS}/server-cert.pem -noout -fingerprint -sha256")
        expected = fp.split("=", 1)[1].replace(":", "").lower()
        for ch in ("client-server", "group-communication"):
            assert channels[ch]["encrypted"] and channels[ch]["verified"]
            assert channels[ch]["sha256_fingerprint"] == expected, (name, ch)
        cipher = sql(host, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").split("\t")[1]
        assert cipher, f"{name}: the mysql client's own session is not encrypted"


def test_report_amber_and_strict_fails_inside_warning_window(tmp_path):
    """Certificates here have ~825 days left; a warning window larger than that must turn the report
    amber and make strict fail (the same path a certificate 5 days from expiry takes)."""
    from galera import encryption_report

    proc, report = encryption_report(tmp_path, "verify_encryption_strict=true", "verify_encryption_warn_days=2000")
    assert proc.returncode != 0
    assert report["summary"]["status"] == "amber"
    assert any("expires in" in p for p in report["summary"]["problems"])


def test_pki_files_owner_mode_and_no_ca_key(host):
    d = host.file(CERTS)
    assert d.is_directory and d.user == "root" and d.group == "mysql" and d.mode == 0o750
    for name, mode in (("ca.pem", 0o644), ("server-cert.pem", 0o644), ("server-key.pem", 0o640),
                       ("client-cert.pem", 0o644), ("client-key.pem", 0o640)):
        f = host.file(f"{CERTS}/{name}")
        assert f.exists and f.user == "root" and f.group == "mysql" and f.mode == mode, name
    assert not host.file(f"{CERTS}/ca-key.pem").exists
    assert host.run("find / -xdev -name 'ca-key.pem' 2>/dev/null").stdout.strip() == ""
    # The server user reads its key; others cannot.
    assert host.run(f"runuser -u mysql -- head -c1 {CERTS}/server-key.pem").rc == 0
    assert host.run(f"runuser -u nobody -- head -c1 {CERTS}/server-key.pem").rc != 0
