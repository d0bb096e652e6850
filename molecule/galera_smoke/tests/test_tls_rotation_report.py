"""After the online TLS switch, still over SSH from the installed tarball: --check of a leaf and of a CA rotation
runs to the end, prints per node what each phase would change, and changes nothing (node files, server PIDs,
pki_dir, no throwaway directory left); then a real leaf rotation reloads every node without a restart, and the
report is green."""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import encryption_report, node_names, node_snapshot, run_playbook, tree_snapshot  # noqa: E402

PKI_DIR = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki")
VARS = ("mariadb_galera_sst_method=rsync", "mariadb_galera_wsrep_provider_options='gcache.size=64M; gcs.fc_limit=32'")


def leftovers():
    return sorted(glob.glob(os.path.join(tempfile.gettempdir(), "clustersec-rotate-check-*")))


def serials(names):
    return {n: subprocess.run(["podman", "exec", n, "openssl", "x509", "-noout", "-serial", "-in", "/etc/mysql/certs/server-cert.pem"],
                              capture_output=True, text=True, check=True).stdout.strip() for n in names}


def test_check_of_leaf_and_ca_rotation_changes_nothing():
    names = node_names()
    before, pki_before, left_before = node_snapshot(names), tree_snapshot(PKI_DIR), leftovers()
    for extra, phases in ((), ["phase 2"]), (("rotate_ca=true",), ["phase 1", "phase 2", "phase 3"]):
        proc = run_playbook("rotate_certificates.yml", f"pki_dir={PKI_DIR}", *VARS, *extra, check=True)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        summary = proc.stdout.split("Summarise the rotation, one line per node", 1)[-1]
        for n in names:
            line = re.search(rf'"{n} - ([^"]*)"', summary)
            assert line, summary[:2000]
            assert re.findall(r"(phase \d): [1-9]\d* file\(s\) would change", line.group(1)) == phases, line.group(1)
        assert "would move " + PKI_DIR + "/next into" in proc.stdout
        if extra:
            assert "phase 4 would present certificates of the previous CAs" in proc.stdout
        assert node_snapshot(names) == before, "--check changed a node"
        assert tree_snapshot(PKI_DIR) == pki_before, "--check changed pki_dir"
        assert leftovers() == left_before, "--check left its throwaway directory behind"


def test_leaf_rotation_over_ssh_reloads_without_restart():
    names = node_names()
    before, old_serials = node_snapshot(names), serials(names)
    pids = {n: before[n].strip().splitlines()[-1] for n in names}
    proc = run_playbook("rotate_certificates.yml", f"pki_dir={PKI_DIR}", *VARS)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    after = node_snapshot(names)
    assert {n: after[n].strip().splitlines()[-1] for n in names} == pids, "a node was restarted"
    new_serials = serials(names)
    assert all(new_serials[n] != old_serials[n] for n in names), (old_serials, new_serials)
    summary = proc.stdout.split("Summarise the rotation, one line per node", 1)[-1]
    for n in names:
        assert re.search(rf'"{n} - phase 2: 4 file\(s\) changed, reloaded, [0-9.]+ s"', summary), summary[:2000]


def test_report_over_ssh_is_green(tmp_path):
    proc, report = encryption_report(tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert report is not None
    assert report["summary"]["status"] == "green", json.dumps(report["summary"], indent=1)
    assert sorted(report["nodes"]) == node_names()
