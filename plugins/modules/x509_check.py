#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: x509_check
short_description: Check the CA, certificate and key a database node uses, reporting every problem at once
version_added: 0.8.0
description:
  - Runs on the node. Reports, one line per problem, everything that would make TLS fail or be weak
    - the chain does not verify against the CA; the key does not match the certificate; the certificate CN equals
    the CA's CN; a name peers use (hostname, bind address) is absent from the SANs/CN (socat in SST checks the
    commonName); the certificate expired or expires within O(warn_days); an RSA key below 2048 bits; a CA without
    CA:TRUE; a key readable by others; a file the database user cannot read; a missing or unreadable file.
  - Returns structured facts of the CA and the certificate. Fails only when O(fail_on_problems) is true.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
requirements:
  - cryptography >= 38.0 (Python library on the node; Debian package python3-cryptography)
options:
  ca_path:
    description: CA certificate or bundle; required unless O(sets) is given.
    type: path
  cert_path:
    description: Node certificate; required unless O(sets) is given.
    type: path
  key_path:
    description: Node key.
    type: path
  names:
    description: Names and addresses peers use for the node; each must be in the SANs or the CN.
    type: list
    elements: str
    default: []
  warn_days:
    description: A certificate expiring within this many days is a problem.
    type: int
    default: 30
  db_user:
    description: Operating system user of the database server; every file must be readable by it.
    type: str
  fail_on_problems:
    description: Fail when any problem is found (the message has one line per problem).
    type: bool
    default: true
  refuse_ca_path:
    description:
      - A CA certificate or bundle that must not have signed the certificate; for example the cluster CA for a client
        certificate (Galera accepts any certificate of its CA as a peer).
    type: path
  sets:
    description:
      - Several certificate sets checked in one call (one round trip for every channel of a node); each gives
        O(sets[].name) and the options above for that set. O(warn_days) and O(db_user) apply to all.
      - Mutually exclusive with O(ca_path), O(cert_path), O(key_path), O(names) and O(refuse_ca_path).
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the set in RV(results).
        type: str
        required: true
      ca_path:
        description: CA certificate or bundle.
        type: path
        required: true
      cert_path:
        description: Certificate.
        type: path
        required: true
      key_path:
        description: Key.
        type: path
      names:
        description: Names the certificate must hold.
        type: list
        elements: str
        default: []
      refuse_ca_path:
        description: A CA that must not have signed the certificate.
        type: path
'''

EXAMPLES = r'''
- name: Check the node's TLS files before changing anything
  clustersec.mysql.x509_check:
    ca_path: /etc/mysql/certs/ca.pem
    cert_path: /etc/mysql/certs/server-cert.pem
    key_path: /etc/mysql/certs/server-key.pem
    names: ["{{ inventory_hostname }}", "{{ ansible_default_ipv4.address }}"]
    db_user: mysql
'''

RETURN = r'''
problems:
  description: One line per problem (with O(sets), of every set, each line starting with the set's name); empty when all is well.
  returned: always
  type: list
  elements: str
  sample: ["name 10.0.0.5 is not in the certificate (CN/SAN: db1, localhost)"]
results:
  description: With O(sets), per set in order, its name, problems and the facts RV(ca) and RV(cert) describe.
  returned: when O(sets) is given
  type: list
  elements: dict
  contains:
    name:
      description: The set's name.
      type: str
      sample: group-communication
    problems:
      description: The set's problems.
      type: list
      elements: str
      sample: []
    ca:
      description: As RV(ca).
      type: dict
      sample: {subject: CN=prod CA, count: 1}
    cert:
      description: As RV(cert).
      type: dict
      sample: {subject: CN=db1}
ca:
  description: Facts of the (last) CA certificate; C(sha256_fingerprint) lists every certificate of the bundle.
  returned: unless O(sets) is given
  type: dict
  contains:
    subject: {description: Subject (RFC 4514)., type: str, sample: CN=db1}
    issuer: {description: Issuer (RFC 4514)., type: str, sample: CN=prod CA}
    serial: {description: "Serial number, hex.", type: str, sample: 4a1f}
    sha256_fingerprint: {description: "SHA-256 of the DER certificate, hex (for a CA bundle: every certificate, comma-separated).", type: str, sample: 7b2e...}
    not_after: {description: End of validity (UTC)., type: str, sample: "2029-02-25T10:00:00Z"}
    days_left: {description: Whole days until not_after., type: int, sample: 820}
    dns_names: {description: "DNS names of the SANs, lower case.", type: list, elements: str, sample: [db1]}
    ip_addresses: {description: IP addresses of the SANs., type: list, elements: str, sample: [10.0.0.5]}
    key: {description: Key type and size or curve., type: str, sample: rsa2048}
    count: {description: Certificates in the CA file., type: int, sample: 1}
  sample: {subject: CN=prod CA, sha256_fingerprint: 9c1e..., not_after: "2036-01-01T00:00:00Z", count: 1}
cert:
  description: Facts of the node certificate.
  returned: unless O(sets) is given
  type: dict
  contains:
    subject: {description: Subject (RFC 4514)., type: str, sample: CN=db1}
    issuer: {description: Issuer (RFC 4514)., type: str, sample: CN=prod CA}
    serial: {description: "Serial number, hex.", type: str, sample: 4a1f}
    sha256_fingerprint: {description: "SHA-256 of the DER certificate, hex (for a CA bundle: every certificate, comma-separated).", type: str, sample: 7b2e...}
    not_after: {description: End of validity (UTC)., type: str, sample: "2029-02-25T10:00:00Z"}
    days_left: {description: Whole days until not_after., type: int, sample: 820}
    dns_names: {description: "DNS names of the SANs, lower case.", type: list, elements: str, sample: [db1]}
    ip_addresses: {description: IP addresses of the SANs., type: list, elements: str, sample: [10.0.0.5]}
    key: {description: Key type and size or curve., type: str, sample: rsa2048}
  sample: {subject: CN=db1, issuer: CN=prod CA, serial: 4a1f..., sha256_fingerprint: 7b2e...,
           not_after: "2029-02-25T10:00:00Z", days_left: 820, dns_names: [db1, localhost], ip_addresses: [127.0.0.1],
           key: rsa2048}
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_checks import check_files


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ca_path=dict(type='path'),
            cert_path=dict(type='path'),
            key_path=dict(type='path', no_log=False),
            names=dict(type='list', elements='str', default=[]),
            warn_days=dict(type='int', default=30),
            db_user=dict(type='str'),
            fail_on_problems=dict(type='bool', default=True),
            refuse_ca_path=dict(type='path'),
            sets=dict(type='list', elements='dict', options=dict(
                name=dict(type='str', required=True), ca_path=dict(type='path', required=True),
                cert_path=dict(type='path', required=True), key_path=dict(type='path', no_log=False),
                names=dict(type='list', elements='str', default=[]), refuse_ca_path=dict(type='path'))),
        ),
        mutually_exclusive=[('sets', 'ca_path'), ('sets', 'cert_path'), ('sets', 'key_path'), ('sets', 'refuse_ca_path')],
        required_one_of=[('sets', 'ca_path')],
        required_together=[('ca_path', 'cert_path')],
        supports_check_mode=True,
    )
    if not X.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=str(X.CRYPTOGRAPHY_IMPORT_ERROR))
    p = module.params
    if p['sets'] is not None:
        results = []
        for one in p['sets']:
            problems, facts = check_files(one['ca_path'], one['cert_path'], one['key_path'], one['names'],
                                          p['warn_days'], p['db_user'], refuse_ca_path=one['refuse_ca_path'])
            results.append(dict(name=one['name'], problems=problems, ca=facts['ca'], cert=facts['cert']))
        problems = ['%s: %s' % (r['name'], line) for r in results for line in r['problems']]
        if problems and p['fail_on_problems']:
            module.fail_json(msg='\n'.join(problems), problems=problems, results=results)
        module.exit_json(changed=False, problems=problems, results=results)
    problems, facts = check_files(p['ca_path'], p['cert_path'], p['key_path'], p['names'], p['warn_days'],
                                  p['db_user'], refuse_ca_path=p['refuse_ca_path'])
    result = dict(changed=False, problems=problems, ca=facts['ca'], cert=facts['cert'])
    if problems and p['fail_on_problems']:
        module.fail_json(msg='\n'.join(problems), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
