#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: node_files
short_description: Put a set of files and their directory in place in one call, changing only what differs
version_added: 0.5.0
description:
  - One call per node for a whole file set (certificates and keys, a drop-in), where a loop of
    M(ansible.builtin.copy) costs one round trip per file even when nothing changes.
  - Each directory of O(directories) is made or given its mode and owner; each file of O(files) is written (one atomic
    rename, mode and owner set before it) where its content differs, and only given its mode and owner where only
    those differ.
  - Content marked O(files[].secret) is never shown in a diff; its file's name is.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
  - clustersec.mysql.file_set
attributes:
  diff_mode:
    support: full
    details: Content of secret files is replaced by a marker.
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

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils import file_swap


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **file_swap.FILE_SET_SPEC),
        supports_check_mode=True)
    p = module.params
    problems = file_swap.set_problems(p['files'])
    if problems:
        module.fail_json(msg='; '.join(problems))
    result = dict(changed=False, written=[], attributes_fixed=[])
    try:
        for directory in p['directories']:
            dir_entry = dict(directory, dest=directory['path'])
            if not os.path.isdir(directory['path']):
                result['written'].append(directory['path'])
                if not module.check_mode:
                    os.makedirs(directory['path'], int(directory['mode'], 8))
                    file_swap.set_attributes(dir_entry)
            elif file_swap.attributes_off(dir_entry):
                result['attributes_fixed'].append(directory['path'])
                if not module.check_mode:
                    file_swap.set_attributes(dir_entry)
        before, after = [], []
        for entry in p['files']:
            if not os.path.isdir(os.path.dirname(entry['dest'])) and module.check_mode:
                content_differs = True
            else:
                content_differs = bool(file_swap.pending([entry]))
            if content_differs:
                result['written'].append(entry['dest'])
                if module._diff:
                    old = '' if not os.path.exists(entry['dest']) else (
                        '(secret)\n' if entry['secret'] else open(entry['dest']).read())
                    before.append(old)
                    after.append('(secret)\n' if entry['secret'] else file_swap.wanted(entry).decode('utf-8', 'replace'))
                if not module.check_mode:
                    file_swap.install(entry)
            elif file_swap.attributes_off(entry):
                result['attributes_fixed'].append(entry['dest'])
                if not module.check_mode:
                    file_swap.set_attributes(entry)
    except (OSError, KeyError, file_swap.SwapError) as exc:
        module.fail_json(msg='%s' % exc, **result)
    result['changed'] = bool(result['written'] or result['attributes_fixed'])
    if module._diff and result['written']:
        dirs = [d['path'] for d in p['directories']]
        result['diff'] = [dict(before_header=path, after_header=path, before=b, after=a)
                          for path, b, a in zip([w for w in result['written'] if w not in dirs], before, after)]
    module.exit_json(**result)


if __name__ == '__main__':
    main()
