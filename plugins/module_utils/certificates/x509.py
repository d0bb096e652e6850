# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CA and node certificates on the `cryptography` library: keys, files, and building certificates.

What a certificate says and whether it is still good (facts, reissue reasons, checks of a node's files) is in
x509_checks; the input checks that need no library are in x509_input. Plain functions so they are
unit-testable without Ansible.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import datetime
import hashlib
import os
import re
import tempfile

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import (
    SUBJECT_FIELDS, X509Error, validate_days, validate_key_spec)

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the modules
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def not_after(cert):
    try:
        return cert.not_valid_after_utc
    except AttributeError:  # cryptography < 42
        return cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


# ---------------------------------------------------------------- keys and files

def generate_key(key_type, key_size=None, curve=None):
    validate_key_spec(key_type, key_size, curve)
    if key_type == 'rsa':
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    return ec.generate_private_key(ec.SECP256R1() if curve == 'P-256' else ec.SECP384R1())


def key_spec(key):
    """A short description of a key or public key: 'rsa2048', 'ecdsa-P-256'."""
    pub = key.public_key() if hasattr(key, 'public_key') else key
    if isinstance(pub, rsa.RSAPublicKey):
        return 'rsa%d' % pub.key_size
    if isinstance(pub, ec.EllipticCurvePublicKey):
        return 'ecdsa-%s' % {'secp256r1': 'P-256', 'secp384r1': 'P-384'}.get(pub.curve.name, pub.curve.name)
    return type(pub).__name__


# PBKDF2-HMAC-SHA256 rounds protecting a CA key with a passphrase (OWASP's 2023 figure); cryptography's
# BestAvailableEncryption uses 2048 and offers no round count for PKCS#8, so the PBES2 structure is written here.
KDF_ROUNDS = 600000
_OID_PBES2 = b'\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x05\x0d'
_OID_PBKDF2 = b'\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x05\x0c'
_OID_HMAC_SHA256 = b'\x06\x08\x2a\x86\x48\x86\xf7\x0d\x02\x09'
_OID_AES256_CBC = b'\x06\x09\x60\x86\x48\x01\x65\x03\x04\x01\x2a'


def _der(tag, body):
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, 'big')
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + body


def _der_int(value):
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, 'big'))


def pbes2_encrypt(der, passphrase, rounds=KDF_ROUNDS, salt=None, iv=None):
    """A PKCS#8 key (DER) as PEM EncryptedPrivateKeyInfo: PBES2, PBKDF2-HMAC-SHA256 with rounds, AES-256-CBC
    (RFC 8018), what `openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter <rounds>` writes."""
    from cryptography.hazmat.primitives import padding as sym_padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
    salt = salt or os.urandom(16)
    iv = iv or os.urandom(16)
    secret = PBKDF2HMAC(hashes.SHA256(), 32, salt, rounds).derive(passphrase)
    padder = sym_padding.PKCS7(128).padder()
    enc = Cipher(algorithms.AES(secret), modes.CBC(iv)).encryptor()
    data = enc.update(padder.update(der) + padder.finalize()) + enc.finalize()
    kdf = _der(0x30, _OID_PBKDF2 + _der(0x30, _der(0x04, salt) + _der_int(rounds) + _der(0x30, _OID_HMAC_SHA256 + b'\x05\x00')))
    scheme = _der(0x30, _OID_AES256_CBC + _der(0x04, iv))
    info = _der(0x30, _der(0x30, _OID_PBES2 + _der(0x30, kdf + scheme)) + _der(0x04, data))
    body = base64.encodebytes(info).replace(b'\n', b'')
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return b'-----BEGIN ENCRYPTED PRIVATE KEY-----\n' + b'\n'.join(lines) + b'\n-----END ENCRYPTED PRIVATE KEY-----\n'


def key_pem(key, passphrase=None, rounds=KDF_ROUNDS):
    if not passphrase:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pbes2_encrypt(der, passphrase.encode(), rounds)


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def write_atomic(path, data, mode):
    """Write to a temporary file in the same directory with the final mode, then rename, so no reader
    ever sees a partial file and a key is never briefly world-readable."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path))
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_file(field, path):
    if not path:
        raise X509Error('%s: no path given' % field)
    try:
        with open(path, 'rb') as f:
            return f.read()
    except (IOError, OSError) as exc:
        raise X509Error('%s: cannot read %s: %s' % (field, path, exc.strerror or exc))


_PEM_CERT = re.compile(b'-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----', re.S)


def parse_pem_certs(data):
    """All certificates of a PEM blob (cryptography < 39, as on Debian bookworm nodes, lacks a call for it)."""
    return [x509.load_pem_x509_certificate(block) for block in _PEM_CERT.findall(data)]


def load_certs(field, path):
    data = read_file(field, path)
    try:
        certs = parse_pem_certs(data)
    except ValueError as exc:
        raise X509Error('%s: %s is not a PEM certificate: %s' % (field, path, exc))
    if not certs:
        raise X509Error('%s: %s holds no certificate' % (field, path))
    return certs


def load_cert(field, path):
    return load_certs(field, path)[0]


def load_key(field, path, passphrase=None, known_sha256=None):
    """A PEM private key. known_sha256: the SHA-256 of the file as this collection wrote it; when the file still has
    it, the RSA consistency checks (about 55 ms per 2048-bit key) are skipped - the caller still compares the public
    key with the certificate's (key_matches)."""
    data = read_file(field, path)
    trusted = known_sha256 is not None and hashlib.sha256(data).hexdigest() == known_sha256
    try:
        if trusted:
            try:
                return serialization.load_pem_private_key(data, password=passphrase.encode() if passphrase else None,
                                                          unsafe_skip_rsa_key_validation=True)
            except TypeError:  # cryptography < 39 has no such switch: validate as always
                pass
        return serialization.load_pem_private_key(data, password=passphrase.encode() if passphrase else None)
    except TypeError as exc:
        if 'encrypted' in str(exc).lower() or 'password' in str(exc).lower():
            raise X509Error('%s: %s is protected by a passphrase and none (or an unneeded one) was given' % (field, path))
        raise X509Error('%s: %s: %s' % (field, path, exc))
    except ValueError as exc:
        msg = str(exc)
        if 'password' in msg.lower() or 'decrypt' in msg.lower():
            raise X509Error('%s: the passphrase for %s is wrong' % (field, path))
        raise X509Error('%s: %s is not a PEM private key: %s' % (field, path, msg))


def key_matches(cert, key):
    pub = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pub == cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# ---------------------------------------------------------------- building certificates

def build_name(subject):
    attrs = []
    for field, oid in SUBJECT_FIELDS:
        value = (subject or {}).get(field)
        if value:
            if field == 'country' and len(value) != 2:
                raise X509Error('subject.country: %r must be a two-letter code' % value)
            attrs.append(x509.NameAttribute(getattr(NameOID, oid), value))
    if not attrs:
        raise X509Error('subject: at least common_name is required')
    return x509.Name(attrs)


def common_name(name):
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return values[0].value if values else None


def create_ca(key, subject, valid_days):
    validate_days('valid_days', valid_days)
    name = build_name(subject)
    now = utcnow()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=valid_days))
            # pathLenConstraint 0: a certificate this CA signs can never sign another (a leaf key cannot mint more).
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(key, hashes.SHA256()))


def issue_cert(ca_cert, ca_key, key, node, valid_days, usage='server'):
    """A leaf for node ({'common_name', 'dns', 'ips'}). Server certificates also allow client auth:
    Galera and the SST tunnels use the same certificate on both ends of a connection."""
    validate_days('valid_days', valid_days)
    now = utcnow()
    sans = [x509.DNSName(d) for d in node['dns']] + [x509.IPAddress(i) for i in node['ips']]
    eku = [ExtendedKeyUsageOID.CLIENT_AUTH]
    if usage != 'client':
        eku.insert(0, ExtendedKeyUsageOID.SERVER_AUTH)
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    builder = (x509.CertificateBuilder()
               .subject_name(build_name({'common_name': node['common_name']}))
               .issuer_name(ca_cert.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(min(now + datetime.timedelta(days=valid_days), not_after(ca_cert)))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=is_rsa,
                                            data_encipherment=False, key_agreement=not is_rsa, key_cert_sign=False,
                                            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage(eku), critical=False)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def bundle(pem_blobs):
    """Concatenate certificates, dropping duplicates (by fingerprint), keeping first-seen order."""
    seen = set()
    out = []
    for blob in pem_blobs:
        for cert in parse_pem_certs(blob):
            fp = cert.fingerprint(hashes.SHA256())
            if fp not in seen:
                seen.add(fp)
                out.append(cert_pem(cert))
    return b''.join(out)
