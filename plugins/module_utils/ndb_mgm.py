# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the NDB modules call ndb_mgm: the argument spec they share and the command line."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

# Doc fragment clustersec.mysql.ndb_mgm.
MGM_SPEC = dict(
    ndb_mgm=dict(type='str', default='ndb_mgm'),
    connectstring=dict(type='str'),
    extra_args=dict(type='list', elements='str', default=[]),
    connect_retries=dict(type='int', default=0),
)


def command(binary, connectstring=None, extra_args=None, connect_retries=0):
    """ndb_mgm's argv without the command. Without --connect-retries ndb_mgm retries a management server that does
    not answer for about a minute (NDB 8.4: 12 retries, 5 s apart); the callers poll themselves, so each call tries
    every management server of the connect string connect_retries + 1 times, 1 s apart, unless extra_args says
    otherwise."""
    extra = list(extra_args or [])
    argv = [binary] + (['--ndb-connectstring=%s' % connectstring] if connectstring else [])
    if not any(a.startswith('--connect-retries') or a == '-t' or a.startswith('--try-reconnect') for a in extra):
        argv += ['--connect-retries=%d' % connect_retries, '--connect-retry-delay=1']
    return argv + extra
