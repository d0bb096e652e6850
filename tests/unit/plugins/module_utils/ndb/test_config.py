# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import config as C

HOSTVARS = {
    'mgm1': {'ndb_tde_mgmd_node_id': 1},
    'data1': {'ndb_tde_node_id': 2, 'ndb_tde_hostname': '10.0.0.2'},
    'data2': {'ndb_tde_node_id': '3', 'ndb_tde_node_params': {'DataMemory': '2G'}},
    'api1': {'ndb_tde_api_node_ids': [50, 51]},
    'api2': {},
}


def test_build_config_nodes():
    nodes = C.build_config_nodes(['mgm1'], ['data1', 'data2'], ['api1', 'api2'], HOSTVARS,
                                 {'datadir': '/var/lib/ndb', 'mgmd_datadir': '/var/lib/mgm', 'port': 1186})
    assert [(n['type'], n['id'], n['hostname']) for n in nodes] == [
        ('mgmd', 1, 'mgm1'), ('data', 2, '10.0.0.2'), ('data', 3, 'data2'),
        ('api', 50, 'api1'), ('api', 51, 'api1'), ('api', None, 'api2')]
    assert nodes[2]['params'] == {'DataMemory': '2G'} and nodes[2]['datadir'] == '/var/lib/ndb'
    assert nodes[0]['port'] == 1186 and nodes[0]['datadir'] == '/var/lib/mgm'
    assert C.config_problems(nodes, 2) == []


def test_config_problems():
    nodes = C.build_config_nodes(['mgm1'], ['data1', 'data2', 'api2'], [], dict(HOSTVARS, api2={'ndb_tde_node_id': 2}),
                                 {'datadir': '/d'})
    problems = C.config_problems(nodes, 2, {'DB default': {'encryptedfilesystem': 0, 'DataMemory': '1G'},
                                            'ndbd default': {}})
    text = '\n'.join(problems)
    assert 'node id 2 is used twice' in text
    assert '3 data nodes cannot form node groups of NoOfReplicas=2' in text
    assert "unknown section 'ndbd default' (write 'DB default')" in text
    assert 'sets encryptedfilesystem, which the role owns' in text
    assert 'DataMemory' not in text
    assert C.config_problems([], 2) == [
        'no management node: put at least one host in the management group',
        'no data node: put at least one host in the data node group']
    assert 'has no node id (set ndb_tde_node_id)' in C.config_problems(
        [{'type': 'data', 'host': 'd', 'datadir': '/d'}], 1)[0]
