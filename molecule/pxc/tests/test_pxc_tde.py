"""Data at rest (pxc_encrypt_at_rest) on the PXC stand-in, after the other tests of the scenario (file names sort
this one last: it leaves the cluster with a keyring). What the stand-in can show: the role's refusal on a running
cluster, the whole-cluster switch by pxc_toggle_cluster_encryption.yml, the files of the keyring component with
their modes, a server that starts with them (the stand-in refuses to start without a loadable keyring, as PXC
does), idempotence, and the pre-flight refusals naming host and cause with nothing changed. Not shown: that PXC
encrypts anything on disk (the stand-in has no data and writes no keys)."""
import concurrent.futures
import json
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import nodes, run_playbook  # noqa: E402

DROPIN = "/etc/mysql/mysql.conf.d/60-clustersec-pxc.cnf"
MANIFEST = "/usr/sbin/mysqld.my"
CONFIG = "/usr/lib/mysql/plugin/component_keyring_file.cnf"
LIBRARY = "/usr/lib/mysql/plugin/component_keyring_file.so"
KEYRING = "/var/lib/mysql-keyring/component_keyring_file"
SERVER_JSON = "/run/mysqld/pxc-standin/server.json"
SETTINGS = ("default_table_encryption", "table_encryption_privilege_check", "innodb_redo_log_encrypt",
            "innodb_undo_log_encrypt", "binlog_encryption", "innodb_temp_tablespace_encrypt", "encrypt_tmp_files")


@pytest.fixture(scope="module")
def cluster():
    return nodes("pxc")


def converge(*extra):
    """converge.yml, pxc role only (the pki role's files are in place), with extra vars; (rc, output)."""
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--tags", "config,restart",
           os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")]
    for item in extra:
        cmd += ["-e", item]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def snapshot(cluster):
    """Per node: checksums of the drop-in and of the keyring component's files, the keyring directory, and the
    stand-in's PIDs; a change or a restart alters it."""
    return {n: h.run(f"sha256sum {DROPIN} {MANIFEST} {CONFIG} 2>&1; ls -la /var/lib/mysql-keyring 2>&1; "
                     "systemctl show -p MainPID --value mysql.service mysql@bootstrap.service").stdout
            for n, h in cluster.items()}


def size(host):
    return host.check_output("mysql -N -B -e \"SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'\"").split("\t")[1]


def test_turning_it_on_in_a_running_cluster_is_refused(cluster):
    before = snapshot(cluster)
    rc, out = converge("pxc_encrypt_at_rest=true")
    assert rc != 0, out[-3000:]
    assert "replication-traffic encryption or the keyring would change" in out, out[-3000:]
    assert all(f"{n}: keyring none -> component" in out for n in cluster), out[-3000:]
    assert "nor mix nodes with and without a keyring" in out
    assert snapshot(cluster) == before, "a node was changed or restarted"
    assert all(not h.file(MANIFEST).exists for h in cluster.values())


@pytest.fixture(scope="module")
def switched(cluster):
    """The whole-cluster switch: every node stopped, the keyring and settings written, bootstrap, joins."""
    proc = run_playbook("pxc_toggle_cluster_encryption.yml", "pxc_toggle_confirm=true", "pxc_encrypt_at_rest=true")
    return proc.returncode, proc.stdout + proc.stderr


def test_the_toggle_playbook_turns_it_on(cluster, switched):
    rc, out = switched
    assert rc == 0, out[-4000:]
    for name, host in cluster.items():
        manifest = host.file(MANIFEST)
        assert (manifest.user, manifest.group, manifest.mode) == ("root", "mysql", 0o640), name
        assert json.loads(manifest.content_string) == {"read_local_manifest": False,
                                                       "components": "file://component_keyring_file"}
        config = host.file(CONFIG)
        assert (config.user, config.group, config.mode) == ("root", "mysql", 0o640), name
        assert json.loads(config.content_string) == {"path": KEYRING, "read_only": False}
        folder = host.file(os.path.dirname(KEYRING))
        assert (folder.user, folder.mode) == ("mysql", 0o750), name
        dropin = host.file(DROPIN).content_string
        for option in SETTINGS:
            assert f"\n{option} = ON\n" in dropin, (name, option)
        assert "gcache.encryption=yes; allocator.disk_pages_encryption=yes" in dropin
        # The stand-in started with the component loaded (it refuses to start when it cannot load it).
        server = json.loads(host.file(SERVER_JSON).content_string)
        assert server["keyring"]["component"] == "component_keyring_file" and server["keyring"]["path"] == KEYRING
        assert host.check_output("mysql -N -B -e 'SELECT @@default_table_encryption'") == "ON"
        assert "gcache.encryption = yes" in host.check_output("mysql -N -B -e 'SELECT @@wsrep_provider_options'")
        assert size(host) == "3", name


def test_a_second_run_changes_nothing(cluster, switched):
    before = snapshot(cluster)
    rc, out = converge("pxc_encrypt_at_rest=true")
    assert rc == 0, out[-3000:]
    for name in cluster:
        recap = re.findall(rf"^{name}\s+:.*\bchanged=(\d+)", out, re.M)
        assert recap and recap[-1] == "0", (name, out[-1500:])
    assert snapshot(cluster) == before


@pytest.fixture(scope="module")
def refused(cluster, switched):
    """Two read-only runs side by side, each refused before any change: bad keyring files on pxc2/pxc3, and
    data at rest turned off. The files are restored afterwards."""
    pxc2, pxc3 = cluster["pxc2"], cluster["pxc3"]
    pxc2.check_output(f"install -o mysql -g mysql -m 0644 /dev/null {KEYRING}")
    pxc3.check_output(f"mv {LIBRARY} {LIBRARY}.away")
    before = snapshot(cluster)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            bad_files = pool.submit(converge, "pxc_encrypt_at_rest=true")
            turned_off = pool.submit(converge)
            results = {"bad_files": bad_files.result(), "turned_off": turned_off.result()}
        results["unchanged"] = snapshot(cluster) == before
    finally:
        pxc2.run(f"rm -f {KEYRING}")
        pxc3.run(f"mv {LIBRARY}.away {LIBRARY}")
    return results


def test_bad_keyring_files_stop_before_any_change(refused):
    rc, out = refused["bad_files"]
    assert rc != 0, out[-3000:]
    assert f"pxc2: keyring file {KEYRING} is readable or writable by others (mode 0644)" in out, out[-3000:]
    assert f"pxc3: {LIBRARY} does not exist: the server would not start without its keyring" in out, out[-3000:]
    assert "pxc1: keyring file" not in out and f"pxc1: {LIBRARY}" not in out, "pxc1 (good files) was refused too"
    assert refused["unchanged"], "a node was changed or restarted"


def test_turning_it_off_is_refused(refused, cluster):
    rc, out = refused["turned_off"]
    assert rc != 0, out[-3000:]
    assert f"{MANIFEST} but pxc_encrypt_at_rest is off: the server could no longer read" in out, out[-3000:]
    assert any(f"{n}: the keyring component is loaded by" in out for n in cluster), out[-3000:]
    assert refused["unchanged"], "a node was changed or restarted"
    assert all(size(h) == "3" for h in cluster.values())
