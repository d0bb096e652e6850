#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: x509_set
short_description: One lifecycle for a cluster's certificate set on the controller (issue, stage, promote, discard)
version_added: 0.7.0
description:
  - A certificate set is a directory holding C(ca.pem), C(ca-key.pem), C(client-ca.pem), C(client-ca-key.pem) and
    C(nodes/<host>/{server,client}-{cert,key}.pem), and with O(applications) C(applications/<name>/{cert,key}.pem)
    and C(applications/manifest.json) (each application certificate's subject and issuer, one-line form).
    The pki role, the certificate rotation and the recovery from
    expired certificates make and switch sets only through this module, with the same O(settings), so they issue
    the same subjects, key types, validity and client certificates.
  - O(state=present) creates or adopts the CAs in O(path) and issues or renews (O(settings.renew_before)) every
    node's certificates there (the pki role's main path).
  - O(state=staged) issues a next set in O(path)/next, signed by new CAs (O(new_ca); an already staged CA is
    adopted; with O(bundle) the old+new CA bundles C(bundle.pem) and C(client-bundle.pem); with O(probe)
    certificates of the current CAs in C(next/previous-ca-probe/)) or by a copy of the current CAs. A staged set
    that is still wanted stays, so a stopped run resumes. In check mode nothing is made, no key anywhere.
  - O(state=promoted) makes the staged set current; the current set moves to O(path)/previous and the staged probe
    certificates to O(path)/previous/probe. Nothing staged, nothing done.
  - O(state=absent) discards the staged set.
  - Keys are written to a 0600 temporary file and renamed; symbolic links in the set's place are refused.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
attributes:
  diff_mode:
    support: none
options:
  path:
    description: The controller's set directory (the pki role's C(pki_dir)).
    type: path
    required: true
  state:
    description: What to do with the set.
    type: str
    choices: [present, staged, promoted, absent]
    default: present
  nodes:
    description: Each node's certificate names (the pki role's C(pki_node)) for O(state=present) and O(state=staged).
    type: list
    elements: dict
    default: []
  settings:
    description:
      - The pki role's settings, C(pki_*) without the prefix (the role builds this dict once, C(__pki_set_settings)).
      - Unset keys take the pki role's defaults.
    type: dict
    default: {}
    suboptions:
      ca_common_name: {description: CN of a new CA., type: str}
      client_ca_common_name: {description: CN of a new client CA., type: str}
      ca_subject: {description: Further subject fields merged into every new CA's subject (C(pki_ca_subject))., type: dict}
      ca_key_type: {description: Key type of a new CA., type: str, choices: [rsa, ecdsa]}
      ca_key_size: {description: RSA size of a new CA key., type: int, choices: [2048, 3072, 4096]}
      ca_curve: {description: ECDSA curve of a new CA key., type: str, choices: [P-256, P-384]}
      ca_valid_days: {description: Validity of a new CA in days., type: int}
      ca_passphrase: {description: Passphrase of the CA keys (empty for none)., type: str}
      shared_ca: {description: One CA signs node and client certificates., type: bool}
      client_certs: {description: Issue a client certificate per node (signed by the client CA)., type: bool}
      key_type: {description: Key type of node keys., type: str, choices: [rsa, ecdsa]}
      key_size: {description: RSA size of node keys., type: int, choices: [2048, 3072, 4096]}
      curve: {description: ECDSA curve of node keys., type: str, choices: [P-256, P-384]}
      valid_days: {description: Validity of node certificates in days., type: int}
      renew_before: {description: Reissue a node certificate ending within this many days., type: int}
      extra_sans: {description: Names and addresses added to every node certificate., type: list, elements: str}
  new_ca:
    description: O(state=staged) signs the next set with new CAs instead of the current ones.
    type: bool
    default: false
  ca_common_names:
    description: Common names of new CAs by name (C(ca), C(client-ca)); C(pki_ca_subject) is merged as usual.
    type: dict
    default: {}
  bundle:
    description: With O(new_ca), write the old+new bundles a CA rotation installs first.
    type: bool
    default: false
  probe:
    description: With O(new_ca), issue certificates of the current CAs that must be refused once the rotation ends.
    type: bool
    default: false
  applications:
    description:
      - Application client certificates of the set (O(state=present) and O(state=staged)), issued by the set's client
        CA with the node keys' settings, renewed like node certificates (O(settings.renew_before)), a changed subject
        or another client CA issuing a new one.
      - Listed in C(applications/manifest.json) with the subject and issuer as the servers print them
        (C(/C=FI/O=Example/CN=app1)), which is what C(REQUIRE SUBJECT) and C(REQUIRE ISSUER) compare.
      - Not given, the set's application certificates and manifest are left as they are (the pki role's main path,
        which a second play on the same C(pki_dir), e.g. the Galera arbitrators', runs too); an empty list empties the
        manifest.
    type: list
    elements: dict
    version_added: 0.9.0
    suboptions:
      name: {description: Directory name under C(applications/)., type: str, required: true}
      subject:
        description: Subject fields (C(common_name) required; C(organization), C(organizational_unit), C(country), C(state), C(locality)).
        type: dict
        required: true
'''

EXAMPLES = r'''
- name: Stage a next set with new CAs for a CA rotation
  clustersec.mysql.x509_set:
    path: "{{ pki_dir }}"
    state: staged
    settings: "{{ __pki_set_settings }}"
    nodes: "{{ ansible_play_hosts | map('extract', hostvars, 'pki_node') | list }}"
    new_ca: true
    bundle: true
    probe: true
  delegate_to: localhost
  run_once: true

- name: Make it current
  clustersec.mysql.x509_set:
    path: "{{ pki_dir }}"
    state: promoted
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
path:
  description: The staged set's directory (O(state=staged)).
  returned: state is staged
  type: str
  sample: /srv/inventory/pki/next
cas:
  description: Per CA name, whether it was created and its subject.
  returned: state is present or staged
  type: dict
  sample: {ca: {created: true, subject: CN=clustersec.mysql CA 202612071300}}
changed_nodes:
  description: Nodes whose certificates were (or would be) issued.
  returned: state is present or staged
  type: list
  elements: str
  sample: [db1, db2]
ca_missing:
  description: Check mode before the first run, the CA does not exist yet, so nothing could be planned further.
  returned: state is present
  type: bool
  sample: false
applications:
  description: Per application certificate, its subject and issuer (one-line form), paths, end and why it was issued; never a key.
  returned: state is present or staged
  type: dict
  sample: {app1: {subject: /O=Example/CN=app1, issuer: /CN=clustersec.mysql client CA, cert: applications/app1/cert.pem,
                  key: applications/app1/key.pem, not_after: '2029-03-12T10:00:00Z', serial: 3f2a, reasons: [missing]}}
  version_added: 0.9.0
moved:
  description: Entries of the staged set moved into place.
  returned: state is promoted
  type: list
  elements: str
  sample: [ca.pem, ca-key.pem, nodes]
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import cert_set
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error


SETTINGS_OPTIONS = dict(
    ca_common_name=dict(type='str'), client_ca_common_name=dict(type='str'), ca_subject=dict(type='dict'),
    ca_key_type=dict(type='str', choices=['rsa', 'ecdsa']), ca_key_size=dict(type='int', choices=[2048, 3072, 4096]),
    ca_curve=dict(type='str', choices=['P-256', 'P-384']), ca_valid_days=dict(type='int'),
    ca_passphrase=dict(type='str', no_log=True), shared_ca=dict(type='bool'), client_certs=dict(type='bool'),
    key_type=dict(type='str', choices=['rsa', 'ecdsa']), key_size=dict(type='int', choices=[2048, 3072, 4096]),
    curve=dict(type='str', choices=['P-256', 'P-384']), valid_days=dict(type='int'), renew_before=dict(type='int'),
    extra_sans=dict(type='list', elements='str'),
)


def run(p, check_mode):
    if p['state'] == 'present':
        return cert_set.ensure_current(p['path'], p['settings'], p['nodes'], check_mode, applications=p.get('applications'))
    if p['state'] == 'staged':
        return cert_set.stage(p['path'], p['settings'], p['nodes'], new_ca=p['new_ca'],
                              ca_common_names=p['ca_common_names'], bundle=p['bundle'], probe=p['probe'],
                              check_mode=check_mode, applications=p.get('applications'))
    if p['state'] == 'promoted':
        return cert_set.promote(p['path'], check_mode)
    return cert_set.discard(p['path'], check_mode)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            state=dict(type='str', choices=['present', 'staged', 'promoted', 'absent'], default='present'),
            nodes=dict(type='list', elements='dict', default=[]),
            settings=dict(type='dict', default={}, options=SETTINGS_OPTIONS),
            new_ca=dict(type='bool', default=False),
            ca_common_names=dict(type='dict', default={}),
            bundle=dict(type='bool', default=False),
            probe=dict(type='bool', default=False),
            applications=dict(type='list', elements='dict', options=dict(
                name=dict(type='str', required=True), subject=dict(type='dict', required=True))),
        ),
        supports_check_mode=True,
    )
    if not X.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=str(X.CRYPTOGRAPHY_IMPORT_ERROR))
    try:
        result = run(module.params, module.check_mode)
    except (X509Error, OSError) as exc:
        module.fail_json(msg=str(exc))
    result.pop('diff', None)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
