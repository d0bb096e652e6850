"""Last file of the scenario (the z: data-at-rest encryption cannot be turned off again): site.yml with
pki_at_rest_keys and mariadb_galera_encrypt_at_rest on the running TLS cluster, over SSH from the installed tarball.
Each node restarts once, every tablespace is encrypted, a marker written through SQL afterwards (InnoDB, and an Aria
table on one node) is found 0 times in the data directory of every node, binlogs, redo and undo included (controls:
a marker written before is found there first; the server's own reading of its binlogs finds the new marker), the report shows data
at rest green with the key files 0400 mysql on every node, and a second run changes nothing."""
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import encryption_report, node_names, run_playbook  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from at_rest import VARS, files_with, in_binlog, leaked, pids, q, sh  # noqa: E402


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
    # An Aria table (Galera replicates its DDL, not its rows): the row stays on names[1], whose search covers it.
    q(names[1], "CREATE TABLE IF NOT EXISTS atrest.aria (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=Aria; "
                f"REPLACE INTO atrest.aria VALUES (1, '{after}')")
    assert sh(names[1], "ls /var/lib/mysql/atrest/aria.MAD").returncode == 0
    for n in names:
        assert q(n, "SELECT v FROM atrest.t WHERE id = 2") == after, n
        assert q(n, "SELECT COUNT(*) FROM information_schema.INNODB_TABLESPACES_ENCRYPTION "
                    "WHERE NAME = 'atrest/t' AND ENCRYPTION_SCHEME = 1") == "1", n
        clear = leaked(n, after)
        assert clear == [], f"{n}: the marker is readable in {clear}"
        # Control: the binlogs do hold the marker (the server's own decrypted reading finds it).
        assert in_binlog(n, after), f"{n}: the marker is not in the binlog: the search of the binlogs proves nothing"
        # The re-encrypted table no longer holds the marker written before encryption.
        assert "atrest/t.ibd" not in files_with(n, before), n

    # The report shows Aria user tables amber (SQL cannot tell whether one predates aria_encrypt_tables).
    q(names[1], "DROP TABLE atrest.aria")
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
