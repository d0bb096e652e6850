#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: at_rest_keyfile
short_description: Make and update the encrypted key file of MariaDB's file_key_management plugin
version_added: 0.8.0
description:
  - On the controller, keeps O(path)/keys.enc (the keys, C(<id>;<hex key>) lines, encrypted the way
    C(openssl enc -aes-256-cbc -md sha1) does, which the plugin reads with C(file_key_management_filekey)) and
    O(path)/filekey (a random file key), both mode 0600, written atomically.
  - Adds the key ids of O(key_ids) that are missing (key id 1 always exists), removes those of O(retire_ids), and
    never changes an existing key, since data on disk is encrypted with it.
  - An existing C(keys.enc) without its C(filekey) is refused, as is a file key that does not decrypt it.
  - Before C(keys.enc) is rewritten, its previous version is copied to O(path)/retired/keys.enc.<UTC stamp> (mode
    0600, encrypted with the same file key); a retired key is never destroyed, since backups made while it was in use
    need it, and M(clustersec.mysql.key_guard) recognises a node still holding an earlier version.
  - Key material is never returned; RV(fingerprint) is equal for equal key sets and reveals no key.
author: clustersec.mysql developers (@clustersec)
requirements:
  - cryptography >= 38.0 (Python library, on the controller where the module runs)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  path:
    description: Controller directory holding C(keys.enc) and C(filekey). Must exist.
    type: path
    required: true
  key_ids:
    description: Key ids that must exist (1 is always added).
    type: list
    elements: int
    default: [1]
  retire_ids:
    description: Key ids to remove once no data uses them (never 1).
    type: list
    elements: int
    default: []
  key_bits:
    description: Length of new keys.
    type: int
    choices: [128, 192, 256]
    default: 256
notes:
  - Back up C(filekey) and C(keys.enc) with the CA; a server cannot read its data without them.
seealso:
  - name: File Key Management Encryption Plugin
    description: MariaDB's documentation of the key file, its encryption and the plugin's variables.
    link: https://mariadb.com/kb/en/file-key-management-encryption-plugin/
'''

EXAMPLES = r'''
- name: Make the data-at-rest keys on the controller
  clustersec.mysql.at_rest_keyfile:
    path: "{{ pki_dir }}/at-rest"
  delegate_to: localhost
  run_once: true

- name: Add key 2 for a key rotation (key 1 stays)
  clustersec.mysql.at_rest_keyfile:
    path: "{{ pki_dir }}/at-rest"
    key_ids: [1, 2]
'''

RETURN = r'''
key_ids:
  description: Key ids in the file afterwards (or that a real run would leave, in check mode).
  returned: success
  type: list
  elements: int
  sample: [1, 2]
added:
  description: Key ids made by this run.
  returned: success
  type: list
  elements: int
  sample: [2]
removed:
  description: Key ids removed by this run.
  returned: success
  type: list
  elements: int
  sample: []
fingerprint:
  description: SHA-256 over the whole key set under a fixed label; equal exactly when two key sets are equal.
  returned: success
  type: str
  sample: 3f1c...
keyfile:
  description: Path of the encrypted key file.
  returned: success
  type: str
  sample: /home/ops/inventory/pki/at-rest/keys.enc
filekey:
  description: Path of the file key.
  returned: success
  type: str
  sample: /home/ops/inventory/pki/at-rest/filekey
archived:
  description: Where the previous key file was (in check mode, would be) copied before the rewrite; null when none was.
  returned: success
  type: str
  sample: /home/ops/inventory/pki/at-rest/retired/keys.enc.20250301T101500Z
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import at_rest_keys
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509 import write_atomic


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            # ids and sizes of keys, not keys
            key_ids=dict(type='list', elements='int', default=[1], no_log=False),
            retire_ids=dict(type='list', elements='int', default=[]),
            key_bits=dict(type='int', choices=[128, 192, 256], default=256, no_log=False),
        ),
        supports_check_mode=True)
    if not at_rest_keys.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=str(at_rest_keys.CRYPTOGRAPHY_IMPORT_ERROR))
    p = module.params
    try:
        result = at_rest_keys.ensure(p['path'], p['key_ids'], p['retire_ids'], p['key_bits'], module.check_mode,
                                     write_atomic)
    except (OSError, at_rest_keys.KeyFileError) as exc:
        module.fail_json(msg='%s: %s' % (p['path'], exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
