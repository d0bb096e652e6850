# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's X.509 accounts (issue 30): each listed account's REQUIRE clause as SHOW CREATE USER prints it
(clustersec.mysql.x509_accounts in check mode) and the X.509 login probe of the node's 3306
(clustersec.mysql.x509_login_probe: refused without a certificate and with another one, accepted with the probe
account's own), as one channel entry per node that encryption_report summarises and renders like the others."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

CHANNEL = 'x509-accounts'
GREEN = 'green'
AMBER = 'amber'
RED = 'red'


def _usable(result):
    return isinstance(result, dict) and not result.get('skipped') and not result.get('failed')


def entry(accounts_result, login_result):
    """The node's channel entry, or None when neither was asked for."""
    accounts = list(accounts_result.get('accounts') or []) if _usable(accounts_result) else []
    login = login_result if _usable(login_result) and 'accepted_with_cert' in login_result else None
    failed = [r.get('msg') for r in (accounts_result, login_result) if isinstance(r, dict) and r.get('failed')]
    if not accounts and login is None and not failed:
        return None
    findings, status = [], GREEN
    for msg in failed:
        findings.append('could not read: %s' % msg)
        status = AMBER
    for acc in accounts:
        name = "'%s'@'%s'" % (acc.get('user'), acc.get('host'))
        if acc.get('state') == 'absent':
            continue
        if not acc.get('exists'):
            findings.append('%s does not exist (site.yml creates it)' % name)
            status = AMBER if status == GREEN else status
        elif acc.get('changed'):
            findings.append('%s REQUIRE %s, wanted REQUIRE %s' % (name, acc.get('require_before'), acc.get('require')))
            status = AMBER if status == GREEN else status
    if login is not None:
        for key, text in (('refused_without_cert', 'a login without a certificate'),
                          ('refused_other_cert', "a login with another client certificate of the client CA")):
            if login.get(key) is False:
                findings.append('%s was accepted' % text)
                status = RED
            elif login.get(key) is None and key in login:
                findings.append('%s: not determined (%s)' % (text, (login.get(key.replace('refused_', '')) or {})
                                                             .get('message', '?')))
                status = AMBER if status == GREEN else status
        if login.get('accepted_with_cert') is not True:
            findings.append('the probe certificate did not log in (%s): the refusals prove nothing'
                            % (login.get('with_cert') or {}).get('message', '?'))
            status = AMBER if status == GREEN else status
    summary = []
    if accounts:
        summary.append('%d account(s)' % len([a for a in accounts if a.get('state') != 'absent']))
    if login is not None:
        summary.append('login probe %s' % ('passed' if status == GREEN else 'see findings'))
    return {'channel': CHANNEL, 'port': 3306, 'status': status, 'findings': findings, 'protocol': ', '.join(summary),
            'encrypted': True, 'accounts': accounts, 'login': _outcomes(login)}


def _outcomes(login):
    if login is None:
        return None
    out = dict((k, login.get(k)) for k in ('accepted_with_cert', 'refused_without_cert', 'refused_other_cert'))
    for k in ('without_cert', 'with_cert', 'other_cert'):
        if isinstance(login.get(k), dict):
            out[k] = login[k].get('outcome')
    return out


def _verdict(value):
    return {True: 'yes', False: 'NO', None: 'not determined'}.get(value, '-')


def section(nodes):
    """Markdown lines: the accounts' REQUIRE clauses (once: accounts replicate) and each node's login probe."""
    rows = [(node, ch) for node in sorted(nodes) for ch in nodes[node] if ch.get('channel') == CHANNEL]
    if not rows:
        return []
    lines = ['', '## X.509 accounts', '']
    accounts = next((ch['accounts'] for dummy, ch in rows if ch.get('accounts')), [])
    if accounts:
        lines += ['| account | REQUIRE (SHOW CREATE USER) | wanted |', '|---|---|---|']
        for acc in accounts:
            lines.append("| '%s'@'%s' | %s | %s |" % (
                acc.get('user'), acc.get('host'), acc.get('require_before') or 'missing', acc.get('require') or '-'))
        lines.append('')
    probes = [(node, ch['login']) for node, ch in rows if ch.get('login')]
    if probes:
        lines += ['| node | refused without certificate | refused with another certificate | accepted with its '
                  'certificate |', '|---|---|---|---|']
        for node, login in probes:
            lines.append('| %s | %s | %s | %s |' % (
                node, _verdict(login.get('refused_without_cert')), _verdict(login.get('refused_other_cert')),
                _verdict(login.get('accepted_with_cert'))))
    return lines
