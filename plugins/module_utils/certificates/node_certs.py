# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node certificates of a set: plan (what to reissue and why, nothing written) and apply. Used by the
x509_node_certs module and by a certificate set's lifecycle (cert_set)."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import hashlib
import json
import os

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_checks import ca_usable, facts, reissue_reasons
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import (
    X509Error, client_common_name, client_subject, normalise_nodes, validate_days, validate_key_spec, wanted_spec)


# SHA-256 of every key file this module wrote under dest_dir: a key still byte-for-byte as written is loaded without
# the RSA consistency checks (its public key is still compared with the certificate's), so an idempotent call for
# 100 nodes costs little more than one for a single node.
MANIFEST = '.clustersec-written-keys.json'


def _manifest(dest_dir):
    try:
        with open(os.path.join(dest_dir, MANIFEST)) as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) else {}
    except (IOError, OSError, ValueError):
        return {}


def _existing(cert_path, key_path, known_sha256=None):
    if not (os.path.exists(cert_path) and os.path.exists(key_path)):
        return None, None
    try:
        return X.load_cert('cert', cert_path), X.load_key('key', key_path, known_sha256=known_sha256)
    except X509Error:
        return None, None


def plan(p):
    """Validate everything, then decide per node and kind what to (re)issue. Writes nothing."""
    validate_key_spec(p['key_type'], p['key_size'], p['curve'])
    validate_days('valid_days', p['valid_days'])
    if p['renew_before'] < 0:
        raise X509Error('renew_before: %r must not be negative' % p['renew_before'])
    ca_cert = X.load_cert('ca_cert_path', p['ca_cert_path'])
    ca_key = X.load_key('ca_key_path', p['ca_key_path'], p['ca_passphrase'])
    problems = ca_usable(ca_cert, ca_key)
    if problems:
        raise X509Error('ca_cert_path %s: %s' % (p['ca_cert_path'], '; '.join(problems)))
    client_ca_cert, client_ca_key = ca_cert, ca_key
    if p.get('client_ca_cert_path'):
        if not p.get('client_ca_key_path'):
            raise X509Error('client_ca_key_path is required with client_ca_cert_path')
        client_ca_cert = X.load_cert('client_ca_cert_path', p['client_ca_cert_path'])
        client_ca_key = X.load_key('client_ca_key_path', p['client_ca_key_path'], p.get('client_ca_passphrase'))
        problems = ca_usable(client_ca_cert, client_ca_key)
        if problems:
            raise X509Error('client_ca_cert_path %s: %s' % (p['client_ca_cert_path'], '; '.join(problems)))
        if client_ca_cert.fingerprint(X.hashes.SHA256()) == ca_cert.fingerprint(X.hashes.SHA256()):
            raise X509Error('client_ca_cert_path is the cluster CA; peers and clients would share one CA')
    ca_cns = set([X.common_name(ca_cert.subject), X.common_name(client_ca_cert.subject)])
    for node in p['nodes']:
        cn = node.get('common_name') or node['name']
        for candidate in (cn, client_common_name(cn)) if p['client_certs'] else (cn,):
            if candidate in ca_cns:
                raise X509Error("nodes[%s]: certificate CN '%s' equals the CA's CN; peers would fail validation"
                                % (node['name'], candidate))
    # The client CN is made to fit (client_common_name), so only the node's own CN is held to the limit.
    nodes = normalise_nodes(p['nodes'], p['extra_sans'])
    spec = wanted_spec(p['key_type'], p['key_size'], p['curve'])
    work = []
    known = _manifest(p['dest_dir'])
    for node in nodes:
        kinds = [('server', node)]
        if p['client_certs']:
            kinds.append(('client', client_subject(node['common_name'])))
        for kind, subject in kinds:
            base = os.path.join(p['dest_dir'], node['name'])
            cert_path = os.path.join(base, '%s-cert.pem' % kind)
            key_path = os.path.join(base, '%s-key.pem' % kind)
            cert, key = _existing(cert_path, key_path, known.get(os.path.relpath(key_path, p['dest_dir'])))
            signer = (client_ca_cert, client_ca_key) if kind == 'client' else (ca_cert, ca_key)
            reasons = reissue_reasons(cert, key, signer[0], subject, spec, p['renew_before'])
            work.append(dict(node=node['name'], kind=kind, subject=subject, cert_path=cert_path, key_path=key_path,
                             cert=cert, reasons=reasons, signer=signer))
    if p.get('outlive_ca', 'refuse') == 'refuse':
        _refuse_outliving_the_ca(work, p['valid_days'])
    return ca_cert, ca_key, work


def _refuse_outliving_the_ca(work, valid_days):
    """A certificate to issue that would be valid longer than its CA is refused before anything is written: cut to
    the CA's end, it would expire with the CA, sooner than asked, and take the cluster down on the same day."""
    now = X.utcnow()
    for item in work:
        if not item['reasons']:
            continue
        ca = item['signer'][0]
        ends = X.not_after(ca)
        if now + datetime.timedelta(days=valid_days) > ends:
            left = max((ends - now).days, 0)
            raise X509Error(
                "nodes[%s]: a %s certificate valid %d days would outlive its CA '%s' (expires %s, in %d days); rotate "
                "the CA first (rotate_certificates.yml -e rotate_ca=true) or ask for at most %d days (valid_days); "
                "nothing was written" % (item['node'], item['kind'], valid_days, X.common_name(ca.subject),
                                         ends.strftime('%Y-%m-%d'), left, max(left - 1, 0)))


def apply(p, ca_cert, ca_key, work, check_mode):
    result, diff_before, diff_after = {}, {}, {}
    written = {}
    for item in work:
        entry = result.setdefault(item['node'], {'changed': False})
        cert = item['cert']
        before = facts(cert) if cert is not None else {}
        if item['reasons']:
            key = X.generate_key(p['key_type'], p['key_size'], p['curve'])
            signer_cert, signer_key = item.get('signer') or (ca_cert, ca_key)
            cert = X.issue_cert(signer_cert, signer_key, key, item['subject'], p['valid_days'], item['kind'])
            if not check_mode:
                directory = os.path.dirname(item['cert_path'])
                if not os.path.isdir(directory):
                    os.makedirs(directory, 0o700)
                pem = X.key_pem(key)
                X.write_atomic(item['key_path'], pem, 0o600)
                X.write_atomic(item['cert_path'], X.cert_pem(cert), 0o644)
                written[os.path.relpath(item['key_path'], p['dest_dir'])] = hashlib.sha256(pem).hexdigest()
            entry['changed'] = True
        f = facts(cert)
        entry[item['kind']] = dict(cert_path=item['cert_path'], key_path=item['key_path'], serial=f['serial'],
                                   sha256_fingerprint=f['sha256_fingerprint'], not_after=f['not_after'],
                                   changed=bool(item['reasons']), reasons=item['reasons'])
        if item['reasons']:
            label = '%s/%s' % (item['node'], item['kind'])
            diff_before[label] = dict((k, before.get(k)) for k in ('serial', 'sha256_fingerprint', 'not_after'))
            diff_after[label] = dict((k, f[k]) for k in ('serial', 'sha256_fingerprint', 'not_after'))
    if written:
        known = _manifest(p['dest_dir'])
        known.update(written)
        X.write_atomic(os.path.join(p['dest_dir'], MANIFEST), json.dumps(known, indent=0, sort_keys=True).encode(), 0o600)
    return result, dict(before=diff_before, after=diff_after)
