#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: x509_login_probe
short_description: Show that an account bound to a client certificate refuses a login without it and accepts one with it
version_added: 0.9.0
description:
  - Logs in as O(user) (no password - the certificate is the credential) over TLS to O(address) three times -
    without a client certificate, with O(cert_path) and, when given, with O(other_cert_path) (another certificate of
    the same client CA). The first and the last must be refused, the second accepted (the control that proves the
    account and the server's trust right, so a refusal is the certificate's doing).
  - Changes nothing; reads the key files, never returns them. Each verdict is true, false or null (not determined).
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
options:
  address: {description: Address of the client-server port., type: str, required: true}
  port: {description: The client-server port., type: int, default: 3306}
  user: {description: The account bound to the certificate., type: str, default: clustersec_probe_x509}
  cert_path: {description: The account's certificate., type: path, required: true}
  key_path: {description: Its key., type: path, required: true}
  other_cert_path: {description: Another client certificate of the same client CA (must be refused)., type: path}
  other_key_path: {description: Its key., type: path}
  timeout: {description: Seconds per connection., type: float, default: 5.0}
'''

EXAMPLES = r'''
- name: Show the X.509 account bound to its certificate
  clustersec.mysql.x509_login_probe:
    address: db1
    cert_path: /run/clustersec-probe-x509/cert.pem
    key_path: /run/clustersec-probe-x509/key.pem
    other_cert_path: /etc/mysql/certs/client-cert.pem
    other_key_path: /etc/mysql/certs/client-key.pem
'''

RETURN = r'''
refused_without_cert: {description: A TLS login without a certificate was refused., returned: always, type: bool, sample: true}
refused_other_cert: {description: A login with the other certificate was refused (null without one)., returned: always, type: bool, sample: true}
accepted_with_cert: {description: The login with the account's certificate got in., returned: always, type: bool, sample: true}
without_cert:
  description: The server's answer (outcome, code, message).
  returned: always
  type: dict
  sample: {outcome: denied, code: 1045}
with_cert: {description: The server's answer., returned: always, type: dict, sample: {outcome: ok}}
other_cert: {description: The server's answer., returned: when other_cert_path is given, type: dict, sample: {outcome: denied, code: 1045}}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.probes.attacker_probes import probe_x509_login


def main():
    module = AnsibleModule(
        argument_spec=dict(
            address=dict(type='str', required=True), port=dict(type='int', default=3306),
            user=dict(type='str', default='clustersec_probe_x509'),
            cert_path=dict(type='path', required=True), key_path=dict(type='path', required=True),
            other_cert_path=dict(type='path'), other_key_path=dict(type='path'),
            timeout=dict(type='float', default=5.0),
        ),
        required_together=[('other_cert_path', 'other_key_path')],
        supports_check_mode=True,
    )
    p = module.params
    result = probe_x509_login(p['address'], p['port'], p['user'], p['cert_path'], p['key_path'], p['other_cert_path'],
                              p['other_key_path'], p['timeout'])
    result.setdefault('refused_other_cert', None)
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
