# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One lifecycle for a certificate set (issue 29 item 3): the set the rotation and the recovery stage carries the
same subjects, key types, validity and client certificates as the set the pki role issues for the same settings
(pki_ca_subject, pki_client_certs, renew_before included); promote keeps the previous set where the report reads it;
discard drops only the staged set."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import cert_set
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_checks import facts
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error

NODES = [{'name': 'db1', 'common_name': 'db1', 'dns': ['db1', 'db1.example'], 'ips': ['10.0.0.1']},
         {'name': 'db2', 'common_name': 'db2', 'dns': ['db2'], 'ips': []}]


def settings(**kw):
    s = dict(ca_common_name='test CA', client_ca_common_name='test client CA',
             ca_subject={'organization': 'Example Corp', 'country': 'DE'}, ca_key_type='ecdsa', ca_curve='P-256',
             ca_valid_days=1000, key_type='ecdsa', curve='P-384', valid_days=400, renew_before=30,
             extra_sans=['localhost', '127.0.0.1'], client_certs=True, shared_ca=False)
    s.update(kw)
    return s


def cert_facts(path):
    f = facts(X.load_cert('cert', path))
    return dict(subject=f['subject'], key=f['key'], days=f['days_left'], dns=f['dns_names'], ips=f['ip_addresses'])


def set_facts(directory):
    """What a set says about itself, without the things that must differ (serials, CA common names' stamp)."""
    out = {}
    for root, dummy, files in os.walk(directory):
        for name in sorted(files):
            if name.endswith('.pem') and not name.endswith('-key.pem') and 'bundle' not in name:
                rel = os.path.relpath(os.path.join(root, name), directory)
                f = cert_facts(os.path.join(root, name))
                if rel in ('ca.pem', 'client-ca.pem'):
                    f['subject'] = ','.join(p for p in f['subject'].split(',') if not p.startswith('CN='))
                out[rel] = f
    return out


@pytest.fixture
def current(tmp_path):
    pki = tmp_path / 'pki'
    return str(pki)


@pytest.mark.parametrize('kw', [{}, {'client_certs': False}, {'shared_ca': True},
                                {'key_type': 'rsa', 'key_size': 2048, 'valid_days': 90, 'renew_before': 10}])
@pytest.mark.parametrize('new_ca', [True, False], ids=['new CAs', 'current CAs'])
def test_staged_set_is_what_the_role_issues(tmp_path, current, kw, new_ca):
    s = settings(**kw)
    cert_set.ensure_current(current, s, NODES)
    role = set_facts(current)
    staged = cert_set.stage(current, s, NODES, new_ca=new_ca, ca_common_names={'ca': 'rotated CA'} if new_ca else None,
                            bundle=new_ca, probe=new_ca)
    got = set_facts(staged['path'])
    got = dict((k, v) for k, v in got.items() if not k.startswith(cert_set.PROBE))
    assert sorted(got) == sorted(role)
    for rel, f in role.items():
        assert got[rel]['subject'] == f['subject'] and got[rel]['key'] == f['key'], rel
        assert got[rel]['dns'] == f['dns'] and got[rel]['ips'] == f['ips'], rel
        assert abs(got[rel]['days'] - f['days']) <= 1, rel
    assert ('nodes/db1/client-cert.pem' in got) == s['client_certs']
    assert ('client-ca.pem' in got) == (s['client_certs'] and not s['shared_ca'])
    if new_ca:
        assert 'CN=rotated CA' in facts(X.load_cert('c', staged['path'] + '/ca.pem'))['subject']
        assert 'O=Example Corp' in facts(X.load_cert('c', staged['path'] + '/ca.pem'))['subject']


def test_pki_ca_subject_is_merged_into_every_ca(current):
    cert_set.ensure_current(current, settings(), NODES)
    for name in ('ca.pem', 'client-ca.pem'):
        subject = facts(X.load_cert('c', os.path.join(current, name)))['subject']
        assert 'O=Example Corp' in subject and 'C=DE' in subject


def test_ensure_current_is_idempotent_and_renews_within_renew_before(current):
    assert cert_set.ensure_current(current, settings(), NODES)['changed']
    again = cert_set.ensure_current(current, settings(), NODES)
    assert not again['changed'] and again['changed_nodes'] == []
    renew = cert_set.ensure_current(current, settings(renew_before=401), NODES, check_mode=True)
    assert renew['changed_nodes'] == ['db1', 'db2']


def test_check_mode_before_the_first_run_writes_nothing(current):
    res = cert_set.ensure_current(current, settings(), NODES, check_mode=True)
    assert res['changed'] and res['ca_missing'] and not os.path.exists(current)


def test_stage_in_check_mode_makes_no_key(current):
    cert_set.ensure_current(current, settings(), NODES)
    res = cert_set.stage(current, settings(), NODES, new_ca=True, bundle=True, probe=True, check_mode=True)
    assert res['changed'] and not os.path.exists(os.path.join(current, 'next'))


def test_stage_resumes_and_rotation_bundles_old_and_new(current):
    cert_set.ensure_current(current, settings(), NODES)
    first = cert_set.stage(current, settings(), NODES, new_ca=True, bundle=True, probe=True)
    assert first['changed'] and first['cas']['ca']['created']
    again = cert_set.stage(current, settings(), NODES, new_ca=True, bundle=True, probe=True)
    assert not again['changed'] and not again['cas']['ca']['created']
    bundle = open(os.path.join(first['path'], 'bundle.pem'), 'rb').read()
    assert len(X.parse_pem_certs(bundle)) == 2
    probe = os.path.join(first['path'], cert_set.PROBE, cert_set.PROBE_NAME)
    assert X.load_cert('p', probe + '/server-cert.pem').issuer == X.load_cert('c', current + '/ca.pem').subject


def test_current_cas_staged_refuse_another_staged_ca(current):
    cert_set.ensure_current(current, settings(), NODES)
    cert_set.stage(current, settings(), NODES, new_ca=True)
    with pytest.raises(X509Error, match='another CA'):
        cert_set.stage(current, settings(), NODES, new_ca=False)


def test_promote_keeps_previous_and_probe_where_the_report_reads_them(current):
    cert_set.ensure_current(current, settings(), NODES)
    old_ca = open(os.path.join(current, 'ca.pem')).read()
    staged = cert_set.stage(current, settings(), NODES, new_ca=True, bundle=True, probe=True)
    new_ca = open(os.path.join(staged['path'], 'ca.pem')).read()
    assert cert_set.promote(current, check_mode=True)['changed']
    assert open(os.path.join(current, 'ca.pem')).read() == old_ca
    res = cert_set.promote(current)
    assert res['changed'] and 'nodes' in res['moved']
    assert open(os.path.join(current, 'ca.pem')).read() == new_ca
    assert open(os.path.join(current, 'previous', 'ca.pem')).read() == old_ca
    assert os.path.exists(os.path.join(current, 'previous', 'probe', 'previous-ca-probe', 'server-cert.pem'))
    assert not os.path.exists(os.path.join(current, 'next'))
    assert not cert_set.promote(current)['changed']
    # The promoted set is current for the role: a run changes nothing.
    assert not cert_set.ensure_current(current, settings(), NODES)['changed']


def test_discard_drops_only_the_staged_set(current):
    cert_set.ensure_current(current, settings(), NODES)
    cert_set.stage(current, settings(), NODES)
    assert cert_set.discard(current)['changed']
    assert not os.path.exists(os.path.join(current, 'next')) and os.path.exists(os.path.join(current, 'ca.pem'))
    assert not cert_set.discard(current)['changed']


def test_symlinked_staging_dir_is_refused(current, tmp_path):
    cert_set.ensure_current(current, settings(), NODES)
    os.symlink(str(tmp_path), os.path.join(current, 'next'))
    with pytest.raises(X509Error, match='symbolic link'):
        cert_set.stage(current, settings(), NODES)


def test_unknown_setting_is_refused(current):
    with pytest.raises(X509Error, match='unknown'):
        cert_set.ensure_current(current, settings(ca_common_nam='x'), NODES)


def test_node_files_by_step():
    def names(files):
        return [(f['src'], f['dest']) for f in files]

    assert names(cert_set.node_files('bundle', 'db1')) == [('bundle.pem', 'ca.pem'), ('client-bundle.pem', 'client-ca.pem')]
    # One CA, or no client certificates: the node's client-ca.pem is the cluster CA, as the pki role puts it there.
    assert names(cert_set.node_files('bundle', 'db1', shared_ca=True)) == [('bundle.pem', 'ca.pem'), ('bundle.pem', 'client-ca.pem')]
    assert names(cert_set.node_files('ca', 'db1', client_certs=False)) == [('ca.pem', 'ca.pem'), ('ca.pem', 'client-ca.pem')]
    leaf = cert_set.node_files('leaf', 'db1')
    assert names(leaf) == [('nodes/db1/server-cert.pem', 'server-cert.pem'), ('nodes/db1/server-key.pem', 'server-key.pem'),
                           ('nodes/db1/client-cert.pem', 'client-cert.pem'), ('nodes/db1/client-key.pem', 'client-key.pem')]
    assert [f['secret'] for f in leaf] == [False, True, False, True]
    assert len(cert_set.node_files('leaf', 'db1', client_certs=False)) == 2
    probe = cert_set.node_files('ca', 'db1', probe=True)
    assert [f['dest'] for f in probe][2:] == ['.previous-ca-probe/server-cert.pem', '.previous-ca-probe/server-key.pem',
                                              '.previous-ca-probe/client-cert.pem', '.previous-ca-probe/client-key.pem']
    assert all(f['mode'] == 0o600 for f in probe[2:])
    assert len(cert_set.node_files('all', 'db1')) == 6
    with pytest.raises(ValueError):
        cert_set.node_files('other', 'db1')


def test_module_dispatches_every_state(current):
    from ansible_collections.clustersec.mysql.plugins.modules import x509_set
    p = dict(path=current, nodes=NODES, settings=settings(), new_ca=True, ca_common_names={}, bundle=False, probe=False)
    assert x509_set.run(dict(p, state='present'), False)['changed']
    assert x509_set.run(dict(p, state='staged'), False)['cas']['ca']['created']
    assert x509_set.run(dict(p, state='absent'), False)['changed']
    assert not x509_set.run(dict(p, state='promoted'), False)['changed']
