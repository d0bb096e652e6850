# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import node_state as S


def _cluster(states=None, reachable=True, mgmd=None):
    """states: {data node id: state}; two node groups of two by default, all started."""
    states = states if states is not None else {2: 'started', 3: 'started', 4: 'started', 5: 'started'}
    nodes = [{'type': 'data', 'id': i, 'nodegroup': (i - 2) // 2, 'state': s} for i, s in sorted(states.items())]
    nodes += [{'type': 'mgmd', 'id': i, 'state': s} for i, s in sorted((mgmd or {1: 'started'}).items())]
    if not reachable:
        return {'reachable': False, 'error': 'Unable to connect', 'nodes': [], 'data_nodes': [], 'started': [],
                'not_started': {}, 'all_started': False}
    started = [i for i, s in sorted(states.items()) if s == 'started']
    return {'reachable': True, 'nodes': nodes, 'data_nodes': sorted(states), 'started': started,
            'not_started': dict((str(i), s) for i, s in sorted(states.items()) if s != 'started'),
            'all_started': len(started) == len(states) and bool(states)}


def _node(fs=True, encrypted=True, pw=None, cnf=None):
    return {'fs_present': fs, 'secrets_file_present': encrypted,
            'password_file': pw or {'exists': True, 'current': True, 'path': '/etc/x.pw'},
            'defaults_file': cnf or {'exists': False, 'current': False, 'path': '/etc/x.cnf'}}


def _settings(**kw):
    base = {'node_id': 2, 'enabled': True, 'rotate': False, 'rotate_nodes': [], 'uses_password_file': True,
            'uses_defaults_file': False, 'service_manager': 'systemd'}
    base.update(kw)
    return base


# node_state

def test_encrypted_node_that_stays_encrypted_needs_nothing():
    state = S.node_state(_node(), _cluster(), _settings())
    assert state == {'fs_present': True, 'fs_encrypted': True, 'process_running': True,
                     'secret_would_change': False, 'needs_initial': False}


@pytest.mark.parametrize('encrypted,enabled', [(True, False), (False, True)])
def test_encryption_turned_on_or_off_needs_initial(encrypted, enabled):
    assert S.node_state(_node(encrypted=encrypted), _cluster(), _settings(enabled=enabled))['needs_initial']


def test_no_file_system_never_needs_initial():
    assert not S.node_state(_node(fs=False, encrypted=False), _cluster(), _settings(rotate=True))['needs_initial']


def test_rotation_of_this_node_or_of_all():
    assert S.node_state(_node(), _cluster(), _settings(rotate=True))['needs_initial']
    assert S.node_state(_node(), _cluster(), _settings(rotate=True, rotate_nodes=['2', 3]))['needs_initial']
    assert not S.node_state(_node(), _cluster(), _settings(rotate=True, rotate_nodes=[3, 4]))['needs_initial']


def test_password_source_that_would_change():
    stale = {'exists': True, 'current': False, 'path': '/etc/x.pw'}
    assert S.node_state(_node(pw=stale), _cluster(), _settings())['secret_would_change']
    # a file the node does not use any more does not count (it is removed)
    assert not S.node_state(_node(pw=stale), _cluster(), _settings(uses_password_file=False))['secret_would_change']
    assert S.node_state(_node(cnf=stale), _cluster(), _settings(uses_defaults_file=True))['secret_would_change']
    missing = {'exists': False, 'current': False}
    assert not S.node_state(_node(pw=missing), _cluster(), _settings())['secret_would_change']


def test_process_running_from_the_management_server_or_the_service():
    assert not S.node_state(_node(), _cluster({2: 'not connected', 3: 'started'}), _settings())['process_running']
    assert S.node_state(_node(), _cluster({2: 'starting', 3: 'started'}), _settings())['process_running']
    down = _cluster(reachable=False)
    assert S.node_state(_node(), down, _settings(active_state='activating'))['process_running']
    assert not S.node_state(_node(), down, _settings(active_state=None))['process_running']
    assert S.node_state(_node(), down, _settings(service_manager='script', script_rc=0))['process_running']
    assert not S.node_state(_node(), down, _settings(service_manager='script', script_rc=None))['process_running']


# running_problems

def _problems(cluster, state=None, **kw):
    base = {'fs_present': True, 'fs_encrypted': True, 'process_running': True, 'secret_would_change': False,
            'needs_initial': False}
    base.update(state or {})
    settings = {'node_id': 2, 'connectstring': 'mgm1:1186', 'enabled': True, 'rotate': False, 'replicas': 2,
                'backup_confirmed': False, 'restarting': []}
    settings.update(kw)
    return S.running_problems(cluster, base, settings)


def test_a_running_cluster_that_asks_nothing_passes():
    assert _problems(_cluster()) == []


def test_running_node_without_management_server():
    found = _problems(_cluster(reachable=False), {'fs_encrypted': True})
    assert found == ['the node runs but no management server answers at mgm1:1186 (Unable to connect); '
                     'start ndb_mgmd first']


def test_unknown_node_and_not_started_nodes():
    found = _problems(_cluster({3: 'started', 4: 'not started'}), restarting=['data3'])
    assert found[0].startswith("data node 2 is missing from the running cluster's config.ini (the management "
                               "server knows data nodes 3, 4)")
    assert found[1] == 'a node initial rolling restart needs every data node started, but 4 is not started'
    # no restart planned: a stopped node is no reason to refuse
    assert len(_problems(_cluster({2: 'started', 4: 'not started'}))) == 0


def test_single_replica_restart_refused_unless_confirmed():
    single = _cluster({2: 'started', 4: 'started'})   # node groups 0 and 1 with one node each
    assert 'NoOfReplicas=1' in _problems(single, {'needs_initial': True}, replicas=1)[0]
    assert _problems(single, {'needs_initial': True}, replicas=1, backup_confirmed=True) == []


def test_new_password_without_rotation_refused():
    found = _problems(_cluster(), {'secret_would_change': True})
    assert len(found) == 1 and 'ndb_password_rotation.yml' in found[0]
    assert _problems(_cluster(), {'secret_would_change': True, 'needs_initial': True}) == []
    assert _problems(_cluster(), {'secret_would_change': True, 'fs_encrypted': False}) == []


def test_rotation_needs_encryption_and_a_running_cluster():
    assert _problems(_cluster(), rotate=True, enabled=False) == [
        'ndb_tde_rotate needs ndb_tde_enabled true (there is no password to rotate)']
    stopped = _cluster({2: 'not started', 3: 'not started'})
    assert _problems(stopped, {'process_running': False}, rotate=True) == [
        'the cluster is stopped; a password rotation needs it running']


def test_stopped_cluster_cannot_rebuild_a_node():
    stopped = _cluster({2: 'not started', 3: 'not started'})
    found = _problems(stopped, {'process_running': False}, enabled=False)
    assert found == ['its file system is encrypted but ndb_tde_enabled is False, and the cluster is stopped, so no '
                     'node group could rebuild the node; start the cluster as it is, then turn encryption off with '
                     'playbooks/ndb_tde_toggle.yml']
    assert _problems(stopped, {'process_running': False, 'fs_present': False}, enabled=False) == []


# unconverged

def _host(**kw):
    base = {'manager': 'config', 'rotate': False, 'data_node_id': 2, 'needs_initial': False,
            'secret_would_change': False, 'mgmd_node_id': None, 'cache_moves': False, 'changed': []}
    base.update(kw)
    return base


def test_converged_data_node_and_management_server():
    assert S.unconverged(_cluster(), _host()) == []
    assert S.unconverged(_cluster(), _host(data_node_id=None, mgmd_node_id='1')) == []


def test_each_reason_to_run_main():
    assert S.unconverged(_cluster(), _host(needs_initial=True)) == ['data node 2 needs a node initial restart']
    assert S.unconverged(_cluster(), _host(rotate=True)) == ['ndb_tde_rotate asks for a password rotation']
    assert S.unconverged(_cluster(), _host(secret_would_change=True)) == ["data node 2's password source would change"]
    assert S.unconverged(_cluster(), _host(changed=['config.ini', 'unit'])) == ['would change: config.ini, unit']
    assert S.unconverged(_cluster(), _host(data_node_id=None, mgmd_node_id=1, cache_moves=True)) == [
        'the configuration cache of management server 1 moves to a new directory']


def test_cluster_not_running_is_not_converged():
    assert S.unconverged(_cluster(reachable=False), _host()) == ['no management server answers']
    assert S.unconverged({}, _host(data_node_id=None)) == ['no management server answers']
    found = S.unconverged(_cluster({2: 'not started', 3: 'started'}), _host())
    assert found == ['not every data node is started (2 is not started)', 'data node 2 is not started']
    found = S.unconverged(_cluster(mgmd={1: 'not connected'}), _host(data_node_id=None, mgmd_node_id=1))
    assert found == ['management server 1 is not started']


def test_mcm_is_never_converged():
    assert S.unconverged(_cluster(), _host(manager='mcm'))[0].startswith('ndb_tde_manager is mcm')


def test_node_started_by_type_and_id():
    nodes = _cluster(mgmd={1: 'started', 60: 'not connected'})['nodes']
    assert S.node_started(nodes, 'mgmd', '1')
    assert not S.node_started(nodes, 'mgmd', 60)
    assert not S.node_started(nodes, 'mgmd', 2)   # data node 2, not a management server
    assert S.node_started(nodes, 'data', 2)
    assert not S.node_started(nodes, 'mgmd', '') and not S.node_started([], 'data', 2)
