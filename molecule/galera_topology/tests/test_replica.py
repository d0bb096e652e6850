"""Asynchronous replication between two clusters over TLS (galera entry point replication, site.yml's galera_replica
play): replica1, a single-node MariaDB Galera cluster with its own pki_dir and CA, replicates from arb1 of the source
cluster (arb1, arb2, garbd). Runs after tests/test_arbitrator.py (file order), whose CA rotation of the source carried
the replica along while rows were written. No host-parametrized test (they would run before the others): in order,
the channel after that rotation (one channel, TLS, verification with the source's new cluster CA only, GTID, both
threads running, no error; the replica's own CA is another; its site.yml play converged), the rows written during the
rotation arrived (count and checksum; control: one row changed on the replica makes the checksums differ), 200 rows
with a marker arrive while a capture on 3306 shows the marker 0 times (control: the same capture finds it in a
plaintext login), a client certificate of another subject from the source's client CA is refused (1045; control: the
replica's own is accepted), the IO thread refuses the source with a CA the replica does not trust (2026; restored,
control: it runs again), and the report shows the channel green with the CA it trusts and the client certificate's
notAfter."""
import os
import re
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from capture import Capture  # noqa: E402
from galera import changed_tasks, probe_cert, run_playbook  # noqa: E402
from writer import node_ip  # noqa: E402

SOURCE, REPLICA = "arb1", "replica1"
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp")
PKI_DIR = os.path.join(EPHEMERAL, "pki")
REPLICA_PKI_DIR = os.path.join(EPHEMERAL, "pki-replica")
CHANNEL_DIR = "/etc/mysql/replication"
USER = "repl_replica1"
# Every playbook run of these tests is narrowed to the replica's cluster (its own pki_dir).
REPLICA_HOSTS = "clustersec_hosts=galera_replica"
ROTATION_TABLE = "reprot.t"  # written by test_arbitrator.py during the source's CA rotation
TABLE = "repltest.t"


def sh(name, cmd, check=True):
    p = subprocess.run(["podman", "exec", name, "sh", "-c", cmd], capture_output=True, text=True, errors="replace",
                       check=False)
    assert not check or p.returncode == 0, f"{name}: {cmd}: {p.stdout}{p.stderr}"
    return p


def shq(text):
    return "'" + text.replace("'", "'\\''") + "'"


def q(name, query):
    return sh(name, f"mariadb -N -B -e {shq(query)}").stdout.strip()


def channels():
    """SHOW ALL SLAVES STATUS on the replica: one dict per channel (every named connection too)."""
    out, rows = sh(REPLICA, "mariadb -e 'SHOW ALL SLAVES STATUS\\G'").stdout, []
    for line in out.splitlines():
        if line.startswith("*****"):
            rows.append({})
        elif ":" in line and rows:
            key, value = line.split(":", 1)
            rows[-1][key.strip()] = value.strip()
    return rows


def wait_channel(what, predicate, timeout=60):
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        rows = channels()
        last = rows[0] if rows else None
        if last is not None and predicate(last):
            return last
        time.sleep(1)
    raise AssertionError(f"{REPLICA}: {what} not reached in {timeout}s; last status {last}")


def running(row):
    return (row.get("Slave_IO_Running"), row.get("Slave_SQL_Running"), row.get("Last_IO_Errno"),
            row.get("Last_SQL_Errno")) == ("Yes", "Yes", "0", "0")


def checksum(name, table):
    return q(name, f"CHECKSUM TABLE {table} EXTENDED").split("\t")[-1]


def rows_equal(table, at_least=1, timeout=90):
    """Waits until the replica has the source's row count (at least at_least), then compares CHECKSUM TABLE."""
    deadline, counts = time.time() + timeout, None
    while time.time() < deadline:
        counts = [int(q(n, f"SELECT COUNT(*) FROM {table}") or 0) for n in (SOURCE, REPLICA)]
        if counts[0] >= at_least and counts[0] == counts[1]:
            break
        time.sleep(1)
    assert counts[0] >= at_least and counts[0] == counts[1], f"{table}: source/replica rows {counts}"
    assert checksum(SOURCE, table) == checksum(REPLICA, table), table
    return counts[0]


def pem(path):
    return open(path).read().strip()


def test_one_tls_channel_verified_with_the_source_new_ca_after_the_rotation():
    row = wait_channel("both threads running without error", running)
    rows = channels()
    assert len(rows) == 1 and rows[0].get("Connection_name") == "", rows
    assert (row["Master_Host"], row["Master_Port"], row["Master_User"]) == (SOURCE, "3306", USER)
    assert row["Master_SSL_Allowed"] == "Yes" and row["Master_SSL_Verify_Server_Cert"] == "Yes", row
    assert row["Master_SSL_CA_File"] == f"{CHANNEL_DIR}/source-ca.pem"
    assert row["Master_SSL_Cert"] == f"{CHANNEL_DIR}/client-cert.pem" and row["Master_SSL_Key"] == f"{CHANNEL_DIR}/client-key.pem"
    assert row["Using_Gtid"] == "Slave_Pos", row
    # The CA file is the source's cluster CA - after the rotation the new one alone - and not the replica's own CA
    # (the two clusters have separate pki_dirs; the replica's own nodes trust only its own).
    source_ca = sh(REPLICA, f"cat {CHANNEL_DIR}/source-ca.pem").stdout.strip()
    assert source_ca == pem(os.path.join(PKI_DIR, "ca.pem")) and source_ca.count("BEGIN CERTIFICATE") == 1
    assert source_ca != pem(os.path.join(REPLICA_PKI_DIR, "ca.pem"))
    assert sh(REPLICA, "cat /etc/mysql/certs/ca.pem").stdout.strip() == pem(os.path.join(REPLICA_PKI_DIR, "ca.pem"))
    # The client certificate is the staged set's, from the source's (new) client CA; the replica's client CA did not
    # issue it (control and negative of the same openssl verify).
    cert = os.path.join(EPHEMERAL, "replica-client-cert.pem")
    open(cert, "w").write(sh(REPLICA, f"cat {CHANNEL_DIR}/client-cert.pem").stdout)
    ok = subprocess.run(["openssl", "verify", "-CAfile", os.path.join(PKI_DIR, "client-ca.pem"), cert],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    other = subprocess.run(["openssl", "verify", "-CAfile", os.path.join(REPLICA_PKI_DIR, "client-ca.pem"), cert],
                           capture_output=True, text=True, check=False)
    assert other.returncode != 0
    assert sh(REPLICA, f"stat -c '%a %U' {CHANNEL_DIR}/client-key.pem").stdout.split() == ["600", "mysql"]
    # The source's account: no password, bound to the certificate's subject and (after phase 3) the new client CA.
    create = q(SOURCE, f"SHOW CREATE USER '{USER}'@'%'")
    assert "SUBJECT '/CN=repl-replica1'" in create and "ISSUER '" in create, create
    assert "IDENTIFIED" not in create, create


def test_replica_play_is_converged_after_the_rotation():
    """The promoted set holds what the rotation delivered: site.yml --check on the replica's cluster changes nothing
    (molecule's idempotence step ran the replica's play a second time before the tests: changed=0)."""
    p = run_playbook("site.yml", REPLICA_HOSTS, check=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert "Replicate between clusters over TLS" in p.stdout
    recap = p.stdout[p.stdout.rfind("PLAY RECAP"):]
    assert changed_tasks(p.stdout) == [] and set(re.findall(r"changed=(\d+)", recap)) == {"0"}, changed_tasks(p.stdout)


def test_rows_written_during_the_rotation_all_arrived():
    count = rows_equal(ROTATION_TABLE, at_least=10)
    assert q(SOURCE, f"SELECT COUNT(DISTINCT v) FROM {ROTATION_TABLE}") == "1" and count >= 10
    # Control: the checksum sees one row changed on the replica alone (no binary log there), then it is put back.
    before = checksum(REPLICA, ROTATION_TABLE)
    q(REPLICA, f"UPDATE {ROTATION_TABLE} SET v='changed' ORDER BY id LIMIT 1")
    try:
        assert checksum(REPLICA, ROTATION_TABLE) != checksum(SOURCE, ROTATION_TABLE)
    finally:
        q(REPLICA, f"UPDATE {ROTATION_TABLE} SET v='during-rotation' WHERE v='changed'")
    assert checksum(REPLICA, ROTATION_TABLE) == before == checksum(SOURCE, ROTATION_TABLE)


def test_rows_arrive_encrypted_and_the_capture_sees_a_plaintext_login():
    marker = "replmark" + uuid.uuid4().hex[:12]
    q(SOURCE, f"CREATE DATABASE IF NOT EXISTS {TABLE.split('.', maxsplit=1)[0]}; "
              f"CREATE TABLE IF NOT EXISTS {TABLE} (id INT PRIMARY KEY, v VARCHAR(64))")
    values = ",".join(f"({i}, '{marker}')" for i in range(1, 201))
    with Capture(ports=(3306,)) as cap:
        q(SOURCE, f"INSERT INTO {TABLE} VALUES {values}")
        assert rows_equal(TABLE, at_least=200) == 200
    try:
        source_ip = node_ip(SOURCE)
        sent = sum(len(run) for (dummy, src, port), runs in cap.traffic().tcp.items() if src == source_ip and port == 3306
                   for run in runs)
        # The binary log stream of 200 rows crossed the bridge (several kilobytes), and no marker in it.
        assert sent > 200 * len(marker), sent
        assert cap.count(marker) == 0
    finally:
        cap.remove()
    assert q(REPLICA, f"SELECT COUNT(*) FROM {TABLE} WHERE v = '{marker}'") == "200"
    # Control: the same capture on the same link finds the marker where it crosses in clear - a login without TLS
    # whose user name is the marker (the source refuses it, require_secure_transport, after reading the name).
    with Capture(ports=(3306,)) as cap:
        p = sh(REPLICA, f"mariadb --no-defaults --skip-ssl -h {SOURCE} -u {marker} -pwrong -e 'SELECT 1'", check=False)
    try:
        assert p.returncode != 0, p.stdout
        assert cap.count(marker) >= 1, "the control did not see the marker: the capture proves nothing"
    finally:
        cap.remove()


def test_other_subject_of_the_source_client_ca_is_refused(tmp_path):
    cert, key = probe_cert(tmp_path, os.path.join(PKI_DIR, "client-ca.pem"), os.path.join(PKI_DIR, "client-ca-key.pem"),
                           "repl-other")
    for src, dest in ((cert, "/tmp/repl-other-cert.pem"), (key, "/tmp/repl-other-key.pem")):
        subprocess.run(["podman", "cp", src, f"{REPLICA}:{dest}"], check=True)
    login = (f"mariadb --no-defaults -h {SOURCE} -u {USER} --ssl-ca={CHANNEL_DIR}/source-ca.pem --ssl-verify-server-cert "
             "--ssl-cert={} --ssl-key={} -N -B -e 'SELECT CURRENT_USER()'")
    p = sh(REPLICA, login.format("/tmp/repl-other-cert.pem", "/tmp/repl-other-key.pem"), check=False)
    assert p.returncode != 0 and "1045" in p.stderr, p.stdout + p.stderr
    # Control: the replica's own certificate logs in as the account.
    p = sh(REPLICA, login.format(f"{CHANNEL_DIR}/client-cert.pem", f"{CHANNEL_DIR}/client-key.pem"), check=False)
    assert p.returncode == 0 and p.stdout.strip() == f"{USER}@%", p.stdout + p.stderr


def test_io_thread_refuses_a_source_ca_the_replica_does_not_trust():
    # The replica's own cluster CA did not sign the source's certificate: the IO thread must refuse the source (2026).
    q(REPLICA, "STOP SLAVE; CHANGE MASTER TO MASTER_SSL_CA='/etc/mysql/certs/ca.pem'; START SLAVE")
    try:
        row = wait_channel("IO error 2026", lambda r: r.get("Last_IO_Errno") == "2026")
        assert row["Slave_IO_Running"] != "Yes", row
    finally:
        q(REPLICA, f"STOP SLAVE; CHANGE MASTER TO MASTER_SSL_CA='{CHANNEL_DIR}/source-ca.pem'; START SLAVE")
    # Control: with the source's CA file again it connects and both threads run without error.
    wait_channel("both threads running again", running)
    rows_equal(TABLE, at_least=200)


def test_report_shows_the_channel_green_with_its_ca_and_client_certificate(tmp_path):
    import json

    from cryptography import x509

    p = run_playbook("verify_encryption.yml", REPLICA_HOSTS, f"verify_encryption_report_dir={tmp_path}",
                     "verify_encryption_report_name=report")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    report = json.load(open(os.path.join(str(tmp_path), "report.json")))
    assert REPLICA in report["nodes"] and SOURCE not in report["nodes"], sorted(report["nodes"])
    ch = {c["channel"]: c for c in report["nodes"][REPLICA]}["replication"]
    assert ch["status"] == "green" and ch["findings"] == [], ch
    assert ch["encrypted"] and ch["verified_name"] and ch["io_running"] and ch["sql_running"], ch
    assert ch["port"] == f"{SOURCE}:3306"
    ca = x509.load_pem_x509_certificate(open(os.path.join(PKI_DIR, "ca.pem"), "rb").read())
    assert [c["subject"] for c in ch["trusted_ca"]] == [ca.subject.rfc4514_string()], ch["trusted_ca"]
    cert = x509.load_pem_x509_certificate(open(os.path.join(EPHEMERAL, "replica-client-cert.pem"), "rb").read())
    end = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after
    assert ch["not_after"] == end.strftime("%Y-%m-%dT%H:%M:%SZ") and ch["subject"] == "CN=repl-replica1", ch
    md = open(os.path.join(str(tmp_path), "report.md")).read()
    assert f"| {REPLICA} | replication |" in md
