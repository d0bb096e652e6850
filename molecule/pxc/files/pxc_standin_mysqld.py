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
  - wsrep_provider does not exist, bind_address does not resolve, port 4567 or the client port is taken,
    default_authentication_plugin is not mysql_native_password or caching_sha2_password;
  - it bootstraps (--wsrep-new-cluster or an empty gcomm:// list) while grastate.dat says safe_to_bootstrap: 0;
  - it joins (normal unit) and reaches no compatible peer of wsrep_cluster_address within the join timeout;
* group communication: a listener on port 4567 (gmcast.listen_addr of wsrep_provider_options) that speaks TLS with
  the files above (mutual certificate check against the CA, no name check, like galera's socket.ssl) when encryption
  is on and plain TCP otherwise, and answers one JSON line (cluster name and UUID, node UUID). A peer counts as a
  cluster member only when that exchange succeeds, so an encrypted node and a plain one, or nodes of different CAs,
  do not see each other. SET GLOBAL wsrep_provider_options='socket.ssl_reload=1' re-reads certificate, key and CA
  into the SAME contexts, as galera's AsioIoService::load_crypto_context() does: the CA store only grows, a CA
  loaded before stays trusted until the process restarts;
* the client-server port (port, default 3306, on bind_address): MySQL protocol with TLS, logins and accounts as
  pxc_standin_clientport.py describes; TLS files: ssl-ca/ssl-cert/ssl-key of [mysqld], where unset ca.pem,
  server-cert.pem, server-key.pem in the data directory (the lookup above), with tls_version and ssl_cipher.
  ALTER INSTANCE RELOAD TLS builds a NEW context from the current values (a failure keeps the old one, or with
  NO ROLLBACK ON ERROR leaves the port without TLS), so a CA no longer in ssl_ca is refused at once;
* the keyring component: it reads the global manifest mysqld.my of the mysqld directory (/usr/sbin; a missing one
  is no error) and, where it names file://component_keyring_file, refuses to start - as a server does that cannot
  load its keyring - when the library is not in plugin_dir, component_keyring_file.cnf is missing or not JSON or
  lacks "path" or "read_only", or the key file's directory cannot be written by the server's user; it writes no
  keys (server.json says which keyring it loaded);
* a unix socket (/run/mysqld/mysqld.sock) on which the stand-in client (/usr/local/bin/mysql) sends SQL.
  Answered: SELECT @@var[, ...], SHOW [GLOBAL] STATUS / VARIABLES [LIKE ... | WHERE Variable_name IN/= ...],
  ALTER INSTANCE RELOAD TLS [NO ROLLBACK ON ERROR], SET GLOBAL wsrep_provider_options='socket.ssl_reload=1',
  SET GLOBAL ssl_ca|ssl_cert|ssl_key|ssl_cipher|tls_version|require_secure_transport = ..., CREATE/ALTER/DROP USER,
  FLUSH PRIVILEGES; anything else is a syntax error. wsrep_cluster_size is 1 + the peers that answer the exchange
  above at query time; wsrep_cluster_status is always Primary and wsrep_local_state_comment always Synced (no
  quorum, no SST, no IST, no data, no replication is simulated);
* grastate.dat: seqno -1 while running; on a clean stop safe_to_bootstrap: 1 only when no peer still runs.

At start it copies every option file it read to /run/mysqld/pxc-standin/started/ (path with '/' as '__'), so a
test can compare what the server started with to what is on disk now, and writes server.json there.
--validate-config [--defaults-file=FILE] runs the start-up checks and exits (0: would start).
For tests: --socket / PXC_STANDIN_SOCKET (also [mysqld] socket), --state-dir / PXC_STANDIN_STATE_DIR, and the real
options port, bind_address and gmcast.listen_addr move everything off the fixed paths and ports.
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
import subprocess
import sys
import threading
import time
import uuid

import pxc_standin_clientport as clientport

MY_CNF = "/etc/mysql/my.cnf"
SOCKET = "/run/mysqld/mysqld.sock"
STATE_DIR = "/run/mysqld/pxc-standin"
GCOMM_PORT = 4567
GROUPS = ("mysqld", "server", "mysqld-8.0")
LOOKUP = (("ssl_ca", "ca.pem"), ("ssl_cert", "server-cert.pem"), ("ssl_key", "server-key.pem"))
CLIENT_TLS_VARS = ("ssl_ca", "ssl_cert", "ssl_key", "ssl_cipher", "tls_version")
TRUE = ("1", "on", "yes", "true")
# A PXC 8.0 release with GCache encryption (8.0.31+), which the role checks before writing gcache.encryption.
# PXC_STANDIN_VERSION picks another server's behaviour (PROFILES), e.g. 9.7.4 for the parity test against the real
# MySQL 9.7.4 of tests/integration/pxc_real.
VERSION = os.environ.get("PXC_STANDIN_VERSION", "8.0.36-28.1") + "-clustersec-standin"
# What differs between the servers the stand-in speaks for, per release series. Sources: [measured 9.7] = Debian
# sid's mysqld 9.7.4-2 on 2026-12-07 (tests/integration/pxc_real/test_mysql_server.py), [src 9.7] = its source,
# [manual 8.4] = MySQL 8.4 Reference Manual / option changes for 8.4. What is neither measured nor documented for a
# series keeps the 8.0 behaviour (marked "not measured").
PROFILES = {
    "8.0": {"native_password": True,            # built in and loaded [manual 8.0]
            "default_auth_option": True,        # default_authentication_plugin exists [manual 8.0]
            "cipher_names_only": False,         # OpenSSL aliases such as ECDHE+AESGCM are accepted [pxc 8.0 molecule]
            # only a warning (ER_SSL_SERVER_CERT_VERIFY_FAILED), the reload succeeds [src 8.0.44:
            # sql/ssl_acceptor_context_data.cc verify_store_cert()]
            "verify_own_cert": False},
    "8.4": {"native_password": False,           # off unless mysql_native_password=ON [manual 8.4: 8.4.1.1]
            "default_auth_option": False,       # removed in 8.4.0 [manual 8.4: optvar-changes-8-4]
            # as 9.7: ER_BLOCKED_CIPHER for any entry not in its list [manual 8.4: 7.1.8 ssl_cipher; src Percona
            # Server 8.4.5: sql/ssl_init_callback.cc validate_ciphers()]; not measured
            "cipher_names_only": True,
            # as 9.7 (tls_certificates_enforced_validation and the self-check came in 8.1.0) [manual 8.4:
            # optvar-changes-8-4; src Percona Server 8.4.5: sql/ssl_acceptor_context_data.cc]; not measured
            "verify_own_cert": True},
    "9.7": {"native_password": False,           # ERROR 1524, no option loads it [measured 9.7]
            "default_auth_option": False,       # removed in 8.4.0
            # every ':'-separated ssl_cipher entry must be one of the server's cipher NAMES, else ER_BLOCKED_CIPHER
            # (MY-015104) and no start [measured 9.7; src 9.7: sql/ssl_init_callback.cc validate_ciphers()]
            "cipher_names_only": True,
            # the server certificate is verified against ssl_ca: a warning at start (ER_SERVER_CERT_VERIFY_FAILED),
            # ALTER INSTANCE RELOAD TLS fails with 3888 "Invalid certificates" and keeps the old context; with NO
            # ROLLBACK ON ERROR the new context (built all the same) is served, 3888 only a warning [measured 9.7;
            # src 9.7: sql/ssl_acceptor_context_data.cc Ssl_acceptor_context_data(), sql/sql_admin.cc
            # Alter_instance_reload_tls]
            "verify_own_cert": True},
}


def profile(version):
    series = ".".join(version.split("-")[0].split(".")[:2])
    return PROFILES.get(series) or PROFILES["9.7" if series >= "9" else "8.4" if series >= "8.4" else "8.0"]


# PXC's Debian packages: mysqld in /usr/sbin, where the server reads its global manifest mysqld.my; plugin_dir.
MANIFEST_DIR = os.environ.get("PXC_STANDIN_MANIFEST_DIR", "/usr/sbin")
PLUGIN_DIR = "/usr/lib/mysql/plugin"
SqlError = clientport.SqlError
filter_names, split_sql = clientport.filter_names, clientport.split_sql


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


def host_port(text, default_port):
    """'host', 'host:port', '[v6]:port' -> (host, port)."""
    text = text.strip()
    match = re.match(r"^\[([^\]]+)\](?::(\d+))?$", text) or re.match(r"^([^:]*)(?::(\d+))?$", text)
    if not match:
        return text, default_port
    return match.group(1), int(match.group(2) or default_port)


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
        self.cluster_name = opt("wsrep_cluster_name", "my_wsrep_cluster")
        self.node_name = opt("wsrep_node_name", socket.gethostname())
        self.node_address = opt("wsrep_node_address", socket.gethostname())
        self.node_uuid = str(uuid.uuid4())
        self.cluster_uuid = None
        self.encrypt = truthy(opt("pxc_encrypt_cluster_traffic"), True)
        self.operator_provider_options = parse_provider_options(opt("wsrep_provider_options"))
        listen = re.sub(r"^[a-z]+://", "", self.operator_provider_options.get("gmcast.listen_addr", ""))
        self.gcomm_host, self.gcomm_port = host_port(listen or "0.0.0.0", GCOMM_PORT)
        address = opt("wsrep_cluster_address") or "gcomm://"
        if not address.startswith("gcomm://"):
            raise Refused("wsrep_cluster_address '%s' is not gcomm://..." % address)
        self.peers = [host_port(p, self.gcomm_port) for p in address[len("gcomm://"):].split("?")[0].split(",")
                      if p.strip()]
        self.bootstrap = new_cluster or not self.peers
        self.tls_files = {}
        self.keyring = None
        self.server_ctx = self.client_ctx = None
        # Client-server port: the TLS system variables (runtime values; ALTER INSTANCE RELOAD TLS reads these).
        self.port = int(opt("port", "3306"))
        self.client_tls = dict((o, opt(o) or d) for o, d in LOOKUP)
        self.client_tls.update({"ssl_cipher": opt("ssl_cipher"),
                                "tls_version": opt("tls_version", clientport.DEFAULT_TLS_VERSION)})
        self.current_tls = {}
        self.client_port_ctx = None
        self.require_secure_transport = truthy(opt("require_secure_transport"), False)
        self.profile = profile(VERSION)
        self.default_plugin = opt("default_authentication_plugin", "caching_sha2_password").lower()
        native = self.profile["native_password"] or truthy(opt("mysql_native_password"), False)
        self.accounts = clientport.Accounts(self.default_plugin, clientport.PLUGINS if native else clientport.PLUGINS[1:])
        self.version = VERSION
        self.socket_path, self.state_dir = SOCKET, STATE_DIR
        self.seqno = 0
        self.lock = threading.Lock()

    def path_in_datadir(self, path):
        return path if os.path.isabs(path) else os.path.join(self.datadir, path)

    def load_tls(self, reload=False):
        """PXC's lookup for pxc-encrypt-cluster-traffic=ON; galera's socket.ssl* in manual mode. A reload puts the
        files into the running contexts (galera's load_crypto_context()): certificate and key are replaced, the CA
        file is added to the verify store, which keeps every CA loaded since the start."""
        if self.encrypt:
            files = {}
            for option, default in LOOKUP:
                files[option] = self.path_in_datadir(self.options.get(option) or default)
            where = "pxc-encrypt-cluster-traffic=ON"
        else:
            po = self.operator_provider_options
            if not (truthy(po.get("socket.ssl"), False) or (po.get("socket.ssl_cert") and po.get("socket.ssl_key"))):
                if not reload:
                    self.tls_files, self.server_ctx, self.client_ctx = {}, None, None
                return
            files = {"ssl_ca": po.get("socket.ssl_ca") or po.get("socket.ssl_cert", ""),
                     "ssl_cert": po.get("socket.ssl_cert", ""), "ssl_key": po.get("socket.ssl_key", "")}
            files = dict((k, self.path_in_datadir(v)) for k, v in files.items())
            where = "wsrep_provider_options socket.ssl"
        cipher = self.operator_provider_options.get("socket.ssl_cipher", "")
        try:
            server, client = tls_contexts(files["ssl_ca"], files["ssl_cert"], files["ssl_key"], cipher)
        except Refused as exc:
            raise Refused("[WSREP] %s: %s" % (where, exc))
        with self.lock:
            if reload and self.server_ctx is not None:
                for ctx in (self.server_ctx, self.client_ctx):
                    ctx.load_cert_chain(files["ssl_cert"], files["ssl_key"])
                    ctx.load_verify_locations(files["ssl_ca"])
                    if cipher:
                        ctx.set_ciphers(cipher)
            elif not reload:
                self.server_ctx, self.client_ctx = server, client
            self.tls_files = files

    def client_tls_context(self):
        """A new TLS context of the client-server port from the current TLS variables (raises TlsSetupError)."""
        v = self.client_tls
        paths = [self.path_in_datadir(v[o]) if v[o] else None for o, dummy in LOOKUP]
        return clientport.acceptor_context(*paths, cipher=v["ssl_cipher"], version=v["tls_version"])

    def load_client_tls(self, reload=False, no_rollback=False):
        """Start: without a context the port runs without TLS. ALTER INSTANCE RELOAD TLS: a new context, or the old
        one and the error (TLS_channel::singleton_flush), or no TLS with NO ROLLBACK ON ERROR."""
        try:
            if self.profile["verify_own_cert"] and not self.own_cert_verifies():
                log("Warning", "Server certificate %s verification has failed. Check logs for more details"
                    % self.client_tls["ssl_cert"])
                # Only the check fails: the context is built all the same, NO ROLLBACK ON ERROR installs it.
                if reload and not no_rollback:
                    raise clientport.TlsSetupError("Invalid certificates")
            ctx = self.client_tls_context()
        except clientport.TlsSetupError as exc:
            if reload and not no_rollback:
                raise SqlError("ERROR 3888 (HY000): Failed to set up SSL because of the following SSL library "
                               "error: %s" % exc)
            log("Warning", "Failed to initialize TLS for channel: mysql_main. See below for the description of "
                           "exact issue.")
            log("Warning", "Failed to set up SSL because of the following SSL library error: %s" % exc)
            ctx = None
        with self.lock:
            self.client_port_ctx = ctx
            self.current_tls = dict(self.client_tls) if ctx else {}

    def provision_certs(self, validate):
        """MySQL's auto-detection and auto_generate_certs for the client-server port: with no ssl_* option set and
        none of ca.pem, server-cert.pem, server-key.pem in the data directory, they are generated (not by
        --validate-config). PXC's automatic mode never gets here without them: group communication needs them."""
        if validate or not truthy(self.options.get("auto_generate_certs"), True) or any(
                self.options.get(o) for o in ("ssl_ca", "ssl_cert", "ssl_key", "ssl_capath", "ssl_crl", "ssl_crlpath")):
            return
        if any(os.path.exists(self.path_in_datadir(d)) for dummy, d in LOOKUP):
            return
        if clientport.auto_generate_certs(self.datadir, VERSION):
            log("Note", "Auto generated SSL certificates are placed in data directory.")
        else:
            log("Warning", "auto_generate_certs: the stand-in could not run openssl; the client port has no TLS")

    def checks(self, validate=False):
        if not os.path.isdir(self.datadir):
            raise Refused("data directory %s does not exist" % self.datadir)
        provider = self.options.get("wsrep_provider", "none")
        if provider != "none" and not os.path.exists(provider):
            raise Refused("[WSREP] wsrep_load(): can't open provider %s" % provider)
        if not self.profile["default_auth_option"] and "default_authentication_plugin" in self.options:
            raise Refused("[MY-000067] unknown variable 'default_authentication_plugin=%s'." % self.default_plugin)
        self.check_ciphers("ssl_cipher", self.options.get("ssl_cipher"))
        if self.default_plugin not in self.accounts.plugins:
            raise Refused("default_authentication_plugin '%s' is not simulated (the stand-in knows %s)"
                          % (self.default_plugin, ", ".join(clientport.PLUGINS)))
        self.bind_address()
        self.load_tls()
        self.load_keyring()
        self.provision_certs(validate)
        self.load_client_tls()
        state = self.grastate()
        if self.bootstrap and state.get("safe_to_bootstrap") == "0":
            raise Refused("[WSREP] It may not be safe to bootstrap the cluster from this node. It was not the last one "
                          "to leave the cluster and may not contain all the updates. To force cluster bootstrap with "
                          "this node, edit the grastate.dat file manually and set safe_to_bootstrap to 1.")

    def check_ciphers(self, option, value):
        """MySQL 9.7's validate_ciphers(): each entry not starting with '!' must be a substring of the server's
        TLS 1.2 cipher list, or the server stops (PROFILES: cipher_names_only)."""
        if not self.profile["cipher_names_only"] or not value:
            return
        blocked = [c for c in (e.replace(" ", "") for e in value.split(":")) if c and not c.startswith("!")
                   and c not in clientport.DEFAULT_TLS12]
        if blocked:
            raise Refused("[MY-015104] Value for option '%s' contains cipher '%s' that is blocked. Please refer to "
                          "the documentation for allowed ciphers." % (option, blocked[0]))

    def own_cert_verifies(self):
        """openssl verify of ssl_cert against ssl_ca (True when either is unset or openssl is missing)."""
        v = self.client_tls
        ca, cert = [self.path_in_datadir(v[o]) if v[o] else None for o in ("ssl_ca", "ssl_cert")]
        if not ca or not cert or not shutil.which("openssl"):
            return True
        return subprocess.run(["openssl", "verify", "-CAfile", ca, cert], capture_output=True,
                              check=False).returncode == 0

    def load_keyring(self):
        """The keyring component as the server loads it: the manifest names it, the component reads its
        configuration [manual: 8.4.4.2 Keyring Component Installation, 8.4.4.4 Using the component_keyring_file
        File-Based Keyring Component]; PXC: "A node fails to start if the node fails to load the keyring component"
        [pxc: data-at-rest-encryption.md]. Keys are not simulated."""
        self.keyring = None
        manifest_path = os.path.join(MANIFEST_DIR, "mysqld.my")
        manifest = self.read_json(manifest_path, "manifest")
        if manifest is None:
            return  # "It is not an error for a manifest file not to exist."
        if manifest.get("read_local_manifest"):
            local = self.read_json(os.path.join(self.datadir, "mysqld.my"), "local manifest")
            manifest = local if local is not None else manifest
        plugin_dir = self.options.get("plugin_dir") or PLUGIN_DIR
        urns = [u.strip() for u in re.split(r"[,;]", str(manifest.get("components") or "")) if u.strip()]
        for urn in urns:
            name = urn[len("file://"):] if urn.startswith("file://") else urn
            if not os.path.isfile(os.path.join(plugin_dir, name + ".so")):
                raise Refused("Cannot load component from specified URN: '%s' (%s.so not in %s)" % (urn, name, plugin_dir))
        if "file://component_keyring_file" not in urns:
            return
        config_path = os.path.join(plugin_dir, "component_keyring_file.cnf")
        config = self.read_json(config_path, "component_keyring_file configuration")
        if config is None:
            raise Refused("component_keyring_file: no configuration file %s; the component cannot initialize"
                          % config_path)
        if config.get("read_local_config"):
            config_path = os.path.join(self.datadir, "component_keyring_file.cnf")
            config = self.read_json(config_path, "local component_keyring_file configuration") or {}
        for item in ("path", "read_only"):
            if item not in config:
                raise Refused("component_keyring_file: '%s' is missing from %s; the component cannot initialize"
                              % (item, config_path))
        path = str(config["path"])
        folder = os.path.dirname(path) or "."
        if not config["read_only"] and not os.access(folder, os.W_OK | os.X_OK):
            raise Refused("component_keyring_file: cannot write the keyring file %s as user %s (directory %s)"
                          % (path, os.environ.get("USER") or os.getuid(), folder))
        if os.path.exists(path) and not os.access(path, os.R_OK):
            raise Refused("component_keyring_file: cannot read the keyring file %s" % path)
        self.keyring = {"component": "component_keyring_file", "path": path, "read_only": bool(config["read_only"]),
                        "manifest": manifest_path, "config": config_path}

    @staticmethod
    def read_json(path, what):
        """JSON of path, None when it does not exist; a file that is not JSON stops the server."""
        if not os.path.exists(path):
            return None
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError) as exc:
            raise Refused("cannot read the %s %s: %s" % (what, path, exc))
        if not isinstance(data, dict):
            raise Refused("the %s %s is not a JSON object" % (what, path))
        return data

    def bind_address(self):
        bind = self.options.get("bind_address") or "*"
        if bind in ("*", "0.0.0.0", "::"):
            return "::" if bind == "::" else "0.0.0.0"
        try:
            return socket.getaddrinfo(bind, self.port, type=socket.SOCK_STREAM)[0][4][0]
        except OSError as exc:
            raise Refused("Can't start server: cannot resolve bind_address '%s': %s" % (bind, exc))

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
            with socket.create_connection(peer, timeout=timeout) as raw:
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
                out[info["node_uuid"]] = info.get("node_name", peer[0])
        return sorted(out.values())

    def join(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for peer in self.peers:
                info = self.probe(peer)
                if info and info["node_uuid"] != self.node_uuid and info.get("cluster_uuid"):
                    self.cluster_uuid = info["cluster_uuid"]
                    return "%s:%d" % peer
            time.sleep(0.5)
        raise Refused("[WSREP] failed to open gcomm backend connection: 110: failed to reach primary view: 110 "
                      "(no peer of %s answered with cluster '%s' and %s within %ds)"
                      % (",".join("%s:%d" % p for p in self.peers), self.cluster_name,
                         "TLS accepted by our CA" if self.client_ctx else "plain group communication", timeout))

    # ------------------------------------------------------------ SQL

    def provider_options(self):
        opts = {"base_dir": self.datadir, "base_host": self.node_address, "base_port": str(self.gcomm_port),
                "gcache.size": "128M", "gmcast.listen_addr": "tcp://%s:%d" % (self.gcomm_host, self.gcomm_port)}
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
        out.update(self.client_tls)
        out.update({"pxc_encrypt_cluster_traffic": self.encrypt, "wsrep_provider_options": self.provider_options(),
                    "wsrep_on": True, "hostname": socket.gethostname(), "datadir": self.datadir.rstrip("/") + "/",
                    "version": VERSION, "version_comment": "clustersec molecule stand-in, NOT Percona XtraDB Cluster",
                    "wsrep_cluster_name": self.cluster_name, "wsrep_node_name": self.node_name,
                    "wsrep_node_address": self.node_address, "port": str(self.port),
                    "bind_address": self.options.get("bind_address", "*"), "socket": self.socket_path,
                    "require_secure_transport": self.require_secure_transport,
                    "default_authentication_plugin": self.default_plugin,
                    "have_ssl": "YES" if self.client_port_ctx else "DISABLED"})
        return out

    def status(self):
        members = self.members()
        out = {"wsrep_cluster_size": str(1 + len(members)), "wsrep_cluster_status": "Primary",
               "wsrep_local_state_comment": "Synced", "wsrep_local_state": "4", "wsrep_ready": "ON",
               "wsrep_connected": "ON", "wsrep_cluster_state_uuid": self.cluster_uuid,
               "wsrep_incoming_addresses": ",".join([self.node_name] + members),
               "wsrep_provider_name": "Galera (clustersec stand-in)",
               "Locked_connects": str(self.accounts.locked_connects)}
        for name in CLIENT_TLS_VARS:
            key = "Current_tls_" + name.split("_", 1)[1]
            out[key] = self.current_tls.get(name) or ""
        return out

    def set_global(self, name, raw):
        """SET GLOBAL of the client-server TLS variables (used at the next ALTER INSTANCE RELOAD TLS) and of
        require_secure_transport (at once)."""
        value = None if raw.upper() == "NULL" else clientport.unquote_sql(clientport.TOKEN.findall(raw)[0])
        if name == "require_secure_transport":
            if (value or "").lower() not in TRUE + ("0", "off", "no", "false"):
                raise SqlError("ERROR 1231 (42000): Variable '%s' can't be set to the value of '%s'" % (name, value))
            self.require_secure_transport = value.lower() in TRUE
        elif name == "ssl_cipher" and self.profile["cipher_names_only"] and value:
            try:
                self.check_ciphers(name, value)
            except Refused:
                raise SqlError("ERROR 1231 (42000): Variable '%s' can't be set to the value of '%s'" % (name, value))
            self.client_tls[name] = value
        elif name == "tls_version" and value and any(t.lower() not in ("tlsv1.2", "tlsv1.3") for t in value.split(",")):
            raise SqlError("ERROR 1231 (42000): Variable '%s' can't be set to the value of '%s'" % (name, value))
        else:
            self.client_tls[name] = value

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
            rows = [[k, ("ON" if values[k] else "OFF") if isinstance(values[k], bool) else
                     ("" if values[k] is None else values[k])] for k in wanted]
            return ["Variable_name", "Value"], rows
        match = re.match(r"ALTER INSTANCE RELOAD TLS( FOR CHANNEL mysql_main)?( NO ROLLBACK ON ERROR)?$", text, re.I)
        if match:
            self.load_client_tls(reload=True, no_rollback=bool(match.group(2)))
            return [], []
        match = re.match(r"SET GLOBAL wsrep_provider_options\s*=\s*'([^']*)'$", text, re.I)
        if match:
            if parse_provider_options(match.group(1)).get("socket.ssl_reload") in ("1", "yes", "YES", "true"):
                try:
                    self.load_tls(reload=True)
                except Refused as exc:
                    raise SqlError("ERROR 1210 (HY000): Incorrect arguments to SET: %s" % exc)
                return [], []
        match = re.match(r"SET (?:GLOBAL |@@GLOBAL\.)(%s)\s*=\s*(.+)$" % "|".join(CLIENT_TLS_VARS + (
            "require_secure_transport",)), text, re.I)
        if match:
            self.set_global(match.group(1).lower(), match.group(2).strip())
            return [], []
        if self.accounts.execute(text):
            return [], []
        if re.search(r"\bUSER\b|IDENTIFIED|PASSWORD", upper):  # may hold a password: not quoted back
            raise SqlError("ERROR 1064 (42000): You have an error in your SQL syntax (account statement)")
        raise SqlError("ERROR 1064 (42000): You have an error in your SQL syntax near '%s' "
                       "(the PXC stand-in answers only what the role sends)" % text[:60])


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
        address_family = socket.AF_INET6 if ":" in node.gcomm_host else socket.AF_INET

    class Unix(socketserver.ThreadingUnixStreamServer):
        daemon_threads = True

    try:
        gcomm = TCP((node.gcomm_host, node.gcomm_port), Gcomm)
    except OSError as exc:
        raise Refused("[WSREP] failed to listen on tcp://%s:%d: %s" % (node.gcomm_host, node.gcomm_port, exc.strerror))
    return gcomm, lambda: Unix(node.socket_path, Client)


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
    started = os.path.join(node.state_dir, "started")
    shutil.rmtree(node.state_dir, ignore_errors=True)
    os.makedirs(started)
    for path in node.files:
        shutil.copyfile(path, os.path.join(started, path.strip("/").replace("/", "__")))
    with open(os.path.join(node.state_dir, "server.json"), "w", encoding="utf-8") as handle:
        json.dump({"pid": os.getpid(), "bootstrap": node.bootstrap, "new_cluster": node.new_cluster,
                   "cluster_uuid": node.cluster_uuid, "node_uuid": node.node_uuid, "option_files": node.files,
                   "pxc_encrypt_cluster_traffic": node.encrypt, "gcomm_tls_files": node.tls_files,
                   "gcomm_port": node.gcomm_port, "client_port": node.port, "socket": node.socket_path,
                   "client_tls": bool(node.client_port_ctx), "keyring": node.keyring}, handle, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--defaults-file", default=MY_CNF)
    parser.add_argument("--wsrep-new-cluster", action="store_true")
    parser.add_argument("--validate-config", action="store_true")
    parser.add_argument("--join-timeout", type=int, default=int(os.environ.get("PXC_STANDIN_JOIN_TIMEOUT", "30")))
    parser.add_argument("--socket", default=os.environ.get("PXC_STANDIN_SOCKET"))
    parser.add_argument("--state-dir", default=os.environ.get("PXC_STANDIN_STATE_DIR", STATE_DIR))
    args = parser.parse_args()
    try:
        node = Node(args.defaults_file, args.wsrep_new_cluster)
        node.socket_path = args.socket or node.options.get("socket") or SOCKET
        node.state_dir = args.state_dir
        node.checks(args.validate_config)
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
        try:
            clientport.ClientPort(node, node.bind_address(), node.port).serve()
        except OSError as exc:
            raise Refused("Can't start server: Bind on TCP/IP port: %s (port %d)" % (exc.strerror, node.port))
    except Refused as exc:
        log("ERROR", exc)
        log("ERROR", "Aborting (clustersec PXC stand-in)")
        return 1
    node.write_grastate(-1, False)
    if os.path.exists(node.socket_path):
        os.unlink(node.socket_path)
    client = unix_server()
    os.chmod(node.socket_path, 0o777)
    record_start(node)

    def stop(signum, frame):  # pylint: disable=unused-argument
        alone = not node.members()
        node.write_grastate(node.seqno, alone)
        if os.path.exists(node.socket_path):
            os.unlink(node.socket_path)
        shutil.rmtree(node.state_dir, ignore_errors=True)
        log("Note", "shutdown complete (safe_to_bootstrap: %d)" % (1 if alone else 0))
        os._exit(0)  # pylint: disable=protected-access

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("Note", "stand-in ready: %s, cluster %s (%s), group communication %s, client port %d %s" % (
        "bootstrapped a new cluster" if node.bootstrap else "joined", node.cluster_name, node.cluster_uuid,
        "TLS " + json.dumps(node.tls_files) if node.server_ctx else "plain", node.port,
        "with TLS" if node.client_port_ctx else "WITHOUT TLS"))
    sd_notify("READY=1\nSTATUS=clustersec PXC stand-in, Synced")
    client.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
