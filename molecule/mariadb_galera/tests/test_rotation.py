"""Certificate and CA rotation on the running encrypted cluster, with a client writing every 100 ms
over TLS: zero failed writes, rows equal to acknowledged writes, no SST, no restart, size 3
throughout, and afterwards every channel presents a certificate of the new CA."""
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import nodes, run_playbook, sql, status  # noqa: E402

CERTS = "/etc/mysql/certs"
PKI_DIR = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp"), "pki")
WRITER_PW = "w-" + uuid.uuid4().hex[:12]


class Writer(threading.Thread):
    """One persistent TLS client session on `source`, writing to `target` every 100 ms; counts
    acknowledged and failed writes, and samples the cluster size once a second."""

    def __init__(self, source, target, table):
        super().__init__(daemon=True)
        self.source, self.target, self.table = source, target, table
        self.sent = self.failed = 0
        self.sizes = []
        self.stop = threading.Event()

    def run(self):
        cmd = ["podman", "exec", "-i", self.source, "mariadb", "--force", "-N", "-B", "-h", self.target, "-u", "writer",
               f"-p{WRITER_PW}", f"--ssl-ca={CERTS}/ca.pem", "enc"]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        last = 0.0
        while not self.stop.is_set():
            proc.stdin.write(f"INSERT INTO {self.table} (v) VALUES ('w{self.sent}');\n")
            proc.stdin.flush()
            self.sent += 1
            if time.time() - last >= 1.0:
                last = time.time()
                proc.stdin.write("SELECT 'size', VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                                 "WHERE VARIABLE_NAME = 'WSREP_CLUSTER_SIZE';\n")
                proc.stdin.flush()
            time.sleep(0.1)
        out, err = proc.communicate(timeout=60)  # closes stdin: the client ends after the last write
        self.failed = err.count("ERROR")
        self.errors = err
        self.sizes = [int(line.split("\t")[1]) for line in out.splitlines() if line.startswith("size\t")]


@pytest.fixture(scope="module")
def cluster():
    hosts = nodes()
    first = hosts[sorted(hosts)[0]]
    sql(first, f"CREATE USER IF NOT EXISTS 'writer'@'%' IDENTIFIED BY '{WRITER_PW}'; "
               f"ALTER USER 'writer'@'%' IDENTIFIED BY '{WRITER_PW}'; GRANT INSERT, SELECT ON enc.* TO 'writer'@'%'; "
               "CREATE DATABASE IF NOT EXISTS enc")
    return hosts


def pids(hosts):
    return {n: h.check_output("systemctl show -p MainPID --value mariadb") for n, h in hosts.items()}


def rotate(cluster, table, *extra):
    names = sorted(cluster)
    first = cluster[names[0]]
    sql(first, f"DROP TABLE IF EXISTS enc.{table}; CREATE TABLE enc.{table} (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT)")
    since = first.check_output("date '+%Y-%m-%d %H:%M:%S'")
    before = pids(cluster)
    writer = Writer(names[0], names[1], table)
    writer.start()
    time.sleep(1)
    t0 = time.monotonic()
    proc = run_playbook("rotate_certificates.yml", f"pki_dir={PKI_DIR}", *extra)
    elapsed = time.monotonic() - t0
    time.sleep(1)
    writer.stop.set()
    writer.join(90)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert writer.failed == 0, writer.errors[-2000:]
    assert writer.sent > 10
    rows = int(sql(cluster[names[2]], f"SELECT COUNT(*) FROM enc.{table}"))
    assert rows == writer.sent - writer.failed
    assert writer.sizes and min(writer.sizes) == 3, writer.sizes
    assert pids(cluster) == before, "a node was restarted"
    for n, h in cluster.items():
        log = h.check_output(f"journalctl -u mariadb --since '{since}' --no-pager -o cat")
        assert "SST received" not in log and "--role 'joiner'" not in log, f"{n} had an SST"
        assert status(h, "wsrep_cluster_size") == "3"
    return elapsed


def presented_issuer(host, port=4567):
    me = host.backend.get_hostname()
    cmd = host.run(f"openssl s_client -connect {me}:{port} -CAfile {CERTS}/ca.pem -cert {CERTS}/client-cert.pem "
                   f"-key {CERTS}/client-key.pem -verify_return_error -brief </dev/null 2>&1 >/dev/null; "
                   f"openssl s_client -connect {me}:{port} -cert {CERTS}/client-cert.pem -key {CERTS}/client-key.pem "
                   f"</dev/null 2>/dev/null | openssl x509 -noout -issuer -serial")
    return cmd.stdout


def test_leaf_rotation_reloads_without_restart(cluster):
    serials = {n: h.check_output(f"openssl x509 -in {CERTS}/server-cert.pem -noout -serial") for n, h in cluster.items()}
    elapsed = rotate(cluster, "leaf_rot")
    print(f"leaf rotation through reloads took {elapsed:.1f}s")
    for n, h in cluster.items():
        new_serial = h.check_output(f"openssl x509 -in {CERTS}/server-cert.pem -noout -serial")
        assert new_serial != serials[n]
        out = presented_issuer(h)
        assert "Verification: OK" in out and new_serial in out, f"{n} port 4567 still presents the old certificate"


def test_ca_rotation_reloads_without_restart(cluster):
    old_ca = open(os.path.join(PKI_DIR, "ca.pem")).read()
    elapsed = rotate(cluster, "ca_rot", "rotate_ca=true", '{"rotate_ca_common_name": "clustersec rotated CA"}')
    print(f"CA rotation through reloads took {elapsed:.1f}s")
    assert open(os.path.join(PKI_DIR, "ca.pem")).read() != old_ca
    for n, h in cluster.items():
        assert "clustersec rotated CA" in h.check_output(f"openssl x509 -in {CERTS}/ca.pem -noout -subject")
        assert h.check_output(f"grep -c 'BEGIN CERTIFICATE' {CERTS}/ca.pem") == "1", "old CA still trusted"
        out = presented_issuer(h)
        assert "Verification: OK" in out and "clustersec rotated CA" in out, out[-600:]
        # The old CA no longer verifies what the node presents.
        h.run_test(f"printf '%s' '{old_ca}' > /tmp/old-ca.pem")
        me = h.backend.get_hostname()
        bad = h.run(f"openssl s_client -connect {me}:4567 -CAfile /tmp/old-ca.pem -cert {CERTS}/client-cert.pem "
                    f"-key {CERTS}/client-key.pem -verify_return_error -brief </dev/null 2>&1 >/dev/null")
        assert bad.rc != 0 and "Verification: OK" not in bad.stdout


def serial_presented(host, port=4567):
    me = host.backend.get_hostname()
    return host.check_output(f"openssl s_client -connect {me}:{port} -cert {CERTS}/client-cert.pem "
                             f"-key {CERTS}/client-key.pem </dev/null 2>/dev/null | openssl x509 -noout -serial")


def files_and_pids(hosts):
    return {n: (h.check_output(f"sha256sum {CERTS}/*.pem"), h.check_output("systemctl show -p MainPID --value mariadb"))
            for n, h in hosts.items()}


def test_rotation_refuses_unreachable_node_and_wrong_names(cluster, tmp_path):
    before = files_and_pids(cluster)
    inv = tmp_path / "extra.yml"
    inv.write_text("mariadb_galera:\n  hosts:\n    node-gone:\n      ansible_connection: containers.podman.podman\n")
    proc = subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "-i", str(inv),
                           os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "rotate_certificates.yml"),
                           "-e", f"pki_dir={PKI_DIR}"], capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "fatal: [node-gone]: UNREACHABLE!" in out, out[-3000:]
    assert "rotation not finished on" in out

    proc = run_playbook("rotate_certificates.yml", f"pki_dir={PKI_DIR}", "mariadb_galera_node_address=wrong.example")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "wrong.example" in out and "not in" in out, out[-3000:]
    assert files_and_pids(cluster) == before, "a node was touched"


def test_killed_node_mid_rotation_stops_the_play_and_a_rerun_converges(cluster):
    """mariadbd is killed on the last node as soon as the first node's step begins: the next gate
    stops the play naming that node, the other two keep a Primary component and take writes, and
    once the node is back a second run finishes the rotation."""
    names = sorted(cluster)
    victim = names[-1]
    old = {n: serial_presented(h) for n, h in cluster.items()}
    root = os.environ["MOLECULE_PROJECT_DIRECTORY"]
    proc = subprocess.Popen(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                             os.path.join(root, "playbooks", "rotate_certificates.yml"), "-e", f"pki_dir={PKI_DIR}"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = []
    killed = False
    for line in proc.stdout:
        out.append(line)
        if not killed and line.startswith("PLAY [Phase 2"):
            subprocess.run(["podman", "exec", victim, "systemctl", "kill", "-s", "KILL", "mariadb"], check=True)
            killed = True
    proc.wait(600)
    text = "".join(out)
    assert killed and proc.returncode != 0, text[-3000:]
    assert "cluster is not whole" in text and victim in text, text[-3000:]
    # The two survivors still form a Primary component and accept a write.
    for n in names[:-1]:
        assert status(cluster[n], "wsrep_cluster_status") == "Primary"
    sql(cluster[names[0]], "CREATE TABLE IF NOT EXISTS enc.fault (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT); "
                           "INSERT INTO enc.fault (v) VALUES ('during the fault')")
    # systemd restarts the killed server (Restart=on-abnormal); wait for it to be Synced again.

    def victim_synced():
        up = cluster[victim].run("mariadb -e 'SELECT 1'").rc == 0
        return up and status(cluster[victim], "wsrep_local_state_comment") == "Synced"

    deadline = time.time() + 180
    while time.time() < deadline and not victim_synced():
        time.sleep(2)
    assert status(cluster[victim], "wsrep_cluster_size") == "3"
    proc = run_playbook("rotate_certificates.yml", f"pki_dir={PKI_DIR}")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    for n, h in cluster.items():
        assert serial_presented(h) != old[n], f"{n} still presents its old certificate"
    assert sql(cluster[victim], "SELECT COUNT(*) FROM enc.fault") == "1"
