# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn channel probes into findings, a green/amber/red status (off: data at rest not asked for), and a Markdown report."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

from ansible_collections.clustersec.mysql.plugins.module_utils.probes import x509_report
from ansible_collections.clustersec.mysql.plugins.module_utils.galera import replication as replication_report
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import tls as ndb_tls

GREEN = 'green'
AMBER = 'amber'
RED = 'red'
# Not encrypted and not asked to be (data at rest without verify_encryption_require_at_rest): shown as it is, never
# called green, and no finding either (a required one is red).
OFF = 'off'
_RANK = {OFF: 0, GREEN: 0, AMBER: 1, RED: 2}

# Channel name, port, how to probe it, and whether a closed port is normal (SST listens only
# while a transfer runs).
GALERA_CHANNELS = [
    {'name': 'client-server', 'port': 3306, 'kind': 'mysql', 'optional': False},
    {'name': 'group-communication', 'port': 4567, 'kind': 'tls', 'optional': False},
    {'name': 'ist', 'port': 4568, 'kind': 'tls', 'optional': True},
    {'name': 'sst', 'port': 4444, 'kind': 'tls', 'optional': True},
]


def worst(statuses):
    statuses = list(statuses)
    if not statuses:
        return GREEN
    return max(statuses, key=lambda s: _RANK[s])


def classify(probe, warn_days=30, optional=False, accepted_risks=(), configured=()):
    """Add 'status' and 'findings' to one channel probe result and return it.

    accepted_risks: the node's named opt-outs (see tls_policy.OPT_OUTS); a weakness they cover is
    amber, any other weakness red. configured: weakenings of the node's settings its opt-outs accept
    (tls_policy.accepted_weakenings), amber on their channel even where no probe sees them."""
    findings = []
    status = GREEN
    mine = [w['finding'] for w in configured or () if w.get('channel') == probe.get('channel')]
    if probe.get('listening') is False:
        if optional:
            probe['status'] = AMBER if mine else GREEN
            probe['findings'] = ['not listening (normal unless a transfer is running)'] + mine
            probe['skipped'] = True
            return probe
        findings.append('port %s closed or unreachable: %s' % (probe.get('port'), probe.get('error', '')))
        status = RED
    elif probe.get('undetermined'):
        findings.append('could not reach the TLS stage: %s (grant the probing host, e.g. a locked account without '
                        'privileges, see verify_encryption_create_probe_user)' % probe.get('error', ''))
        status = AMBER
    elif not probe.get('encrypted'):
        findings.append('not encrypted: %s' % probe.get('error', 'plain connection'))
        status = RED
    else:
        if probe.get('verified') is False:
            findings.append('certificate not verified by the cluster CA: %s' % probe.get('verify_error', ''))
            status = RED
        days = probe.get('days_left')
        if days is not None:
            if days < 0:
                findings.append('certificate expired %d days ago' % -days)
                status = RED
            elif days < warn_days:
                findings.append('certificate expires in %d days (warning window %d)' % (days, warn_days))
                status = worst([status, AMBER])
    status = worst([status] + _negative_findings(probe, findings, accepted_risks or ()))
    if mine:
        findings.extend(mine)
        status = worst([status, AMBER])
    probe['status'] = status
    probe['findings'] = findings
    return probe


def _risk(accepted, opt_out):
    return AMBER if opt_out in accepted else RED


def _negative_findings(probe, findings, accepted):
    """Findings of the attacker-side probes; each was tried, so 'not refused' is a fact."""
    statuses = []
    if probe.get('channel') == 'client-server' or probe.get('kind') == 'mysql':
        plain = probe.get('plain_refused')
        if plain is False:
            findings.append('a plaintext login is accepted (require_secure_transport is off)%s'
                            % (' [accepted opt-out plaintext_clients]' if 'plaintext_clients' in accepted else ''))
            statuses.append(_risk(accepted, 'plaintext_clients'))
        elif plain is None and probe.get('encrypted'):
            findings.append('plaintext refusal not proven: %s' % probe.get('plain_error', 'no probe account '
                            '(set verify_encryption_create_probe_user=true)'))
            statuses.append(AMBER)
    peer = probe.get('plain_peer')
    if peer and peer.get('refused') is False:
        findings.append('a peer without TLS is accepted: %s%s' % (peer.get('detail', ''),
                        ' [accepted opt-out plaintext_peers]' if 'plaintext_peers' in accepted else ''))
        statuses.append(_risk(accepted, 'plaintext_peers'))
    elif peer and peer.get('refused') is None:
        findings.append('plaintext peer refusal not determined: %s' % peer.get('error', ''))
        statuses.append(AMBER)
    for name, res in sorted((probe.get('refused_certs') or {}).items()):
        refused = res.get('refused')
        if refused is True:
            continue
        if refused is None:
            findings.append('%s: refusal not determined: %s' % (name, res.get('error', '')))
            statuses.append(AMBER)
        elif name == 'client-certificate':
            findings.append('a client certificate is accepted as a cluster peer%s'
                            % (' [accepted opt-out shared_ca]' if 'shared_ca' in accepted else ''))
            statuses.append(_risk(accepted, 'shared_ca'))
        elif name == 'previous-CA' and probe.get('channel') == 'group-communication':
            findings.append('a certificate of the previous CA is still accepted%s'
                            % (' [accepted opt-out previous_ca_until_restart: refused once the node restarts]'
                               if 'previous_ca_until_restart' in accepted else ''))
            statuses.append(_risk(accepted, 'previous_ca_until_restart'))
        else:
            findings.append('a certificate of the %s is still accepted' % name.replace('-', ' '))
            statuses.append(RED)
    weak_kinds = (('old_protocol', 'a protocol below TLS 1.2'),
                  ('weak_cipher', 'a TLS 1.2 suite without forward secrecy or AEAD'))
    for key, text in weak_kinds:
        res = (probe.get('weak_tls') or {}).get(key)
        if res and res.get('refused') is False:
            findings.append('%s is accepted (%s %s)%s' % (text, res.get('protocol'), res.get('cipher'),
                            ' [accepted opt-out weak_tls]' if 'weak_tls' in accepted else ''))
            statuses.append(_risk(accepted, 'weak_tls'))
    return statuses


def settle(channel):
    """A data-at-rest entry that is not enabled and passed as not required (status green) becomes OFF; any other
    channel as it is. Returns the channel."""
    if (channel.get('channel') == 'data-at-rest' and channel.get('encrypted') is False
            and channel.get('skipped_reason') == 'not enabled' and channel.get('status') == GREEN):
        channel['status'] = OFF
    return channel


def _get(mapping, key, default=None):
    """mapping[key] for dicts and Ansible's lazy host variables alike (both answer 'in' and [])."""
    return mapping[key] if mapping is not None and key in mapping else default


def collect_nodes(hosts, hostvars, probe_var='galera_verify_probe', at_rest_var='galera_verify_at_rest'):
    """{host: channel entries (the probe's channels, then data at rest when read) or why there is none (text)}.

    A host whose probe has no channels (unreachable, failed, not in the play) is given as the cause, which the report
    module turns into a red finding. An unreadable data-at-rest state is an amber entry carrying the error."""
    nodes = {}
    for host in hosts:
        values = _get(hostvars, host, {})
        probe = _get(values, probe_var) or {}
        channels = list(_get(probe, 'channels') or [])
        # NDB links (ndb_tde's verify step): an NDB host has no Galera probe, its entries are its channels.
        ndb = ndb_tls.report_entries(_get(values, 'ndb_tde_verify_tls'))
        if ndb and not channels and not _get(probe, 'msg'):
            nodes[host] = ndb
            continue
        if not channels:
            nodes[host] = str(_get(probe, 'msg') or 'node unreachable or not probed')
            continue
        at_rest = _get(values, at_rest_var) or {}
        if _get(at_rest, 'entry') is not None:
            channels.append(_get(at_rest, 'entry'))
        elif _get(at_rest, 'failed'):
            channels.append({'channel': 'data-at-rest', 'port': '-', 'status': AMBER, 'protocol': 'unknown',
                             'findings': ['could not read the state: %s' % _get(at_rest, 'msg', '')]})
        x509 = x509_report.entry(_get(values, 'galera_verify_x509_accounts'), _get(values, 'galera_verify_x509_login'))
        if x509:
            channels.append(x509)
        replica = replication_report.report_entry(_get(values, 'galera_verify_replication'))
        if replica:
            channels.append(replica)
        nodes[host] = channels + ndb
    return nodes


def summarize(nodes):
    """nodes: {node: [channel results]} -> {'status', 'counts', 'problems'}. OFF counts apart and is no problem."""
    counts = {GREEN: 0, AMBER: 0, RED: 0, OFF: 0}
    problems = []
    for node in sorted(nodes):
        for ch in nodes[node]:
            counts[ch['status']] += 1
            if ch['status'] not in (GREEN, OFF):
                problems.append('%s %s (%s): %s' % (node, ch['channel'], ch['port'], '; '.join(ch['findings'])))
    overall = RED if counts[RED] else (AMBER if counts[AMBER] else GREEN)
    return {'status': overall, 'counts': counts, 'problems': problems}


_ICON = {GREEN: 'GREEN', AMBER: 'AMBER', RED: 'RED', OFF: 'off'}


def render_markdown(nodes, summary, title='Encryption report'):
    channels = []
    for results in nodes.values():
        for ch in results:
            if ch['channel'] not in channels:
                channels.append(ch['channel'])
    counts = summary['counts']
    lines = ['# %s' % title, '', 'Overall: **%s** (%d green, %d amber, %d red%s)' % (
        _ICON[summary['status']], counts[GREEN], counts[AMBER], counts[RED],
        ', %d off' % counts[OFF] if counts.get(OFF) else ''), '']
    lines.append('| node | ' + ' | '.join(channels) + ' |')
    lines.append('|---|' + '---|' * len(channels))
    for node in sorted(nodes):
        by = dict((ch['channel'], ch) for ch in nodes[node])
        cells = []
        for name in channels:
            ch = by.get(name)
            if ch is None:
                cells.append('-')
            elif ch.get('skipped'):
                cells.append('not listening' if ch['status'] == GREEN else '%s not listening' % _ICON[ch['status']])
            elif ch['status'] == OFF:
                cells.append('off')
            else:
                cells.append('%s %s' % (_ICON[ch['status']], ch.get('protocol') or 'plain'))
        lines.append('| %s | %s |' % (node, ' | '.join(cells)))
    lines += ['', '## Details', '']
    lines.append('| node | channel | port | TLS | cipher | subject | issuer | not after | days left | sha256 |')
    lines.append('|---|---|---|---|---|---|---|---|---|---|')
    for node in sorted(nodes):
        for ch in nodes[node]:
            if ch.get('skipped') or ch['channel'] in ('data-at-rest', x509_report.CHANNEL):
                continue
            lines.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
                node, ch['channel'], ch['port'], ch.get('protocol') or 'none', ch.get('cipher') or '-',
                ch.get('subject') or '-', ch.get('issuer') or '-', ch.get('not_after') or '-',
                ch.get('days_left') if ch.get('days_left') is not None else '-',
                (ch.get('sha256_fingerprint') or '-')[:16]))
    lines += _at_rest_section(nodes)
    lines += x509_report.section(nodes)
    if summary['problems']:
        lines += ['', '## Findings', '']
        lines += ['- %s' % p for p in summary['problems']]
    return '\n'.join(lines) + '\n'


def _at_rest_section(nodes):
    """Per node: the data-at-rest state, key ids in use, the key files' mode and owner, tables in clear, notes."""
    rows = [(node, ch) for node in sorted(nodes) for ch in nodes[node] if ch['channel'] == 'data-at-rest']
    if not rows:
        return []
    lines = ['', '## Data at rest', '',
             '| node | status | innodb_encrypt_tables, encrypted/all | key ids in use | key files | in clear |',
             '|---|---|---|---|---|---|']
    notes = []
    for node, ch in rows:
        files = ', '.join('%s %s %s' % (os.path.basename(k['path']), k.get('mode') or '?', k.get('owner') or '?')
                          for k in ch.get('key_files') or []) or '-'
        lines.append('| %s | %s | %s | %s | %s | %s |' % (
            node, _ICON[ch['status']], ch.get('protocol') or '-',
            ', '.join(str(i) for i in ch.get('key_ids_in_use') or []) or '-', files,
            ', '.join((ch.get('unencrypted') or []) + (ch.get('aria_tables') or [])) or '-'))
        notes += [n for n in ch.get('notes') or [] if n not in notes]
    if notes:
        lines += [''] + ['Note: %s.' % n for n in notes]
    return lines
