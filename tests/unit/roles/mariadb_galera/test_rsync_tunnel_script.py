# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 28 row 13, the rsync_tunnel SST script run on local files with the real bash, rsync and socat, the server's
SST library (wsrep_sst_common) replaced by a stub that sets what it would parse.

- The suspected injection: the donor hands RSYNC_CONNECT_PROG, which embeds the joiner's address, to rsync, and rsync
  runs it with sh -c. A joiner address of $(touch <file>) created the file on the donor (proved on the old script);
  now the address is refused and the command is quoted.
- The joiner's rsync module is write only (a peer cannot download the data directory, galera.cache in clear) and
  lists nothing; the donor can still write (read only = no).
- The joiner takes a donor only when its certificate names a node of wsrep_cluster_address: a certificate of the
  cluster CA for another name is refused (nothing lands in the joiner's datadir); a listed node's certificate works,
  by name, by IP, and where only the resolved addresses match (short name, FQDN, IP)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import shutil
import socket
import subprocess
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..'))
SCRIPT = os.path.join(ROOT, 'roles', 'mariadb_galera', 'files', 'wsrep_sst_rsync_tunnel')

STUB = r'''
# Stand-in for the server's wsrep_sst_common: the variables and helpers the script uses.
WSREP_SST_OPT_ROLE="${T_ROLE:-donor}"
WSREP_SST_OPT_PARENT="${T_PARENT:-1}"
WSREP_SST_OPT_MYSQLD="${T_MYSQLD:-}"
WSREP_SST_OPT_HOST="$T_HOST"
WSREP_SST_OPT_HOST_UNESCAPED="$T_HOST"
WSREP_SST_OPT_PORT="$T_PORT"
WSREP_SST_OPT_MODULE=rsync_sst
WSREP_SST_OPT_BYPASS=1
OLD_PWD="$(pwd)"
WSREP_SST_OPT_GTID=00000000-0000-0000-0000-000000000000:-1
WSREP_SST_OPT_GTID_DOMAIN_ID=0
WSREP_SST_OPT_BINLOG=""
DATA="$T_DATA"
DATA_DIR="$T_DATA"
wsrep_check_programs() { :; }
wsrep_log_info() { echo "INFO: $*" >&2; }
wsrep_log_warning() { echo "WARNING: $*" >&2; }
wsrep_log_error() { echo "ERROR: $*" >&2; }
create_dirs() { :; }
get_binlog() { :; }
is_local_ip() { [ "$1" = 127.0.0.1 ]; }
parse_cnf() {
    case "$2" in
        tca) echo "${T_CA:-$T_DATA/ca.pem}";; tcert) echo "${T_CERT:-$T_DATA/cert.pem}";;
        tkey) echo "${T_KEY:-$T_DATA/key.pem}";; wsrep-cluster-address) echo "${T_CLUSTER:-$3}";; *) echo "$3";;
    esac
}
'''


@pytest.fixture
def script_dir(tmp_path):
    if not (shutil.which('rsync') and shutil.which('socat')):
        pytest.skip('needs rsync and socat (apt-get install -y rsync socat)')
    d = tmp_path / 'bin'
    d.mkdir()
    shutil.copy(SCRIPT, str(d / 'wsrep_sst_rsync_tunnel'))
    (d / 'wsrep_sst_common').write_text(STUB)
    data = tmp_path / 'data'
    data.mkdir()
    for name in ('ca.pem', 'cert.pem', 'key.pem'):
        (data / name).write_text('not a certificate\n')
    return d, data


def donor(script_dir, host, port='4444'):
    d, data = script_dir
    env = dict(os.environ, T_HOST=host, T_PORT=port, T_DATA=str(data))
    return subprocess.run(['bash', str(d / 'wsrep_sst_rsync_tunnel')], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.mark.parametrize('template', ['$(touch {f})', '`touch {f}`', 'db2;touch {f}', 'db2:1$(touch {f})'])
def test_a_hostile_joiner_address_runs_nothing_on_the_donor(script_dir, tmp_path, template):
    pwned = tmp_path / 'pwned'
    proc = donor(script_dir, template.format(f=pwned))
    assert not pwned.exists(), 'the joiner address was run as a shell command on the donor:\n' + proc.stderr
    assert proc.returncode != 0
    assert 'refusing the joiner address' in proc.stderr, proc.stderr


def test_control_a_plain_joiner_address_reaches_rsync_through_the_quoted_tunnel(script_dir, tmp_path):
    # Nothing listens and the certificate files are junk: socat fails, so rsync reports the failed magic-file send.
    proc = donor(script_dir, 'localhost', port='1')
    assert proc.returncode != 0
    assert "rsync through: socat - 'OPENSSL:localhost:1,commonname=localhost," in proc.stderr, proc.stderr
    assert 'sending the magic file returned' in proc.stderr, proc.stderr


def test_the_connect_command_is_quoted_for_sh_whatever_it_holds(tmp_path):
    """sh_quote itself, with what no host check lets through (the certificate-derived name is checked as well)."""
    text = open(SCRIPT).read()
    funcs = re.search(r'^sh_quote\(\) \{.*?^\}\n', text, re.M | re.S).group(0)
    pwned = tmp_path / 'pwned'
    hostile = "x'$(touch %s)'`touch %s`;touch %s" % (pwned, pwned, pwned)
    out = subprocess.run(['bash', '-c', funcs + 'sh -c "printf %s $(sh_quote "$1")" ', 'bash', hostile],
                         capture_output=True, text=True, check=True).stdout
    assert out == hostile and not pwned.exists()


def _joiner_conf(tmp_path):
    """The joiner's rsyncd.conf as the script writes it (its heredoc, with this test's directories)."""
    text = open(SCRIPT).read()
    body = re.search(r'cat > "\$RSYNC_CONF" <<EOF\n(.*?)\nEOF\n', text, re.S).group(1)
    data = tmp_path / 'datadir'
    data.mkdir()
    (data / 'galera.cache').write_text('plaintext write sets\n')
    values = {'MODULE': 'rsync_sst', 'DATA': str(data), 'protect': '.zfs', 'ib_home_dir': str(data),
              'ib_log_dir': str(data), 'ib_undo_dir': str(data), 'ar_log_dir': str(data),
              'BINLOG_STAGE': str(tmp_path / 'stage')}
    conf = re.sub(r'\$(\w+)', lambda m: values[m.group(1)], body)
    if os.geteuid() == 0:
        # The joiner's daemon runs as the server user; as root rsync would drop to nobody, who cannot write here.
        conf = 'uid = root\ngid = root\n' + conf
    path = tmp_path / 'rsyncd.conf'
    path.write_text(conf + '\n')
    return path, data, conf


def _rsync(conf, *args):
    # The same daemon the joiner's socat runs per connection, over a pipe instead of the TLS tunnel.
    env = dict(os.environ, RSYNC_CONNECT_PROG='rsync --server --daemon --config=%s .' % conf)
    return subprocess.run(['rsync'] + list(args), env=env, capture_output=True, text=True, timeout=60, check=False)


def test_the_joiner_module_takes_uploads_but_never_gives_out_the_datadir(tmp_path):
    if not shutil.which('rsync'):
        pytest.skip('needs rsync')
    conf, data, text = _joiner_conf(tmp_path)
    assert re.search(r'^write only = yes$', text, re.M) and re.search(r'^list = no$', text, re.M)
    assert re.search(r'^read only = no$', text, re.M)
    got = tmp_path / 'got'
    down = _rsync(conf, 'rsync://joiner/rsync_sst/galera.cache', str(got))
    assert down.returncode != 0 and not got.exists(), 'a peer downloaded galera.cache from the joiner'
    listing = _rsync(conf, 'rsync://joiner/')
    assert 'rsync_sst' not in listing.stdout, listing.stdout
    # control: the donor's upload still lands
    src = tmp_path / 'ibdata1'
    src.write_text('donor data\n')
    up = _rsync(conf, str(src), 'rsync://joiner/rsync_sst/')
    assert up.returncode == 0, up.stderr
    assert (data / 'ibdata1').read_text() == 'donor data\n'


# The donor check on the joiner: a loopback SST, the joiner and the donor each the real script.
def _openssl(*args):
    subprocess.run(['openssl'] + list(args), check=True, capture_output=True, timeout=60)


@pytest.fixture
def pki(tmp_path):
    """One cluster CA; certificates of it as the pki role issues them (CN and SANs), plus a rogue one."""
    if not shutil.which('openssl'):
        pytest.skip('needs openssl')
    d = tmp_path / 'pki'
    d.mkdir()
    ca, ca_key = str(d / 'ca.pem'), str(d / 'ca.key')
    _openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', ca_key,
             '-out', ca, '-subj', '/CN=clustersec.mysql CA', '-days', '2',
             '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign')

    def issue(name, cn, sans):
        key, csr, cert, ext = (str(d / ('%s.%s' % (name, x))) for x in ('key', 'csr', 'pem', 'ext'))
        _openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr,
                 '-subj', '/CN=%s' % cn)
        with open(ext, 'w') as f:
            f.write('subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' % ','.join(sans))
        _openssl('x509', '-req', '-in', csr, '-CA', ca, '-CAkey', ca_key, '-CAcreateserial', '-out', cert,
                 '-days', '2', '-extfile', ext)
        return cert, key

    certs = {
        # the joiner, reached by the donor at 127.0.0.1
        'joiner': issue('joiner', 'node1.example', ['DNS:node1.example', 'IP:127.0.0.1']),
        # a node as the pki role issues it: CN and DNS the inventory name
        'node2': issue('node2', 'node2.example', ['DNS:node2.example']),
        # a node whose certificate holds an FQDN and its address, not the short name the cluster address uses
        'node2-ip': issue('node2-ip', 'node2.example', ['DNS:node2.example', 'IP:127.0.0.1']),
        # a node whose certificate holds only a name that resolves to the address the cluster address uses
        'localhost': issue('localhost', 'localhost', ['DNS:localhost']),
        # a certificate of the same CA for a host that is no node of the cluster
        'rogue': issue('rogue', 'rogue.invalid', ['DNS:rogue.invalid', 'DNS:backup.invalid']),
    }
    return ca, certs


def _free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return str(port)


class Joiner(object):
    """The script as joiner on 127.0.0.1:<port>, its parent a sleep the test ends."""

    def __init__(self, script_dir, tmp_path, pki, cluster, mysqld=''):
        d, self.data = script_dir
        ca, certs = pki
        if os.geteuid() == 0:
            # The joiner's daemon runs as the server user; as root rsync drops to nobody, who must be able to write.
            os.chmod(str(self.data), 0o777)
        self.port = _free_port()
        self.parent = subprocess.Popen(['sleep', '120'])
        self.err = open(str(tmp_path / 'joiner.err'), 'w+')
        env = dict(os.environ, T_ROLE='joiner', T_HOST='127.0.0.1', T_PORT=self.port, T_DATA=str(self.data),
                   T_PARENT=str(self.parent.pid), T_CLUSTER=cluster, T_MYSQLD=mysqld, T_CA=ca,
                   T_CERT=certs['joiner'][0], T_KEY=certs['joiner'][1])
        self.proc = subprocess.Popen(['bash', str(d / 'wsrep_sst_rsync_tunnel')], env=env, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True)

    def wait_ready(self):
        line = self.proc.stdout.readline()
        assert line.startswith('ready 127.0.0.1:%s/rsync_sst' % self.port), (line, self.stderr())
        # ready comes once socat listens (ss); give socat a moment more where ss is missing
        time.sleep(0.3)

    def stderr(self):
        self.err.flush()
        self.err.seek(0)
        return self.err.read()

    def finish(self, timeout=30):
        try:
            out, dummy = self.proc.communicate(timeout=timeout)
        finally:
            self.close()
        return self.proc.returncode, out

    def close(self):
        if self.parent.poll() is None:
            self.parent.kill()
            self.parent.wait()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _files(top):
    return sorted(os.path.relpath(os.path.join(dp, f), str(top)) for dp, dn, fn in os.walk(str(top)) for f in fn + dn)


def _upload(pki, who, port, src):
    """What an attacker holding a certificate of the CA does: rsync into the joiner's module through its own tunnel."""
    ca, certs = pki
    cert, key = certs[who]
    env = dict(os.environ, RSYNC_CONNECT_PROG='socat - OPENSSL:127.0.0.1:%s,cert=%s,key=%s,cafile=%s,verify=1,'
               'commonname=node1.example' % (port, cert, key, ca))
    return subprocess.run(['rsync', '--recursive', str(src), 'rsync://127.0.0.1/rsync_sst/'], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def _donor_script(script_dir, tmp_path, pki, who, port):
    """The real script as donor (IST: it sends the magic file that ends the joiner's wait)."""
    d, dummy = script_dir
    ca, certs = pki
    ddata = tmp_path / ('donor-' + who)
    ddata.mkdir()
    env = dict(os.environ, T_HOST='127.0.0.1', T_PORT=port, T_DATA=str(ddata), T_CA=ca, T_CERT=certs[who][0],
               T_KEY=certs[who][1])
    return subprocess.run(['bash', str(d / 'wsrep_sst_rsync_tunnel')], env=env, capture_output=True, text=True,
                          timeout=90, check=False)


def _payload(tmp_path):
    src = tmp_path / 'evil'
    src.mkdir()
    (src / 't1.ibd').write_text('rows of the donor\n')
    return src


def test_a_certificate_of_the_ca_for_a_host_outside_the_cluster_writes_nothing(script_dir, tmp_path, pki):
    joiner = Joiner(script_dir, tmp_path, pki, 'gcomm://node1.example,node2.example:4567?pc.wait_prim=no')
    try:
        joiner.wait_ready()
        before = _files(joiner.data)
        up = _upload(pki, 'rogue', joiner.port, _payload(tmp_path))
        donor_run = _donor_script(script_dir, tmp_path, pki, 'rogue', joiner.port)
        after = _files(joiner.data)
        assert not (joiner.data / 'evil').exists(), 'a donor outside the cluster wrote into the joiner:\n' + up.stderr
        assert not (joiner.data / 'rsync_sst_complete').exists()
        assert after == before, (before, after)
        assert up.returncode != 0 and donor_run.returncode != 0, (up.stderr, donor_run.stderr)
        assert joiner.proc.poll() is None, 'the joiner must keep waiting for the real donor'
        err = joiner.stderr()
        assert "refusing the donor at 127.0.0.1: its certificate (CN 'rogue.invalid'" in err, err
    finally:
        joiner.close()


@pytest.mark.parametrize('cluster, mysqld, who', [
    # the collection's layout: wsrep_cluster_address holds the inventory names the certificates carry
    ('gcomm://node1.example,Node2.Example:4567', '', 'node2'),
    # the cluster address by IP, the certificate with that IP
    ('gcomm://10.255.0.1,127.0.0.1:4567', '', 'node2-ip'),
    # the cluster address by a name that resolves to the certificate's IP (short name against FQDN)
    ('gcomm://node1.example,localhost', '', 'node2-ip'),
    # the cluster address by IP, the certificate with a name that resolves to it
    ('gcomm://10.255.0.1,[::2]:4567,127.0.0.1', '', 'localhost'),
    # a server argument wins over the option files
    ('gcomm://10.255.0.1', "'--wsrep_cluster_address=gcomm://node1.example,node2.example' '--port=3306'", 'node2'),
])
def test_control_a_node_of_the_cluster_address_is_taken_as_donor(script_dir, tmp_path, pki, cluster, mysqld, who):
    joiner = Joiner(script_dir, tmp_path, pki, cluster, mysqld)
    try:
        joiner.wait_ready()
        up = _upload(pki, who, joiner.port, _payload(tmp_path))
        assert up.returncode == 0, up.stderr + joiner.stderr()
        assert (joiner.data / 'evil' / 't1.ibd').read_text() == 'rows of the donor\n'
        donor_run = _donor_script(script_dir, tmp_path, pki, who, joiner.port)
        assert donor_run.returncode == 0, donor_run.stderr + joiner.stderr()
        rc, out = joiner.finish()
        assert rc == 0, joiner.stderr()
        assert out.strip().endswith('00000000-0000-0000-0000-000000000000:-1 0'), out
        assert 'is cluster node' in joiner.stderr()
    finally:
        joiner.close()


def test_a_joiner_without_a_cluster_address_takes_no_donor(script_dir, tmp_path, pki):
    joiner = Joiner(script_dir, tmp_path, pki, 'gcomm://')
    rc, out = joiner.finish()
    assert rc != 0 and 'ready' not in out
    assert 'names no node; refusing every donor' in joiner.stderr()
