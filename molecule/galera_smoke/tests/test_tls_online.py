"""After the plain-cluster checks: turn TLS on in the running cluster with playbooks/enable_tls_online.yml
(socket.dynamic during the roll). The cluster keeps a Primary component throughout, no node needs
an SST, and at the end group communication is TLS-only on every node."""
import os
import re
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import node_snapshot, nodes, run_playbook, sql, status  # noqa: E402
from writer import Writer  # noqa: E402

CERTS = "/etc/mysql/certs"


def sample_sizes(names, stop, out):
    """Every 0.5 s, the largest Primary component size any node reports."""
    while not stop.is_set():
        best = 0
        for n in names:
            p = subprocess.run(["podman", "exec", n, "mariadb", "-N", "-B", "-e",
                                "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size','wsrep_cluster_status')"],
                               capture_output=True, text=True, check=False)
            s = dict(line.split("\t") for line in p.stdout.splitlines() if "\t" in line)
            if s.get("wsrep_cluster_status") == "Primary":
                best = max(best, int(s.get("wsrep_cluster_size", 0)))
        out.append(best)
        time.sleep(0.5)


def test_enable_tls_online():
    hosts = nodes()
    names = sorted(hosts)
    first = hosts[names[0]]
    sql(first, "CREATE DATABASE IF NOT EXISTS smoke; CREATE TABLE IF NOT EXISTS smoke.online (id INT PRIMARY KEY)")
    sql(first, "REPLACE INTO smoke.online VALUES (1), (2), (3)")
    password = "w-" + uuid.uuid4().hex[:12]
    sql(first, f"CREATE USER IF NOT EXISTS 'writer'@'%' IDENTIFIED BY '{password}'; "
               f"GRANT INSERT, SELECT ON smoke.* TO 'writer'@'%'; "
               "DROP TABLE IF EXISTS smoke.online_w; CREATE TABLE smoke.online_w (id INT PRIMARY KEY, v VARCHAR(16))")
    since = first.check_output("date '+%Y-%m-%d %H:%M:%S'")
    snapshot = node_snapshot(names)
    stop, sizes = threading.Event(), []
    sampler = threading.Thread(target=sample_sizes, args=(names, stop, sizes), daemon=True)
    sampler.start()
    pki_dir = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki")
    writer = Writer(names, "writer", password, "smoke.online_w", os.path.join(pki_dir, "ca.pem"))
    writer.start()
    proc = run_playbook("enable_tls_online.yml", f"pki_dir={pki_dir}", "mariadb_galera_sst_method=rsync",
                        "mariadb_galera_wsrep_provider_options='gcache.size=64M; gcs.fc_limit=32'")
    time.sleep(1)
    writer.stop.set()
    writer.join(60)
    stop.set()
    sampler.join(30)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    # The control of test_check_mode.py: the snapshot that --check left unchanged does see this run's changes.
    changed = node_snapshot(names)
    assert all(changed[n] != snapshot[n] for n in names), "the node snapshot did not see the real run"
    print(f"online TLS: {len(writer.acked)} writes acknowledged, {len(writer.failed)} failed, "
          f"{writer.retried} retried on another node, sessions: {sorted(writer.tls_versions)}")
    assert not writer.failed, f"writes no node committed: {writer.failed[:20]}"
    assert len(writer.acked) > 50
    assert sql(first, "SELECT COUNT(*) FROM smoke.online_w") == str(len(writer.acked))
    assert any(v.startswith("TLS") for v in writer.tls_versions), writer.tls_versions
    assert sizes and min(sizes) >= 2, f"the cluster lost its Primary component during the roll: {sizes}"
    for n, h in hosts.items():
        opts = sql(h, "SELECT @@wsrep_provider_options")
        assert "socket.ssl = YES" in opts, f"{n}: {opts[:300]}"
        assert not re.search(r"socket\.dynamic = (YES|yes|true|1)\b", opts), f"{n}: socket.dynamic still on"
        assert "gcache.size = 64M" in opts
        assert status(h, "wsrep_cluster_size") == "3"
        log = h.check_output(f"journalctl -u mariadb --since '{since}' --no-pager -o cat")
        assert "--role 'joiner'" not in log or "IST received" in log, f"{n} needed an SST"
        cmd = h.run(f"openssl s_client -connect {n}:4567 -CAfile {CERTS}/ca.pem -cert {CERTS}/server-cert.pem "
                    f"-key {CERTS}/server-key.pem -verify_return_error -brief </dev/null 2>&1 >/dev/null")
        assert "Verification: OK" in cmd.stdout, cmd.stdout[-500:]
        assert sql(h, "SELECT COUNT(*) FROM smoke.online") == "3"
    # Step 1 let applications log in without TLS while they moved; at the end a plaintext login is
    # refused (the writer's own TLS logins with the same account are the control).
    import pymysql
    for n in names:
        try:
            pymysql.connect(host=writer.addresses[n], user="writer", password=password, connect_timeout=3).close()
            accepted = True
        except pymysql.MySQLError as exc:
            accepted = False
            assert exc.args[0] == 1045, exc
        assert not accepted, f"{n}: a plaintext login is accepted after enable_tls_online"


def test_enable_tls_online_again_restarts_nothing():
    hosts = nodes()
    before = {n: h.check_output("systemctl show -p MainPID --value mariadb") for n, h in hosts.items()}
    pki_dir = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki")
    proc = run_playbook("enable_tls_online.yml", f"pki_dir={pki_dir}", "mariadb_galera_sst_method=rsync",
                        "mariadb_galera_wsrep_provider_options='gcache.size=64M; gcs.fc_limit=32'")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert re.search(r"changed=0 ", proc.stdout), proc.stdout[-2000:]
    assert {n: h.check_output("systemctl show -p MainPID --value mariadb") for n, h in hosts.items()} == before
