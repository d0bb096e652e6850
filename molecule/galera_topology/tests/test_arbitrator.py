"""Galera arbitrator (garbd) over TLS, on one cluster brought up by the site playbook (two MariaDB data nodes arb1,
arb2 and garbd on arb3). The tests run in file order and reuse the cluster: garbd counted in the cluster size; the
arbitrator's 4567 traffic encrypted (control: a plaintext marker sent to the same port is found in the same capture);
its 4567 refuses a certificate of another CA and a client certificate (control: a node certificate of the cluster CA is
accepted); a frozen data node leaves a Primary component of two with garbd (control: without garbd the
survivor is non-Primary); --check changes nothing and restarts nothing; a CA rotation keeps the cluster Primary throughout, garbd counted
at the end, and garbd presents a certificate of the new CA; the report probes garbd's 4567 like a node's (plaintext,
client certificate and previous CA refused). Every playbook run is narrowed to the source cluster (SOURCE: the scenario
holds a second cluster, replica1, with its own pki_dir); the rotation also carries that replica along (rows written
during it, its channel watched: tests/test_replica.py checks what arrived)."""
import os
import re
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from capture import Capture  # noqa: E402
from galera import changed_tasks, encryption_report, probe_cert, run_playbook  # noqa: E402
from writer import node_ip  # noqa: E402

DATA = ["arb1", "arb2"]
ARB = "arb3"
CERTS = "/etc/mysql/certs"
PKI_DIR = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp"), "pki")
# The source cluster's hosts: the pki role keeps one pki_dir per play (converge.yml runs site.yml once per cluster).
SOURCE = "clustersec_hosts=all:!galera_replica"
REPLICA = "replica1"
# Rows written on the source during the CA rotation (test_replica.py compares them with the replica's).
ROTATION_TABLE = "reprot.t"


def sh(name, cmd, check=True):
    p = subprocess.run(["podman", "exec", name, "sh", "-c", cmd], capture_output=True, text=True, errors="replace",
                       check=False)
    assert not check or p.returncode == 0, f"{name}: {cmd}: {p.stdout}{p.stderr}"
    return p


def q(name, query):
    return sh(name, f"mariadb -N -B -e {shq(query)}").stdout.strip()


def shq(text):
    return "'" + text.replace("'", "'\\''") + "'"


def status(name):
    out = q(name, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_cluster_status')")
    return dict(line.split("\t", 1) for line in out.splitlines())


def wait_for(name, size, primary=True, timeout=90):
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        p = sh(name, "mariadb -N -B -e \"SHOW GLOBAL STATUS WHERE Variable_name IN "
                     "('wsrep_cluster_size', 'wsrep_cluster_status')\"", check=False)
        if p.returncode == 0:
            last = dict(line.split("\t", 1) for line in p.stdout.strip().splitlines())
            if last.get("wsrep_cluster_size") == str(size) and (last.get("wsrep_cluster_status") == "Primary") == primary:
                return last
        time.sleep(1)
    raise AssertionError(f"{name}: expected size {size} {'Primary' if primary else 'non-Primary'}, last {last}")


def tls_handshake(cert=None, key=None, ca=f"{CERTS}/ca.pem", src="arb1"):
    """openssl s_client from a data node to garbd's 4567 with TLS 1.2 (a refused client certificate fails the
    handshake itself); returns (accepted, output)."""
    opts = f"-cert {cert} -key {key}" if cert else ""
    p = sh(src, f"echo | timeout 10 openssl s_client -tls1_2 -connect {ARB}:4567 -CAfile {ca} {opts} -verify_return_error "
                f"-showcerts 2>&1", check=False)
    accepted = p.returncode == 0 and "Verify return code: 0" in p.stdout and "New, TLSv1.2" in p.stdout
    return accepted, p.stdout


def test_garbd_counted_with_its_own_file_and_no_client_certificate():
    for n in DATA:
        assert status(n) == {"wsrep_cluster_size": "3", "wsrep_cluster_status": "Primary"}
    assert sh(ARB, "systemctl is-active garb").stdout.strip() == "active"
    assert sh(ARB, "systemctl is-enabled garb").stdout.strip() == "enabled"
    cmdline = sh(ARB, "tr '\\0' ' ' < /proc/$(systemctl show -p MainPID --value garb)/cmdline").stdout
    assert cmdline.startswith("/usr/bin/garbd --cfg /etc/garb/garbd.cnf"), cmdline
    assert sh(ARB, "ps -o user= -p $(systemctl show -p MainPID --value garb)").stdout.strip() == "garb"
    cfg = sh(ARB, "cat /etc/garb/garbd.cnf").stdout
    assert "socket.ssl=yes" in cfg and "socket.ssl_cipher=ECDHE+AESGCM:ECDHE+CHACHA20" in cfg
    assert f"socket.ssl_cert={CERTS}/server-cert.pem" in cfg and "address = gcomm://arb1:4567,arb2:4567" in cfg
    # The operator's conffile is the package's (dpkg --verify prints nothing for an unchanged one).
    assert sh(ARB, "dpkg --verify galera-arbitrator-4").stdout.strip() == ""
    assert sh(ARB, f"stat -c '%a %U %G' {CERTS}/server-key.pem").stdout.split() == ["640", "root", "garb"]
    assert sh(ARB, f"test -e {CERTS}/client-cert.pem || test -e {CERTS}/client-key.pem", check=False).returncode != 0
    # Its certificate is a node certificate of the cluster CA.
    sh(ARB, f"openssl verify -CAfile {CERTS}/ca.pem {CERTS}/server-cert.pem")


def test_arbitrator_traffic_encrypted_with_control():
    marker = "garbdmark" + uuid.uuid4().hex[:12]
    control = "garbdplain" + uuid.uuid4().hex[:12]
    q("arb1", "CREATE DATABASE IF NOT EXISTS arbt; CREATE TABLE IF NOT EXISTS arbt.t "
              "(id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64))")
    with Capture(ports=(4567,)) as cap:
        for dummy in range(20):
            q("arb1", f"INSERT INTO arbt.t (v) VALUES ('{marker}')")
        # Control: the same marker kind sent in plaintext to garbd's port, in the same capture.
        sh("arb1", f"printf '{control}' | timeout 3 nc -q1 {ARB} 4567", check=False)
    try:
        traffic = cap.traffic()
        arb_ip = node_ip(ARB)
        # garbd received the writesets: bytes from arb3's own 4567 connections are in the capture.
        from_arb = sum(len(r) for (s, src, p), runs in traffic.tcp.items() if src == arb_ip for r in runs)
        assert from_arb > 0, "no traffic from the arbitrator in the capture"
        to_arb = [key for key in traffic.tcp if key[1] != arb_ip and any(r for r in traffic.tcp[key])]
        assert to_arb
        assert int(q("arb2", f"SELECT COUNT(*) FROM arbt.t WHERE v = '{marker}'")) == 20
        assert cap.count(marker) == 0
        assert cap.count(control) >= 1
    finally:
        cap.remove()


def test_garbd_port_refuses_plaintext_other_ca_and_client_certificate(tmp_path):
    # Control first: a node certificate of the cluster CA is accepted, and garbd's certificate verifies.
    ok, out = tls_handshake(f"{CERTS}/server-cert.pem", f"{CERTS}/server-key.pem")
    assert ok, out
    # A client certificate (client CA) is refused on the peer port.
    ok, out = tls_handshake(f"{CERTS}/client-cert.pem", f"{CERTS}/client-key.pem")
    assert not ok, out
    # A certificate of another CA (what a previous or foreign CA's holder presents) is refused.
    other_ca, other_key = str(tmp_path / "other-ca.pem"), str(tmp_path / "other-ca.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other CA",
                    "-keyout", other_key, "-out", other_ca], check=True, capture_output=True)
    cert, key = probe_cert(tmp_path, other_ca, other_key, "arb1")
    for src, dest in ((cert, "/tmp/other-cert.pem"), (key, "/tmp/other-key.pem")):
        subprocess.run(["podman", "cp", src, f"arb1:{dest}"], check=True)
    ok, out = tls_handshake("/tmp/other-cert.pem", "/tmp/other-key.pem")
    assert not ok, out
    # Plaintext: garbd answers nothing a Galera peer could read (the TLS server waits for a ClientHello and drops the
    # connection); control: the same bytes to a data node's plaintext-free port get the same treatment is not needed,
    # the handshake above proves TLS is what it speaks.
    p = sh("arb1", f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout 5 nc -q2 {ARB} 4567 | od -An -c | head -c 200",
           check=False)
    assert "HTTP" not in p.stdout
    wait_for("arb1", 3)


def _freeze(name, signal):
    sh(name, f"kill -{signal} $(pidof mariadbd)")


def test_frozen_data_node_leaves_primary_of_two_with_garbd():
    _freeze("arb2", "STOP")
    try:
        # arb2 stops answering: after the suspect/inactive timeouts it is dropped; arb1 + garbd are 2 of 3.
        wait_for("arb1", 2, primary=True, timeout=60)
    finally:
        _freeze("arb2", "CONT")
    wait_for("arb1", 3)
    wait_for("arb2", 3)


def test_control_without_garbd_survivor_is_not_primary():
    sh(ARB, "systemctl stop garb")
    try:
        wait_for("arb1", 2)
        _freeze("arb2", "STOP")
        try:
            # 1 of 2: no quorum.
            wait_for("arb1", 1, primary=False, timeout=60)
        finally:
            _freeze("arb2", "CONT")
        # The two halves of the last Primary component meet again and restore it.
        wait_for("arb1", 2)
        wait_for("arb2", 2)
    finally:
        sh(ARB, "systemctl start garb")
    wait_for("arb1", 3)


def test_check_mode_changes_nothing_and_restarts_nothing():
    """--check on the restored cluster (molecule's idempotence step already ran site.yml a second time: changed=0)."""
    pids = {n: sh(n, f"systemctl show -p MainPID --value {u}").stdout.strip()
            for n, u in (("arb1", "mariadb"), ("arb2", "mariadb"), (ARB, "garb"))}
    p = run_playbook("site.yml", SOURCE, check=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    recap = p.stdout[p.stdout.rfind("PLAY RECAP"):]
    assert changed_tasks(p.stdout) == [] and "failed=0" in recap, changed_tasks(p.stdout)
    assert set(re.findall(r"changed=(\d+)", recap)) == {"0"}, recap
    assert {n: sh(n, f"systemctl show -p MainPID --value {u}").stdout.strip()
            for n, u in (("arb1", "mariadb"), ("arb2", "mariadb"), (ARB, "garb"))} == pids


class Watch(threading.Thread):
    """Polls a data node's component every 0.3 s while the rotation runs."""

    def __init__(self, name):
        super().__init__(daemon=True)
        self.name_, self.stop, self.seen = name, threading.Event(), []

    def run(self):
        while not self.stop.is_set():
            p = subprocess.run(["podman", "exec", self.name_, "mariadb", "-N", "-B", "-e",
                                "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_cluster_status')"],
                               capture_output=True, text=True, check=False)
            if p.returncode == 0:
                self.seen.append(dict(line.split("\t", 1) for line in p.stdout.strip().splitlines()))
            time.sleep(0.3)


class ReplicaDuringRotation:
    """While the source rotates: a writer loop on arb1 (a row every 0.3 s into ROTATION_TABLE) and a watcher loop on
    the replica (SHOW SLAVE STATUS every 0.5 s), each one shell loop inside its container (one podman exec each)."""

    STOP = "/tmp/clustersec-rotation-stop"

    def __enter__(self):
        db = ROTATION_TABLE.split(".", maxsplit=1)[0]
        q("arb1", f"CREATE DATABASE IF NOT EXISTS {db}; CREATE TABLE IF NOT EXISTS {ROTATION_TABLE} "
                  "(id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64))")
        for n in ("arb1", REPLICA):
            sh(n, f"rm -f {self.STOP} /tmp/clustersec-rotation.log")
        insert = shq(f"INSERT INTO {ROTATION_TABLE} (v) VALUES ('during-rotation')")
        self.procs = [
            subprocess.Popen(["podman", "exec", "arb1", "sh", "-c",
                              f"while [ ! -e {self.STOP} ]; do mariadb -e {insert} && echo ok >> /tmp/clustersec-rotation.log;"
                              " sleep 0.3; done"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            subprocess.Popen(["podman", "exec", REPLICA, "sh", "-c",
                              f"while [ ! -e {self.STOP} ]; do mariadb -e 'SHOW SLAVE STATUS\\G' | grep -E "
                              "'Slave_(IO|SQL)_Running:|Last_(IO|SQL)_Errno:'; echo --; sleep 0.5; done "
                              ">> /tmp/clustersec-rotation.log"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        ]
        return self

    def __exit__(self, *exc):
        for n in ("arb1", REPLICA):
            sh(n, f"touch {self.STOP}", check=False)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()

    def written(self):
        return len(sh("arb1", "cat /tmp/clustersec-rotation.log", check=False).stdout.split())

    def samples(self):
        out = []
        for block in sh(REPLICA, "cat /tmp/clustersec-rotation.log", check=False).stdout.split("--"):
            pairs = [line.strip().split(":", 1) for line in block.strip().splitlines() if ":" in line]
            if pairs:
                out.append({k.strip(): v.strip() for k, v in pairs})
        return out


def test_ca_rotation_keeps_quorum_and_garbd_gets_the_new_ca():
    old_ca = open(os.path.join(PKI_DIR, "ca.pem")).read()
    watch = Watch("arb1")
    watch.start()
    try:
        with ReplicaDuringRotation() as replica:
            p = run_playbook("rotate_certificates.yml", SOURCE, "rotate_ca=true")
    finally:
        watch.stop.set()
        watch.join()
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    # The replica was carried along (rotate_replicas.yml after each phase) and never refused or failed: no SQL error,
    # no TLS (2026) or login (1045) refusal of its IO thread; the source kept taking writes.
    assert "Put the phase's CA file and client certificate on each replica" in p.stdout, p.stdout[-3000:]
    samples, written = replica.samples(), replica.written()
    assert len(samples) >= 10 and written >= 10, (len(samples), written)
    assert [s for s in samples if s.get("Last_SQL_Errno", "0") != "0"] == []
    refused = [s for s in samples if s.get("Last_IO_Errno") in ("2026", "1045")]
    assert refused == [], refused[:3]
    # Which IO states were seen (the IO thread restarts after each phase's files): in the log for the report.
    print("replica IO errnos during the rotation:", sorted({s.get("Last_IO_Errno") for s in samples}),
          "IO states:", sorted({s.get("Slave_IO_Running") for s in samples}), "rows written:", written)
    assert "restart the arbitrator arb3" in p.stdout.lower() or "arbitrator" in p.stdout.lower()
    assert watch.seen and all(s.get("wsrep_cluster_status") == "Primary" for s in watch.seen), watch.seen
    new_ca = open(os.path.join(PKI_DIR, "ca.pem")).read()
    assert new_ca != old_ca
    wait_for("arb1", 3)
    # garbd presents a certificate of the new CA (verified against it) and its files are the new set's.
    ok, out = tls_handshake(f"{CERTS}/server-cert.pem", f"{CERTS}/server-key.pem")
    assert ok, out
    sh(ARB, f"openssl verify -CAfile {CERTS}/ca.pem {CERTS}/server-cert.pem")
    assert sh(ARB, f"cat {CERTS}/ca.pem").stdout.strip() == new_ca.strip()


def test_report_probes_garbd_like_a_node(tmp_path):
    proc, report = encryption_report(tmp_path, SOURCE)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert ARB in report["nodes"], sorted(report["nodes"])
    ch = {c["channel"]: c for c in report["nodes"][ARB]}["group-communication"]
    assert ch["status"] == "green", ch
    assert ch["encrypted"] and ch["verified"]
    # The attacker-side probes were tried and refused, not skipped: plaintext, a client certificate, the previous CA
    # (the rotation above left its probe certificates in pki_dir/previous/probe).
    assert ch["plain_peer"]["refused"] is True, ch["plain_peer"]
    assert ch["refused_certs"]["client-certificate"]["refused"] is True
    assert ch["refused_certs"]["previous-CA"]["refused"] is True
    fp = sh(ARB, f"openssl x509 -in {CERTS}/server-cert.pem -noout -fingerprint -sha256").stdout
    assert ch["sha256_fingerprint"] == fp.strip().split("=", 1)[1].replace(":", "").lower()
