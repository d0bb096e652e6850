"""What the data-at-rest tests of this scenario share (test_z*, test_zz*): the site.yml variables that keep the
cluster as the first of them left it, and helpers that read a node's files and keys through podman."""
import json
import os
import subprocess

PKI_DIR = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki")
DATADIR = "/var/lib/mysql"
AT_REST_DIR = "/etc/mysql/certs/at-rest"
# Binlogs on (with the rows other nodes replicate), so the marker searches cover them (encrypt_binlog).
BINLOG = json.dumps({"mariadb_galera_config_overrides": {"mysqld": {"log_bin": "mysql-bin", "log_slave_updates": "ON"}}})
BASE = (f"pki_dir={PKI_DIR}", "mariadb_galera_wsrep_provider_options='gcache.size=64M; gcs.fc_limit=32'",
        "pki_at_rest_keys=true", "mariadb_galera_encrypt_at_rest=true", BINLOG)
VARS = BASE + ("mariadb_galera_sst_method=rsync",)
# Files MariaDB Community does not encrypt (the report lists them as notes): GCache and the Aria log.
NOT_ENCRYPTED_BY_THE_SERVER = ("galera.cache", "aria_log.")


def sh(name, script):
    return subprocess.run(["podman", "exec", name, "sh", "-c", script], capture_output=True, text=True, check=False)


def q(name, query):
    p = subprocess.run(["podman", "exec", name, "mariadb", "-N", "-B", "-e", query], capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, f"{name}: {query}: {p.stderr}"
    return p.stdout.strip()


def files_with(name, marker, expect=".ibd"):
    """Every file under the data directory holding the marker (grep -a), after InnoDB wrote its pages out."""
    q(name, "SET GLOBAL innodb_max_dirty_pages_pct = 0; FLUSH TABLES; FLUSH BINARY LOGS")
    found = []
    for attempt in range(7):
        found = sh(name, f"grep -a -r -l {marker} {DATADIR} || true").stdout.split()
        if any(f.endswith(expect) for f in found) or attempt == 6:
            break
        subprocess.run(["sleep", "1"], check=False)
    return sorted(os.path.relpath(f, DATADIR) for f in found)


def leaked(name, marker):
    """Files of the data directory that hold the marker in clear, leaving out those the server never encrypts."""
    return [f for f in files_with(name, marker, expect="-never-") if not os.path.basename(f).startswith(
        NOT_ENCRYPTED_BY_THE_SERVER)]


def in_binlog(name, marker):
    """Whether the server's own reading of its binlogs (decrypted) holds the marker: the control that a 0 from
    grep means encrypted, not absent."""
    p = sh(name, "for f in $(mariadb -N -B -e 'SHOW BINARY LOGS' | cut -f1); do mariadb-binlog "
                 "--read-from-remote-server -v --base64-output=decode-rows \"$f\"; done")
    return marker in p.stdout


def pids(names):
    return {n: sh(n, "systemctl show -p MainPID --value mariadb").stdout.strip() for n in names}


def node_key_ids(name):
    """Key ids of the node's key file, decrypted in the container with openssl as the plugin does (never printed)."""
    p = sh(name, f"openssl enc -d -aes-256-cbc -md sha1 -pass file:{AT_REST_DIR}/filekey -in {AT_REST_DIR}/keys.enc"
                 " 2>/dev/null | cut -d';' -f1")
    return sorted(int(x) for x in p.stdout.split())


def key_loaded(name, key_id):
    out = q(name, f"SET SESSION innodb_default_encryption_key_id = {key_id}; SHOW WARNINGS")
    return "is not available" not in out


def key_ids_in_use(name):
    out = q(name, "SELECT CURRENT_KEY_ID, COUNT(*) FROM information_schema.INNODB_TABLESPACES_ENCRYPTION "
                  "WHERE ENCRYPTION_SCHEME = 1 GROUP BY CURRENT_KEY_ID")
    return {int(k): int(v) for k, v in (line.split("\t") for line in out.splitlines())}
