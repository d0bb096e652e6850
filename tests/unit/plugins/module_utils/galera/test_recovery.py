from ansible_collections.clustersec.mysql.plugins.module_utils.galera import recovery as R

U1 = '8bcf4a34-aedb-11e9-bea1-4acb7fe6b1e8'
U2 = '11111111-2222-3333-4444-555555555555'
ORDER = ['db1', 'db2', 'db3']

CRASHED = """# GALERA saved state
version: 2.1
uuid:    %s
seqno:   -1
safe_to_bootstrap: 0
""" % U1
CLEAN = CRASHED.replace('seqno:   -1', 'seqno:   41')

RECOVER_LOG = """2026-12-06 10:00:00 0 [Note] InnoDB: Starting crash recovery
2026-12-06 10:00:01 0 [Note] WSREP: Recovered position: %s:57
""" % U1


def test_parse_grastate():
    assert R.parse_grastate(CRASHED) == {'present': True, 'uuid': U1, 'seqno': -1, 'safe_to_bootstrap': False}
    assert R.parse_grastate(CLEAN.replace('safe_to_bootstrap: 0', 'safe_to_bootstrap: 1'))['safe_to_bootstrap']
    assert R.parse_grastate(CLEAN)['seqno'] == 41
    assert R.parse_grastate(None) == {'present': False, 'uuid': R.NO_UUID, 'seqno': -1, 'safe_to_bootstrap': False}
    assert R.parse_grastate('seqno: x\n')['seqno'] == -1


def test_parse_recovered_takes_the_last_position_and_pxc_gtid_suffix():
    assert R.parse_recovered(RECOVER_LOG) == (U1, 57)
    assert R.parse_recovered('WSREP: Recovered position: %s:-1\n' % U1) == (U1, -1)
    assert R.parse_recovered('[Note] [MY-000000] [WSREP] Recovered position: %s:12,abc:1-5\n' % U2.upper()) == (U2, 12)
    assert R.parse_recovered('InnoDB: no wsrep here') is None


def test_set_safe_to_bootstrap():
    assert 'safe_to_bootstrap: 1' in R.set_safe_to_bootstrap(CRASHED)
    assert 'safe_to_bootstrap: 0' not in R.set_safe_to_bootstrap(CRASHED)
    assert R.set_safe_to_bootstrap('seqno: 3\n').endswith('safe_to_bootstrap: 1\n')


def test_addresses():
    assert R.gcomm_hosts('gcomm://db1,db2:4567,[fe80::1]:4567?pc.wait_prim=no') == ['db1', 'db2', 'fe80::1']
    assert R.gcomm_hosts('gcomm://') == []
    assert R.incoming_hosts('10.0.0.1:3306,10.0.0.2:3306,AUTO') == ['10.0.0.1', '10.0.0.2']
    assert R.address_host('fe80::1') == 'fe80::1'


def test_omitted_addresses_by_name_or_resolved_ip():
    inventory = {'db1': ['db1', '10.0.0.1'], 'db2': ['db2', '10.0.0.2']}
    known = {'db1': {'10.0.0.1': ['10.0.0.1'], '10.0.0.3': ['10.0.0.3'], 'db2': ['10.0.0.2']},
             'db2': {'db3': ['10.0.0.3'], 'DB1': []}}
    assert R.omitted_addresses(known, inventory) == [('10.0.0.3', ['db1']), ('db3', ['db2'])]
    # control: with db3 in the inventory nothing is omitted
    inventory['db3'] = ['db3', '10.0.0.3']
    assert R.omitted_addresses(known, inventory) == []


def _cert(expired, end='2026-01-01T00:00:00Z'):
    return {'not_after': end, 'expired': expired}


def test_expired_files_a_bundle_with_one_valid_ca_is_not_expired():
    files = [{'path': 'ca.pem', 'kind': 'ca', 'certs': [_cert(True), _cert(False, '2030-01-01T00:00:00Z')]},
             {'path': 'server-cert.pem', 'kind': 'cert', 'certs': [_cert(True)]},
             {'path': 'client-ca.pem', 'kind': 'ca', 'certs': [_cert(True)]},
             {'path': 'missing.pem', 'kind': 'cert', 'certs': []}]
    assert R.expired_files(files) == [('server-cert.pem', '2026-01-01T00:00:00Z'),
                                      ('client-ca.pem', '2026-01-01T00:00:00Z')]


def _state(grastate, recovered=None):
    return {'grastate': R.parse_grastate(grastate), 'recovered': recovered or {}}


def test_choose_highest_seqno_from_grastate_or_wsrep_recover():
    states = {'db1': _state(CLEAN), 'db2': _state(CRASHED, {'uuid': U1, 'seqno': 57}),
              'db3': _state(CLEAN.replace('41', '12'))}
    host, problems, positions = R.choose_bootstrap(states, ORDER, preferred='db1')
    assert (host, problems) == ('db2', [])
    assert positions['db2'] == (U1, 57, '--wsrep-recover') and positions['db1'] == (U1, 41, 'grastate.dat')


def test_never_guess_an_unknown_position():
    states = {'db1': _state(CLEAN), 'db2': _state(CRASHED), 'db3': _state(CLEAN)}
    host, problems, dummy = R.choose_bootstrap(states, ORDER)
    assert host is None and 'db2' in problems[0] and 'never guessed' in problems[0]


def test_same_highest_seqno_different_uuids_is_refused_naming_both():
    states = {'db1': _state(CLEAN), 'db2': _state(CLEAN.replace(U1, U2)), 'db3': _state(CLEAN.replace('41', '3'))}
    host, problems, dummy = R.choose_bootstrap(states, ORDER)
    assert host is None
    assert 'more than one cluster UUID' in problems[0]
    assert 'db1 %s seqno 41' % U1 in problems[0] and 'db2 %s seqno 41' % U2 in problems[0]
    # control: same seqno, same UUID - a tie of one history: the safe_to_bootstrap node, else the preferred, else first
    states['db2'] = _state(CLEAN.replace('safe_to_bootstrap: 0', 'safe_to_bootstrap: 1'))
    assert R.choose_bootstrap(states, ORDER, preferred='db1')[0] == 'db2'
    states['db2'] = _state(CLEAN)
    assert R.choose_bootstrap(states, ORDER, preferred='db2')[0] == 'db2'
    assert R.choose_bootstrap(states, ORDER)[0] == 'db1'


def test_a_higher_seqno_of_another_history_is_refused_naming_nodes_and_uuids():
    # Issue 28 row 6: db1 (UUID A, seqno 5000) was chosen over db2/db3 (UUID B), wiping history B.
    states = {'db1': _state(CLEAN.replace('41', '5000')), 'db2': _state(CLEAN.replace(U1, U2)),
              'db3': _state(CRASHED.replace(U1, U2), {'uuid': U2, 'seqno': 40})}
    host, problems, positions = R.choose_bootstrap(states, ORDER)
    assert host is None and len(problems) == 1
    assert 'more than one cluster UUID' in problems[0] and 'diverged' in problems[0]
    for name, uuid, seqno in (('db1', U1, 5000), ('db2', U2, 41), ('db3', U2, 40)):
        assert '%s %s seqno %d' % (name, uuid, seqno) in problems[0]
    assert positions['db1'] == (U1, 5000, 'grastate.dat') and positions['db3'] == (U2, 40, '--wsrep-recover')
    # plan() refuses too (no bootstrap node)
    nodes = {'db1': _node(False, grastate=CLEAN.replace('41', '5000')), 'db2': _node(False, grastate=CLEAN.replace(U1, U2)),
             'db3': _node(False, grastate=CRASHED.replace(U1, U2), recovered={'uuid': U2, 'seqno': 40})}
    p = R.plan(nodes, ORDER, INV)
    assert p['bootstrap'] is None and any('more than one cluster UUID' in x for x in p['problems'])


def test_one_uuid_picks_the_highest_seqno():
    # control: one history, the highest seqno wins whatever the preferred node
    states = {'db1': _state(CLEAN.replace('41', '5000')), 'db2': _state(CLEAN),
              'db3': _state(CRASHED, {'uuid': U1, 'seqno': 40})}
    assert R.choose_bootstrap(states, ORDER, preferred='db2') == ('db1', [], {'db1': (U1, 5000, 'grastate.dat'),
                                                                              'db2': (U1, 41, 'grastate.dat'),
                                                                              'db3': (U1, 40, '--wsrep-recover')})


def _node(running, expired=True, grastate=CLEAN, recovered=None, known=None):
    return {'running': running, 'grastate': R.parse_grastate(grastate), 'recovered': recovered or {},
            'certificates': [{'path': '/etc/mysql/certs/server-cert.pem', 'kind': 'cert', 'certs': [_cert(expired)]}],
            'known_addresses': known if known is not None else {'db1': [], 'db2': [], 'db3': []},
            'address_sources': {}, 'status': {'wsrep_cluster_size': '3'} if running else {}}


INV = {'db1': ['db1'], 'db2': ['db2'], 'db3': ['db3']}


def test_plan_cases():
    p = R.plan({'db1': _node(True), 'db2': _node(True), 'db3': _node(True)}, ORDER, INV)
    assert (p['case'], p['problems'], p['bootstrap']) == ('running', [], None)
    p = R.plan({'db1': _node(True), 'db2': _node(True), 'db3': _node(False)}, ORDER, INV)
    assert (p['case'], p['running'], p['down']) == ('partial', ['db1', 'db2'], ['db3'])
    nodes = {'db1': _node(False), 'db2': _node(False, grastate=CRASHED), 'db3': _node(False)}
    p = R.plan(nodes, ORDER, INV)
    assert (p['case'], p['needs_recover'], p['bootstrap'], p['problems']) == ('all_down', ['db2'], None, [])
    nodes['db2']['recovered'] = {'uuid': U1, 'seqno': 99}
    p = R.plan(nodes, ORDER, INV)
    assert (p['needs_recover'], p['bootstrap'], p['positions']['db2']) == ([], 'db2', [U1, 99, '--wsrep-recover'])


def test_plan_refuses_a_cluster_whose_certificates_did_not_expire():
    p = R.plan({h: _node(True, expired=False) for h in ORDER}, ORDER, INV)
    assert len(p['problems']) == 1 and 'no certificate of the cluster has expired' in p['problems'][0]


def test_plan_refuses_an_inventory_that_omits_a_node():
    known = {'db1': ['10.0.0.1'], 'db2': [], '10.0.0.9': ['10.0.0.9']}
    nodes = {'db1': _node(True, known=known), 'db2': _node(True, known={})}
    nodes['db1']['address_sources'] = {'10.0.0.9': ['wsrep_incoming_addresses']}
    p = R.plan(nodes, ['db1', 'db2'], {'db1': ['db1'], 'db2': ['db2']})
    assert any('db1: the cluster knows 10.0.0.9 (wsrep_incoming_addresses)' in m for m in p['problems']), p['problems']
    assert any('running cluster has 3 nodes, the inventory 2' in m for m in p['problems'])


NOW = '2026-12-06T00:00:00Z'
OLD = {'sha256': 'aa', 'not_after': '2026-11-01T00:00:00Z'}
GOOD = {'sha256': 'bb', 'not_after': '2036-01-01T00:00:00Z'}


def test_ca_decision():
    # current CA expired, nothing staged: new CAs
    d = R.ca_decision({'ca': OLD, 'client-ca': GOOD}, {'ca': None, 'client-ca': None}, 825, NOW)
    assert d['new_ca'] and not d['problems'] and 'ca.pem expired' in d['reasons'][0]
    # current CAs fine: the leaves are reissued from them
    d = R.ca_decision({'ca': GOOD, 'client-ca': GOOD}, {'ca': None, 'client-ca': None}, 825, NOW)
    assert not d['new_ca'] and not d['reasons']
    # a CA that ends before the new certificates would: replaced
    soon = {'sha256': 'cc', 'not_after': '2027-01-01T00:00:00Z'}
    assert R.ca_decision({'ca': soon}, {'ca': None}, 825, NOW)['new_ca']
    # a staged new CA that expired is refused, naming the file
    d = R.ca_decision({'ca': OLD}, {'ca': {'sha256': 'dd', 'not_after': '2026-12-01T00:00:00Z'}}, 825, NOW)
    assert d['problems'] and 'next/ca.pem expired on 2026-12-01' in d['problems'][0]
    # a staged copy of the current CA (a leaf rotation that stopped) is discarded, not taken as the new CA
    d = R.ca_decision({'ca': OLD}, {'ca': dict(OLD)}, 825, NOW)
    assert d['discard_staged'] and d['new_ca'] and not d['problems']


def test_plan_refuses_a_key_type_a_running_node_cannot_reload():
    nodes = {h: _node(True) for h in ORDER}
    for n in nodes.values():
        n['certificates'][0]['certs'][0]['key'] = 'ecdsa-P-256'
    p = R.plan(nodes, ORDER, INV, new_key_type='rsa')
    assert len(p['problems']) == 3 and 'db1: /etc/mysql/certs/server-cert.pem has a ECDSA key' in p['problems'][0]
    assert 'set pki_key_type to ecdsa' in p['problems'][0]
    # control: the same key type passes, and so does any key type on nodes that are down (they start with the new set)
    assert R.plan(nodes, ORDER, INV, new_key_type='ecdsa')['problems'] == []
    nodes = {h: _node(False) for h in ORDER}
    for n in nodes.values():
        n['certificates'][0]['certs'][0]['key'] = 'ecdsa-P-256'
    assert R.plan(nodes, ORDER, INV, new_key_type='rsa')['problems'] == []


# Issue 29: the recovery's Jinja rules (certificate files, addresses, the plan's message, the summary) in Python.
def test_certificate_files_each_once_in_order():
    from ansible_collections.clustersec.mysql.plugins.module_utils.galera.recovery import certificate_files
    channels = [{'ca': '/c/ca.pem', 'cert': '/c/server-cert.pem'}, {'ca': '/c/ca.pem', 'cert': '/c/server-cert.pem'},
                {'ca': '/c/client-ca.pem', 'cert': ''}]
    assert certificate_files(channels) == [{'path': '/c/ca.pem', 'kind': 'ca'}, {'path': '/c/server-cert.pem', 'kind': 'cert'},
                                           {'path': '/c/client-ca.pem', 'kind': 'ca'}]
    assert certificate_files([]) == []


def test_inventory_addresses_adds_what_any_node_resolved():
    from ansible_collections.clustersec.mysql.plugins.module_utils.galera.recovery import inventory_addresses
    got = inventory_addresses(['n1', 'n2'], {'n1': 'n1.example', 'n2': ''},
                              {'n1': {'n1.example': ['10.0.0.1']}, 'n2': {'n1.example': ['10.0.0.1', 'fd00::1']}})
    assert got == {'n1': ['n1', 'n1.example', '10.0.0.1', 'fd00::1'], 'n2': ['n2']}


def test_describe_says_case_expired_positions_and_cas():
    from ansible_collections.clustersec.mysql.plugins.module_utils.galera.recovery import describe
    p = {'case': 'partial', 'running': ['rec1', 'rec2'], 'down': ['rec3'], 'bootstrap': None, 'positions': {},
         'needs_recover': [], 'new_ca': False,
         'expired': [['rec1', '/etc/mysql/certs/server-cert.pem', '2026-01-02T00:00:00Z'],
                     ['rec1', '/etc/mysql/certs/ca.pem', '2026-01-01T00:00:00Z'],
                     ['rec2', '/etc/mysql/certs/server-cert.pem', '2026-01-02T00:00:00Z']]}
    text = describe(p, [])
    assert text.startswith('running: rec1, rec2 get the new set by a reload; then rec3 start')
    assert 'expired: rec1 server-cert.pem, ca.pem (ended 2026-01-01); rec2 server-cert.pem (ended 2026-01-02)' in text
    assert 'positions: not needed' in text and text.endswith('the current CAs sign the new certificates')
    down = dict(p, case='all_down', running=[], down=['rec1', 'rec2', 'rec3'], bootstrap='rec2', new_ca=True,
                ca_reasons=['ca.pem expired on 2026-01-01'], positions={'rec2': ['u', 7, 'grastate.dat']})
    text = describe(down, [])
    assert 'every node is down: bootstrap from rec2, then start' in text and 'positions: rec2 u 7 grastate.dat' in text
    assert 'new CAs (ca.pem expired on 2026-01-01)' in text
    unknown = dict(down, bootstrap=None, positions={}, needs_recover=['rec1'])
    assert '--wsrep-recover of rec1 in a real run' in describe(unknown, ['rec1'], True)
    assert 'positions: not read (--check)' in describe(unknown, ['rec1'], True)
    assert describe(dict(p, case='running', running=['rec1'], down=[]), []).startswith(
        'every node runs on sessions opened before the certificates expired')


def test_summary_one_line_per_node():
    from ansible_collections.clustersec.mysql.plugins.module_utils.galera.recovery import summary
    p = {'running': ['a'], 'bootstrap': 'b', 'positions': {'b': ['u', 9, 'grastate.dat']}}
    lines = summary(['a', 'b', 'c'], p, {'a': {'files_changed': ['x', 'y'], 'seconds': 1.5}},
                    {'c': {'rejoined_by': 'IST', 'seconds': 12}})
    assert lines == ['a: 2 file(s) changed, reloaded, 1.5 s',
                     'b: bootstrapped the cluster with the new set (highest committed seqno 9, grastate.dat)',
                     'c: started with the new set, joined by IST in 12 s']
    check = summary(['a', 'b', 'c'], p, {'a': {'files_changed': ['x']}}, {}, True)
    assert check == ['a: 1 file(s) would change, would reload',
                     'b: would bootstrap the cluster with the new set (highest committed seqno 9, grastate.dat)',
                     'c: would be started with the new set']
    assert summary(['a'], p, {'a': {'restarted': True, 'files_changed': []}}, {})[0] == 'a: 0 file(s) changed, restarted, 0 s'
