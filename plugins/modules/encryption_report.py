#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: encryption_report
short_description: Write the per-node, per-channel encryption report (JSON and Markdown)
version_added: 0.8.0
description:
  - Takes the channel probes of every node (from M(clustersec.mysql.channel_probe)) and writes a JSON
    file and a Markdown report with a green/amber/red summary table.
  - Nodes whose probe did not run (unreachable, failed) are given as an error string and appear as red
    findings with the cause.
  - Data at rest that is not encrypted and was not asked to be (M(clustersec.mysql.at_rest_status) with
    C(required=false)) is shown as C(off), neither green nor a finding; required, it is red.
  - With O(strict), fails when any channel is amber or red, so it can run from cron or CI.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
attributes:
  check_mode:
    support: full
    details: In check mode nothing is written; the summary is still returned.
options:
  nodes:
    description:
      - Mapping of node name to either the list of channel results of M(clustersec.mysql.channel_probe)
        or a string saying why the node could not be probed.
    type: dict
    required: true
  dest_dir:
    description: Directory to write C(<name>.json) and C(<name>.md) in. Nothing is written when omitted.
    type: path
  name:
    description: Base name of the report files.
    type: str
    default: encryption-report
  title:
    description: Title of the Markdown report.
    type: str
    default: Encryption report
  strict:
    description: Fail when any channel is amber or red.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Write the report on the controller
  clustersec.mysql.encryption_report:
    nodes: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, ['probe', 'channels']))) }}"
    dest_dir: "{{ playbook_dir }}/reports"
    strict: true
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
status:
  description: Overall status, the worst of all channels.
  returned: always
  type: str
  sample: green
counts:
  description: Number of channels per status; C(off) counts data at rest that is not encrypted and was not asked
    to be (verify_encryption_require_at_rest false), shown as C(off), never green nor a finding.
  returned: always
  type: dict
  sample: {green: 9, amber: 0, red: 0, "off": 3}
problems:
  description: One line per channel that is not green, naming node, channel, port and cause.
  returned: always
  type: list
  elements: str
  sample: ["node2 group-communication (4567): not encrypted: TLS handshake failed"]
markdown:
  description: The Markdown report.
  returned: always
  type: str
  sample: "# Encryption report ..."
paths:
  description: Files written.
  returned: always
  type: list
  elements: str
  sample: [/srv/reports/encryption-report.json, /srv/reports/encryption-report.md]
'''

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils.probes.encryption_report import (
    RED, render_markdown, settle, summarize)


def normalise(nodes):
    """A node given as a string (or nothing) becomes one red finding carrying the cause; data at rest not asked for
    is off (settle)."""
    out = {}
    for node, value in nodes.items():
        if isinstance(value, list) and value:
            out[node] = [settle(ch) for ch in value]
        else:
            cause = value if isinstance(value, str) and value else 'no probe result'
            out[node] = [{'channel': 'node', 'port': '-', 'encrypted': False, 'status': RED,
                          'findings': ['not probed: %s' % cause]}]
    return out


def write_atomic(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.' + os.path.basename(path))
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nodes=dict(type='dict', required=True),
            dest_dir=dict(type='path'),
            name=dict(type='str', default='encryption-report'),
            title=dict(type='str', default='Encryption report'),
            strict=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    nodes = normalise(p['nodes'])
    summary = summarize(nodes)
    markdown = render_markdown(nodes, summary, p['title'])
    paths = []
    if p['dest_dir'] and not module.check_mode:
        if not os.path.isdir(p['dest_dir']):
            module.fail_json(msg='dest_dir %s is not a directory' % p['dest_dir'])
        base = os.path.join(p['dest_dir'], p['name'])
        write_atomic(base + '.json', json.dumps({'summary': summary, 'nodes': nodes}, indent=2, sort_keys=True))
        write_atomic(base + '.md', markdown)
        paths = [base + '.json', base + '.md']
    result = dict(changed=bool(paths), status=summary['status'], counts=summary['counts'],
                  problems=summary['problems'], markdown=markdown, paths=paths)
    if p['strict'] and summary['status'] != 'green':
        module.fail_json(msg='encryption check failed (strict): ' + '; '.join(summary['problems']), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
