# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keys are never replaced silently: what a node already has (data-at-rest key file and file key, certificates) is
compared with the controller's pki_dir before anything is written, and what a run replaces is kept on the node.

A node's key files that the controller did not make (a lost, empty or wrong pki_dir: a new file key, a new key file, a
new CA) are refused, naming host, file and the SHA-256 of the node's file (never key bytes): the servers keep the old
keys in memory, so nothing fails at once, but the next restart or SST cannot read the data. The operator who means it
says so (pki_replace_node_keys); the files replaced are then copied to a dated root-only directory on the node.

Three parts, plain functions: node_facts (on the node, standard library only), problems (on the controller, which
has cryptography for the certificate signatures), backup (on the node).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import errno
import hashlib
import os
import re
import stat

AT_REST_FILES = ('keys.enc', 'filekey')
# A leaf certificate and the key that goes with it: a refused certificate is backed up with its key.
KEY_OF = {'server-cert.pem': 'server-key.pem', 'client-cert.pem': 'client-key.pem'}
_PEM_CERT = re.compile(r'-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----', re.S)
MAX_CERT_FILE = 1024 * 1024


class KeyGuardError(Exception):
    """A file that cannot be read or backed up safely."""


def _read_nofollow(path, limit=None):
    """Bytes of a regular file, or None when it does not exist. A symlink or a special file is an error: the
    directories hold files the server user may own, and root must not follow a path that user controls."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_NONBLOCK', 0))
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        if exc.errno == errno.ELOOP:
            raise KeyGuardError('%s is a symbolic link' % path)
        raise KeyGuardError('%s: %s' % (path, exc.strerror))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise KeyGuardError('%s is not a regular file' % path)
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if limit and size > limit:
                raise KeyGuardError('%s is larger than %d bytes' % (path, limit))
        return b''.join(chunks)
    finally:
        os.close(fd)


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def node_facts(certs=(), keys=(), at_rest_dir=None):
    """What a node has, without secrets: {'certs': {path: {sha256, pem}}, 'keys': {path: {sha256}},
    'at_rest': {name: {path, sha256}}}; missing files are left out. Certificates are public (their PEM travels);
    of key files only the SHA-256 of the file does."""
    out = {'certs': {}, 'keys': {}, 'at_rest': {}}
    for path in certs:
        data = _read_nofollow(path, MAX_CERT_FILE)
        if data is not None:
            text = data.decode('ascii', 'replace')
            out['certs'][path] = dict(sha256=sha256_of(data), pem=''.join(m + '\n' for m in _PEM_CERT.findall(text)))
    for path in keys:
        data = _read_nofollow(path)
        if data is not None:
            out['keys'][path] = dict(sha256=sha256_of(data))
    if at_rest_dir:
        for name in AT_REST_FILES:
            path = os.path.join(at_rest_dir, name)
            data = _read_nofollow(path)
            if data is not None:
                out['at_rest'][name] = dict(path=path, sha256=sha256_of(data))
    return out


# ---------------------------------------------------------------- controller: the rules

def controller_at_rest(directory, archive='retired'):
    """SHA-256 of the controller's file key and key file, and of every earlier key file kept in the archive (a node
    may still hold one when a run stopped between the controller's change and the nodes')."""
    def digest(path):
        try:
            with open(path, 'rb') as handle:
                return sha256_of(handle.read())
        except (IOError, OSError):
            return None
    state = dict(filekey=digest(os.path.join(directory, 'filekey')), keyfile=digest(os.path.join(directory, 'keys.enc')),
                 archived=[])
    archive_dir = os.path.join(directory, archive)
    if os.path.isdir(archive_dir):
        for name in sorted(os.listdir(archive_dir)):
            if name.startswith('keys.enc.'):
                value = digest(os.path.join(archive_dir, name))
                if value:
                    state['archived'].append(value)
    return state


def at_rest_problems(host, at_rest, controller, pki_dir):
    """Why the node's data-at-rest key files must not be replaced by the controller's: [(path, sha256, why)]."""
    out = []
    filekey, keyfile = at_rest.get('filekey'), at_rest.get('keys.enc')
    if filekey:
        if controller.get('filekey') is None:
            out.append((filekey['path'], filekey['sha256'], '%s/at-rest/filekey does not exist: a run would make a new '
                        'file key that cannot read the keys the data is encrypted with' % pki_dir))
        elif filekey['sha256'] != controller['filekey']:
            out.append((filekey['path'], filekey['sha256'], 'differs from %s/at-rest/filekey (sha256 %s): this '
                        'pki_dir did not make the keys the node reads' % (pki_dir, controller['filekey'])))
    if keyfile:
        known = [k for k in [controller.get('keyfile')] + list(controller.get('archived') or []) if k]
        if controller.get('keyfile') is None:
            out.append((keyfile['path'], keyfile['sha256'], '%s/at-rest/keys.enc does not exist: a run would make new '
                        'keys and the data encrypted with the node\'s could never be read again' % pki_dir))
        elif keyfile['sha256'] not in known:
            out.append((keyfile['path'], keyfile['sha256'], 'is neither %s/at-rest/keys.enc (sha256 %s) nor one of its '
                        'earlier versions in %s/at-rest/retired' % (pki_dir, controller['keyfile'], pki_dir)))
    return out


def _load_certs(pem):
    from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509 import parse_pem_certs
    try:
        return parse_pem_certs(pem.encode('ascii') if not isinstance(pem, bytes) else pem)
    except ValueError:
        return []


def cert_problems(host, certs, cas, pki_dir):
    """Why the node's certificates must not be replaced: [(path, sha256, why)]. cas: the controller's CA
    certificates (current, and a staged next one), cryptography objects. A trust file (ca.pem, client-ca.pem) must
    hold only those CAs; a leaf must be signed by one of them."""
    from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_checks import signed_by
    from cryptography.hazmat.primitives import hashes
    out = []
    known = set(ca.fingerprint(hashes.SHA256()) for ca in cas)
    for path in sorted(certs):
        fact = certs[path]
        parsed = _load_certs(fact.get('pem') or '')
        if not parsed:
            out.append((path, fact['sha256'], 'holds no certificate this run could check'))
            continue
        if not cas:
            out.append((path, fact['sha256'], '%s holds no CA: a run would make a new CA and replace the certificates '
                        'the cluster trusts (issued by %s)' % (pki_dir, parsed[0].issuer.rfc4514_string())))
            continue
        if os.path.basename(path) in KEY_OF:
            leaf = parsed[0]
            if not any(signed_by(leaf, ca) for ca in cas):
                out.append((path, fact['sha256'], "was issued by '%s', which is neither %s's CA nor its staged next CA"
                            % (leaf.issuer.rfc4514_string(), pki_dir)))
        else:
            foreign = [c for c in parsed if c.fingerprint(hashes.SHA256()) not in known]
            if foreign:
                out.append((path, fact['sha256'], "trusts '%s', which is neither %s's CA nor its staged next CA"
                            % (foreign[0].subject.rfc4514_string(), pki_dir)))
    return out


def decide(nodes, cas, at_rest, pki_dir):
    """Every node's problems and what a run replacing them must back up first.

    nodes: {host: node_facts()}; cas: controller CA certificates; at_rest: controller_at_rest() or None when the run
    does not handle data-at-rest keys. Returns dict(problems=[str], backup={host: [paths]}, at_rest_files={host:
    [paths]}): backup names the refused files (with the key of a refused certificate) and at-rest files that differ
    from the controller's now; at_rest_files every at-rest file the node has (backed up when the controller's key file
    changes in this run)."""
    problems, backup, at_rest_files = [], {}, {}
    for host in sorted(nodes):
        facts = nodes[host] or {}
        found = cert_problems(host, facts.get('certs') or {}, cas, pki_dir)
        node_at_rest = (facts.get('at_rest') or {}) if at_rest is not None else {}
        if at_rest is not None:
            found += at_rest_problems(host, node_at_rest, at_rest, pki_dir)
        files = []
        for path, digest, why in found:
            problems.append('%s: %s (sha256 %s) %s' % (host, path, digest, why))
            files.append(path)
            key = KEY_OF.get(os.path.basename(path))
            if key:
                key_path = os.path.join(os.path.dirname(path), key)
                if key_path in (facts.get('keys') or {}):
                    files.append(key_path)
        paths = [node_at_rest[n]['path'] for n in AT_REST_FILES if n in node_at_rest]
        if at_rest is not None and any(node_at_rest[n]['sha256'] != at_rest.get('keyfile' if n == 'keys.enc' else n)
                                       for n in node_at_rest):
            files += paths
        backup[host] = sorted(set(files))
        at_rest_files[host] = paths
    return dict(problems=problems, backup=backup, at_rest_files=at_rest_files)


# ---------------------------------------------------------------- node: the backup

def stamp(now=None):
    return (now or datetime.datetime.now(datetime.timezone.utc)).strftime('%Y%m%dT%H%M%SZ')


def _private_dir(path):
    """path as a root-only 0700 directory; a symlink there is refused (never followed)."""
    try:
        os.mkdir(path, 0o700)
    except OSError as exc:
        if exc.errno != errno.EEXIST:
            raise KeyGuardError('%s: %s' % (path, exc.strerror))
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise KeyGuardError('%s is not a directory' % path)
    if st.st_uid != os.geteuid():
        raise KeyGuardError('%s belongs to uid %d, not to the user making the backup' % (path, st.st_uid))
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(path, 0o700)


def backup_name(path):
    """A flat file name for path inside one backup directory: /etc/mysql/certs/at-rest/keys.enc ->
    etc_mysql_certs_at-rest_keys.enc (paths of one run are distinct, so are their names)."""
    return path.strip('/').replace('_', '__').replace('/', '_')


def backup(paths, root, when=None, check_mode=False):
    """Copy each existing file of paths into root/<UTC stamp>/ (root and it 0700, files 0600, owned by the caller,
    made with O_EXCL|O_NOFOLLOW and their mode set on the descriptor). Returns (directory, [paths copied])."""
    present = [p for i, p in enumerate(paths) if p not in paths[:i] and _read_nofollow(p) is not None]
    if not present:
        return None, []
    directory = os.path.join(root, stamp(when))
    if check_mode:
        return directory, present
    parent = os.path.dirname(root.rstrip('/'))
    if parent and not os.path.isdir(parent):
        os.makedirs(parent, 0o700)
    _private_dir(root)
    suffix, base = 0, directory
    while True:
        try:
            os.mkdir(directory, 0o700)
            break
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise KeyGuardError('%s: %s' % (directory, exc.strerror))
            suffix += 1
            directory = '%s.%d' % (base, suffix)
    os.chmod(directory, 0o700)
    for path in present:
        data = _read_nofollow(path)
        fd = os.open(os.path.join(directory, backup_name(path)),
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0), 0o600)
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
    return directory, present
