# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The encryption report's findings as Prometheus metrics, for node_exporter's textfile collector (docs/metrics.md).

Input: the nodes mapping of the report ({node: [channel entries]} or {node: 'why it was not probed'}, as the
report_nodes filter gives it). Every channel and every attacker-side probe the report holds is rendered by walking the
entry, so a channel or probe added to the report shows up here without a change. Plain functions, no Ansible imports.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import calendar
import math
import re
import time

from ansible_collections.clustersec.mysql.plugins.module_utils.probes.encryption_report import settle

PREFIX = 'clustersec_mysql_'
# The one series that differs on every run: excluded from the change decision (same_apart_from_time).
REPORT_TIME = PREFIX + 'report_timestamp_seconds'
STATUSES = ('green', 'amber', 'red', 'off')
REFUSED, ACCEPTED, UNDETERMINED = 1, 0, -1

HELP = {
    'report_timestamp_seconds': 'Time of the encryption report (unix seconds); an old value means no recent report.',
    'report_max_age_seconds': 'Age after which the report counts as stale (verify_encryption_metrics_max_age_hours).',
    'certificate_warning_window_seconds': 'A certificate ending within this many seconds is amber '
                                          '(verify_encryption_warn_days).',
    'node_probed': '1 when the node was probed, 0 when the report has no probe result for it.',
    'channel_status': 'Status of the channel in the report: 1 for the current status, 0 for the others.',
    'channel_listening': '1 when the channel port answered, 0 when it was closed or unreachable.',
    'channel_encrypted': '1 when a TLS session was established on the channel, 0 when it was not (reached channels).',
    'certificate_not_after_timestamp_seconds': 'notAfter of the certificate the channel presented (unix seconds).',
    'certificate_verified': '1 when the cluster CA verified the certificate the channel presented, else 0.',
    'certificate_info': 'Subject, issuer and SHA-256 fingerprint of the certificate the channel presented (value 1).',
    'probe_refused': 'Attacker-side probe: 1 refused as expected, 0 accepted, -1 not determined.',
    'at_rest_encrypted': '1 when every InnoDB tablespace of the node is encrypted, 0 when not (or not enabled).',
    'at_rest_unencrypted_tablespaces': 'Number of InnoDB tablespaces in clear.',
}

_NAME = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*$')
_LABEL = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_]*$')
# Boolean results named <what>_refused, and dicts (or dicts of dicts) carrying 'refused': the probes of an entry.
_SCALAR_PROBES = {'plain_refused': 'plaintext-login'}
_DICT_PROBES = {'plain_peer': 'plaintext-peer'}


class MetricsError(ValueError):
    """Input that cannot become valid exposition text (the message names node and cause)."""


def escape_label(value):
    """A label value as the text format wants it: backslash, double quote and line feed escaped."""
    return str(value).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def _escape_help(text):
    return text.replace('\\', '\\\\').replace('\n', '\\n')


def not_after_seconds(text):
    """Unix seconds of the report's not_after ('2027-11-23T00:00:00Z'); None when absent or unreadable."""
    if not text:
        return None
    for fmt in ('%Y-%m-%dT%H:%M:%SZ', '%Y-%m-%d %H:%M:%S'):
        try:
            return calendar.timegm(time.strptime(str(text), fmt))
        except ValueError:
            continue
    return None


def _flag(value):
    return 1 if value else 0


def _refusal(value):
    if value is True:
        return REFUSED
    if value is False:
        return ACCEPTED
    return UNDETERMINED


def _probe_name(key):
    return key.replace('_', '-')


def probes(entry):
    """[(probe name, 1 refused / 0 accepted / -1 undetermined)] of one channel entry, found by shape: a key
    <what>_refused holding a boolean or None, a dict holding 'refused', or a dict of such dicts (each inner key a
    probe). Sorted by name; a name met twice is prefixed with its container's key."""
    found = {}

    def add(name, value, container=None):
        if name in found and container:
            name = '%s/%s' % (_probe_name(container), name)
        found[name] = _refusal(value)

    for key in sorted(entry):
        value = entry[key]
        if key.endswith('_refused') and (value is None or isinstance(value, bool)):
            add(_SCALAR_PROBES.get(key, _probe_name(key[:-len('_refused')])), value)
        elif isinstance(value, dict) and 'refused' in value:
            add(_DICT_PROBES.get(key, _probe_name(key)), value.get('refused'))
        elif isinstance(value, dict) and value and all(isinstance(v, dict) and 'refused' in v for v in value.values()):
            for inner in sorted(value):
                add(_probe_name(inner), value[inner].get('refused'), key)
    return sorted(found.items())


class _Families(object):
    """Series per metric family, in the order first seen; a series given twice is an error (the exporter would
    refuse the whole file)."""

    def __init__(self):
        self.order = []
        self.series = {}

    def add(self, name, labels, value):
        full = PREFIX + name
        if not _NAME.match(full):
            raise MetricsError('invalid metric name %r' % full)
        for label in labels:
            if not _LABEL.match(label) or label.startswith('__'):
                raise MetricsError('invalid label name %r in %s' % (label, full))
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise MetricsError('%s%s: value %r is not a number' % (full, labels, value))
        if math.isnan(value) or math.isinf(value):
            raise MetricsError('%s%s: value %r is not finite' % (full, labels, value))
        key = tuple(sorted((k, str(v)) for k, v in labels.items()))
        if full not in self.series:
            self.order.append(full)
            self.series[full] = {}
        if key in self.series[full]:
            raise MetricsError('%s{%s} given twice (two channels or probes of the same name on one node)'
                               % (full, ', '.join('%s=%s' % kv for kv in key)))
        self.series[full][key] = value

    def text(self):
        lines = []
        for full in self.order:
            lines.append('# HELP %s %s' % (full, _escape_help(HELP.get(full[len(PREFIX):], full))))
            lines.append('# TYPE %s gauge' % full)
            for key in sorted(self.series[full]):
                value = self.series[full][key]
                shown = str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)
                lines.append('%s{%s} %s' % (full, ','.join('%s="%s"' % (k, escape_label(v)) for k, v in key), shown))
        return '\n'.join(lines) + '\n' if lines else ''


def _channel(fam, node, entry):
    ch = entry.get('channel')
    if not ch:
        raise MetricsError('%s: a channel entry without a channel name: %r' % (node, sorted(entry)))
    status = entry.get('status')
    if status not in STATUSES:
        raise MetricsError('%s %s: status %r is none of %s' % (node, ch, status, ', '.join(STATUSES)))
    base = {'node': node, 'channel': ch, 'port': str(entry.get('port', '-'))}
    for s in STATUSES:
        fam.add('channel_status', dict(base, status=s), _flag(s == status))
    if ch == 'data-at-rest':
        fam.add('at_rest_encrypted', {'node': node}, _flag(entry.get('encrypted')))
        if isinstance(entry.get('unencrypted'), list):
            fam.add('at_rest_unencrypted_tablespaces', {'node': node}, len(entry['unencrypted']))
        return
    if 'listening' in entry:
        fam.add('channel_listening', base, _flag(entry.get('listening')))
    # Only where the answer is known: a closed optional port (SST, IST) or a login refused before TLS says nothing
    # about encryption; their status tells the rest.
    if entry.get('listening') is not False and not entry.get('skipped') and not entry.get('undetermined'):
        fam.add('channel_encrypted', base, _flag(entry.get('encrypted')))
    seconds = not_after_seconds(entry.get('not_after'))
    if seconds is not None:
        fam.add('certificate_not_after_timestamp_seconds', base, seconds)
        if 'verified' in entry:
            fam.add('certificate_verified', base, _flag(entry.get('verified')))
        fam.add('certificate_info', dict(base, subject=entry.get('subject') or '', issuer=entry.get('issuer') or '',
                                         sha256=entry.get('sha256_fingerprint') or ''), 1)
    for name, value in probes(entry):
        fam.add('probe_refused', dict(base, probe=name), value)


def render(nodes, report_time, warn_days=30, max_age_seconds=26 * 3600):
    """Exposition text (text format 0.0.4, every family a gauge) of the report's nodes; MetricsError on input that
    would not make a valid file. The data-at-rest entry not asked for is settled to 'off' as the report does."""
    if not isinstance(nodes, dict) or not nodes:
        raise MetricsError('no nodes to render (expected {node: channel entries})')
    try:
        warn_days, max_age_seconds, report_time = int(warn_days), int(max_age_seconds), float(report_time)
    except (TypeError, ValueError) as exc:
        raise MetricsError('warn_days, max_age_seconds and report_time must be numbers: %s' % exc)
    if warn_days < 0 or max_age_seconds <= 0 or report_time <= 0:
        raise MetricsError('warn_days must be >= 0, max_age_seconds and report_time > 0 (got %s, %s, %s)'
                           % (warn_days, max_age_seconds, report_time))
    fam = _Families()
    for node in sorted(nodes):
        value = nodes[node]
        only = {'node': node}
        fam.add('report_timestamp_seconds', only, int(report_time))
        fam.add('report_max_age_seconds', only, max_age_seconds)
        fam.add('certificate_warning_window_seconds', only, warn_days * 86400)
        probed = isinstance(value, list) and bool(value)
        fam.add('node_probed', only, _flag(probed))
        if not probed:
            continue
        for entry in value:
            if not isinstance(entry, dict):
                raise MetricsError('%s: a channel entry is not a mapping: %r' % (node, entry))
            _channel(fam, node, settle(dict(entry)))
    return fam.text()


def same_apart_from_time(old, new):
    """Whether two exposition texts hold the same series apart from the report time (the change decision)."""
    def strip(text):
        return [line for line in (text or '').splitlines()
                if not line.startswith(REPORT_TIME + '{') and not line.startswith(REPORT_TIME + ' ')]
    return strip(old) == strip(new)


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$')
_PAIR = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def _unescape(value):
    return re.sub(r'\\(.)', lambda m: {'n': '\n'}.get(m.group(1), m.group(1)), value)


def parse(text):
    """{(name, ((label, value), ...)): float} of exposition text (comments skipped, labels sorted, values
    unescaped); MetricsError on a line that is not a sample. Used to check what was written and what an exporter
    serves."""
    out = {}
    for number, line in enumerate((text or '').splitlines(), 1):
        if not line.strip() or line.startswith('#'):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise MetricsError('line %d is no sample: %r' % (number, line))
        labels, rest = [], m.group(2) or ''
        pos = 0
        while pos < len(rest):
            pm = _PAIR.match(rest, pos)
            if not pm:
                raise MetricsError('line %d: unreadable labels: %r' % (number, rest))
            labels.append((pm.group(1), _unescape(pm.group(2))))
            pos = pm.end()
        key = (m.group(1), tuple(sorted(labels)))
        if key in out:
            raise MetricsError('line %d: series given twice: %r' % (number, line))
        out[key] = float(m.group(3))
    return out
