# -*- coding: utf-8 -*-
"""CA rotation on a real three-node cluster (the mariadb_galera molecule scenario): wall time and
number of restarts through the reload path and through the forced rolling-restart path, same run.
Writes a table into docs/benchmarks.md. Run: make bench-rotation (takes a few minutes)."""
import glob
import os
import subprocess
import sys
import time

import doc_section

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
START, END = "<!-- bench_rotation:start -->", "<!-- bench_rotation:end -->"
NODES = ["node1", "node2", "node3"]


def env():
    e = dict(os.environ)
    e["PATH"] = os.path.join(ROOT, ".venv", "bin") + os.pathsep + e["PATH"]
    e["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(ROOT, ".build", "link")
    e["CLUSTERSEC_NODE_IMAGE"] = open(os.path.join(ROOT, ".build", "node-image")).read().strip()
    return e


def molecule(action):
    subprocess.run(["molecule", action, "-s", "mariadb_galera"], cwd=ROOT, env=env(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pids():
    return [subprocess.run(["podman", "exec", n, "systemctl", "show", "-p", "MainPID", "--value", "mariadb"],
                           capture_output=True, text=True, check=True).stdout.strip() for n in NODES]


def rotation(force_restart):
    inv = glob.glob(os.path.expanduser("~/.ansible/tmp/molecule.*.mariadb_galera/inventory"))[0]
    pki = os.path.join(os.path.dirname(inv), "pki")
    before = pids()
    # molecule's ansible.cfg: the podman connection settings and the controller's interpreter
    run_env = dict(env(), ANSIBLE_CONFIG=os.path.join(os.path.dirname(inv), "ansible.cfg"))
    t0 = time.monotonic()
    out = subprocess.run(["ansible-playbook", "-i", inv, os.path.join(ROOT, "playbooks", "rotate_certificates.yml"),
                          "-e", f"pki_dir={pki}", "-e", "rotate_ca=true",
                          "-e", f"mariadb_galera_force_restart={str(force_restart).lower()}"],
                         env=run_env, check=False, capture_output=True, text=True)
    log = os.path.join(ROOT, ".build", "logs", f"bench-rotation-{'restart' if force_restart else 'reload'}.log")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "w") as fh:
        fh.write(out.stdout + out.stderr)
    if out.returncode != 0:
        sys.exit("rotation failed:\n" + out.stdout[-5000:] + out.stderr[-3000:])
    out = out.stdout
    elapsed = time.monotonic() - t0
    # Server restarts: the role's restart task reporting changed, and nodes whose PID differs.
    restarts = 0
    for block in out.split("TASK [")[1:]:
        if block.startswith("clustersec.mysql.mariadb_galera : Restart the node]"):
            restarts += block.count("changed: [")
    restarted_nodes = sum(1 for a, b in zip(before, pids()) if a != b)
    return elapsed, restarts, restarted_nodes


def main():
    subprocess.run([os.path.join(ROOT, "scripts", "stage-collection.sh"), "link"], check=True, stdout=subprocess.DEVNULL)
    molecule("destroy")
    molecule("create")
    molecule("converge")
    try:
        reload_t, reload_r, reload_n = rotation(False)
        restart_t, restart_r, restart_n = rotation(True)
    finally:
        molecule("destroy")
    section = "\n".join([
        START, "## CA rotation on three nodes: reload path vs rolling restarts", "",
        f"Measured {time.strftime('%Y-%m-%d')} on this machine, MariaDB 10.11 / galera-4 26.4.23 in podman, "
        "three phases (old+new bundle, new certificates, new CA only) and phase 4 (each node shown a certificate "
        "of the previous CA; a node whose group communication still accepts it is restarted, gated, one at a time). "
        "Run: `make bench-rotation`.", "",
        "Which steps restart, and why: phases 1-3 never restart on the reload path (`FLUSH SSL` builds a new "
        "context for 3306; `socket.ssl_reload` re-reads galera's files). galera-4's reload only adds CAs to its "
        "trust store, so phase 4 finds the previous CA still accepted on 4567 and restarts every node once; that "
        "restart is what makes the old CA refused. The forced path restarts in every phase instead.", "",
        "| path | wall time | server restarts | nodes whose server PID changed |", "|---|---|---|---|",
        f"| reload path (phases 1-3 reload, phase 4 restarts where the old CA is still accepted) | {reload_t:.1f} s "
        f"| {reload_r} | {reload_n} of 3 |",
        f"| forced rolling restart (one per node per phase) | {restart_t:.1f} s | {restart_r} | {restart_n} of 3 |",
        "", f"Reload path / restart path: {reload_t / restart_t:.2f}. Every restart rejoined by "
        "IST (the playbook asserts it). Data set: the scenario's few tables, so a restart here is cheaper than on a "
        "production node with a large buffer pool.", END])
    doc_section.write(DOC, START, END, section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
