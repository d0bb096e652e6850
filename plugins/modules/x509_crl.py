#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: x509_crl
short_description: Keep one PEM file of certificate revocation lists, one per CA, on the controller
version_added: 0.8.0
description:
  - Writes O(path) with a CRL signed by each CA of O(cas), in that order, revoking the certificates O(revoked) names -
    a hex serial, or a node name whose certificates in O(nodes_dir) (server and client) are revoked.
  - Rewrites the file only when the revoked set changed, a CA changed, or a CRL ends within O(renew_before) days; a
    CRL is valid O(valid_days) days (never beyond its CA). A CRL past its end makes OpenSSL refuse every certificate of
    its CA where CRLs are checked, so re-run the pki role well within O(valid_days).
author: clustersec.mysql developers (@clustersec)
requirements:
  - cryptography >= 38.0 (Python library, on the controller where the module runs)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  path:
    description: The CRL file (PEM, one CRL per CA), mode 0644.
    type: path
    required: true
  cas:
    description: The CAs whose CRLs the file holds.
    type: list
    elements: dict
    required: true
    suboptions:
      cert_path:
        description: CA certificate.
        type: path
        required: true
      key_path:
        description: CA key.
        type: path
        required: true
      passphrase:
        description: Passphrase of the CA key.
        type: str
  revoked:
    description: Hex serials, or node names whose certificates in O(nodes_dir) are revoked (a retired node).
    type: list
    elements: str
    default: []
  nodes_dir:
    description: Where the pki role keeps each node's certificates (C(pki_dir/nodes)).
    type: path
  valid_days:
    description: How long each CRL is valid.
    type: int
    default: 365
  renew_before:
    description: Remake the CRLs this many days before they end.
    type: int
    default: 30
'''

EXAMPLES = r'''
- name: Revoke the certificates of a retired node
  clustersec.mysql.x509_crl:
    path: "{{ pki_dir }}/crl.pem"
    cas:
      - {cert_path: "{{ pki_dir }}/client-ca.pem", key_path: "{{ pki_dir }}/client-ca-key.pem"}
      - {cert_path: "{{ pki_dir }}/ca.pem", key_path: "{{ pki_dir }}/ca-key.pem"}
    revoked: [db4, 6c0d1f2e]
    nodes_dir: "{{ pki_dir }}/nodes"
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
serials:
  description: The revoked serials (hex).
  returned: success
  type: list
  elements: str
  sample: [6c0d1f2e]
path:
  description: The CRL file.
  returned: success
  type: str
  sample: /home/ops/inventory/pki/crl.pem
'''

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509_crl
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error, validate_days


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            cas=dict(type='list', elements='dict', required=True, options=dict(
                cert_path=dict(type='path', required=True), key_path=dict(type='path', required=True, no_log=False),
                passphrase=dict(type='str', no_log=True))),
            revoked=dict(type='list', elements='str', default=[]),
            nodes_dir=dict(type='path'),
            valid_days=dict(type='int', default=365),
            renew_before=dict(type='int', default=30),
        ),
        supports_check_mode=True)
    if not X.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=str(X.CRYPTOGRAPHY_IMPORT_ERROR))
    p = module.params
    try:
        validate_days('valid_days', p['valid_days'])
        serials = x509_crl.revoked_serials(p['revoked'], p['nodes_dir'])
        cas = [X.load_cert('cas.cert_path', ca['cert_path']) for ca in p['cas']]
        existing = open(p['path'], 'rb').read() if os.path.exists(p['path']) else b''
        changed = not x509_crl.current(existing, cas, serials, p['renew_before'])
        if changed and not module.check_mode:
            keys = [X.load_key('cas.key_path', ca['key_path'], ca.get('passphrase')) for ca in p['cas']]
            X.write_atomic(p['path'], x509_crl.pem_of([x509_crl.build(c, k, serials, p['valid_days']) for c, k in zip(cas, keys)]),
                           0o644)
    except (IOError, OSError, X509Error) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=changed, serials=['%x' % s for s in serials], path=p['path'])


if __name__ == '__main__':
    main()
