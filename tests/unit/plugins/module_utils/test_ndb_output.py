# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils import ndb_output as O
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb_error import NdbError

SHOW = """Connected to Management Server at: mgm1:1186
Cluster Configuration
---------------------
[ndbd(NDB)]\t4 node(s)
id=2\t@10.0.0.2  (mysql-8.0.31 ndb-8.0.31, Nodegroup: 0, *)
id=3\t@10.0.0.3  (mysql-8.0.31 ndb-8.0.31, starting, Nodegroup: 0)
id=4 (not connected, accepting connect from data3)
id=5\t@10.0.0.5  (mysql-8.0.31 ndb-8.0.31, no nodegroup)

[ndb_mgmd(MGM)]\t1 node(s)
id=1\t@10.0.0.1  (mysql-8.0.31 ndb-8.0.31)

[mysqld(API)]\t2 node(s)
id=50\t@10.0.0.9  (mysql-8.0.31 ndb-8.0.31)
id=51 (not connected, accepting connect from any host)
"""

ALL_STATUS = """Connected to Management Server at: mgm1:1186
Node 2: started (mysql-8.0.31 ndb-8.0.31)
Node 3: starting (Last completed phase 4) (mysql-8.0.31 ndb-8.0.31)
Node 4: not connected
Node 5: no contact
"""


def test_parse_show():
    nodes = O.parse_show(SHOW)
    by_id = dict((n['id'], n) for n in nodes)
    assert [n['id'] for n in nodes if n['type'] == 'data'] == [2, 3, 4, 5]
    assert by_id[2] == {'id': 2, 'type': 'data', 'address': '10.0.0.2', 'connected': True,
                        'version': 'mysql-8.0.31 ndb-8.0.31', 'nodegroup': 0, 'master': True, 'state': 'started'}
    assert by_id[3]['state'] == 'starting' and by_id[3]['nodegroup'] == 0
    assert by_id[4]['connected'] is False and by_id[4]['state'] == 'not connected'
    assert by_id[5]['nodegroup'] is None
    assert by_id[1]['type'] == 'mgmd' and by_id[1]['state'] == 'started'
    assert by_id[51]['type'] == 'api' and by_id[51]['connected'] is False


def test_parse_status():
    status = O.parse_status(ALL_STATUS)
    assert status[2] == {'status': 'started', 'phase': None, 'version': 'mysql-8.0.31 ndb-8.0.31'}
    assert status[3] == {'status': 'starting', 'phase': 4, 'version': 'mysql-8.0.31 ndb-8.0.31'}
    assert status[4]['status'] == 'not connected'
    assert status[5]['status'] == 'no contact'
    assert O.parse_status('Node 7: shutting down') == {7: {'status': 'shutting down', 'phase': None, 'version': None}}


def test_merge_prefers_all_status():
    merged = O.merge_show_status(O.parse_show(SHOW), O.parse_status(ALL_STATUS))
    by_id = dict((n['id'], n) for n in merged)
    assert by_id[3]['state'] == 'starting' and by_id[3]['phase'] == 4
    assert by_id[5]['state'] == 'no contact'
    assert by_id[1]['state'] == 'started'


def test_unreachable_management_server_is_an_error():
    text = 'Unable to connect with connect string: nodeid=0,mgm1:1186\nRetrying every 5 seconds.'
    with pytest.raises(NdbError, match='could not reach the management server'):
        O.parse_show(text)
    with pytest.raises(NdbError):
        O.parse_status(text)


def test_parse_backup_output():
    ok = ('Waiting for completed, this may take several minutes\nNode 2: Backup 7 started from node 1\n'
          'Node 2: Backup 7 started from node 1 completed\n StartGCP: 1 StopGCP: 4\n')
    assert O.parse_backup_output(ok) == {'backup_id': 7, 'completed': True, 'error': None}
    failed = 'Backup failed\n*  3001: Could not start backup\n*        Encrypted backup required'
    result = O.parse_backup_output(failed)
    assert result['completed'] is False and 'Encrypted backup required' in result['error']
    assert result['backup_id'] is None
    # WAIT STARTED: ndb_mgm returns once the backup has started; the id is known, completion is not.
    assert O.parse_backup_output('Node 2: Backup 8 started from node 1\n') == {'backup_id': 8, 'completed': False,
                                                                               'error': None}


def test_parse_ndbxfrm_and_config_values():
    assert O.parse_ndbxfrm_info('File=D1/NDBCNTR/S0.sysfile, compression=no, encryption=yes\n') == {
        'file': 'D1/NDBCNTR/S0.sysfile', 'compression': False, 'encryption': True}
    with pytest.raises(NdbError):
        O.parse_ndbxfrm_info('ndbxfrm: cannot open')
    assert O.parse_config_values('2\t1\n3\t0\nWarning: x\n') == {2: 1, 3: 0}
    assert O.parse_config_values('+--------+\n|      1 | 1 |\n') == {}
