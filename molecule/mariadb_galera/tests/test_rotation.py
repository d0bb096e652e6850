"""Certificate and CA rotation on the running encrypted cluster, with a client writing every 100 ms
over TLS: zero failed writes, rows equal to acknowledged writes, no SST; a leaf rotation restarts
nothing, a CA rotation restarts each node once (galera cannot drop a trusted CA on reload), and
afterwards every channel presents a certificate of the new CA and refuses the previous CAs."""
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import nodes, probe_cert as _probe_cert, run_playbook, sql, status  # noqa: E402

CERTS = "/etc/mysql/certs"
PKI_DIR = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp"), "pki")
WRITER_PW = "w-" + uuid.uuid4().hex[:12]
REFUSAL = re.compile(r"alert (unknown ca|decrypt error|bad certificate|certificate unknown)", re.I)


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
    cmd = host.run(f"openssl s_client -connect {me}:{port} -CAfile {CERTS}/ca.pem -cert {CERTS}/server-cert.pem "
                   f"-key {CERTS}/server-key.pem -verify_return_error -brief </dev/null 2>&1 >/dev/null; "
                   f"openssl s_client -connect {me}:{port} -cert {CERTS}/server-cert.pem -key {CERTS}/server-key.pem "
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


def _accepts(address, port, cert, key):
    """From the host, TLS 1.2 (the server's verdict on our certificate is part of the handshake)."""
    cmd = ["openssl", "s_client", "-tls1_2", "-connect", f"{address}:{port}", "-cert", cert, "-key", key]
    if port == 3306:
        cmd[2:2] = ["-starttls", "mysql"]
    # Galera's greeting is binary; only the text of openssl's verdict matters.
    res = subprocess.run(cmd, input=b"", capture_output=True, check=False, timeout=30)
    return res.returncode == 0, (res.stdout[-300:] + res.stderr[-500:]).decode("utf-8", "replace")


def test_ca_rotation_refuses_the_previous_ca_everywhere(cluster, tmp_path):
    """CA rotation under a writer that fails over like an application behind a Galera-aware proxy:
    0 failed writes, rows equal to acknowledged writes, no SST. Before: certificates of the current
    cluster CA and client CA are accepted on 4567 and 3306 of every node (control). After: the same
    certificates are refused on both ports of every node, since phase 4 found group communication
    still trusting the old CA after the reloads and restarted each node once (rejoining by IST)."""
    from writer import Writer, node_ip

    names = sorted(cluster)
    old_ca = open(os.path.join(PKI_DIR, "ca.pem")).read()
    peer = _probe_cert(tmp_path, os.path.join(PKI_DIR, "ca.pem"), os.path.join(PKI_DIR, "ca-key.pem"), "old-peer")
    client = _probe_cert(tmp_path, os.path.join(PKI_DIR, "client-ca.pem"), os.path.join(PKI_DIR, "client-ca-key.pem"),
                         "old-client")
    addresses = {n: node_ip(n) for n in names}
    for n in names:
        ok, out = _accepts(addresses[n], 4567, *peer)
        assert ok, f"control: {n}:4567 refuses a certificate of the current cluster CA: {out}"
        ok, out = _accepts(addresses[n], 3306, *client)
        assert ok, f"control: {n}:3306 refuses a certificate of the current client CA: {out}"
    sql(cluster[names[0]], "DROP TABLE IF EXISTS enc.ca_rot; CREATE TABLE enc.ca_rot (id INT PRIMARY KEY, v TEXT)")
    since = cluster[names[0]].check_output("date '+%Y-%m-%d %H:%M:%S'")
    before = pids(cluster)
    writer = Writer(names, "writer", WRITER_PW, "enc.ca_rot",
                    [os.path.join(PKI_DIR, "ca.pem"), os.path.join(PKI_DIR, "next", "ca.pem")])
    writer.start()
    time.sleep(1)
    t0 = time.monotonic()
    proc = run_playbook("rotate_certificates.yml", f"pki_dir={PKI_DIR}", "rotate_ca=true",
                        '{"rotate_ca_common_name": "clustersec rotated CA"}')
    elapsed = time.monotonic() - t0
    time.sleep(1)
    writer.stop.set()
    writer.join(90)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    print(f"CA rotation took {elapsed:.1f}s; {len(writer.acked)} writes, {writer.retried} retried on another node")
    assert not writer.failed, f"writes no node committed: {writer.failed[:20]}"
    assert len(writer.acked) > 20
    assert sql(cluster[names[2]], "SELECT COUNT(*) FROM enc.ca_rot") == str(len(writer.acked))
    assert open(os.path.join(PKI_DIR, "ca.pem")).read() != old_ca
    after = pids(cluster)
    assert all(after[n] != before[n] for n in names), "phase 4 restarted no node: the old CA was assumed gone"
    assert proc.stdout.count("still accepts previous-CA on group-communication") == len(names), proc.stdout[-3000:]
    for n, h in cluster.items():
        log = h.check_output(f"journalctl -u mariadb --since '{since}' --no-pager -o cat")
        assert "--role 'joiner'" not in log or "IST received" in log, f"{n} needed an SST"
        assert status(h, "wsrep_cluster_size") == "3"
        assert "clustersec rotated CA" in h.check_output(f"openssl x509 -in {CERTS}/ca.pem -noout -subject")
        assert h.check_output(f"grep -c 'BEGIN CERTIFICATE' {CERTS}/ca.pem") == "1", "old CA still in ca.pem"
        assert h.check_output(f"grep -c 'BEGIN CERTIFICATE' {CERTS}/client-ca.pem") == "1"
        out = presented_issuer(h)
        assert "Verification: OK" in out and "clustersec rotated CA" in out, out[-600:]
        # The server's verdict is a TLS alert (galera answers "decrypt error" or "unknown ca", MariaDB "unknown ca").
        ok, out = _accepts(addresses[n], 4567, *peer)
        assert not ok and REFUSAL.search(out), f"{n}:4567 still accepts the previous cluster CA: {out}"
        ok, out = _accepts(addresses[n], 3306, *client)
        assert not ok and REFUSAL.search(out), f"{n}:3306 still accepts the previous client CA: {out}"
    # The controller keeps probe certificates of the previous CAs; the report presents them.
    assert os.path.exists(os.path.join(PKI_DIR, "previous", "probe", "previous-ca-probe", "server-cert.pem"))


def test_report_presents_the_previous_ca_and_it_is_refused(cluster, tmp_path):
    from galera import encryption_report

    proc, report = encryption_report(tmp_path, f"pki_dir={PKI_DIR}", "verify_encryption_strict=true")
    assert proc.returncode == 0, proc.stdout[-3000:]
    for name in cluster:
        ch = {c["channel"]: c for c in report["nodes"][name]}
        assert ch["group-communication"]["refused_certs"]["previous-CA"]["refused"] is True
        assert ch["client-server"]["refused_certs"]["previous-client-CA"]["refused"] is True
        assert cluster[name].run("test -e /run/clustersec-probe").rc != 0, "probe certificates left on the node"


def test_ca_rotation_with_the_restart_opt_out_reloads_only_and_reports_amber(cluster, tmp_path):
    """With the opt-out previous_ca_until_restart a CA rotation restarts no node (PIDs kept, 0 failed writes, no
    SST); group communication still accepts the previous CA, and the report says so amber, naming the opt-out.
    Control: the same cluster reported without the opt-out is red."""
    from galera import encryption_report

    optout = '{"mariadb_galera_allow_insecure": ["previous_ca_until_restart"]}'
    rotate(cluster, "ca_optout", "rotate_ca=true", optout)
    proc, report = encryption_report(tmp_path / "optout", f"pki_dir={PKI_DIR}", optout)
    assert proc.returncode == 0 and report, proc.stdout[-3000:]
    proc, control = encryption_report(tmp_path / "control", f"pki_dir={PKI_DIR}")
    assert proc.returncode == 0 and control, proc.stdout[-3000:]
    for name in cluster:
        ch = {c["channel"]: c for c in report["nodes"][name]}
        gc = ch["group-communication"]
        assert gc["refused_certs"]["previous-CA"]["refused"] is False, gc
        assert gc["status"] == "amber" and "accepted opt-out previous_ca_until_restart" in " ".join(gc["findings"]), gc
        assert ch["client-server"]["refused_certs"]["previous-client-CA"]["refused"] is True
        assert {c["channel"]: c for c in control["nodes"][name]}["group-communication"]["status"] == "red"


def serial_presented(host, port=4567):
    me = host.backend.get_hostname()
    return host.check_output(f"openssl s_client -connect {me}:{port} -cert {CERTS}/server-cert.pem "
                             f"-key {CERTS}/server-key.pem </dev/null 2>/dev/null | openssl x509 -noout -serial")


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
        if not killed and line.startswith("TASK [") and "Phase 2 of 4" in line:
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


def _key_lines(path):
    """The base64 body lines of a PEM key: any one of them in a log is a leak."""
    return [ln.strip() for ln in open(path) if ln.strip() and not ln.startswith("-----")]


def test_no_key_material_or_password_in_vvv_diff_output(cluster, tmp_path):
    """The pki role (converge) and a CA rotation at -vvv --diff: no line of any key body on the
    controller (current, previous, probe keys) or on the nodes appears in the output. Control: the same
    grep finds a key line in a text that contains one."""
    import glob

    scen = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
    out = []
    res = subprocess.run(["ansible-playbook", "-vvv", "--diff", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                          os.path.join(scen, "converge.yml")], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    out.append(res.stdout + res.stderr)
    res = subprocess.run(["ansible-playbook", "-vvv", "--diff", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                          os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "rotate_certificates.yml"),
                          "-e", f"pki_dir={PKI_DIR}", "-e", "rotate_ca=true"], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    out.append(res.stdout + res.stderr)
    text = "\n".join(out)
    keys = glob.glob(os.path.join(PKI_DIR, "**", "*key.pem"), recursive=True)
    assert len(keys) >= 8, keys
    leaked = [(p, ln) for p in keys for ln in _key_lines(p) if len(ln) >= 40 and ln in text]
    assert leaked == [], f"key material in the output: {leaked[:3]}"
    for name in cluster:
        body = subprocess.run(["podman", "exec", name, "cat", f"{CERTS}/server-key.pem"], capture_output=True,
                              text=True, check=True).stdout
        assert not [ln for ln in body.splitlines() if len(ln) >= 40 and not ln.startswith("-----") and ln in text]
    control = _key_lines(keys[0])[1]
    assert control in ("noise\n" + control + "\nnoise"), "control: the grep cannot find a key line"


# converge.yml's settings, so site.yml converges to the same cluster.
SITE_VARS = [f"pki_dir={PKI_DIR}", json.dumps({"mariadb_galera_sst_method": "mariabackup",
                                               "mariadb_galera_require_secure_transport": True,
                                               "mariadb_galera_wsrep_provider_options": "gcache.size=64M; gcs.fc_limit=32"})]
DROP_IN = "/etc/mysql/mariadb.conf.d/60-clustersec-galera.cnf"


def test_idempotent_site_skips_the_roles_and_drift_takes_the_full_path(cluster):
    """site.yml on a converged cluster: one read-only call per node finds nothing to do, the roles are skipped,
    changed=0, no restart. Control: on one node the key made readable by others and a line added to the drop-in
    fail that check; the full path runs, restores both and restarts only that node; a third run is fast again."""
    names = sorted(cluster)
    assert run_playbook("site.yml", *SITE_VARS).returncode == 0
    before = pids(cluster)
    proc = run_playbook("site.yml", *SITE_VARS)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "the roles are skipped" in proc.stdout, proc.stdout[-3000:]
    assert re.findall(r"changed=(\d+)", proc.stdout) == ["0"] * len(names), proc.stdout[-1500:]
    assert pids(cluster) == before

    victim = cluster[names[1]]
    victim.run_test(f"chmod 0644 {CERTS}/server-key.pem")
    victim.run_test(f"echo '# added by hand' >> {DROP_IN}")
    proc = run_playbook("site.yml", *SITE_VARS)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "the roles are skipped" not in proc.stdout
    assert victim.check_output(f"stat -c %a {CERTS}/server-key.pem") == "640"
    assert "added by hand" not in victim.check_output(f"cat {DROP_IN}")
    after = pids(cluster)
    assert after[names[1]] != before[names[1]], "the changed drop-in was not applied"
    assert all(after[n] == before[n] for n in names if n != names[1]), "a node without a change was restarted"
    assert "the roles are skipped" in run_playbook("site.yml", *SITE_VARS).stdout


def test_rotation_keeps_a_protected_ca_protected_and_uses_the_pki_settings(cluster, tmp_path):
    """CA rotation from a pki_dir whose CA keys are passphrase-protected, with ECDSA node keys and a
    400-day validity set as pki role settings: the new CA keys are stored encrypted, the node
    certificates follow the settings, the cluster ends on the new CAs. (The molecule pki_dir then
    takes the rotated set so later runs stay consistent.)"""
    import shutil

    work = tmp_path / "pki"
    shutil.copytree(PKI_DIR, work)
    secret = "ca-" + uuid.uuid4().hex[:16]
    for name in ("ca-key.pem", "client-ca-key.pem"):
        plain = work / name
        subprocess.run(["openssl", "pkey", "-in", str(plain), "-aes256", "-passout", f"pass:{secret}",
                        "-out", str(plain) + ".enc"], check=True, capture_output=True)
        os.replace(str(plain) + ".enc", str(plain))
    proc = subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                           os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "rotate_certificates.yml"),
                           "-e", f"pki_dir={work}", "-e", "rotate_ca=true", "-e",
                           json.dumps({"pki_ca_passphrase": secret, "pki_key_type": "ecdsa", "pki_valid_days": 400})],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert secret not in proc.stdout + proc.stderr
    for name in ("ca-key.pem", "client-ca-key.pem"):
        assert "ENCRYPTED PRIVATE KEY" in (work / name).read_text(), f"{name} is stored unencrypted"
        assert subprocess.run(["openssl", "pkey", "-in", str(work / name), "-passin", "pass:wrong", "-noout"],
                              capture_output=True, check=False).returncode != 0
    for n, h in cluster.items():
        text = h.check_output(f"openssl x509 -in {CERTS}/server-cert.pem -noout -text")
        assert "id-ecPublicKey" in text, f"{n}: node key is not ECDSA"
        days = h.check_output(f"openssl x509 -in {CERTS}/server-cert.pem -noout -checkend {401 * 86400} || true")
        assert "will expire" in days, f"{n}: validity is not the pki setting of 400 days"
        assert status(h, "wsrep_cluster_size") == "3"
    shutil.rmtree(PKI_DIR)
    shutil.copytree(work, PKI_DIR)
