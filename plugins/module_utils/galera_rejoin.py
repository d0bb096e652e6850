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
