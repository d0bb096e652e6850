#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: replication_channel
short_description: The replica's TLS channel to a source cluster (CHANGE MASTER TO / CHANGE REPLICATION SOURCE TO), idempotent
version_added: 0.9.0
description:
  - Configures the default replication channel of a MariaDB or MySQL/PXC replica with TLS required, the source's
    certificate verified against O(ssl_ca) and its name against O(source_host), a client certificate (O(ssl_cert),
    O(ssl_key)) and GTID positioning - MariaDB C(CHANGE MASTER TO ... MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=1,
    MASTER_USE_GTID=slave_pos), MySQL C(CHANGE REPLICATION SOURCE TO ... SOURCE_SSL=1, SOURCE_SSL_VERIFY_SERVER_CERT=1,
    SOURCE_AUTO_POSITION=1).
  - Reads C(SHOW SLAVE STATUS) / C(SHOW REPLICA STATUS) first and changes only the options that differ (the threads
    are stopped for the change and started again). No password is set or sent - the source's account has none and
    C(REQUIRE SUBJECT) names the client certificate.
  - O(source_host) must resolve on the replica; the module refuses before any change otherwise.
  - O(files_changed) restarts the IO thread of an unchanged running channel - it reads the certificate files when it
    connects (a rotation replaced them).
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  client:
    description: The command-line client, run with C(-B -r -e); it authenticates as its option files and the socket allow.
    type: str
    default: mariadb
  flavor:
    description: The replica's server flavour (C(pxc) and C(mysql) - MySQL statements).
    type: str
    choices: [mariadb, pxc, mysql]
    default: mariadb
  source_host:
    description: The source node the replica connects to; its node certificate must name it (a SAN).
    type: str
    required: true
  source_port:
    description: The source's client-server port.
    type: int
    default: 3306
  user:
    description: The replication account on the source (no password; C(REQUIRE SUBJECT) of O(ssl_cert)).
    type: str
    required: true
  ssl_ca:
    description: Path on the replica of the source's cluster CA (during a CA rotation, the old and new CA bundle).
    type: path
  ssl_cert:
    description: Path on the replica of its client certificate, issued by the source's client CA.
    type: path
  ssl_key:
    description: Path on the replica of the client key (readable by the server's user only).
    type: path
  start:
    description: Start the threads (a channel configured but stopped is started).
    type: bool
    default: true
  files_changed:
    description: The certificate files changed - restart the IO thread of a running channel whose settings are unchanged.
    type: bool
    default: false
  allow_plaintext:
    description:
      - Test-only opt-out - a channel without TLS and without verification (the capture test's control). Never in
        production; O(ssl_ca), O(ssl_cert) and O(ssl_key) are then ignored.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Replicate from the source cluster over TLS
  clustersec.mysql.replication_channel:
    client: mariadb
    source_host: db1.source.example
    user: repl_dr
    ssl_ca: /etc/mysql/replication/source-ca.pem
    ssl_cert: /etc/mysql/replication/repl_dr-cert.pem
    ssl_key: /etc/mysql/replication/repl_dr-key.pem
'''

RETURN = r'''
channel:
  description: The channel's state after the run (before it, in check mode).
  returned: always
  type: dict
  sample: {configured: true, io_running: true, sql_running: true, ssl: true, verify: true, seconds_behind: 0,
           errors: [], source: 'db1.source.example:3306'}
files:
  description:
    - What the channel's files hold, read on the replica (null for a plaintext channel).
    - C(ca) each certificate of the CA file (subject, sha256, not_after), C(client_cert) the client certificate
      (subject, issuer, not_after, days_left, sha256), C(errors) files that could not be read.
  returned: always
  type: dict
  version_added: 0.9.0
  sample: {ca: [{subject: CN=clustersec cluster CA, sha256: 5f0c..., not_after: '2036-12-05T20:00:00Z'}],
           client_cert: {subject: CN=repl-dr, issuer: CN=clustersec client CA, not_after: '2027-12-07T20:00:00Z',
                         days_left: 364, sha256: 9ab1...}, errors: []}
differs:
  description: The settings that differed (all of them for a new channel).
  returned: always
  type: list
  elements: str
  sample: [ssl_ca]
queries:
  description: The statements run (in check mode, that would run).
  returned: always
  type: list
  elements: str
  sample: ["STOP SLAVE", "CHANGE MASTER TO MASTER_SSL_CA='/etc/mysql/replication/source-ca.pem'", "START SLAVE"]
'''

import shlex
import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import replication as R


def main():
    module = AnsibleModule(
        argument_spec=dict(
            client=dict(type='str', default='mariadb'),
            flavor=dict(type='str', choices=sorted(R.FLAVOURS), default='mariadb'),
            source_host=dict(type='str', required=True),
            source_port=dict(type='int', default=3306),
            user=dict(type='str', required=True),
            ssl_ca=dict(type='path'), ssl_cert=dict(type='path'), ssl_key=dict(type='path'),
            start=dict(type='bool', default=True),
            files_changed=dict(type='bool', default=False),
            allow_plaintext=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    tls = not p['allow_plaintext']
    try:
        wanted = R.wanted_channel(p['source_host'], p['source_port'], p['user'], p['ssl_ca'] if tls else '',
                                  p['ssl_cert'] if tls else '', p['ssl_key'] if tls else '', verify=tls, ssl=tls)
    except R.ReplicationError as exc:
        module.fail_json(msg=str(exc))
    try:
        socket.getaddrinfo(wanted['host'], wanted['port'], 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        module.fail_json(msg='source_host %s does not resolve on this replica (%s); nothing was changed'
                         % (wanted['host'], exc))
    try:
        changed, keys, queries, before, after = R.configure(
            module.run_command, shlex.split(p['client']), wanted, p['flavor'], start=p['start'],
            files_changed=p['files_changed'], check_mode=module.check_mode)
    except R.ReplicationError as exc:
        module.fail_json(msg=str(exc))
    # Read on the replica (the files are root's): what the report shows of the CA trusted and the client certificate.
    files = R.channel_files(p['ssl_ca'], p['ssl_cert']) if tls else None
    module.exit_json(changed=changed, channel=after, differs=keys, queries=queries, files=files)


if __name__ == '__main__':
    main()
