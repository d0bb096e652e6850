# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Galera arbitrator (garbd): its configuration file (read with garbd --cfg) and the systemd drop-in that points
Debian's garb.service at it, and the checks of their input.

garbd reads a boost program_options file: one `name = value` a line, `#` starts a comment anywhere. Its
socket.ssl* options are the data nodes' (wsrep_options.galera_ssl_options, the one place they are built) and its
suites pass the same TLS policy (tls_policy.settings_problems). Debian's /etc/default/garb is a conffile of the
operator's: the drop-in replaces ExecStart, so garbd never reads it and it is never rewritten.

Plain functions, no Ansible imports.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import tls_policy, wsrep_options

_ADDRESS = re.compile(r'^([0-9]{1,3}[.]){3}[0-9]{1,3}$|^[0-9a-fA-F:]*:[0-9a-fA-F:]*$')

GARBD = '/usr/bin/garbd'
HEADER = '# Galera arbitrator settings, owned by clustersec.mysql.galera_arbitrator (garbd --cfg); edits are overwritten.\n'


def peer_address(peers, port):
    """gcomm://a:4567,b:4567 from the data nodes' addresses (an address that names its port keeps it)."""
    out = []
    for peer in peers:
        peer = str(peer)
        # [v6]:port and host:port name their port; [v6] and host do not.
        out.append(peer if ':' in peer.rsplit(']', 1)[-1] else '%s:%s' % (peer, port))
    return 'gcomm://' + ','.join(out)


def options(settings):
    """The provider options garbd joins with: the operator's, with our socket.ssl* keys merged in."""
    ours = wsrep_options.galera_ssl_options(settings['ca'], settings['cert'], settings['key'],
                                            cipher=settings.get('cipher') or tls_policy.SECURE_CIPHERS)
    remove = [k for k in wsrep_options.SSL_KEYS if k not in ours]
    return wsrep_options.merge(settings.get('options') or '', ours, remove=remove)


def _rendered(settings):
    return {
        'name': settings.get('name') or '',
        'group': settings.get('group') or '',
        'address': peer_address(settings.get('peers') or [], settings.get('port') or 4567),
        'options': options(settings),
        'workdir': settings.get('workdir') or '',
    }


def problems(settings, allowed=()):
    """Every reason the settings cannot make a garbd that joins the cluster over TLS; empty when none.

    settings: name, group, peers (data nodes' addresses), port, ca, cert, key, cipher ('' = the profile), options
    (the operator's provider options), workdir, user. allowed: the named opt-outs (tls_policy)."""
    out = []
    if not settings.get('peers'):
        out.append('no data node to join: the list of cluster hosts is empty')
    if not settings.get('group'):
        out.append('the cluster name (the group garbd joins) is empty')
    for key in ('ca', 'cert', 'key', 'user'):
        if not settings.get(key):
            out.append('%s is empty' % key)
    try:
        rendered = _rendered(settings)
    except ValueError as exc:
        return out + [str(exc)]
    try:
        out.extend(tls_policy.settings_problems(
            {'ciphers': {'group communication': settings.get('cipher') or ''},
             'rendered': dict(rendered, user=settings.get('user') or '')}, allowed))
    except tls_policy.PolicyError as exc:
        out.append(str(exc))
    for key, value in sorted(rendered.items()):
        if '#' in value:
            out.append("%s: '%s' holds '#', which garbd's configuration file reads as the start of a comment" % (key, value))
    return out


def config_text(settings):
    """The file garbd --cfg reads."""
    r = _rendered(settings)
    lines = [HEADER]
    for key in ('name', 'address', 'group', 'options', 'workdir'):
        if r[key]:
            lines.append('%s = %s\n' % (key, r[key]))
    return ''.join(lines)


def dropin_text(config_path, user, binary=GARBD):
    """garb.service's drop-in: garbd with our file instead of garb-systemd with /etc/default/garb, as user (the
    package runs it as nobody, which must not read the key); systemd makes its state directory, /var/lib/garb."""
    return ('# Owned by clustersec.mysql.galera_arbitrator: garbd reads %s, not /etc/default/garb.\n'
            '[Service]\n'
            'User=%s\n'
            'Group=%s\n'
            'StateDirectory=garb\n'
            'WorkingDirectory=/var/lib/garb\n'
            'ExecStart=\n'
            'ExecStart=%s --cfg %s\n' % (config_path, user, user, binary, config_path))


def needs_restart(active_state, files_changed):
    """garbd must be (re)started: it does not run (systemctl is-active says anything but active), or its file or
    drop-in changed (garbd reads them only at start)."""
    return str(active_state).strip() != 'active' or bool(files_changed)


def pki_node(host, host_vars):
    """The pki role's certificate names (its pki_node) of an arbitrator outside the play, from its inventory variables:
    the rule of roles/pki/tasks/preflight.yml (CN pki_common_name or the host, DNS the host and pki_dns_names, IPs
    pki_ip_addresses and ansible_host when that is an address)."""
    host = str(host)
    dns = [host] + [str(n) for n in host_vars.get('pki_dns_names') or [] if str(n) != host]
    ips = [str(a) for a in host_vars.get('pki_ip_addresses') or []]
    address = str(host_vars.get('ansible_host') or '')
    if _ADDRESS.match(address) and address not in ips:
        ips.append(address)
    return {'name': host, 'common_name': str(host_vars.get('pki_common_name') or host), 'dns': dns, 'ips': ips}
