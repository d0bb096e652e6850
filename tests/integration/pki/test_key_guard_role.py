# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 28 row 4 on local hosts (connection local, node files under a temporary directory): the pki role with
data-at-rest keys, then pki_dir lost. The old role made a new CA and new keys and put them over the nodes' (exit 0);
now it stops before anything is written, naming host, file and SHA-256, and every node file stays byte-identical.
With pki_replace_node_keys the replacement happens on purpose and each node keeps a dated root-only copy."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import os
import shutil
import stat
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_pki_role  # noqa: E402  -- run(): the pki role on local hosts

SETTINGS = {'pki_at_rest_keys': True, 'pki_at_rest_owner': 'root', 'pki_key_type': 'ecdsa', 'pki_ca_key_type': 'ecdsa'}


def run(tmp_path, extra=None):
    hosts = dict((h, {'pki_node_backup_dir': str(tmp_path / 'backup' / h)}) for h in ('db1', 'db2'))
    return test_pki_role.run(tmp_path, dict(SETTINGS, **(extra or {})), hosts=hosts)


def snapshot(root):
    return {os.path.relpath(os.path.join(d, f), str(root)): open(os.path.join(d, f), 'rb').read()
            for d, dummy, files in os.walk(str(root)) for f in files}


def test_lost_pki_dir_is_refused_and_every_node_file_stays(tmp_path):
    rc, out = run(tmp_path)
    assert rc == 0, out[-3000:]
    before = snapshot(tmp_path / 'remote')
    assert 'db1/at-rest/keys.enc' in before and 'db2/server-key.pem' in before
    # control: the same pki_dir again passes and changes nothing
    rc, out = run(tmp_path)
    assert rc == 0, out[-3000:]
    assert snapshot(tmp_path / 'remote') == before
    shutil.move(str(tmp_path / 'pki'), str(tmp_path / 'pki.moved-away'))
    rc, out = run(tmp_path)
    assert rc != 0, 'a lost pki_dir replaced the keys of every node: ' + out[-2000:]
    for host in ('db1', 'db2'):
        for name in ('at-rest/filekey', 'at-rest/keys.enc', 'server-cert.pem', 'ca.pem'):
            path = str(tmp_path / 'remote' / host / name)
            assert '%s: %s (sha256 %s)' % (host, path, hashlib.sha256(before[host + '/' + name]).hexdigest()) in out, out[-4000:]
    assert 'pki_replace_node_keys' in out and 'No node was changed' in out
    assert snapshot(tmp_path / 'remote') == before, 'a node file changed'
    assert not (tmp_path / 'pki' / 'ca.pem').exists() and not (tmp_path / 'pki' / 'at-rest' / 'filekey').exists()


def test_only_the_file_key_restored_is_refused(tmp_path):
    rc, out = run(tmp_path)
    assert rc == 0, out[-3000:]
    before = snapshot(tmp_path / 'remote')
    os.unlink(str(tmp_path / 'pki' / 'at-rest' / 'keys.enc'))
    rc, out = run(tmp_path)
    assert rc != 0 and 'at-rest/keys.enc (sha256 ' in out and 'would make new keys' in out, out[-3000:]
    assert snapshot(tmp_path / 'remote') == before


def test_replace_on_purpose_keeps_a_dated_root_only_copy(tmp_path):
    rc, out = run(tmp_path)
    assert rc == 0, out[-3000:]
    before = snapshot(tmp_path / 'remote')
    shutil.rmtree(str(tmp_path / 'pki'))
    rc, out = run(tmp_path, {'pki_replace_node_keys': True})
    assert rc == 0, out[-3000:]
    assert 'replacing on purpose' in out
    after = snapshot(tmp_path / 'remote')
    assert after['db1/at-rest/filekey'] != before['db1/at-rest/filekey']
    root = tmp_path / 'backup' / 'db1'
    assert stat.S_IMODE(os.stat(str(root)).st_mode) == 0o700
    (dated,) = os.listdir(str(root))
    kept = snapshot(root / dated)
    for name in ('at-rest/filekey', 'at-rest/keys.enc', 'server-cert.pem', 'server-key.pem', 'ca.pem'):
        flat = (str(tmp_path / 'remote' / 'db1' / name)).strip('/').replace('_', '__').replace('/', '_')
        assert kept[flat] == before['db1/' + name], name
        assert stat.S_IMODE(os.stat(str(root / dated / flat)).st_mode) == 0o600


def test_a_new_key_id_archives_the_key_file_and_copies_the_nodes(tmp_path):
    """Row 11 through the role: a key added on the controller keeps the previous key file in pki_dir/at-rest/retired
    and a copy of each node's before it is replaced."""
    rc, out = run(tmp_path)
    assert rc == 0, out[-3000:]
    before = snapshot(tmp_path / 'remote')
    rc, out = run(tmp_path, {'pki_at_rest_key_ids': [1, 2, 3]})
    assert rc == 0, out[-3000:]
    (archived,) = os.listdir(str(tmp_path / 'pki' / 'at-rest' / 'retired'))
    assert open(str(tmp_path / 'pki' / 'at-rest' / 'retired' / archived), 'rb').read() == before['db1/at-rest/keys.enc']
    (dated,) = os.listdir(str(tmp_path / 'backup' / 'db2'))
    assert before['db2/at-rest/keys.enc'] in snapshot(tmp_path / 'backup' / 'db2' / dated).values()


def test_revoked_node_is_in_the_crl_every_node_gets(tmp_path):
    """Row 14 through the role: pki_crl with a retired node in pki_revoked puts crl.pem on every node, and openssl
    refuses that node's client certificate with it; control: another node's passes."""
    import subprocess
    rc, out = run(tmp_path, {'pki_crl': True, 'pki_revoked': ['db2']})
    assert rc == 0, out[-3000:]
    crl = tmp_path / 'remote' / 'db1' / 'crl.pem'
    trust = tmp_path / 'trust.pem'
    trust.write_bytes((tmp_path / 'remote' / 'db1' / 'client-ca.pem').read_bytes() + crl.read_bytes())

    def verify(host):
        return subprocess.run(['openssl', 'verify', '-crl_check', '-CAfile', str(trust),
                               str(tmp_path / 'remote' / host / 'client-cert.pem')], capture_output=True, text=True, check=False)
    bad = verify('db2')
    assert bad.returncode != 0 and 'revoked' in bad.stdout + bad.stderr
    assert verify('db1').returncode == 0
    # a second run leaves the CRL as it is
    before = crl.read_bytes()
    rc, out = run(tmp_path, {'pki_crl': True, 'pki_revoked': ['db2']})
    assert rc == 0 and crl.read_bytes() == before, out[-3000:]
