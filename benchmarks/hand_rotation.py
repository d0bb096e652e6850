# -*- coding: utf-8 -*-
"""The work a CA rotation must do, done by hand: the yardstick of bench_rotation.py.

New cluster CA and client CA, each node's new server and client certificate (openssl), the files
put on every node, then three phases one node after another: files replaced in place,
`FLUSH SSL; SET GLOBAL wsrep_provider_options='socket.ssl_reload=1'`, wait until the node is Synced
in a Primary component of every node. With --restart it also does what galera needs before the
previous CA is refused on 4567 (its reload only adds CAs to the trust store): each node restarted
in turn, waiting for it to be Synced again. At the end pki_dir holds the new set, in the layout the
pki role writes, so the next rotation starts from what the nodes run.

    python3 benchmarks/hand_rotation.py PKI_DIR node1 node2 node3 [--restart] [--work DIR]
"""
import argparse
import os
import shutil
import subprocess
import tempfile
import time

CERTS = "/etc/mysql/certs"
RELOAD = "FLUSH SSL; SET GLOBAL wsrep_provider_options='socket.ssl_reload=1'"
STATUS = ("SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN "
          "('wsrep_local_state_comment', 'wsrep_cluster_status', 'wsrep_cluster_size')")


def sh(*cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, capture_output=True, check=True).stdout.decode()


def openssl_set(out, nodes, stamp):
    """Two CAs and per node a server and a client certificate, RSA 2048, as the pki role makes them."""
    for ca in ("ca", "client-ca"):
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj",
           f"/CN=hand {ca} {stamp}", "-keyout", f"{out}/{ca}-key.pem", "-out", f"{out}/{ca}.pem",
           "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for node, address in nodes.items():
        d = os.path.join(out, "nodes", node)
        os.makedirs(d)
        for kind, ca, eku in (("server", "ca", "serverAuth,clientAuth"), ("client", "client-ca", "clientAuth")):
            ext = os.path.join(d, f"{kind}.ext")
            with open(ext, "w") as fh:
                fh.write(f"basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                         f"extendedKeyUsage={eku}\nsubjectAltName=DNS:{node},IP:{address}\n")
            sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={node}",
               "-keyout", f"{d}/{kind}-key.pem", "-out", f"{d}/{kind}.csr")
            sh("openssl", "x509", "-req", "-in", f"{d}/{kind}.csr", "-CA", f"{out}/{ca}.pem",
               "-CAkey", f"{out}/{ca}-key.pem", "-CAcreateserial", "-days", "365", "-extfile", ext,
               "-out", f"{d}/{kind}-cert.pem")
            os.remove(f"{d}/{kind}.csr")
            os.remove(ext)


def status(node):
    out = sh("podman", "exec", node, "mariadb", "-N", "-B", "-e", STATUS)
    return dict(line.lower().split("\t") for line in out.splitlines() if "\t" in line)


def wait_synced(node, size, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            s = status(node)
            if (s.get("wsrep_local_state_comment") == "synced" and s.get("wsrep_cluster_status") == "primary"
                    and int(s.get("wsrep_cluster_size", 0)) == size):
                return
        except subprocess.CalledProcessError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{node}: not Synced in a cluster of {size} after {timeout} s")


def install(node, files):
    """files: {staged name: (name in the certs directory, mode)}; one exec, one rename per file."""
    script = "set -eu; cd %s; " % CERTS + "; ".join(
        f"install -o mysql -g mysql -m {mode} .hand/{src} .{dest}.new && mv -f .{dest}.new {dest}"
        for src, (dest, mode) in files.items())
    sh("podman", "exec", node, "sh", "-c", script)


def rotate(pki_dir, nodes, restart, work=None):
    names = list(nodes)
    keep = work is not None
    if keep:
        os.makedirs(work, mode=0o700)
    else:
        work = tempfile.mkdtemp(prefix="hand-rotation-")
    try:
        openssl_set(work, nodes, time.strftime("%Y%m%d%H%M%S"))
        for ca in ("ca", "client-ca"):
            with open(f"{work}/{ca}-bundle.pem", "w") as fh:
                fh.write(open(f"{pki_dir}/{ca}.pem").read() + open(f"{work}/{ca}.pem").read())
        for node in names:
            d = os.path.join(work, "nodes", node)
            tar = subprocess.run(["tar", "-C", work, "-cf", "-", "ca.pem", "client-ca.pem", "ca-bundle.pem",
                                  "client-ca-bundle.pem", "-C", d, "server-cert.pem", "server-key.pem",
                                  "client-cert.pem", "client-key.pem"], capture_output=True, check=True).stdout
            sh("podman", "exec", "-i", node, "sh", "-c",
               f"umask 077; rm -rf {CERTS}/.hand; mkdir {CERTS}/.hand; tar -xf - -C {CERTS}/.hand", stdin=tar)
        phases = [
            {"ca-bundle.pem": ("ca.pem", "0644"), "client-ca-bundle.pem": ("client-ca.pem", "0644")},
            {"server-cert.pem": ("server-cert.pem", "0644"), "server-key.pem": ("server-key.pem", "0640"),
             "client-cert.pem": ("client-cert.pem", "0644"), "client-key.pem": ("client-key.pem", "0640")},
            {"ca.pem": ("ca.pem", "0644"), "client-ca.pem": ("client-ca.pem", "0644")},
        ]
        for files in phases:
            for node in names:
                install(node, files)
                sh("podman", "exec", node, "mariadb", "-e", RELOAD)
                wait_synced(node, len(names))
        if restart:
            for node in names:
                sh("podman", "exec", node, "systemctl", "restart", "mariadb")
                wait_synced(node, len(names))
        for node in names:
            sh("podman", "exec", node, "rm", "-rf", f"{CERTS}/.hand")
        for name in ("ca.pem", "ca-key.pem", "client-ca.pem", "client-ca-key.pem"):
            shutil.copy(f"{work}/{name}", f"{pki_dir}/{name}")
        for node in names:
            for name in ("server-cert.pem", "server-key.pem", "client-cert.pem", "client-key.pem"):
                shutil.copy(f"{work}/nodes/{node}/{name}", f"{pki_dir}/nodes/{node}/{name}")
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pki_dir")
    ap.add_argument("nodes", nargs="+")
    ap.add_argument("--restart", action="store_true", help="restart each node after phase 3, one at a time")
    ap.add_argument("--work", help="directory for the new set, kept afterwards (default: a temporary one)")
    args = ap.parse_args()
    nodes = {n: sh("podman", "exec", n, "hostname", "-I").split()[0] for n in args.nodes}
    t0 = time.monotonic()
    rotate(args.pki_dir, nodes, args.restart, args.work)
    print(f"hand rotation: {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
