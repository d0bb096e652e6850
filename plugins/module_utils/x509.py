# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CA and node certificates on the `cryptography` library: create, adopt, decide when to reissue,
and check the files a node uses. Plain functions so they are unit-testable without Ansible."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import grp
import ipaddress
import os
import pwd
import re
import stat
import tempfile

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the modules
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

RSA_SIZES = (2048, 3072, 4096)
CURVES = ('P-256', 'P-384')
SUBJECT_FIELDS = (
    ('common_name', 'COMMON_NAME'), ('organization', 'ORGANIZATION_NAME'),
    ('organizational_unit', 'ORGANIZATIONAL_UNIT_NAME'), ('country', 'COUNTRY_NAME'),
    ('state', 'STATE_OR_PROVINCE_NAME'), ('locality', 'LOCALITY_NAME'),
)
_DNS_LABEL = re.compile(r'^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$')


class X509Error(Exception):
    """Bad input or unusable file; the message names the field and the value."""


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def not_after(cert):
    try:
        return cert.not_valid_after_utc
    except AttributeError:  # cryptography < 42
        return cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


# ---------------------------------------------------------------- input validation

def validate_key_spec(key_type, key_size=None, curve=None):
    if key_type == 'rsa':
        if key_size not in RSA_SIZES:
            raise X509Error('key_size: %r is not one of %s for RSA' % (key_size, ', '.join(map(str, RSA_SIZES))))
    elif key_type == 'ecdsa':
        if curve not in CURVES:
            raise X509Error('curve: %r is not one of %s for ECDSA' % (curve, ', '.join(CURVES)))
    else:
        raise X509Error("key_type: %r is unknown; use 'rsa' or 'ecdsa'" % (key_type,))


def validate_days(field, days):
    if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
        raise X509Error('%s: %r must be a positive number of days' % (field, days))


def classify_san(value):
    """'10.0.0.1' -> ('ip', ip); 'db1.example.com' -> ('dns', name). Raises X509Error otherwise."""
    text = str(value).strip()
    try:
        return ('ip', ipaddress.ip_address(text))
    except ValueError:
        pass
    labels = text[2:].split('.') if text.startswith('*.') else text.split('.')
    # An all-numeric last label is a mistyped address (10.0.0.300), not a host name.
    if (text and len(text) <= 253 and all(_DNS_LABEL.match(label) for label in labels)
            and not labels[-1].isdigit()):
        return ('dns', text.lower())
    raise X509Error('SAN %r is neither a valid DNS name nor an IP address' % (value,))


# A node name is a directory name under dest_dir: no separators, spaces, wildcards or dot-only names.
_NODE_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')
# RFC 5280 ub-common-name: a CN longer than this cannot be encoded (cryptography refuses it at signing).
MAX_CN = 64


def normalise_nodes(nodes, extra_sans=(), cn_suffixes=('',)):
    """Validate a node list; return [{name, common_name, dns: [...], ips: [...]}] in input order.

    cn_suffixes: suffixes added to the CN of the certificates issued per node ('-client' for the
    client certificate), each checked against the CN length limit before anything is written."""
    if not nodes:
        raise X509Error('nodes: the list is empty; give at least one node')
    seen = set()
    out = []
    for index, node in enumerate(nodes or []):
        name = node.get('name')
        if not name:
            raise X509Error('nodes[%d].name is missing' % index)
        if not _NODE_NAME.match(str(name)):
            raise X509Error('nodes[%d].name %r: use letters, digits, ".", "_" and "-" only, starting with a letter '
                            'or digit, at most 64 characters (it names a directory)' % (index, name))
        for suffix in cn_suffixes:
            full = (node.get('common_name') or name) + suffix
            if len(full) > MAX_CN:
                raise X509Error('nodes[%s]: certificate CN %r has %d characters, more than %d'
                                % (name, full, len(full), MAX_CN))
        if name in seen:
            raise X509Error('nodes: duplicate node name %r' % name)
        seen.add(name)
        cn = node.get('common_name') or name
        dns, ips = [], []
        for value in [cn] + list(node.get('dns') or []) + list(node.get('ips') or []) + list(extra_sans or []):
            try:
                kind, parsed = classify_san(value)
            except X509Error as exc:
                raise X509Error('nodes[%s]: %s' % (name, exc))
            if value in (node.get('ips') or []) and kind != 'ip':
                raise X509Error('nodes[%s].ips: %r is not an IP address' % (name, value))
            if kind == 'dns' and parsed not in dns:
                dns.append(parsed)
            elif kind == 'ip' and parsed not in ips:
                ips.append(parsed)
        out.append({'name': name, 'common_name': cn, 'dns': dns, 'ips': ips})
    return out


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


def wanted_spec(key_type, key_size=None, curve=None):
    return 'rsa%d' % key_size if key_type == 'rsa' else 'ecdsa-%s' % curve


def key_pem(key, passphrase=None):
    enc = serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


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


def load_key(field, path, passphrase=None):
    data = read_file(field, path)
    try:
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
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
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


# ---------------------------------------------------------------- facts and decisions

def sans_of(cert):
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return ([d.lower() for d in ext.get_values_for_type(x509.DNSName)], list(ext.get_values_for_type(x509.IPAddress)))


def facts(cert):
    dns, ips = sans_of(cert)
    return {
        'subject': cert.subject.rfc4514_string(),
        'issuer': cert.issuer.rfc4514_string(),
        'serial': '%x' % cert.serial_number,
        'sha256_fingerprint': cert.fingerprint(hashes.SHA256()).hex(),
        'not_after': not_after(cert).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'days_left': (not_after(cert) - utcnow()).days,
        'dns_names': dns,
        'ip_addresses': [str(i) for i in ips],
        'key': key_spec(cert.public_key()),
    }


def signed_by(cert, ca_cert):
    if cert.issuer != ca_cert.subject:
        return False
    pub = ca_cert.public_key()
    try:
        if isinstance(pub, rsa.RSAPublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        else:
            pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    except InvalidSignature:
        return False
    return True


def is_ca(cert):
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def reissue_reasons(cert, key, ca_cert, node, spec, renew_before, now=None):
    """Why an existing leaf must be reissued; an empty list means keep it as it is."""
    now = now or utcnow()
    if cert is None or key is None:
        return ['missing']
    reasons = []
    if not key_matches(cert, key):
        reasons.append('key does not match certificate')
    if not_after(cert) - now < datetime.timedelta(days=renew_before):
        reasons.append('expires within %d days' % renew_before)
    if common_name(cert.subject) != node['common_name']:
        reasons.append('subject changed')
    dns, ips = sans_of(cert)
    if sorted(dns) != sorted(node['dns']) or sorted(map(str, ips)) != sorted(map(str, node['ips'])):
        reasons.append('SANs changed')
    if key_spec(key) != spec:
        reasons.append('key type changed (%s -> %s)' % (key_spec(key), spec))
    if not signed_by(cert, ca_cert):
        reasons.append('not signed by the current CA')
    return reasons


def ca_usable(cert, key):
    """Problems that stop an existing CA from being adopted."""
    problems = []
    if not is_ca(cert):
        problems.append('certificate is not a CA (basicConstraints CA:TRUE missing)')
    if not key_matches(cert, key):
        problems.append('key does not match the CA certificate')
    if not_after(cert) <= utcnow():
        problems.append('CA expired on %s' % not_after(cert).strftime('%Y-%m-%d'))
    return problems


# ---------------------------------------------------------------- checks on a node

def _readable_by(path_stat, user):
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        return None
    mode = path_stat.st_mode
    if pw.pw_uid == 0:
        return True
    if path_stat.st_uid == pw.pw_uid:
        return bool(mode & stat.S_IRUSR)
    groups = set(g.gr_gid for g in grp.getgrall() if user in g.gr_mem) | set([pw.pw_gid])
    if path_stat.st_gid in groups:
        return bool(mode & stat.S_IRGRP)
    return bool(mode & stat.S_IROTH)


def check_files(ca_path, cert_path, key_path, names=(), warn_days=30, db_user=None, min_rsa_bits=2048,
                refuse_ca_path=None):
    """Every problem at once, one line each, plus facts of the CA and the certificate.

    refuse_ca_path: a CA bundle that must NOT have signed the certificate (a client certificate
    signed by the cluster CA would be a cluster peer)."""
    problems = []
    result = {'ca': {}, 'cert': {}}
    loaded = {}
    for field, path in (('ca_path', ca_path), ('cert_path', cert_path), ('key_path', key_path)):
        if not path:
            continue
        try:
            st = os.stat(path)
        except OSError as exc:
            problems.append('%s %s: %s' % (field, path, exc.strerror))
            continue
        if field == 'key_path' and st.st_mode & stat.S_IROTH:
            problems.append('key %s is readable by others (mode %o)' % (path, stat.S_IMODE(st.st_mode)))
        if db_user:
            readable = _readable_by(st, db_user)
            if readable is None:
                problems.append('database user %s does not exist' % db_user)
            elif not readable:
                problems.append('%s %s is not readable by the database user %s' % (field, path, db_user))
        try:
            if field == 'key_path':
                loaded['key'] = load_key(field, path)
            elif field == 'ca_path':
                loaded['ca'] = load_certs(field, path)
            else:
                loaded['cert'] = load_cert(field, path)
        except X509Error as exc:
            problems.append(str(exc))
    cas = loaded.get('ca') or []
    cert = loaded.get('cert')
    key = loaded.get('key')
    if cas:
        result['ca'] = facts(cas[-1])
        result['ca']['count'] = len(cas)
        # The fingerprint of the whole bundle identifies "the same CA" across nodes.
        result['ca']['sha256_fingerprint'] = ','.join(c.fingerprint(hashes.SHA256()).hex() for c in cas)
        for c in cas:
            if not is_ca(c):
                problems.append('CA %s is not a CA certificate (basicConstraints CA:TRUE missing)' % common_name(c.subject))
            if not_after(c) <= utcnow():
                problems.append('CA %s expired on %s' % (common_name(c.subject), not_after(c).strftime('%Y-%m-%d')))
    if cert is not None:
        result['cert'] = facts(cert)
        days = result['cert']['days_left']
        if not_after(cert) <= utcnow():
            problems.append('certificate expired on %s' % result['cert']['not_after'][:10])
        elif days < warn_days:
            problems.append('certificate expires in %d days (on %s)' % (days, result['cert']['not_after'][:10]))
        pub = cert.public_key()
        if isinstance(pub, rsa.RSAPublicKey) and pub.key_size < min_rsa_bits:
            problems.append('RSA key of %d bits is below %d' % (pub.key_size, min_rsa_bits))
        if cas:
            cn = common_name(cert.subject)
            if any(common_name(c.subject) == cn for c in cas):
                problems.append("certificate CN '%s' equals the CA's CN (peers fail validation)" % cn)
            if not any(signed_by(cert, c) for c in cas):
                problems.append('certificate is not signed by the CA in %s (chain does not verify)' % ca_path)
        if key is not None and not key_matches(cert, key):
            problems.append('key %s does not match certificate %s' % (key_path, cert_path))
        if refuse_ca_path:
            try:
                refused = load_certs('refuse_ca_path', refuse_ca_path)
            except X509Error as exc:
                problems.append(str(exc))
                refused = []
            for c in refused:
                if signed_by(cert, c):
                    problems.append('certificate %s is signed by %s (%s), which it must not be: that CA makes '
                                    'cluster peers' % (cert_path, common_name(c.subject), refuse_ca_path))
        dns, ips = sans_of(cert)
        covered = set(dns) | set(str(i) for i in ips) | set([str(common_name(cert.subject)).lower()])
        for name in names or ():
            if name and str(name).lower() not in covered:
                problems.append('name %s is not in the certificate (CN/SAN: %s)' % (name, ', '.join(sorted(covered))))
    return problems, result
