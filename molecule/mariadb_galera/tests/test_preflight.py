"""Bad input stops the play on every node before anything is changed or restarted, with a message
naming the node and the cause."""
import os
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import nodes  # noqa: E402

DROPIN = "/etc/mysql/mariadb.conf.d/60-clustersec-galera.cnf"


def converge(*extra, inventory_extra=None):
    scen = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"]]
    if inventory_extra:
        cmd += ["-i", inventory_extra]
    cmd.append(os.path.join(scen, "converge.yml"))
    for item in extra:
        cmd += ["-e", item]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def snapshot(hosts):
    """Our drop-in's and the certificate files' checksums and the server's PID per node: any change or
    restart alters it."""
    return {n: (h.check_output(f"sha256sum {DROPIN} /etc/mysql/certs/*.pem"),
                h.check_output("systemctl show -p MainPID --value mariadb")) for n, h in hosts.items()}


@pytest.fixture(scope="module")
def hosts():
    return nodes()


@pytest.mark.parametrize("extra,cause", [
    (["mariadb_galera_sst_method=xtrabackup-v9"], "mariadb_galera_sst_method must be one of: mariabackup, rsync, rsync_tunnel, got: xtrabackup-v9"),
    (["mariadb_galera_wsrep_provider_options=gcache.size"], "'gcache.size' is not key=value"),
    (["mariadb_galera_bind_address=wrong.example"], "name wrong.example is not in the certificate"),
    (["mariadb_galera_tls_key=/etc/mysql/certs/missing-key.pem"], "missing-key.pem"),
    # Secure defaults: a weakening without its named opt-out, and what no opt-out can make work.
    (["mariadb_galera_require_secure_transport=false"], "add 'plaintext_clients' to the allow_insecure list"),
    (['{"mariadb_galera_tls_versions": ["TLSv1.1", "TLSv1.2"]}'], "TLS versions TLSv1.1 are below TLS 1.2"),
    (["mariadb_galera_gcomm_cipher=AES128-SHA"], "group-communication: cipher string 'AES128-SHA' admits suites"),
    (["mariadb_galera_tls_cipher=NOT-A-SUITE", '{"mariadb_galera_allow_insecure": ["weak_tls"]}'],
     "cipher string 'NOT-A-SUITE' selects no TLS 1.2 suite (no opt-out accepts this)"),
    (['{"mariadb_galera_allow_insecure": ["everything"]}'], "mariadb_galera_allow_insecure"),
    # A client certificate the cluster CA signed would be a cluster peer.
    (["mariadb_galera_tls_client_cert=/etc/mysql/certs/server-cert.pem",
      "mariadb_galera_tls_client_key=/etc/mysql/certs/server-key.pem"], "which it must not be"),
    (["pki_byo=true", "pki_byo_ca_cert={{ pki_dir }}/ca.pem",
      "pki_byo_cert={{ pki_dir }}/nodes/{{ inventory_hostname }}/server-cert.pem",
      "pki_byo_key={{ pki_dir }}/nodes/{{ inventory_hostname }}/server-key.pem",
      "pki_byo_client_cert={{ pki_dir }}/nodes/{{ inventory_hostname }}/server-cert.pem",
      "pki_byo_client_key={{ pki_dir }}/nodes/{{ inventory_hostname }}/server-key.pem",
      "pki_byo_client_ca_cert={{ pki_dir }}/ca.pem"], "pki_byo_client_cert: certificate"),
    # Overrides must not replace or weaken our TLS settings.
    (['{"mariadb_galera_config_overrides": {"sst": {"ssl-mode": "DISABLED"}}}'],
     "mariadb_galera_config_overrides[sst][ssl-mode]=DISABLED turns SST encryption off"),
    (['{"mariadb_galera_config_overrides": {"sst": {"encrypt": 3}}}'], "[sst][encrypt]=3 is weaker than encrypt=4"),
    (['{"mariadb_galera_config_overrides": {"mysqld": {"wsrep_provider_options": "socket.ssl=no"}}}'],
     "would replace a TLS setting of ours"),
    (['{"mariadb_galera_config_overrides": {"sst": {"sockopt": "verify=0"}}}'], "contains verify=0"),
])
def test_bad_input_stops_before_any_change(hosts, extra, cause):
    before = snapshot(hosts)
    proc = converge(*extra)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert cause in out, out[-3000:]
    assert any(f"{n}:" in out or f"[{n}]" in out for n in hosts), "the message does not name a node"
    assert snapshot(hosts) == before, "a node was changed or restarted"


def test_nodes_with_different_cas_refused(hosts):
    last = sorted(hosts)[-1]
    h = hosts[last]
    h.run_test("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca "
               "-keyout /tmp/other-ca-key.pem -out /etc/mysql/certs/other-ca.pem && chmod 0644 /etc/mysql/certs/other-ca.pem")
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as inv:
        inv.write(f"all:\n  hosts:\n    {last}:\n      mariadb_galera_tls_ca: /etc/mysql/certs/other-ca.pem\n")
    before = snapshot(hosts)
    try:
        proc = converge(inventory_extra=inv.name)
        after = snapshot(hosts)
    finally:
        os.unlink(inv.name)
        h.run("rm -f /etc/mysql/certs/other-ca.pem /tmp/other-ca-key.pem")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "do not share one CA" in out or "chain does not verify" in out, out[-3000:]
    assert after == before


def test_rsync_sst_without_a_stunnel_command_refused(hosts):
    """MariaDB's rsync SST runs 'stunnel' by that name and sends plaintext without it; a node with only
    stunnel4 is refused, naming the node, and the other nodes report no false second cause."""
    last = sorted(hosts)[-1]
    h = hosts[last]
    h.run_test("mv /usr/bin/stunnel /usr/bin/stunnel.moved && command -v stunnel4")
    before = snapshot(hosts)
    try:
        proc = converge("sst_method=rsync")
        after = snapshot(hosts)
    finally:
        h.run_test("mv /usr/bin/stunnel.moved /usr/bin/stunnel")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"{last}: SST method rsync needs stunnel" in out, out[-3000:]
    assert "do not share one CA" not in out, "a false second cause"
    assert after == before
