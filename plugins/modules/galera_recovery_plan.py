#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: galera_recovery_plan
short_description: Decide, on the controller, how a Galera cluster with expired certificates is recovered
version_added: 0.8.0
description:
  - Takes every node's M(clustersec.mysql.galera_recovery_state) result and returns the case (V(running) - every node
    runs on sessions opened before the certificates expired; V(partial) - some nodes are down; V(all_down)), the node
    to bootstrap from when every node is down (the highest committed seqno, from C(grastate.dat) or
    C(--wsrep-recover)), and which CAs sign the new set (read from O(pki_dir) and O(pki_dir)C(/next)).
  - Returns every reason not to recover as RV(problems), each naming host and cause - no certificate expired, a
    staged new CA that expired, an address the cluster knows that is no node of the inventory, a position not known,
    more than one cluster UUID among the nodes (whatever their seqnos) - so the caller stops before any node is
    touched. Changes nothing.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  nodes:
    description: Per inventory host, its M(clustersec.mysql.galera_recovery_state) result.
    type: dict
    required: true
  order:
    description: The cluster's hosts in inventory order (ties between nodes of one history go to the first).
    type: list
    elements: str
    required: true
  addresses:
    description: Per host, the names and addresses that identify it (inventory name, node address, resolved addresses).
    type: dict
    required: true
  preferred:
    description: The configured bootstrap host; wins a tie of equal positions of one history.
    type: str
  pki_dir:
    description: The controller's CA directory (C(ca.pem), C(client-ca.pem); C(next/) holds a staged new set).
    type: path
    required: true
  shared_ca:
    description: One CA for peers and clients (no C(client-ca.pem)).
    type: bool
    default: false
  valid_days:
    description: Validity of the certificates to issue; a current CA ending before them is replaced.
    type: int
    default: 825
  key_type:
    description:
      - Key type of the certificates to issue (V(rsa) or V(ecdsa)). A running node whose certificate has a key of the other
        type is refused - galera's C(socket.ssl_reload) loads a new certificate beside one of another type and may go on
        presenting the old one.
    type: str
    choices: [rsa, ecdsa]
'''

EXAMPLES = r'''
- name: Decide the recovery
  clustersec.mysql.galera_recovery_plan:
    nodes: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'saved') | list)) }}"
    order: "{{ ansible_play_hosts_all }}"
    addresses: {db1: [db1], db2: [db2], db3: [db3]}
    pki_dir: /srv/inventory/pki
  delegate_to: localhost
  run_once: true
  register: plan
'''

RETURN = r'''
case:
  description: V(running), V(partial) or V(all_down).
  returned: always
  type: str
  sample: partial
running:
  description: The hosts whose server runs.
  returned: always
  type: list
  elements: str
  sample: [db1, db2]
down:
  description: The hosts whose server does not run.
  returned: always
  type: list
  elements: str
  sample: [db3]
expired:
  description: Host, file and end of validity of every expired certificate file.
  returned: always
  type: list
  elements: list
  sample: [[db1, /etc/mysql/certs/server-cert.pem, "2026-01-01T00:00:00Z"]]
bootstrap:
  description: The host to bootstrap from (case V(all_down) once every position is known); null otherwise.
  returned: always
  type: str
  sample: db2
positions:
  description: Per host, cluster UUID, committed seqno and where it was read.
  returned: always
  type: dict
  sample: {db1: [8bcf4a34-aedb-11e9-bea1-4acb7fe6b1e8, 41, grastate.dat]}
needs_recover:
  description: Hosts whose position only C(--wsrep-recover) can tell (case V(all_down)).
  returned: always
  type: list
  elements: str
  sample: [db2]
new_ca:
  description: Whether new CAs sign the new set (a staged one, or made because a current CA expired or ends too soon).
  returned: always
  type: bool
  sample: true
ca_reasons:
  description: Why new CAs are used.
  returned: always
  type: list
  elements: str
  sample: ["ca.pem expired on 2026-01-01T00:00:00Z"]
discard_staged:
  description: Whether C(next/) holds only a copy of the current CA (a leaf rotation that stopped) and is discarded.
  returned: always
  type: bool
  sample: false
problems:
  description: Every reason not to recover, each naming host and cause; empty when the recovery may run.
  returned: always
  type: list
  elements: str
  sample: []
'''

import datetime
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.clustersec.mysql.plugins.module_utils.galera import recovery as gr
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509 import HAS_CRYPTOGRAPHY, not_after, parse_pem_certs

try:
    from cryptography.hazmat.primitives import hashes
except ImportError:  # pragma: no cover - HAS_CRYPTOGRAPHY tells
    pass


def _ca(path):
    if not os.path.exists(path):
        return None
    with open(path, 'rb') as fh:
        certs = parse_pem_certs(fh.read())
    if not certs:
        return None
    return {'sha256': certs[0].fingerprint(hashes.SHA256()).hex(),
            'not_after': not_after(certs[0]).strftime('%Y-%m-%dT%H:%M:%SZ')}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nodes=dict(type='dict', required=True),
            order=dict(type='list', elements='str', required=True),
            addresses=dict(type='dict', required=True),
            preferred=dict(type='str'),
            pki_dir=dict(type='path', required=True),
            shared_ca=dict(type='bool', default=False),
            valid_days=dict(type='int', default=825),
            key_type=dict(type='str', choices=['rsa', 'ecdsa'])),
        supports_check_mode=True)
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg='the Python library cryptography is needed on the controller')
    p = module.params
    missing = [h for h in p['order'] if h not in p['nodes']]
    if missing:
        module.fail_json(msg='no saved state of %s' % ', '.join(missing))
    result = gr.plan(p['nodes'], p['order'], p['addresses'], p['preferred'], p['key_type'])
    names = ['ca'] + ([] if p['shared_ca'] else ['client-ca'])
    try:
        current = dict((n, _ca(os.path.join(p['pki_dir'], n + '.pem'))) for n in names)
        staged = dict((n, _ca(os.path.join(p['pki_dir'], 'next', n + '.pem'))) for n in names)
    except (IOError, OSError, ValueError) as e:
        module.fail_json(msg='cannot read a CA in %s: %s' % (p['pki_dir'], e))
    now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    decision = gr.ca_decision(current, staged, p['valid_days'], now)
    result['problems'] = result['problems'] + ['controller %s: %s' % (p['pki_dir'], m) for m in decision['problems']]
    result.update(new_ca=decision['new_ca'], ca_reasons=decision['reasons'], discard_staged=decision['discard_staged'])
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
