# -*- coding: utf-8 -*-
"""CA rotation and idempotent re-runs on real MariaDB Galera clusters of 3 and 5 nodes, every figure of one
cluster size from one run: the hand-run reload path (benchmarks/hand_rotation.py, with and without the
restarts galera needs before the previous CA is refused), rotate_certificates.yml through the reload path and
through forced rolling restarts, each under a writer at 10 writes/s; `ansible -m ping` and an idempotent
site.yml. The playbooks connect as a controller does in production: SSH as a non-root user with sudo (become),
pipelining and a persistent connection. Writes a section of docs/benchmarks.md.

    make bench-rotation                       # 3 and 5 nodes, about 25 minutes
    python3 benchmarks/bench_rotation.py --nodes 3
"""
import argparse
import glob
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time

import doc_section

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "molecule", "_shared", "tests"))
from writer import Writer  # noqa: E402 - the molecule tests' writer, one copy

DOC = os.path.join(ROOT, "docs", "benchmarks.md")
START, END = "<!-- bench_rotation:start -->", "<!-- bench_rotation:end -->"
SCENARIOS = {3: ("mariadb_galera", ["node1", "node2", "node3"]),
             5: ("bench_galera5", ["bnode1", "bnode2", "bnode3", "bnode4", "bnode5"])}
# The converge playbook's settings, so site.yml over SSH converges to the same cluster.
CONVERGE_VARS = {"mariadb_galera_sst_method": "mariabackup", "mariadb_galera_require_secure_transport": True,
                 "mariadb_galera_wsrep_provider_options": "gcache.size=64M; gcs.fc_limit=32"}


def env():
    e = dict(os.environ)
    e["PATH"] = os.path.join(ROOT, ".venv", "bin") + os.pathsep + e["PATH"]
    e["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(ROOT, ".build", "link")
    e["CLUSTERSEC_NODE_IMAGE"] = open(os.path.join(ROOT, ".build", "node-image")).read().strip()
    return e


def molecule(action, scenario):
    subprocess.run(["molecule", action, "-s", scenario], cwd=ROOT, env=env(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def podman_sql(node, sql):
    return subprocess.run(["podman", "exec", "-i", node, "mariadb", "-N", "-B"], input=sql, capture_output=True,
                          text=True, check=True).stdout.strip()


def pids(names):
    return [subprocess.run(["podman", "exec", n, "systemctl", "show", "-p", "MainPID", "--value", "mariadb"],
                           capture_output=True, text=True, check=True).stdout.strip() for n in names]


class Cluster:
    """One converged cluster and an SSH inventory for it (user ops, become, the key molecule's prepare installed)."""

    def __init__(self, size):
        self.size = size
        self.scenario, self.names = SCENARIOS[size]
        # Newest: a second checkout (git worktree) of the project has an ephemeral directory of its own.
        self.eph = max(glob.glob(os.path.expanduser(f"~/.ansible/tmp/molecule.*.{self.scenario}")), key=os.path.getmtime)
        self.pki = os.path.join(self.eph, "pki")
        self.hand_dir = os.path.join(self.eph, "hand-rotation")
        self.inventory = os.path.join(self.eph, "ssh-inventory.yml")
        self.cfg = os.path.join(self.eph, "ssh-ansible.cfg")
        self.password = secrets.token_hex(12)
        ips = {n: subprocess.run(["podman", "exec", n, "hostname", "-I"], capture_output=True, text=True,
                                 check=True).stdout.split()[0] for n in self.names}
        hosts = "".join(f"        {n}: {{ansible_host: {ips[n]}}}\n" for n in self.names)
        conv = "".join(f"    {k}: {v!r}\n".replace("True", "true") for k, v in CONVERGE_VARS.items())
        with open(self.inventory, "w") as fh:
            fh.write(f"all:\n  vars:\n    ansible_user: ops\n    ansible_become: true\n"
                     f"    ansible_ssh_private_key_file: {self.eph}/ssh_key\n"
                     f"    ansible_python_interpreter: /usr/bin/python3\n    pki_dir: {self.pki}\n{conv}"
                     f"  children:\n    mariadb_galera:\n      hosts:\n{hosts}")
        with open(self.cfg, "w") as fh:
            fh.write("[defaults]\nforks = 50\nhost_key_checking = False\ncallbacks_enabled = profile_tasks\n"
                     "[ssh_connection]\npipelining = True\n"
                     "ssh_args = -o ControlMaster=auto -o ControlPersist=300s -o UserKnownHostsFile=/dev/null "
                     "-o LogLevel=ERROR\n")
        podman_sql(self.names[0], "CREATE DATABASE IF NOT EXISTS bench; "
                                  f"CREATE USER IF NOT EXISTS 'bench'@'%' IDENTIFIED BY '{self.password}' REQUIRE SSL; "
                                  "GRANT INSERT, SELECT ON bench.* TO 'bench'@'%';")

    def run(self, cmd, log):
        e = dict(env(), ANSIBLE_CONFIG=self.cfg)
        t0 = time.monotonic()
        out = subprocess.run(cmd, env=e, check=False, capture_output=True, text=True, cwd=ROOT)
        elapsed = time.monotonic() - t0
        path = os.path.join(ROOT, ".build", "logs", f"bench-rotation-{self.size}-{log}.log")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(out.stdout + out.stderr)
        if out.returncode != 0:
            sys.exit(f"{log} failed ({path}):\n" + out.stdout[-4000:] + out.stderr[-2000:])
        return elapsed, out.stdout

    def playbook(self, name, log, *extra):
        args = ["ansible-playbook", "-i", self.inventory, os.path.join(ROOT, "playbooks", name)]
        for e in extra:
            args += ["-e", e]
        return self.run(args, log)

    def under_writer(self, label, action):
        """Run action() with a writer at 10 writes/s; wall time, restarts, failed and acknowledged writes."""
        table = f"bench.w_{re.sub(r'[^a-z0-9]', '_', label)}"
        podman_sql(self.names[0], f"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id INT PRIMARY KEY, v TEXT)")
        writer = Writer(self.names, "bench", self.password, table,
                        [os.path.join(self.pki, "ca.pem"), os.path.join(self.pki, "next", "ca.pem"),
                         os.path.join(self.hand_dir, "ca.pem")])
        before = pids(self.names)
        writer.start()
        time.sleep(1)
        elapsed, restarts = action()
        time.sleep(1)
        writer.stop.set()
        writer.join(90)
        changed = sum(1 for a, b in zip(before, pids(self.names)) if a != b)
        rows = {n: podman_sql(n, f"SELECT COUNT(*) FROM {table}") for n in self.names}
        if any(int(r) != len(writer.acked) for r in rows.values()):
            sys.exit(f"{label}: rows {rows} differ from {len(writer.acked)} acknowledged writes")
        return {"path": label, "seconds": elapsed, "restarts": restarts, "pid_changed": changed,
                "failed": len(writer.failed), "acked": len(writer.acked)}

    def hand(self, restart):
        def action():
            shutil.rmtree(self.hand_dir, ignore_errors=True)
            cmd = [sys.executable, os.path.join(ROOT, "benchmarks", "hand_rotation.py"), "--work", self.hand_dir,
                   self.pki] + self.names + (["--restart"] if restart else [])
            t0 = time.monotonic()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            return time.monotonic() - t0, self.size if restart else 0
        return self.under_writer("hand restart" if restart else "hand reload", action)

    def rotation(self, label, *extra):
        def action():
            elapsed, out = self.playbook("rotate_certificates.yml", label.replace(" ", "-"), "rotate_ca=true", *extra)
            # galera_restart reports each restarted node as "<node>: <ist|sst|none|unknown>: <seconds>".
            return elapsed, len(re.findall(r'"[^"\s]+: (?:ist|sst|none|unknown): [0-9.]+"', out))
        return self.under_writer(label, action)

    def idempotence(self):
        """ansible -m ping (median of 3) and an idempotent site.yml; the site run must change nothing."""
        ping = statistics.median(self.run(["ansible", "-i", self.inventory, "mariadb_galera", "-m", "ansible.builtin.ping"],
                                          "ping")[0] for dummy in range(3))
        before = pids(self.names)
        site, out = self.playbook("site.yml", "site-idempotent")
        plays = len(re.findall(r"^PLAY \[", out, re.M)) - len(re.findall(r"skipping: no hosts matched", out))
        changed = sum(int(c) for c in re.findall(r"changed=(\d+)", out))
        restarted = sum(1 for a, b in zip(before, pids(self.names)) if a != b)
        return {"ping": ping, "site": site, "plays": plays, "changed": changed, "restarted": restarted}


def measure(size):
    scenario = SCENARIOS[size][0]
    molecule("destroy", scenario)
    molecule("create", scenario)
    molecule("prepare", scenario)
    molecule("converge", scenario)
    try:
        c = Cluster(size)
        # The SSH inventory adds each node's address to its certificate's names: converge to it once, untimed.
        c.playbook("site.yml", "site-first")
        idem = c.idempotence()
        rows = [c.hand(False), c.hand(True), c.rotation("playbook reload"),
                c.rotation("playbook reload, opt-out", '{"mariadb_galera_allow_insecure": ["previous_ca_until_restart"]}'),
                c.rotation("playbook restart", "mariadb_galera_force_restart=true")]
        if size >= 5:
            # auto is 1 on 3 nodes (the row above); on 5 it restarts two at a time (issue 31, item 2).
            rows.append(c.rotation("playbook reload, batch auto", "mariadb_galera_restart_batch=auto"))
    finally:
        molecule("destroy", scenario)
    return rows, idem


def section(results):
    lines = [START, "## CA rotation and idempotent re-runs: 3 and 5 nodes", "",
             f"Measured {time.strftime('%Y-%m-%d')} on this machine (2 cores), MariaDB 10.11 / galera-4 in podman, "
             "each cluster size in one run, a writer at 10 writes/s during every rotation (it fails over to the next "
             "node like an application behind a Galera-aware proxy; a write has failed when no node commits it "
             "within 30 s; every node's row count equals the acknowledged writes). The playbooks connect over SSH "
             "as user `ops` with `become` (sudo), pipelining on; the hand-run path (`benchmarks/hand_rotation.py`) "
             "runs its commands through `podman exec`. Run: `make bench-rotation`.", "",
             "Paths: **hand reload** - the work of a CA rotation done by hand: new CAs and certificates (openssl), "
             "files replaced in place, `FLUSH SSL` and `socket.ssl_reload`, wait for Synced, three phases, one node "
             "after another. **hand restart** - the same, then each node restarted in turn: galera-4's "
             "`socket.ssl_reload` only adds CAs to its trust store (docs/trust.md), so this is the least work after "
             "which the previous CA is refused on 4567. **playbook reload** - `rotate_certificates.yml -e "
             "rotate_ca=true`: phases 1-3 reload every node at once, phase 4 shows each node a certificate of the "
             "previous CA and restarts, gated, one at a time, those that accept it. **playbook restart** - the same "
             "with `mariadb_galera_force_restart=true`: one gated restart per node per phase. **playbook reload, opt-out** - "
             "the reload path with the opt-out `previous_ca_until_restart`: phase 4 still probes every node but "
             "restarts none, so the previous CA stays accepted on 4567 until each node's next restart (the report "
             "shows that amber); the work of hand reload. **playbook reload, batch auto** (5 nodes) - the reload path with "
             "`mariadb_galera_restart_batch=auto`: phase 4 restarts the largest batch that leaves a majority running, "
             "two of five at a time (a batch that needed an SST fails the play).", "",
             "| path | nodes | wall time | server restarts | failed writes | ratio to hand reload | "
             "ratio to hand restart |", "|---|---|---|---|---|---|---|"]
    for size, (rows, idem) in sorted(results.items()):
        by = {r["path"]: r for r in rows}
        for r in rows:
            lines.append(f"| {r['path']} | {size} | {r['seconds']:.1f} s | {r['restarts']} | {r['failed']} of "
                         f"{r['acked'] + r['failed']} | {r['seconds'] / by['hand reload']['seconds']:.2f} | "
                         f"{r['seconds'] / by['hand restart']['seconds']:.2f} |")
    lines += ["", "Idempotent `site.yml` against `ansible -m ping` of the same nodes times the plays that ran "
              "(goal: at most 2; changed must be 0 and no server restarted):", "",
              "| nodes | ping | plays | site.yml, idempotent | changed | servers restarted | ratio |",
              "|---|---|---|---|---|---|---|"]
    for size, (rows, idem) in sorted(results.items()):
        lines.append(f"| {size} | {idem['ping']:.2f} s | {idem['plays']} | {idem['site']:.1f} s | {idem['changed']} | "
                     f"{idem['restarted']} | {idem['site'] / (idem['ping'] * idem['plays']):.2f} |")
    if len(results) > 1:
        small, large = min(results), max(results)
        grow = {}
        for path in ("hand reload", "hand restart", "playbook reload", "playbook reload, opt-out", "playbook restart"):
            a = {r["path"]: r for r in results[small][0]}[path]["seconds"]
            b = {r["path"]: r for r in results[large][0]}[path]["seconds"]
            grow[path] = b / a
        lines += ["", f"Growth from {small} to {large} nodes (wall time ratio; {large / small:.2f} would be linear): "
                  + ", ".join(f"{p} {g:.2f}" for p, g in grow.items()) + "."]
    lines.append(END)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, nargs="+", choices=sorted(SCENARIOS), default=sorted(SCENARIOS))
    args = ap.parse_args()
    subprocess.run([os.path.join(ROOT, "scripts", "stage-collection.sh"), "link"], check=True, stdout=subprocess.DEVNULL)
    results = {}
    for size in args.nodes:
        results[size] = measure(size)
        print(f"{size} nodes: {results[size]}", flush=True)
    text = section(results)
    doc_section.write(DOC, START, END, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
