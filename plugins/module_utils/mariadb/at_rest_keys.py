# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key files of MariaDB's file_key_management plugin: the plain format, its encryption, and key id plans.

The plain file has one key per line, `<id>;<hex key>` (ids are positive 32-bit integers, keys 128, 192 or 256 bits).
The plugin reads an encrypted file when file_key_management_filekey is set: OpenSSL's `enc` format, the header
"Salted__" and an 8-byte salt, then AES-256-CBC with key and IV from EVP_BytesToKey(SHA-1, one iteration) of the
file key (what `openssl enc -aes-256-cbc -md sha1 -pass ...` writes; MariaDB's plugin/file_key_management/parser.cc).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import hashlib
import os
import re

try:
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

MAGIC = b'Salted__'
KEY_HEX_LENGTHS = (32, 48, 64)
MAX_KEY_ID = 2 ** 32 - 1
# Earlier key files, kept beside the current one: a retired key still decrypts backups made while it was in use, and
# the key_guard pre-flight knows a node's key file from them (a run that stopped before reaching every node).
ARCHIVE = 'retired'
_LINE = re.compile(r'^\s*(\d+)\s*;\s*([0-9a-fA-F]+)\s*$')


class KeyFileError(Exception):
    """A key file or file key that the plugin would refuse, or a plan that would break the server."""


def parse(text):
    """{id: hex key} of a plain key file; comments (#) and blank lines are skipped, as the plugin does."""
    keys = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        m = _LINE.match(line)
        if not m:
            raise KeyFileError('line %d is not "<id>;<hex key>"' % number)
        key_id, key = int(m.group(1)), m.group(2).lower()
        if not 0 < key_id <= MAX_KEY_ID:
            raise KeyFileError('line %d: key id %d is not between 1 and %d' % (number, key_id, MAX_KEY_ID))
        if len(key) not in KEY_HEX_LENGTHS:
            raise KeyFileError('line %d: key %d is %d bits; 128, 192 or 256 are accepted' % (number, key_id, len(key) * 4))
        if key_id in keys:
            raise KeyFileError('line %d: key id %d appears twice' % (number, key_id))
        keys[key_id] = key
    if 1 not in keys:
        # InnoDB's redo log, temporary files, binlogs and Aria use key 1 (innodb_default_encryption_key_id too).
        raise KeyFileError('no key with id 1 (the server encrypts its logs and temporary files with key 1)')
    return keys


def render(keys):
    return ''.join('%d;%s\n' % (key_id, keys[key_id]) for key_id in sorted(keys))


def bytes_to_key(secret, salt, key_len=32, iv_len=16):
    """OpenSSL's EVP_BytesToKey with SHA-1 and one iteration."""
    out, block = b'', b''
    while len(out) < key_len + iv_len:
        block = hashlib.sha1(block + secret + salt).digest()
        out += block
    return out[:key_len], out[key_len:key_len + iv_len]


def encrypt(plain, secret, salt=None):
    salt = os.urandom(8) if salt is None else salt
    key, iv = bytes_to_key(secret, salt)
    padder = padding.PKCS7(128).padder()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return MAGIC + salt + enc.update(padder.update(plain) + padder.finalize()) + enc.finalize()


def decrypt(blob, secret):
    if not blob.startswith(MAGIC) or len(blob) < 32 or (len(blob) - 16) % 16:
        raise KeyFileError('not an encrypted key file (no "Salted__" header, or truncated)')
    key, iv = bytes_to_key(secret, blob[8:16])
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = (unpadder.update(dec.update(blob[16:]) + dec.finalize()) + unpadder.finalize()).decode('ascii')
    except (ValueError, UnicodeDecodeError):
        plain = None
    # A wrong key passes the padding check about once in 256 tries; its output is not key lines.
    if plain is None or not all(_LINE.match(line) or not line.strip() or line.lstrip().startswith('#')
                                for line in plain.splitlines()):
        raise KeyFileError('the file key does not decrypt the key file')
    return plain


def read_secret(data):
    """The file key as the plugin reads it from FILE:<path>: up to the first line end."""
    secret = data.split(b'\n', 1)[0].split(b'\r', 1)[0]
    if not secret:
        raise KeyFileError('the file key is empty')
    return secret


def plan(existing, want_ids, retire_ids, key_bits, random_bytes=os.urandom):
    """The key set after adding missing ids and removing retired ones: (keys, added, removed).

    Existing keys are never changed: a key's value encrypts data on disk, so only new ids are made.
    """
    want, retire = set(want_ids), set(retire_ids)
    if 1 in retire:
        raise KeyFileError('key id 1 cannot be retired: the server encrypts its logs and temporary files with it')
    both = sorted(want & retire)
    if both:
        raise KeyFileError('key ids both wanted and retired: %s' % ', '.join(str(i) for i in both))
    if key_bits not in (128, 192, 256):
        raise KeyFileError('key_bits must be 128, 192 or 256')
    keys = dict(existing)
    added = sorted(i for i in want | {1} if i not in keys)
    for key_id in added:
        if not 0 < key_id <= MAX_KEY_ID:
            raise KeyFileError('key id %d is not between 1 and %d' % (key_id, MAX_KEY_ID))
        keys[key_id] = random_bytes(key_bits // 8).hex()
    removed = sorted(i for i in retire if i in keys)
    for key_id in removed:
        del keys[key_id]
    return keys, added, removed


def fingerprint(keys):
    """A value that is equal on two nodes exactly when their key sets are equal, safe to log: a hash of the whole
    set under a fixed label (never a hash of one key alone)."""
    return hashlib.sha256(b'clustersec.mysql key set\n' + render(keys).encode()).hexdigest()


def ensure(directory, want_ids, retire_ids, key_bits, check_mode, write_atomic, random_bytes=os.urandom):
    """Make or update <directory>/keys.enc and <directory>/filekey; return a result dict without key material.

    An existing file key is kept (every node must read the keys with it); keys.enc is rewritten only when ids are
    added or removed, atomically with mode 0600, after its previous version is copied to the archive (retired keys
    are never destroyed: older backups need them).
    """
    keyfile, filekey = os.path.join(directory, 'keys.enc'), os.path.join(directory, 'filekey')
    if not os.path.isdir(directory):
        raise KeyFileError('directory %s does not exist' % directory)
    have_key, have_file = os.path.exists(filekey), os.path.exists(keyfile)
    if have_file and not have_key:
        raise KeyFileError('%s exists without its file key %s: restore the file key from your backup; a new one '
                           'could not read the keys that encrypt the data' % (keyfile, filekey))
    secret = read_secret(open(filekey, 'rb').read()) if have_key else random_bytes(32).hex().encode()
    existing = parse(decrypt(open(keyfile, 'rb').read(), secret)) if have_file else {}
    keys, added, removed = plan(existing, want_ids, retire_ids, key_bits, random_bytes)
    changed = not have_key or bool(added or removed)
    archived = None
    if changed and not check_mode:
        if not have_key:
            write_atomic(filekey, secret + b'\n', 0o600)
        if have_file:
            archived = archive(directory, write_atomic)
        write_atomic(keyfile, encrypt(render(keys).encode(), secret), 0o600)
    elif changed and have_file:
        archived = os.path.join(directory, ARCHIVE, 'keys.enc.' + _stamp())
    return dict(changed=changed, key_ids=sorted(keys), added=added, removed=removed, fingerprint=fingerprint(keys),
                keyfile=keyfile, filekey=filekey, archived=archived)


def _stamp(now=None):
    return (now or datetime.datetime.now(datetime.timezone.utc)).strftime('%Y%m%dT%H%M%SZ')


def archive(directory, write_atomic, now=None):
    """Copy <directory>/keys.enc to <directory>/retired/keys.enc.<UTC stamp> (directory 0700, file 0600) before it is
    rewritten; it stays encrypted with the same file key. Returns the copy's path. Never overwrites an earlier copy."""
    target_dir = os.path.join(directory, ARCHIVE)
    if not os.path.isdir(target_dir):
        os.mkdir(target_dir, 0o700)
    with open(os.path.join(directory, 'keys.enc'), 'rb') as handle:
        data = handle.read()
    base = os.path.join(target_dir, 'keys.enc.' + _stamp(now))
    path, n = base, 0
    while os.path.exists(path):
        n += 1
        path = '%s.%d' % (base, n)
    write_atomic(path, data, 0o600)
    return path
