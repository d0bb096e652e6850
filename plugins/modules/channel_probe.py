#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: channel_probe
short_description: Probe which channels of a database node are encrypted, and with which certificate
version_added: 0.1.0
description:
  - Connects to each channel of a MySQL-family node the way a peer would and reports whether it is
    encrypted, the TLS protocol and cipher, and the certificate the port presents (subject, issuer,
    SANs, not after, days left, SHA-256 fingerprint).
  - The client-server port is probed the MySQL way (the server speaks first; the client asks for the
    TLS upgrade with an SSLRequest packet). Galera ports (group communication, IST, SST) are probed with
    a TLS handshake from the first byte.
  - A certificate that the given CA does not verify is still described, and reported as a finding.
  - Problems are findings in the result (status C(green), C(amber) or C(red)); the module fails only on
    invalid arguments, so one bad node never stops a report.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
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
    description: Client certificate to present (Galera demands one from its peers).
    type: path
  key_path:
    description: Key of O(cert_path).
    type: path
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
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.encryption_report import (
    GALERA_CHANNELS, classify, worst)
from ansible_collections.clustersec.mysql.plugins.module_utils.tls_probe import probe_mysql, probe_tls


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
            server_name=dict(type='str'),
            warn_days=dict(type='int', default=30),
            timeout=dict(type='float', default=5.0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    results = []
    for ch in p['channels'] or GALERA_CHANNELS:
        args = dict(ca_path=p['ca_path'], cert_path=p['cert_path'], key_path=p['key_path'],
                    server_name=p['server_name'], timeout=p['timeout'])
        if ch['kind'] == 'mysql':
            res = probe_mysql(p['address'], ch['port'], **args)
        else:
            res = probe_tls(p['address'], ch['port'], ch['name'], **args)
        res['channel'] = ch['name']
        results.append(classify(res, p['warn_days'], ch.get('optional', False)))
    module.exit_json(changed=False, channels=results, status=worst(r['status'] for r in results))


if __name__ == '__main__':
    main()
