#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: key_guard
short_description: Refuse to replace node key files and certificates that the controller's pki_dir did not make
version_added: 0.8.0
description:
  - Runs on the controller, once for all nodes, before anything is made or written. Compares what each node has
    (M(clustersec.mysql.key_guard_facts)) with the controller's CAs and data-at-rest keys.
  - Refused, naming host, file and the SHA-256 of the node's file (never key bytes) - a node file key that differs
    from the controller's, or any node file key while the controller has none; a node key file C(keys.enc) that is
    neither the controller's nor an earlier version kept in its C(retired/) archive, or any while the controller has
    none; a certificate not issued by one of O(ca_paths) (the current CAs and a staged next one), a trust file holding
    another CA, or any certificate while the controller has no CA (a run would make a new one).
  - Such a replacement loses data at the next restart or SST (the servers keep the old keys in memory until then), so
    it fails unless O(refuse) is false - the pki role's C(pki_replace_node_keys) - and RV(backup) says what to copy
    first.
author: clustersec.mysql developers (@clustersec)
requirements:
  - cryptography >= 38.0 (Python library, on the controller where the module runs)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  nodes:
    description: Per inventory host, the result of M(clustersec.mysql.key_guard_facts) on it.
    type: dict
    required: true
  ca_paths:
    description: Controller CA certificate files whose certificates a node may have (missing files are skipped).
    type: list
    elements: path
    default: []
  at_rest_dir:
    description: Controller directory of C(keys.enc), C(filekey) and the C(retired/) archive; omit when the run does
      not handle data-at-rest keys.
    type: path
  pki_dir:
    description: The controller directory named in messages.
    type: str
    default: pki_dir
  refuse:
    description: Fail when a node's files would be replaced; false returns the same problems and lets the run go on.
    type: bool
    default: true
seealso:
  - module: clustersec.mysql.key_guard_facts
  - module: clustersec.mysql.key_guard_backup
'''

EXAMPLES = r'''
- name: Refuse to replace keys this pki_dir did not make
  clustersec.mysql.key_guard:
    nodes: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, 'node_keys'))) }}"
    ca_paths: ["{{ pki_dir }}/ca.pem", "{{ pki_dir }}/client-ca.pem"]
    at_rest_dir: "{{ pki_dir }}/at-rest"
    pki_dir: "{{ pki_dir }}"
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
problems:
  description: One line per node file a run would replace without the controller having made it.
  returned: always
  type: list
  elements: str
  sample: ["db1: /etc/mysql/certs/at-rest/filekey (sha256 5d41...) differs from /srv/pki/at-rest/filekey (sha256 9e10...)"]
backup:
  description: Per host, the files to copy before they are replaced (refused files, the key of a refused certificate,
    and data-at-rest files that differ from the controller's).
  returned: always
  type: dict
  sample: {db1: [/etc/mysql/certs/at-rest/filekey, /etc/mysql/certs/at-rest/keys.enc]}
at_rest_files:
  description: Per host, the data-at-rest files it has (to copy when the controller's key file changes in the run).
  returned: always
  type: dict
  sample: {db1: [/etc/mysql/certs/at-rest/keys.enc, /etc/mysql/certs/at-rest/filekey]}
'''

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import key_guard
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nodes=dict(type='dict', required=True),
            ca_paths=dict(type='list', elements='path', default=[]),
            at_rest_dir=dict(type='path'),
            pki_dir=dict(type='str', default='pki_dir'),
            refuse=dict(type='bool', default=True),
        ),
        supports_check_mode=True)
    if not X.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=str(X.CRYPTOGRAPHY_IMPORT_ERROR))
    p = module.params
    try:
        cas = [c for path in p['ca_paths'] if os.path.exists(path) for c in X.load_certs('ca_paths', path)]
    except X509Error as exc:
        module.fail_json(msg=str(exc))
    at_rest = key_guard.controller_at_rest(p['at_rest_dir']) if p['at_rest_dir'] else None
    result = key_guard.decide(p['nodes'], cas, at_rest, p['pki_dir'])
    if result['problems'] and p['refuse']:
        module.fail_json(msg='%s; a run would replace them, and a server restarted or joined by SST afterwards could not '
                             'read its data or reach its peers. Restore %s from your backup (or point pki_dir at the '
                             'directory that made these files); set pki_replace_node_keys: true only to replace them on '
                             'purpose (each node keeps a dated copy). No node was changed'
                             % ('; '.join(result['problems']), p['pki_dir']), **result)
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
