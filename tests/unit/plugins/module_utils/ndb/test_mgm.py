# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import mgm as M
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError


def test_default_tries_once():
    """ndb_mgm's --connect-retries=N counts attempts (N - 1 retries); 0 would retry forever (mgmapi.cpp)."""
    argv = M.command('ndb_mgm', 'mgm1:1186')
    assert argv == ['ndb_mgm', '--ndb-connectstring=mgm1:1186', '--connect-retries=1', '--connect-retry-delay=1']
    assert '--connect-retries=0' not in argv


def test_retries_after_the_first_attempt():
    assert M.connect_args(2) == ['--connect-retries=3', '--connect-retry-delay=1']


def test_negative_retries_refused():
    with pytest.raises(NdbError, match='forever'):
        M.command('ndb_mgm', None, None, -1)


def test_extra_args_keep_their_own_retries():
    assert M.command('/x/ndb_mgm', None, ['-t', '5']) == ['/x/ndb_mgm', '-t', '5']
    assert M.command('ndb_mgm', None, ['--connect-retries=4']) == ['ndb_mgm', '--connect-retries=4']
