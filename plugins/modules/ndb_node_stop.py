#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ndb_node_stop
short_description: Stop NDB data nodes through ndb_mgm, only while every other data node is started
version_added: 0.8.0
description:
  - Waits until every data node of the cluster reports C(started) (up to O(timeout)), refuses when the node to
    stop is not the only one down in its node group, runs C(ndb_mgm -e "N stop"), and waits until the management
    server reports the node C(not connected).
  - With O(node_ids), the nodes are stopped as one wave of a rolling restart (at most one per node group), each by
    its own C(ndb_mgm -e "N stop") (the management server refuses a graceful stop of several nodes in one command);
    two of them in one node group are refused before anything is stopped.
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
    description: The data node to stop. Exactly one of O(node_id) and O(node_ids) is required.
    type: int
  node_ids:
    description: Data nodes to stop together, each of another node group.
    type: list
    elements: int
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

- name: Stop one data node of each of two node groups together
  clustersec.mysql.ndb_node_stop:
    node_ids: [2, 4]
    connectstring: mgm1:1186,mgm2:1186
'''

RETURN = r'''
stopped:
  description: Whether a node was stopped by this call (false when every node was already down).
  returned: always
  type: bool
nodegroup:
  description: Node group of the (first) node, when ndb_mgm reported one.
  returned: always
  type: int
  sample: 0
nodes:
  description: The nodes asked for, with what happened to each.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Node id.
      type: int
      sample: 2
    nodegroup:
      description: Its node group (null when it has none).
      type: int
      sample: 0
    stopped:
      description: Stopped by this call (false when it was already down).
      type: bool
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import output as ndb_output
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import mgm as ndb_mgm
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError

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
            node_id=dict(type='int'),
            node_ids=dict(type='list', elements='int'),
            timeout=dict(type='int', default=600),
            poll_interval=dict(type='float', default=2),
            **ndb_mgm.MGM_SPEC
        ),
        mutually_exclusive=[('node_id', 'node_ids')],
        required_one_of=[('node_id', 'node_ids')],
        supports_check_mode=True,
    )
    p = module.params
    binary = p['ndb_mgm'] if '/' in p['ndb_mgm'] else module.get_bin_path(p['ndb_mgm'], required=True)
    try:
        command = ndb_mgm.command(binary, p['connectstring'], p['extra_args'], p['connect_retries'])
    except NdbError as exc:
        module.fail_json(msg=str(exc))
    targets = sorted(set([p['node_id']] if p['node_id'] is not None else p['node_ids']))
    if not targets:
        module.fail_json(msg='node_ids is empty')
    start = time.time()

    # 1. every other data node started (the targets may be started or already down)
    while True:
        nodes = read(module, command)
        by_id = dict((n['id'], n) for n in nodes)
        missing = [i for i in targets if i not in by_id]
        if missing:
            module.fail_json(msg='data node %s not in the running configuration (data nodes: %s)'
                             % (', '.join(str(i) for i in missing), ', '.join(str(i) for i in sorted(by_id))))
        groups = [by_id[i].get('nodegroup') for i in targets if by_id[i].get('nodegroup') is not None]
        if len(groups) != len(set(groups)):
            module.fail_json(msg='not stopping data nodes %s together: two of them are in one node group (%s); '
                             'the node group would go down' % (', '.join(str(i) for i in targets), ', '.join(
                                 '%d in %s' % (i, by_id[i].get('nodegroup')) for i in targets)))
        others = dict((i, n['state']) for i, n in by_id.items() if i not in targets and n['state'] != 'started')
        pending = [i for i in targets if by_id[i]['state'] not in DOWN and by_id[i]['state'] != 'started']
        if not others and not pending:
            break
        if module.check_mode or time.time() - start >= p['timeout']:
            module.fail_json(msg='not stopping data node%s %s: after %d s %s' % (
                's' if len(targets) > 1 else '', ', '.join(str(i) for i in targets), int(time.time() - start),
                ', '.join('node %d is %s' % (i, s) for i, s in sorted(others.items()))
                or ', '.join('node %d itself is %s' % (i, by_id[i]['state']) for i in pending)))
        time.sleep(p['poll_interval'])

    up = [i for i in targets if by_id[i]['state'] not in DOWN]
    report = [dict(id=i, nodegroup=by_id[i].get('nodegroup'), stopped=i in up and not module.check_mode)
              for i in targets]
    result = dict(nodegroup=by_id[targets[0]].get('nodegroup'), nodes=report)
    if not up or module.check_mode:
        module.exit_json(changed=bool(up), stopped=False, waited=round(time.time() - start, 1), **result)

    # 2. stop them one command each (real ndb_mgm 9.7 refuses "2 4 stop": "Unsupported multi node shutdown. Abort
    # option required."; MgmtSrvr stops several nodes at once only with -a, which is not graceful), then wait until
    # the management server sees all of them down. The lines decide, not only the exit code.
    for node in up:
        command_text = '%d stop' % node
        rc, out, err = module.run_command(command + ['-e', command_text])
        answer = ndb_output.parse_stop_output(out + '\n' + err)
        if rc != 0 or answer['error'] or answer['stopped'] != [node]:
            module.fail_json(msg='ndb_mgm -e "%s" failed (rc %d): %s' % (
                command_text, rc, answer['error'] or (err or out).strip()[:300] or 'no "has shutdown" line'))
    command_text = ', '.join('%d stop' % i for i in up)
    deadline = time.time() + p['timeout']
    while True:
        states = dict((n['id'], n['state']) for n in read(module, command))
        still = [i for i in up if states.get(i, 'not connected') not in DOWN]
        if not still:
            break
        if time.time() >= deadline:
            module.fail_json(msg='data node%s %s still up %d s after "%s"' % (
                's' if len(still) > 1 else '', ', '.join(str(i) for i in still), p['timeout'], command_text))
        time.sleep(p['poll_interval'])
    module.exit_json(changed=True, stopped=True, waited=round(time.time() - start, 1), **result)


if __name__ == '__main__':
    main()
