"""Last: a node given a key file with other keys (same ids, same file key). site.yml's pre-flight stops before any
file is written or node changed, naming the node and the cause; the node's server, restarted with that file, refuses
to start (control: with its own key file back it starts and rejoins, the cluster whole again)."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import node_names, node_snapshot, run_playbook  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from at_rest import AT_REST_DIR, BASE, node_key_ids, q, sh  # noqa: E402

METHOD = "mariadb_galera_sst_method=rsync_tunnel"
ROTATED = json.dumps({"mariadb_galera_at_rest_default_key_id": 3, "pki_at_rest_key_ids": [1, 3],
                      "pki_at_rest_retire_key_ids": [2]})
WRONG = (f"cd {AT_REST_DIR} && cp -p keys.enc /root/keys.enc.good && "
         "printf '1;%s\\n3;%s\\n' $(openssl rand -hex 32) $(openssl rand -hex 32) "
         "| openssl enc -aes-256-cbc -md sha1 -pass file:filekey -out keys.enc.new 2>/dev/null && "
         "chown mysql keys.enc.new && chmod 0400 keys.enc.new && mv keys.enc.new keys.enc")


def active(name):
    return sh(name, "systemctl is-active mariadb").stdout.strip()


def test_wrong_key_file_is_caught_first_and_the_server_refuses_it():
    names = node_names()
    victim = names[1]
    assert sh(victim, WRONG).returncode == 0
    assert node_key_ids(victim) == [1, 3], "the new file has the same key ids: only the keys differ"
    snapshot = node_snapshot(names)
    proc = run_playbook("site.yml", *BASE, METHOD, ROTATED)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr  # failures go to stderr under ansible-core 2.19
    assert f"{victim}: its key file differs from {names[0]}'s" in out, out[-3000:]
    assert node_snapshot(names) == snapshot, "a refused run changed a node"

    # The server itself refuses the file: it cannot decrypt its redo log and tablespaces with those keys.
    since = sh(victim, "date '+%Y-%m-%d %H:%M:%S'").stdout.strip()
    sh(victim, "systemctl restart mariadb")
    deadline = time.time() + 60
    while time.time() < deadline and active(victim) == "active":
        time.sleep(1)
    sh(victim, "systemctl stop mariadb")
    log = sh(victim, f"journalctl -u mariadb --since '{since}' --no-pager -o cat").stdout
    assert active(victim) != "active"
    # MariaDB 10.11.18 here: "InnoDB: Malformed log record" (the redo log does not decrypt), then InnoDB fails.
    assert "Unknown/unsupported storage engine: InnoDB" in log or "Malformed log record" in log, log[-3000:]

    # Control: its own key file back, it starts and rejoins.
    assert sh(victim, f"cp -p /root/keys.enc.good {AT_REST_DIR}/keys.enc && systemctl start mariadb").returncode == 0
    deadline = time.time() + 300
    while time.time() < deadline:
        if q(names[0], "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'").endswith("\t3") and \
                "Synced" in sh(victim, "mariadb -N -B -e \"SHOW STATUS LIKE 'wsrep_local_state_comment'\"").stdout:
            break
        time.sleep(1)
    assert q(victim, "SELECT COUNT(*) FROM atrest.t") == q(names[0], "SELECT COUNT(*) FROM atrest.t")
    proc2 = run_playbook("site.yml", *BASE, METHOD, ROTATED)
    assert proc2.returncode == 0, proc2.stdout[-3000:]
