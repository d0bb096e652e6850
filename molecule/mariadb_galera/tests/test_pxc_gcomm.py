"""The group-communication TLS part of what the PXC role renders (manual mode), run on the real
galera-4 of this cluster: one node restarts with exactly that wsrep_provider_options line and must
rejoin its TLS-only peers over ssl://. PXC itself cannot be installed here."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import nodes, sql, status, wait_synced  # noqa: E402

DROPIN = "/etc/mysql/mariadb.conf.d/70-pxc-gcomm.cnf"


def test_pxc_rendered_gcomm_options_join_a_tls_cluster():
    hosts = nodes()
    name = sorted(hosts)[-1]
    h = hosts[name]
    since = h.check_output("date '+%Y-%m-%d %H:%M:%S'")
    proc = subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                           os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "pxc_gcomm.yml"), "-e", f"target={name}",
                           "-e", '{"pxc_encrypt_mode": "manual", "pxc_wsrep_provider_options": "gcache.size=64M; gcs.fc_limit=32"}'],
                          capture_output=True, text=True, check=False)
    try:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
        line = h.check_output(f"grep wsrep_provider_options {DROPIN}")
        assert "gcache.size=64M" in line and "socket.ssl=yes" in line and "socket.ssl_cert=/etc/mysql/certs/server-cert.pem" in line, line
        wait_synced(h, 180)
        assert status(h, "wsrep_cluster_size") == "3"
        opts = sql(h, "SELECT @@wsrep_provider_options")
        assert "socket.ssl = YES" in opts and "gcache.size = 64M" in opts, opts[:400]
        log = h.check_output(f"journalctl -u mariadb --since '{since}' --no-pager -o cat")
        assert "ssl://" in log, log[-2000:]
    finally:
        h.run(f"rm -f {DROPIN}")
        h.run("systemctl restart mariadb")
        wait_synced(h, 180)
