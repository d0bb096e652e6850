#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: trust_gate_facts
short_description: Read the certificates and CA files a node's configuration really uses, for the trust gate
version_added: 0.9.0
description:
  - Runs on the node. Finds, from the product role's certificate channels (C(galera_engine.tls_channels)), which file
    the node presents to peers (group communication, SST), on 3306 and as a client, and which CA file it verifies peers, clients and servers
    with (an operator may point a CA at a file of their own), and returns the certificates those files hold.
  - Only certificates are read and returned; a key file is never opened, and any other PEM block in a file (a key
    pasted by mistake) is dropped. Read-only.
  - M(clustersec.mysql.trust_gate) takes the result of every node and decides on the controller.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  remote_dir:
    description: The node's certificate directory (the pki role's C(pki_remote_dir)); files not named by O(channels) are here.
    type: path
    default: /etc/mysql/certs
  channels:
    description:
      - The product role's channels (C(galera_engine.tls_channels)) with C(name), C(ca), C(cert) and, for the client
        certificate's channel, C(separate_from). Empty - the pki role's file names in O(remote_dir).
    type: list
    elements: dict
    default: []
'''

EXAMPLES = r'''
- name: Read which certificates and CA files the node uses
  clustersec.mysql.trust_gate_facts:
    remote_dir: /etc/mysql/certs
    channels: "{{ galera_engine.tls_channels | default([]) }}"
  register: node_trust
'''

RETURN = r'''
paths:
  description:
    - The node path of each role (peer_cert, peer_ca, server_cert, server_ca, client_cert, client_ca).
    - client_cert is null where the channels have no client certificate (PXC's automatic mode); client_ca is then server_ca.
  returned: always
  type: dict
  sample: {peer_ca: /etc/mysql/certs/ca.pem, client_ca: /etc/mysql/certs/client-ca.pem}
files:
  description: Each of those paths that exists, with the PEM certificates it holds (public material only).
  returned: always
  type: dict
  sample: {/etc/mysql/certs/ca.pem: "-----BEGIN CERTIFICATE-----..."}
missing:
  description: Paths of RV(paths) that are no regular file on the node.
  returned: always
  type: list
  elements: str
  sample: []
'''

import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.trust_gate import node_paths

_PEM_CERT = re.compile(r'-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\s*', re.S)
# A CA bundle of a few hundred certificates is far below this; a larger file is no certificate file.
MAX_BYTES = 4 * 1024 * 1024


def read_certificates(path):
    with open(path, 'rb') as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError('%s is larger than %d bytes; no certificate file' % (path, MAX_BYTES))
    return ''.join(block.strip() + '\n' for block in _PEM_CERT.findall(data.decode('ascii', 'replace')))


def main():
    module = AnsibleModule(
        argument_spec=dict(remote_dir=dict(type='path', default='/etc/mysql/certs'),
                           channels=dict(type='list', elements='dict', default=[])),
        supports_check_mode=True,
    )
    paths = node_paths(module.params['remote_dir'], module.params['channels'])
    files, missing = {}, []
    for path in sorted(set(p for p in paths.values() if p)):
        if not os.path.isfile(path):
            missing.append(path)
            continue
        try:
            files[path] = read_certificates(path)
        except (IOError, OSError, ValueError) as exc:
            module.fail_json(msg='cannot read %s: %s' % (path, getattr(exc, 'strerror', None) or exc))
    module.exit_json(changed=False, paths=paths, files=files, missing=missing)


if __name__ == '__main__':
    main()
