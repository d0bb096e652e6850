# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key files of file_key_management: what OpenSSL's `enc` (the format the MariaDB knowledge base and the plugin's
parser use) makes and reads, both ways, and plans that keep every key that data may still use."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import shutil
import subprocess

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import at_rest_keys as K

OPENSSL = shutil.which('openssl')
KEYS = {1: '00' * 32, 2: 'ab' * 16}


def test_render_and_parse_round_trip():
    assert K.parse(K.render(KEYS)) == KEYS
    assert K.parse('# comment\n\n1;' + 'AB' * 32 + '\n') == {1: 'ab' * 32}


@pytest.mark.parametrize('text,why', [
    ('1;zz\n', 'is not "<id>;<hex key>"'),
    ('1;' + 'a' * 30 + '\n', '120 bits'),
    ('0;' + 'a' * 32 + '\n', 'key id 0'),
    ('1;' + 'a' * 32 + '\n1;' + 'b' * 32 + '\n', 'appears twice'),
    ('2;' + 'a' * 32 + '\n', 'no key with id 1'),
])
def test_parse_refuses_what_the_plugin_would(text, why):
    with pytest.raises(K.KeyFileError, match=why):
        K.parse(text)


def test_bytes_to_key_matches_openssl():
    if not OPENSSL:
        pytest.skip('openssl not installed')
    out = subprocess.run([OPENSSL, 'enc', '-aes-256-cbc', '-md', 'sha1', '-pass', 'pass:secret', '-S', '0102030405060708',
                          '-P'], capture_output=True, text=True, check=True).stdout
    fields = dict((k.strip(), v.strip()[:64]) for k, v in (line.split('=', 1) for line in out.splitlines() if '=' in line))
    fields['iv'] = fields['iv'][:32]
    key, iv = K.bytes_to_key(b'secret', bytes.fromhex('0102030405060708'))
    assert (key.hex().upper(), iv.hex().upper()) == (fields['key'], fields['iv'])


def test_openssl_decrypts_what_we_encrypt_and_we_decrypt_what_it_encrypts(tmp_path):
    if not OPENSSL:
        pytest.skip('openssl not installed')
    (tmp_path / 'filekey').write_bytes(b'a-file-key\n')
    (tmp_path / 'ours.enc').write_bytes(K.encrypt(K.render(KEYS).encode(), b'a-file-key'))
    plain = subprocess.run([OPENSSL, 'enc', '-d', '-aes-256-cbc', '-md', 'sha1', '-pass', 'file:%s' % (tmp_path / 'filekey'),
                            '-in', str(tmp_path / 'ours.enc')], capture_output=True, check=True).stdout
    assert plain.decode() == K.render(KEYS)
    (tmp_path / 'keys.txt').write_text(K.render(KEYS))
    subprocess.run([OPENSSL, 'enc', '-aes-256-cbc', '-md', 'sha1', '-pass', 'file:%s' % (tmp_path / 'filekey'),
                    '-in', str(tmp_path / 'keys.txt'), '-out', str(tmp_path / 'theirs.enc')], check=True)
    assert K.parse(K.decrypt((tmp_path / 'theirs.enc').read_bytes(), K.read_secret(b'a-file-key\n'))) == KEYS


def test_a_wrong_file_key_is_refused():
    blob = K.encrypt(K.render(KEYS).encode(), b'right')
    # CBC padding catches a wrong key almost always; the text check catches the rest.
    with pytest.raises(K.KeyFileError):
        K.parse(K.decrypt(blob, b'wrong'))
    with pytest.raises(K.KeyFileError, match='Salted__'):
        K.decrypt(b'1;' + b'a' * 64, b'right')


def test_plan_adds_new_ids_keeps_existing_values_and_retires():
    rand = iter([b'\x11' * 32, b'\x22' * 32]).__next__
    keys, added, removed = K.plan({1: 'aa' * 32}, [1, 2], [], 256, lambda n: rand()[:n])
    assert keys == {1: 'aa' * 32, 2: '11' * 32} and added == [2] and removed == []
    keys, added, removed = K.plan(keys, [2], [3], 256)
    assert added == [] and removed == [] and keys[1] == 'aa' * 32
    keys, added, removed = K.plan({1: 'aa' * 32, 2: 'bb' * 32, 3: 'cc' * 32}, [3], [2], 256)
    assert sorted(keys) == [1, 3] and removed == [2]


@pytest.mark.parametrize('want,retire,bits,why', [
    ([2], [1], 256, 'key id 1 cannot be retired'),
    ([2], [2], 256, 'both wanted and retired'),
    ([2], [], 100, 'key_bits'),
    ([2 ** 32], [], 256, 'not between'),
])
def test_plan_refuses(want, retire, bits, why):
    with pytest.raises(K.KeyFileError, match=why):
        K.plan({}, want, retire, bits)


def test_fingerprint_tells_sets_apart_and_hides_keys():
    assert K.fingerprint(KEYS) == K.fingerprint(dict(KEYS))
    assert K.fingerprint(KEYS) != K.fingerprint({1: KEYS[1]})
    assert KEYS[1] not in K.fingerprint(KEYS) and KEYS[2] not in K.fingerprint(KEYS)


def _write(path, data, mode):
    with open(path, 'wb') as fh:
        fh.write(data)
    import os
    os.chmod(path, mode)


def test_ensure_makes_keeps_and_rotates(tmp_path):
    import os
    first = K.ensure(str(tmp_path), [1], [], 256, False, _write)
    assert first['changed'] and first['key_ids'] == [1] and first['added'] == [1]
    assert oct(os.stat(tmp_path / 'keys.enc').st_mode & 0o777) == '0o600'
    assert oct(os.stat(tmp_path / 'filekey').st_mode & 0o777) == '0o600'
    blob, secret = (tmp_path / 'keys.enc').read_bytes(), (tmp_path / 'filekey').read_bytes()
    again = K.ensure(str(tmp_path), [1], [], 256, False, _write)
    assert not again['changed'] and again['fingerprint'] == first['fingerprint']
    assert (tmp_path / 'keys.enc').read_bytes() == blob
    # check mode: says what it would add and writes nothing
    would = K.ensure(str(tmp_path), [1, 2], [], 256, True, _write)
    assert would['changed'] and would['added'] == [2] and (tmp_path / 'keys.enc').read_bytes() == blob
    rotated = K.ensure(str(tmp_path), [1, 2], [], 256, False, _write)
    keys = K.parse(K.decrypt((tmp_path / 'keys.enc').read_bytes(), K.read_secret(secret)))
    assert sorted(keys) == [1, 2] and rotated['fingerprint'] != first['fingerprint']
    assert (tmp_path / 'filekey').read_bytes() == secret, 'the file key must never change'
    assert str(keys[1]) not in repr(rotated) and str(keys[2]) not in repr(rotated)
    retired = K.ensure(str(tmp_path), [2], [], 256, False, _write)
    assert retired['key_ids'] == [1, 2]


def test_ensure_refuses_a_key_file_without_its_file_key(tmp_path):
    K.ensure(str(tmp_path), [1], [], 256, False, _write)
    (tmp_path / 'filekey').unlink()
    with pytest.raises(K.KeyFileError, match='without its file key'):
        K.ensure(str(tmp_path), [1], [], 256, False, _write)
    (tmp_path / 'filekey').write_bytes(b'another\n')
    with pytest.raises(K.KeyFileError, match='does not decrypt'):
        K.ensure(str(tmp_path), [1], [], 256, False, _write)
