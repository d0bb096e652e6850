#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: galera_restart
short_description: Restart a Galera node in one call - stop, start, wait for Synced, report how it rejoined
version_added: 0.8.0
description:
  - Stops the units of O(stop_units) (all of them, since a PXC node may run under C(mysql@bootstrap.service)), starts
    O(start_unit), waits until the node is Synced in a Primary component of at least O(wait_size) (at most O(max_size)) nodes and, with
    O(rejoin_log=journal), reads the unit's journal since the stop to report whether the node rejoined by IST or
    needed a full SST.
  - O(state=stopped) and O(state=started) split the two halves, for a caller that restarts several nodes at once
    (it checked first that the others keep a majority). The caller gates each restart; this module never decides
    whether a restart is safe.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
  - clustersec.mysql.galera_client
attributes:
  check_mode:
    support: full
    details: Reports changed (a restart would happen); nothing is stopped or started.
options:
  state:
    description: Restart, only stop, or only start (and wait).
    type: str
    choices: [restarted, stopped, started]
    default: restarted
  stop_units:
    description: systemd units to stop.
    type: list
    elements: str
    required: true
  start_unit:
    description: systemd unit to start.
    type: str
    required: true
  since:
    description: Journal start time for O(state=started) (RV(since) of the O(state=stopped) call).
    type: str
  wait_size:
    description: Smallest cluster size the node must see once Synced.
    type: int
    required: true
  max_size:
    description:
      - Largest cluster size the node may see once Synced, the node count of the inventory; a larger cluster holds a
        member nobody listed and fails. Not checked when omitted.
    type: int
  rejoin_log:
    description: V(journal) reads the journal of O(start_unit) for an SST; empty reports C(unknown).
    type: str
    default: journal
'''

EXAMPLES = r'''
- name: Restart node2 and wait for it to be Synced in a cluster of three
  clustersec.mysql.galera_restart:
    stop_units: [mariadb]
    start_unit: mariadb
    wait_size: 3
  delegate_to: node2
  register: restarted

- name: Stop unless it rejoined by IST
  ansible.builtin.assert:
    that: restarted.rejoined_by != 'sst'
'''

RETURN = r'''
since:
  description: Local time on the node just before the stop (journal format).
  returned: always
  type: str
  sample: "2026-12-02 06:10:00"
started_again:
  description:
    - The first start failed with galera's "A node with the same UUID already exists in the cluster" (peers still
      held the node's previous UUID; galera removed gvwstate.dat) and a second start was made.
  returned: when that happened
  type: bool
  sample: true
rejoined_by:
  description: C(ist), C(sst), C(none) (the node's state was current) or C(unknown) (no log read).
  returned: when a start happened
  type: str
  sample: ist
status:
  description: The node's Galera state after the wait.
  returned: when a start happened
  type: dict
  contains:
    wsrep_local_state_comment:
      description: Local state.
      type: str
      sample: Synced
    wsrep_cluster_status:
      description: Component status.
      type: str
      sample: Primary
    wsrep_cluster_size:
      description: Nodes in the component.
      type: str
      sample: "3"
seconds:
  description: Time the call took on the node.
  returned: always
  type: float
  sample: 5.2
'''

import shlex
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import rejoin as galera_rejoin
from ansible_collections.clustersec.mysql.plugins.module_utils.galera import wsrep_status


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['restarted', 'stopped', 'started'], default='restarted'),
            stop_units=dict(type='list', elements='str', required=True),
            start_unit=dict(type='str', required=True),
            since=dict(type='str'),
            wait_size=dict(type='int', required=True),
            max_size=dict(type='int'),
            rejoin_log=dict(type='str', default='journal'),
            **wsrep_status.CLIENT_SPEC),
        supports_check_mode=True)
    p = module.params
    started = time.monotonic()
    result = dict(changed=True, since=p['since'] or time.strftime('%Y-%m-%d %H:%M:%S'))
    if module.check_mode:
        module.exit_json(seconds=0.0, **result)
    if p['state'] in ('restarted', 'stopped'):
        rc, dummy, err = module.run_command(['systemctl', 'stop'] + p['stop_units'])
        if rc != 0:
            module.fail_json(msg='systemctl stop %s: %s' % (' '.join(p['stop_units']), err.strip()), **result)
    if p['state'] in ('restarted', 'started'):
        rc, dummy, err = module.run_command(['systemctl', 'start', p['start_unit']])
        if rc != 0 and p['rejoin_log'] == 'journal':
            dummy, log, dummy = module.run_command(['journalctl', '-u', p['start_unit'], '--since', result['since'],
                                                    '--no-pager', '-o', 'cat'])
            if galera_rejoin.start_again(log):
                result['started_again'] = True
                time.sleep(2)
                rc, dummy, err = module.run_command(['systemctl', 'start', p['start_unit']])
        if rc != 0:
            module.fail_json(msg='systemctl start %s: %s' % (p['start_unit'], err.strip()), **result)
        result['status'], problem = wsrep_status.wait_synced(
            module.run_command, shlex.split(p['client']), p['wait_size'], p['timeout'], p['poll_interval'],
            time.monotonic, time.sleep, most=p['max_size'])
        if problem is not None:
            module.fail_json(msg='not Synced in a cluster of %d after %d s: %s' % (p['wait_size'], p['timeout'], problem),
                             **result)
        result['rejoined_by'] = 'unknown'
        if p['rejoin_log'] == 'journal':
            rc, out, err = module.run_command(['journalctl', '-u', p['start_unit'], '--since', result['since'],
                                               '--no-pager', '-o', 'cat'])
            if rc == 0:
                result['rejoined_by'] = galera_rejoin.rejoined_by(out)
    result['seconds'] = round(time.monotonic() - started, 3)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
