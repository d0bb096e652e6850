#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: x509_accounts
short_description: Database accounts bound to a client certificate (REQUIRE X509, SUBJECT, ISSUER), idempotent
version_added: 0.9.0
description:
  - Creates each account of O(accounts) with C(REQUIRE X509), or C(REQUIRE SUBJECT '...') and/or C(ISSUER '...') of
    the application certificate it names (O(certificates), the pki set's C(applications/manifest.json)), and changes
    the clause of an existing account only where C(SHOW CREATE USER) shows another one. Same statements on MariaDB
    and MySQL/PXC. Run it on one node of a Galera cluster - account statements replicate.
  - No password is ever set, read or returned - a new account has none (the verified certificate is the credential,
    3306 trusting only the client CA); a password the operator gives an account is left alone.
  - Check mode reads every account and says what would change; the report uses it to read the clauses.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  client:
    description: The command-line client, run with C(-N -B -r -e); it authenticates as its option files and the socket allow.
    type: str
    default: mariadb
  flavor:
    description: The server flavour (how C(SHOW CREATE USER) is asked for).
    type: str
    choices: [mariadb, pxc]
    default: mariadb
  accounts:
    description: The accounts.
    type: list
    elements: dict
    required: true
    suboptions:
      user: {description: The user name., type: str, required: true}
      host: {description: The host part., type: str, default: '%'}
      require:
        description: C(x509) alone, or C(subject) and/or C(issuer) of O(accounts[].cert).
        type: list
        elements: str
        choices: [x509, subject, issuer]
        default: [subject]
      cert:
        description: Name of the application certificate (a key of O(certificates)).
        type: str
      state:
        description: C(absent) drops the account.
        type: str
        choices: [present, absent]
        default: present
  certificates:
    description: "The pki set's application certificates (its C(applications/manifest.json)): per name, C(subject) and C(issuer) in the servers' one-line form."
    type: dict
    default: {}
  relax_issuer:
    description:
      - Leave C(ISSUER) out of every clause (a CA rotation between its bundle and CA phases, when every node trusts the
        old and the new client CA and an application may present either certificate; the subject still binds).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Bind the application accounts to their certificates
  clustersec.mysql.x509_accounts:
    client: mariadb
    accounts:
      - {user: app1, host: '%', require: [subject, issuer], cert: app1}
    certificates: "{{ lookup('file', pki_dir ~ '/applications/manifest.json') | from_json }}"
  run_once: true
'''

RETURN = r'''
accounts:
  description: Per account, the clause it had (as C(SHOW CREATE USER) printed it, null when missing) and the wanted one.
  returned: always
  type: list
  elements: dict
  sample: [{user: app1, host: '%', state: present, cert: app1, exists: true, changed: true, require_before: X509,
            require: "SUBJECT '/O=Example/CN=app1' AND ISSUER '/CN=clustersec.mysql client CA'"}]
queries:
  description: The statements run (in check mode, that would run).
  returned: always
  type: list
  elements: str
  sample: ["ALTER USER 'app1'@'%' REQUIRE SUBJECT '/O=Example/CN=app1'"]
'''

import shlex

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import x509_accounts as XA


def main():
    module = AnsibleModule(
        argument_spec=dict(
            client=dict(type='str', default='mariadb'),
            flavor=dict(type='str', choices=['mariadb', 'pxc'], default='mariadb'),
            accounts=dict(type='list', elements='dict', required=True, options=dict(
                user=dict(type='str', required=True), host=dict(type='str', default='%'),
                require=dict(type='list', elements='str', choices=list(XA.KINDS), default=['subject']),
                cert=dict(type='str'), state=dict(type='str', choices=['present', 'absent'], default='present'))),
            certificates=dict(type='dict', default={}),
            relax_issuer=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        accounts = XA.normalise(p['accounts'], p['certificates'], p['relax_issuer'])
        changed, results, queries = XA.apply(module.run_command, shlex.split(p['client']), accounts, p['flavor'],
                                             module.check_mode)
    except (XA.AccountError, XA.ClientError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=changed, accounts=results, queries=queries)


if __name__ == '__main__':
    main()
