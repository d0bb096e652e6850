"""Live operations on the PXC stand-in through the shared Galera engine (clustersec.mysql.galera): leaf and CA
rotation by ALTER INSTANCE RELOAD TLS and socket.ssl_reload, the report, and enable_tls_online refused for PXC.
The stand-in follows what the real server does at the TLS level (see ../README.md); no data moves, so a writer
and IST/SST are not part of these tests (the MariaDB scenario has them)."""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import encryption_report, nodes, probe_cert, run_playbook  # noqa: E402
from writer import node_ip  # noqa: E402

CERTS = "/etc/mysql/certs"
PKI_DIR = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp"), "pki")


@pytest.fixture(scope="module")
def cluster():
    return nodes("pxc")


def pids(cluster):
    return {n: h.check_output("systemctl show -p MainPID --value mysql.service mysql@bootstrap.service")
            for n, h in cluster.items()}


def sizes(cluster):
    return {n: h.check_output("mysql -N -B -e \"SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'\"").split("\t")[1]
            for n, h in cluster.items()}


def presented_serial(address, port=4567):
    """The serial of the certificate the node presents, read from the host with the controller's node cert."""
    me = os.path.join(PKI_DIR, "nodes", "pxc1")
    res = subprocess.run(f"openssl s_client -connect {address}:{port} -cert {me}/server-cert.pem -key {me}/server-key.pem "
                         "</dev/null 2>/dev/null | openssl x509 -noout -serial", shell=True, capture_output=True,
                         text=True, check=False, timeout=30)
    return res.stdout.strip()


def accepts(address, port, cert, key):
    cmd = ["openssl", "s_client", "-tls1_2", "-connect", f"{address}:{port}", "-cert", cert, "-key", key]
    if port == 3306:
        cmd[2:2] = ["-starttls", "mysql"]
    res = subprocess.run(cmd, input=b"", capture_output=True, check=False, timeout=30)
    # The stand-in's 4567 answers one line after the handshake and closes, so s_client may end non-zero on the EOF:
    # the line itself proves the handshake (with our certificate verified) completed.
    ok = res.returncode == 0 or (port == 4567 and b'"cluster_name"' in res.stdout)
    return ok, (res.stdout[-300:] + res.stderr[-500:]).decode("utf-8", "replace")


def test_leaf_rotation_reloads_without_restart(cluster):
    addresses = {n: node_ip(n) for n in cluster}
    before = {n: presented_serial(addresses[n]) for n in cluster}
    started = pids(cluster)
    proc = run_playbook("rotate_certificates.yml", f"pki_dir={PKI_DIR}", "clustersec_hosts=pxc")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert pids(cluster) == started, "a node was restarted for a leaf rotation"
    assert "restarting instead of reloading" not in out
    assert set(sizes(cluster).values()) == {"3"}
    for n, h in cluster.items():
        on_disk = h.check_output(f"openssl x509 -in {CERTS}/server-cert.pem -noout -serial")
        assert before[n] and on_disk != before[n], f"{n}: the certificate on disk did not change"
        assert presented_serial(addresses[n]) == on_disk, f"{n}:4567 still presents the old certificate"


def test_ca_rotation_ends_with_the_previous_ca_refused(cluster, tmp_path):
    """Control first: a certificate of the current CA is accepted on 4567. After the CA rotation the same
    certificate is refused there on every node; where the reload kept the old CA trusted (galera's grow-only trust
    store, which the stand-in models) phase 4 restarted that node once."""
    addresses = {n: node_ip(n) for n in cluster}
    peer = probe_cert(tmp_path, os.path.join(PKI_DIR, "ca.pem"), os.path.join(PKI_DIR, "ca-key.pem"), "old-peer")
    for n in cluster:
        ok, out = accepts(addresses[n], 4567, *peer)
        assert ok, f"control: {n}:4567 refuses a certificate of the current cluster CA: {out}"
    before = pids(cluster)
    proc = run_playbook("rotate_certificates.yml", f"pki_dir={PKI_DIR}", "clustersec_hosts=pxc", "rotate_ca=true",
                        '{"rotate_ca_common_name": "clustersec rotated PXC CA"}')
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    after = pids(cluster)
    restarted = sorted(n for n in cluster if after[n] != before[n])
    # The stand-in keeps every CA it loaded until it restarts, as galera-4 does: phase 4 must find that and restart.
    assert restarted == sorted(cluster), f"phase 4 restarted {restarted}: the old CA was assumed gone"
    assert out.count("still accepts previous-CA on group-communication") == len(cluster), out[-3000:]
    assert set(sizes(cluster).values()) == {"3"}
    for n, h in cluster.items():
        assert "clustersec rotated PXC CA" in h.check_output(f"openssl x509 -in {CERTS}/ca.pem -noout -subject")
        assert h.check_output(f"grep -c 'BEGIN CERTIFICATE' {CERTS}/ca.pem") == "1", "old CA still in ca.pem"
        ok, msg = accepts(addresses[n], 4567, *peer)
        assert not ok, f"{n}:4567 still accepts the previous cluster CA: {msg}"
    assert os.path.exists(os.path.join(PKI_DIR, "previous", "probe", "previous-ca-probe", "server-cert.pem"))


def test_report_presents_the_previous_ca_and_it_is_refused(cluster, tmp_path):
    proc, report = encryption_report(tmp_path, f"pki_dir={PKI_DIR}", "clustersec_hosts=pxc")
    assert proc.returncode == 0, proc.stdout[-3000:]
    print(json.dumps(report, indent=1)[:6000])
    for name in cluster:
        ch = {c["channel"]: c for c in report["nodes"][name]}
        gcomm, client = ch["group-communication"], ch["client-server"]
        assert gcomm["status"] == "green", gcomm
        # 3306: TLS verified, a plaintext login refused (proven by the expired probe account's TLS control login),
        # the previous client CA refused; automatic mode trusts the cluster CA there (docs/pxc.md).
        assert client["status"] == "green", client
        assert client["refused_certs"]["previous-client-CA"]["refused"] is True
        assert gcomm["refused_certs"]["previous-CA"]["refused"] is True
        assert gcomm["refused_certs"]["client-certificate"]["refused"] is True
        assert cluster[name].run("test -e /run/clustersec-probe").rc != 0, "probe certificates left on the node"


def test_enable_tls_online_refuses_pxc_before_touching_a_node(cluster):
    before = {n: (h.check_output("sha256sum /etc/mysql/mysql.conf.d/*.cnf"), pids(cluster)[n]) for n, h in cluster.items()}
    proc = run_playbook("enable_tls_online.yml")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "is a PXC node" in out and "pxc_toggle_cluster_encryption.yml" in out, out[-3000:]
    after = {n: (h.check_output("sha256sum /etc/mysql/mysql.conf.d/*.cnf"), pids(cluster)[n]) for n, h in cluster.items()}
    assert after == before
