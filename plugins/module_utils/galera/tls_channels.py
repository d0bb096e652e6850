# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The certificate channels a Galera product role lists (galera_engine.tls_channels) checked before any change:
x509_check's input, its problems per channel, a client CA that is the cluster CA, nodes that do not share one CA."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

# x509_check's problem for a file that is not there; --check installs nothing, so such a file is not yet a problem.
MISSING = 'No such file or directory'


def x509_sets(channels, node_address):
    """x509_check sets for the channels; names default to the node's address."""
    out = []
    for c in channels:
        one = {'name': c['name'], 'ca_path': c['ca'], 'cert_path': c['cert'], 'key_path': c['key'],
               'names': c['names'] if 'names' in c else [node_address]}
        if c.get('refuse_ca'):
            one['refuse_ca_path'] = c['refuse_ca']
        out.append(one)
    return out


def ca_fingerprints(results):
    """{channel: SHA-256 fingerprint(s) of its CA file, comma-separated, or 'none'} from x509_check results."""
    return dict((r['name'], (r.get('ca') or {}).get('sha256_fingerprint', 'none')) for r in results)


def missing_files(results):
    """The problems of x509_check results that only say a file is not there, once each, in order."""
    out = []
    for r in results:
        for p in r.get('problems') or []:
            if MISSING in p and p not in out:
                out.append(p)
    return out


def channel_problems(results, channels, allow_insecure, skip=()):
    """'<channel> (<cert>): <problem>' for x509_check's problems (except those in skip), and a channel with
    separate_from whose CA is that channel's CA (every client certificate would be a cluster peer) unless
    allow_insecure holds shared_ca."""
    by_name = dict((c['name'], c) for c in channels)
    fingerprints = ca_fingerprints(results)
    out = []
    for r in results:
        c = by_name[r['name']]
        out.extend('%s (%s): %s' % (c['name'], c['cert'], p) for p in r.get('problems') or [] if p not in skip)
        other = c.get('separate_from')
        if other and 'shared_ca' not in allow_insecure and fingerprints[c['name']] != 'none':
            mine = fingerprints[c['name']].split(',')
            theirs = fingerprints.get(other, '').split(',')
            if set(mine) & set(theirs):
                out.append("%s: CA %s is the %s CA, so every client certificate is a cluster peer; add 'shared_ca' to "
                           "the role's allow_insecure list to accept that" % (c['name'], c['ca'], other))
    return out


def ca_differences(hosts, fingerprints_by_host, channels):
    """'<channel>: <hosts with one CA> / <hosts with another>' for each of channels on which the hosts do not all
    trust the same CA; fingerprints_by_host is aligned with hosts (ca_fingerprints of each, None or {} if unknown)."""
    out = []
    for channel in channels:
        seen = {}
        order = []
        for host, fps in zip(hosts, fingerprints_by_host):
            fp = (fps or {}).get(channel, 'none')
            if fp not in seen:
                seen[fp] = []
                order.append(fp)
            seen[fp].append(host)
        if len(order) > 1:
            out.append('%s: %s' % (channel, ' / '.join(', '.join(seen[fp]) for fp in order)))
    return out
