#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ndb_files_info
short_description: Compare an NDB node's files and directories with what they should be, changing nothing
version_added: 0.8.0
description:
  - Compares O(files) (content, mode, owner, group) and O(directories) (mode, owner, group) with what they should be and
    returns those that differ or are missing. Nothing is written, and the task never reports a change.
  - The ndb_tde role's C(converged) entry point gives it what its C(main) would write (config.ini, units, start script,
    password files, directories), rendered from the same templates, in one call per node.
  - Content is never shown - O(files[].content) is a no_log argument.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
  - clustersec.mysql.file_set
'''

EXAMPLES = r'''
- name: Would config.ini change?
  clustersec.mysql.ndb_files_info:
    directories: [{path: /var/lib/mysql-cluster-mgm, mode: '0750', owner: root, group: root}]
    files:
      - {dest: /var/lib/mysql-cluster-mgm/config.ini, content: "{{ lookup('ansible.builtin.template', 'config.ini.j2') }}",
         owner: root, group: root}
  register: ndb_files
'''

RETURN = r'''
differ:
  description: The O(files) and O(directories) whose content, mode, owner or group differ, or that are missing.
  returned: always
  type: list
  elements: str
  sample: [/var/lib/mysql-cluster-mgm/config.ini]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils._common import file_swap


def main():
    module = AnsibleModule(argument_spec=dict(**file_swap.FILE_SET_SPEC), supports_check_mode=True)
    p = module.params
    problems = file_swap.set_problems(p['files'])
    if problems:
        module.fail_json(msg='; '.join(problems))
    module.exit_json(changed=False, differ=file_swap.differing(p['directories'], p['files']))


if __name__ == '__main__':
    main()
