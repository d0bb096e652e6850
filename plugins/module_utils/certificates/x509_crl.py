# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificate revocation lists of the collection's CAs: which serials a list of node names and serials revokes, a
CRL per CA, and whether the CRL on disk still says that (so a re-run writes nothing).

A CRL that is past its nextUpdate makes OpenSSL refuse every certificate of its CA where it is checked (ssl_crl on
3306), so it is made valid for valid_days and remade renew_before days before it ends. Plain functions.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import os
import re

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
except ImportError:  # pragma: no cover - x509.HAS_CRYPTOGRAPHY tells the module
    pass

_SERIAL = re.compile(r'^(0x)?[0-9a-fA-F:]+$')
_PEM_CRL = re.compile(b'-----BEGIN X509 CRL-----.+?-----END X509 CRL-----', re.S)


def revoked_serials(entries, nodes_dir):
    """Serials (ints) that entries revoke: a hex serial (colons allowed) as written, or a node name whose
    certificates (server and client) are read from nodes_dir/<name>/. A name with no certificate there is an error
    (nothing would be revoked)."""
    out = set()
    for entry in entries or []:
        text = str(entry).strip()
        base = os.path.join(nodes_dir or '', text)
        certs = [os.path.join(base, f) for f in ('server-cert.pem', 'client-cert.pem')]
        found = [c for c in certs if nodes_dir and '/' not in text and os.path.isfile(c)]
        if found:
            out.update(X.load_cert('revoked', c).serial_number for c in found)
        elif _SERIAL.match(text) and any(ch.isdigit() or ch in 'abcdefABCDEF' for ch in text):
            out.add(int(text.replace(':', '').lower().replace('0x', '', 1), 16))
        else:
            raise X509Error('revoked: %r is neither a serial (hex) nor a node with certificates in %s' % (entry, nodes_dir))
    return sorted(out)


def build(ca_cert, ca_key, serials, valid_days, now=None):
    now = now or X.utcnow()
    ends = min(now + datetime.timedelta(days=valid_days), X.not_after(ca_cert))
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
               .last_update(now - datetime.timedelta(minutes=5)).next_update(ends)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
               .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False))
    for serial in serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now - datetime.timedelta(minutes=5)).build())
    return builder.sign(ca_key, hashes.SHA256())


def _next_update(crl):
    try:
        return crl.next_update_utc
    except AttributeError:  # cryptography < 42
        return crl.next_update.replace(tzinfo=datetime.timezone.utc)


def current(pem, ca_certs, serials, renew_before, now=None):
    """True when pem holds, for each CA of ca_certs in order, a CRL it signed that revokes exactly serials and
    stays valid more than renew_before days."""
    now = now or X.utcnow()
    blocks = _PEM_CRL.findall(pem or b'')
    if len(blocks) != len(ca_certs):
        return False
    for block, ca in zip(blocks, ca_certs):
        try:
            crl = x509.load_pem_x509_crl(block)
        except ValueError:
            return False
        if crl.issuer != ca.subject or not crl.is_signature_valid(ca.public_key()):
            return False
        if sorted(r.serial_number for r in crl) != sorted(serials):
            return False
        if _next_update(crl) - now < datetime.timedelta(days=renew_before):
            return False
    return True


def pem_of(crls):
    return b''.join(c.public_bytes(serialization.Encoding.PEM) for c in crls)
