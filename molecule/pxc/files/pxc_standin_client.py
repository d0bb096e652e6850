"""STAND-IN for the mysql command-line client in the molecule scenario `pxc`. It is NOT the MySQL client.

Installed as /usr/local/bin/mysql (prepare.yml adds a python3 shebang), ahead of MariaDB's /usr/bin/mysql in
PATH. Sends the SQL of -e/--execute (or stdin) over the unix socket of the PXC stand-in server
(pxc_standin_mysqld.py) and prints the result sets the way `mysql -B` does (tab-separated, a header line unless
-N). Without a running server it fails like the real client: ERROR 2002, exit status 1. -S/--socket (or, for
tests, PXC_STANDIN_SOCKET) names the server's socket. Other login options (-u, -p, -h, --defaults-file, ...) are
accepted and ignored: root over the socket is all the role uses.
"""
import json
import os
import socket
import sys

SOCKET = "/run/mysqld/mysqld.sock"
WITH_VALUE = ("-u", "-h", "-P", "--user", "--host", "--port", "-D", "--database")


def parse(argv):
    """-> (SQL of -e or None, print the header line, socket path)."""
    sql, headers, path, i = None, True, os.environ.get("PXC_STANDIN_SOCKET") or SOCKET, 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-S", "--socket") and i + 1 < len(argv):
            i += 1
            path = argv[i]
        elif arg.startswith("--socket="):
            path = arg.split("=", 1)[1]
        elif arg in ("-N", "--skip-column-names"):
            headers = False
        elif arg in ("-e", "--execute"):
            i += 1
            sql = argv[i]
        elif arg.startswith("--execute="):
            sql = arg.split("=", 1)[1]
        elif arg.startswith("-e") and len(arg) > 2:
            sql = arg[2:]
        elif arg in WITH_VALUE:
            i += 1
        elif arg.startswith("-") and not arg.startswith("--") and "N" in arg[1:] and "e" not in arg[1:]:
            headers = False  # combined short flags such as -NB
        i += 1
    return sql, headers, path


def main(argv):
    sql, headers, path = parse(argv)
    if sql is None:
        sql = sys.stdin.read()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(60)
            conn.connect(path)
            conn.sendall(sql.encode())
            conn.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError as exc:
        print("ERROR 2002 (HY000): Can't connect to local MySQL server through socket '%s' (%d)"
              % (path, exc.errno or 0), file=sys.stderr)
        return 1
    try:
        reply = json.loads(data.decode())
    except ValueError:
        print("ERROR 2013 (HY000): Lost connection to MySQL server during query", file=sys.stderr)
        return 1
    for result in reply.get("results", []):
        if headers:
            print("\t".join(result["columns"]))
        for row in result["rows"]:
            print("\t".join("NULL" if v is None else str(v) for v in row))
    if reply.get("error"):
        print(reply["error"], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
