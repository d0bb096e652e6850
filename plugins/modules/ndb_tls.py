#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ndb_tls
short_description: TLS keys and certificates of NDB Cluster nodes (NDB 8.3 and later), keys made where they are used
version_added: 0.9.0
description:
  - "Three steps, so that a private key never leaves its node: O(step=keys) on a node makes the missing private keys
    of its NDB node types in the TLS search path directory and returns their public keys and current certificates;
    O(step=sign) on the controller issues, with the NDB CA kept there, a certificate for each public key whose
    certificate is missing, not from this CA, bound to other host names, for another key, expiring within
    O(renew_before) days or when O(rotate); O(step=install) on the node writes the certificate files (leaf then CA)
    and C(NDB-trusted-certs)."
  - "File names are NDB's: C(ndb-mgm-server-*), C(ndb-data-node-*), C(ndb-api-*) (every NDB API client program on the
    host), each C(-private-key) and C(-cert). The subject CN starts with the NDB node type name NDB checks
    (C(NDB Management Node), C(NDB Data Node), C(NDB Node)); host names are bound (DNS subjectAltName) for the types in
    O(bind_types), as ndb_sign_keys does by default for mgmd and api."
  - Keys are EC P-256, root-owned, 0600 (the data node's 0640 with the group of the account ndbmtd runs as); every
    file is written through a descriptor (O_EXCL, O_NOFOLLOW, fchown, fchmod, rename). Key material is never returned.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  step:
    description: What to do, see the description.
    type: str
    required: true
    choices: [keys, sign, install]
  tls_dir:
    description: The TLS search path directory on the node (O(step=keys), O(step=install)); created root-owned, 0750.
    type: path
  types:
    description: NDB node types of this host (O(step=keys)).
    type: list
    elements: str
    choices: [mgmd, data, api]
  group:
    description: Group of O(tls_dir) and of the data node's key (the account ndbmtd runs as reads them).
    type: str
  ca_cert_path:
    description: The NDB CA certificate (O(step=sign)).
    type: path
  ca_key_path:
    description: The NDB CA private key (O(step=sign)).
    type: path
  ca_passphrase:
    description: Passphrase of O(ca_key_path).
    type: str
  trusted_cas:
    description:
      - "O(step=sign): certificate files of further CAs that every node trusts beside the NDB CA (written after it in
        C(NDB-trusted-certs); NDB trusts at most 8). For a CA rotation without downtime, in three runs: the new CA
        here (trust both), then the new CA as O(ca_cert_path) and the old one here (certificates issued again), then
        none."
      - "A node whose certificate comes from a CA that is neither O(ca_cert_path) nor listed here is refused, naming
        it: issued a certificate of another CA in one run, it would be refused by its peers in the rolling restart."
    type: list
    elements: path
    default: []
  nodes:
    description:
      - "O(step=sign): host -> the result of O(step=keys) on that host (its RV(keys) is read)."
    type: dict
  hostnames:
    description: "O(step=sign): host -> its NDB HostName (bound in the certificate); missing or null: the host name."
    type: dict
    default: {}
  bind_types:
    description: Node types whose certificates are bound to their host name.
    type: list
    elements: str
    default: [mgmd, api]
  valid_days:
    description: Validity of a new certificate (never past the CA's).
    type: int
    default: 365
  renew_before:
    description: A certificate expiring within this many days is issued again.
    type: int
    default: 30
  rotate:
    description: Issue every certificate again (same keys, same CA).
    type: bool
    default: false
  certs:
    description: "O(step=install): type -> certificate chain (PEM) to write."
    type: dict
    default: {}
  ca_pem:
    description: "O(step=install): the CA certificates written to C(NDB-trusted-certs) (the sign step's RV(ca_pem))."
    type: str
'''

EXAMPLES = r'''
- name: Make the node's keys
  clustersec.mysql.ndb_tls:
    step: keys
    tls_dir: /etc/clustersec-ndb/tls
    types: [data, api]
    group: mysql
  register: ndb_keys
'''

RETURN = r'''
keys:
  description: "O(step=keys): type -> public_key (PEM, null in check mode for a key not made yet) and chain (the
    current certificate file, or null)."
  returned: success
  type: dict
  sample: {data: {public_key: "-----BEGIN PUBLIC KEY-----...", chain: null}}
created:
  description: "O(step=keys): types whose key was (or, in check mode, would be) made."
  returned: success
  type: list
  elements: str
  sample: [data]
certs:
  description: "O(step=sign): host -> type -> chain and reason, for the certificates issued."
  returned: success
  type: dict
  sample: {db1: {data: {chain: "-----BEGIN CERTIFICATE-----...", reason: no certificate}}}
ca_pem:
  description: "O(step=sign): the NDB CA certificate (PEM), then those of O(trusted_cas), for O(step=install)."
  returned: success
  type: str
trust_differs:
  description: "O(step=sign): hosts whose C(NDB-trusted-certs) (their O(step=keys) RV(trusted_certs)) is not RV(ca_pem)."
  returned: success
  type: list
  elements: str
  sample: [db1]
trusted_certs:
  description: "O(step=keys): the node's C(NDB-trusted-certs) (public CA certificates), null when missing."
  returned: success
  type: str
written:
  description: "O(step=install): files written (or that would be)."
  returned: success
  type: list
  elements: str
  sample: [/etc/clustersec-ndb/tls/ndb-data-node-cert]
'''

import grp

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import tls


def _gid(module, group):
    if not group:
        return -1
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        module.fail_json(msg='group %s does not exist on this host' % group)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            step=dict(type='str', required=True, choices=['keys', 'sign', 'install']),
            tls_dir=dict(type='path'),
            types=dict(type='list', elements='str', choices=list(tls.TYPES)),
            group=dict(type='str'),
            ca_cert_path=dict(type='path'),
            ca_key_path=dict(type='path', no_log=False),
            ca_passphrase=dict(type='str', no_log=True),
            trusted_cas=dict(type='list', elements='path', default=[]),
            nodes=dict(type='dict'),
            hostnames=dict(type='dict', default={}),
            bind_types=dict(type='list', elements='str', default=['mgmd', 'api']),
            valid_days=dict(type='int', default=365),
            renew_before=dict(type='int', default=30),
            rotate=dict(type='bool', default=False),
            certs=dict(type='dict', default={}),
            ca_pem=dict(type='str'),
        ),
        required_if=[('step', 'keys', ['tls_dir', 'types']), ('step', 'install', ['tls_dir']),
                     ('step', 'sign', ['ca_cert_path', 'ca_key_path', 'nodes'])],
        supports_check_mode=True,
    )
    p = module.params
    try:
        if p['step'] == 'keys':
            gid = _gid(module, p['group'])
            made_dir = tls.ensure_directory(p['tls_dir'], gid, module.check_mode)
            keys, created = tls.node_keys(p['tls_dir'], p['types'], gid, gid if gid != -1 else 0, module.check_mode)
            module.exit_json(changed=bool(made_dir or created), keys=keys, created=created,
                             trusted_certs=tls.trusted_certs(p['tls_dir']))
        if p['step'] == 'sign':
            tls.check_types(p['bind_types'])
            ca_cert = X.load_cert('ca_cert_path', p['ca_cert_path'])
            ca_key = X.load_key('ca_key_path', p['ca_key_path'], p['ca_passphrase'])
            trusted = [X.load_cert('trusted_cas', path) for path in p['trusted_cas']]
            trust = tls.trust_pem(ca_cert, trusted)
            nodes = tls.sign_inputs(p['nodes'], p['hostnames'])
            problems = tls.ca_change_problems(ca_cert, nodes, trusted)
            if problems:
                module.fail_json(msg='NDB CA change in one run refused (peers still running with the other CA would '
                                     'refuse the new certificates; docs/ndb_tls.md, CA rotation): ' + '; '.join(problems),
                                 problems=problems)
            certs = tls.sign_all(ca_cert, ca_key, nodes, p['bind_types'], p['valid_days'], p['renew_before'],
                                 p['rotate'])
            # Issuing writes nothing: the node's install step is the change.
            module.exit_json(changed=False, certs=certs, ca_pem=trust.decode('ascii'),
                             trust_differs=tls.trust_differs(p['nodes'], trust.decode('ascii')))
        written = tls.install(p['tls_dir'], p['certs'], p['ca_pem'], module.check_mode)
        module.exit_json(changed=bool(written), written=written)
    except (tls.NdbTlsError, X.X509Error, OSError) as e:
        module.fail_json(msg=str(e))


if __name__ == '__main__':
    main()
