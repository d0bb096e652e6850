"""A plain Galera cluster of three nodes is whole: size 3, Primary, Synced on every node."""
import os
import sys


sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import podman_hosts, sql, status  # noqa: E402

testinfra_hosts = podman_hosts()


def test_cluster_size_is_three(host):
    assert status(host, "wsrep_cluster_size") == "3"


def test_node_synced_in_primary(host):
    assert status(host, "wsrep_local_state_comment") == "Synced"
    assert status(host, "wsrep_cluster_status") == "Primary"


def test_operator_provider_options_kept(host):
    opts = sql(host, "SELECT @@wsrep_provider_options")
    assert "gcache.size = 64M" in opts
    assert "gcs.fc_limit = 32" in opts


def test_replication_works(host):
    sql(host, "CREATE DATABASE IF NOT EXISTS smoke; CREATE TABLE IF NOT EXISTS smoke.t (id INT PRIMARY KEY, h VARCHAR(64))")
    name = host.backend.get_hostname()
    sql(host, f"REPLACE INTO smoke.t VALUES ({ord(name[-1])}, '{name}')")
    assert name in sql(host, "SELECT h FROM smoke.t")


def test_control_marker_visible_on_plain_cluster():
    """Control case for the encryption scenarios: on a plain cluster the capture DOES show a
    marker written on one node and replicated (port 4567), so 'marker absent' can fail."""
    from capture import Capture
    from galera import nodes

    hosts = nodes()
    first = hosts[sorted(hosts)[0]]
    marker = "clustersec-plain-marker-7f3a"
    with Capture() as cap:
        sql(first, "CREATE DATABASE IF NOT EXISTS smoke; CREATE TABLE IF NOT EXISTS smoke.m (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT)")
        sql(first, f"INSERT INTO smoke.m (v) VALUES ('{marker}')")
    try:
        assert cap.count(marker) > 0, "plain cluster: marker not seen, so the capture cannot prove anything"
        assert 4567 in cap.ports_seen()
    finally:
        cap.remove()


def test_control_report_red_on_plain_cluster(tmp_path):
    """The encryption report on an unencrypted cluster is red and strict fails."""
    from galera import encryption_report

    proc, report = encryption_report(tmp_path, "verify_encryption_strict=true",
                                     "verify_encryption_create_probe_user=true")
    assert proc.returncode != 0
    assert report["summary"]["status"] == "red"
    for channels in report["nodes"].values():
        by = {c["channel"]: c for c in channels}
        assert by["client-server"]["encrypted"] is False and by["client-server"]["status"] == "red"
        assert by["group-communication"]["encrypted"] is False
