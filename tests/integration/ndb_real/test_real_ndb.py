# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NDB playbooks on the real NDB 9.7.4 programs (issue 27), on loopback, service manager `script`.

One cluster for the module: management node 1, data nodes 2-5 in node groups {2, 3} and {4, 5}, rows written through
the NDB API (ndb_marker). Proofs come from the real programs, each with a control: ndbxfrm -i on every file of the
data nodes' file systems and of every backup, a marker searched for in those files (found with TDE off and in an
unencrypted backup), ndb_restore with a wrong and the right password, /proc of the running data nodes.
The tests run in order: each starts from the state the one before left.
"""

from __future__ import (absolute_import, division, print_function)

import os
import re
import subprocess
import time

import pytest

import real

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason='the role writes root-owned files (run as root)'),
    # make test builds the programs in its setup stage; a missing build is a failure there, a skip only by hand.
    pytest.mark.skipif(real.real_root() is None and not os.environ.get('CI'),
                       reason='scripts/build-ndb.sh has not built the real NDB programs (.build/ndb-root)'),
]

MARKER = 'CLUSTERSEC-NDB-MARKER-4b1d'
ROWS = 200
BACKUP_PASSWORD = 'Backup-Pw.real1'
NEW_PASSWORDS = {3: 'Node3-Pw.real2', 4: 'Node4-Pw.real2'}
# -vvv --diff: no secret may show even there
VERBOSE = {'ANSIBLE_VERBOSITY': '3', 'ANSIBLE_DIFF_ALWAYS': 'True'}


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    assert real.real_root(), 'scripts/build-ndb.sh has not built the real NDB programs (.build/ndb-root)'
    c = real.RealCluster(tmp_path_factory.mktemp('ndbreal'))
    yield c
    c.stop_all()


def with_marker(paths):
    """The files among paths that hold the marker (grep: the redo log files are large; a file removed meanwhile by a
    local checkpoint is skipped)."""
    if not paths:
        return []
    proc = subprocess.run(['grep', '-lsF', '--binary-files=text', MARKER] + list(paths), stdout=subprocess.PIPE,
                          check=False)
    return proc.stdout.decode().split()


def all_fs_files(cluster):
    return [p for n in cluster.data_nodes for p in cluster.fs_files(n)]


# What real ndbmtd 9.7.4 encrypts with EncryptedFileSystem=1 (ndbxfrm -i on every file, measured): the redo log
# (*.FragLog), the local checkpoints' data files (LCP/*/T*F*.Data) and the secrets file (NDBCNTR/S0.sysfile); it leaves
# in clear the metadata: LCP control files (*.ctl), DBDIH/DBDICT lists and logs (*.FragList, *.TableList, *.SchemaLog)
# and the P0/P1 sysfiles. Rows live only in the encrypted ones (the marker check below covers every file).
ROW_FILES = re.compile(r'(\.FragLog|/LCP/\d+/T\d+F\d+\.Data|\.dat)$')


def row_files(files):
    return [p for p in files if ROW_FILES.search(p)]


def wait_for(predicate, timeout=90, step=1.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def count_rows(cluster):
    out = cluster.marker('count', MARKER)
    m = re.search(r'rows=(\d+) marker_rows=(\d+)', out)
    return int(m.group(1)), int(m.group(2))


def backup_id(out):
    m = re.search(r'backup (\d+) \((encrypted|not encrypted)\)', out)
    assert m, out
    return int(m.group(1)), m.group(2) == 'encrypted'


def data_processes(cluster):
    return dict((pid, argv) for pid, argv in cluster.processes().items() if argv[0].endswith(b'/ndbmtd'))


def assert_no_password_in_processes(cluster, passwords):
    procs = data_processes(cluster)
    assert procs, 'no ndbmtd process runs'
    for pid, argv in procs.items():
        environ = real.harness.read_proc(pid, 'environ')
        for pw in passwords:
            assert pw.encode() not in b'\0'.join(argv), argv
            assert pw.encode() not in environ


def test_fresh_cluster_without_tde_holds_the_marker_on_disk(cluster):
    """Control for every encryption check below: with TDE off the real data nodes write the marker in clear."""
    rc, out = cluster.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False}, timeout=900)
    assert rc == 0, out
    assert 'written=%d' % ROWS in cluster.marker('write', MARKER, ROWS)
    assert count_rows(cluster) == (ROWS, ROWS)
    cluster.mgm('ALL DUMP 7099')  # ask for a local checkpoint now rather than waiting for one
    assert wait_for(lambda: with_marker(all_fs_files(cluster))), 'marker never reached the file system with TDE off'
    files = all_fs_files(cluster)
    assert not [p for p in files if p.endswith('.FragLog') and cluster.encrypted(p)]
    rc, out = cluster.mgm('START BACKUP 1 WAIT COMPLETED')
    assert rc == 0 and 'Backup 1' in out, out
    backup = cluster.backup_files(1)
    assert backup and not [p for p in backup if cluster.encrypted(p)]
    assert with_marker(backup), 'control: an unencrypted backup holds the marker'


def test_toggle_on_encrypts_every_file_and_keeps_the_rows(cluster):
    """ndb_tde_toggle on: config reloaded by the management server (a restart of it), then a node initial rolling
    restart; afterwards every file of every data node's file system says encryption=yes and holds no marker."""
    rc, out = cluster.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': True}, timeout=1500)
    assert rc == 0, out
    for pw in real.harness.PASSWORDS.values():
        assert pw not in out
    assert count_rows(cluster) == (ROWS, ROWS)
    cluster.mgm('ALL DUMP 7099')
    time.sleep(3)
    files = all_fs_files(cluster)
    rows = row_files(files)
    assert len(rows) >= 4 * len(cluster.data_nodes), files
    clear = [p for p in rows if cluster.encrypted(p) is False]
    assert clear == [], clear
    assert with_marker(files) == []
    assert_no_password_in_processes(cluster, real.harness.PASSWORDS.values())


@pytest.mark.parametrize('mode', ['command_stdin', 'password_stdin'])
def test_encrypted_backup_in_every_password_mode(cluster, mode):
    rc, out = cluster.playbook('ndb_encrypted_backup.yml', {'ndb_tde_backup_password': BACKUP_PASSWORD,
                                                            'ndb_tde_backup_password_input': mode}, env=VERBOSE)
    assert rc == 0, out
    assert 'ESTABLISH LOCAL CONNECTION' in out  # control: the run was at -vvv
    assert BACKUP_PASSWORD not in out
    bid, encrypted = backup_id(out)
    assert encrypted
    files = cluster.backup_files(bid)
    assert len(files) >= 3 * len(cluster.data_nodes), files
    assert [p for p in files if cluster.encrypted(p) is False] == []
    assert with_marker(files) == []
    for dirpath, dummy, names in os.walk(cluster.home):
        for name in names:
            with open(os.path.join(dirpath, name), 'rb') as f:
                assert BACKUP_PASSWORD.encode() not in f.read(), name


def test_backup_without_encrypt_is_refused_by_the_data_nodes(cluster):
    """RequireEncryptedBackup=1 (TDE on): a plain START BACKUP is refused by the real data nodes."""
    rc, out = cluster.mgm('START BACKUP 90 WAIT COMPLETED')
    assert 'Backup 90' not in out or 'error' in out.lower() or 'fail' in out.lower(), out
    assert not [p for p in cluster.backup_files(90) if cluster.encrypted(p) is False]


def last_encrypted_backup(cluster):
    ids = []
    for n in cluster.data_nodes:
        d = os.path.join(cluster.datadir(n), 'BACKUP')
        ids += [int(x.split('-')[1]) for x in os.listdir(d) if x.startswith('BACKUP-')] if os.path.isdir(d) else []
    return max(i for i in ids if i not in (1, 90))


def test_restore_refuses_a_wrong_password_and_restores_with_the_right_one(cluster):
    bid = last_encrypted_backup(cluster)
    assert 'dropped=1' in cluster.marker('drop', '-')
    assert count_rows(cluster) == (0, 0)
    rc, out = cluster.playbook('ndb_restore_encrypted_backup.yml', {
        'ndb_tde_restore_backup_id': bid, 'ndb_tde_backup_password': 'Wrong-Pw.real9'})
    assert rc != 0, out
    assert 'Wrong-Pw.real9' not in out
    assert count_rows(cluster) == (0, 0)
    # control: ndb_restore itself without the password cannot read the files
    rc, dummy = cluster.tool('ndb_restore', '-c', cluster.connectstring, '-n', '2', '-b', str(bid), '--print-meta',
                             '--backup-path', os.path.join(cluster.datadir(2), 'BACKUP', 'BACKUP-%d' % bid))
    assert rc != 0
    rc, out = cluster.playbook('ndb_restore_encrypted_backup.yml', {
        'ndb_tde_restore_backup_id': bid, 'ndb_tde_backup_password': BACKUP_PASSWORD}, timeout=900)
    assert rc == 0, out
    assert BACKUP_PASSWORD not in out
    assert count_rows(cluster) == (ROWS, ROWS)


def test_password_rotation_serial_then_by_node_group(cluster):
    passwords = dict(real.harness.PASSWORDS)
    passwords.update(NEW_PASSWORDS)
    cluster.passwords = passwords
    cluster.write_inventory()
    rc, out = cluster.playbook('ndb_password_rotation.yml', {'ndb_tde_rotate_nodes': [3, 4]}, timeout=1500,
                               env=VERBOSE)
    assert rc == 0, out
    assert 'ESTABLISH LOCAL CONNECTION' in out  # control: the run was at -vvv
    for pw in passwords.values():
        assert pw not in out
    rc, out = cluster.playbook('ndb_password_rotation.yml', {'ndb_tde_restart_strategy': 'nodegroup'}, timeout=1500)
    assert rc == 0, out
    for pw in passwords.values():
        assert pw not in out
    assert count_rows(cluster) == (ROWS, ROWS)
    assert [p for p in row_files(all_fs_files(cluster)) if cluster.encrypted(p) is False] == []
    assert with_marker(all_fs_files(cluster)) == []
    assert_no_password_in_processes(cluster, list(passwords.values()) + list(real.harness.PASSWORDS.values()))


def test_status_reads_the_real_cluster(cluster):
    rc, out = cluster.playbook('ndb_tde_status.yml')
    assert rc == 0, out
    assert 'data' in out


def test_toggle_off_writes_the_file_system_in_clear_again(cluster):
    rc, out = cluster.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False}, timeout=1500)
    assert rc == 0, out
    assert count_rows(cluster) == (ROWS, ROWS)
    cluster.mgm('ALL DUMP 7099')
    frag = [p for p in all_fs_files(cluster) if p.endswith('.FragLog')]
    assert frag and not [p for p in frag if cluster.encrypted(p)]
