# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Asynchronous replication over TLS between two REAL MySQL 9.7.4 servers on loopback (issue 30 item 2).

The servers are Debian sid's mysqld 9.7.4 (the debs scripts/build-mysql-root.sh keeps in the cache), unpacked into a
root directory and run with chroot: they share the host's loopback, so tcpdump on lo sees the channel. No container.
The source's TLS files are a pki set made by the collection's own code (cluster CA, client CA, node certificate with
the SANs node_certs gives: name and 127.0.0.1) and the replica's client certificate is an application certificate
of that set (module_utils/certificates/app_certs.py, manifest.json). The replica side is configured by the galera
role's entry point `replication` through ansible-playbook against localhost aliases (src1, rep1).

Checked: rows written on the source arrive (count and checksum equal); the channel shows SSL and verify on;
a second run changed=0; --check changes nothing; NEGATIVE: a client certificate of another subject is refused by
the source (IO thread: access denied), a CA the replica does not trust fails verification, a source name the
certificate lacks is refused by the pre-flight before anything is written; a capture on the source's port shows the
marker 0 times; CONTROL: a plaintext channel (test-only opt-out) shows it."""

from __future__ import (absolute_import, division, print_function)

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402

sys.path.insert(0, harness.collections_path())
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as cx509  # noqa: E402
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import app_certs  # noqa: E402

ROOT = harness.ROOT
CACHE = os.environ.get('CLUSTERSEC_CACHE', '/var/cache/clustersec')
DEBS = [os.path.join(CACHE, 'debs', 'debootstrap-sid'), os.path.join(CACHE, 'debs', 'mysql-root-sid')]
CHROOT = os.path.join(ROOT, '.build', 'replication-mysql-root')
VENV_BIN = os.path.dirname(sys.executable)
MARKER = 'CLUSTERSEC-REPL-MARKER-%s' % uuid.uuid4().hex[:10]

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason='needs root (chroot, tcpdump)'),
    pytest.mark.skipif(not shutil.which('tcpdump'), reason='needs tcpdump'),
]


def mysql_root():
    """The sid root with mysqld 9.7.4, unpacked from the cached debs (dpkg-deb -x, about 30 s once)."""
    if os.path.exists(os.path.join(CHROOT, 'usr', 'sbin', 'mysqld')):
        return CHROOT
    debs = [d for directory in DEBS for d in sorted(glob.glob(os.path.join(directory, '*.deb')))]
    if not any('mysql-server-core' in d for d in debs):
        pytest.skip('no cached mysql-server-core deb under %s: run scripts/build-mysql-root.sh once' % CACHE)
    tmp = CHROOT + '.tmp'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for deb in debs:
        subprocess.run(['dpkg-deb', '-x', deb, tmp], check=True, capture_output=True)
    os.rename(tmp, CHROOT)
    return CHROOT


class Server(object):
    """One mysqld in the chroot, on 127.0.0.1:port, run as root (the root has no passwd database)."""

    def __init__(self, name, server_id, port, extra=()):
        self.name, self.port = name, port
        self.datadir = '/var/lib/repl-%s' % name
        self.socket = '/run/repl-%s.sock' % name
        self.tls = '/etc/repl-%s' % name
        self.cnf = '/etc/repl-%s.cnf' % name
        self.log = '/var/log/repl-%s.err' % name
        self.options = ['server-id=%d' % server_id, 'port=%d' % port, 'bind-address=127.0.0.1',
                        'socket=%s' % self.socket, 'datadir=%s' % self.datadir, 'log-error=%s' % self.log,
                        'pid-file=/run/repl-%s.pid' % name, 'user=root', 'secure-file-priv=/var/lib/repl-files',
                        'gtid_mode=ON', 'enforce_gtid_consistency=ON', 'log-bin=binlog', 'mysqlx=OFF',
                        'performance_schema=OFF', 'innodb_buffer_pool_size=16M', 'innodb_log_buffer_size=1M',
                        'innodb_redo_log_capacity=8M', 'max_connections=20', 'skip-name-resolve=ON',
                        'relay-log=relay', 'skip-replica-start=ON'] + list(extra)
        self.proc = None

    def host(self, path):
        return os.path.join(CHROOT, path.lstrip('/'))

    def write_cnf(self):
        with open(self.host(self.cnf), 'w') as handle:
            handle.write('[mysqld]\n' + ''.join('%s\n' % o for o in self.options))

    def initialise(self, template=None):
        for d in ('/var/lib/repl-files', '/run', '/var/log', self.tls):
            os.makedirs(self.host(d), exist_ok=True)
        shutil.rmtree(self.host(self.datadir), ignore_errors=True)
        self.write_cnf()
        if template:
            shutil.copytree(template.host(template.datadir), self.host(self.datadir), symlinks=True)
            os.unlink(self.host(self.datadir + '/auto.cnf'))  # a server UUID of its own
            for f in glob.glob(self.host(self.datadir + '/binlog.*')):
                os.unlink(f)
            return
        subprocess.run(['chroot', CHROOT, 'mysqld', '--defaults-file=%s' % self.cnf, '--initialize-insecure'],
                       check=True, capture_output=True, timeout=300)

    def start(self):
        self.write_cnf()
        self.proc = subprocess.Popen(['chroot', CHROOT, 'mysqld', '--defaults-file=%s' % self.cnf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError('mysqld %s exited: %s' % (self.name, open(self.host(self.log)).read()[-2000:]))
            if self.sql('SELECT 1', check=False).returncode == 0:
                return
            time.sleep(0.5)
        raise AssertionError('mysqld %s did not answer' % self.name)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None

    @property
    def client(self):
        return 'chroot %s mysql -uroot -S %s' % (CHROOT, self.socket)

    def sql(self, statement, check=True):
        proc = subprocess.run(self.client.split() + ['-N', '-B', '-r', '-e', statement], capture_output=True,
                              text=True, timeout=60, check=False)
        if check:
            assert proc.returncode == 0, '%s: %s' % (statement, proc.stderr)
        return proc

    def value(self, statement):
        return self.sql(statement).stdout.strip()

    def status(self):
        out = subprocess.run(self.client.split() + ['-B', '-r', '-e', 'SHOW REPLICA STATUS'], capture_output=True,
                             text=True, check=True).stdout.rstrip('\n').split('\n')
        return dict(zip(out[0].split('\t'), out[1].split('\t'))) if len(out) > 1 else {}


def make_pki(base, node_names, subject_cn='repl-dr'):
    """A pki set as the pki role lays it out (ca.pem, client-ca.pem, nodes/<host>/server-*.pem) from the collection's
    x509 code, and the replica's application certificate through app_certs.ensure (manifest.json)."""
    os.makedirs(os.path.join(base, 'nodes', 'src1'))
    ca_key = cx509.generate_key('ecdsa', curve='P-256')
    ca = cx509.create_ca(ca_key, {'common_name': 'source cluster CA %s' % os.path.basename(base)}, 30)
    cca_key = cx509.generate_key('ecdsa', curve='P-256')
    cca = cx509.create_ca(cca_key, {'common_name': 'source client CA %s' % os.path.basename(base)}, 30)
    key = cx509.generate_key('ecdsa', curve='P-256')
    import ipaddress
    cert = cx509.issue_cert(ca, ca_key, key, {'common_name': 'src1', 'dns': node_names,
                                              'ips': [ipaddress.ip_address('127.0.0.1')]}, 30)
    files = {'ca.pem': cx509.cert_pem(ca), 'ca-key.pem': cx509.key_pem(ca_key), 'client-ca.pem': cx509.cert_pem(cca),
             'client-ca-key.pem': cx509.key_pem(cca_key), 'nodes/src1/server-cert.pem': cx509.cert_pem(cert),
             'nodes/src1/server-key.pem': cx509.key_pem(key)}
    for name, data in files.items():
        with open(os.path.join(base, name), 'wb') as handle:
            handle.write(data)
        os.chmod(os.path.join(base, name), 0o600)
    app_certs.ensure(base, os.path.join(base, 'client-ca.pem'), os.path.join(base, 'client-ca-key.pem'), None,
                     [{'name': 'repl', 'subject': {'common_name': subject_cn}}], key_type='ecdsa')
    return base


def install_source_tls(server, pki):
    for src, dest in (('ca.pem', 'ca.pem'), ('client-ca.pem', 'client-ca.pem'),
                      ('nodes/src1/server-cert.pem', 'server-cert.pem'), ('nodes/src1/server-key.pem', 'server-key.pem')):
        shutil.copyfile(os.path.join(pki, src), server.host(os.path.join(server.tls, dest)))


class Env(object):
    def __init__(self, tmp):
        self.tmp = str(tmp)
        os.makedirs(os.path.join(self.tmp, 'ansible-tmp'), exist_ok=True)

    def run(self, extra=None, check=False, pki=None, play_vars=None, plays=None):
        inv = os.path.join(self.tmp, 'inventory.yml')
        common = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
        hosts = {'src1': dict(common, pki_dir=pki or os.path.join(self.tmp, 'pki')), 'rep1': dict(common)}
        with open(inv, 'w') as handle:
            yaml.safe_dump({'all': {'children': {'source': {'hosts': {'src1': hosts['src1']}},
                                                 'galera_replica': {'hosts': {'rep1': hosts['rep1']}}}}}, handle)
        play = os.path.join(self.tmp, 'play.yml')
        with open(play, 'w') as handle:
            yaml.safe_dump(plays or [{'name': 'replica', 'hosts': 'galera_replica', 'gather_facts': False,
                                      'vars': play_vars or {}, 'tasks': [{'name': 'Replication', 'ansible.builtin.include_role': {
                                          'name': 'clustersec.mysql.galera', 'tasks_from': 'replication'}}]}], handle)
        cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', inv, play] + (['--check'] if check else [])
        if extra:
            cmd += ['-e', json.dumps(extra)]
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
                   ANSIBLE_LOCAL_TEMP=os.path.join(self.tmp, 'ansible-tmp'), ANSIBLE_DEPRECATION_WARNINGS='False',
                   ANSIBLE_PIPELINING='True', ANSIBLE_CALLBACK_RESULT_FORMAT='yaml')
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=300, cwd=self.tmp)
        return proc.returncode, proc.stdout + proc.stderr


def changed_of(out, host='rep1'):
    import re
    m = re.search(host + r'\s+: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)', out)
    assert m, out[-3000:]
    return int(m.group(1)), int(m.group(2))


def io_error(status):
    """The replica status when its IO thread reports an error, else None (a wait_for predicate)."""
    return status if status.get('Last_IO_Errno') not in (None, '0') else None


def wait_for(predicate, timeout=60, what=''):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError('timed out waiting for %s' % what)


def capture(port, seconds_action):
    """Packets on lo to/from port while seconds_action runs; the raw bytes of the capture."""
    path = '/tmp/clustersec-repl-%s.pcap' % uuid.uuid4().hex[:8]
    proc = subprocess.Popen(['tcpdump', '-i', 'lo', '-s', '0', '-U', '-w', path, 'tcp port %d' % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        seconds_action()
        time.sleep(1.5)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    with open(path, 'rb') as handle:
        data = handle.read()
    os.unlink(path)
    return data


@pytest.fixture(scope='module')
def servers(tmp_path_factory):
    mysql_root()
    tmp = tmp_path_factory.mktemp('repl')
    pki = make_pki(str(tmp / 'pki'), ['src1', 'localhost'])
    src_port, rep_port = harness.free_port(), harness.free_port()
    source = Server('src', 1, src_port, ['ssl-ca=/etc/repl-src/client-ca.pem', 'ssl-cert=/etc/repl-src/server-cert.pem',
                                         'ssl-key=/etc/repl-src/server-key.pem', 'require_secure_transport=ON'])
    replica = Server('rep', 2, rep_port)
    source.initialise()
    install_source_tls(source, pki)
    replica.initialise(template=source)
    started = []
    try:
        for s in (source, replica):
            s.start()
            started.append(s)
        source.sql('CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(200))')
        yield dict(tmp=tmp, pki=pki, source=source, replica=replica, env=Env(tmp))
    finally:
        for s in started:
            s.stop()


def base_vars(s, **over):
    replica = s['replica']
    out = {'galera_replication_source_host': '127.0.0.1', 'galera_replication_source_port': s['source'].port,
           'galera_replication_source_nodes': ['src1'], 'galera_replication_cert': 'repl',
           'galera_replication_user': 'repl_dr', 'galera_replication_source_client': s['source'].client,
           'galera_replication_source_flavor': 'pxc', 'galera_replication_client': replica.client,
           'galera_replication_flavor': 'mysql', 'galera_replication_dir': replica.host('/etc/repl-rep/channel'),
           'galera_replication_server_dir': '/etc/repl-rep/channel', 'galera_replication_owner': 'root',
           'galera_replication_group': 'root'}
    out.update(over)
    return out


def rows_equal(s, n):
    src, rep = s['source'], s['replica']
    want = (str(n), src.value('CHECKSUM TABLE app.t'))
    wait_for(lambda: rep.sql('SELECT COUNT(*) FROM app.t', check=False).stdout.strip() == str(n), 60,
             'the rows on the replica (%s)' % rep.status().get('Last_IO_Error'))
    got = (rep.value('SELECT COUNT(*) FROM app.t'), rep.value('CHECKSUM TABLE app.t'))
    assert got == want, (got, want)


def test_01_channel_over_tls_replicates_and_is_idempotent(servers):
    s = servers
    env = s['env']
    rc, out = env.run(base_vars(s), check=True)
    assert rc == 0, out[-4000:]
    assert s['replica'].status() == {}, '--check configured the channel'
    assert s['source'].value("SELECT COUNT(*) FROM mysql.user WHERE user='repl_dr'") == '0', '--check made the account'
    rc, out = env.run(base_vars(s))
    assert rc == 0, out[-4000:]
    assert changed_of(out)[0] >= 3, out[-3000:]
    shown = s['source'].value("SHOW CREATE USER 'repl_dr'@'%'")
    assert "REQUIRE SUBJECT '/CN=repl-dr' ISSUER '/CN=source client CA pki'" in shown, shown
    assert 'REPLICATION SLAVE' in s['source'].value("SHOW GRANTS FOR 'repl_dr'@'%'")
    wait_for(lambda: s['replica'].status().get('Replica_IO_Running') == 'Yes', 60,
             'the IO thread (%s)' % s['replica'].status().get('Last_IO_Error'))
    st = s['replica'].status()
    assert (st['Source_SSL_Allowed'], st['Source_SSL_Verify_Server_Cert'], st['Replica_SQL_Running']) == \
        ('Yes', 'Yes', 'Yes'), st
    assert st['Auto_Position'] == '1' and st['Source_SSL_CA_File'] == '/etc/repl-rep/channel/source-ca.pem', st
    s['source'].sql("INSERT INTO app.t VALUES " + ','.join("(%d, 'row %d')" % (i, i) for i in range(1, 201)))
    rows_equal(s, 200)
    mode = os.stat(s['replica'].host('/etc/repl-rep/channel/client-key.pem')).st_mode & 0o777
    assert mode == 0o600, oct(mode)
    # Second run and --check: nothing changes.
    rc, out = env.run(base_vars(s))
    assert rc == 0 and changed_of(out) == (0, 0), out[-3000:]
    rc, out = env.run(base_vars(s), check=True)
    assert rc == 0 and changed_of(out) == (0, 0), out[-3000:]


def marker_rows(first):
    """50 rows holding the marker: a binlog stream of several kilobytes for the capture."""
    return 'INSERT INTO app.t VALUES ' + ','.join("(%d, '%s')" % (i, MARKER) for i in range(first, first + 50))


def test_02_capture_shows_no_marker_on_tls_and_the_marker_on_plaintext(servers):
    s = servers
    src = s['source']
    data = capture(src.port, lambda: (src.sql(marker_rows(1001)), rows_equal(s, 250)))
    assert len(data) > 2000, 'the capture saw no traffic'
    assert data.count(MARKER.encode()) == 0
    # Control: a plaintext channel (test-only opt-out; the source allows plaintext for this control only).
    src.sql('SET GLOBAL require_secure_transport=OFF')
    src.sql("CREATE USER 'repl_plain'@'%' IDENTIFIED BY 'plain-control-1'; "
            "GRANT REPLICATION SLAVE ON *.* TO 'repl_plain'@'%'")
    try:
        rep = s['replica']
        rep.sql("STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_SSL=0, SOURCE_SSL_VERIFY_SERVER_CERT=0, "
                "SOURCE_USER='repl_plain', SOURCE_PASSWORD='plain-control-1', GET_SOURCE_PUBLIC_KEY=1; START REPLICA")
        wait_for(lambda: rep.status().get('Replica_IO_Running') == 'Yes', 60, 'the plaintext control channel')
        data = capture(src.port, lambda: (src.sql(marker_rows(2001)), rows_equal(s, 300)))
        assert data.count(MARKER.encode()) >= 1, 'the control did not see the marker: the capture proves nothing'
    finally:
        src.sql('SET GLOBAL require_secure_transport=ON')
    # The entry point puts the TLS channel back (it differs in ssl, user, verify).
    rc, out = s['env'].run(base_vars(s))
    assert rc == 0 and changed_of(out)[0] >= 1, out[-3000:]
    wait_for(lambda: s['replica'].status().get('Replica_IO_Running') == 'Yes', 60,
             'the TLS channel again (%s)' % s['replica'].status().get('Last_IO_Error'))
    assert s['replica'].status()['Source_SSL_Verify_Server_Cert'] == 'Yes'


def test_03_other_subject_is_refused_by_the_source(servers, tmp_path):
    s = servers
    rep = s['replica']
    # A certificate of the same client CA with another subject: the source refuses the account's login.
    other = str(tmp_path / 'other')
    shutil.copytree(s['pki'], other)
    shutil.rmtree(os.path.join(other, 'applications'))
    app_certs.ensure(other, os.path.join(other, 'client-ca.pem'), os.path.join(other, 'client-ca-key.pem'), None,
                     [{'name': 'repl', 'subject': {'common_name': 'someone-else'}}], key_type='ecdsa')
    rc, out = s['env'].run(base_vars(s, galera_replication_cert_set_dir=other))
    assert rc == 0, out[-3000:]
    st = wait_for(lambda: io_error(rep.status()), 60,
                  'an IO error')
    assert st['Last_IO_Errno'] in ('1045', '2061', '13120') and 'repl_dr' in st['Last_IO_Error'], st
    # Control: the right certificate again, the files changed, the IO thread restarted and connected.
    rc, out = s['env'].run(base_vars(s))
    assert rc == 0 and changed_of(out)[0] >= 1, out[-3000:]
    wait_for(lambda: rep.status().get('Replica_IO_Running') == 'Yes', 60, 'the IO thread with the right certificate')


def test_04_untrusted_ca_fails_verification(servers, tmp_path):
    s = servers
    rep = s['replica']
    foreign = make_pki(str(tmp_path / 'foreign'), ['src1'])
    rc, out = s['env'].run(base_vars(s, galera_replication_ca_file=os.path.join(foreign, 'ca.pem')))
    # The pre-flight refuses it first: the source's node certificate is not signed by that CA.
    assert rc != 0 and 'rep1: ' in out and 'not signed by a CA of' in out and 'nothing was written' in out, out[-3000:]
    # Past the pre-flight (the file put in place by hand): the replica's TLS client refuses the source.
    shutil.copyfile(os.path.join(foreign, 'ca.pem'), rep.host('/etc/repl-rep/channel/source-ca.pem'))
    rep.sql('STOP REPLICA IO_THREAD; START REPLICA IO_THREAD')
    st = wait_for(lambda: io_error(rep.status()), 60,
                  'a verification error')
    assert st['Last_IO_Errno'] == '2026' and 'certificate verify failed' in st['Last_IO_Error'], st
    # Control: the run puts the right CA back and the channel connects.
    rc, out = s['env'].run(base_vars(s))
    assert rc == 0 and changed_of(out)[0] >= 1, out[-3000:]
    wait_for(lambda: rep.status().get('Replica_IO_Running') == 'Yes' and rep.status().get('Last_IO_Errno') == '0',
             60, 'the channel with the right CA')


def test_05_name_not_in_the_certificate_refused_before_any_change(servers):
    s = servers
    before = s['replica'].status()
    rc, out = s['env'].run(base_vars(s, galera_replication_source_host='127.0.0.2'))
    assert rc != 0 and 'does not name 127.0.0.2' in out and 'nothing was written' in out, out[-3000:]
    assert s['replica'].status()['Source_Host'] == before['Source_Host'] == '127.0.0.1'
    rows_equal(s, 300)


def next_set(s):
    """The rotation's next set, staged where the rotation stages it (the source's pki_dir/next): new cluster CA, new
    client CA, a new node certificate, the replica's certificate again (same subject) from the new client CA, and the
    old+new cluster CA bundle (bundle.pem)."""
    nxt = make_pki(os.path.join(s['pki'], 'next'), ['src1', 'localhost'])
    bundle(os.path.join(nxt, 'bundle.pem'), os.path.join(s['pki'], 'ca.pem'), os.path.join(nxt, 'ca.pem'))
    return nxt


def bundle(path, *parts):
    with open(path, 'wb') as out:
        for part in parts:
            out.write(open(part, 'rb').read())
    return path


def rotation_play(phase, step):
    """A play on the source as rotate_certificates runs each phase, reduced to the replicas' part: rotate_phase.yml's
    own include of rotate_replicas.yml (its vars and when, read from the file), which a single mysqld that is no
    Galera node cannot run whole (reload_tls waits for Synced)."""
    tasks = yaml.safe_load(open(os.path.join(ROOT, 'roles', 'galera', 'tasks', 'rotate_phase.yml')))
    include = [t for t in tasks if t.get('ansible.builtin.include_tasks') == 'rotate_replicas.yml']
    assert len(include) == 1, 'rotate_phase.yml no longer includes rotate_replicas.yml once'
    task = dict((k, v) for k, v in include[0].items() if k != 'ansible.builtin.include_tasks')
    task['ansible.builtin.include_role'] = {'name': 'clustersec.mysql.galera', 'tasks_from': 'rotate_replicas'}
    task['vars'] = dict(task['vars'], __galera_rotate_phase=phase, __galera_rotate_step=step)
    return [{'name': 'source rotation, phase %d' % phase, 'hosts': 'source', 'gather_facts': False,
             'vars': {'galera_rotate_ca': True}, 'tasks': [task]}]


def test_06_rotation_keeps_the_channel_without_error_or_lost_row(servers):
    """The source's CA rotation reaches its replica through the rotation's own task file, after each phase:
    bundle - the replica's CA file becomes the old+new bundle and the account drops ISSUER; leaf - its client
    certificate from the new client CA; ca - the new CA alone and the account requires the new ISSUER; each time the
    IO thread restarted on the new files. The source's part of each phase (what the galera engine does on the nodes:
    1 trusts both client CAs, 2 serves the new node certificate, 3 trusts the new client CA only) is done here by hand,
    followed by a restart (see below). After each phase: rows written on the source arrive (count and checksum), no
    IO or SQL error, a new connection works, and the phase run again changes nothing. --check of the first phase
    changes nothing."""
    s = servers
    src, rep = s['source'], s['replica']
    old, new = s['pki'], next_set(s)
    count = int(src.value('SELECT COUNT(*) FROM app.t'))
    channel = rep.host('/etc/repl-rep/channel')
    phases = [
        (1, 'bundle', lambda: bundle(src.host('/etc/repl-src/client-ca.pem'), os.path.join(old, 'client-ca.pem'),
                                     os.path.join(new, 'client-ca.pem')),
         os.path.join(new, 'bundle.pem'), os.path.join(old, 'applications', 'repl', 'cert.pem')),
        (2, 'leaf', lambda: [shutil.copyfile(os.path.join(new, 'nodes/src1/server-%s.pem' % k),
                                             src.host('/etc/repl-src/server-%s.pem' % k)) for k in ('cert', 'key')],
         os.path.join(new, 'bundle.pem'), os.path.join(new, 'applications', 'repl', 'cert.pem')),
        (3, 'ca', lambda: shutil.copyfile(os.path.join(new, 'client-ca.pem'), src.host('/etc/repl-src/client-ca.pem')),
         os.path.join(new, 'ca.pem'), os.path.join(new, 'applications', 'repl', 'cert.pem')),
    ]
    try:
        for phase, name, source_step, want_ca, want_cert in phases:
            source_step()
            # A restart, not ALTER INSTANCE RELOAD TLS: MySQL 9.7.4 refuses the reload (ERROR 3888 "Invalid
            # certificates", log MY-015010) when the node certificate does not verify against ssl_ca - the client CA
            # here - where a start only warns.
            src.stop()
            src.start()
            if phase == 1:
                before = (open(os.path.join(channel, 'source-ca.pem'), 'rb').read(),
                          src.value("SHOW CREATE USER 'repl_dr'@'%'"))
                rc, out = s['env'].run(base_vars(s), check=True, plays=rotation_play(phase, name))
                assert rc == 0, out[-4000:]
                assert (open(os.path.join(channel, 'source-ca.pem'), 'rb').read(),
                        src.value("SHOW CREATE USER 'repl_dr'@'%'")) == before, '--check changed the replica or account'
            rc, out = s['env'].run(base_vars(s), plays=rotation_play(phase, name))
            assert rc == 0 and changed_of(out, 'src1')[0] >= 2, (name, out[-4000:])
            assert open(os.path.join(channel, 'source-ca.pem'), 'rb').read() == open(want_ca, 'rb').read(), name
            assert open(os.path.join(channel, 'client-cert.pem'), 'rb').read() == open(want_cert, 'rb').read(), name
            shown = src.value("SHOW CREATE USER 'repl_dr'@'%'")
            assert ('ISSUER' in shown) == (name == 'ca'), (name, shown)
            rows = ','.join("(%d, 'phase %s')" % (i, name) for i in range(5000 + count, 5020 + count))
            src.sql('INSERT INTO app.t VALUES ' + rows)
            count += 20
            rows_equal(s, count)
            st = rep.status()
            assert (st['Replica_IO_Running'], st['Replica_SQL_Running'], st['Last_IO_Errno'], st['Last_SQL_Errno']) == \
                ('Yes', 'Yes', '0', '0'), (name, st)
            # A new connection after the phase (the IO thread reads the files again) works as well.
            rep.sql('STOP REPLICA IO_THREAD; START REPLICA IO_THREAD')
            wait_for(lambda: rep.status().get('Replica_IO_Running') == 'Yes', 60, 'the IO thread after phase %s (%s)'
                     % (name, rep.status().get('Last_IO_Error')))
            # The phase run again (a resumed rotation) changes nothing.
            rc, out = s['env'].run(base_vars(s), plays=rotation_play(phase, name))
            assert rc == 0 and changed_of(out, 'src1') == (0, 0), (name, out[-3000:])
        shown = src.value("SHOW CREATE USER 'repl_dr'@'%'")
        assert "ISSUER '/CN=source client CA next'" in shown, shown
        # Control: the old cluster CA alone no longer verifies the source (it serves the new node certificate).
        shutil.copyfile(os.path.join(old, 'ca.pem'), os.path.join(channel, 'source-ca.pem'))
        rep.sql('STOP REPLICA IO_THREAD; START REPLICA IO_THREAD')
        st = wait_for(lambda: io_error(rep.status()), 60,
                      'a verification error with the old CA')
        assert st['Last_IO_Errno'] == '2026', st
        # The promotion (pki role, promote): the new set becomes the source's pki_dir. The entry point then puts the
        # new CA back and a second run changes nothing.
        promote(s)
        rc, out = s['env'].run(base_vars(s))
        assert rc == 0, out[-3000:]
        wait_for(lambda: rep.status().get('Replica_IO_Running') == 'Yes' and rep.status().get('Last_IO_Errno') == '0',
                 60, 'the channel after the rotation')
        rc, out = s['env'].run(base_vars(s))
        assert rc == 0 and changed_of(out) == (0, 0), out[-3000:]
    finally:
        shutil.rmtree(os.path.join(s['pki'], 'next'), ignore_errors=True)


def promote(s):
    """pki_dir/next becomes pki_dir, the set it replaces pki_dir.previous (what the pki role's promote does)."""
    pki = s['pki']
    os.rename(os.path.join(pki, 'next'), pki + '.next')
    os.rename(pki, pki + '.previous')
    os.rename(pki + '.next', pki)


def test_07_site_play_brings_the_channel_up_and_converges(servers):
    """site.yml's replica play itself (its pre_tasks: the checks of every play, the converged step) on the channel the
    rotation and promotion left: converged, the entry point skipped, changed=0; NEGATIVE: with the channel's CA file
    altered on the replica it is not converged and the entry point puts the file back; then converged again."""
    s = servers
    play = [p for p in yaml.safe_load(open(os.path.join(ROOT, 'playbooks', 'site.yml')))
            if 'galera_replica' in str(p.get('hosts'))]
    assert len(play) == 1, 'site.yml has no play for galera_replica'
    play = dict(play[0], hosts='galera_replica')
    rc, out = s['env'].run(base_vars(s), plays=[play])
    assert rc == 0 and changed_of(out) == (0, 0) and 'the roles are skipped' in ' '.join(out.split()), out[-4000:]
    # Negative: the CA file on the replica differs - the play is not converged and puts it back.
    path = s['replica'].host('/etc/repl-rep/channel/source-ca.pem')
    good = open(path, 'rb').read()
    with open(path, 'ab') as handle:
        handle.write(b'\n')
    rc, out = s['env'].run(base_vars(s), plays=[play])
    assert rc == 0 and changed_of(out)[0] >= 1 and 'the roles are skipped' not in ' '.join(out.split()), out[-4000:]
    assert open(path, 'rb').read() == good
    rc, out = s['env'].run(base_vars(s), plays=[play])
    assert rc == 0 and changed_of(out) == (0, 0) and 'the roles are skipped' in ' '.join(out.split()), out[-4000:]
