#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: galera_tls_reload
short_description: One step of a live TLS change on a Galera node, in one call - swap files, reload, wait, report
version_added: 0.8.0
description:
  - Puts the file set O(files) and O(directories) in place as M(clustersec.mysql.node_files) does (content written
    by one atomic rename where it differs, mode and owner set first, only mode and owner fixed where only they
    differ; a missing parent directory is made root-only), runs the reload statements O(reload_sql) in one client call, then waits until the node is Synced
    in a Primary component of at least O(wait_size) nodes. A reload cannot change membership, so only a node on its way
    to Synced (Joined, Donor/Desynced) is polled; one not answering, outside a Primary component or seeing fewer
    (or more than O(max_size)) nodes fails at once.
  - A reload statement the server refuses (an older server or provider) does not fail the module; RV(reload_error)
    carries the client's message so the caller can restart that node instead, gated.
  - MySQL 8.1 and later (PXC 8.4) refuse ALTER INSTANCE RELOAD TLS with 3888 "Invalid certificates" when their own
    certificate does not verify against C(ssl_ca) (in manual mode, the client CA); only then the reload is run once more
    with C(NO ROLLBACK ON ERROR), which installs the new context and keeps C(ssl_ca) (RV(no_rollback)).
  - With O(served_cert), the certificate the port serves after the reload is compared with that file; a reload the
    server accepted while it kept another certificate is reported in RV(reload_error), never as reloaded.
  - No password passes through the module; the client authenticates as its option files and the socket allow.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
  - clustersec.mysql.galera_client
  - clustersec.mysql.file_set
attributes:
  check_mode:
    support: full
    details: Reports which files would change; nothing is written or reloaded.
options:
  reload_sql:
    description: Statements that make the server read its TLS files again, run in one client call.
    type: list
    elements: str
    default: []
  served_cert:
    description:
      - The certificate the client-server port must serve after the reload, and where that port is; not checked when
        omitted.
    type: dict
    suboptions:
      cert: {description: The certificate file (after the swap)., type: path, required: true}
      host: {description: Address of the client-server port., type: str, required: true}
      port: {description: The client-server port., type: int, default: 3306}
  wait_size:
    description: Smallest cluster size the node must see once Synced; V(0) does not wait.
    type: int
    default: 0
  max_size:
    description:
      - Largest cluster size the node may see once Synced, the node count of the inventory; a larger cluster holds a
        member nobody listed and fails. Not checked when omitted.
    type: int
'''

EXAMPLES = r'''
- name: New certificate and key, FLUSH SSL and socket.ssl_reload, then Synced in a cluster of three
  clustersec.mysql.galera_tls_reload:
    files:
      - {src: /etc/mysql/certs/.next/server-cert.pem, dest: /etc/mysql/certs/server-cert.pem, mode: '0644', owner: mysql}
      - {src: /etc/mysql/certs/.next/server-key.pem, dest: /etc/mysql/certs/server-key.pem, mode: '0640', owner: mysql}
    reload_sql:
      - FLUSH SSL
      - SET GLOBAL wsrep_provider_options='socket.ssl_reload=1'
    wait_size: 3
'''

RETURN = r'''
files_changed:
  description: Files and directories written or given their mode and owner (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [/etc/mysql/certs/server-cert.pem]
reloaded:
  description: Whether every reload statement succeeded.
  returned: always
  type: bool
  sample: true
reload_error:
  description: >-
    The client's message when a reload statement was refused, or what the port served instead of O(served_cert);
    empty otherwise.
  returned: always
  type: str
  sample: ""
no_rollback:
  description: The reload was refused only by the server's check of its own certificate and ran again with NO ROLLBACK ON ERROR.
  returned: always
  type: bool
  sample: false
served:
  description: The served certificate's sha256 fingerprint and the expected one (with O(served_cert) after a reload).
  returned: when checked
  type: dict
status:
  description: The node's Galera state after the wait (or after the reload when not waiting).
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
seconds:
  description: Time the step took on the node.
  returned: always
  type: float
  sample: 0.42
'''

import shlex
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils._common import file_swap
from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import tls as pxc_tls
from ansible_collections.clustersec.mysql.plugins.module_utils.galera import wsrep_status


def main():
    module = AnsibleModule(
        argument_spec=dict(
            reload_sql=dict(type='list', elements='str', default=[]),
            wait_size=dict(type='int', default=0),
            max_size=dict(type='int'),
            served_cert=dict(type='dict', options=dict(cert=dict(type='path', required=True),
                                                       host=dict(type='str', required=True),
                                                       port=dict(type='int', default=3306))),
            **dict(wsrep_status.CLIENT_SPEC, **file_swap.FILE_SET_SPEC)),
        supports_check_mode=True)
    p = module.params
    started = time.monotonic()
    problems = file_swap.set_problems(p['files'])
    if problems:
        module.fail_json(msg='; '.join(problems))
    try:
        written, fixed, dummy = file_swap.apply(p['directories'], p['files'], module.check_mode)
    except (OSError, KeyError, file_swap.SwapError) as exc:
        module.fail_json(msg='cannot put the files in place: %s' % exc)
    result = dict(changed=bool(written or fixed), files_changed=written + fixed, reloaded=False, reload_error='',
                  no_rollback=False, status={})
    if module.check_mode:
        result['seconds'] = round(time.monotonic() - started, 3)
        module.exit_json(**result)
    if p['reload_sql']:
        try:
            outcome = pxc_tls.reload(module.run_command, shlex.split(p['client']), p['reload_sql'], p['served_cert'],
                                     pxc_tls.cert_fingerprint, pxc_tls.served_fingerprint)
        except (OSError, ValueError) as exc:
            outcome = dict(reloaded=False, reload_error='cannot read %s: %s' % (p['served_cert']['cert'], exc))
        result.update(outcome)
        result['changed'] = result['changed'] or outcome['reloaded'] or outcome.get('no_rollback', False)
    client = shlex.split(p['client'])
    if p['wait_size'] > 0 and not result['reload_error']:
        result['status'], problem = wsrep_status.wait_synced(module.run_command, client, p['wait_size'], p['timeout'],
                                                             p['poll_interval'], time.monotonic, time.sleep,
                                                             fail_fast=True, most=p['max_size'])
        if problem is not None:
            result['seconds'] = round(time.monotonic() - started, 3)
            module.fail_json(msg='cluster is not whole after the reload, nothing more is touched: %s' % problem, **result)
    else:
        result['status'] = wsrep_status.read(module.run_command, client)[0]
    result['seconds'] = round(time.monotonic() - started, 3)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
