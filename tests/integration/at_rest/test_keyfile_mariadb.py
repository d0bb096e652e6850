# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key file at_rest_keyfile writes, read by the real MariaDB 10.11 server of the node image (one container, no
network, a server started by hand without Galera): tables encrypted with its keys keep a marker out of their .ibd
file (control: the same marker is found in a table created with encryption off), and a wrong file key makes the
server refuse to start."""

from __future__ import (absolute_import, division, print_function)

import os
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
from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import at_rest_keys  # noqa: E402
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509 import write_atomic  # noqa: E402

IMAGE_FILE = os.path.join(harness.ROOT, '.build', 'node-image')
NAME = 'clustersec-at-rest-keys'
DATA = '/var/lib/mysql-at-rest'

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason='needs root (podman)'),
    pytest.mark.skipif(not shutil.which('podman') or not os.path.exists(IMAGE_FILE),
                       reason='needs podman and the node image (make image)'),
]


def sh(*args, check=True):
    proc = subprocess.run(['podman', 'exec', NAME] + list(args), capture_output=True, text=True, timeout=120, check=False)
    if check:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


def start_server(encrypt_tables):
    sh('sh', '-c', 'rm -f %s/err.log' % DATA)
    subprocess.run(['podman', 'exec', '-d', NAME, 'mariadbd', '--no-defaults', '--user=mysql', '--datadir=' + DATA,
                    '--socket=%s/s.sock' % DATA, '--skip-networking', '--log-error=%s/err.log' % DATA,
                    '--plugin-load-add=file_key_management', '--file-key-management-filename=/etc/at-rest/keys.enc',
                    '--file-key-management-filekey=FILE:/etc/at-rest/filekey',
                    '--file-key-management-encryption-algorithm=AES_CTR', '--innodb-encrypt-tables=' + encrypt_tables,
                    '--innodb-encrypt-log=ON'], check=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        if sh('mariadb', '--socket=%s/s.sock' % DATA, '-e', 'SELECT 1', check=False).returncode == 0:
            return True
        if sh('pgrep', '-x', 'mariadbd', check=False).returncode != 0:
            return False
        time.sleep(0.5)
    return False


def sql(query):
    return sh('mariadb', '--socket=%s/s.sock' % DATA, '-N', '-B', '-e', query).stdout.strip()


def stop_server():
    sh('mariadb-admin', '--socket=%s/s.sock' % DATA, 'shutdown', check=False)
    deadline = time.time() + 30
    while time.time() < deadline and sh('pgrep', '-x', 'mariadbd', check=False).returncode == 0:
        time.sleep(0.3)


@pytest.fixture(scope='module')
def node(tmp_path_factory):
    keys = tmp_path_factory.mktemp('keys')
    at_rest_keys.ensure(str(keys), [1, 2], [], 256, False, write_atomic)
    image = open(IMAGE_FILE).read().strip()
    subprocess.run(['podman', 'rm', '-f', NAME], capture_output=True, check=False)
    subprocess.run(['podman', 'run', '-d', '--name', NAME, '--network=none', image, 'sleep', 'infinity'],
                   capture_output=True, check=True)
    try:
        sh('install', '-d', '-m', '0500', '-o', 'mysql', '-g', 'mysql', '/etc/at-rest')
        for f in ('keys.enc', 'filekey'):
            subprocess.run(['podman', 'cp', str(keys / f), '%s:/etc/at-rest/%s' % (NAME, f)], check=True)
            sh('chown', 'mysql:mysql', '/etc/at-rest/' + f)
            sh('chmod', '0400', '/etc/at-rest/' + f)
        sh('mariadb-install-db', '--no-defaults', '--user=mysql', '--datadir=' + DATA, '--auth-root-authentication-method=socket')
        yield keys
    finally:
        subprocess.run(['podman', 'rm', '-f', '-t', '2', NAME], capture_output=True, check=False)


def marker_hits(path):
    return int(sh('sh', '-c', 'grep -a -c "$0" "$1" || true', MARKER, path).stdout.strip() or 0)


MARKER = 'at-rest-' + uuid.uuid4().hex


def test_mariadb_reads_the_key_file_and_keeps_the_marker_out_of_the_table_file(node):
    assert start_server('ON'), sh('cat', DATA + '/err.log', check=False).stdout[-2000:]
    try:
        sql("CREATE DATABASE d; CREATE TABLE d.enc (v VARCHAR(200)) ENCRYPTED=YES ENCRYPTION_KEY_ID=2; "
            "CREATE TABLE d.plain (v VARCHAR(200)) ENCRYPTED=NO; "
            f"INSERT INTO d.enc VALUES ('{MARKER}'); INSERT INTO d.plain VALUES ('{MARKER}'); "
            "FLUSH TABLES d.enc, d.plain FOR EXPORT; UNLOCK TABLES")
        assert sql('SELECT v FROM d.enc') == MARKER
        scheme = sql("SELECT NAME, ENCRYPTION_SCHEME, CURRENT_KEY_ID FROM information_schema.INNODB_TABLESPACES_ENCRYPTION "
                     "WHERE NAME = 'd/enc'")
        assert scheme.split('\t') == ['d/enc', '1', '2'], scheme
        assert marker_hits(DATA + '/d/enc.ibd') == 0
        # Control: the same search finds the marker where encryption was turned off for the table.
        assert marker_hits(DATA + '/d/plain.ibd') >= 1
    finally:
        stop_server()


def at_rest_status(*args):
    """The at_rest_status module run in the container (podman connection), as verify_encryption.yml runs it."""
    import json
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_STDOUT_CALLBACK='json')
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible'), 'all', '-i', NAME + ',', '-c',
                           'containers.podman.podman', '-e', 'ansible_python_interpreter=/usr/bin/python3',
                           '-m', 'clustersec.mysql.at_rest_status', '-a',
                           json.dumps(dict({'client': 'mariadb --socket=%s/s.sock' % DATA}, **dict(args)))],
                          env=env, capture_output=True, text=True, timeout=180, check=False)
    result = json.loads(proc.stdout)['plays'][0]['tasks'][0]['hosts'][NAME]
    assert not result.get('failed'), result
    return result['entry']


def test_the_report_entry_names_what_is_in_clear_and_the_key_files(node):
    # The tables of the test before: d.enc (key 2) and d.plain (ENCRYPTED=NO); the server has innodb_encrypt_tables ON
    # and none of the other settings the role writes.
    assert start_server('ON'), sh('cat', DATA + '/err.log', check=False).stdout[-2000:]
    try:
        e = at_rest_status()
        assert e['status'] == 'red'
        # No encryption threads on this server, so the tablespaces made by mariadb-install-db stay in clear too.
        assert 'd/plain' in e['unencrypted'] and 'd/enc' not in e['unencrypted'], e['unencrypted']
        assert e['unencrypted'].count('innodb_system') == 1, e['unencrypted']
        assert 2 in e['key_ids_in_use']
        assert 'encrypt_binlog is OFF' in e['findings']
        names = [f for f in e['findings'] if 'not encrypted:' in f]
        assert names and 'd/plain' in names[0] and 'd/enc' not in names[0]
        assert e['protocol'].startswith('ON, ')
        assert sorted((os.path.basename(k['path']), k['mode'], k['owner'], k['problem']) for k in e['key_files']) == [
            ('filekey', '0400', 'mysql', None), ('keys.enc', '0400', 'mysql', None)]
        # The opt-out makes innodb_encrypt_tables ON and the table in clear amber, not the settings that are off.
        e = at_rest_status(('accepted_risks', ['unencrypted_tables']))
        assert any('[accepted opt-out unencrypted_tables]' in f for f in e['findings']) and e['status'] == 'red'
        # Control for the key file check: a group-readable key file is red and named.
        sh('chmod', '0440', '/etc/at-rest/keys.enc')
        e = at_rest_status()
        assert any('keys.enc: mode 0440' in f for f in e['findings']), e['findings']
    finally:
        sh('chmod', '0400', '/etc/at-rest/keys.enc')
        stop_server()


def test_a_wrong_file_key_stops_the_server_from_starting(node):
    sh('sh', '-c', 'chmod 0600 /etc/at-rest/filekey && echo wrong-file-key > /etc/at-rest/filekey && chmod 0400 /etc/at-rest/filekey')
    assert not start_server('ON')
    log = sh('cat', DATA + '/err.log', check=False).stdout
    assert 'keys.enc' in log and ('Wrong key' in log or 'decrypt' in log.lower()), log[-2000:]
    stop_server()
