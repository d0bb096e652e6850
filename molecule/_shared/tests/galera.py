"""Helpers shared by the testinfra suites: run SQL on a node through the local client."""


def sql(host, query):
    """Run a query as root over the unix socket and return stdout stripped."""
    cmd = host.run("mariadb -N -B -e %s", query)
    assert cmd.rc == 0, f"{host.backend.hostname}: {query!r} failed: {cmd.stderr}"
    return cmd.stdout.strip()


def status(host, name):
    out = sql(host, f"SHOW GLOBAL STATUS LIKE '{name}'")
    return out.split("\t", 1)[1] if "\t" in out else ""


def node_names(group="mariadb_galera"):
    import os

    import testinfra.utils.ansible_runner

    return sorted(testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts(group))


def podman_hosts(group="mariadb_galera"):
    """testinfra host specs that reach the containers with `podman exec` directly.

    The ansible backend runs one ad-hoc module per command and, when that run hiccups, fails
    inside testinfra with KeyError('stdout') instead of a result (seen once in CI).
    """
    return [f"podman://{n}" for n in node_names(group)]


def nodes(group="mariadb_galera"):
    """The scenario's nodes as testinfra hosts, by name."""
    import testinfra

    return {n: testinfra.get_host(f"podman://{n}") for n in node_names(group)}


def wait_synced(host, timeout=300):
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        cmd = host.run("mariadb -N -B -e \"SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment'\"")
        if cmd.rc == 0 and "Synced" in cmd.stdout:
            return
        time.sleep(1)
    raise AssertionError(f"{host.backend.get_hostname()} not Synced after {timeout}s")


def run_playbook(playbook, *extra, check=False):
    """Run one of the collection's playbooks against the scenario inventory; return the process.

    By its name in the collection (clustersec.mysql.<name>), as a user does: the copy found on the scenario's
    ANSIBLE_COLLECTIONS_PATH runs (the checkout through .build/link, or galera_smoke's installed tarball).
    """
    import os
    import subprocess

    name = "clustersec.mysql." + (playbook[:-4] if playbook.endswith(".yml") else playbook)
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], name] + (["--check"] if check else [])
    for item in extra:
        cmd += ["-e", item]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def encryption_report(tmpdir, *extra):
    """verify_encryption.yml into tmpdir; returns (process, report dict or None)."""
    import json
    import os

    proc = run_playbook("verify_encryption.yml", f"verify_encryption_report_dir={tmpdir}",
                        "verify_encryption_report_name=report", "verify_encryption_create_probe_user=true", *extra)
    path = os.path.join(str(tmpdir), "report.json")
    report = json.load(open(path)) if os.path.exists(path) else None
    return proc, report


def probe_cert(tmp_path, ca, ca_key, cn):
    """A certificate signed by `ca`: what someone holding that CA's key could present. Returns (cert, key)."""
    import subprocess

    key, csr, cert = (str(tmp_path / f"{cn}.{ext}") for ext in ("key", "csr", "pem"))
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout", key, "-out", csr],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-days", "2", "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def node_snapshot(names):
    """Per node: the checksum of every file under /etc/mysql and the server's MainPID, read through podman."""
    import subprocess

    out = {}
    for n in names:
        p = subprocess.run(["podman", "exec", n, "sh", "-c",
                            "find /etc/mysql -type f -exec sha256sum {} + | sort; systemctl show -p MainPID --value mariadb"],
                           capture_output=True, text=True, check=True)
        out[n] = p.stdout
    return out


def tree_snapshot(path):
    """Every file under a controller directory with its mode and checksum (an absent directory is {})."""
    import hashlib
    import os

    out = {}
    for dirpath, dummy, files in os.walk(path):
        for f in files:
            full = os.path.join(dirpath, f)
            with open(full, "rb") as fh:
                out[os.path.relpath(full, path)] = (oct(os.stat(full).st_mode), hashlib.sha256(fh.read()).hexdigest())
    return out


def changed_tasks(output):
    """The TASK lines followed by a changed: result in an ansible-playbook output."""
    out, task = [], None
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line
        elif line.startswith("changed:") and task:
            out.append(f"{task} {line}")
    return out
