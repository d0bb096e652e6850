#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: at_rest_status
short_description: Read a MariaDB node's data-at-rest encryption and judge it for the encryption report
version_added: 0.8.0
description:
  - Runs one client call on the node (O(client) with C(-N -B), the SQL on stdin) that reads the server variables of
    data-at-rest encryption, the state of the file_key_management plugin, every InnoDB tablespace with its entry in
    C(information_schema.INNODB_TABLESPACES_ENCRYPTION), and the Aria tables; then reads the mode and owner of the
    key file and the file key the server is configured with.
  - Returns one entry shaped like a channel of M(clustersec.mysql.channel_probe) (channel C(data-at-rest)), so
    M(clustersec.mysql.encryption_report) shows it with the channels.
  - Red - a setting the role writes is off, a tablespace is in clear (without the opt-out), a key file is readable
    by group or others or not owned by the server user. Amber - C(innodb_encrypt_tables=ON) with the opt-out
    C(unencrypted_tables), tablespaces still being encrypted, Aria user tables (in clear when created before
    C(aria_encrypt_tables); SQL cannot tell). Notes, not findings - GCache and the Aria log, which MariaDB Community
    does not encrypt.
  - Reads only; changes nothing.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  client:
    description: The client command line, split on blanks (e.g. C(mariadb --defaults-file=/root/.my.cnf)).
    type: str
    default: mariadb
  accepted_risks:
    description: The node's named opt-outs; C(unencrypted_tables) makes innodb_encrypt_tables ON amber, not red.
    type: list
    elements: str
    default: []
  required:
    description: Data at rest must be on; a node without the plugin is red (otherwise it is shown as off).
    type: bool
    default: false
  server_user:
    description: The account the server runs as, which must own the key files.
    type: str
    default: mysql
'''

EXAMPLES = r'''
- name: Read the node's data-at-rest encryption
  clustersec.mysql.at_rest_status:
    client: "{{ galera_engine.client }}"
    accepted_risks: "{{ galera_engine.allow_insecure }}"
  register: verify_encryption_at_rest
'''

RETURN = r'''
entry:
  description: The report entry.
  returned: success
  type: dict
  contains:
    channel:
      description: Always C(data-at-rest).
      type: str
      sample: data-at-rest
    status:
      description: green, amber or red.
      type: str
      sample: green
    protocol:
      description: C(off), or innodb_encrypt_tables with encrypted/all tablespaces.
      type: str
      sample: FORCE, 12/12
    findings:
      description: What lowers the status, each naming the table, setting or file.
      type: list
      elements: str
      sample: ["1 tablespace(s) not encrypted: app/plain"]
    notes:
      description: Known limits of the server that are not findings.
      type: list
      elements: str
      sample: ["not encrypted by MariaDB Community: galera.cache (GCache) and the Aria log (aria_log.*)"]
    unencrypted:
      description: Tablespaces in clear, by name.
      type: list
      elements: str
      sample: []
    key_ids_in_use:
      description: Key ids of the encrypted tablespaces (a retired key must not be among them).
      type: list
      elements: int
      sample: [1]
    key_files:
      description: Path, mode, owner and problem (or null) of the key file and the file key.
      type: list
      elements: dict
      sample: [{"path": "/etc/mysql/certs/at-rest/keys.enc", "mode": "0400", "owner": "mysql", "problem": null}]
    variables:
      description: The server variables read.
      type: dict
      sample: {"innodb_encrypt_tables": "FORCE"}
'''

import shlex

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb.at_rest_status import (
    SQL, classify, key_file_facts, parse)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            client=dict(type='str', default='mariadb'),
            accepted_risks=dict(type='list', elements='str', default=[]),
            required=dict(type='bool', default=False),
            server_user=dict(type='str', default='mysql'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    rc, out, err = module.run_command(shlex.split(p['client']) + ['-N', '-B'], data=SQL)
    if rc != 0:
        module.fail_json(msg='the client could not read the encryption state: %s' % (err or out).strip())
    state = parse(out)
    key_files = []
    if state['plugin'] == 'ACTIVE':
        for var in ('file_key_management_filename', 'file_key_management_filekey'):
            path = state['variables'].get(var) or ''
            # A file key given literally (not FILE:) is a secret, never a path to stat or show.
            if (var == 'file_key_management_filename' and path.startswith('/')) or path.startswith('FILE:/'):
                key_files.append(key_file_facts(path, p['server_user']))
    module.exit_json(changed=False, entry=classify(state, key_files, p['accepted_risks'], p['required']))


if __name__ == '__main__':
    main()
