# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    # How the NDB modules call ndb_mgm (module_utils/ndb_mgm.py, MGM_SPEC).
    DOCUMENTATION = r'''
options:
  ndb_mgm:
    description: The management client, a name on C(PATH) or a path.
    type: str
    default: ndb_mgm
  connectstring:
    description: C(--ndb-connectstring) of the management servers, for example C(mgm1:1186,mgm2:1186).
    type: str
  extra_args:
    description: More arguments for ndb_mgm (never a password).
    type: list
    elements: str
    default: []
  connect_retries:
    description:
      - C(--connect-retries) of each call, with C(--connect-retry-delay=1), unless O(extra_args) sets it. Without it
        ndb_mgm waits about a minute for a management server that is down (NDB 8.4 defaults); the module polls
        itself, so one attempt per call is the default.
    type: int
    default: 0
'''
