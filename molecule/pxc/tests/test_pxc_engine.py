"""The shared Galera engine on the PXC stand-in: the packaged mysqld.cnf (empty gcomm://) cannot win over the role's
drop-in, an operator's option file that sets one of our options is refused, and the wait after a start checks the
cluster size (a node alone in a component of its own is Synced and Primary too)."""
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared", "tests"))
from galera import nodes  # noqa: E402

PACKAGED = "/etc/mysql/mysql.conf.d/mysqld.cnf"
SCENARIO = os.environ.get("MOLECULE_SCENARIO_DIRECTORY", "")


@pytest.fixture(scope="module")
def cluster():
    return nodes("pxc")


def playbook(name, *extra, tags=None):
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], os.path.join(SCENARIO, name)]
    if tags:
        cmd += ["--tags", tags]
    for item in extra:
        cmd += ["-e", item]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def variable(host, name):
    return host.check_output(f"mysql -N -B -e 'SELECT @@{name}'")


def test_packaged_options_are_taken_over_with_a_backup(cluster):
    for n, h in cluster.items():
        text = h.file(PACKAGED).content_string
        assert "# wsrep_cluster_address=gcomm://  # disabled by clustersec.mysql" in text, text
        active = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        ours = ("wsrep_cluster_address", "wsrep_cluster_name", "wsrep_node_name")
        assert not [line for line in active if line.startswith(ours)], active
        assert "pxc_strict_mode=ENFORCING" in active and "server-id=1" in active, "a line not ours was lost"
        # Control: the backup holds the packaged file as it was, with the empty gcomm:// active.
        backups = h.check_output(f"ls {PACKAGED}.*~").split()
        assert backups and "\nwsrep_cluster_address=gcomm://\n" in h.file(backups[0]).content_string
        # The stand-in reads mysqld.cnf after 60-clustersec-pxc.cnf: our values are in effect only because of that.
        assert variable(h, "wsrep_cluster_name") == "clustersec"
        assert variable(h, "wsrep_node_name") == n
        assert h.check_output("mysql -N -B -e \"SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'\"").split("\t")[1] == "3"


def test_an_operator_option_file_setting_our_option_is_refused(cluster):
    h = cluster["pxc3"]
    h.check_output("printf '[mysqld]\\nwsrep_cluster_name = theirs\\n' > /etc/mysql/mysql.conf.d/70-operator.cnf")
    before = {n: x.check_output("sha256sum /etc/mysql/mysql.conf.d/*.cnf; systemctl show -p MainPID --value mysql")
              for n, x in cluster.items()}
    try:
        rc, out = playbook("converge.yml", tags="config,restart")
        after = {n: x.check_output("sha256sum /etc/mysql/mysql.conf.d/*.cnf; systemctl show -p MainPID --value mysql")
                 for n, x in cluster.items()}
    finally:
        h.check_output("rm -f /etc/mysql/mysql.conf.d/70-operator.cnf")
    assert rc != 0
    assert "pxc3: " in out and "70-operator.cnf sets [mysqld] wsrep_cluster_name" in out, out[-3000:]
    assert after == before, "a node was changed"


def test_the_wait_checks_the_cluster_size():
    rc, out = playbook("wait_size.yml", "wait_size=3", "pxc_sync_timeout=4")
    assert rc == 0, out[-2000:]
    # Control of the check: the same node, Synced and Primary, is not accepted in a component smaller than asked.
    rc, out = playbook("wait_size.yml", "wait_size=4", "pxc_sync_timeout=4")
    assert rc != 0 and "Wait until the node is Synced in a Primary component of the expected size" in out, out[-2000:]


def test_check_mode_runs_to_the_end_and_changes_nothing(cluster):
    before = {n: h.check_output("sha256sum /etc/mysql/mysql.conf.d/*; systemctl show -p MainPID --value mysql")
              for n, h in cluster.items()}
    rc, out = playbook_check()
    assert rc == 0, out[-3000:]
    recap = re.findall(r"^pxc\d\s+:.*changed=(\d+)", out, re.M)
    assert recap == ["0", "0", "0"], out[-2000:]
    after = {n: h.check_output("sha256sum /etc/mysql/mysql.conf.d/*; systemctl show -p MainPID --value mysql")
             for n, h in cluster.items()}
    assert after == before


def playbook_check():
    cmd = ["ansible-playbook", "--check", "--diff", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--tags", "config,restart",
           os.path.join(SCENARIO, "converge.yml")]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr
