# -*- coding: utf-8 -*-
"""An idempotent x509_node_certs call (server and client certificates, RSA 2048) for 1 and for 100 nodes, in one
run on this machine: the median of 5 calls of each kind, their ratio (goal: at most 1.3), and for comparison the 100-node
call with every key loaded with the RSA consistency checks (the manifest of keys the module wrote removed first).
Writes a section of docs/benchmarks.md."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import doc_section

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
START, END = "<!-- bench_idempotent_certs:start -->", "<!-- bench_idempotent_certs:end -->"
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
MANIFEST = ".clustersec-written-keys.json"


def call(out, count):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "link"))
    cmd = [os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), "-i", "localhost,", "-c", "local",
           os.path.join(ROOT, "benchmarks", "pki", "idempotent.yml"), "-e", f"out={out}", "-e", f"count={count}",
           "-e", f"ansible_python_interpreter={sys.executable}"]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return time.monotonic() - t0, proc.stdout


def idempotent(out, count, drop_manifest=False):
    """One idempotent call; drop_manifest: without the manifest for this call only (it is put back after)."""
    path = os.path.join(out, "nodes", MANIFEST)
    saved = open(path).read() if drop_manifest else None
    if drop_manifest:
        os.unlink(path)
    try:
        elapsed, stdout = call(out, count)
    finally:
        if saved is not None:
            with open(path, "w") as handle:
                handle.write(saved)
    assert "changed=0" in stdout, stdout[-2000:]
    return elapsed


def main():
    subprocess.run([os.path.join(ROOT, "scripts", "stage-collection.sh"), "link"], check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as hundred:
        call(one, 1)
        call(hundred, 100)
        # Interleaved, so that load on this shared machine hits both sides alike.
        t1, t100, t100_checked = [], [], []
        for dummy in range(RUNS):
            t1.append(idempotent(one, 1))
            t100.append(idempotent(hundred, 100))
            t100_checked.append(idempotent(hundred, 100, drop_manifest=True))
        one_s, hundred_s, checked_s = statistics.median(t1), statistics.median(t100), statistics.median(t100_checked)
    ratio, checked_ratio = hundred_s / one_s, checked_s / one_s
    print(f"idempotent x509_node_certs: 1 node {one_s:.2f}s, 100 nodes {hundred_s:.2f}s (ratio {ratio:.2f}); "
          f"100 nodes with every key checked {checked_s:.2f}s (ratio {checked_ratio:.2f})", flush=True)
    lines = [START, "## Idempotent certificate call: 1 node vs 100 nodes", "",
             f"Measured {time.strftime('%Y-%m-%d')} on this machine ({os.cpu_count()} cores): `ansible-playbook` with "
             "`x509_ca` and one `x509_node_certs` call (server and client certificate per node, RSA 2048), nothing to "
             f"change; median of {RUNS} calls of each kind, interleaved. Run: "
             "`make benchmarks`.", "",
             "| call | wall time | ratio to 1 node |", "|---|---|---|",
             f"| 1 node | {one_s:.2f} s | 1.00 |",
             f"| 100 nodes, keys the module wrote (manifest) | {hundred_s:.2f} s | {ratio:.2f} |",
             f"| 100 nodes, every key with the RSA checks (no manifest) | {checked_s:.2f} s | {checked_ratio:.2f} |",
             "", "Goal: at most 1.3 for the idempotent 100-node call. A key that is not byte-for-byte what the module "
             "wrote is loaded with the checks; every key's public key is compared with its certificate either way.",
             END]
    section = "\n".join(lines)
    doc_section.write(DOC, START, END, section)
    return 0 if ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
