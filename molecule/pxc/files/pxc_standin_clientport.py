"""STAND-IN for the client-server port (3306) of Percona XtraDB Cluster 8.0, used by pxc_standin_mysqld.py. NOT MySQL.

Installed next to the server (/usr/local/sbin/pxc_standin_clientport.py) and imported by it. Simulates what the
collection's probes (plugins/module_utils/probes/tls_probe.py) and its certificate rotation look at, following MySQL 8.0:

* TLS context as vio/viosslfactories.cc new_VioSSLFd()/new_VioSSLAcceptorFd() builds it: TLS 1.2 suites
  BLOCKED_TLS12 + ':' + (ssl_cipher, else DEFAULT_TLS12) as in include/tls_ciphers.h, tls_version parsed like
  process_tls_version() (TLSv1.2/TLSv1.3 only, other names ignored, none left: "TLS version is invalid"), the CA
  loaded, then certificate and key; client certificates verified with SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE (one
  that is presented must verify, none is required). A context that cannot be built leaves the port without TLS
  (sql/ssl_acceptor_context_data.cc: warning, no CLIENT_SSL), it does not stop the server.
* Connection phase (sql/auth/sql_authentication.cc): greeting v10 with the default_authentication_plugin,
  SSLRequest -> TLS, HandshakeResponse41, AuthSwitchRequest when the greeting's or the client's method is not the
  account's, mysql_native_password and caching_sha2_password (fast path from its cache, full authentication only
  over TLS), then acl_authenticate()'s order: wrong password / unknown user 1045, ACCOUNT LOCK 3118, a plain
  connection under require_secure_transport 3159, PASSWORD EXPIRE 1862, else OK.
* Accounts from CREATE/ALTER/DROP USER, kept in memory as hashes (never the password, never logged), and the SQL
  text helpers of the server's unix socket (statement splitting, SHOW ... LIKE/WHERE).
"""
import hashlib
import os
import re
import shutil
import socket
import socketserver
import ssl
import struct
import subprocess
import threading

# include/tls_ciphers.h (MySQL 8.0.35 and later): what the server always forbids, and its list when ssl_cipher is unset.
BLOCKED_TLS12 = ("!aNULL:!eNULL:!EXPORT:!LOW:!MD5:!DES:!3DES:!RC2:!RC4:!PSK:!DH-RSA-AES128-SHA256:!DH-RSA-AES256-SHA256:"
                 "!DH-DSS-AES128-SHA256:!DH-DSS-AES128-SHA:!DH-DSS-AES256-SHA:!DH-DSS-AES256-SHA256:!DH-RSA-AES128-SHA:"
                 "!DH-RSA-AES256-SHA:!DH-DSS-AES128-GCM-SHA256:!DH-DSS-AES256-GCM-SHA384:!DH-RSA-AES128-GCM-SHA256:"
                 "!DH-RSA-AES256-GCM-SHA384")
DEFAULT_TLS12 = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:"
                 "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                 "ECDHE-ECDSA-AES256-CCM:ECDHE-ECDSA-AES128-CCM:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"
                 "DHE-RSA-AES256-CCM:DHE-RSA-AES128-CCM:DHE-RSA-CHACHA20-POLY1305")
DEFAULT_TLS_VERSION = "TLSv1.2,TLSv1.3"
PLUGINS = ("mysql_native_password", "caching_sha2_password")

CLIENT_LONG_PASSWORD, CLIENT_CONNECT_WITH_DB, CLIENT_PROTOCOL_41 = 0x1, 0x8, 0x200
CLIENT_SSL, CLIENT_SECURE_CONNECTION, CLIENT_PLUGIN_AUTH = 0x800, 0x8000, 0x80000
CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA, CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS = 0x200000, 0x400000
# What mysqld 8.0 announces, without CLIENT_COMPRESS (not simulated); CLIENT_SSL only with a TLS context.
SERVER_CAPS = 0xFFFFFFFF & ~(0x20 | CLIENT_SSL | 0x4000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x80000000)


class SqlError(Exception):
    """An SQL statement's error, as the mysql client prints it."""


class TlsSetupError(Exception):
    """The TLS context cannot be built; the text is MySQL's sslGetErrString()."""


# ---------------------------------------------------------------- TLS context (vio/viosslfactories.cc)

def tls_version_range(value):
    """(minimum, maximum) of process_tls_version(): case-insensitive TLSv1.2/TLSv1.3, other names ignored."""
    tokens = [t.lower() for t in (DEFAULT_TLS_VERSION if value is None else value).split(",") if t]
    found = [v for v in ("TLSv1.2", "TLSv1.3") if v.lower() in tokens]
    if not found:
        raise TlsSetupError("TLS version is invalid")
    names = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
    return names[found[0]], names[found[-1]]


def acceptor_context(ca, cert, key, cipher=None, version=None):
    """The server-side context of the main interface, in new_VioSSLFd()'s order; raises TlsSetupError."""
    low, high = tls_version_range(version)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version, ctx.maximum_version = low, high
    try:
        ctx.set_ciphers(BLOCKED_TLS12 + ":" + (DEFAULT_TLS12 if cipher is None else cipher))
    except ssl.SSLError:
        raise TlsSetupError("Failed to set ciphers to use")
    try:
        if ca:
            ctx.load_verify_locations(cafile=ca)
        else:
            ctx.set_default_verify_paths()
    except (OSError, ssl.SSLError):
        raise TlsSetupError("SSL_CTX_set_default_verify_paths failed")
    if not cert and not key:
        raise TlsSetupError("SSL context is not usable without certificate and private key")
    cert, key = cert or key, key or cert
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=cert)
    except (OSError, ssl.SSLError):
        raise TlsSetupError("Unable to get certificate")
    try:
        ctx.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        if "KEY_VALUES_MISMATCH" in str(exc).upper():
            raise TlsSetupError("Private key does not match the certificate public key")
        raise TlsSetupError("Unable to get private key")
    # SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE without SSL_VERIFY_FAIL_IF_NO_PEER_CERT.
    ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx


def auto_generate_certs(datadir, version):
    """do_auto_cert_generation() (sql/auth/sql_authentication.cc), with the openssl tool: a self-signed CA and a
    server certificate it signed, as ca.pem, ca-key.pem, server-cert.pem, server-key.pem in the data directory.
    Called only when no ssl_* option is set and none of the files exists. False when openssl is missing."""
    openssl = shutil.which("openssl")
    if not openssl:
        return False
    name = "MySQL_Server_%s_Auto_Generated_%%s_Certificate" % version
    if len(name % "Server") > 64:  # MAX_CN_NAME_LENGTH: MySQL falls back to the names without the version
        name = "MySQL_Server_Auto_Generated_%s_Certificate"
    name = "/CN=" + name
    path = dict((n, os.path.join(datadir, n + ".pem")) for n in ("ca", "ca-key", "server-cert", "server-key", "req"))
    steps = [["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", name % "CA",
              "-keyout", path["ca-key"], "-out", path["ca"]],
             ["req", "-newkey", "rsa:2048", "-nodes", "-subj", name % "Server", "-keyout", path["server-key"],
              "-out", path["req"]],
             ["x509", "-req", "-in", path["req"], "-CA", path["ca"], "-CAkey", path["ca-key"], "-set_serial", "2",
              "-days", "3650", "-out", path["server-cert"]]]
    try:
        for step in steps:
            subprocess.run([openssl] + step, check=True, capture_output=True)
        for key in ("ca-key", "server-key"):
            os.chmod(path[key], 0o600)
    except (OSError, subprocess.CalledProcessError):
        return False
    finally:
        if os.path.exists(path["req"]):
            os.unlink(path["req"])
    return True


# ---------------------------------------------------------------- accounts (CREATE/ALTER/DROP USER)

def native_hash(password):
    """mysql.user.authentication_string of mysql_native_password: '*' + HEX(SHA1(SHA1(password)))."""
    return "*" + hashlib.sha1(hashlib.sha1(password.encode()).digest()).hexdigest().upper() if password else ""


def sha2_stage2(password):
    """SHA256(SHA256(password)): what caching_sha2_password keeps in its cache and checks a scramble against."""
    return hashlib.sha256(hashlib.sha256(password.encode()).digest()).digest() if password else b""


def unquote_sql(token):
    """A quoted SQL string or identifier ('...', \"...\", `...`) as its value; a bare word as it is."""
    if token[0] in "'\"`":
        body = token[1:-1].replace(token[0] * 2, token[0])
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "0": "\0"}.get(m.group(1), m.group(1)), body) \
            if token[0] != "`" else body
    return token


TOKEN = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"|`(?:[^`]|``)*`|@|,|[^\s'\"`@,]+")


class Accounts:
    """mysql.user as far as the connection phase needs it; CREATE USER without a method uses the default plugin."""

    def __init__(self, default_plugin, plugins=PLUGINS):
        self.default_plugin = default_plugin
        self.plugins = tuple(plugins)  # the authentication plugins the server has loaded (per version)
        self.users = {}      # (user, host) -> {"plugin", "hash", "locked", "expired"}
        self.sha2_cache = set()
        self.lock = threading.Lock()
        self.locked_connects = 0

    def execute(self, text):
        """CREATE USER, ALTER USER, DROP USER, FLUSH PRIVILEGES; False when the statement is not one of them.
        Errors never quote the statement: it may hold a password."""
        upper = text.upper()
        if upper == "FLUSH PRIVILEGES":
            with self.lock:
                self.sha2_cache.clear()
            return True
        verb = next((v for v in ("CREATE USER", "ALTER USER", "DROP USER") if upper.startswith(v + " ")), None)
        if not verb:
            return False
        tokens = TOKEN.findall(text[len(verb):])
        if_clause = "NOT EXISTS" if verb == "CREATE USER" else "EXISTS"
        quiet = [t.upper() for t in tokens[:len(if_clause.split()) + 1]] == ["IF"] + if_clause.split()
        tokens = tokens[len(if_clause.split()) + 1:] if quiet else tokens
        names = []
        while tokens:
            user, tokens = unquote_sql(tokens[0]), tokens[1:]
            host = "%"
            if tokens[:1] == ["@"] and len(tokens) > 1:
                host, tokens = unquote_sql(tokens[1]), tokens[2:]
            names.append((user, host.lower()))
            if tokens[:1] != [","]:
                break
            tokens = tokens[1:]
        spec = self._clauses(tokens, self.plugins) if verb != "DROP USER" else {}
        if spec is None or (verb == "DROP USER" and tokens):
            raise SqlError("ERROR 1064 (42000): You have an error in your SQL syntax near the account clauses of %s "
                           "(the PXC stand-in parses IDENTIFIED [WITH plugin] BY '...', ACCOUNT LOCK|UNLOCK, "
                           "PASSWORD EXPIRE [NEVER|DEFAULT], REQUIRE NONE)" % verb)
        failed = []
        with self.lock:
            for name in names:
                exists = name in self.users
                if (verb == "CREATE USER") == exists:
                    if not quiet:
                        failed.append(name)
                    continue
                if verb == "DROP USER":
                    del self.users[name]
                    self.sha2_cache.discard(name)
                    continue
                account = self.users.setdefault(name, {"plugin": self.default_plugin, "hash": "",
                                                       "locked": False, "expired": False})
                if "password" in spec or "plugin" in spec:
                    account["plugin"] = spec.get("plugin", account["plugin"] if exists else self.default_plugin)
                    password = spec.get("password", "")
                    account["hash"] = native_hash(password) if account["plugin"] == PLUGINS[0] else sha2_stage2(password)
                    self.sha2_cache.discard(name)
                for key in ("locked", "expired"):
                    if key in spec:
                        account[key] = spec[key]
        if failed:
            raise SqlError("ERROR 1396 (HY000): Operation %s failed for %s"
                           % (verb, ",".join("'%s'@'%s'" % n for n in failed)))
        return True

    @staticmethod
    def _clauses(tokens, plugins=PLUGINS):
        spec, i, up = {}, 0, [t.upper() for t in tokens]
        while i < len(tokens):
            if up[i] == "IDENTIFIED":
                i += 1
                if up[i:i + 1] == ["WITH"] and i + 1 < len(tokens):
                    plugin = unquote_sql(tokens[i + 1]).lower()
                    if plugin not in plugins:
                        raise SqlError("ERROR 1524 (HY000): Plugin '%s' is not loaded" % plugin)
                    spec["plugin"], i = plugin, i + 2
                if up[i:i + 1] == ["BY"] and i + 1 < len(tokens) and tokens[i + 1][0] in "'\"":
                    spec["password"], i = unquote_sql(tokens[i + 1]), i + 2
                elif "plugin" not in spec:
                    return None
            elif up[i:i + 2] in (["ACCOUNT", "LOCK"], ["ACCOUNT", "UNLOCK"]):
                spec["locked"], i = up[i + 1] == "LOCK", i + 2
            elif up[i:i + 2] == ["PASSWORD", "EXPIRE"]:
                i += 2
                spec["expired"] = up[i:i + 1] not in (["NEVER"], ["DEFAULT"])
                i += 0 if spec["expired"] else 1
            elif up[i:i + 2] == ["REQUIRE", "NONE"]:
                i += 2
            else:
                return None
        return spec

    def find(self, user, hosts):
        """The account a client of `hosts` (its IP, and 'localhost' for loopback) logs in as: exact host names first,
        then patterns with % and _ by their number of literal characters (acl_users is sorted like that)."""
        with self.lock:
            candidates = [(h, a) for (u, h), a in self.users.items() if u == user]
        candidates.sort(key=lambda item: (any(c in item[0] for c in "%_"), -len(item[0].replace("%", ""))))
        for host, account in candidates:
            pattern = "^" + re.escape(host).replace("%", ".*").replace("_", ".") + "$"
            if any(re.match(pattern, h, re.I) for h in hosts):
                return (user, host), account
        return None, None


# ---------------------------------------------------------------- SQL text (the unix socket)

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
    out, current, quote, escaped = [], "", None, False
    for ch in text:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
        elif ch == ";":
            out.append(current)
            current = ""
            continue
        current += ch
    out.append(current)
    return [s.strip() for s in out if s.strip()]


# ---------------------------------------------------------------- wire protocol

def read_packet(sock):
    header = _recv(sock, 4)
    return header[3], _recv(sock, header[0] | header[1] << 8 | header[2] << 16)


def _recv(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("client closed the connection")
        data += chunk
    return data


def write_packet(sock, seq, payload):
    sock.sendall(struct.pack("<I", len(payload))[:3] + bytes([seq & 0xFF]) + payload)


def err(code, state, message):
    return b"\xff" + struct.pack("<H", code) + b"#" + state.encode() + message.encode()


OK = b"\x00\x00\x00\x02\x00\x00\x00"


def greeting(version, conn_id, nonce, plugin, tls):
    caps = SERVER_CAPS | (CLIENT_SSL if tls else 0)
    return (b"\x0a" + version.encode() + b"\x00" + struct.pack("<I", conn_id) + nonce[:8] + b"\x00"
            + struct.pack("<H", caps & 0xFFFF) + b"\xff" + struct.pack("<H", 0x0002) + struct.pack("<H", caps >> 16)
            + bytes([21]) + b"\x00" * 10 + nonce[8:] + b"\x00" + plugin.encode() + b"\x00")


def parse_response(payload):
    """HandshakeResponse41 -> (capabilities, user, auth response, plugin name)."""
    caps = struct.unpack("<I", payload[:4])[0]
    user, dummy, rest = payload[32:].partition(b"\x00")
    if caps & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA and rest[:1] and rest[0] < 0xFB:
        auth, rest = rest[1:1 + rest[0]], rest[1 + rest[0]:]
    elif caps & CLIENT_SECURE_CONNECTION and rest:
        auth, rest = rest[1:1 + rest[0]], rest[1 + rest[0]:]
    else:
        auth, dummy, rest = rest.partition(b"\x00")
    if caps & CLIENT_CONNECT_WITH_DB:
        rest = rest.partition(b"\x00")[2]
    plugin = rest.partition(b"\x00")[0].decode("ascii", "replace") if caps & CLIENT_PLUGIN_AUTH else PLUGINS[0]
    return caps, user.decode("utf-8", "replace"), auth, plugin or PLUGINS[0]


def check_native(stored, nonce, reply):
    """native_password_authenticate()/check_scramble(): SHA1(reply XOR SHA1(nonce + stage2)) == stage2."""
    if not stored:
        return not reply
    if len(reply) != 20:
        return False
    stage2 = bytes.fromhex(stored[1:])
    stage1 = bytes(a ^ b for a, b in zip(reply, hashlib.sha1(nonce + stage2).digest()))
    return hashlib.sha1(stage1).digest() == stage2


def check_sha2_scramble(stage2, nonce, reply):
    """caching_sha2_password fast path: reply = SHA256(pw) XOR SHA256(stage2 + nonce)."""
    if len(reply) != 32 or not stage2:
        return False
    stage1 = bytes(a ^ b for a, b in zip(reply, hashlib.sha256(stage2 + nonce).digest()))
    return hashlib.sha256(stage1).digest() == stage2


class ClientPort:
    """The TCP listener of the main connection interface; `node` supplies client_port_ctx, accounts, lock,
    require_secure_transport, default_plugin and version."""

    def __init__(self, node, address, port):
        self.node = node
        self.ids = iter(range(8, 1 << 31))
        port_self = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                port_self.session(self.request, self.client_address[0])

        class TCP(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True
            address_family = socket.AF_INET6 if ":" in address else socket.AF_INET

        self.server = TCP((address, port), Handler)

    def serve(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def session(self, sock, ip):
        node = self.node
        sock.settimeout(10)  # connect_timeout
        with node.lock:
            ctx = node.client_port_ctx
        nonce = bytes(33 + b % 94 for b in os.urandom(20))  # generate_user_salt(): printable, no NUL
        conn = sock
        try:
            write_packet(sock, 0, greeting(node.version, next(self.ids), nonce, node.default_plugin, ctx is not None))
            seq, payload = read_packet(sock)
            caps = struct.unpack("<I", payload[:4])[0] if len(payload) >= 4 else 0
            ssl_caps = None
            if caps & CLIENT_SSL and len(payload) == 32:
                ssl_caps = caps
                if ctx is None:
                    return write_packet(sock, seq + 1, err(1043, "08S01", "Bad handshake"))
                try:
                    conn = ctx.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError):
                    return None  # OpenSSL has sent its alert (unknown ca, protocol version, no shared cipher)
                seq, payload = read_packet(conn)
            if len(payload) < 33:
                return write_packet(conn, seq + 1, err(1043, "08S01", "Bad handshake"))
            seq, answer = self.login(conn, seq, payload, conn is not sock, nonce, ip, ssl_caps)
            write_packet(conn, seq + 1, answer)
            if answer[:1] == b"\x00":
                self.commands(conn)
        except (EOFError, OSError, ssl.SSLError, struct.error, IndexError, ValueError):
            return None
        finally:
            conn.close()
        return None

    def login(self, conn, seq, payload, tls, nonce, ip, ssl_caps=None):
        """acl_authenticate(): -> (sequence id of the last client packet, answer)."""
        node = self.node
        caps, user, reply, client_plugin = parse_response(payload)
        if ssl_caps is not None and not ssl_caps & CLIENT_PLUGIN_AUTH:
            # The server keeps the SSLRequest's capabilities: without CLIENT_PLUGIN_AUTH there the client counts as
            # one of mysql_native_password (measured on 9.7.4: 1251 where that plugin is absent).
            client_plugin = PLUGINS[0]
        if (caps & CLIENT_PLUGIN_AUTH or ssl_caps is not None) and client_plugin not in node.accounts.plugins:
            # MySQL 9.7 (no mysql_native_password): a response naming a plugin the server has not loaded gets
            # ER_NOT_SUPPORTED_AUTH_MODE, not an AuthSwitchRequest (measured on 9.7.4, tests/integration/pxc_real).
            return seq, err(1251, "08004", "Client does not support authentication protocol requested by server; "
                                           "consider upgrading MySQL client")
        hosts = [ip] + (["localhost"] if ip.startswith("127.") or ip in ("::1", "::ffff:127.0.0.1") else [])
        host_or_ip = hosts[-1]
        name, account = node.accounts.find(user, hosts)
        plugin = account["plugin"] if account else node.default_plugin  # unknown user: a decoy of the default
        if plugin != node.default_plugin or client_plugin != plugin:
            # Authentication method mismatch: AuthSwitchRequest with the account's method and the same scramble.
            write_packet(conn, seq + 1, b"\xfe" + plugin.encode() + b"\x00" + nonce + b"\x00")
            seq, reply = read_packet(conn)
        if plugin == PLUGINS[0]:
            good = account is not None and check_native(account["hash"], nonce, reply)
        else:
            seq, good = self.caching_sha2(conn, seq, reply, nonce, tls, name, account)
        if not good:
            return seq, err(1045, "28000", "Access denied for user '%s'@'%s' (using password: %s)" % (
                user, host_or_ip, "YES" if reply else "NO"))
        if account["locked"]:
            with node.accounts.lock:
                node.accounts.locked_connects += 1
            return seq, err(3118, "HY000", "Access denied for user '%s'@'%s'. Account is locked." % (user, host_or_ip))
        if node.require_secure_transport and not tls:
            return seq, err(3159, "HY000", "Connections using insecure transport are prohibited while "
                                           "--require_secure_transport=ON.")
        if account["expired"] and not caps & CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS:
            return seq, err(1862, "HY000", "Your password has expired. To log in you must change it using a client "
                                           "that supports expired passwords.")
        return seq, OK

    def caching_sha2(self, conn, seq, reply, nonce, tls, name, account):
        """sql/auth/sha2_password.cc: fast path when cached, else full authentication (cleartext over TLS only;
        the RSA key exchange of a plain connection is not simulated and fails like a wrong password)."""
        stage2 = account["hash"] if account else None
        if account is not None and not stage2 and not reply:
            return seq, True
        with self.node.accounts.lock:
            cached = name in self.node.accounts.sha2_cache
        if cached and check_sha2_scramble(stage2, nonce, reply):
            write_packet(conn, seq + 1, b"\x01\x03")  # fast_auth_success, then the final answer
            return seq + 1, True
        write_packet(conn, seq + 1, b"\x01\x04")      # perform_full_authentication
        seq, data = read_packet(conn)
        if not tls or account is None:
            return seq, False
        good = hashlib.sha256(hashlib.sha256(data.rstrip(b"\x00")).digest()).digest() == stage2
        if good:
            with self.node.accounts.lock:
                self.node.accounts.sha2_cache.add(name)
        return seq, good

    @staticmethod
    def commands(conn):
        conn.settimeout(60)
        while True:
            seq, packet = read_packet(conn)
            if packet[:1] == b"\x01":                  # COM_QUIT
                return
            if packet[:1] == b"\x0e":                  # COM_PING
                write_packet(conn, seq + 1, OK)
                continue
            write_packet(conn, seq + 1, err(1047, "08S01",
                                            "Unknown command (the PXC stand-in answers SQL only on its unix socket)"))
