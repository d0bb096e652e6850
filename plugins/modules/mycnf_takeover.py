#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: mycnf_takeover
short_description: Comment out, in a packaged option file, every option our drop-in sets, so ours wins
version_added: 0.8.0
description:
  - MySQL reads the files of an C(!includedir) directory in an order it does not define. A packaged file beside the
    role's drop-in (Percona XtraDB Cluster's Debian C(mysql.conf.d/mysqld.cnf) sets C(wsrep_cluster_address=gcomm://),
    C(wsrep_cluster_name) and C(wsrep_node_name)) may therefore win, and each node would bootstrap a cluster of one.
  - Each line of O(path) that sets, in the same section, an option of O(content) is commented out with a marker
    naming O(owner); every other line is kept. A backup is made first (O(backup)). The file is replaced atomically,
    keeping its owner and mode. Option names compare as the server does (C(-) and C(_) alike, case ignored).
  - A missing O(path) is not an error (nothing to take over).
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
attributes:
  diff_mode:
    support: full
options:
  path:
    description: The packaged option file.
    type: path
    required: true
  content:
    description: The content of our drop-in (its sections and option names are taken over).
    type: str
    required: true
  owner:
    description: The drop-in's path, named in the marker comment.
    type: str
    default: our drop-in
  backup:
    description: Keep a timestamped copy of the file before the first change.
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Let our PXC drop-in win over the packaged mysqld.cnf
  clustersec.mysql.mycnf_takeover:
    path: /etc/mysql/mysql.conf.d/mysqld.cnf
    content: "{{ lookup('ansible.builtin.file', 'pxc.cnf') }}"
    owner: /etc/mysql/mysql.conf.d/60-clustersec-pxc.cnf
'''

RETURN = r'''
disabled:
  description: The options commented out by this run.
  returned: always
  type: list
  elements: dict
  contains:
    section:
      description: Section of the option, lower case.
      type: str
      sample: mysqld
    option:
      description: Normalised option name.
      type: str
      sample: wsrep-cluster-address
    line:
      description: The line as it was.
      type: str
      sample: wsrep_cluster_address=gcomm://
  sample: [{section: mysqld, option: wsrep-cluster-address, line: "wsrep_cluster_address=gcomm://"}]
backup_file:
  description: The copy made before the change.
  returned: changed and backup is true
  type: str
  sample: /etc/mysql/mysql.conf.d/mysqld.cnf.1234.2026-12-02@10:00:00~
exists:
  description: Whether O(path) exists.
  returned: always
  type: bool
  sample: true
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils._common import mycnf_takeover


def main():
    module = AnsibleModule(
        argument_spec=dict(path=dict(type='path', required=True), content=dict(type='str', required=True),
                           owner=dict(type='str', default='our drop-in'), backup=dict(type='bool', default=True)),
        supports_check_mode=True)
    path = module.params['path']
    result = dict(changed=False, disabled=[], exists=os.path.isfile(path))
    if not result['exists']:
        module.exit_json(**result)
    with open(path) as handle:
        before = handle.read()
    after, disabled = mycnf_takeover.comment_out(before, mycnf_takeover.ours(module.params['content']),
                                                 module.params['owner'])
    result.update(disabled=disabled, changed=after != before)
    if module._diff:
        result['diff'] = dict(before=before, after=after, before_header=path, after_header=path)
    if result['changed'] and not module.check_mode:
        if module.params['backup']:
            result['backup_file'] = module.backup_local(path)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.clustersec-')
        with os.fdopen(fd, 'w') as handle:
            handle.write(after)
        stat = os.stat(path)
        os.chmod(tmp, stat.st_mode & 0o7777)
        os.chown(tmp, stat.st_uid, stat.st_gid)
        module.atomic_move(tmp, path)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
