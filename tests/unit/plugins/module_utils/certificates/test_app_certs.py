# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Application client certificates of a set (issue 30 item 3): issued by the client CA, listed in the manifest with
the subject and issuer in the servers' one-line form, kept while good, issued again when the subject or the client
CA changes, carried through stage and promote."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat
import subprocess

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import app_certs, cert_set
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_checks import signed_by
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error

NODES = [{'name': 'db1'}]
APPS = [{'name': 'app1', 'subject': {'common_name': 'app1', 'organization': 'Example Corp', 'country': 'DE'}},
        {'name': 'app2', 'subject': {'common_name': 'app2'}}]
SETTINGS = dict(ca_common_name='test CA', client_ca_common_name='test client CA', ca_key_type='ecdsa',
                ca_curve='P-256', key_type='ecdsa', curve='P-256', valid_days=400)


@pytest.fixture
def current(tmp_path):
    pki = str(tmp_path / 'pki')
    cert_set.ensure_current(pki, SETTINGS, NODES, applications=APPS)
    return pki


def _cert(pki, name):
    return X.load_cert('c', os.path.join(pki, 'applications', name, 'cert.pem'))


def test_issued_by_the_client_ca_and_listed_with_the_servers_subject_format(current):
    manifest = app_certs.read_manifest(current)
    assert sorted(manifest) == ['app1', 'app2']
    assert manifest['app1']['subject'] == '/C=DE/O=Example Corp/CN=app1'
    assert manifest['app1']['issuer'] == '/CN=test client CA'
    client_ca = X.load_cert('c', os.path.join(current, 'client-ca.pem'))
    cluster_ca = X.load_cert('c', os.path.join(current, 'ca.pem'))
    assert signed_by(_cert(current, 'app1'), client_ca)
    assert not signed_by(_cert(current, 'app1'), cluster_ca)  # control: never the cluster CA's
    assert 'PRIVATE KEY' not in json.dumps(manifest)  # paths only, no key content
    for name in ('cert.pem', 'key.pem'):
        assert stat.S_IMODE(os.stat(os.path.join(current, 'applications', 'app1', name)).st_mode) == 0o600


def test_oneline_is_what_openssl_prints(current):
    # X509_NAME_oneline is what MariaDB and MySQL compare REQUIRE SUBJECT/ISSUER with; openssl x509 -nameopt compat
    # prints the same form.
    path = os.path.join(current, 'applications', 'app1', 'cert.pem')
    out = subprocess.run(['openssl', 'x509', '-noout', '-subject', '-issuer', '-nameopt', 'compat', '-in', path],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ['subject=' + app_certs.oneline(_cert(current, 'app1').subject),
                   'issuer=' + app_certs.oneline(_cert(current, 'app1').issuer)]


def test_second_run_keeps_every_certificate(current):
    before = app_certs.read_manifest(current)
    result = cert_set.ensure_current(current, SETTINGS, NODES, applications=APPS)
    assert not result['changed']
    assert app_certs.read_manifest(current) == before


def test_changed_subject_is_issued_again_and_others_kept(current):
    before = app_certs.read_manifest(current)
    apps = [dict(APPS[0], subject={'common_name': 'app1', 'organization': 'Other'}), APPS[1]]
    result = cert_set.ensure_current(current, SETTINGS, NODES, applications=apps)
    assert result['applications']['app1']['reasons'] == ['subject changed']
    assert result['applications']['app2']['reasons'] == []
    after = app_certs.read_manifest(current)
    assert after['app1']['subject'] == '/O=Other/CN=app1' and after['app2'] == before['app2']


def test_check_mode_writes_nothing(current):
    apps = APPS + [{'name': 'app3', 'subject': {'common_name': 'app3'}}]
    result = cert_set.ensure_current(current, SETTINGS, NODES, check_mode=True, applications=apps)
    assert result['changed'] and result['applications']['app3']['reasons'] == ['missing']
    assert not os.path.exists(os.path.join(current, 'applications', 'app3'))
    assert 'app3' not in app_certs.read_manifest(current)


def test_new_client_ca_stages_new_certificates_and_promote_makes_them_current(current):
    old = app_certs.read_manifest(current)
    staged = cert_set.stage(current, SETTINGS, NODES, new_ca=True, bundle=True,
                            ca_common_names={'client-ca': 'new client CA'}, applications=APPS)
    assert staged['applications']['app1']['issuer'] == '/CN=new client CA'
    assert staged['applications']['app1']['subject'] == old['app1']['subject']  # the subject an account names stays
    assert app_certs.read_manifest(current) == old  # the current set is untouched until promote
    cert_set.promote(current)
    assert app_certs.read_manifest(current)['app1']['issuer'] == '/CN=new client CA'
    assert app_certs.read_manifest(os.path.join(current, 'previous'))['app1']['issuer'] == '/CN=test client CA'
    # control: a run after the promotion keeps them (signed by the now current client CA)
    assert not cert_set.ensure_current(current, SETTINGS, NODES, applications=APPS)['changed']


def test_shared_ca_signs_with_the_cluster_ca(tmp_path):
    pki = str(tmp_path / 'pki')
    cert_set.ensure_current(pki, dict(SETTINGS, shared_ca=True), NODES, applications=APPS[:1])
    assert app_certs.read_manifest(pki)['app1']['issuer'] == '/CN=test CA'


@pytest.mark.parametrize('apps, message', [
    ([{'name': '../x', 'subject': {'common_name': 'x'}}], 'names a directory'),
    ([{'name': 'a', 'subject': {'organization': 'x'}}], 'common_name is required'),
    ([{'name': 'a', 'subject': {'common_name': "o'brien"}}], 'quotes'),
    ([{'name': 'a', 'subject': {'common_name': 'a/b'}}], "'/'"),
    ([{'name': 'a', 'subject': {'common_name': 'a', 'email': 'x'}}], 'unknown field'),
    ([{'name': 'a', 'subject': {'common_name': 'a', 'country': 'DEU'}}], 'two-letter'),
    ([{'name': 'a', 'subject': {'common_name': 'a'}}, {'name': 'a', 'subject': {'common_name': 'b'}}], 'duplicate'),
    ([{'name': 'a', 'subject': {'common_name': 'a'}}, {'name': 'b', 'subject': {'common_name': 'a'}}], 'same subject'),
])
def test_bad_input_is_refused_before_anything_is_written(tmp_path, apps, message):
    pki = str(tmp_path / 'pki')
    cert_set.ensure_current(pki, SETTINGS, NODES)
    with pytest.raises(X509Error, match=message):
        cert_set.ensure_current(pki, SETTINGS, NODES, applications=apps)
    assert not os.path.exists(os.path.join(pki, 'applications'))


def test_good_input_passes_normalise():
    # control of the refusals above
    assert app_certs.normalise(APPS)[0]['subject']['country'] == 'DE'


def test_symbolic_link_in_place_of_the_directory_is_refused(tmp_path):
    pki = str(tmp_path / 'pki')
    cert_set.ensure_current(pki, SETTINGS, NODES)
    os.symlink(str(tmp_path), os.path.join(pki, 'applications'))
    with pytest.raises(X509Error, match='symbolic link'):
        cert_set.ensure_current(pki, SETTINGS, NODES, applications=APPS)


GOOD = [{'name': 'app1', 'subject': {'common_name': 'app1'}, 'dest': 'controller', 'path': '/srv/app1'},
        {'name': 'app2', 'subject': {'common_name': 'app2'}, 'dest': 'web1', 'path': '/etc/app2', 'owner': 'app',
         'mode': '0400'}]


def test_delivery_of_a_good_list_has_no_problem():
    assert app_certs.delivery_problems(GOOD, ['db1', 'web1'], '/srv/inventory/pki') == []


@pytest.mark.parametrize('change, message', [
    ({'dest': 'web9'}, "dest 'web9'"),
    ({'path': 'relative'}, 'absolute'),
    ({'path': '/srv/../etc'}, 'absolute'),
    ({'path': '/srv/inventory/pki/apps'}, 'inside pki_dir'),
    ({'mode': '0644'}, '0600 or 0400'),
    ({'owner': 'root'}, 'on the controller'),
    ({'name': app_certs.PROBE_NAME}, 'probe certificate'),
    ({'subject': {'common_name': 'x"y'}}, 'quotes'),
])
def test_delivery_problems_name_the_entry(change, message):
    problems = app_certs.delivery_problems([dict(GOOD[0], **change)], ['db1', 'web1'], '/srv/inventory/pki')
    assert any(message in p for p in problems), problems


def test_delivery_files_and_set_input():
    files = app_certs.delivery_files(GOOD[1], '/pki/next')
    assert files == [
        {'src': '/pki/next/applications/app2/cert.pem', 'dest': '/etc/app2/app2-cert.pem', 'mode': '0400',
         'secret': False, 'owner': 'app'},
        {'src': '/pki/next/applications/app2/key.pem', 'dest': '/etc/app2/app2-key.pem', 'mode': '0400',
         'secret': True, 'owner': 'app'}]
    assert app_certs.set_input(GOOD)[-1] == {'name': app_certs.PROBE_NAME,
                                             'subject': {'common_name': app_certs.PROBE_NAME}}
    assert [a['name'] for a in app_certs.set_input(GOOD, probe=False)] == ['app1', 'app2']  # control


def test_applications_alone_need_no_node_list(current):
    result = cert_set.ensure_current(current, SETTINGS, [], applications=APPS + [{'name': 'app3',
                                                                                  'subject': {'common_name': 'app3'}}])
    assert result['changed'] and result['changed_nodes'] == [] and 'app3' in app_certs.read_manifest(current)


def test_main_path_without_applications_leaves_them_alone(tmp_path):
    """A second play's pki main path on the same pki_dir (Galera arbitrators: no applications argument) must not empty
    the manifest the data nodes' play wrote; control: an explicit empty list does."""
    pki = str(tmp_path / 'pki')
    cert_set.ensure_current(pki, SETTINGS, NODES, applications=APPS)
    kept = app_certs.read_manifest(pki)
    assert kept
    assert not cert_set.ensure_current(pki, SETTINGS, NODES)['changed']
    assert app_certs.read_manifest(pki) == kept
    assert not cert_set.ensure_current(pki, SETTINGS, NODES, applications=APPS)['changed']
    cert_set.ensure_current(pki, SETTINGS, NODES, applications=[])
    assert app_certs.read_manifest(pki) == {}
