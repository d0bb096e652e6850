# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a restarted node came back, read from the server's journal since the restart: IST, a full SST, or neither
(the node's state was current)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

# mariadbd runs the SST script as a joiner only for a full transfer; an IST is logged as received.
_SST_JOINER = re.compile(r"Running: '?wsrep_sst_[a-z0-9_-]+'? --role '?joiner|Running. .wsrep_sst_[a-z0-9_-]+ --role .joiner")
_IST = re.compile(r'IST received')


def rejoined_by(log):
    """'sst' when the log shows a joiner SST without an IST, 'ist' when an IST was received, else 'none'."""
    if _IST.search(log or ''):
        return 'ist'
    if _SST_JOINER.search(log or ''):
        return 'sst'
    return 'none'


# galera-4 refuses a node whose UUID (restored from gvwstate.dat) the others still hold in their view, right after a
# restart under load; it deletes gvwstate.dat itself and says the node gets a new UUID at its next start.
_SAME_UUID = re.compile(r'A node with the same UUID already exists in the cluster')


def start_again(log):
    """Whether a failed start is galera's same-UUID refusal, which one more start resolves."""
    return bool(_SAME_UUID.search(log or ''))
