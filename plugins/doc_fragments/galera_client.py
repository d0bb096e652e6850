# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    # How the Galera modules talk to the node's server and wait for it (module_utils/galera/wsrep_status.py, CLIENT_SPEC).
    DOCUMENTATION = r'''
options:
  client:
    description: The command-line client, run with C(-N -B -e); it authenticates as its option files and the socket allow.
    type: str
    default: mariadb
  timeout:
    description: Seconds to wait for O(wait_size).
    type: int
    default: 300
  poll_interval:
    description: Seconds between polls of the node's state.
    type: float
    default: 0.5
'''
