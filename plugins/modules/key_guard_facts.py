#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: key_guard_facts
short_description: Read what a node's key files and certificates are, without their secrets
version_added: 0.8.0
description:
  - Runs on the node, reads only. For the pre-flight of M(clustersec.mysql.key_guard), which compares them with the
    controller's before anything is written.
  - Returns the SHA-256 of each file found, and the PEM of certificates (public); of private keys and of the
    data-at-rest key file and file key only the SHA-256 of the file, never their content.
  - Files are opened without following symbolic links (a directory the server user owns may hold one); a link or a
    special file is an error.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  certs:
    description: Certificate files (trust files such as C(ca.pem), and leaves); missing ones are left out.
    type: list
    elements: path
    default: []
  keys:
    description: Private key files; only their SHA-256 is returned.
    type: list
    elements: path
    default: []
  at_rest_dir:
    description: Directory of the data-at-rest C(keys.enc) and C(filekey); only their SHA-256 is returned.
    type: path
seealso:
  - module: clustersec.mysql.key_guard
'''

EXAMPLES = r'''
- name: Read the node's certificates and key files
  clustersec.mysql.key_guard_facts:
    certs: [/etc/mysql/certs/ca.pem, /etc/mysql/certs/server-cert.pem]
    keys: [/etc/mysql/certs/server-key.pem]
    at_rest_dir: /etc/mysql/certs/at-rest
  register: node_keys
'''

RETURN = r'''
certs:
  description: Per certificate file found, the SHA-256 of the file and its certificates in PEM.
  returned: success
  type: dict
  sample: {/etc/mysql/certs/ca.pem: {sha256: 9f2c..., pem: "-----BEGIN CERTIFICATE-----..."}}
keys:
  description: Per private key file found, the SHA-256 of the file.
  returned: success
  type: dict
  sample: {/etc/mysql/certs/server-key.pem: {sha256: 1b7e...}}
at_rest:
  description: Per data-at-rest file found (C(keys.enc), C(filekey)), its path and the SHA-256 of the file.
  returned: success
  type: dict
  sample: {filekey: {path: /etc/mysql/certs/at-rest/filekey, sha256: 5d41...}}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import key_guard


def main():
    module = AnsibleModule(
        argument_spec=dict(
            certs=dict(type='list', elements='path', default=[]),
            # paths of key files, not keys
            keys=dict(type='list', elements='path', default=[], no_log=False),
            at_rest_dir=dict(type='path'),
        ),
        supports_check_mode=True)
    p = module.params
    try:
        facts = key_guard.node_facts(p['certs'], p['keys'], p['at_rest_dir'])
    except key_guard.KeyGuardError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **facts)


if __name__ == '__main__':
    main()
