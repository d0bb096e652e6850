"""After test_z_data_at_rest: on the encrypted cluster, a node joins by SST with mariabackup and then with
rsync_tunnel (site.yml switches the method, restarting each node once). The joiner reads the rows written before and
during its SST, and a marker in those rows is found 0 times in its own data directory (control: the joiner's server
reads the marker, so the search had something to find)."""
import os
import sys
import time
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import node_names, run_playbook  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from at_rest import BASE, key_ids_in_use, leaked, q, sh  # noqa: E402


def wait_synced(name, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        p = sh(name, "mariadb -N -B -e \"SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment'\"")
        if p.returncode == 0 and "Synced" in p.stdout:
            return
        time.sleep(1)
    raise AssertionError(f"{name} not Synced after {timeout} s")


@pytest.mark.parametrize("method", ["mariabackup", "rsync_tunnel"])
def test_sst_joiner_reads_encrypted_data_and_keeps_it_encrypted(method):
    names = node_names()
    donor_side, joiner = names[0], names[-1]
    proc = run_playbook("site.yml", *BASE, f"mariadb_galera_sst_method={method}")
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    marker = f"sst-{method}-{uuid.uuid4().hex[:12]}"
    q(donor_side, "CREATE TABLE IF NOT EXISTS atrest.sst (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64)); "
                  f"INSERT INTO atrest.sst (v) VALUES ('{marker}-before')")
    since = sh(joiner, "date '+%Y-%m-%d %H:%M:%S'").stdout.strip()
    sh(joiner, "systemctl stop mariadb && rm -f /var/lib/mysql/grastate.dat /var/lib/mysql/galera.cache")
    assert sh(joiner, "systemctl start mariadb").returncode == 0
    wait_synced(joiner)
    q(donor_side, f"INSERT INTO atrest.sst (v) VALUES ('{marker}-during')")
    wait_synced(joiner)
    log = sh(joiner, f"journalctl -u mariadb --since '{since}' --no-pager -o cat").stdout
    assert f"wsrep_sst_{method}" in log and "--role 'joiner'" in log, f"{joiner} did not join by {method} SST"
    # Control: the joiner's server decrypts what it received.
    assert q(joiner, f"SELECT COUNT(*) FROM atrest.sst WHERE v LIKE '{marker}-%'") == "2"
    assert q(joiner, "SELECT COUNT(*) FROM atrest.t") == q(donor_side, "SELECT COUNT(*) FROM atrest.t")
    in_use = key_ids_in_use(joiner)
    assert in_use and set(in_use) <= {1, 2}, in_use
    assert q(joiner, "SELECT COUNT(*) FROM information_schema.INNODB_TABLESPACES_ENCRYPTION "
                     "WHERE NAME = 'atrest/sst' AND ENCRYPTION_SCHEME = 1") == "1"
    clear = leaked(joiner, marker)
    assert clear == [], f"{joiner} after {method} SST: the marker is readable in {clear}"
