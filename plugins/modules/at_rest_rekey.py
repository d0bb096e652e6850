#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: at_rest_rekey
short_description: Move a MariaDB Galera node's tables to a data-at-rest key id and see which key ids are in use
version_added: 0.8.0
description:
  - Checks that the server has loaded key O(key_id) (the session variable C(innodb_default_encryption_key_id) warns
    about a key the plugin does not have), then reads every InnoDB tablespace's key id from
    C(information_schema.INNODB_TABLESPACES_ENCRYPTION).
  - With O(move=true), rebuilds every table whose encrypted tablespace uses another key (tables of the C(mysql)
    schema only when their key is one of O(retire_ids)) with
    C(ALTER TABLE ... ENCRYPTION_KEY_ID=<key_id>), in the session's C(wsrep_OSU_method=TOI), so Galera applies each
    statement on every node in the same order. Run it on one node of a cluster whose every node has loaded the key.
  - With O(timeout), waits until no encrypted tablespace of this node uses one of O(retire_ids) (the rebuilds
    arrive from the node that ran them) and fails naming those that still do.
  - The system tablespace, undo tablespaces, full-text index tables, redo log, binlogs, temporary files and Aria
    tables use key id 1, which is never moved nor retired. MariaDB's file_key_management plugin has no key versions, so a new key id is the
    only way to rotate.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  client:
    description: The client command line, split on blanks; the statements go on its stdin.
    type: str
    default: mariadb
  key_id:
    description: The key id tables are moved to; the server must have loaded it.
    type: int
    required: true
  move:
    description: Rebuild the tables that use another key. V(false) only reads.
    type: bool
    default: false
  retire_ids:
    description: Key ids to be removed from the key file afterwards; RV(retired_still_used) lists what uses them.
    type: list
    elements: int
    default: []
  timeout:
    description: Seconds to wait until no tablespace of this node uses one of O(retire_ids); V(0) does not wait.
    type: int
    default: 0
  require_loaded:
    description:
      - Fail when the server has not loaded O(key_id). V(false) reports it in RV(key_loaded) instead (a caller that
        restarts such nodes). Check mode never fails on it.
    type: bool
    default: true
notes:
  - Each rebuild is a DDL statement in total order isolation; while it runs, writes to that table wait on every node.
  - A second call finds nothing to move (idempotent).
seealso:
  - module: clustersec.mysql.at_rest_status
  - module: clustersec.mysql.at_rest_keyfile
  - name: Data-at-rest encryption, key management and rotation in MariaDB
    description: Key ids per table (ENCRYPTION_KEY_ID) and the file_key_management plugin without key versions.
    link: https://mariadb.com/kb/en/innodb-encryption-keys/
'''

EXAMPLES = r'''
- name: Move every table to key 3 (from one node; Galera replicates the rebuilds)
  clustersec.mysql.at_rest_rekey:
    key_id: 3
    move: true
  run_once: true

- name: Wait until no tablespace uses key 2 on any node
  clustersec.mysql.at_rest_rekey:
    key_id: 3
    retire_ids: [2]
    timeout: 300
'''

RETURN = r'''
key_ids_in_use:
  description: Key id to the number of encrypted tablespaces using it, after the moves.
  returned: success
  type: dict
  sample: {"1": 5, "3": 12}
moved:
  description: The tables rebuilt (or that a real run would rebuild, in check mode), C(schema.table).
  returned: success
  type: list
  elements: str
  sample: ["shop.orders"]
queries:
  description: The statements run (or that a real run would run).
  returned: success
  type: list
  elements: str
  sample: ["ALTER TABLE `shop`.`orders` ENCRYPTION_KEY_ID=3"]
unmapped:
  description: Tablespaces on another key whose table name this module cannot decode; they are not moved.
  returned: success
  type: list
  elements: str
  sample: []
retired_still_used:
  description: Encrypted tablespaces of this node that still use one of O(retire_ids).
  returned: success
  type: list
  elements: str
  sample: []
key_loaded:
  description: Whether the running server has loaded O(key_id) (false only in check mode or with O(require_loaded=false)).
  returned: success
  type: bool
  sample: true
retired_loaded:
  description: The ids of O(retire_ids) that the running server still has loaded (until its next restart).
  returned: success
  type: list
  elements: int
  sample: [2]
seconds:
  description: Time spent moving and waiting.
  returned: success
  type: float
  sample: 3.2
'''

import shlex
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import at_rest_rekey as rekey


def _client(module, sql):
    rc, out, err = module.run_command(shlex.split(module.params['client']) + ['-N', '-B'], data=sql)
    if rc != 0:
        module.fail_json(msg='the client failed: %s' % (err or out).strip())
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            client=dict(type='str', default='mariadb'),
            # ids of keys, never key material
            key_id=dict(type='int', required=True, no_log=False),
            move=dict(type='bool', default=False),
            retire_ids=dict(type='list', elements='int', default=[]),
            timeout=dict(type='int', default=0),
            require_loaded=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    started = time.time()
    problems = rekey.check_retire(p['retire_ids'], p['key_id'])
    if problems:
        module.fail_json(msg='; '.join(problems))
    missing = rekey.unavailable(_client(module, rekey.availability_sql([p['key_id']] + p['retire_ids'])))
    # --check before the restarts that load a new key: say so instead of failing.
    if p['key_id'] in missing and p['require_loaded'] and not module.check_mode:
        module.fail_json(msg='the server has not loaded key id %d: the key file lacks it, or the server was not '
                             'restarted since it was added' % p['key_id'])
    spaces = rekey.parse(_client(module, rekey.SQL))
    tables, unmapped = rekey.plan_moves(spaces, p['key_id'], p['retire_ids']) if p['move'] else ([], [])
    if tables and p['key_id'] in missing and not module.check_mode:
        module.fail_json(msg='the server has not loaded key id %d; no table was moved' % p['key_id'])
    queries = rekey.statements(tables, p['key_id'])
    if queries and not module.check_mode:
        # TOI whatever the operator's default: every node must rebuild the table before its old key can go.
        _client(module, "SET SESSION wsrep_OSU_method = 'TOI';\n" + ''.join(q + ';\n' for q in queries))
        spaces = rekey.parse(_client(module, rekey.SQL))
    still = rekey.still_using(spaces, p['retire_ids'])
    deadline = started + p['timeout']
    while still and time.time() < deadline and not module.check_mode:
        time.sleep(1)
        spaces = rekey.parse(_client(module, rekey.SQL))
        still = rekey.still_using(spaces, p['retire_ids'])
    result = dict(changed=bool(queries), key_ids_in_use=dict((str(k), v) for k, v in rekey.in_use(spaces).items()),
                  moved=['%s.%s' % t for t in tables], queries=queries, unmapped=unmapped, retired_still_used=still,
                  retired_loaded=[k for k in p['retire_ids'] if k not in missing],
                  key_loaded=p['key_id'] not in missing,
                  seconds=round(time.time() - started, 1))
    if still and p['timeout'] > 0 and not module.check_mode:
        module.fail_json(msg='after %d s these tablespaces still use key id(s) %s: %s' % (
            p['timeout'], ', '.join(str(k) for k in p['retire_ids']), ', '.join(still)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
