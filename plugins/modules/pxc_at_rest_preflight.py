#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: pxc_at_rest_preflight
short_description: Check a Percona XtraDB Cluster node before its data-at-rest keyring is configured
version_added: 0.8.0
description:
  - Runs on the node and changes nothing. Reports, one line per problem, what would keep the server from starting
    with its keyring or would lose keys.
  - The keyring library is missing from O(plugin_dir) (C(component_keyring_file.so), or C(keyring_file.so) for the
    8.0 plugin); the key file or its directory is open to others, the key file writable by its group or not owned
    by O(user); a manifest C(mysqld.my) in O(mysqld_dir) that loads other components too, or is not JSON (the role
    would replace it); a C(component_keyring_file.cnf) that points at another key file (its keys would no longer be
    read); GCache encryption on a running server older than PXC 8.0.31.
  - Works out the keyring the node has now (the manifest loads the component, or the previous drop-in O(config_file)
    loads C(keyring_file.so)) and what would change; turning data at rest off where the manifest loads the
    component is a problem (the server could no longer read its encrypted files).
  - Never reads the key file's content.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  keyring:
    description: The keyring the role is about to configure; V(none) when data at rest is off.
    type: str
    choices: [component, plugin, none]
    required: true
  keyring_file:
    description: The key file of that keyring (C(path) of the component, C(keyring_file_data) of the plugin).
    type: path
  plugin_dir:
    description: The server's plugin_dir (where the keyring library and C(component_keyring_file.cnf) are).
    type: path
    required: true
  mysqld_dir:
    description: The directory of the mysqld binary (where the global manifest C(mysqld.my) is).
    type: path
    required: true
  config_dir:
    description: Option file directory of the role's drop-in.
    type: path
  config_file:
    description: File name of the role's drop-in in O(config_dir); its current content is the previous configuration.
    type: str
  user:
    description: The server's operating system user; it must own the key file.
    type: str
    default: mysql
  running_version:
    description: C(@@version) of the running server, if it runs (checked against GCache encryption's first version).
    type: str
  gcache:
    description: Whether GCache and write-set cache encryption is wanted.
    type: bool
    default: false
  fail_on_problems:
    description: Fail when any problem is found (the message has one line per problem).
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Check the keyring before writing it
  clustersec.mysql.pxc_at_rest_preflight:
    keyring: component
    keyring_file: /var/lib/mysql-keyring/component_keyring_file
    plugin_dir: /usr/lib/mysql/plugin
    mysqld_dir: /usr/sbin
    config_dir: /etc/mysql/mysql.conf.d
    config_file: 60-clustersec-pxc.cnf
    fail_on_problems: false
  register: at_rest
'''

RETURN = r'''
problems:
  description: One line per problem; empty when all is well.
  returned: always
  type: list
  elements: str
  sample: ["keyring file /var/lib/mysql-keyring/component_keyring_file is readable or writable by others (mode 0644);
           it must be readable by mysql only (0600 or 0640)"]
previous:
  description: The keyring the node has now (V(component), V(plugin)); null when none.
  returned: always
  type: str
  sample: component
wanted:
  description: The keyring of O(keyring) (null for V(none)).
  returned: always
  type: str
  sample: component
changes:
  description: What would change; a change needs every node stopped (PXC does not allow nodes with and without a keyring).
  returned: always
  type: list
  elements: str
  sample: ["keyring none -> component"]
files:
  description: Paths of the manifest, the component configuration and the key file, and whether each exists.
  returned: always
  type: dict
  sample: {manifest: {path: /usr/sbin/mysqld.my, exists: true}, component_config: {path: /usr/lib/mysql/plugin/component_keyring_file.cnf,
           exists: true}, keyring: {path: /var/lib/mysql-keyring/component_keyring_file, exists: false}}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.pxc.at_rest import node_checks


def main():
    module = AnsibleModule(
        argument_spec=dict(
            keyring=dict(type='str', required=True, choices=['component', 'plugin', 'none']),
            keyring_file=dict(type='path'),
            plugin_dir=dict(type='path', required=True),
            mysqld_dir=dict(type='path', required=True),
            config_dir=dict(type='path'),
            config_file=dict(type='str'),
            user=dict(type='str', default='mysql'),
            running_version=dict(type='str'),
            gcache=dict(type='bool', default=False),
            fail_on_problems=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    kind = None if p['keyring'] == 'none' else p['keyring']
    result = node_checks(kind, p['keyring_file'], p['plugin_dir'], p['mysqld_dir'], p['config_dir'], p['config_file'],
                         p['user'], p['running_version'], p['gcache'])
    out = dict(changed=False, **result)
    if result['problems'] and p['fail_on_problems']:
        module.fail_json(msg='\n'.join(result['problems']), **out)
    module.exit_json(**out)


if __name__ == '__main__':
    main()
