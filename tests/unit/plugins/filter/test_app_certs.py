# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pki role's application certificate filters (issue 30): a bad list is named entry by entry, a good one passes;
the x509_set input carries the probe certificate only when asked; a wrong input type is refused."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.filter import app_certs as F

GOOD = [{'name': 'app1', 'subject': {'common_name': 'app1'}, 'dest': 'web1', 'path': '/etc/app1', 'owner': 'app'}]


def test_problems_of_a_good_and_a_bad_list():
    assert F.pki_application_problems(GOOD, ['web1'], '/inv/pki') == []
    bad = F.pki_application_problems([dict(GOOD[0], dest='web9')], ['web1'], '/inv/pki')
    assert bad == ["pki_application_certs[app1].dest 'web9': 'controller' or a host of the inventory"]


def test_set_input_with_and_without_the_probe():
    assert [a['name'] for a in F.pki_application_set(GOOD, True)] == ['app1', 'clustersec-probe-x509']
    assert F.pki_application_set(GOOD, False) == [{'name': 'app1', 'subject': {'common_name': 'app1'}}]


def test_files_of_one_entry():
    files = F.pki_application_files(GOOD[0], '/inv/pki')
    assert [(f['dest'], f['mode'], f['secret'], f['owner']) for f in files] == [
        ('/etc/app1/app1-cert.pem', '0600', False, 'app'), ('/etc/app1/app1-key.pem', '0600', True, 'app')]


@pytest.mark.parametrize('call', [
    lambda: F.pki_application_problems('app1', [], '/inv/pki'),
    lambda: F.pki_application_set({'name': 'x'}),
    lambda: F.pki_application_files({'name': 'x'}, '/inv/pki'),
])
def test_wrong_input_is_refused(call):
    with pytest.raises(AnsibleFilterError):
        call()
