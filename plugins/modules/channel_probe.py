#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: channel_probe
short_description: Probe which channels of a database node are encrypted, and with which certificate
version_added: 0.8.0
description:
  - Connects to each channel of a MySQL-family node the way a peer would and reports whether it is
    encrypted, the TLS protocol and cipher, and the certificate the port presents (subject, issuer,
    SANs, not after, days left, SHA-256 fingerprint).
  - The client-server port is probed the MySQL way (the server speaks first; the client asks for the
    TLS upgrade with an SSLRequest packet). Galera ports (group communication, IST, SST) are probed with
    a TLS handshake from the first byte.
  - A certificate that the given CA does not verify is still described, and reported as a finding.
  - Attacker-side probes, each reported as refused, accepted or undetermined, never assumed.
  - A plaintext login with the probe account's credentials; the same login over TLS is the control (a locked
    account answers "account locked" once the password check was reached).
  - Certificates that must be refused (O(refuse_certs)), for example the node's client certificate on peer
    ports, or a certificate of the previous CA.
  - Protocols below TLS 1.2 and TLS 1.2 suites without forward secrecy or AEAD (O(weak_tls)).
  - A plaintext group-communication handshake on the channels of O(plain_peer_channels), as a galera peer without
    TLS would make it (a node with C(socket.dynamic) answers in the clear, a TLS-only node drops it).
  - Weakenings of the node's settings that no probe can see (SST tunnel options, C(socket.dynamic)) are findings
    too when O(policy_settings) is given, amber when an opt-out in O(accepted_risks) covers them.
  - Problems are findings in the result (status C(green), C(amber) or C(red)); the module fails only on
    invalid arguments, so one bad node never stops a report.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  address:
    description: Host name or IP address to probe.
    type: str
    required: true
  channels:
    description:
      - Channels to probe. Defaults to client-server 3306, group communication 4567, IST 4568 and
        SST 4444 (IST and SST listen only during a transfer, so a closed port there is not a finding).
    type: list
    elements: dict
    suboptions:
      name:
        description: Channel name used in the report.
        type: str
        required: true
      port:
        description: TCP port.
        type: int
        required: true
      kind:
        description: C(mysql) for the MySQL protocol TLS upgrade, C(tls) for TLS from the first byte.
        type: str
        choices: [mysql, tls]
        default: tls
      optional:
        description: A closed port is normal for this channel.
        type: bool
        default: false
  ca_path:
    description: CA bundle used to verify the presented certificates.
    type: path
  cert_path:
    description: Client certificate to present on C(mysql) channels.
    type: path
  key_path:
    description: Key of O(cert_path).
    type: path
  peer_cert_path:
    description:
      - Certificate to present on C(tls) channels (Galera demands one from its peers and trusts only the cluster
        CA, so this is the node certificate). Defaults to O(cert_path).
    type: path
  peer_key_path:
    description: Key of O(peer_cert_path). Defaults to O(key_path).
    type: path
  probe_user:
    description: Account for the plaintext-login probe (a locked account without privileges).
    type: str
  probe_password:
    description: Password of O(probe_user).
    type: str
  refuse_certs:
    description: Certificates each named channel must refuse.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name in the report, for example C(client-certificate) or C(previous-CA).
        type: str
        required: true
      cert_path:
        description: Certificate to present.
        type: path
        required: true
      key_path:
        description: Its key.
        type: path
        required: true
      channels:
        description: Channel names to present it to.
        type: list
        elements: str
        required: true
  weak_tls:
    description: Offer TLS 1.0/1.1 and weak TLS 1.2 suites to each listening channel; accepted ones are findings.
    type: bool
    default: true
  accepted_risks:
    description:
      - The node's named opt-outs (C(plaintext_clients), C(weak_tls), C(shared_ca), C(unencrypted_channels),
        C(plaintext_peers), ...); a weakness one of them covers is amber instead of red.
    type: list
    elements: str
    default: []
  plain_peer_channels:
    description: Channels (of kind C(tls)) where a plaintext group-communication handshake is tried.
    type: list
    elements: str
    default: [group-communication]
  policy_settings:
    description:
      - The node's TLS settings as the role checks them (C(galera_engine.policy.settings)); their weakenings that an
        opt-out in O(accepted_risks) accepts are shown amber on their channel.
    type: dict
  server_name:
    description: Name to check the certificate against. Galera does not check names, so the default is not to.
    type: str
  warn_days:
    description: A certificate expiring within this many days makes the channel amber.
    type: int
    default: 30
  timeout:
    description: Seconds to wait for each connection and handshake.
    type: float
    default: 5.0
'''

EXAMPLES = r'''
- name: Probe every Galera channel of this node from the node itself
  clustersec.mysql.channel_probe:
    address: "{{ inventory_hostname }}"
    ca_path: /etc/mysql/certs/ca.pem
    cert_path: /etc/mysql/certs/client-cert.pem
    key_path: /etc/mysql/certs/client-key.pem
  register: probe

- name: Probe only the client-server port
  clustersec.mysql.channel_probe:
    address: db1.example.com
    channels:
      - name: client-server
        port: 3306
        kind: mysql
    ca_path: /etc/mysql/certs/ca.pem
'''

RETURN = r'''
status:
  description: Worst status of the probed channels.
  returned: always
  type: str
  sample: green
channels:
  description: One entry per channel.
  returned: always
  type: list
  elements: dict
  sample:
    - channel: group-communication
      port: 4567
      encrypted: true
      verified: true
      protocol: TLSv1.3
      cipher: TLS_AES_256_GCM_SHA384
      subject: commonName=node1
      issuer: commonName=clustersec CA
      sans: ["DNS:node1", "DNS:localhost"]
      not_after: "2027-11-23T00:00:00Z"
      days_left: 365
      sha256_fingerprint: 3f1c...
      status: green
      findings: []
      plain_refused: true
      plain_peer: {refused: true, detail: "the node closed the connection on plaintext gcomm bytes"}
      refused_certs:
        client-certificate: {refused: true, error: "tlsv1 alert unknown ca"}
      weak_tls:
        old_protocol: {refused: true}
        weak_cipher: {refused: true}
  contains:
    channel:
      description: Channel name.
      type: str
    port:
      description: TCP port.
      type: int
    encrypted:
      description: Whether a TLS session was established.
      type: bool
    verified:
      description: Whether the CA verified the presented certificate.
      type: bool
    protocol:
      description: TLS protocol of the session.
      type: str
    cipher:
      description: Cipher suite of the session.
      type: str
    sha256_fingerprint:
      description: Fingerprint of the presented certificate.
      type: str
    days_left:
      description: Days until the presented certificate expires.
      type: int
    plain_refused:
      description: C(mysql) channels, with O(probe_user) - whether a plaintext login was refused (null when undetermined).
      type: bool
    plain_peer:
      description: Channels of O(plain_peer_channels) - whether a plaintext gcomm handshake was refused (null when undetermined).
      type: dict
    refused_certs:
      description: Per O(refuse_certs) entry aimed at this channel, whether the server refused it.
      type: dict
    weak_tls:
      description: With O(weak_tls), whether the old protocols and the weak suites were refused.
      type: dict
    status:
      description: green, amber or red.
      type: str
    findings:
      description: Why the channel is not green.
      type: list
      elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.probes.encryption_report import (
    GALERA_CHANNELS, classify, worst)
from ansible_collections.clustersec.mysql.plugins.module_utils.probes.attacker_probes import (
    probe_plain_login, probe_plain_peer, probe_refuses_cert, probe_weak_tls)
from ansible_collections.clustersec.mysql.plugins.module_utils.galera.tls_policy import accepted_weakenings
from ansible_collections.clustersec.mysql.plugins.module_utils.probes.tls_probe import probe_mysql, probe_tls


def probe_channel(p, ch):
    """The positive probe of one channel, then the attacker-side probes where it listens."""
    mysql = ch['kind'] == 'mysql'
    cert = p['cert_path'] if mysql else (p['peer_cert_path'] or p['cert_path'])
    key = p['key_path'] if mysql else (p['peer_key_path'] or p['key_path'])
    args = dict(ca_path=p['ca_path'], cert_path=cert, key_path=key, server_name=p['server_name'], timeout=p['timeout'])
    if mysql:
        res = probe_mysql(p['address'], ch['port'], **args)
    else:
        res = probe_tls(p['address'], ch['port'], ch['name'], **args)
    res['channel'] = ch['name']
    res['kind'] = ch['kind']
    if not res.get('listening') or not res.get('encrypted'):
        return res
    if mysql and p['probe_user']:
        res.update(probe_plain_login(p['address'], ch['port'], p['probe_user'], p['probe_password'] or '',
                                     cert, key, p['timeout']))
    if not mysql and ch['name'] in p['plain_peer_channels']:
        res['plain_peer'] = probe_plain_peer(p['address'], ch['port'], p['timeout'])
    refused = {}
    for item in p['refuse_certs']:
        if ch['name'] in item['channels']:
            refused[item['name']] = probe_refuses_cert(p['address'], ch['port'], ch['kind'], item['cert_path'],
                                                       item['key_path'], p['timeout'])
    if refused:
        res['refused_certs'] = refused
    if p['weak_tls']:
        res['weak_tls'] = probe_weak_tls(p['address'], ch['port'], ch['kind'], cert, key, p['timeout'])
    return res


def main():
    module = AnsibleModule(
        argument_spec=dict(
            address=dict(type='str', required=True),
            channels=dict(type='list', elements='dict', options=dict(
                name=dict(type='str', required=True),
                port=dict(type='int', required=True),
                kind=dict(type='str', choices=['mysql', 'tls'], default='tls'),
                optional=dict(type='bool', default=False),
            )),
            ca_path=dict(type='path'),
            cert_path=dict(type='path'),
            key_path=dict(type='path'),
            peer_cert_path=dict(type='path'),
            peer_key_path=dict(type='path'),
            probe_user=dict(type='str'),
            probe_password=dict(type='str', no_log=True),
            refuse_certs=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True),
                cert_path=dict(type='path', required=True),
                key_path=dict(type='path', required=True, no_log=False),
                channels=dict(type='list', elements='str', required=True),
            )),
            weak_tls=dict(type='bool', default=True),
            accepted_risks=dict(type='list', elements='str', default=[]),
            plain_peer_channels=dict(type='list', elements='str', default=['group-communication']),
            policy_settings=dict(type='dict'),
            server_name=dict(type='str'),
            warn_days=dict(type='int', default=30),
            timeout=dict(type='float', default=5.0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    results = []
    configured = accepted_weakenings(p['policy_settings'], p['accepted_risks'])
    for ch in p['channels'] or GALERA_CHANNELS:
        results.append(classify(probe_channel(p, ch), p['warn_days'], ch.get('optional', False), p['accepted_risks'],
                                configured))
    module.exit_json(changed=False, channels=results, status=worst(r['status'] for r in results))


if __name__ == '__main__':
    main()
