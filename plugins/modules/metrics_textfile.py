#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: metrics_textfile
short_description: Write the encryption report's findings as a node_exporter textfile (Prometheus metrics)
version_added: 0.9.0
description:
  - Renders the report's nodes (the input of M(clustersec.mysql.encryption_report), from the
    C(clustersec.mysql.report_nodes) filter) as Prometheus metrics and writes them where node_exporter's textfile
    collector reads them (Debian's C(prometheus-node-exporter) reads C(/var/lib/prometheus/node-exporter)).
  - Per node and channel - certificate C(notAfter), verified, status, encrypted, listening; each attacker-side probe
    (1 refused as expected, 0 accepted, -1 not determined); the data-at-rest state; the report's time, the warning
    window and the age after which the report is stale. Names and labels are in C(docs/metrics.md).
  - The file is replaced atomically (a new file under a random name, opened with C(O_EXCL|O_NOFOLLOW), owner root,
    mode 0644 set through its descriptor, renamed over the old one), so the exporter never reads half a file. The
    directory is opened without following a symbolic link and must be root's, writable by no other account.
  - The report's time changes on every run; it is rewritten then, but the module reports changed only when another
    series, the owner or the mode differs. A second verify run with the same findings is C(changed=false) and the
    stale-report alert still sees the new time.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
attributes:
  check_mode:
    support: full
    details: Nothing is written and no directory made; changed says whether a real run would change the file.
  diff_mode:
    support: full
options:
  nodes:
    description:
      - Mapping of node name to its list of channel entries (M(clustersec.mysql.channel_probe),
        M(clustersec.mysql.at_rest_status)) or a text saying why the node was not probed.
    type: dict
    required: true
  directory:
    description: The textfile collector's directory (C(--collector.textfile.directory) of node_exporter).
    type: path
    default: /var/lib/prometheus/node-exporter
  name:
    description: File name in O(directory); the collector reads C(*.prom) only.
    type: str
    default: clustersec_mysql.prom
  create_directory:
    description: Make O(directory) (and missing parents, root 0755) when it does not exist.
    type: bool
    default: true
  report_time:
    description: Time of the report in unix seconds; the module's own clock when omitted.
    type: float
  warn_days:
    description: The report's warning window in days (C(verify_encryption_warn_days)), exported for the expiry alert.
    type: int
    default: 30
  max_age_hours:
    description: Age in hours after which the stale-report alert fires, exported with the report.
    type: int
    default: 26
'''

EXAMPLES = r'''
- name: Write this node's findings for node_exporter
  clustersec.mysql.metrics_textfile:
    nodes: "{{ [inventory_hostname] | clustersec.mysql.report_nodes(hostvars) }}"
    warn_days: 30
'''

RETURN = r'''
path:
  description: The textfile.
  returned: always
  type: str
  sample: /var/lib/prometheus/node-exporter/clustersec_mysql.prom
written:
  description: Whether the file was rewritten (also when only the report's time differed).
  returned: always
  type: bool
  sample: true
series:
  description: Number of series in the file.
  returned: always
  type: int
  sample: 58
metrics:
  description: The exposition text.
  returned: always
  type: str
  sample: "# HELP clustersec_mysql_report_timestamp_seconds ..."
'''

import os
import stat
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.clustersec.mysql.plugins.module_utils._common import safe_files
from ansible_collections.clustersec.mysql.plugins.module_utils.probes.metrics import (
    MetricsError, parse, render, same_apart_from_time)

MODE = 0o644


def _current(path):
    try:
        st = os.lstat(path)
    except OSError:
        return None, None
    if not stat.S_ISREG(st.st_mode):
        return None, 'not a regular file'
    text = safe_files.read_file(path)
    attrs = None if (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, MODE) else \
        'owner %d:%d mode %04o' % (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
    return (text.decode('utf-8', 'replace') if text is not None else None), attrs


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nodes=dict(type='dict', required=True),
            directory=dict(type='path', default='/var/lib/prometheus/node-exporter'),
            name=dict(type='str', default='clustersec_mysql.prom'),
            create_directory=dict(type='bool', default=True),
            report_time=dict(type='float'),
            warn_days=dict(type='int', default=30),
            max_age_hours=dict(type='int', default=26),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if '/' in p['name'] or not p['name'].endswith('.prom') or p['name'].startswith('.'):
        module.fail_json(msg='name %r: a file name ending in .prom (the textfile collector reads only those)' % p['name'])
    directory = os.path.abspath(p['directory'])
    path = os.path.join(directory, p['name'])
    try:
        text = render(p['nodes'], p['report_time'] or time.time(), p['warn_days'], p['max_age_hours'] * 3600)
        series = len(parse(text))
    except MetricsError as exc:
        module.fail_json(msg='%s: cannot render the metrics: %s' % (', '.join(sorted(p['nodes'] or {})), exc))
    exists = os.path.isdir(directory) and not os.path.islink(directory)
    if not exists and (os.path.lexists(directory) or not p['create_directory']):
        module.fail_json(msg='%s is not a directory%s' % (directory, '' if os.path.lexists(directory) else
                                                          ' (create_directory is off; is node_exporter installed?)'))
    old, attrs = _current(path) if exists else (None, None)
    changed = not exists or attrs is not None or old is None or not same_apart_from_time(old, text)
    written = False
    if not module.check_mode and (changed or old != text):
        try:
            safe_files.write_in_root_directory(path, text.encode('utf-8'), MODE, 0, 0, create=not exists)
        except (OSError, safe_files.UnsafePath) as exc:
            module.fail_json(msg='%s: %s' % (path, exc))
        written = True
    result = dict(changed=changed, path=path, written=written, series=series, metrics=text)
    if module._diff and changed:
        result['diff'] = {'before': old or '', 'after': text, 'before_header': path, 'after_header': path}
    module.exit_json(**result)


if __name__ == '__main__':
    main()
