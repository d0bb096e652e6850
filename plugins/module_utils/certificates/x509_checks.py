# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a certificate says and whether it is still good: its facts, why a leaf must be reissued, whether a CA can
be adopted, and every problem of the files a node uses (x509_check).

The decisions are kept apart from building certificates (x509) so that each is read and tested on its own; all
problems are reported at once, one line each. Plain functions so they are unit-testable without Ansible.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import grp
import os
import pwd
import stat

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509 import (
    common_name, key_matches, key_spec, load_cert, load_certs, load_key, not_after, utcnow)
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
except ImportError:  # pragma: no cover - x509.HAS_CRYPTOGRAPHY tells the modules
    pass


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
