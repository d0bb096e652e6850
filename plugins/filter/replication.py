# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replication between clusters over TLS (issue 30): the pre-flight of one replica's files, read on the controller
from the source's pki set (module_utils/galera/replication.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
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


def _replicas(source_hosts, hostvars, replica_hosts, source_engine=None):
    """replicas_of() from the inventory: each galera_replica host's galera_replication_* values (and its
    galera_engine, when this run published it) read from hostvars."""
    wanted = set(R.DEFAULTS) | set(R.ENGINE_DEFAULTS) | set(R.SOURCE_ENGINE_DEFAULTS) | {
        'galera_replication_replica_host', 'galera_engine'}
    replicas = []
    for host in replica_hosts or []:
        values = hostvars[host] if host in hostvars else {}
        replicas.append((host, dict((k, _plain(values[k])) for k in wanted if k in values)))
    try:
        return R.replicas_of(source_hosts, replicas, _plain(source_engine or {}))
    except R.ReplicationError as exc:
        raise AnsibleFilterError(str(exc))


def _plain(value):
    """Ansible's lazy containers as plain dicts and lists."""
    if isinstance(value, dict) or hasattr(value, 'items'):
        return dict((k, _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def galera_replicas(source_hosts, hostvars, replica_hosts):
    """Names of the hosts that run a channel from one of source_hosts (R.replicas_of)."""
    return [r['host'] for r in _replicas(source_hosts, hostvars, replica_hosts)]


def galera_replica_parties(source_hosts, hostvars, replica_hosts, pki_dir, set_dir, listed=None):
    """The trust gate's replica parties of a source's rotation (R.gate_parties); names in listed (the operator's
    pki_trust_gate_parties, entries or names) are left out."""
    names = [p.get('name') if isinstance(p, dict) else p for p in listed or []]
    try:
        return R.gate_parties(_replicas(source_hosts, hostvars, replica_hosts), pki_dir, set_dir, names)
    except R.ReplicationError as exc:
        raise AnsibleFilterError(str(exc))


def galera_replica_rotation(source_hosts, hostvars, replica_hosts, step, new_ca, pki_dir, source_engine=None,
                            check_mode=False):
    """One rotation phase's plan for every replica of source_hosts (R.rotation_plan): files (controller src or, in
    check mode, a placeholder content), the channel and the account; the account's certificates read from its
    manifest. No key content: the files task reads them through galera_replica_files."""
    out = []
    try:
        for replica in _replicas(source_hosts, hostvars, replica_hosts, source_engine):
            plan = R.rotation_plan(replica, step, bool(new_ca), pki_dir, bool(check_mode))
            try:
                with open(plan['account'].pop('manifest')) as handle:
                    plan['account']['certificates'] = json.load(handle)
            except (IOError, OSError, ValueError) as exc:
                raise R.ReplicationError('replica %s: the application manifest: %s' % (replica['host'], exc))
            out.append(plan)
    except R.ReplicationError as exc:
        raise AnsibleFilterError(str(exc))
    return out


def galera_replica_files(files):
    """node_files input of a rotation plan's files: content read from each controller src (a placeholder content is
    kept as it is)."""
    out = []
    for entry in files or []:
        entry = dict(entry)
        src = entry.pop('src', None)
        if 'content' not in entry:
            try:
                with open(src) as handle:
                    entry['content'] = handle.read()
            except (IOError, OSError, TypeError) as exc:
                raise AnsibleFilterError('galera_replica_files: cannot read %s for %s: %s' % (src, entry.get('dest'), exc))
        out.append(entry)
    return out


class FilterModule(object):
    def filters(self):
        return {'replication_tls_problems': replication_tls_problems, 'galera_replicas': galera_replicas,
                'galera_replica_parties': galera_replica_parties, 'galera_replica_rotation': galera_replica_rotation,
                'galera_replica_files': galera_replica_files}
