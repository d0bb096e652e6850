# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Trust gate (issue 30 item 5) with real certificates: a correct CA rotation passes at every phase and across
adjacent phases (control); a verifier whose bundle lacks the new CA at the leaf phase, an expired certificate at a
phase, a client certificate presented as a peer, a wrong extendedKeyUsage and a rotation without its bundle phase
are each refused naming the pair; a pair that fails already before the rollout is a warning, not a refusal."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import cert_set
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import trust_gate as T
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error

NOW = datetime.datetime.now(datetime.timezone.utc)
KEY = X.generate_key('ecdsa', curve='P-256')  # one key for every test certificate: only the signatures matter here


def ca(cn):
    return X.create_ca(KEY, {'common_name': cn}, 100), KEY


def leaf(issuer, cn, usage='server', days=50, start=None, eku=None, is_ca=False):
    """A leaf like the collection issues (X.issue_cert), or with its own validity, usages or CA flag."""
    if start is None and eku is None and not is_ca:
        return X.issue_cert(issuer[0], issuer[1], KEY, {'common_name': cn, 'dns': [cn], 'ips': []}, days, usage)
    start = start or NOW - datetime.timedelta(minutes=5)
    builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
               .issuer_name(issuer[0].subject).public_key(KEY.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage([getattr(ExtendedKeyUsageOID, e) for e in eku]),
                                        critical=False)
    return builder.sign(issuer[1], hashes.SHA256())


OLD, OLD_CLIENT = ca('old CA'), ca('old client CA')
NEW, NEW_CLIENT = ca('new CA'), ca('new client CA')


def node_phases(name, cluster=None, client=None):
    """A node through a correct CA rotation: current, bundle (old+new trust), leaf (new certificates), ca (new only)."""
    old = dict(peer_cert=[leaf(OLD, name)], client_cert=[leaf(OLD_CLIENT, name + '-client', 'client')])
    new = dict(peer_cert=[cluster or leaf(NEW, name)], client_cert=[client or leaf(NEW_CLIENT, name + '-client', 'client')])

    def state(certs, peer, clients):
        return dict(peer_cert=certs['peer_cert'], sst_cert=certs['peer_cert'], server_cert=certs['peer_cert'],
                    client_cert=certs['client_cert'], peer_ca=peer, sst_ca=peer, server_ca=peer, client_ca=clients)
    return {'current': state(old, [OLD[0]], [OLD_CLIENT[0]]),
            'bundle': state(old, [OLD[0], NEW[0]], [OLD_CLIENT[0], NEW_CLIENT[0]]),
            'leaf': state(new, [OLD[0], NEW[0]], [OLD_CLIENT[0], NEW_CLIENT[0]]),
            'ca': state(new, [NEW[0]], [NEW_CLIENT[0]])}


PHASES = ['current', 'bundle', 'leaf', 'ca']


def cluster(**kw):
    parties = dict((n, {'kind': 'node', 'phases': node_phases(n)}) for n in ('db1', 'db2', 'db3'))
    parties.update(kw)
    return parties


def pairs(result, key='failures'):
    """(phase, channel, presenter, verifier) of each failure, once each, in the order found."""
    out = []
    for f in result[key]:
        row = (f['phase'], f['channel'], f['presenter'], f['verifier'])
        if row not in out:
            out.append(row)
    return out


def test_control_a_correct_rotation_passes_every_pair():
    result = T.check(cluster(), PHASES)
    assert result['failures'] == [] and result['warnings'] == []
    # 4 channels; peers and SST both ways without self (6 each), clients and servers with self (9 each): 30 pairs,
    # 10 combinations of phases (one at the first phase, three at each later one).
    assert result['checked'] == 30 * 10


def test_control_arbitrator_and_replica_rows_pass():
    arb = {'kind': 'arbitrator', 'phases': dict((p, {'peer_cert': s['peer_cert'], 'peer_ca': s['peer_ca']})
                                                for p, s in node_phases('garbd').items())}
    rep = {'kind': 'replica', 'phases': dict((p, {'client_cert': s['client_cert'], 'server_ca': s['server_ca']})
                                             for p, s in node_phases('replica1').items())}
    assert T.check(cluster(garbd=arb, replica1=rep), PHASES)['failures'] == []


def test_verifier_without_the_new_ca_at_the_leaf_phase_is_named():
    rep_phases = dict((p, {'client_cert': s['client_cert'], 'server_ca': [OLD[0]]})
                      for p, s in node_phases('replica1').items())
    result = T.check(cluster(replica1={'kind': 'replica', 'phases': rep_phases}), PHASES)
    assert pairs(result) == [('leaf', 'client-server server', n, 'replica1') for n in ('db1', 'db2', 'db3')] + \
        [('ca', 'client-server server', n, 'replica1') for n in ('db1', 'db2', 'db3')]
    first = result['failures'][0]
    assert "issuer 'CN=new CA' is not in the verifier's bundle (CN=old CA)" in first['reason']
    assert T.describe(first).startswith("phase leaf, client-server server: db1's certificate 'CN=db1' -> replica1")


def test_expired_certificate_at_a_phase():
    expired = leaf(NEW, 'db2', start=NOW - datetime.timedelta(days=10), days=5, eku=['SERVER_AUTH', 'CLIENT_AUTH'])
    parties = cluster(db2={'kind': 'node', 'phases': node_phases('db2', cluster=expired)})
    result = T.check(parties, PHASES)
    assert ('leaf', 'group-communication', 'db2', 'db1') in pairs(result)
    assert all(f['presenter'] == 'db2' and 'the certificate expired' in f['reason'] for f in result['failures'])
    # the same certificate is good when the phase runs inside its window
    early = dict((p, NOW - datetime.timedelta(days=7)) for p in PHASES)
    assert not [f for f in T.check(parties, PHASES, times=early)['failures'] if f['presenter'] == 'db2']


def test_client_certificate_presented_as_a_peer():
    arb_phases = dict((p, {'peer_cert': s['client_cert'], 'peer_ca': s['peer_ca']})
                      for p, s in node_phases('garbd').items())
    result = T.check(cluster(garbd={'kind': 'arbitrator', 'phases': arb_phases}), PHASES)
    mine = [f for f in result['failures'] + result['warnings'] if f['presenter'] == 'garbd']
    assert mine and all(f['channel'] == 'group-communication' for f in mine)
    assert all(f['reason'] == 'the certificate lacks extendedKeyUsage serverAuth' for f in mine)
    # already refused before the rollout: a warning at every phase, not the rollout's doing
    assert not [f for f in result['failures'] if f['presenter'] == 'garbd']
    # an arbitrator that had its node certificate and gets a client certificate with both usages at the leaf
    # phase is refused there: its issuer (the client CA) is no peer CA
    both = leaf(NEW_CLIENT, 'garbd', eku=['SERVER_AUTH', 'CLIENT_AUTH'])
    arb_phases = dict((p, {'peer_cert': s['peer_cert'], 'peer_ca': s['peer_ca']}) for p, s in node_phases('garbd').items())
    arb_phases['leaf']['peer_cert'] = arb_phases['ca']['peer_cert'] = [both]
    result = T.check(cluster(garbd={'kind': 'arbitrator', 'phases': arb_phases}), PHASES)
    reasons = set(f['reason'] for f in result['failures'] if f['presenter'] == 'garbd')
    assert reasons and all("issuer 'CN=new client CA' is not in the verifier's bundle" in r for r in reasons)


def test_wrong_extended_key_usage():
    server_only = leaf(NEW_CLIENT, 'db3-client', eku=['SERVER_AUTH'])
    result = T.check(cluster(db3={'kind': 'node', 'phases': node_phases('db3', client=server_only)}), PHASES)
    assert set((f['channel'], f['presenter'], f['reason']) for f in result['failures']) == \
        {('client-server client', 'db3', 'the certificate lacks extendedKeyUsage clientAuth')}
    assert pairs(result)[0] == ('leaf', 'client-server client', 'db3', 'db1')


def test_a_rotation_without_the_bundle_phase_fails_between_phases():
    parties = cluster()
    for p in parties.values():
        p['phases']['leaf'] = dict(p['phases']['ca'])
    result = T.check(parties, ['current', 'leaf'])
    assert result['failures'] and all(f['phase'] == 'leaf' for f in result['failures'])
    assert set((f['presenter_phase'], f['verifier_phase']) for f in result['failures']) == \
        {('leaf', 'current'), ('current', 'leaf')}
    # a rollout that changes every file at once (the pki role's main path) checks the final state only
    assert T.check(parties, ['current', 'leaf'], transitions=False)['failures'] == []
    lines = [T.describe(f) for f in result['failures'] if f['presenter'] == 'db1' and f['verifier'] == 'db2']
    assert "phase leaf, group-communication: db1's certificate 'CN=db1' -> db2 (db2 still at current): issuer " \
        "'CN=new CA' is not in the verifier's bundle (CN=old CA)" in lines
    assert "(db1 still at current): issuer 'CN=old CA' is not in the verifier's bundle (CN=new CA)" in lines[0]


def test_verify_chain_rules():
    inter_key = X.generate_key('ecdsa', curve='P-256')
    inter = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'inter')]))
             .issuer_name(NEW[0].subject).public_key(inter_key.public_key()).serial_number(1)
             .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=9))
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .sign(NEW[1], hashes.SHA256()))
    below = leaf((inter, inter_key), 'deep')
    # the CAs the collection makes allow no CA below them (pathLenConstraint 0)
    assert T.verify([below, inter], [NEW[0]], NOW, ('serverAuth',)) == "its CA 'CN=new CA' allows 0 CA(s) below it, the chain has 1"
    assert T.verify([below, inter], [inter], NOW, ('serverAuth',)) is None
    assert "not in the verifier's bundle" in T.verify([below], [NEW[0]], NOW)
    # a leaf signed by a non-CA, a CA certificate presented as a leaf, a forged signature
    not_ca = leaf(NEW, 'plain', eku=['CLIENT_AUTH'])
    assert "is not a CA" in T.verify([leaf((not_ca, KEY), 'x'), not_ca], [not_ca], NOW)
    assert T.verify([leaf(NEW, 'ca-leaf', is_ca=True)], [NEW[0]], NOW) == 'the certificate is a CA certificate, not a leaf'
    impostor = X.create_ca(X.generate_key('ecdsa', curve='P-256'), {'common_name': 'new CA'}, 100)
    assert T.verify([leaf(NEW, 'db1')], [impostor], NOW) == \
        "signed by another key than the CA 'CN=new CA' in the verifier's bundle (same name, another CA)"
    assert T.verify([leaf(NEW, 'db1')], [impostor, NEW[0]], NOW) is None
    # the CA's own window counts too
    assert T.verify([leaf(NEW, 'db1')], [NEW[0]], NOW + datetime.timedelta(days=101)).startswith('the certificate expired')
    assert T.verify([], [NEW[0]], NOW) == 'presents no certificate'
    assert T.verify([leaf(NEW, 'db1')], [], NOW) == 'trusts no CA'


def test_unknown_kind_is_refused():
    with pytest.raises(X509Error, match="kind 'witness'"):
        T.check({'x': {'kind': 'witness', 'phases': {}}}, ['current'])


def test_node_paths_follow_the_product_roles_channels():
    default = T.node_paths('/etc/mysql/certs')
    assert default['peer_ca'] == '/etc/mysql/certs/ca.pem' and default['client_ca'] == '/etc/mysql/certs/client-ca.pem'
    mariadb = [{'name': 'node certificate', 'ca': '/own/ca.pem', 'cert': '/c/server-cert.pem'},
               {'name': 'client certificate', 'ca': '/c/client-ca.pem', 'cert': '/c/client-cert.pem', 'separate_from': 'x'}]
    paths = T.node_paths('/c', mariadb)
    assert paths['peer_ca'] == paths['server_ca'] == '/own/ca.pem' and paths['client_ca'] == '/c/client-ca.pem'
    assert paths['sst_ca'] == '/own/ca.pem'
    pxc = [{'name': 'client-server', 'ca': '/a.pem', 'cert': '/s.pem'},
           {'name': 'SST', 'ca': '/sst-ca.pem', 'cert': '/sst.pem'},
           {'name': 'group communication/IST', 'ca': '/g.pem', 'cert': '/gc.pem'}]
    paths = T.node_paths('/c', pxc)
    assert (paths['peer_ca'], paths['peer_cert'], paths['server_ca']) == ('/g.pem', '/gc.pem', '/a.pem')
    assert (paths['sst_ca'], paths['sst_cert']) == ('/sst-ca.pem', '/sst.pem')
    # no client certificate channel (PXC automatic mode): 3306 trusts the server's CA file, no client certificate
    assert (paths['client_cert'], paths['client_ca']) == (None, '/a.pem')
    automatic = T.node_paths('/c', [{'name': 'automatic (SST, IST, group communication, client-server)', 'ca': '/d/ca.pem',
                                     'cert': '/d/server-cert.pem'}])
    assert automatic['peer_ca'] == automatic['client_ca'] == '/d/ca.pem' and automatic['client_cert'] is None


def write_set(directory, nodes, apps=()):
    """A staged set as cert_set lays it out: new CAs, bundles, node certificates, application certificates."""
    os.makedirs(directory)
    pem = X.cert_pem
    open(os.path.join(directory, 'ca.pem'), 'wb').write(pem(NEW[0]))
    open(os.path.join(directory, 'client-ca.pem'), 'wb').write(pem(NEW_CLIENT[0]))
    open(os.path.join(directory, 'bundle.pem'), 'wb').write(pem(OLD[0]) + pem(NEW[0]))
    open(os.path.join(directory, 'client-bundle.pem'), 'wb').write(pem(OLD_CLIENT[0]) + pem(NEW_CLIENT[0]))
    for n in nodes:
        os.makedirs(os.path.join(directory, 'nodes', n))
        open(os.path.join(directory, 'nodes', n, 'server-cert.pem'), 'wb').write(pem(leaf(NEW, n)))
        open(os.path.join(directory, 'nodes', n, 'client-cert.pem'), 'wb').write(pem(leaf(NEW_CLIENT, n + '-c', 'client')))
    for name, issuer in apps:
        os.makedirs(os.path.join(directory, 'applications', name))
        open(os.path.join(directory, 'applications', name, 'cert.pem'), 'wb').write(pem(leaf(issuer, name, 'client')))


def current_files(name, peer_ca=None):
    pem = X.cert_pem
    return {'/r/ca.pem': (peer_ca or pem(OLD[0])).decode(), '/r/client-ca.pem': pem(OLD_CLIENT[0]).decode(),
            '/r/server-cert.pem': pem(leaf(OLD, name)).decode(),
            '/r/client-cert.pem': pem(leaf(OLD_CLIENT, name + '-c', 'client')).decode() + '-----BEGIN PRIVATE KEY-----'}


def test_gate_over_a_staged_set_and_the_nodes_files(tmp_path):
    staged = str(tmp_path / 'next')
    write_set(staged, ['db1', 'db2'])
    nodes = [{'name': n, 'files': current_files(n), 'remote_dir': '/r'} for n in ('db1', 'db2')]
    result = T.gate(staged, T.steps_of(True), nodes, remote_dir='/r')
    assert result['failures'] == [] and result['phases'] == ['current', 'bundle', 'leaf', 'ca'] and result['staged']
    # db2's configuration points its cluster CA at an operator file the rotation does not replace: it never
    # trusts the new CA, and db1's new certificate is refused from the leaf phase on.
    nodes[1]['channels'] = [{'name': 'node certificate', 'ca': '/own/ca.pem', 'cert': '/r/server-cert.pem'},
                            {'name': 'client certificate', 'ca': '/r/client-ca.pem', 'cert': '/r/client-cert.pem',
                             'separate_from': 'node certificate'}]
    nodes[1]['files']['/own/ca.pem'] = nodes[1]['files']['/r/ca.pem']
    result = T.gate(staged, T.steps_of(True), nodes, remote_dir='/r')
    assert ('leaf', 'group-communication', 'db1', 'db2') in pairs(result)
    assert ('leaf', 'sst', 'db1', 'db2') in pairs(result)
    assert set(f['verifier'] for f in result['failures']) == {'db2'}
    # --check staged nothing: the current phase only
    result = T.gate(str(tmp_path / 'none'), T.steps_of(True), nodes, remote_dir='/r')
    assert result['phases'] == ['current'] and not result['staged'] and result['failures'] == []


def test_gate_takes_application_and_replica_rows(tmp_path):
    current, staged = str(tmp_path / 'pki'), str(tmp_path / 'pki' / 'next')
    os.makedirs(os.path.join(current, 'applications', 'app1'))
    open(os.path.join(current, 'applications', 'app1', 'cert.pem'), 'wb').write(X.cert_pem(leaf(OLD_CLIENT, 'app1', 'client')))
    write_set(staged, ['db1'], apps=[('app1', NEW_CLIENT)])
    nodes = [{'name': 'db1', 'files': current_files('db1'), 'remote_dir': '/r'}]
    replica_cert = tmp_path / 'replica.pem'
    replica_cert.write_bytes(X.cert_pem(leaf(OLD_CLIENT, 'replica1', 'client')))
    replica_next = tmp_path / 'replica-next.pem'
    replica_next.write_bytes(X.cert_pem(leaf(NEW_CLIENT, 'replica1', 'client')))
    old_ca = tmp_path / 'old-ca.pem'
    old_ca.write_bytes(X.cert_pem(OLD[0]))
    replica = {'name': 'replica1', 'kind': 'replica', 'cert': str(replica_cert), 'next_cert': str(replica_next),
               'ca': str(old_ca), 'ca_follows_rotation': True}
    result = T.gate(staged, T.steps_of(True), nodes, [replica], remote_dir='/r', current_dir=current)
    assert result['parties'] == ['app1', 'db1', 'replica1'] and result['failures'] == []
    # the replica's trust of the cluster CA pinned to the old CA
    result = T.gate(staged, T.steps_of(True), nodes, [dict(replica, ca_follows_rotation=False)], remote_dir='/r',
                    current_dir=current)
    assert pairs(result) == [('leaf', 'client-server server', 'db1', 'replica1'), ('ca', 'client-server server', 'db1', 'replica1')]
    # an application certificate the staged set issued from a CA the nodes will not trust
    write_set(str(tmp_path / 'other'), [], apps=[('app1', ca('stray CA'))])
    os.replace(str(tmp_path / 'other' / 'applications' / 'app1' / 'cert.pem'),
               os.path.join(staged, 'applications', 'app1', 'cert.pem'))
    result = T.gate(staged, T.steps_of(True), nodes, [replica], remote_dir='/r', current_dir=current)
    assert pairs(result) == [('leaf', 'client-server client', 'app1', 'db1'), ('ca', 'client-server client', 'app1', 'db1')]
    assert "issuer 'CN=stray CA'" in result['failures'][0]['reason']
    # an application only in the current set is retired by the rollout: not a party
    os.makedirs(os.path.join(current, 'applications', 'old-app'))
    open(os.path.join(current, 'applications', 'old-app', 'cert.pem'), 'wb').write(X.cert_pem(leaf(OLD_CLIENT, 'old-app', 'client')))
    assert 'old-app' not in T.gate(staged, ['leaf'], nodes, remote_dir='/r', current_dir=current)['parties']
    assert 'old-app' in T.gate(str(tmp_path / 'none'), ['leaf'], nodes, remote_dir='/r', current_dir=current)['parties']
    with pytest.raises(X509Error, match='listed twice'):
        T.gate(staged, ['leaf'], nodes, [dict(replica, name='db1')], remote_dir='/r')


def test_leaf_renewal_and_main_path_steps():
    assert T.steps_of(False) == ['leaf'] and T.steps_of(True, full=True) == ['all']
    assert [f['dest'] for f in cert_set.node_files('all', 'db1')][:2] == ['ca.pem', 'client-ca.pem']


def test_arbitrator_outside_the_play_from_the_sets(tmp_path):
    current, staged = str(tmp_path / 'pki'), str(tmp_path / 'pki' / 'next')
    os.makedirs(os.path.join(current, 'nodes', 'garbd'))
    open(os.path.join(current, 'ca.pem'), 'wb').write(X.cert_pem(OLD[0]))
    open(os.path.join(current, 'nodes', 'garbd', 'server-cert.pem'), 'wb').write(X.cert_pem(leaf(OLD, 'garbd')))
    write_set(staged, ['db1', 'garbd'])
    nodes = [{'name': 'db1', 'files': current_files('db1'), 'remote_dir': '/r'}]
    result = T.gate(staged, T.steps_of(True), nodes, remote_dir='/r', current_dir=current, arbitrators=['garbd'])
    assert result['parties'] == ['db1', 'garbd'] and result['failures'] == []
    assert result['checked'] > 0
    # control that the rows exist: a staged arbitrator certificate of the client CA is refused as a peer
    open(os.path.join(staged, 'nodes', 'garbd', 'server-cert.pem'), 'wb').write(X.cert_pem(leaf(NEW_CLIENT, 'garbd')))
    result = T.gate(staged, T.steps_of(True), nodes, remote_dir='/r', current_dir=current, arbitrators=['garbd'])
    assert ('leaf', 'group-communication', 'garbd', 'db1') in pairs(result)
