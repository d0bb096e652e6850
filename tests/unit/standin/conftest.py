# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the tests of the PXC stand-in (molecule/pxc/files): temporary certificates and stand-in servers
started as subprocesses on 127.0.0.1 with a temporary option file, their own socket, state directory and ports."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import atexit
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FILES = os.path.join(ROOT, 'molecule', 'pxc', 'files')
SERVER = os.path.join(FILES, 'pxc_standin_mysqld.py')
CLIENT = os.path.join(FILES, 'pxc_standin_client.py')


def _collection_importable():
    """`python -m pytest tests/unit/standin` from the checkout: make ansible_collections.clustersec.mysql importable
    (make unit stages it with PYTHONPATH already)."""
    try:
        __import__('ansible_collections.clustersec.mysql.plugins.module_utils.probes.tls_probe')
        return
    except ImportError:
        pass
    base = tempfile.mkdtemp(prefix='standin-collections-')
    atexit.register(shutil.rmtree, base, True)
    os.makedirs(os.path.join(base, 'ansible_collections', 'clustersec'))
    os.symlink(ROOT, os.path.join(base, 'ansible_collections', 'clustersec', 'mysql'))
    sys.path.insert(0, base)
    __import__('importlib').invalidate_caches()


_collection_importable()


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _sign(subject, issuer, pub, signer, ca=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer)).public_key(pub)
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName('localhost')]), critical=False)
    return builder.sign(signer, hashes.SHA256())


def write_pki(directory, tag):
    """A CA of its own and one node certificate it signed: {'ca', 'cert', 'key'} file paths."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _sign('%s CA' % tag, '%s CA' % tag, ca_key.public_key(), ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _sign('node-%s' % tag, '%s CA' % tag, key.public_key(), ca_key)
    paths = {}
    for name, data in (('ca', ca.public_bytes(serialization.Encoding.PEM)),
                       ('cert', cert.public_bytes(serialization.Encoding.PEM)),
                       ('key', key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))):
        path = os.path.join(directory, '%s-%s.pem' % (tag, name))
        with open(path, 'wb') as handle:
            handle.write(data)
        paths[name] = path
    return paths


@pytest.fixture(scope='session')
def pki(tmp_path_factory):
    """cluster (node certificates), client (client certificates), old/new pairs for the rotations."""
    tmp = str(tmp_path_factory.mktemp('standin-pki'))
    return dict((tag, write_pki(tmp, tag)) for tag in ('cluster', 'client', 'cluster_new', 'client_new'))


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class StandIn(object):
    """One stand-in server process; mysqld options go into [mysqld] of a temporary option file."""

    def __init__(self, mysqld, bootstrap=True, gcomm_port=None, join_timeout=5):
        self.base = tempfile.mkdtemp(prefix='sti')  # short: unix socket paths are limited to 108 bytes
        self.datadir = os.path.join(self.base, 'data')
        os.makedirs(self.datadir)
        self.port, self.gcomm_port = free_port(), gcomm_port or free_port()
        self.bootstrap = bootstrap
        provider = mysqld.pop('wsrep_provider_options', '')
        options = {'datadir': self.datadir, 'bind_address': '127.0.0.1', 'port': self.port,
                   'wsrep_provider': 'none', 'wsrep_cluster_address': 'gcomm://',
                   'wsrep_provider_options': '"gmcast.listen_addr=tcp://127.0.0.1:%d%s"'
                                             % (self.gcomm_port, '; ' + provider if provider else '')}
        options.update(mysqld)
        self.cnf = os.path.join(self.base, 'my.cnf')
        with open(self.cnf, 'w') as handle:
            handle.write('[mysqld]\n' + ''.join('%s = %s\n' % kv for kv in options.items()))
        self.env = dict(os.environ, PXC_STANDIN_SOCKET=os.path.join(self.base, 'mysqld.sock'),
                        PXC_STANDIN_STATE_DIR=os.path.join(self.base, 'state'), PYTHONUNBUFFERED='1',
                        PXC_STANDIN_JOIN_TIMEOUT=str(join_timeout))
        self.env.pop('NOTIFY_SOCKET', None)
        self.proc = None
        self.log = os.path.join(self.base, 'server.log')
        try:
            self.start()
        except BaseException:
            self.close()
            raise

    def start(self):
        try:
            self._start()
        except BaseException:
            if self.proc and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)
            raise

    def _start(self):
        with open(self.log, 'a') as log:
            self.proc = subprocess.Popen([sys.executable, SERVER, '--defaults-file=' + self.cnf]
                                         + (['--wsrep-new-cluster'] if self.bootstrap else []),
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT)
        ready = os.path.join(self.env['PXC_STANDIN_STATE_DIR'], 'server.json')
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with open(ready) as handle:
                    if json.load(handle)['pid'] == self.proc.pid:
                        return
            except (OSError, ValueError):  # not there yet, or being written
                pass
            if self.proc.poll() is not None:
                raise AssertionError('stand-in exited %s:\n%s' % (self.proc.returncode, self.output()))
            time.sleep(0.02)
        raise AssertionError('stand-in not ready:\n' + self.output())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)

    def restart(self):
        """A new process on the same option file and files: what a service restart does."""
        self.stop()
        self.start()

    def output(self):
        with open(self.log) as handle:
            return handle.read()

    def sql(self, statements, check=True):
        """The stand-in client, SQL on stdin: (rc, stdout, stderr)."""
        res = subprocess.run([sys.executable, CLIENT, '-N', '-B'], input=statements, env=self.env,
                             capture_output=True, text=True, timeout=10, check=False)
        if check:
            assert res.returncode == 0, res.stderr
        return res.returncode, res.stdout, res.stderr

    def close(self):
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def standin():
    """standin(**mysqld_options) -> a running StandIn, stopped after the test (_bootstrap=False: a joiner)."""
    made = []

    def make(_bootstrap=True, _gcomm_port=None, _join_timeout=5, **mysqld):
        server = StandIn(dict(mysqld), _bootstrap, _gcomm_port, _join_timeout)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def automatic(pki, **extra):
    """[mysqld] of the pxc role's automatic mode (its secure defaults), the cluster CA and node certificate."""
    opts = {'pxc-encrypt-cluster-traffic': 'ON', 'ssl-ca': pki['cluster']['ca'], 'ssl-cert': pki['cluster']['cert'],
            'ssl-key': pki['cluster']['key'], 'tls_version': 'TLSv1.2,TLSv1.3',
            'ssl_cipher': 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:'
                          'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305',
            'require_secure_transport': 'ON',
            'wsrep_provider_options': 'socket.ssl_cipher=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:'
                                      'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305'}
    opts.update(extra)
    return opts
