#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: galera_node_state
short_description: Read in one call which unit of a Galera node runs, the running server's variables and its state
version_added: 0.8.0
description:
  - Asks systemd which of O(units) is active and, when one is, the server (through the command-line client) for the
    values of O(variables) and, with O(status), its Galera state. Changes nothing.
  - Also compares, in the same call, O(files) and O(directories) with what they should be (nothing is written),
    so a re-run that finds nothing to do costs one round trip per node.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
  - clustersec.mysql.file_set
options:
  units:
    description: systemd units of the server (PXC - the normal unit and mysql@bootstrap.service).
    type: list
    elements: str
    required: true
  client:
    description: The command-line client, run with C(-N -B -e).
    type: str
    default: mariadb
  variables:
    description: Server variables to read (without C(@@)).
    type: list
    elements: str
    default: [wsrep_provider_options]
  status:
    description: Also read the node's Galera state (local state, component status, cluster size).
    type: bool
    default: false
  commands:
    description: Commands that must be on the node's PATH (an SST method's tools); RV(missing) lists those that are not.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: What runs now
  clustersec.mysql.galera_node_state:
    units: [mysql, mysql@bootstrap.service]
    client: mysql
    variables: [wsrep_provider_options, ssl_ca]
  register: running
'''

RETURN = r'''
units:
  description: Each unit's C(systemctl is-active) answer.
  returned: always
  type: dict
  sample: {mariadb: active}
running_unit:
  description: The unit that runs the server - the first of O(units) unless only another one is active (PXC's bootstrap unit).
  returned: always
  type: str
  sample: mysql@bootstrap.service
active:
  description: Whether any of O(units) is active.
  returned: always
  type: bool
  sample: true
variables:
  description: The running values of O(variables); empty when no unit runs or the server did not answer.
  returned: always
  type: dict
  sample: {wsrep_provider_options: "socket.ssl = YES; ..."}
status:
  description: With O(status), the node's Galera state; empty when no unit runs or the server did not answer.
  returned: always
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
differ:
  description: The O(files) and O(directories) whose content, mode, owner or group differ, or that are missing.
  returned: always
  type: list
  elements: str
  sample: [/etc/mysql/certs/server-cert.pem]
missing:
  description: The O(commands) that are not on the node's PATH.
  returned: always
  type: list
  elements: str
  sample: []
error:
  description: The client's message when a unit is active but the server did not answer; empty otherwise.
  returned: always
  type: str
  sample: ""
'''

import shlex

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils._common import file_swap
from ansible_collections.clustersec.mysql.plugins.module_utils.galera import service_plan, wsrep_status


def main():
    module = AnsibleModule(
        argument_spec=dict(units=dict(type='list', elements='str', required=True),
                           client=dict(type='str', default='mariadb'),
                           variables=dict(type='list', elements='str', default=['wsrep_provider_options']),
                           status=dict(type='bool', default=False),
                           commands=dict(type='list', elements='str', default=[]),
                           **file_swap.FILE_SET_SPEC),
        supports_check_mode=True)
    p = module.params
    problems = file_swap.set_problems(p['files'])
    if problems:
        module.fail_json(msg='; '.join(problems))
    differ = file_swap.differing(p['directories'], p['files'])
    rc, out, err = module.run_command(['systemctl', 'is-active'] + p['units'])
    answers = out.splitlines()
    units = dict((u, answers[i] if i < len(answers) else 'unknown') for i, u in enumerate(p['units']))
    result = dict(changed=False, units=units, active='active' in units.values(), variables={}, error='', status={},
                  running_unit=service_plan.running_unit(p['units'], units),
                  missing=[c for c in p['commands'] if module.get_bin_path(c) is None], differ=differ)
    if result['active'] and p['variables']:
        sql = 'SELECT ' + ', '.join('@@' + v for v in p['variables'])
        rc, out, err = module.run_command(shlex.split(p['client']) + ['-N', '-B', '-e', sql])
        if rc == 0:
            result['variables'] = dict(zip(p['variables'], out.rstrip('\n').split('\t')))
        else:
            result['error'] = err.strip() or 'client exit code %d' % rc
    if result['active'] and p['status'] and not result['error']:
        result['status'], problem = wsrep_status.read(module.run_command, shlex.split(p['client']))
        if problem:
            result['error'] = problem
    module.exit_json(**result)


if __name__ == '__main__':
    main()
