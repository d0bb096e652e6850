# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's certificate pre-flight (preflight_tls): each rule with a negative and a control."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import tls_channels as T

GALERA = {'name': 'galera', 'ca': '/c/ca.pem', 'cert': '/c/server-cert.pem', 'key': '/c/server-key.pem'}
CLIENT = {'name': 'client', 'ca': '/c/client-ca.pem', 'cert': '/c/client-cert.pem', 'key': '/c/client-key.pem',
          'names': [], 'refuse_ca': '/c/ca.pem', 'separate_from': 'galera'}
MISSING = '/c/server-cert.pem: [Errno 2] No such file or directory'


def result(name, fp='AA', problems=()):
    return {'name': name, 'ca': {'sha256_fingerprint': fp}, 'problems': list(problems)}


def test_sets_default_names_and_refuse_ca_only_when_given():
    sets = T.x509_sets([GALERA, CLIENT, dict(GALERA, name='sst', refuse_ca='')], 'db1.example')
    assert sets[0] == {'name': 'galera', 'ca_path': '/c/ca.pem', 'cert_path': '/c/server-cert.pem',
                       'key_path': '/c/server-key.pem', 'names': ['db1.example']}
    assert sets[1]['names'] == [] and sets[1]['refuse_ca_path'] == '/c/ca.pem'
    assert 'refuse_ca_path' not in sets[2]


def test_fingerprints_none_without_a_ca():
    assert T.ca_fingerprints([result('galera', 'AA'), {'name': 'client', 'problems': []}]) == {'galera': 'AA', 'client': 'none'}


def test_problems_named_by_channel_and_certificate():
    assert T.channel_problems([result('galera', problems=['expired'])], [GALERA], []) == [
        'galera (/c/server-cert.pem): expired']
    assert T.channel_problems([result('galera')], [GALERA], []) == []  # control


def test_missing_files_are_skipped_only_when_asked():
    results = [result('galera', problems=[MISSING, 'expired', MISSING])]
    assert T.missing_files(results) == [MISSING]
    assert T.channel_problems(results, [GALERA], [], T.missing_files(results)) == ['galera (/c/server-cert.pem): expired']
    assert len(T.channel_problems(results, [GALERA], [])) == 3  # control: a real run reports them


def test_client_ca_that_is_the_cluster_ca_is_refused_unless_shared_ca():
    shared = [result('galera', 'AA'), result('client', 'BB,AA')]
    problems = T.channel_problems(shared, [GALERA, CLIENT], [])
    assert problems == ["client: CA /c/client-ca.pem is the galera CA, so every client certificate is a cluster peer; "
                        "add 'shared_ca' to the role's allow_insecure list to accept that"]
    assert T.channel_problems(shared, [GALERA, CLIENT], ['shared_ca']) == []
    assert T.channel_problems([result('galera', 'AA'), result('client', 'BB')], [GALERA, CLIENT], []) == []  # control
    assert T.channel_problems([result('galera', 'AA'), {'name': 'client', 'problems': []}], [GALERA, CLIENT], []) == []


def test_nodes_that_do_not_share_one_ca():
    hosts = ['db1', 'db2', 'db3']
    fps = [{'galera': 'AA', 'client': 'BB'}, {'galera': 'AA', 'client': 'CC'}, None]
    assert T.ca_differences(hosts, fps, ['galera', 'client']) == ['galera: db1, db2 / db3', 'client: db1 / db2 / db3']
    same = [{'galera': 'AA'}] * 3
    assert T.ca_differences(hosts, same, ['galera']) == []  # control
