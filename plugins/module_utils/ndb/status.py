# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL NDB Cluster transparent data encryption (TDE) status of the data nodes: the verdict and the table.

Three looks at a data node, as in the seed: EncryptedFileSystem of the active configuration (ndbinfo), the
secrets file SECRETS_FILE in its file system, and ndbxfrm -i on its files. They can disagree (a node not yet
restarted with --initial), so the verdict says 'inconsistent' with the reasons rather than picking one. The
module ndb_tde_status gives the verdict, the filters ndb_tde_status_rows and ndb_tde_status_table lay out the rows. Pure Python, no
Ansible import.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

SECRETS_FILE = 'D1/NDBCNTR/S0.sysfile'


def tde_verdict(config_value, secrets_present, files):
    """'encrypted', 'not encrypted', or 'inconsistent: ...' from the three checks of the seed."""
    encrypted_files = [f for f in files or [] if f.get('encryption') is True]
    plain_files = [f for f in files or [] if f.get('encryption') is False]
    signs_on = [config_value == 1, secrets_present is True] + [True] * len(encrypted_files)
    signs_off = [config_value == 0, secrets_present is False] + [True] * len(plain_files)
    if any(signs_on) and not any(signs_off):
        return 'encrypted'
    if any(signs_off) and not any(signs_on):
        return 'not encrypted'
    if not any(signs_on) and not any(signs_off):
        return 'unknown'
    reasons = []
    if config_value is not None:
        reasons.append('EncryptedFileSystem=%s' % config_value)
    if secrets_present is not None:
        reasons.append('secrets file %s' % ('present' if secrets_present else 'absent'))
    if encrypted_files or plain_files:
        reasons.append('%d of %d files encrypted' % (len(encrypted_files), len(encrypted_files) + len(plain_files)))
    return 'inconsistent: ' + ', '.join(reasons)


def status_rows(statuses, active=None):
    """The table's rows: statuses is {host: the host's ndb_tde_status fact} in the order to show, active the
    EncryptedFileSystem of the active configuration by node id."""
    active = dict((int(k), v) for k, v in (active or {}).items())
    rows = []
    for host, status in (statuses or {}).items():
        files = status.get('files') or []
        rows.append({
            'node': status.get('node_id'),
            'host': host,
            'config': active.get(int(status['node_id'])) if status.get('node_id') is not None else None,
            'secrets_file': status.get('secrets_file_present'),
            'files': ('%d/%d encrypted' % (len([f for f in files if f.get('encryption') is True]), len(files))
                      if status.get('ndbxfrm_available') else 'no ndbxfrm'),
            'verdict': status.get('verdict'),
        })
    return rows


def status_table(rows):
    """Plain-text table of per-node TDE status rows."""
    columns = [('node', 'Node'), ('host', 'Host'), ('config', 'EncryptedFileSystem'),
               ('secrets_file', 'Secrets file'), ('files', 'ndbxfrm'), ('verdict', 'TDE')]
    cells = [[column[1] for column in columns]]
    for row in rows:
        cells.append([_cell(row.get(column[0])) for column in columns])
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = []
    for index, row in enumerate(cells):
        lines.append(' | '.join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if index == 0:
            lines.append('-+-'.join('-' * w for w in widths))
    return lines


def _cell(value):
    if value is None:
        return '-'
    if value is True:
        return 'yes'
    if value is False:
        return 'no'
    return str(value)
