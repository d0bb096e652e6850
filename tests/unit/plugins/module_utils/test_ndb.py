# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import itertools

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils import ndb

SECRET = 'Sup3rS3cr3tValue'

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


# --- password rules -------------------------------------------------------------------------

def test_good_password_has_no_problem():
    assert ndb.password_problems(SECRET) == []
    assert ndb.check_password(SECRET) == SECRET
    assert ndb.password_problems('a' * 512) == []
    assert ndb.password_problems('with space and ~#&*()') == []


@pytest.mark.parametrize('char', list(ndb.FS_PASSWORD_FORBIDDEN))
def test_each_forbidden_character_is_refused_and_hex_suggested(char):
    problems = ndb.password_problems('abc' + char + 'def')
    assert any('forbidden character at position 4' in p for p in problems)
    assert any('ndb_tde_password_encoding: hex' in p for p in problems)


def test_problems_never_quote_the_password():
    for pw in ['x' * 600, 'Secret$Value', 'Secr\u00e9tValue', 'Tab\tValue']:
        for problem in ndb.password_problems(pw):
            assert pw not in problem
            assert 'Secret' not in problem and 'Secr' not in problem


def test_too_long_and_non_printable():
    assert ndb.password_problems('a' * 513) == ['password is 513 characters long; at most 512 are allowed']
    problems = ndb.password_problems('ab\u00e9c\n')
    assert 'not printable ASCII at position 3, 5' in problems[0]
    assert '12 hex characters' in problems[1]  # 6 bytes in UTF-8


def test_hex_form_too_long_is_said():
    problems = ndb.password_problems('$' * 300)
    assert any('hex form would be 600 characters' in p for p in problems)


def test_hex_encoding_accepts_any_character_up_to_256_bytes():
    assert ndb.password_problems('t0p$ecret"\u00e9', encoding='hex') == []
    assert ndb.password_problems(b'\x00' * 256, encoding='hex') == []
    assert 'hex form of password is 514 characters' in ndb.password_problems('$' * 257, encoding='hex')[0]
    assert ndb.password_problems('', encoding='hex') == ['password is empty']
    assert 'unknown password encoding' in ndb.password_problems('a', encoding='b64')[0]


def test_empty_and_wrong_types():
    assert ndb.password_problems('') == ['password is empty']
    assert ndb.password_problems(None, name='ndb_tde_password') == ['ndb_tde_password is empty']
    assert 'binary' in ndb.password_problems(b'abc')[0]
    assert 'must be a string' in ndb.password_problems(1234)[0]


def test_backup_rules_differ():
    assert ndb.password_problems('a`b', kind='backup') == []
    assert ndb.password_problems('a' * 257, kind='backup') == ['password is 257 characters long; at most 256 are allowed']
    assert 'forbidden' in ndb.password_problems('a%b', kind='backup')[0]
    with pytest.raises(ndb.NdbError, match='unknown password kind'):
        ndb.password_problems('a', kind='other')


def test_check_password_names_where():
    with pytest.raises(ndb.NdbError, match=r'^data1 \(node 2\): password contains a forbidden') as err:
        ndb.check_password('top$ecret', where='data1 (node 2)')
    assert 'top$ecret' not in str(err.value)


def test_hexify():
    assert ndb.hexify('t0p$') == '74307024'
    assert ndb.hexify(b'\x00\xff') == '00ff'
    assert ndb.password_problems(ndb.hexify('"quoted" \u00e9')) == []
    assert len(ndb.hexify(b'x' * 256)) == 512
    with pytest.raises(ndb.NdbError, match='at most 512'):
        ndb.hexify(b'x' * 257)
    with pytest.raises(ndb.NdbError, match='empty'):
        ndb.hexify('')
    assert ndb.encode_password('abc', 'plain') == 'abc'
    assert ndb.encode_password('abc', 'hex') == '616263'
    with pytest.raises(ndb.NdbError):
        ndb.encode_password('abc', 'base64')


# --- ndb_mgm parsing ------------------------------------------------------------------------

def test_parse_show():
    nodes = ndb.parse_show(SHOW)
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
    status = ndb.parse_status(ALL_STATUS)
    assert status[2] == {'status': 'started', 'phase': None, 'version': 'mysql-8.0.31 ndb-8.0.31'}
    assert status[3] == {'status': 'starting', 'phase': 4, 'version': 'mysql-8.0.31 ndb-8.0.31'}
    assert status[4]['status'] == 'not connected'
    assert status[5]['status'] == 'no contact'
    assert ndb.parse_status('Node 7: shutting down') == {7: {'status': 'shutting down', 'phase': None, 'version': None}}


def test_merge_prefers_all_status():
    merged = ndb.merge_show_status(ndb.parse_show(SHOW), ndb.parse_status(ALL_STATUS))
    by_id = dict((n['id'], n) for n in merged)
    assert by_id[3]['state'] == 'starting' and by_id[3]['phase'] == 4
    assert by_id[5]['state'] == 'no contact'
    assert by_id[1]['state'] == 'started'


def test_unreachable_management_server_is_an_error():
    text = 'Unable to connect with connect string: nodeid=0,mgm1:1186\nRetrying every 5 seconds.'
    with pytest.raises(ndb.NdbError, match='could not reach the management server'):
        ndb.parse_show(text)
    with pytest.raises(ndb.NdbError):
        ndb.parse_status(text)


def test_parse_backup_output():
    ok = ('Waiting for completed, this may take several minutes\nNode 2: Backup 7 started from node 1\n'
          'Node 2: Backup 7 started from node 1 completed\n StartGCP: 1 StopGCP: 4\n')
    assert ndb.parse_backup_output(ok) == {'backup_id': 7, 'completed': True, 'error': None}
    failed = 'Backup failed\n*  3001: Could not start backup\n*        Encrypted backup required'
    result = ndb.parse_backup_output(failed)
    assert result['completed'] is False and 'Encrypted backup required' in result['error']


def test_parse_ndbxfrm_and_config_values():
    assert ndb.parse_ndbxfrm_info('File=D1/NDBCNTR/S0.sysfile, compression=no, encryption=yes\n') == {
        'file': 'D1/NDBCNTR/S0.sysfile', 'compression': False, 'encryption': True}
    with pytest.raises(ndb.NdbError):
        ndb.parse_ndbxfrm_info('ndbxfrm: cannot open')
    assert ndb.parse_config_values('2\t1\n3\t0\nWarning: x\n') == {2: 1, 3: 0}
    assert ndb.parse_config_values('+--------+\n|      1 | 1 |\n') == {}


# --- config.ini -----------------------------------------------------------------------------

HOSTVARS = {
    'mgm1': {'ndb_tde_mgmd_node_id': 1},
    'data1': {'ndb_tde_node_id': 2, 'ndb_tde_hostname': '10.0.0.2'},
    'data2': {'ndb_tde_node_id': '3', 'ndb_tde_node_params': {'DataMemory': '2G'}},
    'api1': {'ndb_tde_api_node_ids': [50, 51]},
    'api2': {},
}


def test_build_config_nodes():
    nodes = ndb.build_config_nodes(['mgm1'], ['data1', 'data2'], ['api1', 'api2'], HOSTVARS,
                                   {'datadir': '/var/lib/ndb', 'mgmd_datadir': '/var/lib/mgm', 'port': 1186})
    assert [(n['type'], n['id'], n['hostname']) for n in nodes] == [
        ('mgmd', 1, 'mgm1'), ('data', 2, '10.0.0.2'), ('data', 3, 'data2'),
        ('api', 50, 'api1'), ('api', 51, 'api1'), ('api', None, 'api2')]
    assert nodes[2]['params'] == {'DataMemory': '2G'} and nodes[2]['datadir'] == '/var/lib/ndb'
    assert nodes[0]['port'] == 1186 and nodes[0]['datadir'] == '/var/lib/mgm'
    assert ndb.config_problems(nodes, 2) == []


def test_config_problems():
    nodes = ndb.build_config_nodes(['mgm1'], ['data1', 'data2', 'api2'], [], dict(HOSTVARS, api2={'ndb_tde_node_id': 2}),
                                   {'datadir': '/d'})
    problems = ndb.config_problems(nodes, 2, {'DB default': {'encryptedfilesystem': 0, 'DataMemory': '1G'},
                                              'ndbd default': {}})
    text = '\n'.join(problems)
    assert 'node id 2 is used twice' in text
    assert '3 data nodes cannot form node groups of NoOfReplicas=2' in text
    assert "unknown section 'ndbd default' (write 'DB default')" in text
    assert 'sets encryptedfilesystem, which the role owns' in text
    assert 'DataMemory' not in text
    assert ndb.config_problems([], 2) == [
        'no management node: put at least one host in the management group',
        'no data node: put at least one host in the data node group']
    assert 'has no node id (set ndb_tde_node_id)' in ndb.config_problems(
        [{'type': 'data', 'host': 'd', 'datadir': '/d'}], 1)[0]


def test_missing_data_nodes():
    nodes = [{'type': 'data', 'id': 2}, {'type': 'api', 'id': 3}]
    assert ndb.missing_data_nodes(nodes, {'data1': 2, 'data2': 3, 'data3': '4'}) == {'data2': 3, 'data3': '4'}


def test_parse_config_ini_round_trip():
    text = '# c\n[DB default]\nNoOfReplicas=2\n\n[DB]\nNodeId=2\nHostName=h\n[DB]\nNodeId=3\n[API]\n'
    sections = ndb.parse_config_ini(text)
    assert sections[0] == ('DB default', {'NoOfReplicas': '2'})
    assert [(n['type'], n['id']) for n in ndb.config_ini_nodes(sections)] == [('data', 2), ('data', 3), ('api', None)]
    with pytest.raises(ndb.NdbError, match='outside any section'):
        ndb.parse_config_ini('a=1')
    with pytest.raises(ndb.NdbError, match='not key=value'):
        ndb.parse_config_ini('[DB]\nfoo')


def test_assign_nodegroups():
    nodes = [{'type': 'data', 'id': i} for i in (2, 3, 4, 5)]
    assert ndb.assign_nodegroups(nodes, 2) == {2: 0, 3: 0, 4: 1, 5: 1}
    nodes[0]['nodegroup'] = 1
    nodes[3]['nodegroup'] = ndb.NO_NODEGROUP
    assert ndb.assign_nodegroups(nodes, 2) == {2: 1, 3: 0, 4: 0, 5: None}


# --- restart plan ---------------------------------------------------------------------------

def _cluster(groups):
    """groups: list of node groups, each a list of ids."""
    return [{'id': i, 'nodegroup': g} for g, ids in enumerate(groups) for i in ids]


def test_plan_interleaves_node_groups():
    nodes = _cluster([[2, 3], [4, 5], [6, 7]])
    assert ndb.restart_plan(nodes) == [2, 4, 6, 3, 5, 7]
    assert ndb.restart_plan(nodes, only=[7, 3]) == [3, 7]
    nodes.append({'id': 9, 'nodegroup': None})
    assert ndb.restart_plan(nodes)[-1] == 9


def _max_down_per_group(steps, nodes):
    """Replay the steps (each step: its nodes down together, then all back): worst count per group."""
    group_of = dict((n['id'], n['nodegroup']) for n in nodes)
    worst = 0
    for step in steps:
        counts = {}
        for node_id in step:
            counts[group_of[node_id]] = counts.get(group_of[node_id], 0) + 1
        worst = max([worst] + list(counts.values()))
    return worst


@pytest.mark.parametrize('layout', [[[2, 3]], [[2, 3], [4, 5]], [[1, 2, 3], [4, 5, 6]], [[2, 3, 4, 5]],
                                    [[10, 11], [12, 13], [14, 15], [16, 17]]])
@pytest.mark.parametrize('parallel', [1, 2, 4])
def test_plan_never_takes_two_nodes_of_a_group_down(layout, parallel):
    nodes = _cluster(layout)
    for perm in itertools.islice(itertools.permutations(nodes), 0, 24):
        steps = ndb.restart_steps(ndb.restart_plan(list(perm)), list(perm), parallel=parallel)
        assert _max_down_per_group(steps, nodes) == 1
        assert sorted(i for s in steps for i in s) == sorted(n['id'] for n in nodes)
        assert ndb.plan_problems(steps, nodes) == []
        if parallel == 1:
            assert all(len(s) == 1 for s in steps)


def test_plan_problems_single_replica_and_bad_step():
    nodes = _cluster([[2], [3]])
    steps = ndb.restart_steps(ndb.restart_plan(nodes), nodes)
    problems = ndb.plan_problems(steps, nodes)
    assert len(problems) == 1 and 'node groups 0, 1 have a single data node' in problems[0]
    assert ndb.plan_problems(steps, nodes, backup_confirmed=True) == []
    nodes = _cluster([[2, 3]])
    assert 'stops two nodes of one node group' in ndb.plan_problems([[2, 3]], nodes)[0]
    assert ndb.single_replica_groups(_cluster([[2, 3], [4]])) == [1]


# --- status ---------------------------------------------------------------------------------

def test_verdict():
    enc = [{'encryption': True}, {'encryption': True}]
    assert ndb.tde_verdict(1, True, enc) == 'encrypted'
    assert ndb.tde_verdict(None, True, []) == 'encrypted'
    assert ndb.tde_verdict(0, False, [{'encryption': False}]) == 'not encrypted'
    assert ndb.tde_verdict(None, None, []) == 'unknown'
    assert ndb.tde_verdict(1, False, []) == 'inconsistent: EncryptedFileSystem=1, secrets file absent'
    assert ndb.tde_verdict(1, True, [{'encryption': True}, {'encryption': False}]).endswith('1 of 2 files encrypted')


def test_status_table():
    lines = ndb.status_table([{'node': 2, 'host': 'data1', 'config': 1, 'secrets_file': True, 'files': '3/3 encrypted',
                               'verdict': 'encrypted'},
                              {'node': 3, 'host': 'data2', 'config': None, 'secrets_file': False, 'files': None,
                               'verdict': 'not encrypted'}])
    assert lines[0].split(' | ')[0].strip() == 'Node'
    assert set(lines[1]) <= set('-+')
    assert lines[2].split(' | ') == ['2   ', 'data1', '1                  ', 'yes         ', '3/3 encrypted', 'encrypted']
    assert '| -' in lines[3] and '| no' in lines[3]
