# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keys are never replaced silently (issue 28 row 4): the rules that compare a node's key files and certificates
with the controller's pki_dir, what a node reports (hashes, never key bytes) and the root-only backup."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import os
import stat

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import at_rest_keys as K
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import key_guard as G
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X


def _write(path, data, mode):
    with open(path, 'wb') as fh:
        fh.write(data)
    os.chmod(path, mode)


def _ca(cn):
    key = X.generate_key('ecdsa', curve='P-256')
    return X.create_ca(key, {'common_name': cn}, 30), key


def _leaf(ca, ca_key, cn='db1'):
    key = X.generate_key('ecdsa', curve='P-256')
    return X.issue_cert(ca, ca_key, key, {'common_name': cn, 'dns': [cn], 'ips': []}, 10)


def _node(tmp_path, ca, leaf, at_rest=None):
    """A node directory with ca.pem, server-cert.pem, server-key.pem and, given a controller at-rest dir, its files."""
    d = tmp_path / 'node'
    d.mkdir(exist_ok=True)
    (d / 'ca.pem').write_bytes(X.cert_pem(ca))
    (d / 'server-cert.pem').write_bytes(X.cert_pem(leaf))
    (d / 'server-key.pem').write_bytes(b'-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n')
    if at_rest:
        (d / 'at-rest').mkdir(exist_ok=True)
        for name in ('keys.enc', 'filekey'):
            (d / 'at-rest' / name).write_bytes((at_rest / name).read_bytes())
    return G.node_facts([str(d / 'ca.pem'), str(d / 'server-cert.pem')], [str(d / 'server-key.pem')],
                        str(d / 'at-rest'))


@pytest.fixture
def controller(tmp_path):
    at_rest = tmp_path / 'pki' / 'at-rest'
    at_rest.mkdir(parents=True)
    K.ensure(str(at_rest), [1, 2], [], 256, False, _write)
    ca, ca_key = _ca('controller CA')
    return dict(at_rest=at_rest, ca=ca, ca_key=ca_key)


def test_control_a_node_of_this_pki_dir_passes(tmp_path, controller):
    node = _node(tmp_path, controller['ca'], _leaf(controller['ca'], controller['ca_key']), controller['at_rest'])
    out = G.decide({'db1': node}, [controller['ca']], G.controller_at_rest(str(controller['at_rest'])), '/pki')
    assert out['problems'] == [] and out['backup'] == {'db1': []}
    assert len(out['at_rest_files']['db1']) == 2


def test_node_facts_carry_hashes_never_key_bytes(tmp_path, controller):
    node = _node(tmp_path, controller['ca'], _leaf(controller['ca'], controller['ca_key']), controller['at_rest'])
    secret = (controller['at_rest'] / 'filekey').read_bytes().strip().decode()
    assert secret not in repr(node) and 'secret' not in repr(node['keys'])
    assert node['at_rest']['filekey']['sha256'] == hashlib.sha256((controller['at_rest'] / 'filekey').read_bytes()).hexdigest()
    assert 'BEGIN CERTIFICATE' in node['certs'][str(tmp_path / 'node' / 'ca.pem')]['pem']


def test_lost_pki_dir_is_refused_naming_host_file_and_fingerprint(tmp_path, controller):
    """The row-4 case: pki_dir (or its at-rest directory) moved away; the old code made new keys and a new CA."""
    node = _node(tmp_path, controller['ca'], _leaf(controller['ca'], controller['ca_key']), controller['at_rest'])
    empty = tmp_path / 'empty' / 'at-rest'
    empty.mkdir(parents=True)
    out = G.decide({'db1': node}, [], G.controller_at_rest(str(empty)), '/lost/pki')
    text = '\n'.join(out['problems'])
    for name in ('ca.pem', 'server-cert.pem', 'at-rest/keys.enc', 'at-rest/filekey'):
        path = str(tmp_path / 'node' / name)
        digest = hashlib.sha256(open(path, 'rb').read()).hexdigest()
        assert 'db1: %s (sha256 %s)' % (path, digest) in text, text
    assert 'a run would make a new CA' in text and 'a run would make new keys' in text
    # the refused certificate's key is backed up with it
    assert str(tmp_path / 'node' / 'server-key.pem') in out['backup']['db1']


def test_only_the_file_key_kept_is_refused(tmp_path, controller):
    node = _node(tmp_path, controller['ca'], _leaf(controller['ca'], controller['ca_key']), controller['at_rest'])
    (controller['at_rest'] / 'keys.enc').unlink()
    out = G.decide({'db1': node}, [controller['ca']], G.controller_at_rest(str(controller['at_rest'])), '/pki')
    assert len(out['problems']) == 1 and 'keys.enc (sha256' in out['problems'][0] and 'new keys' in out['problems'][0]


def test_new_file_key_and_key_file_are_refused(tmp_path, controller):
    node = _node(tmp_path, controller['ca'], _leaf(controller['ca'], controller['ca_key']), controller['at_rest'])
    other = tmp_path / 'other'
    other.mkdir()
    K.ensure(str(other), [1, 2], [], 256, False, _write)
    out = G.decide({'db1': node}, [controller['ca']], G.controller_at_rest(str(other)), '/pki')
    assert [p.split(' (sha256')[0].rsplit('/', 1)[-1] for p in out['problems']] == ['filekey', 'keys.enc']
    assert 'differs from /pki/at-rest/filekey' in out['problems'][0]


def test_an_earlier_key_file_of_the_archive_passes_and_is_backed_up(tmp_path, controller):
    """A run that stopped between the controller's key change and the nodes': the node's key file is an earlier
    version, kept in at-rest/retired (row 11), so it is no foreign key file; it is copied before the change."""
    node = _node(tmp_path, controller['ca'], _leaf(controller['ca'], controller['ca_key']), controller['at_rest'])
    result = K.ensure(str(controller['at_rest']), [1, 2, 3], [], 256, False, _write)
    assert result['archived'] and os.path.exists(result['archived'])
    out = G.decide({'db1': node}, [controller['ca']], G.controller_at_rest(str(controller['at_rest'])), '/pki')
    assert out['problems'] == []
    assert str(tmp_path / 'node' / 'at-rest' / 'keys.enc') in out['backup']['db1']
    # control: without the archive the same node is refused
    os.unlink(result['archived'])
    out = G.decide({'db1': node}, [controller['ca']], G.controller_at_rest(str(controller['at_rest'])), '/pki')
    assert len(out['problems']) == 1 and 'earlier versions' in out['problems'][0]


def test_retired_keys_stay_in_the_archive(tmp_path):
    """Row 11: retiring a key rewrites keys.enc; the previous file (which holds the retired key) is kept, 0600 in a
    0700 directory, still readable with the file key."""
    K.ensure(str(tmp_path), [1, 2], [], 256, False, _write)
    secret = K.read_secret((tmp_path / 'filekey').read_bytes())
    before = K.parse(K.decrypt((tmp_path / 'keys.enc').read_bytes(), secret))
    out = K.ensure(str(tmp_path), [1], [2], 256, False, _write)
    assert out['removed'] == [2]
    archived = out['archived']
    assert K.parse(K.decrypt(open(archived, 'rb').read(), secret))[2] == before[2]
    assert stat.S_IMODE(os.stat(archived).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(archived)).st_mode) == 0o700
    # check mode archives nothing; an unchanged set archives nothing
    assert K.ensure(str(tmp_path), [1, 5], [], 256, True, _write)['archived']
    assert len(os.listdir(os.path.dirname(archived))) == 1
    assert K.ensure(str(tmp_path), [1], [], 256, False, _write)['archived'] is None


def test_archive_never_overwrites(tmp_path):
    K.ensure(str(tmp_path), [1], [], 256, False, _write)
    import datetime
    now = datetime.datetime(2025, 3, 1, tzinfo=datetime.timezone.utc)
    first, second = K.archive(str(tmp_path), _write, now), K.archive(str(tmp_path), _write, now)
    assert first != second and os.path.exists(first) and second.endswith('.1')


def test_certificate_of_another_ca_is_refused_and_the_staged_next_ca_accepted(tmp_path, controller):
    other, other_key = _ca('someone else')
    node = _node(tmp_path, controller['ca'], _leaf(other, other_key))
    out = G.decide({'db1': node}, [controller['ca']], None, '/pki')
    assert len(out['problems']) == 1 and "issued by 'CN=someone else'" in out['problems'][0]
    assert 'server-cert.pem (sha256 ' in out['problems'][0]
    # a rotation under way: the leaf comes from the staged next CA
    out = G.decide({'db1': node}, [controller['ca'], other], None, '/pki')
    assert out['problems'] == []


def test_trust_file_holding_another_ca_is_refused(tmp_path, controller):
    other, other_key = _ca('someone else')
    node = _node(tmp_path, other, _leaf(controller['ca'], controller['ca_key']))
    out = G.decide({'db1': node}, [controller['ca']], None, '/pki')
    assert len(out['problems']) == 1 and "ca.pem" in out['problems'][0] and "trusts 'CN=someone else'" in out['problems'][0]


def test_a_fresh_node_passes_with_an_empty_pki_dir(tmp_path):
    empty = tmp_path / 'at-rest'
    empty.mkdir()
    facts = G.node_facts([str(tmp_path / 'n' / 'ca.pem')], [], str(tmp_path / 'n' / 'at-rest'))
    assert G.decide({'db1': facts}, [], G.controller_at_rest(str(empty)), '/pki')['problems'] == []


def test_node_facts_refuse_a_symlink(tmp_path):
    target = tmp_path / 'shadow'
    target.write_text('root:secret\n')
    os.symlink(str(target), str(tmp_path / 'ca.pem'))
    with pytest.raises(G.KeyGuardError, match='symbolic link'):
        G.node_facts([str(tmp_path / 'ca.pem')])


def test_backup_is_dated_root_only_and_byte_identical(tmp_path):
    src = tmp_path / 'certs'
    src.mkdir()
    (src / 'keys.enc').write_bytes(b'Salted__12345678' + b'x' * 32)
    (src / 'filekey').write_bytes(b'abc\n')
    root = tmp_path / 'backups'
    directory, copied = G.backup([str(src / 'keys.enc'), str(src / 'filekey'), str(src / 'missing')], str(root))
    assert copied == [str(src / 'keys.enc'), str(src / 'filekey')]
    assert stat.S_IMODE(os.stat(str(root)).st_mode) == 0o700 and stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    for path in copied:
        kept = os.path.join(directory, G.backup_name(path))
        assert open(kept, 'rb').read() == open(path, 'rb').read()
        assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    again, dummy = G.backup([str(src / 'filekey')], str(root), when=None)
    assert again != directory or len(os.listdir(directory)) == 2
    # check mode: names the directory, writes nothing
    before = sorted(os.listdir(str(root)))
    G.backup([str(src / 'filekey')], str(root), check_mode=True)
    assert sorted(os.listdir(str(root))) == before


def test_backup_refuses_a_planted_symlink_as_its_directory(tmp_path):
    os.symlink(str(tmp_path), str(tmp_path / 'backups'))
    (tmp_path / 'f').write_bytes(b'x')
    with pytest.raises(G.KeyGuardError, match='not a directory'):
        G.backup([str(tmp_path / 'f')], str(tmp_path / 'backups'))
