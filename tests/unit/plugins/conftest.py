# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared by the module_utils and filter tests of the pxc role's settings: one definition of a good input."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

CERTS = '/etc/mysql/certs'


def _pxc_settings(**kw):
    """The settings the pxc role hands to pxc_sections/pxc_problems, automatic mode, every check passing."""
    base = {
        'mode': 'automatic', 'version': '8.0', 'cluster_name': 'clustersec', 'cluster_address': ['db1', 'db2', 'db3'],
        'node_name': 'db1', 'node_address': 'db1', 'bind_address': 'db1',
        'provider': '/usr/lib/galera4/libgalera_smm.so', 'sst_method': 'xtrabackup-v2', 'provider_options': '',
        'tls_ca': CERTS + '/ca.pem', 'tls_cert': CERTS + '/server-cert.pem', 'tls_key': CERTS + '/server-key.pem',
        'tls_client_server': True, 'tls_client_cert': CERTS + '/client-cert.pem',
        'tls_client_key': CERTS + '/client-key.pem', 'tls_versions': ['TLSv1.2', 'TLSv1.3'], 'tls_cipher': '',
        'require_secure_transport': False,
        'sst_tls': True, 'sst_ca': CERTS + '/ca.pem', 'sst_cert': CERTS + '/server-cert.pem',
        'sst_key': CERTS + '/server-key.pem',
        'gcomm_tls': True, 'gcomm_ca': CERTS + '/ca.pem', 'gcomm_cert': CERTS + '/server-cert.pem',
        'gcomm_key': CERTS + '/server-key.pem',
        'keyring_file': False, 'keyring_file_data': '/var/lib/mysql-keyring/keyring', 'overrides': {},
        'dhparams_bits': 2048,
    }
    base.update(kw)
    return base


@pytest.fixture
def pxc_settings():
    """pxc_settings(**changes) -> a fresh settings dict with the changes applied."""
    return _pxc_settings
