"""A client that writes one row every 100 ms to the cluster while it is being changed.

It behaves like an application behind a Galera-aware proxy: it writes to the first node that
accepts the write and, when a node refuses or drops the connection (it is being restarted), sends
the same row to the next node. Rows carry a unique id and are written with INSERT IGNORE, so a
retried row is never counted twice. A write is acknowledged when a node commits it; it has failed
when no node commits it within `give_up` seconds. TLS is used whenever the server offers it, and
each connection's protocol is recorded.
"""
import os
import subprocess
import threading
import time

import pymysql


def node_ip(name):
    out = subprocess.run(["podman", "exec", name, "hostname", "-I"], capture_output=True, text=True, check=True)
    return out.stdout.split()[0]


class Writer(threading.Thread):
    def __init__(self, names, user, password, table, ca_file, interval=0.1, give_up=30.0):
        super().__init__(daemon=True)
        self.addresses = {n: node_ip(n) for n in names}
        self.names = list(names)
        self.user, self.password, self.table, self.ca_file = user, password, table, ca_file
        self.interval, self.give_up = interval, give_up
        self.acked, self.failed, self.retried = [], [], 0
        self.tls_versions = set()
        self.stop = threading.Event()
        self._conns = {}

    def _tls(self):
        # The CA may only appear during the run (TLS being turned on); until then any TLS is taken.
        # A list of CA files is read at each connection (a CA rotation adds the new CA mid-run).
        files = [f for f in (self.ca_file if isinstance(self.ca_file, list) else [self.ca_file]) if os.path.exists(f)]
        if not files:
            return {"check_hostname": False}
        if len(files) == 1:
            return {"ca": files[0], "check_hostname": False}
        bundle = os.path.join(os.path.dirname(files[0]), ".writer-ca-bundle.pem")
        with open(bundle, "w") as out:
            out.write("".join(open(f).read() for f in files))
        return {"ca": bundle, "check_hostname": False}

    def _conn(self, name):
        conn = self._conns.get(name)
        if conn is None:
            conn = pymysql.connect(host=self.addresses[name], user=self.user, password=self.password,
                                   connect_timeout=3, read_timeout=10, write_timeout=10, autocommit=True,
                                   ssl=self._tls())
            with conn.cursor() as cur:
                cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
                self.tls_versions.add((cur.fetchone() or ("", ""))[1] or "plain")
            self._conns[name] = conn
        return conn

    def _write(self, row_id):
        deadline = time.monotonic() + self.give_up
        attempt = 0
        while time.monotonic() < deadline:
            name = self.names[attempt % len(self.names)]
            try:
                with self._conn(name).cursor() as cur:
                    cur.execute(f"INSERT IGNORE INTO {self.table} (id, v) VALUES (%s, %s)", (row_id, name))
                return True
            except pymysql.MySQLError:
                conn = self._conns.pop(name, None)
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:  # noqa: BLE001 - the connection is already broken
                        pass
                attempt += 1
                self.retried += 1
                if attempt % len(self.names) == 0:
                    time.sleep(0.2)
        return False

    def run(self):
        row_id = 0
        while not self.stop.is_set():
            started = time.monotonic()
            row_id += 1
            (self.acked if self._write(row_id) else self.failed).append(row_id)
            time.sleep(max(0.0, self.interval - (time.monotonic() - started)))
        for conn in self._conns.values():
            conn.close()
