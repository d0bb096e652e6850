#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: x509_ca
short_description: Create or adopt a certificate authority for a database cluster
version_added: 0.1.0
description:
  - Creates a CA key and self-signed certificate (basicConstraints CA:TRUE critical, keyUsage keyCertSign and
    cRLSign, subject and authority key identifiers), or adopts an existing valid one and leaves it as it is.
  - The key is written atomically with mode 0600. It is meant to stay on the controller.
  - For a CA rotation, create the new CA at new paths and list the old CA certificate in O(bundle_with); the
    module writes O(bundle_path) with the old and the new certificates (duplicates dropped, order kept) so nodes
    can trust both while certificates are replaced.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
  - clustersec.mysql.x509_key
attributes:
  diff_mode:
    support: full
    details: The diff shows certificate facts (serial, fingerprint, dates), never key material.
options:
  cert_path:
    description: Path of the CA certificate (PEM).
    type: path
    required: true
  key_path:
    description: Path of the CA private key (PEM, mode 0600).
    type: path
    required: true
  passphrase:
    description: Passphrase protecting the CA key (used to read an existing key and to protect a new one).
    type: str
  subject:
    description: Subject of a new CA.
    type: dict
    default: {common_name: clustersec.mysql CA}
    suboptions:
      common_name:
        description: Common name (CN). Must differ from every node's CN.
        type: str
      organization:
        description: Organization (O).
        type: str
      organizational_unit:
        description: Organizational unit (OU).
        type: str
      country:
        description: Two-letter country code (C).
        type: str
      state:
        description: State or province (ST).
        type: str
      locality:
        description: Locality (L).
        type: str
  valid_days:
    description: Validity of a new CA in days.
    type: int
    default: 3650
  bundle_path:
    description: Write the combined CA bundle here (certificates of O(bundle_with) first, then this CA).
    type: path
  bundle_with:
    description: CA certificate files to trust together with this CA (the old CA during a rotation).
    type: list
    elements: path
    default: []
'''

EXAMPLES = r'''
- name: Create the cluster CA on the controller
  clustersec.mysql.x509_ca:
    cert_path: "{{ playbook_dir }}/pki/ca.pem"
    key_path: "{{ playbook_dir }}/pki/ca-key.pem"
    subject:
      common_name: prod-galera CA
  delegate_to: localhost
  run_once: true

- name: Make a new CA beside the old one and the combined bundle for the rotation
  clustersec.mysql.x509_ca:
    cert_path: pki/ca-2027.pem
    key_path: pki/ca-2027-key.pem
    subject:
      common_name: prod-galera CA 2027
    bundle_with: [pki/ca.pem]
    bundle_path: pki/ca-bundle.pem
'''

RETURN = r'''
cert:
  description: Facts of the CA certificate.
  returned: success
  type: dict
  sample: {subject: CN=prod-galera CA, serial: 5f3a..., sha256_fingerprint: 9c1e..., not_after: "2036-11-21T10:00:00Z",
           days_left: 3649, key: rsa3072}
created:
  description: Whether a new CA was made.
  returned: success
  type: bool
  sample: true
bundle_changed:
  description: Whether the bundle file was (or would be) written.
  returned: success
  type: bool
  sample: false
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.ca import (
    KEY_OPTIONS, SUBJECT_OPTIONS, ensure_bundle, ensure_ca)
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_checks import facts
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error


def main():
    module = AnsibleModule(
        argument_spec=dict(
            cert_path=dict(type='path', required=True),
            key_path=dict(type='path', required=True, no_log=False),
            passphrase=dict(type='str', no_log=True),
            subject=dict(type='dict', options=SUBJECT_OPTIONS, default={'common_name': 'clustersec.mysql CA'}),
            valid_days=dict(type='int', default=3650),
            bundle_path=dict(type='path'),
            bundle_with=dict(type='list', elements='path', default=[]),
            **KEY_OPTIONS
        ),
        supports_check_mode=True,
    )
    if not X.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=str(X.CRYPTOGRAPHY_IMPORT_ERROR))
    p = module.params
    try:
        cert, created, before = ensure_ca(p, module.check_mode)
        bundle_changed = ensure_bundle(p, cert, module.check_mode) if p['bundle_path'] else False
    except X509Error as exc:
        module.fail_json(msg=str(exc))
    after = facts(cert)
    module.exit_json(changed=created or bundle_changed, created=created, bundle_changed=bundle_changed, cert=after,
                     diff=dict(before=before, after=after) if created else dict(before={}, after={}))


if __name__ == '__main__':
    main()
