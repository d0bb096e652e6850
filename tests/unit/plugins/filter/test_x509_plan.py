# -*- coding: utf-8 -*-
"""x509_names_missing: --check of a rotation plans the new certificate's names without issuing it (issue 28 row 10)."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.filter.x509_plan import x509_names_missing

NODE = {'name': 'db1', 'common_name': 'db1', 'dns': ['db1.example.com'], 'ips': ['10.0.0.1']}


def test_names_the_certificate_would_carry_are_not_missing():
    assert x509_names_missing(['db1', 'DB1.example.com', '10.0.0.1', 'localhost'], NODE, ['localhost']) == []


def test_a_name_the_certificate_would_lack_is_named():
    assert x509_names_missing(['10.0.0.9', 'db1.other'], NODE, ['localhost']) == ['10.0.0.9', 'db1.other']
    assert x509_names_missing('10.0.0.9', NODE) == ['10.0.0.9']


def test_a_bad_node_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match='neither a valid DNS name nor an IP address'):
        x509_names_missing(['db1'], dict(NODE, dns=['bad name']))
