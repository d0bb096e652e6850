#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: x509_node_certs
short_description: Issue server and client certificates for many cluster nodes in one call
version_added: 0.1.0
description:
  - Issues, for every node of the list, a server certificate (also valid for client authentication, since Galera
    and the SST tunnels use one certificate on both ends) and optionally a client certificate, signed by the CA.
  - Files go to O(dest_dir)/<name>/ as C(server-cert.pem), C(server-key.pem), C(client-cert.pem),
    C(client-key.pem); keys are written atomically with mode 0600. The SHA-256 of each key written is kept in
    O(dest_dir)/C(.clustersec-written-keys.json) (mode 0600); a key still byte-for-byte as written is loaded without
    the RSA consistency checks on later calls (its public key is still compared with the certificate's), any other
    key with them.
  - A certificate is reissued only when it is missing, expires within O(renew_before) days, its subject or SANs
    changed, its key type changed, its key does not match, or it is not signed by the current CA. Otherwise
    nothing changes.
  - Refuses a node whose common name equals the CA's (peers would fail validation with "matching CN").
  - With O(client_ca_cert_path), client certificates are signed by that CA instead of the cluster CA.
  - All input is validated before any file is written.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
  - clustersec.mysql.x509_key
attributes:
  diff_mode:
    support: full
    details: The diff lists, per node, serial, fingerprint and not_after before and after; never key material.
options:
  ca_cert_path:
    description: CA certificate.
    type: path
    required: true
  ca_key_path:
    description: CA private key.
    type: path
    required: true
  ca_passphrase:
    description: Passphrase of the CA key.
    type: str
  client_ca_cert_path:
    description:
      - CA that signs the client certificates (peers and clients are trusted separately, so a client certificate
        cannot join the cluster). Without it, the cluster CA signs both.
    type: path
    version_added: 0.3.0
  client_ca_key_path:
    description: Key of O(client_ca_cert_path).
    type: path
    version_added: 0.3.0
  client_ca_passphrase:
    description: Passphrase of O(client_ca_key_path).
    type: str
    version_added: 0.3.0
  dest_dir:
    description: Directory for the node files (one sub-directory per node, created with mode 0700).
    type: path
    required: true
  nodes:
    description: Nodes to issue certificates for.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Node name (file directory name; default common name).
        type: str
        required: true
      common_name:
        description: Subject CN. Defaults to O(nodes[].name).
        type: str
      dns:
        description: DNS names for the SAN extension.
        type: list
        elements: str
        default: []
      ips:
        description: IP addresses for the SAN extension.
        type: list
        elements: str
        default: []
  extra_sans:
    description:
      - SANs added to every server certificate, e.g. C(localhost) and C(127.0.0.1) since mariabackup SST
        connects to localhost.
    type: list
    elements: str
    default: []
  client_certs:
    description:
      - Also issue a client certificate per node (CN C(<common_name>-client)).
      - Where that CN would exceed the 64 characters X.509 allows (a long FQDN), the CN is the name's first label
        cut short, 8 hex digits of the name's SHA-256 and C(-client), and the whole name is the certificate's SAN.
    type: bool
    default: true
  valid_days:
    description:
      - Validity of new certificates in days.
      - A certificate to issue that would outlive its CA is refused before anything is written (rotate the CA first).
    type: int
    default: 825
  outlive_ca:
    description:
      - V(refuse) stops before anything is written when a certificate to issue would outlive its CA; V(cap) cuts it
        to the CA's end (for short-lived certificates of a CA being replaced, such as the rotation's probe certificates
        of the previous CA).
    type: str
    choices: [refuse, cap]
    default: refuse
  renew_before:
    description: Reissue a certificate that expires within this many days.
    type: int
    default: 30
'''

EXAMPLES = r'''
- name: Certificates for every Galera node, in one call on the controller
  clustersec.mysql.x509_node_certs:
    ca_cert_path: pki/ca.pem
    ca_key_path: pki/ca-key.pem
    dest_dir: pki/nodes
    nodes:
      - name: db1
        dns: [db1.example.com]
        ips: [10.0.0.11]
      - name: db2
        dns: [db2.example.com]
        ips: [10.0.0.12]
    extra_sans: [localhost, 127.0.0.1]
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
nodes:
  description: Per node, the server and client certificate facts and whether they changed.
  returned: success
  type: dict
  sample:
    db1:
      changed: true
      server:
        cert_path: pki/nodes/db1/server-cert.pem
        key_path: pki/nodes/db1/server-key.pem
        serial: 4a1f...
        sha256_fingerprint: 7b2e...
        not_after: "2029-02-25T10:00:00Z"
        changed: true
        reasons: [missing]
      client:
        cert_path: pki/nodes/db1/client-cert.pem
        key_path: pki/nodes/db1/client-key.pem
        serial: 6c0d...
        sha256_fingerprint: 1a9b...
        not_after: "2029-02-25T10:00:00Z"
        changed: true
        reasons: [missing]
changed_nodes:
  description: Names of the nodes with a new certificate.
  returned: success
  type: list
  elements: str
  sample: [db1]
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.node_certs import apply, plan
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ca_cert_path=dict(type='path', required=True),
            ca_key_path=dict(type='path', required=True, no_log=False),
            ca_passphrase=dict(type='str', no_log=True),
            client_ca_cert_path=dict(type='path'),
            client_ca_key_path=dict(type='path', no_log=False),
            client_ca_passphrase=dict(type='str', no_log=True),
            dest_dir=dict(type='path', required=True),
            nodes=dict(type='list', elements='dict', required=True, options=dict(
                name=dict(type='str', required=True),
                common_name=dict(type='str'),
                dns=dict(type='list', elements='str', default=[]),
                ips=dict(type='list', elements='str', default=[]),
            )),
            extra_sans=dict(type='list', elements='str', default=[]),
            client_certs=dict(type='bool', default=True),
            valid_days=dict(type='int', default=825),
            renew_before=dict(type='int', default=30),
            outlive_ca=dict(type='str', default='refuse', choices=['refuse', 'cap']),
            key_type=dict(type='str', choices=['rsa', 'ecdsa'], default='rsa'),
            key_size=dict(type='int', choices=[2048, 3072, 4096], default=2048),
            curve=dict(type='str', choices=['P-256', 'P-384'], default='P-256'),
        ),
        supports_check_mode=True,
    )
    if not X.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=str(X.CRYPTOGRAPHY_IMPORT_ERROR))
    p = module.params
    try:
        ca_cert, ca_key, work = plan(p)
        nodes, diff = apply(p, ca_cert, ca_key, work, module.check_mode)
    except X509Error as exc:
        module.fail_json(msg=str(exc))
    changed_nodes = sorted(n for n, v in nodes.items() if v['changed'])
    module.exit_json(changed=bool(changed_nodes), nodes=nodes, changed_nodes=changed_nodes, diff=diff)


if __name__ == '__main__':
    main()
