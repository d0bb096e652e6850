#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ndb_cluster_info
short_description: Read the node states of a MySQL NDB Cluster from ndb_mgm, and wait for them
version_added: 0.8.0
description:
  - Runs C(ndb_mgm -e show) and C(ndb_mgm -e "all status") and returns every node with its type, node group
    and state, the node groups, and the order of a node initial rolling restart that interleaves node groups.
  - With O(wait_for=started) it polls until the data nodes (or O(nodes)) report C(started); with
    O(wait_for=stopped) until O(nodes) are no longer connected. A timeout fails with the nodes still waited for.
  - It never changes the cluster.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
  - clustersec.mysql.ndb_mgm
attributes:
  check_mode:
    support: full
    details: The state is read in check mode too; O(wait_for) is ignored there, since nothing was started or stopped.
options:
  wait_for:
    description: Poll until the nodes are in this state.
    type: str
    choices: [none, started, stopped]
    default: none
  nodes:
    description: Node ids to wait for; default every data node (O(wait_for=started)). Required for O(wait_for=stopped).
    type: list
    elements: int
  timeout:
    description: Seconds to wait.
    type: int
    default: 600
  poll_interval:
    description: Seconds between two polls.
    type: float
    default: 2
  allow_unreachable:
    description: Return RV(reachable=false) instead of failing when no management server answers (no waiting then).
    type: bool
    default: false
notes:
  - A node counts as stopped when ndb_mgm reports it C(not connected) or C(no contact).
'''

EXAMPLES = r'''
- name: Wait until every data node is started
  clustersec.mysql.ndb_cluster_info:
    connectstring: mgm1:1186
    wait_for: started
    timeout: 900
  register: cluster

- name: Wait until node 3 is down
  clustersec.mysql.ndb_cluster_info:
    connectstring: mgm1:1186
    wait_for: stopped
    nodes: [3]
'''

RETURN = r'''
reachable:
  description: Whether a management server answered.
  returned: always
  type: bool
  sample: true
nodes:
  description: Every node of C(show), data nodes with their state from C(all status).
  returned: always
  type: list
  elements: dict
  sample: [{id: 2, type: data, state: started, nodegroup: 0, connected: true, address: 10.0.0.2}]
  contains:
    id: {description: Node id., type: int, sample: 2}
    type: {description: "C(data), C(mgmd) or C(api).", type: str, sample: data}
    state: {description: "State from C(all status) (data nodes) or C(show), for example C(started), C(not connected).", type: str, sample: started}
    nodegroup: {description: "Node group of a data node; null when it has none.", type: int, sample: 0}
    connected: {description: Whether the node is connected., type: bool, sample: true}
    address: {description: Address the node connected from., type: str, sample: 10.0.0.2}
    version: {description: "Version C(show) reports; null when not connected.", type: str, sample: mysql-8.4.3 ndb-8.4.3}
    master: {description: Whether the data node is the master., type: bool, sample: false}
data_nodes:
  description: Data node ids.
  returned: always
  type: list
  elements: int
  sample: [2, 3, 4, 5]
started:
  description: Data node ids reporting C(started).
  returned: always
  type: list
  elements: int
  sample: [2, 3, 4, 5]
not_started:
  description: Data nodes not started, id to state.
  returned: always
  type: dict
  sample: {"3": "starting"}
all_started:
  description: Every data node is started.
  returned: always
  type: bool
nodegroups:
  description: Node group to data node ids (nodes without a node group under C(none)).
  returned: always
  type: dict
  sample: {"0": [2, 3], "1": [4, 5]}
restart_order:
  description: Data node ids in the order of a rolling restart, node groups interleaved.
  returned: always
  type: list
  elements: int
  sample: [2, 4, 3, 5]
single_replica_groups:
  description: Node groups with a single data node (NoOfReplicas=1).
  returned: always
  type: list
  elements: int
  sample: []
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
error:
  description: Why no management server answered.
  returned: when RV(reachable) is false
  type: str
  sample: 'ndb_mgm could not reach the management server: Unable to connect with connect string: nodeid=0,mgm1:1186'
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import output as ndb_output
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import restart as ndb_restart
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import mgm as ndb_mgm
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError

DOWN = ('not connected', 'no contact')


def read(module, command):
    rc, out, err = module.run_command(command + ['-e', 'show'])
    try:
        shown = ndb_output.parse_show(out + '\n' + err)
    except NdbError as exc:
        return None, str(exc)
    if rc != 0 and not shown:
        return None, 'ndb_mgm -e show failed (rc %d): %s' % (rc, (err or out).strip()[:300])
    rc, out, err = module.run_command(command + ['-e', 'all status'])
    try:
        status = ndb_output.parse_status(out + '\n' + err)
    except NdbError as exc:
        return None, str(exc)
    return ndb_output.merge_show_status(shown, status), None


def summarize(nodes):
    data = [n for n in nodes if n['type'] == 'data']
    started = [n['id'] for n in data if n['state'] == 'started']
    groups = ndb_restart.nodegroups(data)
    return dict(
        reachable=True, nodes=nodes, data_nodes=[n['id'] for n in data], started=started,
        not_started=dict((str(n['id']), n['state']) for n in data if n['state'] != 'started'),
        all_started=len(started) == len(data) and bool(data),
        nodegroups=dict(('none' if g is None else str(g), ids) for g, ids in groups.items()),
        restart_order=ndb_restart.restart_plan(data), single_replica_groups=ndb_restart.single_replica_groups(data))


def satisfied(nodes, wait_for, wanted):
    states = dict((n['id'], n['state']) for n in nodes)
    if wait_for == 'started':
        ids = wanted or [n['id'] for n in nodes if n['type'] == 'data']
        pending = [i for i in ids if states.get(i) != 'started']
    else:
        pending = [i for i in wanted if states.get(i, 'not connected') not in DOWN]
    return pending, states


def main():
    module = AnsibleModule(
        argument_spec=dict(
            wait_for=dict(type='str', choices=['none', 'started', 'stopped'], default='none'),
            nodes=dict(type='list', elements='int'),
            timeout=dict(type='int', default=600),
            poll_interval=dict(type='float', default=2),
            allow_unreachable=dict(type='bool', default=False),
            **ndb_mgm.MGM_SPEC
        ),
        required_if=[('wait_for', 'stopped', ('nodes',))],
        supports_check_mode=True,
    )
    p = module.params
    binary = p['ndb_mgm']
    if '/' not in binary:
        binary = module.get_bin_path(binary, required=True)
    try:
        command = ndb_mgm.command(binary, p['connectstring'], p['extra_args'], p['connect_retries'])
    except NdbError as exc:
        module.fail_json(msg=str(exc))
    wait_for = 'none' if module.check_mode else p['wait_for']
    start = time.time()
    deadline = start + p['timeout']
    while True:
        nodes, error = read(module, command)
        if nodes is None:
            if p['allow_unreachable']:
                module.exit_json(changed=False, reachable=False, error=error, nodes=[], data_nodes=[], started=[],
                                 not_started={}, all_started=False, nodegroups={}, restart_order=[],
                                 single_replica_groups=[], waited=round(time.time() - start, 1))
            if wait_for == 'none' or time.time() >= deadline:
                module.fail_json(msg=error, waited=round(time.time() - start, 1))
        else:
            if wait_for == 'none':
                break
            pending, states = satisfied(nodes, wait_for, p['nodes'])
            if not pending:
                break
            if time.time() >= deadline:
                module.fail_json(
                    msg='after %d s, node%s %s still not %s: %s' % (
                        p['timeout'], 's' if len(pending) > 1 else '', ', '.join(str(i) for i in pending), wait_for,
                        ', '.join('%d %s' % (i, states.get(i, 'unknown')) for i in pending)),
                    waited=round(time.time() - start, 1), **summarize(nodes))
        time.sleep(p['poll_interval'])
    result = summarize(nodes)
    module.exit_json(changed=False, waited=round(time.time() - start, 1), **result)


if __name__ == '__main__':
    main()
