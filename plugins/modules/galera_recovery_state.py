#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: galera_recovery_state
short_description: What a Galera node needs for a recovery from expired certificates, in one call
version_added: 0.8.0
description:
  - Reads, in one call, the node's saved Galera state (C(grastate.dat)), the addresses the cluster knows (the running
    server's C(wsrep_incoming_addresses) and C(wsrep_cluster_address), else the cluster address of the option files
    through C(my_print_defaults)) each resolved to its addresses on the node, the names of O(resolve) resolved the same
    way, and the validity of the certificates of O(certificates).
  - With O(wsrep_recover), on a node whose server does not run, also runs the server binary with C(--wsrep-recover)
    (InnoDB recovery, no connection to the cluster) to learn the committed position that C(grastate.dat) lost in a
    crash (seqno -1). The server logs to its standard error (C(--disable-log-error)), a file opened by the module in
    a private directory (mode 0700) that no other local account can append to, and the position is read from there
    only. With O(safe_to_bootstrap), writes C(safe_to_bootstrap) 1 into C(grastate.dat), as galera
    requires of the node a new cluster is bootstrapped from. Nothing else is changed.
author: clustersec.mysql developers (@clustersec)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - clustersec.mysql.attributes
attributes:
  check_mode:
    support: full
    details: Reads everything; O(wsrep_recover) and O(safe_to_bootstrap) are not run; the module reports changed where the latter would write.
options:
  running:
    description: Whether the server runs (the caller read its unit); only then is the server asked.
    type: bool
    default: false
  client:
    description: The command-line client, run with C(-N -B -e).
    type: str
    default: mariadb
  datadir:
    description: The server's data directory (C(grastate.dat)).
    type: path
    default: /var/lib/mysql
  certificates:
    description: Certificate files to read; C(kind) V(ca) is expired only when every certificate of the file is.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path of the PEM file on the node.
        type: path
        required: true
      kind:
        description: V(ca) or V(cert).
        type: str
        choices: [ca, cert]
        default: cert
  resolve:
    description: Names (the inventory's node addresses) to resolve on the node.
    type: list
    elements: str
    default: []
  wsrep_recover:
    description: Run O(server_binary) C(--wsrep-recover) when the server does not run and C(grastate.dat) has no seqno.
    type: bool
    default: false
  server_binary:
    description: The server binary (MariaDB C(mariadbd), PXC C(mysqld)), found on the PATH or in C(/usr/sbin).
    type: str
    default: mariadbd
  user:
    description:
      - Operating system user the server runs as (O(wsrep_recover)), who owns the data directory.
      - O(safe_to_bootstrap) rewrites C(grastate.dat) by a process running as this user, so that root opens no path
        in the data directory.
    type: str
    default: mysql
  safe_to_bootstrap:
    description: Write C(safe_to_bootstrap) 1 into C(grastate.dat) (the node chosen to bootstrap the cluster).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Read the saved state and the certificates
  clustersec.mysql.galera_recovery_state:
    running: false
    certificates:
      - {path: /etc/mysql/certs/ca.pem, kind: ca}
      - {path: /etc/mysql/certs/server-cert.pem}
    resolve: [db1, db2, db3]
  register: saved
'''

RETURN = r'''
running:
  description: O(running) as given.
  returned: always
  type: bool
  sample: false
grastate:
  description: The parsed C(grastate.dat).
  returned: always
  type: dict
  sample: {present: true, uuid: 8bcf4a34-aedb-11e9-bea1-4acb7fe6b1e8, seqno: -1, safe_to_bootstrap: false}
recovered:
  description: The position C(--wsrep-recover) printed (O(wsrep_recover)); empty when not run.
  returned: always
  type: dict
  sample: {uuid: 8bcf4a34-aedb-11e9-bea1-4acb7fe6b1e8, seqno: 1234, seconds: 3.1}
status:
  description: The running server's Galera status (size, state UUID, last committed, incoming addresses); empty when down.
  returned: always
  type: dict
  sample: {wsrep_cluster_size: "3", wsrep_incoming_addresses: "10.0.0.1:3306,10.0.0.2:3306,10.0.0.3:3306"}
cluster_address:
  description: The running C(wsrep_cluster_address), else the one of the option files.
  returned: always
  type: str
  sample: gcomm://db1,db2,db3
known_addresses:
  description: Each address the cluster knows, with the addresses it resolves to on the node.
  returned: always
  type: dict
  sample: {db3: [10.0.0.3], 10.0.0.1: [10.0.0.1]}
address_sources:
  description: Where each address of RV(known_addresses) was read.
  returned: always
  type: dict
  sample: {db3: [wsrep_cluster_address]}
resolved:
  description: Each name of O(resolve) with the addresses it resolves to on the node.
  returned: always
  type: dict
  sample: {db1: [10.0.0.1]}
certificates:
  description: Per file of O(certificates) its certificates' subject, end of validity, whether each expired, and key.
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/mysql/certs/ca.pem, kind: ca, error: "",
            certs: [{subject: CN=CA, not_after: "2026-01-01T00:00:00Z", expired: true, key: rsa3072}]}]
'''

import datetime
import os
import shlex
import socket
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.clustersec.mysql.plugins.module_utils.galera import recovery as gr
from ansible_collections.clustersec.mysql.plugins.module_utils._common import safe_files
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509 import key_spec, not_after, parse_pem_certs


def _resolve(name):
    try:
        return sorted(set(i[4][0] for i in socket.getaddrinfo(name, None)))
    except (socket.gaierror, UnicodeError):
        return []


def _certificates(files, now):
    out = []
    for f in files:
        entry = dict(path=f['path'], kind=f['kind'], certs=[], error='')
        try:
            with open(f['path'], 'rb') as fh:
                certs = parse_pem_certs(fh.read())
            for c in certs:
                end = not_after(c)
                entry['certs'].append(dict(subject=c.subject.rfc4514_string(), not_after=end.strftime('%Y-%m-%dT%H:%M:%SZ'),
                                           expired=end <= now, key=key_spec(c.public_key())))
            if not certs:
                entry['error'] = 'no certificate in the file'
        except (IOError, OSError, ValueError) as e:
            entry['error'] = 'cannot read: %s' % e
        out.append(entry)
    return out


def _wsrep_recover(module, binary, user):
    path = module.get_bin_path(binary, opt_dirs=['/usr/sbin', '/usr/libexec'])
    if path is None:
        module.fail_json(msg='%s not found: cannot run --wsrep-recover' % binary)
    started = time.monotonic()
    # --disable-log-error: the server logs to its standard error, a file opened here in a private 0700 directory,
    # so no other local account can append a "Recovered position" line (the last one would win) or read the log.
    rc, out, text = safe_files.run_logged([path, '--user=%s' % user, '--wsrep-recover', '--disable-log-error'],
                                          prefix='clustersec-wsrep-recover.')
    found = gr.parse_recovered(text)
    if found is None:
        module.fail_json(msg='%s --wsrep-recover printed no position (exit code %d): %s'
                         % (binary, rc, (text + out).strip()[-1500:]))
    return dict(uuid=found[0], seqno=found[1], seconds=round(time.monotonic() - started, 3))


def write_safe_to_bootstrap(path, text, user):
    """Rewrite grastate.dat (path, its current text) with safe_to_bootstrap 1, as user, who owns the data
    directory: root never opens a path there (a symlink planted at the temporary name would make root write, and
    give the server user, any file). Mode and group are kept."""
    st = os.lstat(path)
    safe_files.write_as(user, path, gr.set_safe_to_bootstrap(text).encode('utf-8'), st.st_mode & 0o7777, st.st_gid)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            running=dict(type='bool', default=False),
            client=dict(type='str', default='mariadb'),
            datadir=dict(type='path', default='/var/lib/mysql'),
            certificates=dict(type='list', elements='dict', default=[],
                              options=dict(path=dict(type='path', required=True),
                                           kind=dict(type='str', choices=['ca', 'cert'], default='cert'))),
            resolve=dict(type='list', elements='str', default=[]),
            wsrep_recover=dict(type='bool', default=False),
            server_binary=dict(type='str', default='mariadbd'),
            user=dict(type='str', default='mysql'),
            safe_to_bootstrap=dict(type='bool', default=False)),
        supports_check_mode=True)
    p = module.params
    grastate_path = os.path.join(p['datadir'], 'grastate.dat')
    # Not following a symlink the server user may have put there.
    raw = safe_files.read_file(grastate_path)
    text = None if raw is None else raw.decode('utf-8', 'replace')
    result = dict(changed=False, running=p['running'], grastate=gr.parse_grastate(text), recovered={}, status={},
                  cluster_address='', known_addresses={}, address_sources={},
                  certificates=_certificates(p['certificates'], datetime.datetime.now(datetime.timezone.utc)),
                  resolved=dict((n, _resolve(n)) for n in p['resolve']))
    sources = {}
    if p['running']:
        sql = ("SELECT @@wsrep_cluster_address; SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size', "
               "'wsrep_cluster_state_uuid', 'wsrep_last_committed', 'wsrep_incoming_addresses', 'wsrep_cluster_status')")
        rc, out, err = module.run_command(shlex.split(p['client']) + ['-N', '-B', '-e', sql])
        if rc != 0:
            module.fail_json(msg='the server runs but %s cannot query it: %s' % (p['client'], err.strip()), **result)
        lines = out.splitlines()
        result['cluster_address'] = lines[0].strip() if lines else ''
        result['status'] = dict((k.lower(), v) for k, sep, v in (ln.partition('\t') for ln in lines[1:]) if sep)
        for h in gr.incoming_hosts(result['status'].get('wsrep_incoming_addresses', '')):
            sources.setdefault(h, []).append('wsrep_incoming_addresses')
    else:
        rc, out, err = module.run_command(['my_print_defaults', 'mysqld', 'server', 'mysqld-8.0', 'mariadb', 'mariadbd',
                                           'galera'])
        for line in out.splitlines():
            name, sep, value = line.partition('=')
            if sep and name.replace('_', '-') == '--wsrep-cluster-address':
                result['cluster_address'] = value.strip()
    for h in gr.gcomm_hosts(result['cluster_address']):
        sources.setdefault(h, []).append('wsrep_cluster_address')
    result['address_sources'] = sources
    result['known_addresses'] = dict((h, _resolve(h)) for h in sources)

    if p['wsrep_recover'] and not p['running'] and result['grastate']['seqno'] < 0 and not module.check_mode:
        result['recovered'] = _wsrep_recover(module, p['server_binary'], p['user'])

    if p['safe_to_bootstrap'] and not result['grastate']['safe_to_bootstrap']:
        if text is None:
            module.fail_json(msg='%s is missing: this node holds no state to bootstrap from' % grastate_path, **result)
        result['changed'] = True
        if not module.check_mode:
            try:
                write_safe_to_bootstrap(grastate_path, text, p['user'])
            except OSError as exc:
                module.fail_json(msg='cannot write %s: %s' % (grastate_path, exc), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
