# -*- coding: utf-8 -*-
"""Issue node certificates for 3, 30 and 100 nodes three ways, same machine, same run:
(a) clustersec.mysql.x509_node_certs in one call, (b) the community.crypto chain of one task per
step per node, (c) the seed's openssl command loop. Writes a table into docs/benchmarks.md."""
import os
import subprocess
import sys
import tempfile
import time

import doc_section

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.join(ROOT, "benchmarks", "pki")
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
START, END = "<!-- bench_certs:start -->", "<!-- bench_certs:end -->"
COUNTS = [int(c) for c in os.environ.get("BENCH_COUNTS", "3,30,100").split(",")]


def timed(cmd, env=None):
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    return time.monotonic() - t0


def playbook(name, out, count):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "link"))
    venv = os.path.join(ROOT, ".venv", "bin", "ansible-playbook")
    return timed([venv, "-i", "localhost,", "-c", "local", os.path.join(HERE, name),
                  "-e", f"out={out}", "-e", f"count={count}",
                  # the venv's python (it has cryptography), not whatever interpreter discovery finds
                  "-e", f"ansible_python_interpreter={sys.executable}"], env)


def main():
    subprocess.run([os.path.join(ROOT, "scripts", "stage-collection.sh"), "link"], check=True, stdout=subprocess.DEVNULL)
    rows = []
    for count in COUNTS:
        res = {}
        for label, fn in (("a", lambda o: playbook("ours.yml", o, count)),
                          ("b", lambda o: playbook("community_crypto.yml", o, count)),
                          ("c", lambda o: timed([os.path.join(HERE, "seed_openssl.sh"), o, str(count)]))):
            with tempfile.TemporaryDirectory() as out:
                res[label] = fn(out)
            print(f"{count} nodes ({label}): {res[label]:.1f}s", flush=True)
        rows.append((count, res))
    lines = [START, "## Node certificates: one call vs one task per step per node",
             "", f"Measured {time.strftime('%Y-%m-%d')} on this machine ({os.cpu_count()} cores), RSA 2048 node keys, "
             "server certificates only, wall time including ansible-playbook start-up. Run: `make benchmarks`.", "",
             "| nodes | (a) x509_node_certs, one call | (b) community.crypto chain | (c) seed openssl loop | (b)/(a) |",
             "|---|---|---|---|---|"]
    for count, r in rows:
        lines.append(f"| {count} | {r['a']:.1f} s | {r['b']:.1f} s | {r['c']:.1f} s | {r['b'] / r['a']:.1f}x |")
    lines.append(END)
    section = "\n".join(lines)
    doc_section.write(DOC, START, END, section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
