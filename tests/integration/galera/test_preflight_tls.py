# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's certificate pre-flight (preflight_tls, its rules in module_utils/galera/tls_channels.py) run as a
product role runs it, on three local hosts with real files: a client CA that is the cluster CA is refused (control:
a separate client CA passes, and shared_ca accepts it), nodes that trust different CAs are refused naming them, and
the refusal on one host stops every host."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import getpass
import os
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402  -- collections_path()

VENV_BIN = os.path.dirname(sys.executable)
HOSTS = ('db1', 'db2', 'db3')


def openssl(*args):
    subprocess.run(['openssl'] + list(args), check=True, capture_output=True)


def ca(d, name):
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '800',
            '-subj', '/CN=%s' % name, '-keyout', str(d / (name + '-key.pem')), '-out', str(d / (name + '.pem')),
            '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')


def leaf(d, name, issuer, cn):
    key, csr, ext = d / (name + '-key.pem'), d / (name + '.csr'), d / (name + '.ext')
    ext.write_text('subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\n' % cn)
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=%s' % cn,
            '-keyout', str(key), '-out', str(csr))
    openssl('x509', '-req', '-in', str(csr), '-CA', str(d / (issuer + '.pem')), '-CAkey', str(d / (issuer + '-key.pem')),
            '-CAcreateserial', '-days', '400', '-extfile', str(ext), '-out', str(d / (name + '.pem')))
    os.chmod(str(key), 0o600)


def run(tmp_path, client_ca, cluster_ca_of=None, allow_insecure=()):
    d = tmp_path / 'certs'
    d.mkdir(parents=True)
    for name in ('ca', 'client-ca', 'other-ca'):
        ca(d, name)
    host_vars = {}
    for h in HOSTS:
        cluster_ca = (cluster_ca_of or {}).get(h, 'ca')
        leaf(d, h + '-server', cluster_ca, 'localhost')
        leaf(d, h + '-client', client_ca, 'localhost')
        channels = [{'name': 'galera', 'ca': str(d / (cluster_ca + '.pem')), 'cert': str(d / (h + '-server.pem')),
                     'key': str(d / (h + '-server-key.pem'))},
                    {'name': 'client', 'ca': str(d / (client_ca + '.pem')), 'cert': str(d / (h + '-client.pem')),
                     'key': str(d / (h + '-client-key.pem')), 'names': [], 'separate_from': 'galera'}]
        host_vars[h] = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                        'galera_engine': {'flavor': 'mariadb', 'cluster_hosts': list(HOSTS), 'node_address': 'localhost',
                                          'user': getpass.getuser(), 'tls_channels': channels,
                                          'allow_insecure': list(allow_insecure)}}
    inv = tmp_path / 'inventory.yml'
    inv.write_text(yaml.safe_dump({'all': {'hosts': host_vars}}))
    play = tmp_path / 'play.yml'
    play.write_text(yaml.safe_dump([{
        'name': 'preflight_tls', 'hosts': 'all', 'gather_facts': False,
        'tasks': [{'name': 'Certificates', 'ansible.builtin.include_role': {
            'name': 'clustersec.mysql.galera', 'tasks_from': 'preflight_tls'}},
            {'name': 'Next step', 'ansible.builtin.debug': {'msg': 'next step on {{ inventory_hostname }}'}}]}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False')
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv), str(play)], env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def test_client_ca_that_is_the_cluster_ca_is_refused(tmp_path):
    rc, out = run(tmp_path, 'ca')
    assert rc != 0
    assert ('db1: client: CA %s is the galera CA, so every client certificate is a cluster peer; '
            "add 'shared_ca' to the role's allow_insecure list to accept that; no node was changed"
            % (tmp_path / 'certs' / 'ca.pem')) in out, out[-3000:]
    assert 'next step on' not in out


def test_control_a_separate_client_ca_passes_and_shared_ca_accepts_one(tmp_path):
    rc, out = run(tmp_path / 'a', 'client-ca')
    assert rc == 0 and 'next step on db3' in out, out[-3000:]
    rc, out = run(tmp_path / 'b', 'ca', allow_insecure=['shared_ca'])
    assert rc == 0, out[-3000:]


def test_nodes_that_trust_different_cluster_cas_are_refused_everywhere(tmp_path):
    rc, out = run(tmp_path, 'client-ca', cluster_ca_of={'db3': 'other-ca'})
    assert rc != 0
    assert 'the nodes do not share one CA: galera: db1, db2 / db3' in out, out[-3000:]
    assert 'next step on' not in out
