#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: pxc_preflight
short_description: Check a Percona XtraDB Cluster node before its encryption settings change
version_added: 0.8.0
description:
  - Runs on the node and changes nothing. Reports, one line per problem, everything that would make the server
    refuse to start or the role's checks wrong.
  - In automatic mode (C(pxc-encrypt-cluster-traffic=ON)) applies PXC's lookup rule before the server does, file by
    file - C(ssl-ca)/C(ssl-cert)/C(ssl-key) under C([mysqld]) (the role's sections, else another option file of
    O(config_dir)), else C(ca.pem)/C(server-cert.pem)/C(server-key.pem) in the data directory; C([sst]) is not
    searched - and reports each file that is missing.
  - Reads the other option files of O(config_dir) and reports every option of ours they set as well (MySQL does not
    define which file of a directory wins), except in O(takeover_files), and C([sst] encrypt) values other than 0 or 4.
  - Works out the node's current replication-traffic encryption (the running server if O(running) is given, else the
    role's previous drop-in O(config_file)) and what changes, because such a change needs the whole cluster stopped.
  - Reports the size of C(dhparams.pem) in the data directory and of its source, and fails below O(dhparams_min_bits).
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  datadir:
    description: Data directory of the server.
    type: path
    required: true
  mode:
    description: Encryption mode the role is about to write. The certificate lookup runs in C(automatic) only.
    type: str
    choices: [automatic, manual]
  sections:
    description: Sections of the drop-in the role is about to write (from P(clustersec.mysql.pxc_sections#filter)).
    type: dict
    default: {}
  config_dir:
    description: Option file directory that holds the role's drop-in (other C(*.cnf) files there are read too).
    type: path
  config_file:
    description: File name of the role's drop-in in O(config_dir); its current content is the previous configuration.
    type: str
  takeover_files:
    description:
      - Packaged option files of O(config_dir) whose copies of our options the role comments out
        (M(clustersec.mysql.mycnf_takeover)); they are listed in RV(taken_over) instead of being problems. Any other
        option file that sets an option of ours is a problem.
    type: list
    elements: path
    default: []
  running:
    description:
      - Values read from the running server, C(pxc_encrypt_cluster_traffic) and C(wsrep_provider_options). When
        given, they take precedence over the previous drop-in.
    type: dict
  dhparams_path:
    description: Where C(dhparams.pem) goes (the data directory).
    type: path
  dhparams_source:
    description: File the role copies to O(dhparams_path) when it exists.
    type: path
  dhparams_min_bits:
    description: Smallest acceptable size of the DH parameters.
    type: int
    default: 2048
  fail_on_problems:
    description: Fail when any problem is found (the message has one line per problem).
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Check the node before writing the drop-in
  clustersec.mysql.pxc_preflight:
    datadir: /var/lib/mysql
    mode: automatic
    sections: "{{ __pxc_sections }}"
    config_dir: /etc/mysql/mysql.conf.d
    config_file: 60-clustersec-pxc.cnf
    dhparams_path: /var/lib/mysql/dhparams.pem
    dhparams_source: /etc/mysql/certs/dhparams.pem
    fail_on_problems: false
  register: preflight
'''

RETURN = r'''
problems:
  description: One line per problem; empty when all is well.
  returned: always
  type: list
  elements: str
  sample: ["automatic mode (pxc-encrypt-cluster-traffic=ON) needs ssl-ca from data directory (no ssl-ca under [mysqld]):
           /var/lib/mysql/ca.pem does not exist, the server would not start"]
tls_files:
  description: In automatic mode, the files PXC will use, where each was found and whether it exists.
  returned: always
  type: dict
  sample: {ca: {option: ssl-ca, path: /etc/mysql/certs/ca.pem, source: "[mysqld] ssl-ca", exists: true}}
previous:
  description: Current replication-traffic encryption of the node (C(mode), C(gcomm_tls), C(sst_encrypt)); null on a new node.
  returned: always
  type: dict
  sample: {mode: automatic, gcomm_tls: true, sst_encrypt: 4}
wanted:
  description: Replication-traffic encryption of O(sections).
  returned: always
  type: dict
  sample: {mode: manual, gcomm_tls: true, sst_encrypt: 4}
changes:
  description: Differences between RV(previous) and RV(wanted); each needs the whole cluster stopped.
  returned: always
  type: list
  elements: str
  sample: ["pxc-encrypt-cluster-traffic ON -> OFF (automatic -> manual mode)"]
taken_over:
  description: Options of ours that a file of O(takeover_files) sets as well (the role comments them out there).
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The packaged file.
      type: str
      sample: /etc/mysql/mysql.conf.d/mysqld.cnf
    section:
      description: The section.
      type: str
      sample: mysqld
    option:
      description: The option as the file spells it.
      type: str
      sample: wsrep_cluster_address
  sample: [{path: /etc/mysql/mysql.conf.d/mysqld.cnf, section: mysqld, option: wsrep_cluster_address}]
other_files:
  description: Other option files read in O(config_dir).
  returned: always
  type: list
  elements: str
dhparams:
  description: Path, presence and size in bits of dhparams.pem and of its source.
  returned: when O(dhparams_path) is given
  type: dict
  sample: {path: /var/lib/mysql/dhparams.pem, exists: false, bits: null, source: /etc/mysql/certs/dhparams.pem,
           source_exists: true, source_bits: 2048}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.dhparams import DEFAULT_DHPARAMS_BITS
from ansible_collections.clustersec.mysql.plugins.module_utils.pxc.node import node_checks
from ansible_collections.clustersec.mysql.plugins.module_utils.pxc.sections import MODES


def main():
    module = AnsibleModule(
        argument_spec=dict(
            datadir=dict(type='path', required=True),
            mode=dict(type='str', choices=list(MODES)),
            sections=dict(type='dict', default={}),
            config_dir=dict(type='path'),
            config_file=dict(type='str'),
            running=dict(type='dict'),
            takeover_files=dict(type='list', elements='path', default=[]),
            dhparams_path=dict(type='path'),
            dhparams_source=dict(type='path'),
            dhparams_min_bits=dict(type='int', default=DEFAULT_DHPARAMS_BITS),
            fail_on_problems=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    result = node_checks(p['datadir'], p['mode'], p['sections'], p['config_dir'], p['config_file'], p['running'],
                         p['dhparams_path'], p['dhparams_source'], p['dhparams_min_bits'],
                         takeover_files=p['takeover_files'])
    out = dict(changed=False, **result)
    if result['problems'] and p['fail_on_problems']:
        module.fail_json(msg='\n'.join(result['problems']), **out)
    module.exit_json(**out)


if __name__ == '__main__':
    main()
