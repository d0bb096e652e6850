# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input of the certificate modules, checked before any key is made: key type and size, validity, node names
and the names (SANs) their certificates must hold.

Apart from the cryptography code so that every mistake in a node list is reported the same way, with the field
and the value, and without the library. Plain functions so they are unit-testable without Ansible.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import ipaddress
import re

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


def client_common_name(cn):
    """CN of a node's client certificate: '<cn>-client', or where that exceeds the 64-character CN limit (a long
    FQDN) its first label cut short with 8 hex digits of the name's SHA-256, '-client' after: unique per name and
    within the limit. The certificate's SAN then carries the whole name (client_subject)."""
    full = '%s-client' % cn
    if len(full) <= MAX_CN:
        return full
    tag = hashlib.sha256(cn.encode('utf-8')).hexdigest()[:8]
    return '%s-%s-client' % (cn.split('.')[0][:MAX_CN - len('--client') - len(tag)], tag)


def client_subject(cn):
    """The client certificate's subject for a node of CN cn: no SANs while the CN carries the name, the name as SAN
    where client_common_name had to shorten it."""
    short = client_common_name(cn)
    if short == '%s-client' % cn:
        return {'common_name': short, 'dns': [], 'ips': []}
    kind, value = classify_san(cn)
    return {'common_name': short, 'dns': [value] if kind == 'dns' else [], 'ips': [value] if kind == 'ip' else []}


def names_missing(names, node, extra_sans=()):
    """The names of names (what peers use to reach the node) that a certificate issued for node ({'name',
    'common_name', 'dns', 'ips'}) with extra_sans would not carry in its CN or SANs; compared as x509_check does
    (lower case), so --check can say it without issuing anything."""
    planned = normalise_nodes([node], extra_sans)[0]
    covered = set(planned['dns']) | set(str(i) for i in planned['ips']) | set([str(planned['common_name']).lower()])
    return [name for name in names or () if name and str(name).lower() not in covered]


def wanted_spec(key_type, key_size=None, curve=None):
    """The key_spec() a key of these settings has: 'rsa2048', 'ecdsa-P-256'."""
    return 'rsa%d' % key_size if key_type == 'rsa' else 'ecdsa-%s' % curve
