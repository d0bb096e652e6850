# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import output as O
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError

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
    assert O.parse_backup_output(ok) == {'backup_id': 7, 'completed': True, 'started': True, 'aborted': False,
                                         'unencrypted_warning': False, 'error': None}
    failed = 'Backup failed\n*  3001: Could not start backup\n*        Encrypted backup required'
    result = O.parse_backup_output(failed)
    assert result['completed'] is False and 'Encrypted backup required' in result['error']
    assert result['backup_id'] is None
    # WAIT STARTED: ndb_mgm returns once the backup has started; the id is known, completion is not.
    started = O.parse_backup_output('Node 2: Backup 8 started from node 1\n')
    assert started['backup_id'] == 8 and not started['completed'] and started['error'] is None


def test_parse_backup_output_sees_the_unencrypted_warning():
    """Real ndb_mgm 9.7.4, --backup-password-from-stdin -e "START BACKUP 11 ENCRYPT WAIT COMPLETED": exit 0, a
    completed backup, and this warning: the backup is plain text."""
    text = ('Connected to management server at 127.0.0.1 port 1186 (using cleartext)\n' + O.UNENCRYPTED_WARNING +
            '\nWaiting for completed, this may take several minutes\nNode 2: Backup 11 started from node 1\n'
            'Node 2: Backup 11 started from node 1 completed\n')
    result = O.parse_backup_output(text)
    assert result['unencrypted_warning'] and result['completed'] and result['backup_id'] == 11
    assert result['error'] is None


def test_parse_backup_output_failures_on_stdin_exit_zero():
    """Commands on stdin end with exit code 0 whatever happened: only the lines tell."""
    invalid = 'Invalid command: START BACKUP ENCRYPT PASSWORD=x\nEncryption password should be within quotes\n' \
              'Type HELP for help.\n'
    result = O.parse_backup_output(invalid)
    assert 'Invalid command' in result['error'] and 'within quotes' in result['error']
    assert 'Type HELP' not in result['error']
    aborted = O.parse_backup_output('Node 2: Backup 9 started from node 1\n'
                                    'Node 2: Backup 9 started from 1 has been aborted. Error: 1350\n')
    assert aborted['aborted'] and not aborted['completed'] and aborted['error']
    down = O.parse_backup_output('ERROR: Unable to connect with connect string: nodeid=0,127.0.0.1:1186\n')
    assert down['error'] and down['backup_id'] is None


def test_unreachable_management_server_with_the_real_error_prefix():
    """mgmapi.cpp prints `ERROR: Unable to connect with connect string: ...`."""
    with pytest.raises(NdbError, match='could not reach'):
        O.parse_show('ERROR: Unable to connect with connect string: nodeid=0,127.0.0.1:41186\n')
    assert O.connect_error('Connected to management server at x port 1 (using cleartext)') is None


def test_parse_stop_output():
    assert O.parse_stop_output('Connected to management server at h port 1186 (using cleartext)\n'
                               'Node 2 4 has shutdown.\n') == {'stopped': [2, 4], 'disconnected': False, 'error': None}
    mgmd = O.parse_stop_output('Node 1 has shutdown.\nDisconnecting to allow Management Server to shutdown\n')
    assert mgmd['stopped'] == [1] and mgmd['disconnected']
    refused = O.parse_stop_output('Shutdown failed.\n*  2002: Stop failed\n*        Node shutdown would cause '
                                  'system crash: Permanent error: Application error\n')
    assert refused['stopped'] == [] and 'system crash' in refused['error']


def test_parse_ndbinfo_select_all():
    text = ('== config_values ==\nnode_id\tconfig_param\tconfig_value\t\n2\t3\t2\t\n2\t680\t1\t\n'
            '3\t680\t0\t\n3\t5\tx\t\n')
    tables = O.parse_ndbinfo_select_all(text)
    assert tables['config_values'][1] == {'node_id': '2', 'config_param': '680', 'config_value': '1'}
    assert O.encrypted_fs_values(tables['config_values']) == {2: 1, 3: 0}
    with pytest.raises(NdbError, match='Failed to open'):
        O.parse_ndbinfo_select_all('== nope ==\nFailed to open: nope, res: 4240\n')
    with pytest.raises(NdbError, match='Unable to connect'):
        O.parse_ndbinfo_select_all('Unable to connect to management server.\n')


def test_parse_ndbxfrm_and_config_values():
    assert O.parse_ndbxfrm_info('File=D1/NDBCNTR/S0.sysfile, compression=no, encryption=yes\n') == {
        'file': 'D1/NDBCNTR/S0.sysfile', 'compression': False, 'encryption': True}
    with pytest.raises(NdbError):
        O.parse_ndbxfrm_info('ndbxfrm: cannot open')
    assert O.parse_config_values('2\t1\n3\t0\nWarning: x\n') == {2: 1, 3: 0}
    assert O.parse_config_values('+--------+\n|      1 | 1 |\n') == {}
