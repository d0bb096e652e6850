#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: key_guard_backup
short_description: Keep a dated root-only copy of a node's key files before a run replaces them
version_added: 0.8.0
description:
  - Runs on the node. Copies each existing file of O(paths) into O(dest)/<UTC stamp>/ (directories mode 0700,
    files 0600, owned by the connecting or become user), so that keys and certificates a run replaces can be put back.
  - Files are read without following symbolic links and written with O_EXCL|O_NOFOLLOW, their mode set on the
    descriptor; an existing backup is never overwritten (a second one in the same second gets a suffix).
  - Missing files are skipped; nothing to copy changes nothing.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  paths:
    description: Files to copy.
    type: list
    elements: path
    required: true
  dest:
    description: Backup directory; made mode 0700 where missing (missing parents too).
    type: path
    required: true
notes:
  - The copies hold key material. Remove them once the cluster runs with the new files and no backup needs the old
    ones.
seealso:
  - module: clustersec.mysql.key_guard
'''

EXAMPLES = r'''
- name: Keep the node's key files before they are replaced
  clustersec.mysql.key_guard_backup:
    paths: [/etc/mysql/certs/at-rest/keys.enc, /etc/mysql/certs/at-rest/filekey]
    dest: /var/backups/clustersec.mysql
'''

RETURN = r'''
directory:
  description: The dated directory the files were (in check mode, would be) copied to; null when none existed.
  returned: success
  type: str
  sample: /var/backups/clustersec.mysql/20250301T101500Z
copied:
  description: The files copied.
  returned: success
  type: list
  elements: str
  sample: [/etc/mysql/certs/at-rest/keys.enc]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import key_guard


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type='list', elements='path', required=True),
            dest=dict(type='path', required=True),
        ),
        supports_check_mode=True)
    p = module.params
    try:
        directory, copied = key_guard.backup(p['paths'], p['dest'], check_mode=module.check_mode)
    except (OSError, key_guard.KeyGuardError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=bool(copied), directory=directory, copied=copied)


if __name__ == '__main__':
    main()
