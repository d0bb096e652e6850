#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: trust_gate
short_description: Before a rollout, prove that every party will trust every certificate it must accept, at every phase
version_added: 0.9.0
description:
  - Runs on the controller, read-only. For every party of a rollout (the nodes, and any arbitrator, replica,
    application or other client) and every phase (the current state, then a CA rotation's C(bundle), C(leaf), C(ca),
    a leaf renewal's C(leaf), or the pki role's C(all)), checks each certificate a party presents against the CA
    bundle of each party that must accept it - group communication and SST between peers both ways, every client to every
    node's client CA on 3306, every node's server certificate to every client's CA file - with real X.509 path
    validation (signature by a CA of the bundle, validity when the phase runs, CA basicConstraints and keyUsage,
    extendedKeyUsage serverAuth and clientAuth for peers, clientAuth for clients, serverAuth for servers).
  - Each phase is also checked with one party still at the previous phase (the phases reach the nodes one after the
    other). A pair that already fails before the rollout is returned in RV(warnings_found) and not refused.
  - A node's files at a phase are what the rollout puts at the paths its configuration uses; a CA file the
    configuration names elsewhere (an operator's own) keeps what the node holds now (M(clustersec.mysql.trust_gate_facts)).
  - Key files are never read. Fails, naming each pair, phase and reason, when a pair would fail.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
requirements:
  - cryptography >= 38.0 (on the controller)
options:
  path:
    description:
      - The set the rollout distributes (C(pki_dir/next) for a rotation, C(pki_dir) for the pki role). Without its
        C(ca.pem) (--check staged nothing) only the current phase is checked.
    type: path
    required: true
  current_path:
    description: The controller's current set (C(pki_dir)), whose C(applications/) hold the application certificates in use now.
    type: path
  steps:
    description: The phases after the current state, in order.
    type: list
    elements: str
    choices: [bundle, leaf, ca, all]
    default: [all]
  nodes:
    description: One entry per node or arbitrator of the play.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Inventory name; its certificates are C(nodes/<name>/) of the set.
        type: str
        required: true
      kind:
        description: C(node) or C(arbitrator) (group communication only).
        type: str
        default: node
        choices: [node, arbitrator]
      remote_dir:
        description: The node's certificate directory (default O(remote_dir)).
        type: str
      channels:
        description: The node's product role channels (C(galera_engine.tls_channels)).
        type: list
        elements: dict
        default: []
      files:
        description: The node's RV(clustersec.mysql.trust_gate_facts#module:files) - node path to the certificates there now.
        type: dict
        default: {}
  parties:
    description:
      - Parties the set has no node directory for (C(pki_trust_gate_parties)), files on the controller.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name in the findings.
        type: str
        required: true
      kind:
        description: What the party does.
        type: str
        required: true
        choices: [arbitrator, replica, application, client]
      cert:
        description: Certificate it presents now (a client certificate; an arbitrator's node certificate).
        type: path
      next_cert:
        description: Certificate it presents from the leaf phase on (default O(parties[].cert)).
        type: path
      chain:
        description: Intermediate CA certificates it presents with its certificate.
        type: path
      ca:
        description: CA file it verifies the nodes with (servers on 3306; peers for an arbitrator).
        type: path
      ca_follows_rotation:
        description: Its CA file follows the rotation like a node's (old+new from the bundle phase, the set's CA from the ca phase).
        type: bool
        default: false
  arbitrators:
    description:
      - Arbitrators outside the play whose node certificates the sets hold (C(nodes/<name>/), the rotation's
        C(pki_stage_extra_nodes)); their CA file is taken to follow the rotation.
    type: list
    elements: str
    default: []
  remote_dir:
    description: The nodes' certificate directory (the pki role's C(pki_remote_dir)).
    type: str
    default: /etc/mysql/certs
  shared_ca:
    description: One CA signs node and client certificates (C(pki_shared_ca)).
    type: bool
    default: false
  client_certs:
    description: The set has client certificates and a client CA (C(pki_client_certs)).
    type: bool
    default: true
  at:
    description: When the rollout runs (ISO 8601, UTC when no offset is given); default now.
    type: str
  transitions:
    description:
      - Also check each phase with one party still at the previous phase (a rotation's phases reach the nodes one after
        the other). false for a rollout that replaces every file at once and restarts, as the pki role's main path
        (C(pki_replace_node_keys) replaces a CA that way on purpose).
    type: bool
    default: true
  refusal_note:
    description: Said after the pairs when the gate refuses (what the caller keeps, e.g. the staged set).
    type: str
    default: ""
  fail_on_refusal:
    description: Fail when a pair would fail; false only returns the findings.
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Check every pair before the first node changes
  clustersec.mysql.trust_gate:
    path: "{{ pki_dir }}/next"
    current_path: "{{ pki_dir }}"
    steps: [bundle, leaf, ca]
    nodes: "{{ ansible_play_hosts | map('extract', hostvars, 'pki_trust_gate_node') | list }}"
    parties:
      - {name: replica1, kind: replica, cert: /srv/pki-replica/client-cert.pem, ca: /srv/pki-replica/source-ca.pem}
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
failures:
  description: Each pair that would fail (phase, channel, presenter, verifier, presenter_phase, verifier_phase, certificate, reason).
  returned: always
  type: list
  elements: dict
  sample: [{phase: leaf, channel: client-server server, presenter: db1, verifier: replica1, presenter_phase: leaf,
            verifier_phase: leaf, certificate: CN=db1, reason: "issuer 'CN=CA 2' is not in the verifier's bundle (CN=CA 1)"}]
messages:
  description: One line per failure naming the pair.
  returned: always
  type: list
  elements: str
  sample: ["phase leaf, client-server server: db1's certificate 'CN=db1' -> replica1: issuer 'CN=CA 2' is not in the verifier's bundle (CN=CA 1)"]
warnings_found:
  description: Pairs that already fail before the rollout (not refused), as RV(failures).
  returned: always
  type: list
  elements: dict
  sample: []
phases:
  description: The phases checked (current only when nothing is staged).
  returned: always
  type: list
  elements: str
  sample: [current, bundle, leaf, ca]
parties:
  description: Every party checked.
  returned: always
  type: list
  elements: str
  sample: [app1, db1, db2, db3, replica1]
checked:
  description: Certificate-against-bundle verifications made.
  returned: always
  type: int
  sample: 240
staged:
  description: Whether O(path) held a set (false - the current phase only).
  returned: always
  type: bool
  sample: true
'''

import datetime

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import trust_gate as T
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error


def parse_time(text):
    if not text:
        return None
    when = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    return when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            current_path=dict(type='path'),
            steps=dict(type='list', elements='str', default=['all'], choices=['bundle', 'leaf', 'ca', 'all']),
            nodes=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True), kind=dict(type='str', default='node', choices=['node', 'arbitrator']),
                remote_dir=dict(type='str'), channels=dict(type='list', elements='dict', default=[]),
                files=dict(type='dict', default={}))),
            parties=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True),
                kind=dict(type='str', required=True, choices=['arbitrator', 'replica', 'application', 'client']),
                cert=dict(type='path'), next_cert=dict(type='path'), chain=dict(type='path'), ca=dict(type='path'),
                ca_follows_rotation=dict(type='bool', default=False))),
            arbitrators=dict(type='list', elements='str', default=[]),
            remote_dir=dict(type='str', default='/etc/mysql/certs'),
            shared_ca=dict(type='bool', default=False),
            client_certs=dict(type='bool', default=True),
            at=dict(type='str'),
            transitions=dict(type='bool', default=True),
            refusal_note=dict(type='str', default=''),
            fail_on_refusal=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    if not T.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'))
    p = module.params
    try:
        result = T.gate(p['path'], p['steps'], p['nodes'], p['parties'], remote_dir=p['remote_dir'],
                        shared_ca=p['shared_ca'], client_certs=p['client_certs'], at=parse_time(p['at']),
                        current_dir=p['current_path'], arbitrators=p['arbitrators'], transitions=p['transitions'])
    except (X509Error, ValueError) as exc:
        module.fail_json(msg='trust gate: %s; no node was changed' % exc)
    out = dict(changed=False, failures=result['failures'], messages=result['messages'],
               warnings_found=result['warnings'], phases=result['phases'], parties=result['parties'],
               checked=result['checked'], staged=result['staged'])
    for line in result['warning_messages']:
        module.warn('already failing before the rollout (not refused): ' + line)
    if result['failures'] and p['fail_on_refusal']:
        module.fail_json(msg='trust gate: %d pair(s) would fail; no node was changed%s: %s'
                         % (len(result['failures']), '; ' + p['refusal_note'] if p['refusal_note'] else '',
                            ' | '.join(result['messages'])), **out)
    module.exit_json(**out)


if __name__ == '__main__':
    main()
