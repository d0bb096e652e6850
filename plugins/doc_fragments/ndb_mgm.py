# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    # How the NDB modules call ndb_mgm (module_utils/ndb/mgm.py, MGM_SPEC).
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
      - Retries of each call, 1 s apart, after its first attempt, unless O(extra_args) sets C(--connect-retries).
        The default 0 tries once.
      - ndb_mgm's own C(--connect-retries=N) counts attempts, and C(--connect-retries=0) retries forever; the module
        passes O(connect_retries) + 1. Without it ndb_mgm waits about a minute for a management server that is down
        (12 attempts, 5 s apart); the module polls itself. A negative value is refused.
    type: int
    default: 0
'''
