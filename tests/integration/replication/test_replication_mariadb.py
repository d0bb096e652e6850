# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MariaDB side of the replication entry point on two REAL MariaDB 10.11 servers (Debian bookworm's
mariadb-server-core, mariadb-client-core, liburing2, libaio1: downloaded once with `apt-get download` into the cache,
unpacked with dpkg-deb -x, run on the host's loopback; no container). The same pki set and playbook as the MySQL test
(test_replication_tls.py): CHANGE MASTER TO with MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=1 and
MASTER_USE_GTID=slave_pos; rows arrive (count, checksum); a second run and --check change nothing; a client certificate
of another subject is refused by the source (control: the right one connects again). Galera itself is the molecule
scenario's part."""

from __future__ import (absolute_import, division, print_function)

import glob
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_replication_tls as T  # noqa: E402
from test_replication_tls import harness, app_certs  # noqa: E402

DEBS = os.path.join(T.CACHE, 'debs', 'mariadb-replication')
PACKAGES = ('mariadb-server-core', 'mariadb-client-core', 'liburing2', 'libaio1')
R = os.path.join(T.ROOT, '.build', 'replication-mariadb-root')
LIB = R + '/usr/lib/x86_64-linux-gnu:' + R + '/lib/x86_64-linux-gnu'
ENV = dict(os.environ, LD_LIBRARY_PATH=LIB)
RUN = None  # the fixture's directory of the two servers

pytestmark = T.pytestmark


def mariadb_root():
    if os.path.exists(R + '/usr/sbin/mariadbd'):
        return R
    os.makedirs(DEBS, exist_ok=True)
    if len(glob.glob(DEBS + '/*.deb')) < len(PACKAGES):
        proc = subprocess.run(['apt-get', 'download'] + list(PACKAGES), cwd=DEBS, capture_output=True, text=True,
                              timeout=300, check=False)
        if proc.returncode != 0:
            pytest.skip('apt-get download %s failed: %s' % (' '.join(PACKAGES), proc.stderr[-300:]))
    tmp = R + '.tmp'
    shutil.rmtree(tmp, ignore_errors=True)
    for deb in glob.glob(DEBS + '/*.deb'):
        subprocess.run(['dpkg-deb', '-x', deb, tmp], check=True, capture_output=True)
    os.rename(tmp, R)
    return R


class M(object):
    def __init__(self, name, sid, port, extra=()):
        self.name, self.port = name, port
        self.d = os.path.join(RUN, name)
        self.sock = os.path.join(self.d, 'sock')
        self.cnf = os.path.join(self.d, 'my.cnf')
        self.opts = ['server-id=%d' % sid, 'port=%d' % port, 'bind-address=127.0.0.1', 'socket=%s' % self.sock,
                     'datadir=%s/data' % self.d, 'log-error=%s/err.log' % self.d, 'pid-file=%s/pid' % self.d,
                     'user=root', 'log-bin=binlog', 'basedir=%s/usr' % R, 'lc-messages-dir=%s/usr/share/mysql' % R,
                     'plugin-dir=%s/usr/lib/mysql/plugin' % R, 'innodb_buffer_pool_size=16M', 'skip-name-resolve',
                     'gtid_strict_mode=ON', 'skip-slave-start'] + list(extra)
        self.proc = None

    def init(self):
        shutil.rmtree(self.d, ignore_errors=True)
        os.makedirs(self.d)
        open(self.cnf, 'w').write('[mysqld]\n' + ''.join(o + '\n' for o in self.opts))
        p = subprocess.run([R + '/usr/bin/mariadb-install-db', '--defaults-file=' + self.cnf, '--basedir=' + R + '/usr',
                            '--auth-root-authentication-method=socket', '--skip-test-db'], env=ENV, capture_output=True, text=True,
                           check=False)
        assert p.returncode == 0, p.stdout + p.stderr

    def start(self):
        self.proc = subprocess.Popen([R + '/usr/sbin/mariadbd', '--defaults-file=' + self.cnf], env=ENV,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        for i in range(120):
            if self.sql('SELECT 1', check=False).returncode == 0:
                return
            assert self.proc.poll() is None, open(self.d + '/err.log').read()[-2000:]
            time.sleep(0.5)
        raise AssertionError('no answer')

    def stop(self):
        if self.proc:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(60)

    @property
    def client(self):
        return 'env LD_LIBRARY_PATH=%s %s/usr/bin/mariadb -uroot -S %s' % (LIB, R, self.sock)

    def sql(self, s, check=True):
        p = subprocess.run(self.client.split() + ['-N', '-B', '-r', '-e', s], capture_output=True, text=True, check=False)
        if check:
            assert p.returncode == 0, (s, p.stderr)
        return p

    def status(self):
        out = subprocess.run(self.client.split() + ['-B', '-r', '-e', 'SHOW SLAVE STATUS'], capture_output=True,
                             text=True, check=False).stdout.rstrip('\n').split('\n')
        return dict(zip(out[0].split('\t'), out[1].split('\t'))) if len(out) > 1 else {}

    def value(self, s):
        return self.sql(s).stdout.strip()


@pytest.fixture(scope='module')
def pair(tmp_path_factory):
    mariadb_root()
    tmp = str(tmp_path_factory.mktemp('repl-maria'))
    global RUN
    RUN = os.path.join(tmp, 'run')
    pki = T.make_pki(os.path.join(tmp, 'pki'), ['src1', 'localhost'])
    src = M('src', 1, harness.free_port(), [
        'ssl-ca=%s/client-ca.pem' % pki, 'ssl-cert=%s/nodes/src1/server-cert.pem' % pki,
        'ssl-key=%s/nodes/src1/server-key.pem' % pki, 'require_secure_transport=ON'])
    rep = M('rep', 2, harness.free_port())
    started = []
    try:
        for m in (src, rep):
            m.init()
            m.start()
            started.append(m)
        src.sql('CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(100))')
        yield dict(tmp=tmp, pki=pki, src=src, rep=rep, env=T.Env(tmp))
    finally:
        for m in started:
            m.stop()


def replica_vars(p, **over):
    v = {'galera_replication_source_host': '127.0.0.1', 'galera_replication_source_port': p['src'].port,
         'galera_replication_source_nodes': ['src1'], 'galera_replication_cert': 'repl', 'galera_replication_user': 'repl_dr',
         'galera_replication_source_client': p['src'].client, 'galera_replication_source_flavor': 'mariadb',
         'galera_replication_client': p['rep'].client, 'galera_replication_flavor': 'mariadb',
         'galera_replication_dir': os.path.join(p['tmp'], 'run', 'rep', 'channel'), 'galera_replication_owner': 'root',
         'galera_replication_group': 'root'}
    v.update(over)
    return v


def test_mariadb_channel_over_tls(pair):
    src, rep, env = pair['src'], pair['rep'], pair['env']
    rc, out = env.run(replica_vars(pair), check=True)
    assert rc == 0 and rep.status() == {}, out[-3000:]
    rc, out = env.run(replica_vars(pair))
    assert rc == 0 and T.changed_of(out)[0] >= 3, out[-3000:]
    assert "REQUIRE ISSUER '/CN=source client CA pki' SUBJECT '/CN=repl-dr'" in src.value("SHOW CREATE USER 'repl_dr'@'%'")
    T.wait_for(lambda: rep.status().get('Slave_IO_Running') == 'Yes', 60,
               'the IO thread (%s)' % rep.status().get('Last_IO_Error'))
    src.sql('INSERT INTO app.t VALUES ' + ','.join("(%d, 'r')" % i for i in range(1, 101)))
    T.wait_for(lambda: rep.value('SELECT COUNT(*) FROM app.t') == '100', 60, 'the rows')
    assert rep.value('CHECKSUM TABLE app.t') == src.value('CHECKSUM TABLE app.t')
    st = rep.status()
    assert (st['Master_SSL_Allowed'], st['Master_SSL_Verify_Server_Cert'], st['Using_Gtid'], st['Slave_SQL_Running']) == \
        ('Yes', 'Yes', 'Slave_Pos', 'Yes'), st
    rc, out = env.run(replica_vars(pair))
    assert rc == 0 and T.changed_of(out) == (0, 0), out[-3000:]
    rc, out = env.run(replica_vars(pair), check=True)
    assert rc == 0 and T.changed_of(out) == (0, 0), out[-3000:]


def test_mariadb_other_subject_refused(pair, tmp_path):
    rep, env = pair['rep'], pair['env']
    other = str(tmp_path / 'other')
    shutil.copytree(pair['pki'], other)
    shutil.rmtree(os.path.join(other, 'applications'))
    app_certs.ensure(other, os.path.join(other, 'client-ca.pem'), os.path.join(other, 'client-ca-key.pem'), None,
                     [{'name': 'repl', 'subject': {'common_name': 'someone-else'}}], key_type='ecdsa')
    rc, out = env.run(replica_vars(pair, galera_replication_cert_set_dir=other))
    assert rc == 0, out[-3000:]
    st = T.wait_for(lambda: T.io_error(rep.status()), 60,
                    'an IO error')
    assert st['Last_IO_Errno'] == '1045' and 'repl_dr' in st['Last_IO_Error'], st
    rc, out = env.run(replica_vars(pair))
    assert rc == 0 and T.changed_of(out)[0] >= 1, out[-3000:]
    T.wait_for(lambda: rep.status().get('Slave_IO_Running') == 'Yes', 60, 'the right certificate')
