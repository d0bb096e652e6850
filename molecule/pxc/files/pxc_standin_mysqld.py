"""STAND-IN for a Percona XtraDB Cluster 8.0 server (mysqld) in the molecule scenario `pxc`. It is NOT PXC.

No registry available to this project carries PXC, so the scenario's prepare step installs this script as
/usr/local/sbin/pxc-standin-mysqld (adding a python3 shebang), the ExecStart of mysql.service and
mysql@bootstrap.service (the latter passes --wsrep-new-cluster). It reads the option files the way PXC's Debian
layout does (/etc/mysql/my.cnf with its !include/!includedir lines, groups [mysqld] and [server]; later files
win) and simulates only what the clustersec.mysql.pxc role relies on:

* it refuses to start, as PXC does, when
  - pxc-encrypt-cluster-traffic is ON (PXC 8 default) and one of ssl-ca/ssl-cert/ssl-key under [mysqld], or
    where unset ca.pem/server-cert.pem/server-key.pem in the data directory, cannot be read by the server's user
    or the three do not make a TLS context (key not matching the certificate, not PEM);
  - manual mode with socket.ssl* in wsrep_provider_options naming files that do not load;
  - wsrep_provider does not exist, bind_address does not resolve, port 4567 is taken;
  - it bootstraps (--wsrep-new-cluster or an empty gcomm:// list) while grastate.dat says safe_to_bootstrap: 0;
  - it joins (normal unit) and reaches no compatible peer of wsrep_cluster_address within the join timeout;
* group communication: a listener on port 4567 that speaks TLS with the files above (mutual certificate check
  against the CA, no name check, like galera's socket.ssl) when encryption is on and plain TCP otherwise, and
  answers one JSON line (cluster name and UUID, node UUID). A peer counts as a cluster member only when that
  exchange succeeds, so an encrypted node and a plain one, or nodes of different CAs, do not see each other;
* a unix socket (/run/mysqld/mysqld.sock) on which the stand-in client (/usr/local/bin/mysql) sends SQL.
  Answered: SELECT @@var[, ...], SHOW [GLOBAL] STATUS / VARIABLES [LIKE ... | WHERE Variable_name IN/= ...],
  ALTER INSTANCE RELOAD TLS, SET GLOBAL wsrep_provider_options='socket.ssl_reload=1'; anything else is a
  syntax error. wsrep_cluster_size is 1 + the peers that answer the exchange above at query time;
  wsrep_cluster_status is always Primary and wsrep_local_state_comment always Synced (no quorum, no SST, no IST,
  no data, no replication is simulated);
* grastate.dat: seqno -1 while running; on a clean stop safe_to_bootstrap: 1 only when no peer still runs.

At start it copies every option file it read to /run/mysqld/pxc-standin/started/ (path with '/' as '__'), so a
test can compare what the server started with to what is on disk now, and writes server.json there.
--validate-config [--defaults-file=FILE] runs the start-up checks and exits (0: would start).
"""
import argparse
import glob
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import uuid

MY_CNF = "/etc/mysql/my.cnf"
SOCKET = "/run/mysqld/mysqld.sock"
STATE_DIR = "/run/mysqld/pxc-standin"
GCOMM_PORT = 4567
GROUPS = ("mysqld", "server", "mysqld-8.0")
LOOKUP = (("ssl_ca", "ca.pem"), ("ssl_cert", "server-cert.pem"), ("ssl_key", "server-key.pem"))
TRUE = ("1", "on", "yes", "true")
VERSION = "8.0.0-clustersec-standin"


class Refused(Exception):
    """The server would not start."""


def log(level, msg):
    print("%s [%s] [Server] %s" % (time.strftime("%Y-%m-%dT%H:%M:%S"), level, msg), file=sys.stderr, flush=True)


def norm(key):
    key = key.strip().lower().replace("-", "_")
    return key[len("loose_"):] if key.startswith("loose_") else key


def unquote(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value.split("#", 1)[0].strip() if "#" in value else value


def read_options(path, options, files, depth=0):
    """Options of GROUPS from path and what it includes, in reading order (later wins)."""
    if depth > 10 or not os.path.isfile(path):
        return
    files.append(path)
    group = None
    with open(path, encoding="utf-8") as handle:
        for raw in handle:
            line = raw.strip()
            if line.startswith("!includedir"):
                for name in sorted(glob.glob(os.path.join(line.split(None, 1)[1].strip(), "*.cnf"))):
                    read_options(name, options, files, depth + 1)
            elif line.startswith("!include"):
                read_options(line.split(None, 1)[1].strip(), options, files, depth + 1)
            elif not line or line[0] in "#;":
                continue
            elif line.startswith("["):
                group = line[1:line.find("]")].strip().lower()
            elif group in GROUPS:
                key, sep, value = line.partition("=")
                options[norm(key)] = unquote(value) if sep else "ON"


def truthy(value, default):
    return default if value is None else value.strip().lower() in TRUE


def parse_provider_options(text):
    out = {}
    for fragment in (text or "").split(";"):
        key, sep, value = fragment.partition("=")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def tls_contexts(ca, cert, key, cipher=""):
    """(server, client) contexts of one node: its certificate and key, peers checked against the CA;
    socket.ssl_cipher is the OpenSSL cipher list of both (galera passes it to SSL_CTX_set_cipher_list)."""
    for path in (ca, cert, key):
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise Refused("cannot read %s as user %s: %s" % (path, os.environ.get("USER") or os.getuid(), exc.strerror))
    try:
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.check_hostname = False
        for ctx in (server, client):
            ctx.load_cert_chain(cert, key)
            ctx.load_verify_locations(ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
            if cipher:
                ctx.set_ciphers(cipher)
    except (ssl.SSLError, OSError) as exc:
        raise Refused("cannot set up TLS with ca=%s cert=%s key=%s cipher=%s: %s" % (ca, cert, key, cipher, exc))
    return server, client


class Node:
    """Configuration and state of this server."""

    def __init__(self, defaults_file, new_cluster):
        self.options, self.files = {}, []
        read_options(defaults_file, self.options, self.files)
        opt = self.options.get
        self.datadir = opt("datadir", "/var/lib/mysql")
        self.new_cluster = new_cluster
        address = opt("wsrep_cluster_address") or "gcomm://"
        if not address.startswith("gcomm://"):
            raise Refused("wsrep_cluster_address '%s' is not gcomm://..." % address)
        self.peers = [p.split(":")[0].strip() for p in address[len("gcomm://"):].split("?")[0].split(",") if p.strip()]
        self.bootstrap = new_cluster or not self.peers
        self.cluster_name = opt("wsrep_cluster_name", "my_wsrep_cluster")
        self.node_name = opt("wsrep_node_name", socket.gethostname())
        self.node_address = opt("wsrep_node_address", socket.gethostname())
        self.node_uuid = str(uuid.uuid4())
        self.cluster_uuid = None
        self.encrypt = truthy(opt("pxc_encrypt_cluster_traffic"), True)
        self.operator_provider_options = parse_provider_options(opt("wsrep_provider_options"))
        self.tls_files = {}
        self.server_ctx = self.client_ctx = None
        self.seqno = 0
        self.lock = threading.Lock()

    def path_in_datadir(self, path):
        return path if os.path.isabs(path) else os.path.join(self.datadir, path)

    def load_tls(self):
        """PXC's lookup for pxc-encrypt-cluster-traffic=ON; galera's socket.ssl* in manual mode."""
        if self.encrypt:
            files = {}
            for option, default in LOOKUP:
                files[option] = self.path_in_datadir(self.options.get(option) or default)
            where = "pxc-encrypt-cluster-traffic=ON"
        else:
            po = self.operator_provider_options
            if not (truthy(po.get("socket.ssl"), False) or (po.get("socket.ssl_cert") and po.get("socket.ssl_key"))):
                self.tls_files, self.server_ctx, self.client_ctx = {}, None, None
                return
            files = {"ssl_ca": po.get("socket.ssl_ca") or po.get("socket.ssl_cert", ""),
                     "ssl_cert": po.get("socket.ssl_cert", ""), "ssl_key": po.get("socket.ssl_key", "")}
            files = dict((k, self.path_in_datadir(v)) for k, v in files.items())
            where = "wsrep_provider_options socket.ssl"
        try:
            server, client = tls_contexts(files["ssl_ca"], files["ssl_cert"], files["ssl_key"],
                                          self.operator_provider_options.get("socket.ssl_cipher", ""))
        except Refused as exc:
            raise Refused("[WSREP] %s: %s" % (where, exc))
        with self.lock:
            self.tls_files, self.server_ctx, self.client_ctx = files, server, client

    def checks(self):
        if not os.path.isdir(self.datadir):
            raise Refused("data directory %s does not exist" % self.datadir)
        provider = self.options.get("wsrep_provider", "none")
        if provider != "none" and not os.path.exists(provider):
            raise Refused("[WSREP] wsrep_load(): can't open provider %s" % provider)
        bind = self.options.get("bind_address")
        if bind and bind not in ("*", "0.0.0.0", "::"):
            try:
                socket.getaddrinfo(bind, 3306)
            except OSError as exc:
                raise Refused("Can't start server: cannot resolve bind_address '%s': %s" % (bind, exc))
        self.load_tls()
        state = self.grastate()
        if self.bootstrap and state.get("safe_to_bootstrap") == "0":
            raise Refused("[WSREP] It may not be safe to bootstrap the cluster from this node. It was not the last one "
                          "to leave the cluster and may not contain all the updates. To force cluster bootstrap with "
                          "this node, edit the grastate.dat file manually and set safe_to_bootstrap to 1.")

    # ------------------------------------------------------------ grastate.dat

    def grastate(self):
        out = {}
        try:
            with open(os.path.join(self.datadir, "grastate.dat"), encoding="utf-8") as handle:
                for line in handle:
                    key, sep, value = line.partition(":")
                    if sep:
                        out[key.strip()] = value.strip()
        except OSError:
            pass
        return out

    def write_grastate(self, seqno, safe):
        path = os.path.join(self.datadir, "grastate.dat")
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            handle.write("# GALERA saved state (written by the clustersec PXC stand-in, not by galera)\n"
                         "version: 2.1\nuuid:    %s\nseqno:   %d\nsafe_to_bootstrap: %d\n"
                         % (self.cluster_uuid or "00000000-0000-0000-0000-000000000000", seqno, 1 if safe else 0))
        os.replace(path + ".tmp", path)

    # ------------------------------------------------------------ group communication

    def hello(self):
        return json.dumps({"cluster_name": self.cluster_name, "cluster_uuid": self.cluster_uuid,
                           "node_uuid": self.node_uuid, "node_name": self.node_name,
                           "encrypt": bool(self.server_ctx)}) + "\n"

    def probe(self, peer, timeout=1.0):
        """The peer's hello when it runs and speaks our encryption with our CA, else None."""
        with self.lock:
            ctx = self.client_ctx
        try:
            with socket.create_connection((peer, GCOMM_PORT), timeout=timeout) as raw:
                conn = ctx.wrap_socket(raw) if ctx else raw
                data = b""
                while not data.endswith(b"\n") and len(data) < 4096:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            info = json.loads(data.decode())
        except (OSError, ValueError, ssl.SSLError):
            return None
        if info.get("cluster_name") != self.cluster_name or info.get("encrypt") != bool(ctx):
            return None
        return info

    def members(self):
        """Peers of wsrep_cluster_address that answer, are not this process and are in our cluster."""
        out = {}
        for peer in self.peers:
            info = self.probe(peer)
            if info and info["node_uuid"] != self.node_uuid and info.get("cluster_uuid") == self.cluster_uuid:
                out[info["node_uuid"]] = info.get("node_name", peer)
        return sorted(out.values())

    def join(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for peer in self.peers:
                info = self.probe(peer)
                if info and info["node_uuid"] != self.node_uuid and info.get("cluster_uuid"):
                    self.cluster_uuid = info["cluster_uuid"]
                    return peer
            time.sleep(0.5)
        raise Refused("[WSREP] failed to open gcomm backend connection: 110: failed to reach primary view: 110 "
                      "(no peer of %s answered with cluster '%s' and %s within %ds)"
                      % (",".join(self.peers), self.cluster_name,
                         "TLS accepted by our CA" if self.client_ctx else "plain group communication", timeout))

    # ------------------------------------------------------------ SQL

    def provider_options(self):
        opts = {"base_dir": self.datadir, "base_host": self.node_address, "base_port": str(GCOMM_PORT),
                "gcache.size": "128M", "gmcast.listen_addr": "tcp://0.0.0.0:%d" % GCOMM_PORT}
        for key, value in self.operator_provider_options.items():
            if not (self.encrypt and key.startswith("socket.ssl")):
                opts[key] = value
        opts["socket.ssl"] = "YES" if self.server_ctx else "NO"
        if self.server_ctx:
            opts.update({"socket.ssl_ca": self.tls_files["ssl_ca"], "socket.ssl_cert": self.tls_files["ssl_cert"],
                         "socket.ssl_key": self.tls_files["ssl_key"],
                         "socket.ssl_cipher": self.operator_provider_options.get("socket.ssl_cipher", ""),
                         "socket.ssl_compression": "YES", "socket.ssl_reload": "1"})
        return "; ".join("%s = %s" % (k, opts[k]) for k in sorted(opts))

    def variables(self):
        out = dict(self.options)
        out.update({"pxc_encrypt_cluster_traffic": self.encrypt, "wsrep_provider_options": self.provider_options(),
                    "wsrep_on": True, "hostname": socket.gethostname(), "datadir": self.datadir.rstrip("/") + "/",
                    "version": VERSION, "version_comment": "clustersec molecule stand-in, NOT Percona XtraDB Cluster",
                    "wsrep_cluster_name": self.cluster_name, "wsrep_node_name": self.node_name,
                    "wsrep_node_address": self.node_address})
        return out

    def status(self):
        members = self.members()
        return {"wsrep_cluster_size": str(1 + len(members)), "wsrep_cluster_status": "Primary",
                "wsrep_local_state_comment": "Synced", "wsrep_local_state": "4", "wsrep_ready": "ON",
                "wsrep_connected": "ON", "wsrep_cluster_state_uuid": self.cluster_uuid,
                "wsrep_incoming_addresses": ",".join([self.node_name] + members),
                "wsrep_provider_name": "Galera (clustersec stand-in)"}

    def statement(self, sql):
        """One statement -> (columns, rows)."""
        text = " ".join(sql.split())
        upper = text.upper()
        if upper.startswith("SELECT @@"):
            names = [n.strip() for n in text[len("SELECT "):].split(",")]
            values = self.variables()
            row = []
            for name in names:
                key = re.sub(r"^@@(global\.|session\.)?", "", name, flags=re.I).lower()
                if key not in values:
                    raise SqlError("ERROR 1193 (HY000): Unknown system variable '%s'" % key)
                value = values[key]
                row.append(("1" if value else "0") if isinstance(value, bool) else value)
            return names, [row]
        match = re.match(r"SHOW (GLOBAL |SESSION )?(STATUS|VARIABLES)(.*)$", text, re.I)
        if match:
            values = self.status() if match.group(2).upper() == "STATUS" else self.variables()
            wanted = filter_names(match.group(3).strip(), values)
            rows = [[k, ("ON" if values[k] else "OFF") if isinstance(values[k], bool) else values[k]] for k in wanted]
            return ["Variable_name", "Value"], rows
        if upper == "ALTER INSTANCE RELOAD TLS":
            files = [self.path_in_datadir(self.options[o]) for o, dummy in LOOKUP if self.options.get(o)]
            if len(files) == 3:
                try:
                    tls_contexts(*files)
                except Refused as exc:
                    raise SqlError("ERROR 3888 (HY000): Failed to set up SSL because of the following SSL library "
                                   "error: %s" % exc)
            return [], []
        match = re.match(r"SET GLOBAL wsrep_provider_options\s*=\s*'([^']*)'$", text, re.I)
        if match:
            if parse_provider_options(match.group(1)).get("socket.ssl_reload") in ("1", "yes", "YES", "true"):
                try:
                    self.load_tls()
                except Refused as exc:
                    raise SqlError("ERROR 1210 (HY000): Incorrect arguments to SET: %s" % exc)
                return [], []
        raise SqlError("ERROR 1064 (42000): You have an error in your SQL syntax near '%s' "
                       "(the PXC stand-in answers only what the role sends)" % text[:60])


class SqlError(Exception):
    pass


def filter_names(clause, values):
    if not clause:
        return sorted(values)
    match = re.match(r"LIKE (?:'([^']*)'|\"([^\"]*)\")$", clause, re.I)
    if match:
        pattern = "^" + re.escape(match.group(1) or match.group(2) or "").replace("%", ".*").replace("_", ".") + "$"
        return sorted(k for k in values if re.match(pattern, k, re.I))
    match = re.match(r"WHERE Variable_name\s*(?:IN\s*\((.*)\)|=\s*(.*))$", clause, re.I)
    if match:
        names = [a or b for a, b in re.findall(r"'([^']*)'|\"([^\"]*)\"", match.group(1) or match.group(2))]
        if names:
            return [k for k in values if k.lower() in [n.lower() for n in names]]
    raise SqlError("ERROR 1064 (42000): You have an error in your SQL syntax near '%s'" % clause[:60])


def split_sql(text):
    out, current, quote = [], "", None
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == ";":
            out.append(current)
            current = ""
            continue
        current += ch
    out.append(current)
    return [s.strip() for s in out if s.strip()]


def serve(node):
    class Gcomm(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.settimeout(3)
            with node.lock:
                ctx = node.server_ctx
            try:
                conn = ctx.wrap_socket(self.request, server_side=True) if ctx else self.request
                conn.sendall(node.hello().encode())
            except (OSError, ssl.SSLError):
                pass

    class Client(socketserver.StreamRequestHandler):
        def handle(self):
            sql = self.rfile.read().decode("utf-8", "replace")
            reply = {"results": [], "error": None}
            try:
                for statement in split_sql(sql):
                    columns, rows = node.statement(statement)
                    if columns:
                        reply["results"].append({"columns": columns, "rows": rows})
            except SqlError as exc:
                reply["error"] = str(exc)
            self.wfile.write(json.dumps(reply).encode())

    class TCP(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    class Unix(socketserver.ThreadingUnixStreamServer):
        daemon_threads = True

    try:
        gcomm = TCP(("0.0.0.0", GCOMM_PORT), Gcomm)
    except OSError as exc:
        raise Refused("[WSREP] failed to listen on tcp://0.0.0.0:%d: %s" % (GCOMM_PORT, exc.strerror))
    return gcomm, lambda: Unix(SOCKET, Client)


def sd_notify(message):
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(message.encode())


def record_start(node):
    started = os.path.join(STATE_DIR, "started")
    shutil.rmtree(STATE_DIR, ignore_errors=True)
    os.makedirs(started)
    for path in node.files:
        shutil.copyfile(path, os.path.join(started, path.strip("/").replace("/", "__")))
    with open(os.path.join(STATE_DIR, "server.json"), "w", encoding="utf-8") as handle:
        json.dump({"pid": os.getpid(), "bootstrap": node.bootstrap, "new_cluster": node.new_cluster,
                   "cluster_uuid": node.cluster_uuid, "node_uuid": node.node_uuid, "option_files": node.files,
                   "pxc_encrypt_cluster_traffic": node.encrypt, "gcomm_tls_files": node.tls_files}, handle, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--defaults-file", default=MY_CNF)
    parser.add_argument("--wsrep-new-cluster", action="store_true")
    parser.add_argument("--validate-config", action="store_true")
    parser.add_argument("--join-timeout", type=int, default=int(os.environ.get("PXC_STANDIN_JOIN_TIMEOUT", "30")))
    args = parser.parse_args()
    try:
        node = Node(args.defaults_file, args.wsrep_new_cluster)
        node.checks()
        if args.validate_config:
            log("Note", "stand-in: the configuration would start (option files: %s)" % ", ".join(node.files))
            return 0
        gcomm, unix_server = serve(node)
        if node.bootstrap:
            node.cluster_uuid = node.grastate().get("uuid") or str(uuid.uuid4())
            if node.cluster_uuid.startswith("00000000-"):
                node.cluster_uuid = str(uuid.uuid4())
        seqno = node.grastate().get("seqno", "0")
        node.seqno = int(seqno) if re.match(r"^[0-9]+$", seqno) else 0
        threading.Thread(target=gcomm.serve_forever, daemon=True).start()
        if not node.bootstrap:
            log("Note", "[WSREP] joining through %s" % node.join(args.join_timeout))
    except Refused as exc:
        log("ERROR", exc)
        log("ERROR", "Aborting (clustersec PXC stand-in)")
        return 1
    node.write_grastate(-1, False)
    if os.path.exists(SOCKET):
        os.unlink(SOCKET)
    client = unix_server()
    os.chmod(SOCKET, 0o777)
    record_start(node)

    def stop(signum, frame):  # pylint: disable=unused-argument
        alone = not node.members()
        node.write_grastate(node.seqno, alone)
        if os.path.exists(SOCKET):
            os.unlink(SOCKET)
        shutil.rmtree(STATE_DIR, ignore_errors=True)
        log("Note", "shutdown complete (safe_to_bootstrap: %d)" % (1 if alone else 0))
        os._exit(0)  # pylint: disable=protected-access

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("Note", "stand-in ready: %s, cluster %s (%s), group communication %s" % (
        "bootstrapped a new cluster" if node.bootstrap else "joined", node.cluster_name, node.cluster_uuid,
        "TLS " + json.dumps(node.tls_files) if node.server_ctx else "plain"))
    sd_notify("READY=1\nSTATUS=clustersec PXC stand-in, Synced")
    client.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
