"""Recovery of a cluster whose certificates expired (playbooks/recover_expired_certificates.yml), on one real
three-node MariaDB Galera cluster, the cases one after another. Each case starts from a set issued already expired
(validity in the past, by the test with `cryptography`; no clock changed) and put on the running nodes with
FLUSH SSL + socket.ssl_reload: peers keep their sessions, new handshakes fail. A client writes every 100 ms
throughout; each case ends with a Primary component of 3, every acknowledged row present and the report green, and
in each case the plain rotation playbook refuses first (control). Bad input (nothing expired, an expired new CA, an
inventory that omits a node, nodes of more than one cluster UUID) stops before any node is
touched: node files, server PIDs and the controller's pki_dir compared before and after."""
import json
import os
import re
import subprocess
import sys
import time
import uuid

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
sys.path.insert(0, os.path.dirname(__file__))
import expired  # noqa: E402
from galera import encryption_report, node_snapshot, run_playbook, tree_snapshot  # noqa: E402

NAMES = ["rec1", "rec2", "rec3"]
CERTS = "/etc/mysql/certs"
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp")
PKI_DIR = os.path.join(EPHEMERAL, "pki")
WRITER_PW = "w-" + uuid.uuid4().hex[:12]
TIMES = {}


def q(name, query):
    """SQL on a node over its socket without TLS: the [client] section verifies the server's certificate, which
    fails once the CA expired."""
    p = subprocess.run(["podman", "exec", name, "mariadb", "--skip-ssl", "-N", "-B", "-e", query],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, f"{name}: {query}: {p.stderr}"
    return p.stdout.strip()


def sh(name, cmd, check=True):
    p = subprocess.run(["podman", "exec", name, "sh", "-c", cmd], capture_output=True, text=True, errors="replace",
                       check=False)
    assert not check or p.returncode == 0, f"{name}: {cmd}: {p.stdout}{p.stderr}"
    return p


def size(name):
    return q(name, "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'").split("\t")[1]


def pids():
    return {n: sh(n, "systemctl show -p MainPID --value mariadb").stdout.strip() for n in NAMES}


def untouched():
    return node_snapshot(NAMES), tree_snapshot(PKI_DIR)


def out(proc):
    return proc.stdout[-6000:] + proc.stderr[-2000:]


def said(proc):
    """What a playbook printed: progress on stdout, a failed task's message on stderr (ansible-core 2.19)."""
    return proc.stdout + proc.stderr


def expire_everything(label, ca_dir=None):
    """The expired set becomes what the controller and every running node hold (reloaded in place); with ca_dir only
    the node and client certificates expired, signed by the valid CAs there."""
    certs = expired.expired_set(NAMES, label, ca_dir)
    expired.write_controller(PKI_DIR, certs)
    for n in NAMES:
        expired.install_on_node(n, certs, reload=sh(n, "systemctl is-active mariadb", check=False).returncode == 0)
    return certs


def handshake(src, dst):
    """A new group-communication handshake from src to dst with src's files, verified against src's CA."""
    return sh(src, f"openssl s_client -connect {dst}:4567 -CAfile {CERTS}/ca.pem -cert {CERTS}/server-cert.pem "
                   f"-key {CERTS}/server-key.pem -verify_return_error </dev/null 2>&1", check=False)


def start_writer(table):
    from writer import Writer

    q("rec1", f"CREATE TABLE rec.{table} (id INT PRIMARY KEY, v TEXT)")
    # TLS without verifying the server: 3306 serves the expired certificate until the recovery (sessions stay).
    w = Writer(NAMES, "writer", WRITER_PW, f"rec.{table}", [], give_up=20)
    w.start()
    time.sleep(1)
    return w


def stop_writer(w):
    time.sleep(1)
    w.stop.set()
    w.join(120)


def assert_whole_with_rows(w, table):
    for n in NAMES:
        assert size(n) == "3", f"{n} sees cluster size {size(n)}"
        status = q(n, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_status', 'wsrep_local_state_comment')")
        assert "Primary" in status and "Synced" in status, f"{n}: {status}"
    for n in NAMES:
        ids = set(int(i) for i in q(n, f"SELECT id FROM rec.{table}").split())
        missing = set(w.acked) - ids
        assert not missing, f"{n} lacks acknowledged rows {sorted(missing)[:20]}"
    assert len(w.acked) > 20


def assert_new_set_everywhere():
    """Every node presents a certificate of the new CA on 4567 and a new handshake between peers verifies."""
    new_ca = open(os.path.join(PKI_DIR, "ca.pem")).read()
    assert "expired" not in subprocess.run(["openssl", "x509", "-noout", "-subject"], input=new_ca, text=True,
                                           capture_output=True, check=True).stdout
    for src, dst in (("rec1", "rec2"), ("rec2", "rec3"), ("rec3", "rec1")):
        res = handshake(src, dst)
        assert "Verify return code: 0 (ok)" in res.stdout, f"{src} -> {dst}:4567: {res.stdout[-800:]}"


def assert_report_green(tmp_path):
    proc, report = encryption_report(tmp_path, f"pki_dir={PKI_DIR}")
    assert proc.returncode == 0, out(proc)
    assert report["summary"]["status"] == "green", report["summary"]


def assert_rotation_refuses():
    before = untouched()
    proc = run_playbook("rotate_certificates.yml", f"pki_dir={PKI_DIR}")
    assert proc.returncode != 0, "control: rotate_certificates.yml did not refuse"
    assert untouched() == before, "the refused rotation changed a node or pki_dir"
    return proc


@pytest.fixture(scope="module")
def cluster():
    q("rec1", f"CREATE DATABASE IF NOT EXISTS rec; CREATE USER IF NOT EXISTS 'writer'@'%' IDENTIFIED BY '{WRITER_PW}'; "
              f"ALTER USER 'writer'@'%' IDENTIFIED BY '{WRITER_PW}'; GRANT INSERT, SELECT ON rec.* TO 'writer'@'%'")
    yield NAMES
    # The recovery playbook's wall time and the rows of each case, beside make test's logs (pytest's durations include
    # the controls and the reports).
    logs = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", EPHEMERAL), ".build", "logs")
    os.makedirs(logs, exist_ok=True)
    with open(os.path.join(logs, "galera_recovery-times.json"), "w") as fh:
        json.dump(TIMES, fh)


def test_refuses_a_cluster_whose_certificates_did_not_expire(cluster):
    before = untouched()
    proc = run_playbook("recover_expired_certificates.yml")
    assert proc.returncode != 0
    assert "no certificate of the cluster has expired on rec1, rec2, rec3" in said(proc), out(proc)
    assert untouched() == before


def test_case1_running_on_old_sessions(cluster, tmp_path):
    expire_everything("case1")
    # The premise: peers keep their sessions (size 3), every new handshake fails, and so does the local client
    # over TLS (it verifies the server's certificate).
    assert [size(n) for n in NAMES] == ["3", "3", "3"]
    res = handshake("rec1", "rec2")
    assert "certificate has expired" in res.stdout, res.stdout[-800:]
    assert "certificate has expired" in sh("rec1", "mariadb -e 'SELECT 1'", check=False).stderr

    proc = assert_rotation_refuses()
    assert "certificate has expired" in said(proc), out(proc)

    # Bad input: a staged new CA that expired itself; the same run without it is the case below (control).
    ca, key = expired.make_ca("expired new CA")
    os.makedirs(os.path.join(PKI_DIR, "next"), mode=0o700)
    open(os.path.join(PKI_DIR, "next", "ca.pem"), "wb").write(expired._pem(ca))
    open(os.path.join(PKI_DIR, "next", "ca-key.pem"), "wb").write(expired._pem_key(key))
    before = untouched()
    proc = run_playbook("recover_expired_certificates.yml")
    assert proc.returncode != 0
    assert re.search(r"the new CA next/ca.pem expired on \d{4}-\d\d-\d\d", said(proc)), out(proc)
    assert untouched() == before
    subprocess.run(["rm", "-rf", os.path.join(PKI_DIR, "next")], check=True)

    # Bad input: an inventory without rec3, which the running cluster knows (wsrep_incoming_addresses, gcomm://).
    inventory = os.path.join(str(tmp_path), "two-nodes.yml")
    with open(inventory, "w") as fh:
        yaml.safe_dump({"mariadb_galera": {"hosts": {n: {"ansible_connection": "podman"} for n in NAMES[:2]},
                                           "vars": {"pki_dir": PKI_DIR}}}, fh)
    before = untouched()
    proc = subprocess.run(["ansible-playbook", "-i", inventory, "clustersec.mysql.recover_expired_certificates"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert "the cluster knows rec3 (wsrep_cluster_address, wsrep_incoming_addresses)" in said(proc), out(proc)
    assert "running cluster has 3 nodes, the inventory 2" in said(proc)
    assert untouched() == before

    # --check runs to the end and changes nothing, neither on the nodes nor in pki_dir.
    before = untouched()
    proc = run_playbook("recover_expired_certificates.yml", check=True)
    assert proc.returncode == 0, out(proc)
    assert "would move" in said(proc)
    assert untouched() == before

    before_pids = pids()
    w = start_writer("case1")
    t0 = time.monotonic()
    proc = run_playbook("recover_expired_certificates.yml")
    TIMES["case1"] = round(time.monotonic() - t0, 1)
    stop_writer(w)
    assert proc.returncode == 0, out(proc)
    assert "every node runs on sessions opened before the certificates expired" in said(proc)
    assert all(re.search(rf"{n}: 6 file\(s\) changed, reloaded, [0-9.]+ s", said(proc)) for n in NAMES), out(proc)
    assert not w.failed, f"writes no node committed: {w.failed[:20]}"
    assert pids() == before_pids, "a node was restarted: the reload path restarts none"
    assert_whole_with_rows(w, "case1")
    assert_new_set_everywhere()
    TIMES["case1_rows"] = len(w.acked)
    assert_report_green(tmp_path)


def test_case2_some_nodes_down(cluster, tmp_path):
    # Here only the node and client certificates expired; the CAs (case 1's new ones) are valid and sign the new set.
    ca_before = open(os.path.join(PKI_DIR, "ca.pem")).read()
    expire_everything("case2", ca_dir=PKI_DIR)
    w = start_writer("case2")
    sh("rec3", "systemctl stop mariadb")
    time.sleep(2)  # writes rec3 misses: it must catch up by IST
    # The premise: with the expired set rec3 cannot rejoin (its handshakes fail; galera gives up, the start fails).
    res = sh("rec3", "timeout 150 systemctl start mariadb", check=False)
    assert res.returncode != 0, "rec3 rejoined with expired certificates"
    sh("rec3", "systemctl stop mariadb", check=False)
    assert_rotation_refuses()
    before_pids = pids()
    t0 = time.monotonic()
    proc = run_playbook("recover_expired_certificates.yml")
    TIMES["case2"] = round(time.monotonic() - t0, 1)
    stop_writer(w)
    assert proc.returncode == 0, out(proc)
    assert "running: rec1, rec2 get the new set by a reload; then rec3 start" in said(proc), out(proc)
    assert "the current CAs sign the new certificates" in said(proc), out(proc)
    assert open(os.path.join(PKI_DIR, "ca.pem")).read() == ca_before
    assert re.search(r"rec3: started with the new set, joined by ist in [0-9.]+ s", said(proc)), out(proc)
    assert not w.failed, f"writes no node committed: {w.failed[:20]}"
    after = pids()
    assert after["rec1"] == before_pids["rec1"] and after["rec2"] == before_pids["rec2"], "a running node restarted"
    assert_whole_with_rows(w, "case2")
    assert_new_set_everywhere()
    TIMES.update(case2_rows=len(w.acked),
                 case2_joins=re.findall(r"(rec\d): started with the new set, joined by (\w+) in ([0-9.]+) s", said(proc)))
    assert_report_green(tmp_path)


def _seqno(name):
    m = re.search(r"^seqno:\s*(-?\d+)", sh(name, "cat /var/lib/mysql/grastate.dat").stdout, re.M)
    return int(m.group(1))


def test_case3_every_node_down(cluster, tmp_path):
    expire_everything("case3")
    w = start_writer("case3")
    # rec3 stops, then rec1: rec2 goes on alone, then crashes. Only --wsrep-recover knows that rec2 is ahead:
    # its grastate.dat says seqno -1, those of rec1 and rec3 hold seqnos.
    sh("rec3", "systemctl stop mariadb")
    time.sleep(2)
    sh("rec1", "systemctl stop mariadb")
    first_alone = len(w.acked)
    time.sleep(3)
    alone = w.acked[first_alone:]
    sh("rec2", "systemctl kill -s KILL mariadb; sleep 1; systemctl stop mariadb")
    assert _seqno("rec2") == -1 and _seqno("rec1") > _seqno("rec3") >= 0
    assert_rotation_refuses()

    # Bad input: rec3 claims rec2's seqno with another cluster UUID. rec2's position, read as the playbook does.
    res = sh("rec2", "install -o mysql -m 0600 /dev/null /tmp/r.log; "
                     "mariadbd --user=mysql --wsrep-recover --log-error=/tmp/r.log >/dev/null 2>&1; "
                     "grep -o 'Recovered position: .*' /tmp/r.log | tail -1; rm -f /tmp/r.log")
    top = int(res.stdout.strip().rsplit(":", 1)[1])
    assert top > _seqno("rec1")
    sh("rec3", "cp -p /var/lib/mysql/grastate.dat /root/grastate.dat.orig && "
               f"sed -i -e 's/^uuid:.*/uuid:    11111111-2222-3333-4444-555555555555/' -e 's/^seqno:.*/seqno:   {top}/' "
               "/var/lib/mysql/grastate.dat")
    before = untouched()
    proc = run_playbook("recover_expired_certificates.yml")
    assert proc.returncode != 0
    assert ("carry more than one cluster UUID" in said(proc)
            and f"rec3 11111111-2222-3333-4444-555555555555 seqno {top}" in said(proc)), out(proc)
    assert untouched() == before
    assert all(sh(n, "systemctl is-active mariadb", check=False).returncode != 0 for n in NAMES), "a node was started"
    sh("rec3", "cp -p /root/grastate.dat.orig /var/lib/mysql/grastate.dat")

    # --check of the whole-cluster case runs to the end and starts nothing.
    before = untouched()
    proc = run_playbook("recover_expired_certificates.yml", check=True)
    assert proc.returncode == 0, out(proc)
    assert "would be started with the new set" in said(proc), out(proc)
    assert untouched() == before

    t0 = time.monotonic()
    proc = run_playbook("recover_expired_certificates.yml")
    TIMES["case3"] = round(time.monotonic() - t0, 1)
    stop_writer(w)
    assert proc.returncode == 0, out(proc)
    assert "every node is down: bootstrap from rec2" in said(proc), out(proc)
    assert re.search(rf"rec2: bootstrapped the cluster with the new set \(highest committed seqno {top}, --wsrep-recover\)",
                     said(proc)), out(proc)
    assert re.search(rf"rec2 [0-9a-f-]{{36}} {top} --wsrep-recover", said(proc)), out(proc)
    # Acknowledged rows include those only rec2 committed, alone, before it crashed.
    assert alone, "no write was acknowledged while rec2 ran alone"
    assert_whole_with_rows(w, "case3")
    assert_new_set_everywhere()
    TIMES.update(case3_rows=len(w.acked), case3_rows_alone=len(alone), case3_refused_while_down=len(w.failed),
                 case3_joins=re.findall(r"(rec\d): started with the new set, joined by (\w+) in ([0-9.]+) s", said(proc)))
    assert_report_green(tmp_path)
