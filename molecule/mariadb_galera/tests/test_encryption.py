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
import testinfra.utils.ansible_runner

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from capture import Capture  # noqa: E402
from galera import nodes, sql, status, wait_synced  # noqa: E402

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY).get_hosts("mariadb_galera")
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
    me = host.backend.get_hostname()
    other = [n for n in cluster if n != me][0]
    cmd = host.run(f"mariadb -h {other} -u probe -p{PROBE_PW} --skip-ssl -N -B -e 'SELECT 1'")
    assert cmd.rc != 0
    assert "insecure transport" in cmd.stderr.lower() or "secure" in cmd.stderr.lower(), cmd.stderr


def test_gcomm_handshake_with_cluster_ca(host):
    me = host.backend.get_hostname()
    cmd = host.run(f"openssl s_client -connect {me}:4567 -CAfile {CERTS}/ca.pem -cert {CERTS}/client-cert.pem "
                   f"-key {CERTS}/client-key.pem -verify_return_error </dev/null")
    assert "Verify return code: 0 (ok)" in cmd.stdout, cmd.stdout[-500:] + cmd.stderr[-500:]


def test_gcomm_handshake_fails_with_foreign_ca(host):
    me = host.backend.get_hostname()
    host.run_test("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=foreign-ca "
                  "-keyout /tmp/foreign-key.pem -out /tmp/foreign-ca.pem")
    cmd = host.run(f"openssl s_client -connect {me}:4567 -CAfile /tmp/foreign-ca.pem -cert {CERTS}/client-cert.pem "
                   f"-key {CERTS}/client-key.pem -verify_return_error </dev/null")
    assert cmd.rc != 0
    assert "Verify return code: 0 (ok)" not in cmd.stdout


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
