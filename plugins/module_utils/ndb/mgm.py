# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the NDB modules call ndb_mgm: the argument spec they share and the command line."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError

# Doc fragment clustersec.mysql.ndb_mgm.
MGM_SPEC = dict(
    ndb_mgm=dict(type='str', default='ndb_mgm'),
    connectstring=dict(type='str'),
    extra_args=dict(type='list', elements='str', default=[]),
    connect_retries=dict(type='int', default=0),
)


def connect_args(connect_retries=0, delay=1):
    """--connect-retries for `connect_retries` retries after the first attempt.

    ndb_mgm's --connect-retries=N is a number of ATTEMPTS: the client passes N - 1 to ndb_mgm_connect(), where
    no_retries 0 returns at once and a negative value retries forever (storage/ndb/src/mgmclient/
    CommandInterpreter.cpp, connect(); storage/ndb/src/mgmapi/mgmapi.cpp, ndb_mgm_connect()). So
    --connect-retries=0 waits forever for a management server that is down: never pass it."""
    try:
        retries = int(connect_retries)
    except (TypeError, ValueError):
        raise NdbError('connect_retries must be a number, not %r' % (connect_retries,))
    if retries < 0:
        raise NdbError('connect_retries must be 0 or more (ndb_mgm would retry forever)')
    return ['--connect-retries=%d' % (retries + 1), '--connect-retry-delay=%d' % delay]


def command(binary, connectstring=None, extra_args=None, connect_retries=0):
    """ndb_mgm's argv without the command. Without --connect-retries ndb_mgm retries a management server that does
    not answer for about a minute (12 attempts, 5 s apart); the callers poll themselves, so each call tries every
    management server of the connect string connect_retries + 1 times, 1 s apart, unless extra_args says
    otherwise."""
    extra = list(extra_args or [])
    argv = [binary] + (['--ndb-connectstring=%s' % connectstring] if connectstring else [])
    if not any(a.startswith('--connect-retries') or a == '-t' or a.startswith('--try-reconnect') for a in extra):
        argv += connect_args(connect_retries)
    return argv + extra
