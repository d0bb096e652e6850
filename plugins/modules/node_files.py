#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: node_files
short_description: Put a set of files and their directory in place in one call, changing only what differs
version_added: 0.8.0
description:
  - One call per node for a whole file set (certificates and keys, a drop-in), where a loop of
    M(ansible.builtin.copy) costs one round trip per file even when nothing changes.
  - Each directory of O(directories) is made or given its mode and owner; each file of O(files) is written (one atomic
    rename, mode and owner set before it) where its content differs, and only given its mode and owner where only
    those differ.
  - Content is never shown - O(files[].content) is a no_log argument, so Ansible masks it in every output, diffs
    included - and that of O(files[].secret) files is replaced by a marker before that; a diff names the files
    written. Use M(ansible.builtin.copy) where a readable diff of a non-secret file matters.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
  - clustersec.mysql.file_set
attributes:
  diff_mode:
    support: full
    details: The diff names each file written; its content is masked (see the description).
'''

EXAMPLES = r'''
- name: The node's certificates in one call
  clustersec.mysql.node_files:
    directories: [{path: /etc/mysql/certs, mode: '0750', owner: mysql, group: mysql}]
    files:
      - {dest: /etc/mysql/certs/ca.pem, content: "{{ lookup('file', 'pki/ca.pem', rstrip=false) }}", owner: mysql}
      - {dest: /etc/mysql/certs/server-key.pem, content: "{{ lookup('file', 'pki/key.pem', rstrip=false) }}",
         mode: '0640', owner: mysql, secret: true}
  no_log: true
'''

RETURN = r'''
written:
  description: Files whose content was (in check mode, would be) written.
  returned: always
  type: list
  elements: str
  sample: [/etc/mysql/certs/server-cert.pem]
attributes_fixed:
  description: Files (and the directory) whose mode, owner or group only were (would be) set.
  returned: always
  type: list
  elements: str
  sample: [/etc/mysql/certs/server-key.pem]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils._common import file_swap


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **file_swap.FILE_SET_SPEC),
        supports_check_mode=True)
    p = module.params
    problems = file_swap.set_problems(p['files'])
    if problems:
        module.fail_json(msg='; '.join(problems))
    try:
        written, fixed, diffs = file_swap.apply(p['directories'], p['files'], module.check_mode, module._diff)
    except (OSError, KeyError, file_swap.SwapError) as exc:
        module.fail_json(msg='%s' % exc)
    result = dict(changed=bool(written or fixed), written=written, attributes_fixed=fixed)
    if diffs:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
