"""Before the other checks: the plays reach the nodes over SSH as ops with sudo, from the installed tarball, and
--check of site.yml and enable_tls_online.yml runs to the end, says per node what it would do, and changes nothing
(node files, server PIDs, the controller's pki_dir). The control that the snapshot can see a change is in
test_tls_online.py: the real run changes it."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import node_names, node_snapshot, run_playbook, tree_snapshot  # noqa: E402

PKI_DIR = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki")
PROVIDER = "mariadb_galera_wsrep_provider_options='gcache.size=64M; gcs.fc_limit=32'"


def test_the_plays_come_from_the_installed_tarball():
    out = subprocess.run(["ansible-galaxy", "collection", "list", "clustersec.mysql", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    paths = list(json.loads(out))
    assert paths == [os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "collections", "ansible_collections")], paths
    installed = os.path.join(paths[0], "clustersec", "mysql")
    assert not os.path.islink(installed)
    assert not os.path.realpath(installed).startswith(os.environ["MOLECULE_PROJECT_DIRECTORY"] + os.sep)
    # Only a built collection has MANIFEST.json; what build_ignore leaves out is not there.
    assert os.path.isfile(os.path.join(installed, "MANIFEST.json"))
    for dev_only in ("molecule", "Makefile", "scripts", "benchmarks"):
        assert not os.path.exists(os.path.join(installed, dev_only)), dev_only


def test_plays_log_in_as_ops_and_become_root_with_sudo():
    for n in node_names():
        journal = subprocess.run(["podman", "exec", n, "journalctl", "--no-pager", "-o", "cat", "-t", "sshd", "-t", "sudo"],
                                 capture_output=True, text=True, check=True).stdout
        assert "Accepted publickey for ops" in journal, f"{n}: no SSH login as ops"
        assert "Accepted publickey for root" not in journal, f"{n}: a play logged in as root"
        assert "ops : " in journal and "USER=root" in journal, f"{n}: no sudo to root by ops"


def test_check_of_online_tls_says_what_it_would_do_and_changes_nothing():
    names = node_names()
    before, pki_before = node_snapshot(names), tree_snapshot(PKI_DIR)
    proc = run_playbook("enable_tls_online.yml", f"pki_dir={PKI_DIR}", "mariadb_galera_sst_method=rsync", PROVIDER, check=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    for n in names:
        assert f"{n} (node " in proc.stdout and "would be restarted (--check)" in proc.stdout, proc.stdout[-3000:]
        assert f"{n}: step 2 would write the drop-in" in proc.stdout
    assert node_snapshot(names) == before
    assert tree_snapshot(PKI_DIR) == pki_before


def test_check_of_site_with_a_new_setting_says_it_would_restart_and_changes_nothing():
    names = node_names()
    before, pki_before = node_snapshot(names), tree_snapshot(PKI_DIR)
    proc = run_playbook("site.yml", "mariadb_galera_tls_enabled=false", "mariadb_galera_sst_method=rsync",
                        "{'mariadb_galera_allow_insecure': ['unencrypted_channels']}",
                        "mariadb_galera_wsrep_provider_options='gcache.size=64M; gcs.fc_limit=48'", check=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    summary = proc.stdout.split("Summarise the rolling restart", 1)[-1]
    for n in names:
        assert f"{n}: config changed, would restart" in summary, summary[:2000]
    assert node_snapshot(names) == before
    assert tree_snapshot(PKI_DIR) == pki_before
