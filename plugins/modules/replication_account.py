#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: replication_account
short_description: A replication account on the source bound to the replica's client certificate, with REPLICATION SLAVE
version_added: 0.9.0
description:
  - The source side of a TLS replication channel - an X.509 account (as M(clustersec.mysql.x509_accounts) makes it -
    C(REQUIRE SUBJECT '...') and by default C(ISSUER '...') of the replica's client certificate, no password) with the
    C(REPLICATION SLAVE) privilege on C(*.*). The certificate is an application certificate of the source's pki set
    (O(certificates), its C(applications/manifest.json)), issued by the source's client CA.
  - Changes the clause only where C(SHOW CREATE USER) differs and grants only where C(SHOW GRANTS) lacks the
    privilege. Run it on one node of the source cluster - account statements replicate.
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
    description: The source's server flavour.
    type: str
    choices: [mariadb, pxc]
    default: mariadb
  user:
    description: The replication user name.
    type: str
    required: true
  host:
    description: The host part of the account.
    type: str
    default: '%'
  cert:
    description: Name of the replica's application certificate (a key of O(certificates)).
    type: str
    required: true
  require:
    description: C(subject) and/or C(issuer) of O(cert), or C(x509) alone.
    type: list
    elements: str
    choices: [x509, subject, issuer]
    default: [subject, issuer]
  certificates:
    description: "The source pki set's application certificates (C(applications/manifest.json)): per name, C(subject) and C(issuer)."
    type: dict
    required: true
  relax_issuer:
    description: Leave C(ISSUER) out (a client CA rotation while both client CAs are trusted).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: The replica's account on the source
  clustersec.mysql.replication_account:
    user: repl_dr
    cert: repl_dr
    certificates: "{{ lookup('file', pki_dir ~ '/applications/manifest.json') | from_json }}"
  run_once: true
'''

RETURN = r'''
account:
  description: The account's clause before and wanted (x509_accounts' shape).
  returned: always
  type: dict
  sample: {user: repl_dr, host: '%', exists: true, changed: false, require_before: "SUBJECT '/CN=repl_dr'"}
queries:
  description: The statements run (in check mode, that would run).
  returned: always
  type: list
  elements: str
  sample: ["CREATE USER 'repl_dr'@'%' REQUIRE SUBJECT '/CN=repl_dr'", "GRANT REPLICATION SLAVE ON *.* TO 'repl_dr'@'%'"]
'''

import shlex

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import replication as R
from ansible_collections.clustersec.mysql.plugins.module_utils.galera import x509_accounts as XA


def main():
    module = AnsibleModule(
        argument_spec=dict(
            client=dict(type='str', default='mariadb'),
            flavor=dict(type='str', choices=['mariadb', 'pxc'], default='mariadb'),
            user=dict(type='str', required=True), host=dict(type='str', default='%'),
            cert=dict(type='str', required=True),
            require=dict(type='list', elements='str', choices=list(XA.KINDS), default=['subject', 'issuer']),
            certificates=dict(type='dict', required=True),
            relax_issuer=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    client = shlex.split(p['client'])
    try:
        accounts = XA.normalise([dict(user=p['user'], host=p['host'], require=p['require'], cert=p['cert'])],
                                p['certificates'], p['relax_issuer'])
        changed, results, queries = XA.apply(module.run_command, client, accounts, p['flavor'], module.check_mode)
        created_now = module.check_mode and not results[0]['exists']
        granted = None if created_now else R.grant(module.run_command, client, p['user'], p['host'], p['flavor'],
                                                   module.check_mode)
        if created_now:
            granted = R.grant_sql(p['user'], p['host'], p['flavor'])
    except (XA.AccountError, XA.ClientError, R.ReplicationError) as exc:
        module.fail_json(msg=str(exc))
    if granted:
        queries.append(granted)
    module.exit_json(changed=changed or bool(granted), account=results[0], queries=queries)


if __name__ == '__main__':
    main()
