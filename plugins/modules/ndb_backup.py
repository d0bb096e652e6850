#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ndb_backup
short_description: Start an NDB native backup through ndb_mgm, encrypted with a password given on standard input
version_added: 0.8.0
description:
  - Runs C(START BACKUP) through C(ndb_mgm) and reports the backup id and whether it completed.
  - With O(password), the backup is encrypted and the password reaches ndb_mgm on its standard input only, as
    O(password_input) says; it is never on a command line nor in the result.
  - "The form follows ndb_mgm's parser: with C(--backup-password-from-stdin), C(ENCRYPT) is the last word
    (C(START BACKUP 7 WAIT COMPLETED ENCRYPT)); written elsewhere, ndb_mgm prints C(Warning, unencrypted backup
    requested although backup password is provided.), exits 0 and writes a plain-text backup. That warning is a
    failure here."
  - The output is read line by line, never trusted by exit code alone; commands read from standard input
    (O(password_input=command_stdin)) always end with exit code 0.
  - ndb_mgm's command history (kept when it reads commands from standard input) goes to a private temporary
    directory removed afterwards.
  - Whether the files are encrypted is for M(clustersec.mysql.ndb_backup_info) to check on each data node.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
  - clustersec.mysql.ndb_mgm
attributes:
  check_mode:
    support: full
    details: In check mode nothing is run; the result says a backup would be started.
options:
  password:
    description:
      - The backup password (printable ASCII without C(! ' " $ % \ ^), at most 256 characters). Empty or absent
        for an unencrypted backup.
    type: str
  password_input:
    description:
      - C(command_stdin) feeds the whole C(START BACKUP ... ENCRYPT PASSWORD="...") and C(exit) to ndb_mgm's
        standard input.
      - C(password_stdin) runs C(ndb_mgm --backup-password-from-stdin -e "START BACKUP ... ENCRYPT") with the
        password alone on standard input (NDB 8.0.24 and later).
    type: str
    choices: [command_stdin, password_stdin]
    default: command_stdin
  backup_id:
    description: The backup id; 0 lets the management server choose the next one.
    type: int
    default: 0
  wait:
    description: C(WAIT COMPLETED) or C(WAIT STARTED).
    type: str
    choices: [COMPLETED, STARTED]
    default: COMPLETED
'''

EXAMPLES = r'''
- name: Take an encrypted backup
  clustersec.mysql.ndb_backup:
    connectstring: mgm1:1186
    password: "{{ vault_ndb_backup_password }}"
    password_input: password_stdin
  register: backup
  no_log: true
'''

RETURN = r'''
backup_id:
  description: The backup id ndb_mgm reported; null in check mode.
  returned: always
  type: int
  sample: 7
completed:
  description: ndb_mgm reported the backup completed.
  returned: always
  type: bool
encrypted:
  description: An encrypted backup was asked for (O(password) given) and ndb_mgm did not fall back to plain text.
  returned: always
  type: bool
command:
  description: The START BACKUP statement, any password replaced by C(********).
  returned: always
  type: str
  sample: START BACKUP 7 WAIT COMPLETED ENCRYPT
output:
  description: ndb_mgm's output lines, any password replaced by C(********).
  returned: always
  type: list
  elements: str
problems:
  description: Why the backup failed, one sentence each; empty on success (the module fails when it is not).
  returned: always
  type: list
  elements: str
'''

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import backup as ndb_backup
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import mgm as ndb_mgm
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import output as ndb_output
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            password=dict(type='str', no_log=True),
            password_input=dict(type='str', choices=list(ndb_backup.PASSWORD_INPUTS), default='command_stdin'),
            backup_id=dict(type='int', default=0),
            wait=dict(type='str', choices=list(ndb_backup.WAITS), default='COMPLETED'),
            **ndb_mgm.MGM_SPEC
        ),
        supports_check_mode=True,
    )
    p = module.params
    password = p['password'] or None
    try:
        run = ndb_backup.backup_invocation(password, p['password_input'], p['backup_id'], p['wait'])
        binary = p['ndb_mgm'] if '/' in p['ndb_mgm'] else module.get_bin_path(p['ndb_mgm'], required=True)
        argv = ndb_mgm.command(binary, p['connectstring'], p['extra_args'], p['connect_retries']) + run['args']
    except NdbError as exc:
        module.fail_json(msg=str(exc), problems=[str(exc)])
    result = dict(changed=True, backup_id=None, completed=False, encrypted=bool(password), command=run['shown'],
                  output=[], problems=[])
    if module.check_mode:
        module.exit_json(**result)
    # ndb_mgm reading commands keeps a readline history ($NDB_MGM_HISTFILE, else ~/.ndb_mgm_history,
    # storage/ndb/src/mgmclient/main.cpp) that would hold the PASSWORD= line: a private directory, removed.
    histdir = tempfile.mkdtemp(prefix='clustersec-ndb-mgm.')
    try:
        rc, out, err = module.run_command(argv, data=run['stdin'], binary_data=True,
                                          environ_update={'NDB_MGM_HISTFILE': os.path.join(histdir, 'history')})
    finally:
        shutil.rmtree(histdir, ignore_errors=True)
    text = ndb_backup.redact('%s\n%s' % (out, err), password)
    parsed = ndb_output.parse_backup_output(text)
    problems = ndb_backup.backup_run_problems(parsed, rc, bool(password), p['wait'], run['interactive'])
    result.update(backup_id=parsed['backup_id'], completed=parsed['completed'],
                  encrypted=bool(password) and not parsed['unencrypted_warning'],
                  output=[line for line in text.strip().splitlines() if line.strip()], problems=problems)
    if problems:
        module.fail_json(msg='START BACKUP failed: %s' % '; '.join(problems), rc=rc, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
