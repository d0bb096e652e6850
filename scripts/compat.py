# -*- coding: utf-8 -*-
"""The compat stage: the collection as it ships, under the oldest and the newest ansible-core.

The tarball is built once (ansible-galaxy collection build) and installed (ansible-galaxy collection install -p)
into two virtualenvs under .build/compat/: the newest release of the oldest ansible-core line that
meta/runtime.yml admits (requires_ansible) and the newest ansible-core release pip offers (for the newest Python
found on this machine). Both versions are resolved with pip each run; a venv is kept between runs, keyed by its
ansible-core version, its Python and the shipped requirements.txt, so a second run installs nothing.

Checks, each counted passed or failed: the tarball holds no development files; in each venv the install,
ansible-doc of every module, filter (and any other documented plugin) and role of the installed collection
(return code, the plugin's section in the output, its JSON documentation), ansible-inventory --list of every
example inventory (its groups, hosts and connection variables), and ansible-playbook --syntax-check of every
playbook by its FQCN against the example inventory of its product.
"""
import concurrent.futures
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time

NAMESPACE, NAME = "clustersec", "mysql"
FQCN = f"{NAMESPACE}.{NAME}"
# plugins/ directories documented by ansible-doc, and their plugin type.
DOC_TYPES = {"modules": "module", "filter": "filter", "test": "test", "lookup": "lookup", "callback": "callback",
             "connection": "connection", "inventory": "inventory", "become": "become", "cache": "cache",
             "vars": "vars", "strategy": "strategy", "shell": "shell", "cliconf": "cliconf", "httpapi": "httpapi",
             "netconf": "netconf"}
# Example inventories (inventories/examples/<product>/hosts.yml) and the groups each must have.
PRODUCTS = {"mariadb_galera": ["mariadb_galera"], "pxc": ["pxc"], "ndb": ["ndb_mgmd", "ndb_data", "ndb_api"]}
HOST_VARS = ("ansible_user", "ansible_become", "ansible_ssh_private_key_file", "pki_dir")
# Files of the repository that must not ship (prefixes of tarball member names).
DEV_FILES = ("requirements-dev.txt", "requirements-constraints.txt", "Makefile", "scripts/", "molecule/", "images/",
             "benchmarks/", "tests/output/", "tests/ndb_simulator/", ".build/", ".venv/", ".ansible/", ".ci/",
             ".config/", ".git/", ".ansible-lint", ".yamllint", "inventories/demo/")
SHIPPED = ("README.md", "requirements.txt", "meta/execution-environment.yml", "meta/runtime.yml", "docs/development.md",
           *(f"inventories/examples/{p}/hosts.yml" for p in PRODUCTS))

_print_lock = threading.Lock()


def say(msg):
    with _print_lock:
        print(msg, flush=True)


def product_of(playbook):
    """The example inventories a playbook is syntax-checked against."""
    if playbook.startswith("ndb_"):
        return ["ndb"]
    if playbook.startswith("pxc_"):
        return ["pxc"]
    if playbook in ("rotate_certificates", "verify_encryption", "recover_expired_certificates"):
        return ["mariadb_galera", "pxc"]
    return ["mariadb_galera"]


def min_ansible_core(root):
    """The oldest ansible-core line meta/runtime.yml admits ('>=2.16.0' -> '2.16')."""
    text = open(os.path.join(root, "meta", "runtime.yml")).read()
    m = re.search(r"^requires_ansible:\s*['\"]?>=\s*(\d+)\.(\d+)", text, re.M)
    return f"{m.group(1)}.{m.group(2)}" if m else "2.16"


def interpreters():
    """Python versions on this machine that can make a venv: {(major, minor): path}."""
    cands = [sys.executable, shutil.which("python3")]
    cands += [shutil.which(f"python3.{m}") for m in range(30, 8, -1)]
    cands += (os.environ.get("CLUSTERSEC_COMPAT_PYTHONS") or "").split(os.pathsep)
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    cands += sorted(glob.glob(os.path.join(pyenv, "versions", "3.*", "bin", "python3")))
    found = {}
    for c in cands:
        if not c or not os.path.exists(c):
            continue
        try:
            r = subprocess.run([c, "-c", "import sys, venv, ensurepip; print('%d %d' % sys.version_info[:2])"],
                               capture_output=True, text=True, timeout=20, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0 and re.fullmatch(r"\d+ \d+", r.stdout.strip()):
            found.setdefault(tuple(int(x) for x in r.stdout.split()), c)
    return found


def pip_versions(pip, pyver):
    """ansible-core releases pip offers for Python pyver, newest first ([] when the index is unreachable)."""
    cmd = [pip, "index", "versions", "ansible-core", "--disable-pip-version-check", "--python-version",
           "%d.%d" % pyver, "--only-binary=:all:"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    except subprocess.TimeoutExpired:
        return []
    m = re.search(r"^Available versions: (.+)$", r.stdout, re.M)
    if r.returncode != 0 or not m:
        return []
    return [v.strip() for v in m.group(1).split(",") if re.fullmatch(r"\d+\.\d+\.\d+", v.strip())]


def vkey(version):
    return tuple(int(x) for x in version.split("."))


class Venv:
    def __init__(self, base, track, label, version, pyver, python):
        self.track, self.label, self.version, self.pyver, self.python = track, label, version, pyver, python
        self.path = os.path.join(base, f"{track}-ansible-core-{version}-py{pyver[0]}.{pyver[1]}")
        self.bin = os.path.join(self.path, "bin")
        self.collections = os.path.join(self.path, "collections")
        self.log = None
        self.passed = self.failed = 0
        self.seconds = 0.0
        self.cached = False

    def env(self):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("ANSIBLE_", "PYTHON", "VIRTUAL_ENV", "PIP_"))}
        root_venv = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".venv", "bin")
        path = [p for p in e.get("PATH", "").split(os.pathsep) if p and os.path.abspath(p) != root_venv]
        e["PATH"] = os.pathsep.join([self.bin] + path)
        e["VIRTUAL_ENV"] = self.path
        e.update(ANSIBLE_COLLECTIONS_PATH=self.collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
                 ANSIBLE_HOME=os.path.join(self.path, "ansible-home"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                 ANSIBLE_INVENTORY_UNPARSED_FAILED="true", ANSIBLE_ROLES_PATH=os.path.join(self.path, "roles"))
        return e

    def run(self, cmd, timeout=600):
        t0 = time.monotonic()
        try:
            r = subprocess.run(cmd, cwd=self.path, env=self.env(), capture_output=True, text=True, errors="replace",
                               timeout=timeout, check=False)
            rc, out, err = r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = 124, e.stdout or "", (e.stderr or "") + f"\ntimed out after {timeout}s"
        except OSError as e:
            rc, out, err = 127, "", str(e)
        self.log.write(f"\n$ {' '.join(cmd)}\n# rc={rc} in {time.monotonic() - t0:.1f}s\n{out}{err}")
        self.log.flush()
        return rc, out, err

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            say(f"[{self.version}] FAILED {what}" + (f": {detail.strip()[-600:]}" if detail.strip() else ""))
        return ok

    def stamp(self, requirements):
        return json.dumps({"ansible_core": self.version, "python": "%d.%d" % self.pyver,
                           "requirements": hashlib.sha256(requirements).hexdigest()}, sort_keys=True)

    def ensure(self, requirements):
        """Create the venv unless one with the same stamp exists; True when it is usable."""
        stamp_file = os.path.join(self.path, ".clustersec-compat")
        want = self.stamp(requirements)
        if os.path.exists(stamp_file) and open(stamp_file).read() == want \
                and os.path.exists(os.path.join(self.bin, "ansible-doc")):
            self.cached = True
            # Counted like a fresh install, so that a warm run counts the same checks as a cold one.
            return self.check(True, "cached venv")
        shutil.rmtree(self.path, ignore_errors=True)
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        r = subprocess.run([self.python, "-m", "venv", self.path], capture_output=True, text=True, check=False)
        if r.returncode != 0:
            return self.check(False, f"venv with {self.python}", r.stdout + r.stderr)
        req = os.path.join(self.path, "requirements.txt")
        with open(req, "wb") as f:
            f.write(requirements)
        rc, out, err = self.run([os.path.join(self.bin, "pip"), "install", "-q", "--disable-pip-version-check",
                                 f"ansible-core=={self.version}", "-r", req], timeout=900)
        if not self.check(rc == 0, f"pip install ansible-core=={self.version} -r requirements.txt", out + err):
            return False
        with open(stamp_file, "w") as f:
            f.write(want)
        return True


def doc_names(v, installed):
    """{ansible-doc type: [plugin names]} of the installed collection."""
    names = {}
    for directory, ptype in DOC_TYPES.items():
        d = os.path.join(installed, "plugins", directory)
        if not os.path.isdir(d):
            continue
        found = set()
        for f in os.listdir(d):
            stem, ext = os.path.splitext(f)
            if stem.startswith("_") or stem == "__init__":
                continue
            # filter/test: the .py files hold several plugins, documented by the .yml files beside them.
            if ptype in ("filter", "test"):
                if ext in (".yml", ".yaml"):
                    found.add(stem)
            elif ext == ".py" or (ptype == "module" and ext in (".yml", ".yaml")):
                found.add(stem)
        if ptype in ("filter", "test"):
            rc, out, dummy = v.run([os.path.join(v.bin, "ansible-doc"), "-t", ptype, "-l", FQCN, "--json"])
            if rc == 0:
                try:
                    found.update(n.split(".", 2)[2] for n in json.loads(out or "{}") if n.startswith(FQCN + "."))
                except ValueError:
                    pass
        if found:
            names[ptype] = sorted(found)
    roles = sorted(r for r in os.listdir(os.path.join(installed, "roles"))
                   if os.path.isdir(os.path.join(installed, "roles", r, "tasks")))
    if roles:
        names["role"] = roles
    return names


def text_sections(out):
    """ansible-doc text output split by plugin: {fqcn: lines}."""
    sections, current = {}, None
    for line in out.splitlines():
        # "> MODULE clustersec.mysql.x (path)", "> ROLE: *clustersec.mysql.x* (path)", 2.16: "> CLUSTERSEC.MYSQL.X (path)"
        m = re.match(rf"^> .*?\b({re.escape(FQCN)}\.\w+)\b\S*\s+\(", line, re.I)
        if m:
            current = m.group(1).lower()
            sections[current] = []
        elif current:
            sections[current].append(line)
    return sections


def json_ok(ptype, entry):
    if not isinstance(entry, dict) or "error" in entry:
        return False
    if ptype == "role":
        return bool(entry.get("entry_points"))
    return bool((entry.get("doc") or {}).get("short_description"))


def check_docs(v, ptype, names):
    doc = os.path.join(v.bin, "ansible-doc")
    fq = [f"{FQCN}.{n}" for n in names]

    def judge(rc_t, out_t, err_t, rc_j, out_j, subset):
        try:
            data = json.loads(out_j or "{}")
        except ValueError:
            data = {}
        sections = text_sections(out_t)
        bad = {}
        for n in subset:
            lines = sections.get(n, [])
            if rc_t != 0 or rc_j != 0:
                bad[n] = f"rc text={rc_t} json={rc_j}: {err_t.strip()[-400:]}"
            elif re.search(rf"{re.escape(n)}\b.*(not found|missing documentation|could not)", err_t):
                bad[n] = err_t.strip()[-400:]
            elif sum(1 for x in lines if x.strip()) < 2:
                bad[n] = "no documentation in the text output"
            elif not json_ok(ptype, data.get(n)):
                bad[n] = "no documentation (short_description / entry_points) in the JSON output"
        return bad

    def probe(subset):
        rc_t, out_t, err_t = v.run([doc, "-t", ptype, *subset])
        rc_j, out_j = v.run([doc, "-t", ptype, "--json", *subset])[:2] if rc_t == 0 else (rc_t, "")
        if (rc_t == 0 and rc_j == 0) or len(subset) == 1:
            return judge(rc_t, out_t, err_t, rc_j, out_j, subset)
        # One broken plugin fails the whole call: halve the list until the broken ones are named.
        half = len(subset) // 2
        return {**probe(subset[:half]), **probe(subset[half:])}

    bad = probe(fq)
    for n in fq:
        v.check(n not in bad, f"ansible-doc -t {ptype} {n}", bad.get(n, ""))
    say(f"[{v.version}] ansible-doc -t {ptype}: {len(fq) - len(bad)}/{len(fq)} documented")


def check_inventory(v, product, inv):
    rc, out, err = v.run([os.path.join(v.bin, "ansible-inventory"), "-i", inv, "--list"])
    problems = []
    try:
        data = json.loads(out) if rc == 0 else {}
    except ValueError:
        data = {}
        problems.append("output is not JSON")
    if rc != 0:
        problems.append(f"rc={rc} {err.strip()[-400:]}")
    # An inventory key Ansible skips (a misplaced variable, an unknown section) is only a warning.
    problems += [ln.strip() for ln in err.splitlines() if "[WARNING]" in ln][:5]
    hostvars = (data.get("_meta") or {}).get("hostvars") or {}
    for group in PRODUCTS[product]:
        hosts = (data.get(group) or {}).get("hosts") or []
        if not hosts and rc == 0:
            problems.append(f"group {group} has no hosts")
        for h in hosts:
            missing = [k for k in HOST_VARS if k not in hostvars.get(h, {})]
            if missing:
                problems.append(f"{h} lacks {', '.join(missing)}")
            elif hostvars[h]["ansible_become"] is not True:
                problems.append(f"{h}: ansible_become is not true")
    v.check(not problems, f"ansible-inventory -i inventories/examples/{product} --list", "; ".join(problems))
    return not problems


def check_syntax(v, product, inv, playbooks):
    cmd = [os.path.join(v.bin, "ansible-playbook"), "-i", inv, "--syntax-check"]
    fq = [f"{FQCN}.{p}" for p in playbooks]
    rc, out, err = v.run(cmd + fq)
    results = {}
    if rc == 0:
        for p in playbooks:
            results[p] = (bool(re.search(rf"^playbook: \S*/playbooks/{re.escape(p)}\.ya?ml$", out, re.M)),
                          "not reported by --syntax-check")
    else:
        for p in playbooks:
            rc1, out1, err1 = v.run(cmd + [f"{FQCN}.{p}"])
            results[p] = (rc1 == 0, (out1 + err1).strip())
    for p in playbooks:
        v.check(results[p][0], f"ansible-playbook -i inventories/examples/{product} --syntax-check {FQCN}.{p}",
                results[p][1])
    say(f"[{v.version}] syntax-check against inventories/examples/{product}: "
        f"{sum(1 for p in playbooks if results[p][0])}/{len(playbooks)} playbooks")


def run_venv(v, tarball, requirements, logs):
    t0 = time.monotonic()
    with open(os.path.join(logs, f"compat-{v.track}.log"), "w") as v.log:
        try:
            if not v.ensure(requirements):
                return v
            say(f"[{v.version}] venv {os.path.relpath(v.path)} ({'cached' if v.cached else 'created'}, "
                f"Python {v.pyver[0]}.{v.pyver[1]}, {time.monotonic() - t0:.0f}s)")
            shutil.rmtree(v.collections, ignore_errors=True)
            rc, out, err = v.run([os.path.join(v.bin, "ansible-galaxy"), "collection", "install", "--force",
                                  "-p", v.collections, tarball])
            installed = os.path.join(v.collections, "ansible_collections", NAMESPACE, NAME)
            if not v.check(rc == 0 and os.path.isdir(installed), "ansible-galaxy collection install -p", out + err):
                return v
            for ptype, names in doc_names(v, installed).items():
                check_docs(v, ptype, names)
            playbooks = sorted(os.path.splitext(os.path.basename(p))[0]
                               for p in glob.glob(os.path.join(installed, "playbooks", "*.yml")))
            for product in PRODUCTS:
                inv = os.path.join(installed, "inventories", "examples", product, "hosts.yml")
                if not v.check(os.path.exists(inv), f"inventories/examples/{product}/hosts.yml installed"):
                    continue
                check_inventory(v, product, inv)
                check_syntax(v, product, inv, [p for p in playbooks if product in product_of(p)])
        finally:
            v.seconds = time.monotonic() - t0
    return v


def check_tarball(tarball):
    with tarfile.open(tarball) as t:
        members = [m.name[2:] if m.name.startswith("./") else m.name for m in t.getmembers()]
        requirements = t.extractfile("requirements.txt").read() if "requirements.txt" in members else b""
    shipped_dev = sorted({m for m in members for d in DEV_FILES if m == d.rstrip("/") or m.startswith(d)})
    missing = [f for f in SHIPPED if f not in members]
    pinned = [ln for ln in requirements.decode().splitlines()
              if ln.strip() and not ln.lstrip().startswith("#") and re.search(r"==|<|~=", ln)]
    problems = ([f"development files shipped: {', '.join(shipped_dev[:20])}"] if shipped_dev else []) \
        + ([f"missing: {', '.join(missing)}"] if missing else []) \
        + ([f"requirements.txt pins or caps: {', '.join(pinned)}"] if pinned else [])
    return members, requirements, problems


def stage(root, build, logs, venv_bin):
    """Returns (passed, failed)."""
    t_stage = time.monotonic()
    base = os.path.join(build, "compat")
    dist = os.path.join(base, "dist")
    os.makedirs(logs, exist_ok=True)
    shutil.rmtree(dist, ignore_errors=True)
    os.makedirs(dist)
    passed = failed = 0

    t0 = time.monotonic()
    r = subprocess.run([os.path.join(venv_bin, "ansible-galaxy"), "collection", "build", root, "--output-path", dist,
                        "--force"], cwd=dist, capture_output=True, text=True, check=False,
                       env={k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")})
    tarballs = glob.glob(os.path.join(dist, f"{NAMESPACE}-{NAME}-*.tar.gz"))
    if r.returncode != 0 or len(tarballs) != 1:
        print(f"FAILED ansible-galaxy collection build: {(r.stdout + r.stderr).strip()[-800:]}")
        return 0, 1
    tarball = tarballs[0]
    members, requirements, problems = check_tarball(tarball)
    if problems:
        failed += 1
        print("FAILED tarball contents: " + "; ".join(problems))
    else:
        passed += 1
    needs = " ".join(ln.strip() for ln in requirements.decode().splitlines() if ln.strip() and not ln.startswith("#"))
    print(f"built {os.path.relpath(tarball, root)} in {time.monotonic() - t0:.0f}s: {len(members)} entries"
          + ("" if problems else f", no development files, requirements.txt: {needs}"))

    # Which ansible-core versions: the newest of the oldest admitted line (on a Python that line supports,
    # preferably this one) and the newest release for the newest Python here.
    t0 = time.monotonic()
    pythons = interpreters()
    oldest_line = min_ansible_core(root)
    here = sys.version_info[:2]
    # ansible-core 2.16 runs its controller on Python 3.10 to 3.12.
    old_py = here if here in pythons and (3, 10) <= here <= (3, 12) else \
        max((p for p in pythons if (3, 10) <= p <= (3, 12)), default=here)
    new_py = max(pythons) if pythons else here
    pip = os.path.join(venv_bin, "pip")
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        old_list, new_list = ex.map(lambda py: pip_versions(pip, py), (old_py, new_py))
    wanted = []
    for track, label, versions, py in (("oldest", f"newest {oldest_line}.x", old_list, old_py),
                                       ("newest", "newest release", new_list, new_py)):
        if track == "oldest":
            versions = [x for x in versions if x.startswith(oldest_line + ".")]
        version = versions[0] if versions else None
        if version is None:
            # Index unreachable: the venv of this track from an earlier run, if any.
            cached = sorted(glob.glob(os.path.join(base, f"{track}-ansible-core-*", ".clustersec-compat")))
            if cached:
                version = max((re.search(r"ansible-core-([\d.]+)-py", c).group(1) for c in cached), key=vkey)
                label += ", pip index unreachable: cached venv"
            else:
                print(f"FAILED could not resolve the {label} of ansible-core with pip (is PyPI reachable?)")
                failed += 1
                continue
        wanted.append(Venv(base, track, label, version, py, pythons.get(py, sys.executable)))
    used = " and ".join(f"{v.version} ({v.label}, Python {v.pyver[0]}.{v.pyver[1]})" for v in wanted)
    print(f"compat: ansible-core {used} (resolved in {time.monotonic() - t0:.0f}s)", flush=True)
    # Venvs of superseded versions go.
    keep = {v.path for v in wanted}
    tracks = {v.track for v in wanted}
    for d in glob.glob(os.path.join(base, "*-ansible-core-*")):
        if d not in keep and os.path.basename(d).split("-", 1)[0] in tracks:
            shutil.rmtree(d, ignore_errors=True)

    with concurrent.futures.ThreadPoolExecutor(max(1, len(wanted))) as ex:
        done = list(ex.map(lambda v: run_venv(v, tarball, requirements, logs), wanted))
    for v in done:
        passed += v.passed
        failed += v.failed
        print(f"=== compat ansible-core {v.version} ({v.label}, Python {v.pyver[0]}.{v.pyver[1]}, "
              f"{'cached venv' if v.cached else 'new venv'}): {v.passed} passed, {v.failed} failed in {v.seconds:.0f}s")
    print(f"=== compat: ansible-core {', '.join(v.version for v in done)}; stage {time.monotonic() - t_stage:.0f}s; "
          f"logs .build/logs/compat-*.log")
    return passed, failed


if __name__ == "__main__":
    ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p, f = stage(ROOT, os.path.join(ROOT, ".build"), os.path.join(ROOT, ".build", "logs"),
                 os.path.join(ROOT, ".venv", "bin"))
    print(f"{p} passed, {f} failed")
    sys.exit(1 if f else 0)
