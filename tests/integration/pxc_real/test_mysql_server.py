# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PXC's server side on a REAL MySQL server (issue 27, deliverable 4): Debian sid's mysqld 9.7.4 in a container of
the image scripts/build-mysql-root.sh makes (`--network none`: every connection is loopback inside the container;
the collection's Python probes reach it by entering the container's network namespace with nsenter).

The pxc role's drop-in (rendered by the role's own chain, tests/unit/roles/pxc/test_render.py, manual mode with the
client CA, data at rest on) starts the real mysqld, less the options in DROPPED (each with the reason). TLS files
come from the collection's x509 code (CA, node certificate, client CA, client certificate); the keyring component
from the role's manifest (mysqld.my beside mysqld) and configuration (component_keyring_file.cnf in plugin_dir).

Two servers in the one container share the initialised data directory: `enc` (the role's drop-in with data at rest,
the keyring loaded) and `plain` (the same drop-in with data at rest off, started before the keyring files exist:
the control of the keyring and of the marker search). MySQL 9.7 is not PXC 8.0/8.4: what differs is kept per
version in the stand-in (molecule/pxc/files), and test_parity_with_standin compares the two.
"""

from __future__ import (absolute_import, division, print_function)

import importlib.util
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402

sys.path.insert(0, harness.collections_path())
from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import tls as pxc_tls  # noqa: E402
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as cx509  # noqa: E402
from ansible_collections.clustersec.mysql.plugins.module_utils.probes.attacker_probes import probe_account_sql  # noqa: E402

ROOT = harness.ROOT
IMAGE_FILE = os.path.join(ROOT, '.build', 'mysql-image')
BUILD_SCRIPT = os.path.join(ROOT, 'scripts', 'build-mysql-root.sh')
TIMES_FILE = os.path.join(ROOT, '.build', 'logs', 'pxc-real-times.json')
STANDIN_CONFTEST = os.path.join(ROOT, 'tests', 'unit', 'standin', 'conftest.py')

# The role's input: manual mode (3306 trusts the client CA, clients verify the node with the cluster CA), PXC 8.4
# (the keyring component), data at rest on, the node's address on loopback.
INVENTORY = {'pxc_encrypt_mode': 'manual', 'pxc_version': '8.4', 'pxc_encrypt_at_rest': True,
             'pxc_node_address': '127.0.0.1'}
CERTS = '/etc/mysql/certs'  # pxc_tls_dir, the role's default

# [mysqld] options of the role's drop-in that the real mysqld 9.7.4 does not take, each refused at start with
# "unknown variable" (MY-000067) unless said otherwise. Measured on 2026-12-07 with `mysqld --validate-config`.
DROPPED = (
    (r'wsrep_.*', 'Galera (PXC, MariaDB): wsrep_provider, wsrep_cluster_*, wsrep_node_*, wsrep_sst_method, '
                  'wsrep_provider_options'),
    (r'pxc[-_].*', "PXC's own: pxc-encrypt-cluster-traffic"),
    (r'innodb_temp_tablespace_encrypt', "Percona Server's"),
    (r'encrypt_tmp_files', "Percona Server's"),
    # ssl_cipher was dropped too until the role's default became cipher NAMES: MySQL 8.1+ validates it against its own
    # list (sql/ssl_init_callback.cc validate_ciphers()) and stopped with ER_BLOCKED_CIPHER (MY-015104) on the
    # former 'ECDHE+AESGCM:ECDHE+CHACHA20' (test_role_cipher_string_refused).
)
# The role's default: the TLS 1.2 suites ECDHE+AESGCM:ECDHE+CHACHA20 selected, by the names MySQL 9.7 accepts.
CIPHER_NAMES = ('ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:'
                'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305')
INSTANCES = {'enc': {'port': 3306, 'at_rest': True}, 'plain': {'port': 3307, 'at_rest': False}}
TIMES = {}

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason='needs root (podman, nsenter)'),
    pytest.mark.skipif(not shutil.which('podman') or not shutil.which('nsenter'), reason='needs podman and nsenter'),
]


def _timed(name, started):
    TIMES[name] = round(time.monotonic() - started, 1)


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render(inventory):
    """(drop-in text, role vars) from the role's own defaults, vars/main.yml and template."""
    render_mod = _load('pxc_real_render', os.path.join(ROOT, 'tests', 'unit', 'roles', 'pxc', 'test_render.py'))
    return render_mod.render('db1', inventory)


def drop_options(text):
    """The drop-in without the [mysqld] options of DROPPED: (text, sorted names dropped)."""
    out, dropped, section = [], set(), None
    for line in text.splitlines(True):
        stripped = line.strip()
        if stripped.startswith('['):
            section = stripped.strip('[]').lower()
        elif section == 'mysqld' and stripped and stripped[0] not in '#;':
            name = stripped.split('=', 1)[0].strip().lower()
            if any(re.match('^(?:loose[-_])?%s$' % pattern, name) for pattern, dummy in DROPPED):
                dropped.add(name)
                continue
        out.append(line)
    return ''.join(out), sorted(dropped)


def image():
    """The image of scripts/build-mysql-root.sh, built when missing; skips (with the reason) when it cannot be."""
    name = open(IMAGE_FILE).read().strip() if os.path.exists(IMAGE_FILE) else ''
    if not name or subprocess.run(['podman', 'image', 'exists', name], check=False).returncode != 0:
        started = time.monotonic()
        proc = subprocess.run([BUILD_SCRIPT], capture_output=True, text=True, timeout=1200, check=False)
        _timed('image_build', started)
        if proc.returncode != 0:
            pytest.skip('the real MySQL image cannot be built (scripts/build-mysql-root.sh exit %d): %s'
                        % (proc.returncode, (proc.stderr or proc.stdout).strip()[-400:]))
        name = open(IMAGE_FILE).read().strip()
    return name


class Pki(object):
    """CA, node certificate, client CA and client certificate from the collection's x509 code, as PEM bytes."""

    def __init__(self):
        self.ca_key = cx509.generate_key('ecdsa', curve='P-256')
        self.ca = cx509.create_ca(self.ca_key, {'common_name': 'clustersec real-mysql CA'}, 30)
        client_ca_key = cx509.generate_key('ecdsa', curve='P-256')
        self.client_ca = cx509.create_ca(client_ca_key, {'common_name': 'clustersec real-mysql client CA'}, 30)
        self.files = {'ca.pem': cx509.cert_pem(self.ca), 'client-ca.pem': cx509.cert_pem(self.client_ca)}
        self.server = self.new_server_cert()
        key = cx509.generate_key('ecdsa', curve='P-256')
        cert = cx509.issue_cert(self.client_ca, client_ca_key, key,
                                {'common_name': 'clustersec-client', 'dns': [], 'ips': []}, 30, usage='client')
        self.files.update({'client-cert.pem': cx509.cert_pem(cert), 'client-key.pem': cx509.key_pem(key)})

    def new_server_cert(self):
        key = cx509.generate_key('ecdsa', curve='P-256')
        cert = cx509.issue_cert(self.ca, self.ca_key, key, {'common_name': 'db1', 'dns': ['db1', 'localhost'],
                                                            'ips': [ipaddress.ip_address('127.0.0.1')]}, 30)
        self.files.update({'server-cert.pem': cx509.cert_pem(cert), 'server-key.pem': cx509.key_pem(key)})
        return cert

    def write(self, directory):
        for name, data in self.files.items():
            with open(os.path.join(directory, name), 'wb') as handle:
                handle.write(data)
        return dict((n, os.path.join(directory, n)) for n in self.files)


class Container(object):
    """One container of the real-MySQL image, no network; everything through podman exec (or nsenter)."""

    def __init__(self, image_name):
        self.name = 'clustersec-mysqlreal-%s' % uuid.uuid4().hex[:8]
        subprocess.run(['podman', 'run', '-d', '--name', self.name, '--network', 'none', '--label', 'clustersec=pxc_real',
                        image_name, 'sleep', 'infinity'], check=True, capture_output=True, timeout=120)
        self.pid = int(subprocess.run(['podman', 'inspect', '-f', '{{.State.Pid}}', self.name], check=True,
                                      capture_output=True, text=True).stdout.strip())

    def sh(self, command, check=True, stdin=None, timeout=120):
        proc = subprocess.run(['podman', 'exec', '-i', self.name, 'sh', '-c', command], input=stdin,
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check:
            assert proc.returncode == 0, '%s:\n%s%s' % (command, proc.stdout, proc.stderr)
        return proc

    def put(self, path, data, mode='0644', owner='root'):
        if isinstance(data, bytes):
            data = data.decode()
        self.sh('mkdir -p "$(dirname %s)" && cat > %s && chmod %s %s && chown %s %s'
                % (path, path, mode, path, owner, path), stdin=data)

    def netns_python(self, code, timeout=60):
        """Python of this venv, with the collection importable, in the container's network namespace."""
        proc = subprocess.run(['nsenter', '-t', str(self.pid), '-n', sys.executable, '-c', code],
                              env=dict(os.environ, PYTHONPATH=harness.collections_path()),
                              capture_output=True, text=True, timeout=timeout, check=False)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def close(self):
        subprocess.run(['podman', 'rm', '-f', '-t', '0', self.name], capture_output=True, check=False, timeout=120)


class Server(object):
    """One mysqld in the container: its option file, data directory, socket and port."""

    def __init__(self, box, name, port):
        self.box, self.name, self.port = box, name, port
        self.etc = '/etc/mysql' if name == 'enc' else '/etc/mysql-%s' % name
        self.cnf = self.etc + '/my.cnf'
        self.datadir = '/var/lib/mysql-%s' % name
        self.socket = '/run/mysqld/%s.sock' % name
        self.pidfile = '/run/mysqld/%s.pid' % name
        self.log = '/var/log/mysql-%s.err' % name

    def configure(self, dropin):
        """my.cnf with the Debian layout (!includedir of the drop-in directory); the local settings first, so the
        role's drop-in (60-) comes after them."""
        self.box.put(self.cnf, '!includedir %s/mysql.conf.d/\n' % self.etc)
        self.box.put(self.etc + '/mysql.conf.d/10-local.cnf',
                     '[mysqld]\ndatadir = %s\nsocket = %s\nport = %d\npid-file = %s\nlog-error = %s\n'
                     'secure-file-priv = /var/lib/mysql-files\nmysqlx = OFF\ninnodb_buffer_pool_size = 64M\n'
                     % (self.datadir, self.socket, self.port, self.pidfile, self.log))
        self.box.put(self.etc + '/mysql.conf.d/60-clustersec-pxc.cnf', dropin)

    def start(self):
        started = time.monotonic()
        self.box.sh('touch %s && chown mysql %s' % (self.log, self.log))
        # As the server's user from the first instruction, like the units (User=mysql): a mysqld started as root
        # with --user=mysql loads the keyring component before it drops root, so the component creates its key
        # file owned by root and the server, once it is mysql, cannot store a key (MY-013285) and stops.
        subprocess.run(['podman', 'exec', '-u', 'mysql', '-d', self.box.name, 'mysqld', '--defaults-file=' + self.cnf],
                       check=True)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.sql('SELECT 1', check=False).returncode == 0:
                _timed('start_' + self.name, started)
                return
            if self.box.sh('grep -q "Shutdown complete" %s' % self.log, check=False).returncode == 0:
                break
            time.sleep(0.3)
        raise AssertionError('mysqld %s did not start:\n%s' % (self.name, self.box.sh('tail -30 ' + self.log).stdout))

    def sql(self, statements, check=True):
        """root over the unix socket (no password: --initialize-insecure), -N -B."""
        proc = self.box.sh('mysql --no-defaults -uroot --socket=%s -N -B' % self.socket, check=False,
                           stdin=statements)
        if check:
            assert proc.returncode == 0, '%s\n%s' % (statements, proc.stderr)
        return proc

    def value(self, statement):
        return self.sql(statement).stdout.strip()

    def pid(self):
        return int(self.box.sh('cat ' + self.pidfile).stdout.strip())

    def client(self, user, password, *options):
        """The real mysql client over TCP on loopback: (rc, stdout + stderr)."""
        proc = self.box.sh("MYSQL_PWD='%s' mysql --no-defaults -h127.0.0.1 -P%d -u%s %s -N -B -e "
                           "\"SHOW SESSION STATUS LIKE 'Ssl_version'\"" % (password, self.port, user, ' '.join(options)),
                           check=False)
        return proc.returncode, proc.stdout + proc.stderr

    def served_certificate(self):
        """Serial of the certificate the port serves, read with openssl s_client -starttls mysql in the container."""
        proc = self.box.sh('openssl s_client -starttls mysql -connect 127.0.0.1:%d </dev/null 2>/dev/null '
                           '| openssl x509 -noout -serial' % self.port)
        return proc.stdout.strip().split('=', 1)[1].lower().lstrip('0')

    def shutdown(self):
        self.box.sh('mysqladmin --no-defaults -uroot --socket=%s shutdown' % self.socket)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.box.sh('test -e %s' % self.pidfile, check=False).returncode != 0:
                return
            time.sleep(0.3)
        raise AssertionError('mysqld %s did not stop' % self.name)


def error_code(text):
    match = re.search(r'ERROR (\d+)', text or '')
    return int(match.group(1)) if match else None


@pytest.fixture(scope='module')
def real(tmp_path_factory):
    """The container, the PKI and both servers; the keyring files are written after `plain` is up."""
    started = time.monotonic()
    image_name = image()
    local = str(tmp_path_factory.mktemp('pxc-real'))
    pki = Pki()
    box = Container(image_name)
    try:
        text, role_vars = render(INVENTORY)
        enc_dropin, dropped = drop_options(text)
        plain_dropin, dummy = drop_options(render(dict(INVENTORY, pxc_encrypt_at_rest=False))[0])
        box.sh('useradd -r -M -d /nonexistent mysql && mkdir -p /run/mysqld /var/lib/mysql-files '
               '/var/lib/mysql-keyring && chown mysql:mysql /run/mysqld /var/lib/mysql-files /var/lib/mysql-keyring '
               '&& chmod 0750 /var/lib/mysql-keyring')
        for name, data in pki.files.items():
            private = name.endswith('-key.pem')
            box.put('%s/%s' % (CERTS, name), data, mode='0600' if private else '0644',
                    owner='mysql' if private else 'root')
        t0 = time.monotonic()
        box.sh('touch /var/log/mysql-init.err && chown mysql /var/log/mysql-init.err && mysqld --no-defaults '
               '--user=mysql --datadir=/var/lib/mysql-init --secure-file-priv=/var/lib/mysql-files '
               '--log-error=/var/log/mysql-init.err --initialize-insecure', timeout=180)
        _timed('initialize_insecure', t0)
        servers = dict((n, Server(box, n, c['port'])) for n, c in INSTANCES.items())
        for server in servers.values():
            box.sh('cp -a /var/lib/mysql-init %s' % server.datadir)
        servers['plain'].configure(plain_dropin)
        servers['plain'].start()
        # The role's keyring files (pxc_at_rest.files: the global manifest beside mysqld, the component's
        # configuration in plugin_dir), then the server with the role's data-at-rest settings.
        at_rest_files = role_vars.get('__pxc_at_rest_files')
        for path, content in at_rest_files.items():
            box.put(path, content)
        servers['enc'].configure(enc_dropin)
        servers['enc'].start()
        _timed('fixture_setup', started)
        yield {'box': box, 'pki': pki, 'local': local, 'files': pki.write(local), 'dropped': dropped,
               'dropin': enc_dropin, 'at_rest_files': at_rest_files, **servers}
    finally:
        box.close()
        _timed('module_total', started)
        os.makedirs(os.path.dirname(TIMES_FILE), exist_ok=True)
        with open(TIMES_FILE, 'w') as handle:
            json.dump(TIMES, handle, indent=1, sort_keys=True)


def test_dropin_starts_less_the_dropped_options(real):
    """The explicit list of what the real server cannot take; everything else of the drop-in is in effect."""
    assert real['dropped'] == sorted([
        'encrypt_tmp_files', 'innodb_temp_tablespace_encrypt', 'pxc-encrypt-cluster-traffic',
        'wsrep_cluster_address', 'wsrep_cluster_name', 'wsrep_node_address', 'wsrep_node_name', 'wsrep_provider',
        'wsrep_provider_options', 'wsrep_sst_method'])
    enc = real['enc']
    row = enc.value('SELECT @@version, @@require_secure_transport, @@tls_version, @@ssl_ca, @@ssl_cert, @@ssl_key, '
                    '@@default_table_encryption, @@innodb_redo_log_encrypt, @@innodb_undo_log_encrypt, '
                    '@@binlog_encryption, @@table_encryption_privilege_check, @@bind_address, @@ssl_cipher').split('\t')
    assert row == ['9.7.4-2', '1', 'TLSv1.2,TLSv1.3', CERTS + '/client-ca.pem', CERTS + '/server-cert.pem',
                   CERTS + '/server-key.pem', '1', '1', '1', '1', '1', '127.0.0.1', CIPHER_NAMES]
    # Control: the other server runs the same drop-in with data at rest off.
    assert real['plain'].value('SELECT @@default_table_encryption, @@binlog_encryption, @@require_secure_transport') \
        == '0\t0\t1'


def test_role_cipher_string_refused(real):
    """The role's former ssl_cipher (OpenSSL aliases) stops mysqld 9.7 (MY-015104), and the pre-flight refuses it for
    8.4; the same suites by name, the role's default now, start (control)."""
    box = real['box']
    cmd = 'mysqld --no-defaults --user=mysql --datadir=/var/lib/mysql-init --validate-config --ssl_cipher=%s'
    refused = box.sh(cmd % "'ECDHE+AESGCM:ECDHE+CHACHA20'", check=False)
    assert refused.returncode == 1 and '[MY-015104]' in refused.stderr and 'ECDHE+AESGCM' in refused.stderr, \
        refused.stderr
    accepted = box.sh(cmd % CIPHER_NAMES, check=False)
    assert accepted.returncode == 0, accepted.stderr
    assert render(INVENTORY)[1].get('pxc_tls_cipher') == CIPHER_NAMES == pxc_tls.SECURE_CIPHER_NAMES
    assert pxc_tls.cipher_problems('ECDHE+AESGCM:ECDHE+CHACHA20', '9.7.4-2') and \
        pxc_tls.cipher_problems(CIPHER_NAMES, '9.7.4-2') == []


def test_plain_login_refused_with_3159(real):
    """require_secure_transport: a plaintext login (the client fetching the server's RSA key, so the password
    check runs) is refused with 3159; a wrong password gives 1045 (the transport check comes after the password);
    the same login over TLS verifying the node with the cluster CA is accepted (control)."""
    enc = real['enc']
    enc.sql("CREATE USER 'app'@'%' IDENTIFIED WITH caching_sha2_password BY 'App-pw-1'")
    # Before any login of the account filled caching_sha2_password's cache, a plaintext client without the server's
    # RSA key stops itself (2061): the server never sees the password.
    rc, out = enc.client('app', 'App-pw-1', '--ssl-mode=DISABLED')
    assert rc == 1 and error_code(out) == 2061, out
    plain = ('--ssl-mode=DISABLED', '--get-server-public-key')
    rc, out = enc.client('app', 'wrong-pw', *plain)
    assert rc == 1 and error_code(out) == 1045, out
    rc, out = enc.client('app', 'App-pw-1', *plain)
    assert rc == 1 and error_code(out) == 3159, out
    # Once the cache holds the account, the fast path needs no key: 3159 again, the transport is still refused.
    rc, out = enc.client('app', 'App-pw-1', '--ssl-mode=DISABLED')
    assert rc == 1 and error_code(out) == 3159, out
    tls = ('--ssl-mode=VERIFY_IDENTITY', '--ssl-ca=%s/ca.pem' % CERTS, '--ssl-cert=%s/client-cert.pem' % CERTS,
           '--ssl-key=%s/client-key.pem' % CERTS)
    rc, out = enc.client('app', 'App-pw-1', *tls)
    assert rc == 0 and 'TLSv1.3' in out, out


def _probe_login(box, port, files, user, password):
    return box.netns_python(
        'import json\nfrom ansible_collections.clustersec.mysql.plugins.module_utils.probes import attacker_probes as p\n'
        'print(json.dumps(p.probe_plain_login("127.0.0.1", %d, %r, %r, %r, %r)))'
        % (port, user, password, files['client-cert.pem'], files['client-key.pem']))


def _probe_mysql(box, port, files):
    return box.netns_python(
        'import json\nfrom ansible_collections.clustersec.mysql.plugins.module_utils.probes.tls_probe import probe_mysql\n'
        'print(json.dumps(probe_mysql("127.0.0.1", %d, %r, %r, %r, server_name="db1")))'
        % (port, files['ca.pem'], files['client-cert.pem'], files['client-key.pem']))


def test_probe_account_caching_sha2(real):
    """The report's probe account (attacker_probes.probe_account_sql('pxc'): caching_sha2_password, expired,
    unlocked) is created on MySQL 9.7, and the collection's plaintext-login probe reads the refusal from it; the
    control: an account of mysql_native_password cannot be made (1524, the plugin is not loaded)."""
    enc = real['enc']
    started = time.monotonic()
    enc.sql(probe_account_sql('pxc', 'create', 'Probe-pw-27'))
    result = _probe_login(real['box'], enc.port, real['files'], 'clustersec_probe', 'Probe-pw-27')
    _timed('probe_plain_login', started)
    assert result['plain_refused'] is True, result
    assert result['tls_login']['outcome'] == 'expired', result
    assert result['plain_login']['outcome'] == 'transport_refused', result
    native = enc.sql("CREATE USER 'native'@'%' IDENTIFIED WITH mysql_native_password BY 'x'", check=False)
    assert native.returncode == 1 and error_code(native.stderr) == 1524, native.stderr
    assert "Plugin 'mysql_native_password' is not loaded" in native.stderr
    enc.sql(probe_account_sql('pxc', 'drop'))


def test_keyring_component_active(real):
    """The keyring component loads from the role's manifest and configuration: keyring_component_status says
    Active with the role's key file; an encrypted table can be made. Control: the server started before those files
    existed has no keyring, and the same CREATE TABLE fails there."""
    enc, plain = real['enc'], real['plain']
    status = dict(line.split('\t', 1) for line in enc.value(
        'SELECT STATUS_KEY, STATUS_VALUE FROM performance_schema.keyring_component_status').splitlines())
    config = json.loads([c for p, c in real['at_rest_files'].items() if p.endswith('.cnf')][0])
    assert status.get('Component_status') == 'Active', status
    assert status.get('Implementation_name') == 'component_keyring_file', status
    assert status.get('Data_file') == config['path'], status
    assert status.get('Read_only') == 'No', status
    enc.sql("CREATE DATABASE IF NOT EXISTS kr; CREATE TABLE kr.t (i INT) ENCRYPTION='Y'")
    assert plain.value('SELECT COUNT(*) FROM performance_schema.keyring_component_status') == '0'
    refused = plain.sql("CREATE DATABASE IF NOT EXISTS kr; CREATE TABLE kr.t (i INT) ENCRYPTION='Y'", check=False)
    assert refused.returncode == 1 and error_code(refused.stderr) == 3185, refused.stderr


def _standin(real, version, **extra):
    conftest = _load('pxc_real_standin_conftest', STANDIN_CONFTEST)
    files = real['files']
    options = {'pxc-encrypt-cluster-traffic': 'OFF', 'ssl-ca': files['client-ca.pem'],
               'ssl-cert': files['server-cert.pem'], 'ssl-key': files['server-key.pem'],
               'tls_version': 'TLSv1.2,TLSv1.3', 'require_secure_transport': 'ON'}
    options.update(extra)
    os.environ['PXC_STANDIN_VERSION'] = version
    try:
        return conftest, conftest.StandIn(options)
    finally:
        del os.environ['PXC_STANDIN_VERSION']


def test_parity_with_standin(real):
    """The same statements and probes against the real mysqld 9.7.4 and the stand-in's 9.7 profile: the error codes
    and the fields the role's report parses agree. The stand-in's 8.0 profile keeps what PXC 8.0 does."""
    enc, box = real['enc'], real['box']
    pki = real['pki']
    files = pki.write(real['local'])
    conftest, standin = _standin(real, '9.7.4')
    try:
        statements = [probe_account_sql('pxc', 'create', 'Probe-pw-27'),
                      "CREATE USER 'native'@'%' IDENTIFIED WITH mysql_native_password BY 'x'",
                      "CREATE USER 'app2'@'%' IDENTIFIED BY 'App-pw-2'",
                      "CREATE USER 'app2'@'%' IDENTIFIED BY 'App-pw-2'"]
        for sql in statements:
            real_proc = enc.sql(sql, check=False)
            rc, dummy, err = standin.sql(sql, check=False)
            assert (rc != 0, error_code(err)) == (real_proc.returncode != 0, error_code(real_proc.stderr)), \
                (sql, real_proc.stderr, err)
        fields = ('plain_refused',)
        real_login = _probe_login(box, enc.port, files, 'clustersec_probe', 'Probe-pw-27')
        from ansible_collections.clustersec.mysql.plugins.module_utils.probes import attacker_probes
        from ansible_collections.clustersec.mysql.plugins.module_utils.probes.tls_probe import probe_mysql
        sim_login = attacker_probes.probe_plain_login('127.0.0.1', standin.port, 'clustersec_probe', 'Probe-pw-27',
                                                      files['client-cert.pem'], files['client-key.pem'])
        for field in fields:
            assert real_login[field] == sim_login[field], (real_login, sim_login)
        for side in ('tls_login', 'plain_login'):
            assert real_login[side]['outcome'] == sim_login[side]['outcome'], (side, real_login, sim_login)
        real_tls = _probe_mysql(box, enc.port, files)
        sim_tls = probe_mysql('127.0.0.1', standin.port, files['ca.pem'], files['client-cert.pem'],
                              files['client-key.pem'], server_name='db1')
        for field in ('encrypted', 'verified', 'protocol', 'sha256_fingerprint', 'subject', 'issuer', 'sans'):
            assert real_tls.get(field) == sim_tls.get(field), (field, real_tls, sim_tls)
        enc.sql(probe_account_sql('pxc', 'drop') + "DROP USER IF EXISTS 'app2'@'%';")
    finally:
        standin.close()
    # Start-up: the role's cipher aliases stop 9.7 (test_role_cipher_string_refused) and the stand-in's 9.7
    # profile; its 8.0 profile (PXC 8.0) starts with them.
    with pytest.raises(AssertionError, match='MY-015104'):
        _standin(real, '9.7.4', ssl_cipher='ECDHE+AESGCM:ECDHE+CHACHA20')
    dummy, sim80 = _standin(real, '8.0.36-28.1', ssl_cipher='ECDHE+AESGCM:ECDHE+CHACHA20')
    sim80.close()


def _reload_module(real, reload_sql, served_cert):
    """The role's reload step as it runs on a node: the collection's galera_tls_reload module (ansible ad hoc, in
    the container's network namespace so 127.0.0.1:3306 is the real server), its client the real mysql client in
    the container; no files to swap (the test put them in place). Returns the module's result."""
    enc = real['enc']
    args = {'reload_sql': reload_sql, 'wait_size': 0, 'served_cert': served_cert,
            'client': 'podman exec -i %s mysql --no-defaults -uroot --socket=%s' % (real['box'].name, enc.socket)}
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
               ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    ansible = os.path.join(os.path.dirname(sys.executable), 'ansible')
    proc = subprocess.run(['nsenter', '-t', str(real['box'].pid), '-n', ansible, 'localhost', '-c', 'local',
                           '-e', 'ansible_python_interpreter=' + sys.executable,
                           '-m', 'clustersec.mysql.galera_tls_reload', '-a', json.dumps(args)],
                          env=env, capture_output=True, text=True, timeout=180, check=False)
    out = json.loads(proc.stdout[proc.stdout.index('{'):])
    return out['plays'][0]['tasks'][0]['hosts']['localhost']


def test_reload_tls_serves_new_certificate(real):
    """ALTER INSTANCE RELOAD TLS: new files at the same paths are served at once, by the same process; before the
    reload the old certificate is still served (control: the reload did it, not a per-connection file read).

    Finding (MySQL 9.7, sql/ssl_acceptor_context_data.cc; from 8.1.0): the server verifies its own certificate
    against ssl_ca. In the role's manual mode ssl_ca is the CLIENT CA, which did not sign the node certificate: the
    start only warns (ER_SERVER_CERT_VERIFY_FAILED) but a plain reload fails with 3888 "Invalid certificates" and
    keeps the old context. The role's reload step (galera_tls_reload, pxc_tls.reload) then reloads with NO ROLLBACK
    ON ERROR, which serves the new certificate with ssl_ca still the client CA (client certificates of the cluster
    CA stay refused), and checks the served certificate; a refusal of another kind (key mismatch) is not forced and
    not reported as success. With automatic mode's ssl_ca (the cluster CA, which signed it) a plain reload works."""
    enc, box, pki = real['enc'], real['box'], real['pki']
    pid = enc.pid()
    before = enc.served_certificate()
    assert before == '%x' % pki.server.serial_number
    assert 'Server certificate %s/server-cert.pem verification has failed' % CERTS in box.sh('cat ' + enc.log).stdout
    probe = _probe_mysql(box, enc.port, real['files'])
    assert probe['encrypted'] and probe['verified'] and probe['protocol'] == 'TLSv1.3', probe
    old_key = pki.files['server-key.pem']
    new = pki.new_server_cert()
    box.put(CERTS + '/server-cert.pem', pki.files['server-cert.pem'])
    box.put(CERTS + '/server-key.pem', pki.files['server-key.pem'], mode='0600', owner='mysql')
    files = pki.write(real['local'])
    assert enc.served_certificate() == before  # control: files changed, no reload yet
    manual = enc.sql('ALTER INSTANCE RELOAD TLS', check=False)
    assert manual.returncode == 1 and error_code(manual.stderr) == 3888 and 'Invalid certificates' in manual.stderr, \
        manual.stderr
    assert enc.served_certificate() == before
    served_cert = {'cert': files['server-cert.pem'], 'host': '127.0.0.1', 'port': enc.port}
    # A context that cannot be built (the old key with the new certificate): refused, not forced, old one served.
    box.put(CERTS + '/server-key.pem', old_key, mode='0600', owner='mysql')
    started = time.monotonic()
    refused = _reload_module(real, ['ALTER INSTANCE RELOAD TLS'], served_cert)
    _timed('reload_module', started)
    assert refused['reloaded'] is False and refused['no_rollback'] is False, refused
    # OpenSSL 3 already refuses the key that does not match (SSL_INITERR_KEY), not the self-check's error.
    assert error_code(refused['reload_error']) == 3888 and 'Unable to get private key' in refused['reload_error'], refused
    assert enc.served_certificate() == before
    # The role's step with the right key: retried with NO ROLLBACK ON ERROR, the new certificate served and checked.
    box.put(CERTS + '/server-key.pem', pki.files['server-key.pem'], mode='0600', owner='mysql')
    done = _reload_module(real, ['ALTER INSTANCE RELOAD TLS'], served_cert)
    assert done['reloaded'] is True and done['no_rollback'] is True and done['reload_error'] == '', done
    assert done['served']['sha256_fingerprint'] == done['served']['expected'], done
    assert enc.served_certificate() == '%x' % new.serial_number != before
    assert enc.value("SHOW GLOBAL STATUS LIKE 'Current_tls_ca'") == 'Current_tls_ca\t%s/client-ca.pem' % CERTS
    # Trust separation kept: a client certificate of the client CA is accepted, one of the cluster CA is not.
    enc.sql("CREATE USER IF NOT EXISTS 'x509'@'%' IDENTIFIED BY 'X509-pw-1' REQUIRE X509")
    tls = ('--ssl-mode=VERIFY_IDENTITY', '--ssl-ca=%s/ca.pem' % CERTS)
    rc, out = enc.client('x509', 'X509-pw-1', *tls, '--ssl-cert=%s/client-cert.pem' % CERTS,
                         '--ssl-key=%s/client-key.pem' % CERTS)
    assert rc == 0 and 'TLSv1.3' in out, out
    rc, out = enc.client('x509', 'X509-pw-1', *tls, '--ssl-cert=%s/server-cert.pem' % CERTS,
                         '--ssl-key=%s/server-key.pem' % CERTS)
    assert rc != 0, out
    # The module's check, not the exit code, decides: a reload the server accepts while the port serves another
    # certificate than the one named (here: the previous one) is not reported as reloaded.
    stale = dict(served_cert, cert=os.path.join(real['local'], 'stale.pem'))
    with open(stale['cert'], 'wb') as handle:
        handle.write(cx509.cert_pem(pki.server))
    kept = _reload_module(real, ['ALTER INSTANCE RELOAD TLS NO ROLLBACK ON ERROR'], stale)
    assert kept['reloaded'] is False and 'the server kept another certificate' in kept['reload_error'], kept
    # Automatic mode's ssl_ca (the cluster CA signed the node certificate): a plain reload works.
    newer = pki.new_server_cert()
    box.put(CERTS + '/server-cert.pem', pki.files['server-cert.pem'])
    box.put(CERTS + '/server-key.pem', pki.files['server-key.pem'], mode='0600', owner='mysql')
    enc.sql("SET GLOBAL ssl_ca = '%s/ca.pem'" % CERTS)  # what automatic mode writes
    started = time.monotonic()
    enc.sql('ALTER INSTANCE RELOAD TLS')
    _timed('reload_tls', started)
    after = enc.served_certificate()
    assert after == '%x' % newer.serial_number and after != before
    files = pki.write(real['local'])
    probe2 = box.netns_python(
        'import json\nfrom ansible_collections.clustersec.mysql.plugins.module_utils.probes.tls_probe import probe_mysql\n'
        'print(json.dumps(probe_mysql("127.0.0.1", %d, %r, server_name="db1")))' % (enc.port, files['ca.pem']))
    assert probe2['verified'] and probe2['sha256_fingerprint'] != probe['sha256_fingerprint'], probe2
    assert enc.pid() == pid
    assert enc.value("SHOW GLOBAL STATUS LIKE 'Current_tls_cert'") == 'Current_tls_cert\t%s/server-cert.pem' % CERTS


def test_marker_at_rest(real):
    """With the role's data-at-rest settings a marker written through SQL (row, undo of an update, binlog, redo) is
    found 0 times in any file of the data directory after a clean shutdown (every page flushed); the control
    server, data at rest off, holds it in its tablespace, redo and binlog. Last test: both servers stop."""
    marker = 'clustersec-marker-%s' % uuid.uuid4().hex
    counts = {}
    for name in ('enc', 'plain'):
        server = real[name]
        server.sql("CREATE DATABASE IF NOT EXISTS m; CREATE TABLE m.t (id INT PRIMARY KEY, v VARCHAR(200));"
                   "INSERT INTO m.t VALUES (1, '%s'), (2, '%s-two'); UPDATE m.t SET v = 'gone' WHERE id = 2;"
                   "FLUSH BINARY LOGS" % (marker, marker))
        assert server.value('SELECT v FROM m.t WHERE id = 1') == marker
        encrypted = server.value("SELECT CREATE_OPTIONS FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'm'")
        assert ('ENCRYPTION' in encrypted.upper()) == (name == 'enc'), encrypted
        started = time.monotonic()
        server.shutdown()
        _timed('shutdown_' + name, started)
        out = real['box'].sh("grep -r -a -c -- '%s' %s || true" % (marker, server.datadir)).stdout
        found = dict((path, int(n)) for path, n in (line.rsplit(':', 1) for line in out.splitlines()) if int(n))
        counts[name] = found
        size = real['box'].sh('stat -c %%s %s/m/t.ibd' % server.datadir).stdout.strip()
        assert int(size) > 0
    assert counts['enc'] == {}, counts['enc']
    plain = counts['plain']
    assert any(p.endswith('/m/t.ibd') for p in plain), plain
    assert any('#innodb_redo' in p for p in plain), plain
    assert any(re.search(r'/binlog\.\d+$', p) for p in plain), plain
