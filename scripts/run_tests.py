# -*- coding: utf-8 -*-
"""Runs the test stages in order, times each, and ends with one line: "N passed, N failed".

Counts: sanity = sanity tests, unit = pytest cases, lint = linters, compat = checks of the built tarball under two
ansible-core versions (scripts/compat.py), molecule = scenarios plus the testinfra cases their verify step ran.
Logs of every stage go to .build/logs/.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, ".build")
LOGS = os.path.join(BUILD, "logs")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")


def env():
    e = dict(os.environ)
    e["PATH"] = VENV_BIN + os.pathsep + e.get("PATH", "")
    e["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(BUILD, "link")
    e.setdefault("ANSIBLE_FORCE_COLOR", "0")
    e["PY_COLORS"] = "0"
    image_file = os.path.join(BUILD, "node-image")
    if os.path.exists(image_file):
        e["CLUSTERSEC_NODE_IMAGE"] = open(image_file).read().strip()
    return e


def run(cmd, log_name, cwd=ROOT, tee=True):
    """Run a command, stream it to the terminal (when tee) and to a log; return (rc, output)."""
    os.makedirs(LOGS, exist_ok=True)
    path = os.path.join(LOGS, log_name)
    out = []
    with open(path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace", shell=isinstance(cmd, str))
        for line in proc.stdout:
            log.write(line)
            out.append(line)
            if tee:
                sys.stdout.write(line)
                sys.stdout.flush()
        rc = proc.wait()
    return rc, "".join(out)


def junit_counts(path):
    if not os.path.exists(path):
        return 0, 1
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    tests = sum(int(s.get("tests", 0)) for s in suites)
    bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return tests - bad - skipped, bad


SETUP_SCRIPTS = ("setup-host.sh", "setup-venv.sh", "build-image.sh",
                 # Real NDB 9.7 programs from Debian's mysql-source, cached outside the clone (issue 27); built here,
                 # before any cluster runs: a compiler beside a Galera cluster starves it.
                 "build-ndb.sh",
                 # The real MySQL 9.7 server image of tests/integration/pxc_real (podman image, cached by its tag).
                 "build-mysql-root.sh")


def stage_setup():
    for script in SETUP_SCRIPTS:
        t0 = time.monotonic()
        rc, dummy = run([os.path.join(ROOT, "scripts", script)], script + ".log")
        print(f"--- {script}: {time.monotonic() - t0:.0f}s", flush=True)
        if rc != 0:
            return 0, 1
    return len(SETUP_SCRIPTS), 0


def stage_sanity():
    rc, out = run([os.path.join(ROOT, "scripts", "sanity.sh")], "sanity.log")
    ran = len(re.findall(r'^Running sanity test "', out, re.M))
    m = re.search(r"The (\d+) sanity test\(s\) listed below \(out of (\d+)\) failed", out)
    failed = int(m.group(1)) if m else (0 if rc == 0 else 1)
    return max(ran - failed, 0), failed


def stage_unit():
    link = subprocess.run([os.path.join(ROOT, "scripts", "stage-collection.sh"), "link"],
                          capture_output=True, text=True, check=True).stdout.strip()
    cwd = os.path.join(link, "ansible_collections", "clustersec", "mysql")
    xml = os.path.join(LOGS, "unit.xml")
    cmd = [os.path.join(VENV_BIN, "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "--import-mode=importlib", "--junitxml", xml, "tests/unit"]
    e_before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = link
    try:
        run(cmd, "unit.log", cwd=cwd)
    finally:
        if e_before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = e_before
    return junit_counts(xml)


def stage_integration():
    """Playbooks on local hosts and against simulators kept under tests/ (NDB: tests/ndb_simulator); two files use
    one container of the node image each (the NDB systemd path, the data-at-rest key file against MariaDB)."""
    xml = os.path.join(LOGS, "integration.xml")
    # Three workers, one test file each at a time (loadfile: a file's module fixtures - a cluster, a container - stay
    # in one worker). The real NDB files spend most of their time waiting for data nodes, so a third worker uses the
    # two cores while the longest file (test_real_ndb.py, about 9 minutes) runs.
    run([os.path.join(VENV_BIN, "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "3", "--dist", "loadfile",
         "--junitxml", xml, "tests/integration"], "integration.log")
    return junit_counts(xml)


def stage_lint():
    passed = failed = 0
    # The shell the collection ships to nodes (the SST script) and the repository's own scripts.
    shell = sorted(glob.glob(os.path.join(ROOT, "roles", "*", "files", "wsrep_sst_*"))
                   + glob.glob(os.path.join(ROOT, "scripts", "*.sh")))
    for name, cmd in (("yamllint", [os.path.join(VENV_BIN, "yamllint"), "-s", "."]),
                      ("ansible-lint", [os.path.join(VENV_BIN, "ansible-lint"), "--profile", "production", "--offline"]),
                      ("shellcheck", ["shellcheck", "-x", *shell])):
        rc, dummy = run(cmd, name + ".log")
        if rc == 0:
            passed += 1
        else:
            failed += 1
            print(f"--- {name} failed (rc={rc})")
    return passed, failed


def stage_compat():
    """The built tarball installed under the oldest admitted and the newest ansible-core (scripts/compat.py)."""
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import compat  # pylint: disable=import-outside-toplevel
    return compat.stage(ROOT, BUILD, LOGS, VENV_BIN)


def scenarios():
    base = os.path.join(ROOT, "molecule")
    # bench_* scenarios are the larger clusters of make bench-rotation, not tests.
    return sorted(d for d in os.listdir(base)
                  if os.path.exists(os.path.join(base, d, "molecule.yml")) and not d.startswith("bench_"))


def scenario_network(name):
    """The podman network of a scenario's first platform: scenarios on different networks use different instance
    names too (molecule/pxc: pxc1..3 on clustersec-pxc), so they can run side by side."""
    text = open(os.path.join(ROOT, "molecule", name, "molecule.yml")).read()
    m = re.search(r"^\s+network:\s*(\S+)", text, re.M)
    return m.group(1) if m else "podman"


def run_scenario(name, tee):
    t0 = time.monotonic()
    rc, out = run([os.path.join(VENV_BIN, "molecule"), "test", "-s", name], f"molecule-{name}.log", tee=tee)
    cases = re.findall(r"=+ (?:(\d+) failed, )?(\d+) passed", out)
    tf_passed = sum(int(p) for dummy, p in cases)
    tf_failed = sum(int(f or 0) for f, dummy in cases)
    ok = rc == 0
    if not ok:
        run([os.path.join(VENV_BIN, "molecule"), "destroy", "-s", name], f"molecule-{name}-destroy.log", tee=False)
    line = (f"=== molecule {name}: {'ok' if ok else 'FAILED'} ({tf_passed} testinfra passed, "
            f"{tf_failed} failed) in {time.monotonic() - t0:.0f}s")
    return tf_passed + (1 if ok else 0), tf_failed + (0 if ok else 1), line


def stage_molecule(only=None):
    """Scenarios sharing a network (and instance names) run one after another in one lane; lanes run side by side.
    The first lane streams to the terminal, the others write their logs and print a summary (and, on failure, the
    log's tail) when they end. Most of a scenario's time is waiting for servers and restarts, not CPU."""
    # The scenarios' converge plays find the collection through .build/link (made by the unit stage in make test;
    # made here too, so that make molecule works alone in a fresh clone).
    subprocess.run([os.path.join(ROOT, "scripts", "stage-collection.sh"), "link"], capture_output=True, check=True)
    lanes = {}
    for name in scenarios():
        if only and name not in only:
            continue
        lanes.setdefault(scenario_network(name), []).append(name)
    ordered = sorted(lanes.values(), key=len, reverse=True)
    results = []

    def lane(names, tee):
        for name in names:
            try:
                p, f, line = run_scenario(name, tee)
            # A crashed lane must count as failed, not vanish in its thread.
            except Exception as exc:  # pylint: disable=broad-except
                results.append((0, 1))
                print(f"=== molecule {name}: FAILED (the lane crashed: {exc!r})", flush=True)
                continue
            results.append((p, f))
            if not tee:
                print(f"\n(side lane) molecule {name} log: {os.path.join(LOGS, 'molecule-' + name + '.log')}")
                if f:
                    with open(os.path.join(LOGS, f"molecule-{name}.log")) as log:
                        sys.stdout.write("".join(log.readlines()[-80:]))
            print(line, flush=True)

    side = [threading.Thread(target=lane, args=(names, False)) for names in ordered[1:]]
    for t in side:
        t.start()
    if ordered:
        lane(ordered[0], True)
    for t in side:
        t.join()
    return sum(p for p, dummy in results), sum(f for dummy, f in results)


STAGES = [("setup", stage_setup), ("sanity", stage_sanity), ("unit", stage_unit), ("integration", stage_integration),
          ("lint", stage_lint), ("compat", stage_compat),
          ("molecule", stage_molecule)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append", help="run only these stages")
    ap.add_argument("--scenario", action="append", help="molecule scenarios to run")
    args = ap.parse_args()
    results = []
    t_all = time.monotonic()
    for name, fn in STAGES:
        if args.only and name not in args.only:
            continue
        print(f"\n######## stage {name} ########", flush=True)
        t0 = time.monotonic()
        p, f = fn(args.scenario) if name == "molecule" else fn()
        dt = time.monotonic() - t0
        results.append((name, p, f, dt))
        print(f"######## stage {name}: {p} passed, {f} failed, {dt:.0f}s ########", flush=True)
        if name == "setup" and f:
            break
    print("\n| stage | passed | failed | seconds |\n|---|---|---|---|")
    for name, p, f, dt in results:
        print(f"| {name} | {p} | {f} | {dt:.0f} |")
    total_p = sum(r[1] for r in results)
    total_f = sum(r[2] for r in results)
    print(f"total wall time {time.monotonic() - t_all:.0f}s")
    print(f"{total_p} passed, {total_f} failed")
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
