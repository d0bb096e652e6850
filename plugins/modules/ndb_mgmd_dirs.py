#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ndb_mgmd_dirs
short_description: Check the NDB management server's directories, and carry its configuration cache to a new one
version_added: 0.8.0
description:
  - C(ndb_mgmd) runs as root and writes its logs, pid file and binary configuration cache in its directories, and
    root writes C(config.ini) there. Reports as RV(problems) every such directory that is a data node's directory
    or inside one (the data user owns it), or that an account other than root can change (owned by it, writable by
    its group or by everyone, or below such a directory), and a C(config.ini) that is a symbolic link or not root's.
  - Reports in RV(cache_source) the newest C(ndb_<id>_config.bin.<generation>) of an old configuration directory
    when O(configdir) has none of this node (the directory moved). With O(copy_cache=true) it copies that file into
    O(configdir), read without following a symbolic link (a regular file of root with one link only) and written as
    a new file renamed into place, so that C(ndb_mgmd --reload) starts from the confirmed configuration instead of
    taking C(config.ini) as an initial one.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
attributes:
  check_mode:
    support: full
    details: Only looks, and in check mode reports the copy it would make.
options:
  directories:
    description: The management server's directories, each C({name, path}) (name is the variable it comes from).
    type: list
    elements: dict
    default: []
  data_directories:
    description: The DataDir of every data node on this host.
    type: list
    elements: path
    default: []
  config_file:
    description: The C(config.ini) root writes.
    type: path
  node_id:
    description: The management node id (for the configuration cache).
    type: int
  configdir:
    description: The configuration directory (C(--configdir)) ndb_mgmd is started with.
    type: path
  old_configdirs:
    description: Configuration directories of earlier layouts, searched in order for this node's cache.
    type: list
    elements: path
    default: []
  copy_cache:
    description: Copy RV(cache_source) into O(configdir). Refused while RV(problems) is not empty.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Look at the management server's directories
  clustersec.mysql.ndb_mgmd_dirs:
    directories:
      - {name: ndb_tde_mgmd_datadir, path: /var/lib/mysql-cluster-mgm}
    data_directories: [/var/lib/mysql-cluster]
    config_file: /var/lib/mysql-cluster-mgm/config.ini
    node_id: 1
    configdir: /var/lib/mysql-cluster-mgm/cache
    old_configdirs: [/var/lib/mysql-cluster/cache]
'''

RETURN = r'''
problems:
  description: Why root must not write there, one sentence each (empty when the directories are root's alone).
  returned: always
  type: list
  elements: str
cache_source:
  description: The binary configuration of an old configuration directory to carry over, or null.
  returned: always
  type: str
  sample: /var/lib/mysql-cluster/cache/ndb_1_config.bin.3
copied:
  description: Where the cache was copied to (null when nothing was, or in check mode).
  returned: always
  type: str
  sample: /var/lib/mysql-cluster-mgm/cache/ndb_1_config.bin.3
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import mgmd_dirs as ndb_mgmd_dirs


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type='list', elements='dict', default=[]),
            data_directories=dict(type='list', elements='path', default=[]),
            config_file=dict(type='path'),
            node_id=dict(type='int'),
            configdir=dict(type='path'),
            old_configdirs=dict(type='list', elements='path', default=[]),
            copy_cache=dict(type='bool', default=False),
        ),
        required_if=[('copy_cache', True, ('node_id', 'configdir'))],
        supports_check_mode=True,
    )
    p = module.params
    paths = [(d.get('name') or d.get('path'), d.get('path')) for d in p['directories']]
    problems = ndb_mgmd_dirs.layout_problems(paths, p['data_directories'])
    problems += ndb_mgmd_dirs.directory_problems(paths)
    if p['config_file']:
        why = ndb_mgmd_dirs.file_problem('config.ini', p['config_file'])
        if why:
            problems.append(why)
    source = None
    if p['node_id'] is not None and p['configdir']:
        source = ndb_mgmd_dirs.cache_source(p['configdir'], p['node_id'], p['old_configdirs'])
    result = dict(changed=False, problems=problems, cache_source=source, copied=None)
    if p['copy_cache'] and source:
        if problems:
            module.fail_json(msg='not copying %s: %s' % (source, '; '.join(problems)), **result)
        result['changed'] = True
        if not module.check_mode:
            try:
                result['copied'] = ndb_mgmd_dirs.copy_cache(source, p['configdir'])
            except OSError as exc:
                module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
