"""After test_zz1: rotate the table key from 2 to 3 with playbooks/rotate_at_rest_keys.yml while a client writes
every 100 ms. Before it (controls): tables use key 2 and key 1, every node's key file holds key 2 and its server has it
loaded, and site.yml asked to retire key 2 is refused naming the node and the key in use, with nothing changed.
After it: 0 failed writes and every acknowledged row present, no tablespace on key 2, key 2 neither in any node's key
file nor loaded by any server, the data readable, the report green, and a second run of site.yml with the rotated
inventory changes nothing. --check of the next rotation runs to the end and changes nothing on the nodes or in
pki_dir."""
import json
import os
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import encryption_report, node_names, node_snapshot, run_playbook, tree_snapshot  # noqa: E402
from writer import Writer  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from at_rest import BASE, PKI_DIR, key_ids_in_use, key_loaded, leaked, node_key_ids, pids, q  # noqa: E402

METHOD = "mariadb_galera_sst_method=rsync_tunnel"  # what test_zz1 left
ROTATED = json.dumps({"mariadb_galera_at_rest_default_key_id": 3, "pki_at_rest_key_ids": [1, 3],
                      "pki_at_rest_retire_key_ids": [2]})


def controller_secrets():
    """The keys of pki_dir/at-rest/keys.enc (decrypted as the plugin does) and the file key itself."""
    d = os.path.join(PKI_DIR, "at-rest")
    plain = subprocess.run(["openssl", "enc", "-d", "-aes-256-cbc", "-md", "sha1", "-pass", f"file:{d}/filekey",
                            "-in", f"{d}/keys.enc"], capture_output=True, text=True, check=True).stdout
    return [line.split(";", 1)[1] for line in plain.split()] + [open(f"{d}/filekey").read().strip()]


def test_site_refuses_to_retire_a_key_in_use():
    names = node_names()
    # A table created now gets the table key (2); atrest.t, which predates encryption, is on key 1.
    q(names[0], "CREATE TABLE IF NOT EXISTS atrest.rot (id INT PRIMARY KEY, v VARCHAR(16))")
    assert all(2 in key_ids_in_use(n) for n in names), "control: tables use key 2 before the rotation"
    snapshot = node_snapshot(names)
    proc = run_playbook("site.yml", *BASE, METHOD, ROTATED)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr  # failures go to stderr under ansible-core 2.19
    assert "key id 2 of pki_at_rest_retire_key_ids is still used by" in out, out[-3000:]
    assert "rotate_at_rest_keys.yml" in out and f"{names[0]}: key id 2" in out
    assert node_snapshot(names) == snapshot
    assert all(node_key_ids(n) == [1, 2] for n in names)


def test_rotation_moves_every_table_and_retires_the_old_key(tmp_path):
    names = node_names()
    password = "w-" + uuid.uuid4().hex[:12]
    q(names[0], f"CREATE USER IF NOT EXISTS 'keyw'@'%' IDENTIFIED BY '{password}'; "
                "GRANT INSERT, SELECT ON atrest.* TO 'keyw'@'%'; "
                "CREATE TABLE IF NOT EXISTS atrest.rot (id INT PRIMARY KEY, v VARCHAR(16))")
    marker = "rot-" + uuid.uuid4().hex
    q(names[0], f"REPLACE INTO atrest.t VALUES (3, '{marker}')")
    before_in_use = key_ids_in_use(names[0])
    assert 1 in before_in_use and 2 in before_in_use, before_in_use
    assert all(key_loaded(n, 2) and not key_loaded(n, 3) for n in names)
    pids_before = pids(names)

    writer = Writer(names, "keyw", password, "atrest.rot", os.path.join(PKI_DIR, "ca.pem"))
    writer.start()
    started = time.monotonic()
    secrets_before = controller_secrets()
    # At -vvv --diff, as an operator debugging it would run it: no key of the key file and not the file key may show.
    cmd = ["ansible-playbook", "-vvv", "--diff", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
           "clustersec.mysql.rotate_at_rest_keys"]
    for item in BASE + (METHOD, ROTATED):
        cmd += ["-e", item]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    time.sleep(1)
    writer.stop.set()
    writer.join(60)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    print(f"key rotation 2 -> 3: {seconds:.0f} s, {len(writer.acked)} writes acknowledged, {len(writer.failed)} "
          f"failed, {writer.retried} retried on another node")
    assert not writer.failed, f"writes no node committed: {writer.failed[:20]}"
    assert len(writer.acked) > 30
    assert "table(s) to key 3" in proc.stdout
    secrets = set(secrets_before + controller_secrets())
    assert len(secrets) == 4 and all(len(k) >= 32 for k in secrets)  # keys 1, 2 and 3, and the file key
    leaked_secrets = [k[:6] + "..." for k in secrets if k in proc.stdout or k in proc.stderr]
    assert not leaked_secrets, f"key material in the -vvv --diff output: {leaked_secrets}"

    pids_after = pids(names)
    for n in names:
        assert q(n, "SELECT COUNT(*) FROM atrest.rot") == str(len(writer.acked)), n
        assert q(n, "SELECT v FROM atrest.t WHERE id = 3") == marker, n
        in_use = key_ids_in_use(n)
        assert 2 not in in_use and 3 in in_use, f"{n}: {in_use}"
        assert q(n, "SELECT COUNT(*) FROM information_schema.INNODB_TABLESPACES_ENCRYPTION WHERE NAME IN "
                    "('atrest/t', 'atrest/rot') AND CURRENT_KEY_ID = 3") == "2", n
        assert node_key_ids(n) == [1, 3], n
        assert key_loaded(n, 3) and not key_loaded(n, 2), f"{n}: the server still holds key 2"
        assert pids_after[n] != pids_before[n], f"{n} was not restarted"
        assert leaked(n, marker) == [], n
        assert f"{n}: table key 3" in proc.stdout

    proc2, report = encryption_report(tmp_path)
    assert proc2.returncode == 0, proc2.stdout[-4000:]
    assert report["summary"]["status"] == "green", report["summary"]
    for n in names:
        entry = [c for c in report["nodes"][n] if c["channel"] == "data-at-rest"][0]
        assert 2 not in entry["key_ids_in_use"] and 3 in entry["key_ids_in_use"], entry

    proc3 = run_playbook("site.yml", *BASE, METHOD, ROTATED)
    assert proc3.returncode == 0, proc3.stdout[-4000:]
    recap = [line for line in proc3.stdout.splitlines() if " changed=" in line and "ok=" in line]
    assert recap and all(" changed=0 " in line for line in recap), "\n".join(recap)
    assert pids(names) == pids_after


def test_check_of_the_next_rotation_changes_nothing():
    names = node_names()
    nodes_before, pki_before, pids_before = node_snapshot(names), tree_snapshot(PKI_DIR), pids(names)
    nxt = json.dumps({"mariadb_galera_at_rest_default_key_id": 4, "pki_at_rest_key_ids": [1, 4],
                      "pki_at_rest_retire_key_ids": [3]})
    proc = run_playbook("rotate_at_rest_keys.yml", *BASE, METHOD, nxt, check=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "would move" in proc.stdout and "table(s) to key 4" in proc.stdout
    assert "would be restarted (--check)" in proc.stdout and "retired 3 (would be)" in proc.stdout
    assert node_snapshot(names) == nodes_before and pids(names) == pids_before
    assert tree_snapshot(PKI_DIR) == pki_before
    assert all(node_key_ids(n) == [1, 3] for n in names)
