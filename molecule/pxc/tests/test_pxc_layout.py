"""The pxc role on three nodes laid out like Percona XtraDB Cluster 8.0 nodes, running the scenario's STAND-IN
server and client (not PXC, see ../README.md): what the role wrote, that the stand-in runs with it on every
node, and that bad input or a mode change on the running cluster stops the play before any node is changed."""
import concurrent.futures
import os
import re
import subprocess

import pytest
import testinfra

NAMES = ["pxc1", "pxc2", "pxc3"]
testinfra_hosts = ["podman://" + n for n in NAMES]

DROPIN = "/etc/mysql/mysql.conf.d/60-clustersec-pxc.cnf"
DATADIR = "/var/lib/mysql"
STARTED = "/run/mysqld/pxc-standin/started/etc__mysql__mysql.conf.d__60-clustersec-pxc.cnf"
STANDIN = "/usr/local/sbin/pxc-standin-mysqld"


def mysqld_options(host):
    """[mysqld] of our drop-in as {option: value}."""
    options, section = {}, None
    for line in host.file(DROPIN).content_string.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "mysqld" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            options[key.strip()] = value.strip()
    return options


def status(host):
    out = host.check_output("mysql -N -B -e \"SHOW GLOBAL STATUS LIKE 'wsrep_%'\"")
    return dict(line.split("\t", 1) for line in out.splitlines())


def converge(extra):
    """ansible-playbook converge.yml (site.yml), pxc role only (the pki role's files are in place and idempotent, and the
    scenario has 4 minutes), with extra vars; (rc, stdout and stderr)."""
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--tags", "config,restart",
           os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")]
    for item in extra:
        cmd += ["-e", item]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def snapshot(hosts):
    """Per node: our drop-in's checksum and the PIDs of the stand-in units; a change or a restart alters it."""
    return {n: h.check_output(f"sha256sum {DROPIN}; systemctl show -p MainPID --value mysql.service mysql@bootstrap.service")
            for n, h in hosts.items()}


@pytest.fixture(scope="module")
def hosts():
    return {n: testinfra.get_host("podman://" + n) for n in NAMES}


@pytest.fixture(scope="module", autouse=True)
def refused_runs(hosts):
    """Two converges that must be refused, started before the first test and run in the background while the
    read-only checks below run (the scenario has 4 minutes): a missing certificate file, and a mode change on the
    running cluster. Both only read the nodes; the snapshot of every node is taken before they start."""
    before = snapshot(hosts)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        yield {"before": before,
               "missing_cert": pool.submit(converge, ["pxc_tls_key=/etc/mysql/certs/missing.pem"]),
               "mode_change": pool.submit(converge, ["pxc_encrypt_mode=manual"])}


@pytest.fixture(scope="module")
def bad_runs(refused_runs, hosts):
    """The results of both refused runs and a snapshot of every node after both finished."""
    results = {k: refused_runs[k].result() for k in ("missing_cert", "mode_change")}
    return dict(results, before=refused_runs["before"], after=snapshot(hosts))


def test_dropin_encrypts_cluster_traffic_with_files_mysql_can_read(host):
    f = host.file(DROPIN)
    assert f.is_file and f.user == "root" and f.mode == 0o644
    assert "-----BEGIN" not in f.content_string, "key material in the drop-in"
    opts = mysqld_options(host)
    assert opts.get("pxc-encrypt-cluster-traffic") == "ON"
    assert opts.get("wsrep_cluster_address") == "gcomm://" + ",".join(NAMES)
    paths = [opts.get(o) for o in ("ssl-ca", "ssl-cert", "ssl-key")]
    assert all(p and p.startswith("/etc/mysql/certs/") for p in paths), paths
    check = host.run("runuser -u mysql -- sh -c '%s'" % " && ".join(f"test -f {p} && test -r {p}" for p in paths))
    assert check.rc == 0, f"one of {paths} is missing or not readable by mysql"


def test_dhparams_in_datadir(host):
    f = host.file(f"{DATADIR}/dhparams.pem")
    assert f.is_file and f.user == "mysql" and f.mode == 0o640
    first = host.check_output(f"openssl dhparam -in {DATADIR}/dhparams.pem -text -noout | head -1")
    match = re.search(r"\((\d+) bit\)", first)
    assert match and int(match.group(1)) >= 2048, first


def test_standin_runs_with_the_dropin_on_disk(host):
    out = host.check_output("systemctl show -p ActiveState -p MainPID -p FragmentPath mysql.service; "
                            "systemctl is-active mysql@bootstrap.service || true")
    props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    assert props["ActiveState"] == "active", out
    assert props["FragmentPath"] == "/etc/systemd/system/mysql.service", out
    assert out.splitlines()[-1] == "inactive", "the first node was not handed over to mysql.service"
    cmdline = host.file(f"/proc/{props['MainPID']}/cmdline").content_string.replace("\0", " ")
    assert STANDIN in cmdline, cmdline
    started, on_disk = host.check_output(f"sha256sum < {STARTED}; sha256sum < {DROPIN}").splitlines()
    assert started == on_disk, "the running server started with another drop-in than the one on disk"


def test_standin_cluster_is_whole_and_encrypted(host):
    st = status(host)
    assert st["wsrep_cluster_size"] == "3", st
    assert (st["wsrep_cluster_status"], st["wsrep_local_state_comment"], st["wsrep_ready"]) == ("Primary", "Synced", "ON")
    out = host.check_output("mysql -N -B -e 'SELECT @@pxc_encrypt_cluster_traffic; SELECT @@wsrep_provider_options'")
    assert out.splitlines()[0] == "1"
    assert "socket.ssl = YES" in out


def _handshake(host, cert, key):
    """(accepted, output). The stand-in answers one line and closes without close_notify, which
    s_client may report as an error after a completed handshake: the verdict is what the handshake
    printed, not s_client's exit status."""
    me = host.backend.get_hostname()
    out = host.run(f"openssl s_client -tls1_2 -connect {me}:4567 -cert {cert} -key {key} </dev/null 2>&1").stdout
    accepted = bool(re.search(r"Cipher is ECDHE-", out)) and not re.search(r"alert (unknown ca|bad certificate)", out)
    return accepted, out


def test_client_certificate_is_no_peer_and_only_profile_suites(host):
    """The gcomm listener (with the role's socket.ssl_cipher) refuses the node's client certificate (client CA),
    accepts its node certificate (control), and an outside scanner sees only forward-secret AEAD suites."""
    certs = "/etc/mysql/certs"
    accepted, out = _handshake(host, f"{certs}/client-cert.pem", f"{certs}/client-key.pem")
    assert not accepted and "unknown ca" in out.lower(), out[-600:]
    accepted, out = _handshake(host, f"{certs}/server-cert.pem", f"{certs}/server-key.pem")
    assert accepted, out[-600:]
    served = host.check_output("mysql -N -B -e 'SELECT @@wsrep_provider_options'")
    assert ("socket.ssl_cipher = ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
            "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") in served
    me = host.backend.get_hostname()
    address = subprocess.run(["podman", "exec", me, "hostname", "-I"], capture_output=True, text=True,
                             check=True).stdout.split()[0]
    scan = subprocess.run(["nmap", "-Pn", "-p", "4567", "--script", "ssl-enum-ciphers", address],
                          capture_output=True, text=True, check=True).stdout
    assert "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" in scan, scan
    assert not re.search(r"TLSv1\.[01]:|_CBC_|TLS_RSA_WITH", scan), scan


def test_standin_refuses_a_missing_certificate(host):
    """The stand-in itself refuses to start, as PXC does, when a file of the lookup is missing (checked with its
    --validate-config on a copy of the configuration, so the running server is not touched)."""
    cnf = "/tmp/pxc-standin-missing-key.cnf"
    host.check_output(f"sed 's#^ssl-key = .*#ssl-key = /etc/mysql/certs/missing.pem#' {DROPIN} > {cnf} && chmod 0644 {cnf}")
    try:
        bad = host.run(f"runuser -u mysql -- {STANDIN} --defaults-file={cnf} --validate-config")
        good = host.run(f"runuser -u mysql -- {STANDIN} --defaults-file={DROPIN} --validate-config")
    finally:
        host.run(f"rm -f {cnf}")
    assert bad.rc != 0 and "/etc/mysql/certs/missing.pem" in bad.stderr, bad.stderr
    assert good.rc == 0, good.stderr


def test_missing_certificate_stops_the_play_before_any_change(bad_runs):
    rc, out = bad_runs["missing_cert"]
    assert rc != 0, out[-3000:]
    assert "/etc/mysql/certs/missing.pem does not exist" in out, out[-3000:]
    assert any(f"{n}: automatic mode" in out for n in NAMES), "the message does not name a node"
    assert bad_runs["after"] == bad_runs["before"], "a node was changed or restarted"


def test_mode_change_on_running_cluster_refused(bad_runs, hosts):
    rc, out = bad_runs["mode_change"]
    assert rc != 0, out[-3000:]
    assert "replication-traffic encryption or the keyring would change" in out, out[-3000:]
    assert "pxc-encrypt-cluster-traffic ON -> OFF" in out, out[-3000:]
    assert any(f"{n}: replication-traffic" in out for n in NAMES), "the message does not name a node"
    assert bad_runs["after"] == bad_runs["before"], "a node was changed or restarted"
    for h in hosts.values():
        assert status(h)["wsrep_cluster_size"] == "3"
