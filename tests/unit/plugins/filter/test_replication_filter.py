# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replication pre-flight filter on a pki set laid out as the pki role does (ca.pem, client-ca.pem,
nodes/<host>/server-cert.pem, applications/<name>/): a control, then a certificate from another set, a missing set,
a name the node certificate lacks, a shared-CA set (no client-ca.pem) and a CA bundle given as ca_file."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import os

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
