# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replication pre-flight filter on a pki set laid out as the pki role does (ca.pem, client-ca.pem,
nodes/<host>/server-cert.pem, applications/<name>/): a control, then a certificate from another set, a missing set,
a name the node certificate lacks, a shared-CA set (no client-ca.pem) and a CA bundle given as ca_file."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import os
import shutil

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.filter.replication import replication_tls_problems
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import app_certs
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X


def make_set(base, shared=False):
    os.makedirs(os.path.join(base, 'nodes', 'db1'))
    ca_key = X.generate_key('ecdsa', curve='P-256')
    ca = X.create_ca(ca_key, {'common_name': 'CA %s' % os.path.basename(base)}, 30)
    cca_key, cca = (ca_key, ca) if shared else (X.generate_key('ecdsa', curve='P-256'), None)
    cca = cca or X.create_ca(cca_key, {'common_name': 'client CA %s' % os.path.basename(base)}, 30)
    key = X.generate_key('ecdsa', curve='P-256')
    node = X.issue_cert(ca, ca_key, key, {'common_name': 'db1', 'dns': ['db1', 'db1.src'],
                                          'ips': [ipaddress.ip_address('10.0.0.1')]}, 30)
    files = {'ca.pem': X.cert_pem(ca), 'nodes/db1/server-cert.pem': X.cert_pem(node),
             'client-ca-key.pem': X.key_pem(cca_key), 'client-ca.pem': X.cert_pem(cca)}
    for name, data in files.items():
        with open(os.path.join(base, name), 'wb') as handle:
            handle.write(data)
    app_certs.ensure(base, os.path.join(base, 'client-ca.pem'), os.path.join(base, 'client-ca-key.pem'), None,
                     [{'name': 'repl', 'subject': {'common_name': 'repl'}}], key_type='ecdsa')
    if shared:
        os.unlink(os.path.join(base, 'client-ca.pem'))  # a shared-CA set has none: ca.pem signs the clients
    return base


def test_control_and_negatives(tmp_path):
    src = make_set(str(tmp_path / 'src'))
    other = make_set(str(tmp_path / 'other'))
    assert replication_tls_problems('rep1', 'db1.src', src, 'repl', ['db1']) == []
    assert replication_tls_problems('rep1', '10.0.0.1', src, 'repl', ['db1']) == []
    out = replication_tls_problems('rep1', 'db1.src', src, 'repl', ['db1'], '', other)
    assert len(out) == 1 and out[0].startswith('rep1: ') and "not signed by the source's client CA" in out[0]
    out = replication_tls_problems('rep1', 'db1.src', src, 'repl', ['db1'], os.path.join(other, 'ca.pem'))
    assert "db1's node certificate is not signed by a CA of" in ' '.join(out)
    out = replication_tls_problems('rep1', 'db9.src', src, 'repl', ['db1'])
    assert 'does not name db9.src' in ' '.join(out)
    assert 'cannot read' in ' '.join(replication_tls_problems('rep1', 'db1.src', src, 'nope', ['db1']))
    assert 'source_host' in ' '.join(replication_tls_problems('rep1', "db1'x", src, 'repl', ['db1']))
    with pytest.raises(AnsibleFilterError):
        replication_tls_problems('rep1', 'db1.src', '', 'repl')
    both = str(tmp_path / 'bundle.pem')
    with open(both, 'wb') as handle:
        handle.write(open(os.path.join(other, 'ca.pem'), 'rb').read() + open(os.path.join(src, 'ca.pem'), 'rb').read())
    assert replication_tls_problems('rep1', 'db1.src', src, 'repl', ['db1'], both) == []


def test_shared_ca_set(tmp_path):
    src = make_set(str(tmp_path / 'shared'), shared=True)
    assert replication_tls_problems('rep1', 'db1', src, 'repl') == []


# ------------------------------------------------ a source's rotation and its replicas
from ansible_collections.clustersec.mysql.plugins.filter import replication as F  # noqa: E402
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import trust_gate as T  # noqa: E402


def staged(tmp_path):
    """The current set and a staged next set with the bundles a CA rotation stages."""
    cur = make_set(str(tmp_path / 'pki'))
    nxt = make_set(os.path.join(cur, 'next'))
    for bundle, name in (('bundle.pem', 'ca.pem'), ('client-bundle.pem', 'client-ca.pem')):
        with open(os.path.join(nxt, bundle), 'wb') as handle:
            handle.write(open(os.path.join(cur, name), 'rb').read() + open(os.path.join(nxt, name), 'rb').read())
    return cur, nxt


def hostvars(**replica):
    rep = {'galera_replication_source_host': 'db1.src', 'galera_replication_source_nodes': ['db1'],
           'galera_replication_cert': 'repl', 'galera_replication_user': 'repl_dr'}
    rep.update(replica)
    return {'db1': {'galera_engine': {'client': 'mariadb', 'flavor': 'mariadb'}}, 'rep1': rep,
            'far1': dict(rep, galera_replication_source_nodes=['elsewhere'])}


def test_replicas_and_rotation_plan_from_hostvars(tmp_path):
    cur, nxt = staged(tmp_path)
    hv = hostvars(galera_replication_flavor='mysql')
    assert F.galera_replicas(['db1'], hv, ['rep1', 'far1']) == ['rep1']
    assert F.galera_replicas(['db1'], hv, []) == []  # control: no galera_replica group
    plans = F.galera_replica_rotation(['db1'], hv, ['rep1', 'far1'], 'bundle', True, cur, {'client': 'mysql', 'flavor': 'pxc'})
    assert len(plans) == 1 and plans[0]['host'] == 'rep1' and plans[0]['source_node'] == 'db1'
    account = plans[0]['account']
    assert account['certificates']['repl']['subject'] and account['relax_issuer'] and account['flavor'] == 'pxc'
    assert plans[0]['channel']['flavor'] == 'mysql'
    files = F.galera_replica_files(plans[0]['files'])
    assert files[0]['content'] == open(os.path.join(nxt, 'bundle.pem')).read() and 'src' not in files[0]
    assert 'PRIVATE KEY' in files[2]['content'] and files[2]['secret']
    # Negatives: a set without the staged bundle, a replica without a certificate name.
    os.unlink(os.path.join(nxt, 'bundle.pem'))
    with pytest.raises(AnsibleFilterError, match='cannot read .*bundle.pem'):
        F.galera_replica_files(F.galera_replica_rotation(['db1'], hv, ['rep1'], 'bundle', True, cur)[0]['files'])
    with pytest.raises(AnsibleFilterError, match='rep1 of db1: galera_replication_cert'):
        F.galera_replica_rotation(['db1'], hostvars(galera_replication_cert=''), ['rep1'], 'leaf', True, cur)
    # --check, nothing staged: placeholders, the current manifest.
    shutil.rmtree(nxt)
    plan = F.galera_replica_rotation(['db1'], hv, ['rep1'], 'leaf', True, cur, check_mode=True)[0]
    assert all(f['content'].startswith('--check: not staged ') for f in F.galera_replica_files(plan['files']))
    assert plan['account']['certificates']['repl']


def gate_with(cur, nxt, parties):
    files = {'/r/ca.pem': open(os.path.join(cur, 'ca.pem')).read(),
             '/r/server-cert.pem': open(os.path.join(cur, 'nodes', 'db1', 'server-cert.pem')).read(),
             '/r/client-ca.pem': open(os.path.join(cur, 'client-ca.pem')).read()}
    return T.gate(nxt, ['bundle', 'leaf', 'ca'], [dict(name='db1', files=files, remote_dir='/r')], parties,
                  remote_dir='/r', current_dir=cur)


def test_a_derived_replica_party_is_refused_without_the_new_ca(tmp_path):
    cur, nxt = staged(tmp_path)
    own = str(tmp_path / 'own-ca.pem')
    shutil.copy(os.path.join(cur, 'ca.pem'), own)
    parties = F.galera_replica_parties(['db1'], hostvars(galera_replication_ca_file=own), ['rep1'], cur, nxt)
    result = gate_with(cur, nxt, parties)
    assert any(m.startswith("phase leaf, client-server server: db1's certificate 'CN=db1' -> rep1: issuer 'CN=CA next'")
               for m in result['messages']), result['messages']
    # Control 1: its own file with the new CA as well passes; control 2: a replica following the rotation passes.
    with open(own, 'ab') as handle:
        handle.write(open(os.path.join(nxt, 'ca.pem'), 'rb').read())
    assert gate_with(cur, nxt, parties)['failures'] == []
    parties = F.galera_replica_parties(['db1'], hostvars(), ['rep1'], cur, nxt)
    assert parties[0]['ca_follows_rotation'] and gate_with(cur, nxt, parties)['failures'] == []
    assert 'rep1' in gate_with(cur, nxt, parties)['parties']
    # The operator's own entry of that name wins (no duplicate party).
    assert F.galera_replica_parties(['db1'], hostvars(), ['rep1'], cur, nxt, [{'name': 'rep1'}]) == []


def test_the_rotation_includes_the_replicas_once_and_only_when_there_are_some():
    """rotate_phase.yml: one include of rotate_replicas.yml, run once, whose condition is galera_replicas() of the
    play over the galera_replica group (default none): an inventory without replicas of this cluster skips it."""
    import yaml
    root = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')
    tasks = yaml.safe_load(open(os.path.join(root, 'roles', 'galera', 'tasks', 'rotate_phase.yml')))
    include = [t for t in tasks if t.get('ansible.builtin.include_tasks') == 'rotate_replicas.yml']
    assert len(include) == 1 and include[0]['run_once'] is True
    assert include[0]['when'].replace(' ', '') == \
        "ansible_play_hosts_all|clustersec.mysql.galera_replicas(hostvars,groups['galera_replica']|default([]))|length>0"
    assert F.galera_replicas(['db1', 'db2'], {'db1': {}, 'db2': {}}, []) == []
    # Control: a replica of this cluster makes it run.
    assert F.galera_replicas(['db1', 'db2'], hostvars(), ['rep1']) == ['rep1']
