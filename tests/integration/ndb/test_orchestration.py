# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NDB TDE playbooks against the NDB simulator (tests/ndb_simulator), no containers, no NDB.

    .venv/bin/pytest -q -p no:cacheprovider tests/integration/ndb

One simulated cluster for the whole module: management node 1 and data node 2 on data1, data nodes 3-5 on data2-data4,
in node groups {2, 3} and {4, 5}, an API host. Every host is an alias of localhost (-c local).
What is checked comes from the simulator's log (argv, stdin hashes, node events) and /proc.
"""

from __future__ import (absolute_import, division, print_function)

import concurrent.futures
import hashlib
import os
import re
import stat
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the role writes root-owned files (run as root)')

NEW_PASSWORDS = {2: 'Node2-Pw.second', 3: 'Node3-Pw.second', 4: 'Node4-Pw.second', 5: 'Node5-Pw.second'}
BACKUP_PASSWORD = 'Backup-Pw.1'
GROUPS = {2: 0, 3: 0, 4: 1, 5: 1}


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    c = harness.Cluster(tmp_path_factory.mktemp('ndb'))
    yield c
    c.stop_all()


def mark(cluster):
    return len(cluster.log())


def events(cluster, since=0, progs=('ndbmtd',)):
    return [r for r in cluster.log()[since:] if r['prog'] in progs]


def assert_rolling(cluster, since, expected_order, passwords):
    """One node at a time, in order, each started with --initial after every node reported started."""
    log = cluster.log()[since:]
    node_events = [(r['event'], r['node']) for r in log
                   if r['prog'] == 'ndbmtd' and r['event'] in ('stopped', 'start', 'started')]
    expected = []
    for node in expected_order:
        expected += [('stopped', node), ('start', node), ('started', node)]
    assert node_events == expected
    assert not [r for r in log if r['event'] in ('group_down', 'error')]

    starts = [r for r in log if r['prog'] == 'ndbmtd' and r['event'] == 'start']
    assert all(r['initial'] for r in starts)
    invokes = [r for r in log if r['prog'] == 'ndbmtd' and r['event'] == 'invoke']
    assert len(invokes) == len(expected_order)
    # Each restarted node got a new angel, which read the new password; the old angel never restarted it
    # (ndb_mgm "N RESTART -i" would keep the password the old angel read: test_simulator's control).
    angels = [r for r in log if r['prog'] == 'ndbmtd' and r['event'] == 'angel_start']
    assert [r['node'] for r in angels] == expected_order
    for r in angels:
        assert r['password_sha256'] == hashlib.sha256((passwords[r['node']] + '\n').encode()).hexdigest()
    assert not [r for r in log if r['event'] == 'angel_restart']
    for r in invokes:
        assert '--initial' in r['argv'] and '--filesystem-password-from-stdin' in r['argv']
        assert r['stdin_given'] and not r['password_in_argv']
        pw = passwords[r['node']]
        assert r['stdin_sha256'] == hashlib.sha256((pw + '\n').encode()).hexdigest()
        assert not any(pw in a for a in r['argv'])

    # Before each stop (and after the last start) ndb_mgm saw every data node started.
    def all_started_between(t0, t1):
        return any(r['prog'] == 'ndb_mgm' and r['event'] == 'invoke' and r.get('reported')
                   and set(r['reported'].values()) == {'started'} and t0 <= r['ts'] <= t1 for r in log)

    stops = [r for r in log if r['prog'] == 'ndb_mgm' and r['event'] == 'stop' and r['node'] in GROUPS]
    started = [r for r in log if r['prog'] == 'ndbmtd' and r['event'] == 'started']
    assert [r['node'] for r in stops] == expected_order
    for previous, stop in zip(started, stops[1:]):
        assert all_started_between(previous['ts'], stop['ts']), 'no wait for started before stopping %d' % stop['node']
    assert all_started_between(started[-1]['ts'], float('inf'))

    # Never two nodes of one node group down: replay the node events.
    down = set()
    for event, node in node_events:
        if event == 'stopped':
            assert not [n for n in down if GROUPS[n] == GROUPS[node]]
            down.add(node)
        elif event == 'started':
            down.discard(node)


def assert_no_password_in_processes(cluster, passwords):
    pids = cluster.pids()
    assert sorted(pids) == [2, 3, 4, 5]
    for node, pid in pids.items():
        cmdline = harness.read_proc(pid, 'cmdline').split(b'\0')
        environ = harness.read_proc(pid, 'environ')
        assert b'--filesystem-password-from-stdin' in cmdline
        for pw in list(passwords.values()) + list(NEW_PASSWORDS.values()) + list(harness.PASSWORDS.values()):
            assert pw.encode() not in b'\0'.join(cmdline)
            assert pw.encode() not in environ


def assert_secrets(cluster, passwords, present=True):
    for node in cluster.data_nodes:
        secrets = os.path.join(cluster.datadir(node), 'ndb_%d_fs' % node, 'D1', 'NDBCNTR', 'S0.sysfile')
        assert os.path.exists(secrets) == present
        if present:
            with open(secrets) as f:
                fields = dict(p.split('=', 1) for p in f.read().split() if '=' in p)
            assert fields['check'] == hashlib.sha256((fields['salt'] + passwords[node]).encode()).hexdigest()


def test_fresh_cluster_starts_without_tde(cluster):
    rc, out = cluster.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': False})
    assert rc == 0, out
    starts = [r for r in events(cluster) if r['event'] == 'start']
    assert sorted(r['node'] for r in starts) == [2, 3, 4, 5]
    assert all(r['initial'] and r['password_source'] is None for r in starts)
    assert_secrets(cluster, {}, present=False)
    with open(os.path.join(cluster.base, 'mgm', 'config.ini')) as f:
        config = f.read()
    assert 'EncryptedFileSystem=0' in config and 'LockPagesInMainMemory=1' in config


def test_toggle_on_is_a_node_initial_rolling_restart(cluster):
    since = mark(cluster)
    rc, out = cluster.playbook('ndb_tde_toggle.yml', {'ndb_tde_enabled': True})
    assert rc == 0, out
    # config.ini reloaded by the management server before any data node restarts
    log = cluster.log()[since:]
    reload_at = [i for i, r in enumerate(log) if r['prog'] == 'ndb_mgmd' and r['event'] == 'config_loaded']
    first_stop = [i for i, r in enumerate(log) if r['prog'] == 'ndbmtd' and r['event'] == 'stopped'][0]
    assert reload_at and reload_at[0] < first_stop
    assert log[reload_at[0]]['config']['require_encrypted_backup'] == 1
    assert_rolling(cluster, since, [2, 4, 3, 5], harness.PASSWORDS)
    assert_secrets(cluster, harness.PASSWORDS)
    assert_no_password_in_processes(cluster, harness.PASSWORDS)
    for node, pw in harness.PASSWORDS.items():
        path = os.path.join(cluster.base, 'etc', 'ndbmtd-%d.pw' % node)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert pw not in out


SKIPPED = 'the roles are skipped'


def test_site_rerun_is_converged_and_touches_nothing(cluster):
    """clustersec.mysql.site on the cluster the toggle left encrypted: the NDB play's converged check finds every node
    as the role would leave it, skips the role, restarts nothing and rewrites nothing."""
    before = snapshot(cluster)
    rc, out = cluster.playbook('site.yml', {'ndb_tde_enabled': True})
    assert rc == 0, out
    assert SKIPPED in ' '.join(out.split()), out
    assert re.findall(r'changed=(\d+)', out) and set(re.findall(r'changed=(\d+)', out)) == {'0'}, out
    assert_unchanged(cluster, before)


def test_control_site_converged_check_sees_a_pending_change(cluster):
    # Control: with TDE asked off the same check must say there is work (only the checks run under --tags converged).
    before = snapshot(cluster)
    rc, out = cluster.playbook('site.yml', {'ndb_tde_enabled': False}, tags='converged')
    assert rc == 0, out
    assert SKIPPED not in ' '.join(out.split()), out
    assert_unchanged(cluster, before)


def snapshot(cluster):
    with open(os.path.join(cluster.base, 'mgm', 'config.ini')) as f:
        return len(cluster.log()), f.read()


def assert_unchanged(cluster, before):
    since, config = before
    changes = [r for r in cluster.log()[since:]
               if r['event'] in ('start', 'stopped', 'stop', 'config_loaded', 'backup') or r['prog'] == 'ndbmtd']
    assert changes == []
    with open(os.path.join(cluster.base, 'mgm', 'config.ini')) as f:
        assert f.read() == config


def assert_refused(result, *messages):
    rc, out = result
    assert rc != 0, out
    flat = ' '.join(out.split())
    for message in messages:
        assert message in flat, out
    return out


# Refusals before anything changes. One run carries a different fault on each data node (each host
# must be named with its own cause); the others are cluster-wide. They only read, so they run side
# by side, except the first, which makes a password file readable by others while it runs.
@pytest.fixture(scope='module')
def refusals(cluster):
    nodes = [{'type': 'mgmd', 'id': 1, 'hostname': 'data1', 'host': 'data1', 'datadir': '/tmp'}]
    nodes += [{'type': 'data', 'id': i, 'hostname': 'h%d' % i, 'datadir': cluster.datadir(i)} for i in (2, 3, 4)]
    faults = cluster.write_inventory(os.path.join(cluster.base, 'inventory-faults.yml'), host_vars={
        2: {'ndb_tde_password': 'bad$pass'},                  # forbidden character
        4: {'ndb_tde_password': 'x' * 513},                   # too long
        5: {'ndb_tde_nodes': nodes, 'ndb_tde_no_of_replicas': 1},  # data node 5 missing from config.ini
    })
    changed = dict(harness.PASSWORDS)
    changed[3] = NEW_PASSWORDS[3]
    new_password = cluster.write_inventory(os.path.join(cluster.base, 'inventory-new-password.yml'), changed)
    readable = os.path.join(cluster.base, 'etc', 'ndbmtd-3.pw')
    results = {}
    before = snapshot(cluster)
    os.chmod(readable, 0o644)  # data node 3 (data2)
    try:
        results['faults'] = cluster.playbook('ndb_tde_toggle.yml', inventory=faults)
    finally:
        os.chmod(readable, 0o600)
    runs = {
        'backup': ('ndb_encrypted_backup.yml', {}, None),
        'replicas': ('ndb_tde_toggle.yml', {'ndb_tde_enabled': False, 'ndb_tde_no_of_replicas': 1}, None),
        'new_password': ('ndb_tde_toggle.yml', {}, new_password),
    }
    with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
        futures = dict((name, pool.submit(cluster.playbook, playbook, extra, inventory=inventory))
                       for name, (playbook, extra, inventory) in runs.items())
        results.update((name, future.result()) for name, future in futures.items())
    assert_unchanged(cluster, before)
    return results


def test_refuses_forbidden_character(cluster, refusals):
    out = assert_refused(refusals['faults'],
                         'data1 (data node 2): ndb_tde_password contains a forbidden character at position 4',
                         'set ndb_tde_password_encoding: hex')
    assert 'bad$pass' not in out


def test_refuses_password_file_readable_by_others(cluster, refusals):
    path = os.path.join(cluster.base, 'etc', 'ndbmtd-3.pw')
    assert_refused(refusals['faults'], 'data2 (data node 3): %s can be read by others than its owner' % path)


def test_refuses_too_long_password(refusals):
    assert_refused(refusals['faults'],
                   'data3 (data node 4): ndb_tde_password is 513 characters long; at most 512 are allowed')


def test_refuses_data_node_missing_from_config_ini(refusals):
    assert_refused(refusals['faults'],
                   'data4 (data node 5): data node 5 is missing from config.ini (it declares data nodes 2, 3, 4)')


def test_refuses_backup_without_password(refusals):
    assert_refused(refusals['backup'],
                   'data1: RequireEncryptedBackup=1 makes the data nodes refuse a backup without a password')


def test_refuses_single_replica_rolling_toggle(refusals):
    assert_refused(refusals['replicas'], 'data1 (data node 2): NoOfReplicas=1', 'set ndb_tde_backup_confirmed: true')


def test_refuses_new_password_without_rotation(refusals):
    assert_refused(refusals['new_password'],
                   'data2 (data node 3): the file system password differs from the one on the node',
                   'ndb_password_rotation.yml')


@pytest.mark.parametrize('mode', ['command_stdin', 'password_stdin'])
def test_encrypted_backup_password_only_on_stdin(cluster, mode):
    since = mark(cluster)
    rc, out = cluster.playbook('ndb_encrypted_backup.yml', {'ndb_tde_backup_password': BACKUP_PASSWORD,
                                                            'ndb_tde_backup_password_input': mode})
    assert rc == 0, out
    assert BACKUP_PASSWORD not in out
    log = cluster.log()[since:]
    backups = [r for r in log if r['event'] == 'backup']
    assert len(backups) == 1 and backups[0]['encrypted']
    assert backups[0]['password_sha256'] == hashlib.sha256(BACKUP_PASSWORD.encode()).hexdigest()
    mgm = [r for r in log if r['prog'] == 'ndb_mgm' and r['event'] == 'invoke' and r['stdin_given']]
    assert len(mgm) == 1
    assert not any(BACKUP_PASSWORD in a for a in mgm[0]['argv'])
    assert ('--backup-password-from-stdin' in mgm[0]['argv']) == (mode == 'password_stdin')
    assert 'backup %d (encrypted)' % backups[0]['backup_id'] in out
    # ndb_mgm reading commands keeps a history file: the role points it at a private file it removes.
    leftovers = []
    for dirpath, dummy, files in os.walk(cluster.home):
        for name in files:
            with open(os.path.join(dirpath, name), errors='replace') as f:
                if BACKUP_PASSWORD in f.read():
                    leftovers.append(os.path.join(dirpath, name))
    assert leftovers == [], leftovers
    assert not os.path.exists(os.path.join(cluster.home, '.ndb_mgm_history'))


def test_control_ndb_mgm_history_keeps_a_typed_password(cluster, tmp_path):
    """Control for the check above: the simulated ndb_mgm, like the real one, writes a password typed
    on its standard input to $HOME/.ndb_mgm_history."""
    env = dict(cluster.env(), HOME=str(tmp_path))
    subprocess.run([os.path.join(harness.SIM_BIN, 'ndb_mgm')], input=b'START BACKUP ENCRYPT PASSWORD="x-control"\nexit\n',
                   env=env, capture_output=True, check=False)
    assert 'x-control' in (tmp_path / '.ndb_mgm_history').read_text()


@pytest.mark.parametrize('source', ['ndbinfo_select_all', 'sql'])
def test_status_table(cluster, source):
    """EncryptedFileSystem from ndbinfo_select_all (the default, no SQL node) or the ndbinfo query of an SQL node."""
    since = mark(cluster)
    rc, out = cluster.playbook('ndb_tde_status.yml', {'ndb_tde_status_source': source})
    assert [r['prog'] for r in cluster.log()[since:] if r['prog'] in ('mysql', 'ndbinfo_select_all')] == \
        [{'sql': 'mysql'}.get(source, source)]
    assert rc == 0, out
    rows = [line for line in out.splitlines() if line.strip().startswith(('- ', "'")) and ' | ' in line]
    body = [r for r in rows if 'data' in r]
    assert len(body) == 4, out
    for row in body:
        cells = [c.strip(" '-") for c in row.split('|')]
        assert cells[2] == '1' and cells[3] == 'yes' and cells[4] == '3/3 encrypted' and cells[5] == 'encrypted', row


def test_rotation_of_two_nodes_with_their_new_passwords(cluster):
    """Per-node passwords: nodes 3 and 4 (one per node group) get new ones; 2 and 5 keep theirs."""
    passwords = dict(harness.PASSWORDS)
    passwords.update({3: NEW_PASSWORDS[3], 4: NEW_PASSWORDS[4]})
    cluster.passwords = passwords
    cluster.write_inventory()
    since = mark(cluster)
    rc, out = cluster.playbook('ndb_password_rotation.yml', {'ndb_tde_rotate_nodes': [3, 4]})
    assert rc == 0, out
    assert_rolling(cluster, since, [4, 3], passwords)  # node groups interleaved: 4 (group 1) before 3
    assert_secrets(cluster, passwords)
    assert_no_password_in_processes(cluster, passwords)
    for pw in passwords.values():
        assert pw not in out


def test_rotation_one_data_node_per_node_group_at_a_time(cluster):
    """ndb_tde_restart_strategy nodegroup: waves {2, 4} then {3, 5}, each stopped once every other node is started
    (one STOP per node: real 9.7.4 refuses several data nodes in one STOP without -a), each node with a new angel;
    never two nodes of one node group down."""
    since = mark(cluster)
    rc, out = cluster.playbook('ndb_password_rotation.yml', {'ndb_tde_restart_strategy': 'nodegroup'})
    assert rc == 0, out
    assert 'one data node of each node group at a time: data1 + data3 -> data2 + data4' in ' '.join(out.split())
    log = cluster.log()[since:]
    stops = [sorted(r['nodes']) for r in log if r['prog'] == 'ndb_mgm' and r['event'] == 'stop']
    assert stops == [[2], [4], [3], [5]]
    node_events = [(r['event'], r['node']) for r in log if r['prog'] == 'ndbmtd' and r['event'] in ('stopped', 'started')]
    last_first_wave = max(i for i, (e, n) in enumerate(node_events) if e == 'started' and n in (2, 4))
    first_second_wave = min(i for i, (e, n) in enumerate(node_events) if e == 'stopped' and n in (3, 5))
    assert last_first_wave < first_second_wave, node_events
    down = set()
    for event, node in node_events:
        if event == 'stopped':
            assert not [n for n in down if GROUPS[n] == GROUPS[node]], node_events
            down.add(node)
        else:
            down.discard(node)
    assert not [r for r in log if r['event'] in ('group_down', 'error', 'stop_refused', 'angel_restart')]
    angels = [r for r in log if r['event'] == 'angel_start']
    assert sorted(r['node'] for r in angels) == [2, 3, 4, 5]
    for r in angels:
        assert r['password_sha256'] == hashlib.sha256((cluster.passwords[r['node']] + '\n').encode()).hexdigest()
    assert_secrets(cluster, cluster.passwords)


def latest_backup(cluster):
    """The last backup taken with BACKUP_PASSWORD."""
    sha = hashlib.sha256(BACKUP_PASSWORD.encode()).hexdigest()
    return [r['backup_id'] for r in cluster.log() if r['event'] == 'backup' and r['password_sha256'] == sha][-1]


def restores(cluster, since):
    return [r for r in cluster.log()[since:] if r['prog'] == 'ndb_restore']


def test_restore_refuses_an_unencrypted_backup(cluster):
    """A backup whose files are not encrypted (ndbxfrm -i: encryption=no) is refused on every node while
    RequireEncryptedBackup=1, before ndb_restore runs."""
    for node in cluster.data_nodes:
        base = os.path.join(cluster.datadir(node), 'BACKUP', 'BACKUP-99')
        os.makedirs(base, exist_ok=True)
        for name in ('BACKUP-99.%d.ctl', 'BACKUP-99-0.%d.Data', 'BACKUP-99.%d.log'):
            with open(os.path.join(base, name % node), 'w') as f:
                f.write('NDBSIM-XFRM encryption=no compression=no\n')
    since = mark(cluster)
    out = assert_refused(cluster.playbook('ndb_restore_encrypted_backup.yml', {
        'ndb_tde_restore_backup_id': 99, 'ndb_tde_backup_password': BACKUP_PASSWORD}),
        'data1 (data node 2): backup 99 in %s: BACKUP-99.2.ctl, BACKUP-99-0.2.Data, BACKUP-99.2.log are not encrypted'
        % os.path.join(cluster.datadir(2), 'BACKUP', 'BACKUP-99'),
        'data4 (data node 5): backup 99', 'nothing was restored')
    assert restores(cluster, since) == []
    assert BACKUP_PASSWORD not in out


def test_restore_refuses_a_wrong_password_before_writing(cluster):
    backup_id = latest_backup(cluster)
    since = mark(cluster)
    out = assert_refused(cluster.playbook('ndb_restore_encrypted_backup.yml', {
        'ndb_tde_restore_backup_id': backup_id, 'ndb_tde_backup_password': 'Wrong-Pw.1'}),
        'data1: ndb_restore -m of backup %d failed' % backup_id, 'wrong password', 'nothing was restored')
    assert [r['event'] for r in restores(cluster, since)] == ['invoke', 'error']
    assert (cluster.sim_state().get('restored') or {}).get('meta') is None
    assert 'Wrong-Pw.1' not in out


def test_restore_of_an_encrypted_backup_with_the_password_on_stdin(cluster):
    """Control of the two refusals: the right password restores the metadata once and every node's data, one
    node at a time, the password only on ndb_restore's standard input. A second restore finds the tables."""
    backup_id = latest_backup(cluster)
    since = mark(cluster)
    rc, out = cluster.playbook('ndb_restore_encrypted_backup.yml', {
        'ndb_tde_restore_backup_id': backup_id, 'ndb_tde_backup_password': BACKUP_PASSWORD})
    assert rc == 0, out
    assert 'backup %d restored from data nodes 2, 3, 4, 5 (encrypted, decrypted with the backup password)' % backup_id \
        in ' '.join(out.split())
    assert BACKUP_PASSWORD not in out
    log = restores(cluster, since)
    done = [r for r in log if r['event'] == 'restore']
    assert [(r['node'], r['meta'], r['data']) for r in done] == [(2, True, False)] + [(n, False, True) for n in (2, 3, 4, 5)]
    assert all(r['encrypted'] and r['password_sha256'] == hashlib.sha256(BACKUP_PASSWORD.encode()).hexdigest()
               for r in done)
    invokes = [r for r in log if r['event'] == 'invoke']
    for r in invokes:
        assert '--decrypt' in r['argv'] and '--backup-password-from-stdin' in r['argv'] and not r['password_in_argv']
        assert not any(BACKUP_PASSWORD in a for a in r['argv'])
        assert r['stdin_sha256'] == hashlib.sha256((BACKUP_PASSWORD + '\n').encode()).hexdigest()
    # one at a time: each invocation starts after the previous one's result
    stamps = [(r['ts'], r['event']) for r in log]
    assert [e for dummy, e in sorted(stamps)] == ['invoke', 'restore'] * 5
    assert_refused(cluster.playbook('ndb_restore_encrypted_backup.yml', {
        'ndb_tde_restore_backup_id': backup_id, 'ndb_tde_backup_password': BACKUP_PASSWORD}),
        'Table already exists')


def test_backup_whose_files_are_not_encrypted_is_a_failure(cluster, tmp_path):
    """ndb_mgm's word is not the proof: when ndbxfrm -i says encryption=no for a data node's backup file (what real
    ndb_mgm 9.7.4 wrote for `START BACKUP N ENCRYPT WAIT COMPLETED` after its warning), the backup fails, naming the
    files. Control: the same backup with the real ndbxfrm stand-in passes (test_encrypted_backup_password_only_on_stdin)."""
    fake = tmp_path / 'ndbxfrm'
    fake.write_text('#!/bin/sh\necho "File=$2, compression=no, encryption=no"\n')
    fake.chmod(0o755)
    out = assert_refused(cluster.playbook('ndb_encrypted_backup.yml', {
        'ndb_tde_backup_password': BACKUP_PASSWORD, 'ndb_tde_ndbxfrm_bin': str(fake)}), 'not encrypted (ndbxfrm -i: encryption=no)')
    assert BACKUP_PASSWORD not in out
