# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A CA on the controller: create one, or adopt an existing usable one as it is; the old+new bundle of a CA rotation.
Used by the x509_ca module and by a certificate set's lifecycle (cert_set)."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_checks import ca_usable, facts
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import SUBJECT_FIELDS, X509Error, validate_days, validate_key_spec

KEY_OPTIONS = dict(
    key_type=dict(type='str', choices=['rsa', 'ecdsa'], default='rsa'),
    key_size=dict(type='int', choices=[2048, 3072, 4096], default=2048),
    curve=dict(type='str', choices=['P-256', 'P-384'], default='P-256'),
)
SUBJECT_OPTIONS = dict((f, dict(type='str')) for f, dummy in SUBJECT_FIELDS)


def ensure_ca(p, check_mode):
    """Return (cert, created, diff_before)."""
    if os.path.exists(p['cert_path']) or os.path.exists(p['key_path']):
        cert = X.load_cert('cert_path', p['cert_path'])
        key = X.load_key('key_path', p['key_path'], p['passphrase'])
        problems = ca_usable(cert, key)
        if problems:
            raise X509Error('existing CA %s cannot be used: %s; move it away to create a new one'
                            % (p['cert_path'], '; '.join(problems)))
        return cert, False, facts(cert)
    validate_key_spec(p['key_type'], p['key_size'], p['curve'])
    validate_days('valid_days', p['valid_days'])
    X.build_name(p['subject'])
    key = X.generate_key(p['key_type'], p['key_size'], p['curve'])
    cert = X.create_ca(key, p['subject'], p['valid_days'])
    if not check_mode:
        for path in (p['cert_path'], p['key_path']):
            if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
                raise X509Error('directory of %s does not exist' % path)
        X.write_atomic(p['key_path'], X.key_pem(key, p['passphrase']), 0o600)
        X.write_atomic(p['cert_path'], X.cert_pem(cert), 0o644)
    return cert, True, {}


def ensure_bundle(p, cert, check_mode):
    blobs = [X.read_file('bundle_with', path) for path in p['bundle_with']] + [X.cert_pem(cert)]
    data = X.bundle(blobs)
    current = open(p['bundle_path'], 'rb').read() if os.path.exists(p['bundle_path']) else None
    if current == data:
        return False
    if not check_mode:
        X.write_atomic(p['bundle_path'], data, 0o644)
    return True
