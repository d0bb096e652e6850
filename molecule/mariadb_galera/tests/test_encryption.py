"""Every channel of a real three-node MariaDB Galera cluster is encrypted.

Claims are checked with independent tools (the mariadb client, openssl s_client, a packet capture
on the host side of the bridge). The control cases live in the galera_smoke scenario, where the
same capture DOES see the marker on a plain cluster.
"""
import os
import re
import subprocess
import sys
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from capture import Capture  # noqa: E402
from galera import nodes, podman_hosts, sql, status, wait_synced  # noqa: E402
from writer import node_ip  # noqa: E402

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


def _peer_handshake(host, cert, key, port=4567):
    """TLS 1.2 so the server's verdict on our certificate is part of the handshake."""
    me = host.backend.get_hostname()
    return host.run(f"openssl s_client -tls1_2 -connect {me}:{port} -CAfile {CERTS}/ca.pem -cert {cert} -key {key} "
                    f"-verify_return_error -brief </dev/null 2>&1 >/dev/null")


def test_gcomm_handshake_with_cluster_ca(host):
    cmd = _peer_handshake(host, f"{CERTS}/server-cert.pem", f"{CERTS}/server-key.pem")
    assert cmd.rc == 0 and "Verification: OK" in cmd.stdout, cmd.stdout[-800:]


def test_client_certificate_is_no_cluster_peer(host):
    """A client certificate (what an application or proxy holds) is refused on 4567; the node
    certificate in the same handshake is accepted (control), and the client certificate itself is
    good: the client CA verifies it and 3306 accepts it."""
    refused = _peer_handshake(host, f"{CERTS}/client-cert.pem", f"{CERTS}/client-key.pem")
    assert refused.rc != 0 and "unknown ca" in refused.stdout.lower(), refused.stdout[-800:]
    control = _peer_handshake(host, f"{CERTS}/server-cert.pem", f"{CERTS}/server-key.pem")
    assert control.rc == 0, control.stdout[-800:]
    host.run_test(f"openssl verify -CAfile {CERTS}/client-ca.pem {CERTS}/client-cert.pem")
    assert host.run(f"openssl verify -CAfile {CERTS}/ca.pem {CERTS}/client-cert.pem").rc != 0
    assert sql(host, "SHOW SESSION STATUS LIKE 'Ssl_version'") != "", "local client session is not TLS"


def test_gcomm_handshake_fails_with_foreign_ca(host):
    me = host.backend.get_hostname()
    host.run_test("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=foreign-ca "
                  "-keyout /tmp/foreign-key.pem -out /tmp/foreign-ca.pem")
    cmd = host.run(f"openssl s_client -connect {me}:4567 -CAfile /tmp/foreign-ca.pem -cert {CERTS}/server-cert.pem "
                   f"-key {CERTS}/server-key.pem -verify_return_error -brief </dev/null 2>&1 >/dev/null")
    assert cmd.rc != 0
    assert "Verification: OK" not in cmd.stdout and "verify" in cmd.stdout.lower(), cmd.stdout[-800:]


def _converge(*extra):
    """Re-run the converge playbook (rolling restart of changed nodes); returns the process."""
    scen = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
    cmd = ["ansible-playbook", "-i", INVENTORY, os.path.join(scen, "converge.yml")]
    for item in extra:
        cmd += ["-e", item]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def _apply_sst_method(method):
    res = _converge(f"sst_method={method}")
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


# rsync_tunnel with InnoDB files and binlogs outside the data directory (issue 15, item 5).
LAYOUT_CNF = "/etc/mysql/mariadb.conf.d/70-clustersec-sst-layout-test.cnf"
OUTSIDE = {"undo": "/var/lib/mysql-undo", "redo": "/var/lib/mysql-redo", "binlog": "/var/lib/mysql-binlog"}
ASIDE = "/var/lib/mysql.before-sst-layout-test"
TUNNEL_SCRIPT = os.environ.get("CLUSTERSEC_RSYNC_TUNNEL_SCRIPT") or os.path.join(
    os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.join(os.path.dirname(__file__), "..", "..", "..")),
    "roles", "mariadb_galera", "files", "wsrep_sst_rsync_tunnel")


def _layout_cnf(donor=None, receive_ip=None):
    lines = ["[mysqld]", "wsrep_sst_method = rsync_tunnel", "innodb_undo_tablespaces = 2",
             f"innodb_undo_directory = {OUTSIDE['undo']}", f"innodb_log_group_home_dir = {OUTSIDE['redo']}",
             "innodb_log_file_size = 16M", f"log_bin = {OUTSIDE['binlog']}/mysql-bin"]
    if donor:
        lines.append(f"wsrep_sst_donor = {donor}")
    if receive_ip:
        lines.append(f"wsrep_sst_receive_address = {receive_ip}")
    lines += ["[sst]", "sst-max-binlogs = 2"]
    return "\n".join(lines) + "\n"


def _files(host, directory):
    """{name: size} of the regular files of a directory."""
    out = host.check_output(f"find {directory} -maxdepth 1 -type f -printf '%f %s\\n'")
    return dict(line.split() for line in out.splitlines())


def _join(joiner, since):
    """Start a joiner; a join that does not reach Synced fails with the InnoDB errors it logged."""
    joiner.run_test("systemctl start mariadb")
    try:
        wait_synced(joiner, timeout=120)
    except AssertionError as exc:
        log = joiner.run(f"journalctl -u mariadb --since '{since}' --no-pager").stdout
        errors = list(dict.fromkeys(ln.split("]: ", 1)[-1] for ln in log.splitlines() if "[ERROR]" in ln))
        raise AssertionError(f"{exc}; errors it logged: {errors[:8]}") from None


def test_rsync_tunnel_sst_takes_undo_redo_and_binlogs_from_outside_the_datadir(cluster):
    """A cluster whose nodes keep undo tablespaces, the redo log and the binlogs outside the data
    directory is joined node by node by rsync_tunnel SST; every node was first initialised with files
    of its own there, as a node of such a cluster has them. Each joiner must start on the donor's
    files: the rows written before its SST are there, its outside directories hold the donor's files
    (names and sizes) and the data directory none, InnoDB logs no error; the donor's last two binlogs
    (sst-max-binlogs = 2: the one the SST rotated away, which holds the row written just before, and
    the new one) head the joiner's index, the one before them is not sent. The last joiner announces
    an IP as its SST address while its certificate holds only names: the donor has to check the
    certificate against the name that IP belongs to. The capture of both SSTs holds the marker 0
    times. At the end the nodes' own data directories are put back and the cluster is bootstrapped
    again from them with the scenario's configuration."""
    names = sorted(cluster)
    first, joiners = cluster[names[0]], [cluster[n] for n in names[1:]]
    last_ip = node_ip(names[-1])
    marker = f"clustersec-secret-layout-{uuid.uuid4().hex[:8]}"
    with open(TUNNEL_SCRIPT, "rb") as f:
        script = f.read()
    for name in names:
        subprocess.run(["podman", "exec", "-i", name, "sh", "-c",
                        "cat > /usr/bin/wsrep_sst_rsync_tunnel && chmod 0755 /usr/bin/wsrep_sst_rsync_tunnel"],
                       input=script, check=True)
    for host in reversed(list(cluster.values())):
        host.run_test("systemctl stop mariadb")
    moved = []
    try:
        for name, host in cluster.items():
            cnf = _layout_cnf(None if name == names[0] else names[0], last_ip if name == names[-1] else None)
            host.run_test(f"printf %s '{cnf}' > {LAYOUT_CNF}")
            host.run_test(f"mv /var/lib/mysql {ASIDE}")
            moved.append(host)
            dirs = " ".join(["/var/lib/mysql", *OUTSIDE.values()])
            host.run_test(f"mkdir -p {dirs} && chown mysql:mysql {dirs} && chmod 0750 {dirs}")
            host.run_test("mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null")
        first.run_test("galera_new_cluster")
        wait_synced(first)
        sql(first, "CREATE DATABASE enc; CREATE TABLE enc.m (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT)")
        sql(first, f"INSERT INTO enc.m (v) VALUES ('{marker}')")
        since = first.check_output("date '+%Y-%m-%d %H:%M:%S'")
        with Capture() as cap:
            for name, joiner in zip(names[1:], joiners):
                # Lands in the donor's current binlog, which the SST rotates: with sst-max-binlogs = 2
                # that file and the new one are sent.
                sql(first, f"INSERT INTO enc.m (v) VALUES ('{marker}-before-{name}')")
                donor_files = {d: _files(first, OUTSIDE[d]) for d in ("undo", "redo")}
                _join(joiner, since)
                for d, files in donor_files.items():
                    got = _files(joiner, OUTSIDE[d])
                    assert {n: got.get(n) for n in files} == files, (name, d, got, files)
                donor_binlogs = [ln.split("\t")[0] for ln in sql(first, "SHOW BINARY LOGS").splitlines()]
                index = joiner.check_output(f"cat {OUTSIDE['binlog']}/mysql-bin.index").splitlines()
                sent = [f"{OUTSIDE['binlog']}/{b}" for b in donor_binlogs[-2:]]
                assert index[:2] == sent and f"{OUTSIDE['binlog']}/{donor_binlogs[-3]}" not in index, \
                    (name, index, donor_binlogs)
                held = joiner.run(f"grep -c -a -F '{marker}-before-{name}' {sent[0]}").stdout.strip()
                assert held not in ("", "0"), f"{name}: the donor's binlog {sent[0]} lacks the row written before"
            sql(first, f"INSERT INTO enc.m (v) VALUES ('{marker}-live')")
            for joiner in joiners:
                wait_synced(joiner)
        try:
            seen = cap.ports_seen()
            assert 4444 in seen, f"no SST traffic captured on 4444 (ports seen: {seen}): the capture proves nothing"
            assert cap.count(marker) == 0, "marker seen in clear on the wire during rsync_tunnel SST"
        finally:
            cap.remove()
        logs = {n: h.check_output(f"journalctl -u mariadb --since '{since}' --no-pager") for n, h in cluster.items()}
        for name, joiner in zip(names[1:], joiners):
            assert "wsrep_sst_rsync_tunnel" in logs[name] and "rsync_tunnel joiner: received state" in logs[name]
            innodb_errors = [ln for ln in logs[name].splitlines() if "[ERROR] InnoDB" in ln]
            assert innodb_errors == [], f"{name}: {innodb_errors[:5]}"
            assert sql(joiner, f"SELECT COUNT(*) FROM enc.m WHERE v LIKE '{marker}%'") == "4"
            leftovers = joiner.run("ls /var/lib/mysql | grep -E '^(undo[0-9]+|ib_logfile[0-9]+)$'").stdout.split()
            assert leftovers == [], f"{name}: InnoDB files in the data directory: {leftovers}"
            assert status(joiner, "wsrep_cluster_size") == "3"
        assert f"OPENSSL-LISTEN:4444,bind={last_ip}," in logs[names[-1]], "the last joiner did not listen on its IP"
        assert f"checking the joiner certificate against '{names[-1]}'" in logs[names[0]], \
            "the donor did not map the joiner's IP to the name its certificate holds"
    finally:
        for host in reversed(list(cluster.values())):
            host.run("systemctl stop mariadb")
        for host in cluster.values():
            host.run(f"rm -f {LAYOUT_CNF}; rm -rf {' '.join(OUTSIDE.values())}")
            if host in moved:
                host.run_test(f"rm -rf /var/lib/mysql && mv {ASIDE} /var/lib/mysql")
        first.run_test("galera_new_cluster")
        for host in joiners:
            host.run_test("systemctl start mariadb")
        for host in cluster.values():
            wait_synced(host)
        assert status(first, "wsrep_cluster_size") == "3"


def test_report_all_green_and_matches_independent_probes(cluster, tmp_path):
    from galera import encryption_report

    proc, report = encryption_report(tmp_path, "verify_encryption_strict=true")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert report["summary"]["status"] == "green"
    for name, host in cluster.items():
        channels = {c["channel"]: c for c in report["nodes"][name]}
        # Green means the attacker-side probes were tried and refused, not skipped.
        assert channels["client-server"]["plain_refused"] is True
        assert channels["client-server"]["tls_login"]["outcome"] == "locked"
        assert channels["group-communication"]["refused_certs"]["client-certificate"]["refused"] is True
        for ch in ("client-server", "group-communication"):
            assert channels[ch]["weak_tls"]["weak_cipher"]["refused"] is True
            assert channels[ch]["weak_tls"]["old_protocol"]["refused"] is not False
        fp = host.check_output(f"openssl x509 -in {CERTS}/server-cert.pem -noout -fingerprint -sha256")
        expected = fp.split("=", 1)[1].replace(":", "").lower()
        for ch in ("client-server", "group-communication"):
            assert channels[ch]["encrypted"] and channels[ch]["verified"]
            assert channels[ch]["sha256_fingerprint"] == expected, (name, ch)
        cipher = sql(host, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").split("\t")[1]
        assert cipher, f"{name}: the mysql client's own session is not encrypted"


def test_report_metrics_textfile_on_each_node(cluster):
    """Issue 30 item 4: verify_encryption.yml (run by the report test above) left node_exporter's textfile on each
    node, root 0644, holding this node's certificate notAfter as the node itself reads it from its certificate.
    Not parametrized by host: pytest would order those before the report test that writes the files."""
    import ssl

    for me, host in cluster.items():
        f = host.file("/var/lib/prometheus/node-exporter/clustersec_mysql.prom")
        assert f.is_file and f.user == "root" and f.group == "root" and f.mode == 0o644, me
        end = host.check_output(f"openssl x509 -in {CERTS}/server-cert.pem -noout -enddate").split("=", 1)[1]
        expected = int(ssl.cert_time_to_seconds(end))
        text = f.content_string
        for ch, port in (("client-server", 3306), ("group-communication", 4567)):
            line = (f'clustersec_mysql_certificate_not_after_timestamp_seconds{{channel="{ch}",node="{me}",port="{port}"}} '
                    f'{expected}')
            assert line in text.splitlines(), (line, text[:3000])
        assert f'clustersec_mysql_report_timestamp_seconds{{node="{me}"}}' in text
        # control: another node's series is not in this node's file
        assert not [n for n in cluster if n != me and f'node="{n}"' in text], me


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
    for name, mode in (("ca.pem", 0o644), ("client-ca.pem", 0o644), ("server-cert.pem", 0o644), ("server-key.pem", 0o640),
                       ("client-cert.pem", 0o644), ("client-key.pem", 0o640)):
        f = host.file(f"{CERTS}/{name}")
        assert f.exists and f.user == "root" and f.group == "mysql" and f.mode == mode, name
    assert not host.file(f"{CERTS}/ca-key.pem").exists and not host.file(f"{CERTS}/client-ca-key.pem").exists
    assert host.run("find / -xdev -name '*ca-key.pem' 2>/dev/null").stdout.strip() == ""
    # The server user reads its key; others cannot.
    assert host.run(f"runuser -u mysql -- head -c1 {CERTS}/server-key.pem").rc == 0
    assert host.run(f"runuser -u nobody -- head -c1 {CERTS}/server-key.pem").rc != 0


def _scan(address, ports="3306,4567"):
    """The outside judge: nmap's ssl-enum-ciphers (STARTTLS on 3306) from the host."""
    out = subprocess.run(["nmap", "-Pn", "-p", ports, "--script", "ssl-enum-ciphers", address],
                         capture_output=True, text=True, check=True).stdout
    per_port, port = {}, None
    for line in out.splitlines():
        if "/tcp" in line and "open" in line:
            port = int(line.split("/")[0])
            per_port[port] = []
        elif port and line.strip().startswith("|"):
            per_port[port].append(line)
    return per_port


def _weak_lines(lines):
    return [ln for ln in lines if re.search(r"TLSv1\.[01]:|_CBC_|TLS_RSA_WITH", ln)]


def test_scanner_finds_only_the_profile_then_the_opt_out_shows_weak_suites(cluster, tmp_path):
    """nmap lists only TLS 1.2/1.3 forward-secret AEAD suites on 3306 and 4567 of every node. The
    control converges the same cluster with the documented opt-outs (library default suites,
    plaintext logins): the scanner then sees CBC suites, a plaintext login works, and the report
    shows those channels amber with the opt-out named; a converge back restores the profile."""
    from galera import encryption_report

    for name in cluster:
        scan = _scan(node_ip(name))
        for port in (3306, 4567):
            lines = scan.get(port, [])
            assert any("TLS_ECDHE_" in ln for ln in lines), f"{name}:{port} scan saw no suite: {lines}"
            assert _weak_lines(lines) == [], f"{name}:{port} offers weak suites: {_weak_lines(lines)}"
    insecure = ["mariadb_galera_tls_cipher=", '{"mariadb_galera_allow_insecure": ["weak_tls", "plaintext_clients"]}',
                "mariadb_galera_require_secure_transport=false"]
    refused = _converge(*insecure[:1])
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "weak_tls" in said and "no node was changed" in said, said[-3000:]
    res = _converge(*insecure)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    try:
        for h in cluster.values():
            wait_synced(h)
        name = sorted(cluster)[0]
        weak = _weak_lines(_scan(node_ip(name)).get(3306, []))
        assert weak, "control: the scanner saw no weak suite with the opt-out"
        assert _weak_lines(_scan(node_ip(name)).get(4567, [])), "control: no weak suite on 4567 with the opt-out"
        plain = cluster[name].run(f"mariadb -h {sorted(cluster)[1]} -u probe -p{PROBE_PW} --skip-ssl -N -B -e 'SELECT 1'")
        assert plain.rc == 0, plain.stderr
        proc, report = encryption_report(tmp_path, '{"verify_encryption_accepted_risks": ["weak_tls", "plaintext_clients"]}')
        assert report["summary"]["status"] == "amber", report["summary"]
        assert any("plaintext login is accepted" in p and "plaintext_clients" in p for p in report["summary"]["problems"])
        assert any("forward secrecy" in p and "weak_tls" in p for p in report["summary"]["problems"])
        proc, report = encryption_report(tmp_path)
        assert report["summary"]["status"] == "red", "without the declared opt-outs the same findings are red"
    finally:
        res = _converge()
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
        for h in cluster.values():
            wait_synced(h)
    for name in cluster:
        assert _weak_lines(_scan(node_ip(name)).get(3306, ["missing"])) == []
