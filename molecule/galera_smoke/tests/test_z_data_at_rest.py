"""Last file of the scenario (the z: data-at-rest encryption cannot be turned off again): site.yml with
pki_at_rest_keys and mariadb_galera_encrypt_at_rest on the running TLS cluster, over SSH from the installed tarball.
Each node restarts once, every tablespace is encrypted, a marker written through SQL afterwards is found 0 times in
the data directory of every node (control: a marker written before is found there first), the report shows data
at rest green with the key files 0400 mysql on every node, and a second run changes nothing."""
import os
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import encryption_report, node_names, run_playbook  # noqa: E402

PKI_DIR = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki")
VARS = (f"pki_dir={PKI_DIR}", "mariadb_galera_sst_method=rsync",
        "mariadb_galera_wsrep_provider_options='gcache.size=64M; gcs.fc_limit=32'",
        "pki_at_rest_keys=true", "mariadb_galera_encrypt_at_rest=true")
DATADIR = "/var/lib/mysql"
# Files MariaDB Community does not encrypt (the report lists them as notes): GCache and the Aria log.
NOT_ENCRYPTED_BY_THE_SERVER = ("galera.cache", "aria_log.")


def sh(name, script):
    return subprocess.run(["podman", "exec", name, "sh", "-c", script], capture_output=True, text=True, check=False)


def q(name, query):
    p = subprocess.run(["podman", "exec", name, "mariadb", "-N", "-B", "-e", query], capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, f"{name}: {query}: {p.stderr}"
    return p.stdout.strip()


def files_with(name, marker):
    """Every file under the data directory holding the marker (grep -a), after InnoDB wrote its pages out."""
    q(name, "SET GLOBAL innodb_max_dirty_pages_pct = 0; FLUSH TABLES; FLUSH BINARY LOGS")
    found = []
    for attempt in range(7):
        found = sh(name, f"grep -a -r -l {marker} {DATADIR} || true").stdout.split()
        if any(f.endswith(".ibd") for f in found) or attempt == 6:
            break
        subprocess.run(["sleep", "1"], check=False)
    return sorted(os.path.relpath(f, DATADIR) for f in found)


def pids(names):
    return {n: sh(n, "systemctl show -p MainPID --value mariadb").stdout.strip() for n in names}


def test_data_at_rest_on_a_running_cluster(tmp_path):
    names = node_names()
    before, after = "before-" + uuid.uuid4().hex, "after-" + uuid.uuid4().hex
    q(names[0], "CREATE DATABASE IF NOT EXISTS atrest; CREATE TABLE IF NOT EXISTS atrest.t (id INT PRIMARY KEY, "
                f"v VARCHAR(64)) ENGINE=InnoDB; REPLACE INTO atrest.t VALUES (1, '{before}')")
    # Control: before encryption the search finds the marker in the table file of every node.
    for n in names:
        assert "atrest/t.ibd" in files_with(n, before), n
    pids_before = pids(names)

    proc = run_playbook("site.yml", *VARS)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    pids_after = pids(names)
    assert all(pids_after[n] != pids_before[n] for n in names), "each node restarts once with the plugin"
    for n in names:
        assert f"{n}: " in proc.stdout and " tablespaces encrypted" in proc.stdout

    q(names[1], f"REPLACE INTO atrest.t VALUES (2, '{after}')")
    for n in names:
        assert q(n, "SELECT v FROM atrest.t WHERE id = 2") == after, n
        assert q(n, "SELECT COUNT(*) FROM information_schema.INNODB_TABLESPACES_ENCRYPTION "
                    "WHERE NAME = 'atrest/t' AND ENCRYPTION_SCHEME = 1") == "1", n
        leaked = [f for f in files_with(n, after) if not os.path.basename(f).startswith(NOT_ENCRYPTED_BY_THE_SERVER)]
        assert leaked == [], f"{n}: the marker is readable in {leaked}"
        # The re-encrypted table no longer holds the marker written before encryption.
        assert "atrest/t.ibd" not in files_with(n, before), n

    proc2, report = encryption_report(tmp_path)
    assert proc2.returncode == 0, proc2.stdout[-4000:]
    for n in names:
        entry = [c for c in report["nodes"][n] if c["channel"] == "data-at-rest"]
        assert entry and entry[0]["status"] == "green", entry
        assert entry[0]["protocol"].startswith("FORCE, ") and entry[0]["unencrypted"] == []
        assert sorted((os.path.basename(k["path"]), k["mode"], k["owner"]) for k in entry[0]["key_files"]) == [
            ("filekey", "0400", "mysql"), ("keys.enc", "0400", "mysql")]
    assert report["summary"]["status"] == "green", report["summary"]

    proc3 = run_playbook("site.yml", *VARS)
    assert proc3.returncode == 0, proc3.stdout[-4000:]
    recap = [line for line in proc3.stdout.splitlines() if " changed=" in line and "ok=" in line]
    assert recap and all(" changed=0 " in line for line in recap), "\n".join(recap)
    assert pids(names) == pids_after
