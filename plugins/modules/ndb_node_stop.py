#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ndb_node_stop
short_description: Stop one NDB data node through ndb_mgm, only while every other data node is started
version_added: 0.1.0
description:
  - Waits until every data node of the cluster reports C(started) (up to O(timeout)), refuses when the node to
    stop is not the only one down in its node group, runs C(ndb_mgm -e "N stop"), and waits until the management
    server reports the node C(not connected).
  - A node that is already down is left as it is when every other data node is started.
  - This is the gate of a rolling restart; stopping the node's service afterwards (so that its angel process
    exits as well) is up to the caller.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
  - clustersec.mysql.ndb_mgm
attributes:
  check_mode:
    support: full
    details: In check mode the state is read and the gate checked once (no waiting), and nothing is stopped.
options:
  node_id:
    description: The data node to stop.
    type: int
    required: true
  timeout:
    description: Seconds to wait for the other data nodes to be started, and again for the node to be down.
    type: int
    default: 600
  poll_interval:
    description: Seconds between two polls.
    type: float
    default: 2
'''

EXAMPLES = r'''
- name: Stop data node 3 once the rest of the cluster is started
  clustersec.mysql.ndb_node_stop:
    node_id: 3
    connectstring: mgm1:1186
'''

RETURN = r'''
stopped:
  description: Whether the node was stopped by this call (false when it was already down).
  returned: always
  type: bool
nodegroup:
  description: Node group of the node, when ndb_mgm reported one.
  returned: always
  type: int
  sample: 0
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils import ndb_output, ndb_mgm
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb_error import NdbError

DOWN = ('not connected', 'no contact')


def read(module, command):
    rc, out, err = module.run_command(command + ['-e', 'show'])
    try:
        shown = ndb_output.parse_show(out + '\n' + err)
        rc, out, err = module.run_command(command + ['-e', 'all status'])
        status = ndb_output.parse_status(out + '\n' + err)
    except NdbError as exc:
        module.fail_json(msg=str(exc))
    return [n for n in ndb_output.merge_show_status(shown, status) if n['type'] == 'data']


def main():
    module = AnsibleModule(
        argument_spec=dict(
            node_id=dict(type='int', required=True),
            timeout=dict(type='int', default=600),
            poll_interval=dict(type='float', default=2),
            **ndb_mgm.MGM_SPEC
        ),
        supports_check_mode=True,
    )
    p = module.params
    binary = p['ndb_mgm'] if '/' in p['ndb_mgm'] else module.get_bin_path(p['ndb_mgm'], required=True)
    command = ndb_mgm.command(binary, p['connectstring'], p['extra_args'], p['connect_retries'])
    node_id = p['node_id']
    start = time.time()

    # 1. every other data node started (the target may be started or already down)
    while True:
        nodes = read(module, command)
        by_id = dict((n['id'], n) for n in nodes)
        if node_id not in by_id:
            module.fail_json(msg='data node %d is not in the running configuration (data nodes: %s)'
                             % (node_id, ', '.join(str(i) for i in sorted(by_id))))
        others = dict((i, n['state']) for i, n in by_id.items() if i != node_id and n['state'] != 'started')
        target_down = by_id[node_id]['state'] in DOWN
        if not others and (target_down or by_id[node_id]['state'] == 'started'):
            break
        if module.check_mode or time.time() - start >= p['timeout']:
            module.fail_json(msg='not stopping data node %d: after %d s %s' % (
                node_id, int(time.time() - start),
                ', '.join('node %d is %s' % (i, s) for i, s in sorted(others.items()))
                or 'the node itself is %s' % by_id[node_id]['state']))
        time.sleep(p['poll_interval'])

    group = by_id[node_id].get('nodegroup')
    if target_down:
        module.exit_json(changed=False, stopped=False, nodegroup=group, waited=round(time.time() - start, 1))
    if module.check_mode:
        module.exit_json(changed=True, stopped=False, nodegroup=group, waited=round(time.time() - start, 1))

    # 2. stop it and wait until the management server sees it down
    rc, out, err = module.run_command(command + ['-e', '%d stop' % node_id])
    if rc != 0:
        module.fail_json(msg='ndb_mgm -e "%d stop" failed (rc %d): %s' % (node_id, rc, (err or out).strip()[:300]))
    deadline = time.time() + p['timeout']
    while True:
        state = dict((n['id'], n['state']) for n in read(module, command)).get(node_id, 'not connected')
        if state in DOWN:
            break
        if time.time() >= deadline:
            module.fail_json(msg='data node %d still %s %d s after "%d stop"' % (node_id, state, p['timeout'], node_id))
        time.sleep(p['poll_interval'])
    module.exit_json(changed=True, stopped=True, nodegroup=group, waited=round(time.time() - start, 1))


if __name__ == '__main__':
    main()
