# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make our drop-in win over a packaged option file by commenting out, in that file, every option we set.

MySQL reads the files of an !includedir directory in an order it does not define, so a packaged file beside our
drop-in (PXC's Debian mysql.conf.d/mysqld.cnf sets wsrep_cluster_address=gcomm://, wsrep_cluster_name and
wsrep_node_name) may win; if it does, each node bootstraps a cluster of its own. Commenting the packaged copy out,
line by line with a marker, keeps every other line of the file and is undone by removing the marker.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils._common.mycnf import norm, parse_cnf

MARKER = 'disabled by clustersec.mysql'


def ours(content):
    """{section: set(normalised option names)} of our drop-in."""
    return {section: set(norm(k) for k in options) for section, options in parse_cnf(content).items()}


def comment_out(text, our_options, owner='our drop-in'):
    """(new text, [{'section', 'option', 'line'}]) with every option of our_options in its section commented out."""
    out, disabled, section = [], [], None
    for raw in text.splitlines(True):
        line = raw.strip()
        if line.startswith('[') and ']' in line:
            section = line[1:line.index(']')].strip().lower()
        elif line and line[0] not in '#;!' and section is not None:
            option = norm(line.split('=', 1)[0])
            if option in our_options.get(section, ()):
                ending = '\n' if raw.endswith('\n') else ''
                out.append('# %s  # %s: %s sets it%s' % (raw.rstrip('\r\n'), MARKER, owner, ending))
                disabled.append({'section': section, 'option': option, 'line': line})
                continue
        out.append(raw)
    return ''.join(out), disabled
