# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is a Galera node already as its product role (mariadb_galera, pxc) would leave it? The one rule behind both roles'
converged entry points, read from one galera_node_state call per node. Plain functions, no Ansible imports."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import wsrep_options, wsrep_status
from ansible_collections.clustersec.mysql.plugins.module_utils._common.mycnf import truthy


def _same(actual, wanted):
    if actual is None:
        return False
    if truthy(actual) is not None and truthy(wanted) is not None:
        return truthy(actual) == truthy(wanted)
    return str(actual).lower() == str(wanted).lower()


def problems(now, expect):
    """Every reason the node is not converged; empty when it is.

    now: the registered galera_node_state result (skipped or None: not read). expect: blockers (reasons known
    before reading the node, e.g. a certificate to issue), cluster_size (the node must see exactly this many),
    gcomm_tls (group-communication TLS expected on), variables ({name: value} the running server must have:
    switches as switches, SELECT @@ answers 1 for ON; anything else without regard to case).
    """
    out = list(expect.get('blockers') or [])
    if out:
        return out
    now = now or {}
    if now.get('skipped') or 'differ' not in now:
        return ['the node was not read']
    if now['differ']:
        out.append('differs from what a run would write: %s' % ', '.join(now['differ']))
    if not now.get('active'):
        return out + ['no unit of the server runs']
    if now.get('error', '?'):
        return out + ['the server does not answer: %s' % now.get('error', '?')]
    if now.get('missing'):
        out.append('missing commands: %s' % ', '.join(now['missing']))
    size = int(expect.get('cluster_size') or 0)
    out.extend(wsrep_status.problems(now.get('status') or {}, size, size))
    variables = now.get('variables') or {}
    gcomm = wsrep_options.tls_enabled(variables.get('wsrep_provider_options') or '')
    if gcomm != bool(expect.get('gcomm_tls')):
        out.append('group-communication TLS is %s, expected %s' % ('on' if gcomm else 'off',
                                                                   'on' if expect.get('gcomm_tls') else 'off'))
    for name, value in (expect.get('variables') or {}).items():
        if not _same(variables.get(name), value):
            out.append('%s is %s, expected %s' % (name, variables.get(name, '(not read)'), value))
    return out
