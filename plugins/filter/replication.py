# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replication between clusters over TLS (issue 30): the pre-flight of one replica's files, read on the controller
from the source's pki set (module_utils/galera/replication.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import replication as R


def replication_tls_problems(replica, source_host, source_pki_dir, cert_name, source_nodes=None, ca_file='', cert_set_dir=''):
    """Problems of replica's channel to source_host: the source set's cluster CA (what MASTER_SSL_CA gets), its client
    CA (client-ca.pem, ca.pem in a shared-CA set), the application certificate cert_name and the node certificates of
    source_nodes (default: source_host's). ca_file: the CA file the replica gets when not the set's ca.pem (a rotation's
    bundle); cert_set_dir: the set the client certificate comes from when not source_pki_dir (a rotation's next set)."""
    if not source_pki_dir or not cert_name or not source_host:
        raise AnsibleFilterError('replication_tls_problems needs source_host, the source pki_dir and the certificate name')
    client_ca = os.path.join(source_pki_dir, 'client-ca.pem')
    if not os.path.exists(client_ca):
        client_ca = os.path.join(source_pki_dir, 'ca.pem')
    nodes = list(source_nodes or [source_host])
    servers = dict((n, os.path.join(source_pki_dir, 'nodes', n, 'server-cert.pem')) for n in nodes)
    app = os.path.join(cert_set_dir or source_pki_dir, 'applications', cert_name)
    try:
        R.wanted_channel(source_host, 3306, 'check', '/x', '/x', '/x')
    except R.ReplicationError as exc:
        return ['%s: %s' % (replica, exc)]
    return R.tls_problems(replica, source_host, ca_file or os.path.join(source_pki_dir, 'ca.pem'), client_ca,
                          os.path.join(app, 'cert.pem'), os.path.join(app, 'key.pem'), servers)


class FilterModule(object):
    def filters(self):
        return {'replication_tls_problems': replication_tls_problems}
