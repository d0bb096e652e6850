"""After test_zz3 (issue 28 row 4 on the real cluster, data at rest on): the controller loses part of pki_dir, as with a
fresh checkout, an inventory in another directory or an incomplete restore.

pki_dir/at-rest moved away: site.yml is refused (rc != 0) naming every node, its key file and file key and their
SHA-256, before anything is made or written: every node's keys.enc and filekey stay byte-identical, every file under
/etc/mysql too, no mariadbd restarts, and no new key is made in pki_dir (before this guard the same run exited 0 with
new keys on every node, and a node restarted afterwards could not read its data). The CA files moved away: refused
the same way, naming every node's ca.pem, and no new CA is made. Control: pki_dir restored, site.yml passes and
changes nothing, and a node restarted afterwards rejoins and reads a row written before."""
import hashlib
import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import node_names, node_snapshot, run_playbook, tree_snapshot  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from at_rest import AT_REST_DIR, BASE, PKI_DIR, node_key_ids, pids, q, sh  # noqa: E402

# What test_zz3 left: the rsync_tunnel SST method and key 2 retired.
METHOD = "mariadb_galera_sst_method=rsync_tunnel"
ROTATED = json.dumps({"mariadb_galera_at_rest_default_key_id": 3, "pki_at_rest_key_ids": [1, 3],
                      "pki_at_rest_retire_key_ids": [2]})
VARS = BASE + (METHOD, ROTATED)
NODE_CERTS = "/etc/mysql/certs"
CA_FILES = ("ca.pem", "ca-key.pem", "client-ca.pem", "client-ca-key.pem")
AT_REST = os.path.join(PKI_DIR, "at-rest")


def node_digests(names, paths):
    """{node: {path: SHA-256}} of node files, read through podman (sha256sum as root)."""
    out = {}
    for n in names:
        p = sh(n, "sha256sum " + " ".join(paths))
        assert p.returncode == 0, f"{n}: {p.stderr}"
        out[n] = {path: digest for digest, path in (line.split() for line in p.stdout.splitlines())}
        assert sorted(out[n]) == sorted(paths), out[n]
    return out


def controller_digest(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def output(proc):
    """stdout and stderr (failures go to stderr under ansible-core 2.19) with every run of white space one blank: a
    long message reads the same whether a callback wrapped it or not."""
    return " ".join((proc.stdout + proc.stderr).split())


def recap(proc):
    return [line for line in proc.stdout.splitlines() if " changed=" in line and "ok=" in line]


def put_back(moved, original):
    """Restore a moved path; whatever a run made in its place is kept beside it (a failed test must not lose it)."""
    if os.path.lexists(original):
        os.rename(original, f"{original}.made-by-the-refused-run-{uuid.uuid4().hex[:8]}")
    os.rename(moved, original)


def wait_rejoined(name, first, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if q(first, "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'").endswith("\t3") and \
                "Synced" in sh(name, "mariadb -N -B -e \"SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment'\"").stdout:
            return
        time.sleep(1)
    raise AssertionError(f"{name} did not rejoin Synced within {timeout} s")


def test_lost_ca_is_refused_and_no_new_ca_is_made():
    names = node_names()
    present = [f for f in CA_FILES if os.path.exists(os.path.join(PKI_DIR, f))]
    assert "ca.pem" in present and "ca-key.pem" in present, f"control: the scenario's CA is in {PKI_DIR}: {present}"
    trust = node_digests(names, [f"{NODE_CERTS}/ca.pem"])
    snapshot, pids_before = node_snapshot(names), pids(names)
    # Beside pki_dir (same file system: a rename keeps every file as it was).
    aside = os.path.join(os.path.dirname(PKI_DIR), "ca.moved-away-" + uuid.uuid4().hex[:8])
    os.mkdir(aside, 0o700)
    for f in present:
        os.rename(os.path.join(PKI_DIR, f), os.path.join(aside, f))
    try:
        pki_before = tree_snapshot(PKI_DIR)
        proc = run_playbook("site.yml", *VARS)
        pki_after = tree_snapshot(PKI_DIR)
    finally:
        for f in present:
            put_back(os.path.join(aside, f), os.path.join(PKI_DIR, f))
        os.rmdir(aside)
    out = output(proc)
    assert proc.returncode != 0, "a lost CA was replaced on a running cluster: " + out[-3000:]
    for n in names:
        path = f"{NODE_CERTS}/ca.pem"
        assert f"{n}: {path} (sha256 {trust[n][path]}) {PKI_DIR} holds no CA" in out, out[-4000:]
    assert "pki_replace_node_keys" in out and "No node was changed" in out
    assert pki_after == pki_before, "the refused run made files in pki_dir (a new CA?)"
    assert not any(f in pki_after for f in CA_FILES)
    assert node_digests(names, [f"{NODE_CERTS}/ca.pem"]) == trust
    assert node_snapshot(names) == snapshot, "a refused run changed a node"
    assert pids(names) == pids_before


def test_lost_at_rest_keys_are_refused_and_the_data_stays_readable():
    names = node_names()
    victim = names[-1]
    marker = "lost-pki-" + uuid.uuid4().hex
    q(names[0], f"REPLACE INTO atrest.t VALUES (4, '{marker}')")
    files = [f"{AT_REST_DIR}/keys.enc", f"{AT_REST_DIR}/filekey"]
    keys_before = node_digests(names, files)
    # Control: the nodes hold the controller's keys (the pki_dir about to be moved is the one that made them).
    assert all(keys_before[n][f"{AT_REST_DIR}/{f}"] == controller_digest(os.path.join(AT_REST, f))
               for n in names for f in ("keys.enc", "filekey"))
    key_ids = {n: node_key_ids(n) for n in names}
    snapshot, pids_before = node_snapshot(names), pids(names)

    moved = os.path.join(os.path.dirname(PKI_DIR), "at-rest.moved-away-" + uuid.uuid4().hex[:8])
    os.rename(AT_REST, moved)
    try:
        pki_before = tree_snapshot(PKI_DIR)
        proc = run_playbook("site.yml", *VARS)
        pki_after = tree_snapshot(PKI_DIR)
        made = os.path.lexists(AT_REST)
    finally:
        put_back(moved, AT_REST)
    out = output(proc)
    assert proc.returncode != 0, "a lost pki_dir/at-rest replaced the keys of a running cluster: " + out[-3000:]
    for n in names:
        for path in files:
            name = os.path.basename(path)
            assert f"{n}: {path} (sha256 {keys_before[n][path]}) {PKI_DIR}/at-rest/{name} does not exist" in out, \
                out[-4000:]
    assert "pki_replace_node_keys" in out and "No node was changed" in out
    assert not made and pki_after == pki_before, "the refused run made data-at-rest keys in pki_dir"
    assert node_digests(names, files) == keys_before, "a node's key file or file key changed"
    assert node_snapshot(names) == snapshot, "a refused run changed a node"
    assert pids(names) == pids_before, "a refused run restarted a server"

    # Control: pki_dir whole again, the same run passes and changes nothing.
    proc2 = run_playbook("site.yml", *VARS)
    assert proc2.returncode == 0, proc2.stdout[-5000:] + proc2.stderr[-2000:]
    lines = recap(proc2)
    assert lines and all(" changed=0 " in line for line in lines), "\n".join(lines)
    assert pids(names) == pids_before and node_digests(names, files) == keys_before

    # The keys the nodes kept read their data after a restart: the victim starts, rejoins and reads the row.
    assert sh(victim, "systemctl restart mariadb").returncode == 0
    wait_rejoined(victim, names[0])
    assert pids(names)[victim] != pids_before[victim], f"{victim} was not restarted"
    assert q(victim, "SELECT v FROM atrest.t WHERE id = 4") == marker
    assert q(victim, "SELECT COUNT(*) FROM atrest.t") == q(names[0], "SELECT COUNT(*) FROM atrest.t")
    assert q(victim, "SELECT COUNT(*) FROM information_schema.INNODB_TABLESPACES_ENCRYPTION "
                     "WHERE NAME = 'atrest/t' AND ENCRYPTION_SCHEME = 1") == "1"
    assert node_key_ids(victim) == key_ids[victim]
    assert node_digests(names, files) == keys_before
