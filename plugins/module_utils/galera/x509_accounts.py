# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accounts bound to a client certificate (issue 30 item 3): `REQUIRE X509`, `REQUIRE SUBJECT '...'` and/or
`REQUIRE ISSUER '...'`, the same statements on MariaDB 10.11 and MySQL/PXC (CREATE USER ... REQUIRE SUBJECT '...' AND
ISSUER '...'), read back from SHOW CREATE USER, changed only where the clause differs.

The subject and issuer strings are the one-line form the servers compare (OpenSSL's X509_NAME_oneline,
'/C=DE/O=Example/CN=app1'), taken from the pki set's manifest (module_utils/certificates/app_certs.py). No password
is ever set, read or held: an account this creates has none (the certificate is the credential, verified against the
client CA that 3306 trusts); an operator may give it one, which ALTER USER ... REQUIRE never touches.

Plain functions: the module runs the statements through the node's client (socket authentication as root)."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

KINDS = ('x509', 'subject', 'issuer')
_UNSAFE = re.compile(r"['\"\\`\x00-\x1f\x7f]")


class AccountError(Exception):
    """Bad input; the message names the account and the field."""


def sql_string(text, what):
    """text as a single-quoted SQL literal. Quotes, backclashes and control characters are refused rather than
    escaped: what a backslash means depends on the server's sql_mode (NO_BACKSLASH_ESCAPES)."""
    text = '' if text is None else str(text)
    if _UNSAFE.search(text):
        raise AccountError('%s %r: quotes, backslashes and control characters are refused' % (what, text))
    return "'%s'" % text


def account_name(user, host):
    return '%s@%s' % (sql_string(user, 'user'), sql_string(host, 'host'))


def normalise(accounts, certificates, relax_issuer=False):
    """[{user, host, state, require: {ssl_type, subject, issuer}}] from the operator's list and the set's manifest
    ({name: {subject, issuer}}). relax_issuer (a CA rotation while every node trusts the old and the new client CA):
    the issuer is left out, so a certificate of either client CA logs in; the subject still binds the account."""
    out, seen = [], set()
    for index, acc in enumerate(accounts or []):
        user = acc.get('user')
        if not user:
            raise AccountError('accounts[%d].user is missing' % index)
        label = 'accounts[%s]' % user
        host = acc.get('host') if acc.get('host') not in (None, '') else '%'
        account_name(user, host)  # refuses unsafe names early, with the field
        if len(str(user)) > 80:
            raise AccountError('%s: a user name has at most 80 characters' % label)
        if (user, host) in seen:
            raise AccountError("%s: '%s'@'%s' is listed twice" % (label, user, host))
        seen.add((user, host))
        state = acc.get('state') or 'present'
        if state not in ('present', 'absent'):
            raise AccountError("%s.state %r: use 'present' or 'absent'" % (label, state))
        entry = dict(user=str(user), host=str(host), state=state, require=None, cert=acc.get('cert'))
        if state == 'present':
            kinds = acc.get('require') or ['subject']
            kinds = [kinds] if isinstance(kinds, str) else list(kinds)
            unknown = [k for k in kinds if k not in KINDS]
            if unknown or not kinds:
                raise AccountError('%s.require %r: use one or more of %s' % (label, kinds, ', '.join(KINDS)))
            if 'x509' in kinds and len(kinds) > 1:
                raise AccountError('%s.require: x509 alone, or subject and/or issuer (which imply a verified '
                                   'certificate)' % label)
            cert = acc.get('cert')
            if not cert:
                raise AccountError('%s.cert is missing: the name of an application certificate of the pki set' % label)
            if cert not in (certificates or {}):
                raise AccountError('%s.cert %r is not an application certificate of the pki set (known: %s)'
                                   % (label, cert, ', '.join(sorted(certificates or {})) or 'none'))
            info = certificates[cert]
            subject = info.get('subject') if 'subject' in kinds else None
            issuer = info.get('issuer') if 'issuer' in kinds and not relax_issuer else None
            for what, value in (('subject', subject), ('issuer', issuer)):
                if value is not None:
                    sql_string(value, '%s.%s' % (label, what))
            if subject or issuer:
                entry['require'] = dict(ssl_type='SPECIFIED', subject=subject, issuer=issuer, cipher=None)
            else:
                entry['require'] = dict(ssl_type='X509', subject=None, issuer=None, cipher=None)
        out.append(entry)
    return out


def require_clause(req):
    """The REQUIRE clause of a requirement dict, as the servers print it (without the keyword REQUIRE)."""
    if not req or req.get('ssl_type') in (None, '', 'NONE'):
        return 'NONE'
    if req['ssl_type'] in ('ANY', 'SSL'):
        return 'SSL'
    if req['ssl_type'] == 'X509':
        return 'X509'
    parts = []
    for key in ('subject', 'issuer', 'cipher'):
        if req.get(key):
            parts.append('%s %s' % (key.upper(), sql_string(req[key], key)))
    return ' AND '.join(parts) if parts else 'X509'


def _tokens(text):
    """Words and single-quoted literals of a statement ('' and backslash escapes undone in literals)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "'\"":
            buf, i = [], i + 1
            while i < n:
                if text[i] == '\\' and i + 1 < n:
                    buf.append(text[i + 1])
                    i += 2
                elif text[i] == c and i + 1 < n and text[i + 1] == c:
                    buf.append(c)
                    i += 2
                elif text[i] == c:
                    i += 1
                    break
                else:
                    buf.append(text[i])
                    i += 1
            out.append(('lit', ''.join(buf)))
        elif c == '`':
            end = text.find('`', i + 1)
            end = n if end < 0 else end
            out.append(('ident', text[i + 1:end]))
            i = end + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in "'\"`":
                j += 1
            out.append(('word', text[i:j]))
            i = j
    return out


def parse_show_create_user(text):
    """The requirement of a SHOW CREATE USER line: {ssl_type: NONE|SSL|X509|SPECIFIED, subject, issuer, cipher}.
    MariaDB prints 'REQUIRE SSL'/'X509' or 'REQUIRE CIPHER .. AND ISSUER .. AND SUBJECT ..' (its order), MySQL
    'REQUIRE SUBJECT .. AND ISSUER ..' before PASSWORD EXPIRE ...; no REQUIRE (MariaDB) or 'REQUIRE NONE' (MySQL)
    means none."""
    req = dict(ssl_type='NONE', subject=None, issuer=None, cipher=None)
    tokens = _tokens(text or '')
    for index, (kind, value) in enumerate(tokens):
        # MySQL's 'PASSWORD REQUIRE CURRENT' comes after the TLS clause: only a REQUIRE not followed by CURRENT.
        following = tokens[index + 1][1].upper() if index + 1 < len(tokens) else ''
        if kind == 'word' and value.upper() == 'REQUIRE' and following != 'CURRENT':
            rest = tokens[index + 1:]
            break
    else:
        return req
    if rest and rest[0][0] == 'word' and rest[0][1].upper() in ('NONE', 'SSL', 'X509'):
        req['ssl_type'] = {'NONE': 'NONE', 'SSL': 'ANY', 'X509': 'X509'}[rest[0][1].upper()]
        return req
    i = 0
    while i + 1 < len(rest):
        kind, word = rest[i]
        if kind == 'word' and word.upper() == 'AND':
            i += 1
            continue
        if kind == 'word' and word.upper() in ('SUBJECT', 'ISSUER', 'CIPHER') and rest[i + 1][0] == 'lit':
            req[word.lower()] = rest[i + 1][1]
            req['ssl_type'] = 'SPECIFIED'
            i += 2
            continue
        break
    return req


def same_requirement(current, wanted):
    keys = ('ssl_type', 'subject', 'issuer', 'cipher')
    norm = [dict((k, (r or {}).get(k) or None) for k in keys) for r in (current, wanted)]
    for r in norm:
        if r['ssl_type'] == 'SSL':
            r['ssl_type'] = 'ANY'
        if r['ssl_type'] is None:
            r['ssl_type'] = 'NONE'
    return norm[0] == norm[1]


def exists_sql(user, host):
    return "SELECT COUNT(*) FROM mysql.user WHERE User=%s AND Host=%s" % (
        sql_string(user, 'user'), sql_string(host, 'host'))


# MySQL/PXC print the authentication string of SHOW CREATE USER as raw bytes unless told to use hex (8.0.17+); hex
# keeps the line free of quotes and control characters. MariaDB has no such variable and prints a hex hash anyway.
SHOW_PREFIX = {'mariadb': '', 'pxc': 'SET SESSION print_identified_with_as_hex=ON; '}


def show_sql(user, host, flavor):
    if flavor not in SHOW_PREFIX:
        raise AccountError('flavor must be one of %s, not %r' % (', '.join(sorted(SHOW_PREFIX)), flavor))
    return '%sSHOW CREATE USER %s' % (SHOW_PREFIX[flavor], account_name(user, host))


def change_sql(account, exists, current):
    """The statement that brings one account where it should be, or None. A new account gets no password (the
    certificate is the credential); an existing one only its REQUIRE clause (a password the operator set stays)."""
    name = account_name(account['user'], account['host'])
    if account['state'] == 'absent':
        return 'DROP USER %s' % name if exists else None
    clause = require_clause(account['require'])
    if not exists:
        return 'CREATE USER %s REQUIRE %s' % (name, clause)
    if same_requirement(current, account['require']):
        return None
    return 'ALTER USER %s REQUIRE %s' % (name, clause)


class ClientError(Exception):
    pass


def _run(run, client, sql):
    rc, out, err = run(list(client) + ['-N', '-B', '-r', '-e', sql])
    if rc != 0:
        raise ClientError('%s: %s' % (sql.split(' ')[0] if not sql.startswith('SET ') else 'SHOW CREATE USER',
                                      (err or out).strip()))
    return out


def read(run, client, user, host, flavor):
    """(exists, requirement dict, the REQUIRE clause as the server printed it) of one account."""
    out = _run(run, client, exists_sql(user, host)).strip()
    if out != '1':
        return False, None, None
    line = _run(run, client, show_sql(user, host, flavor)).strip()
    req = parse_show_create_user(line)
    return True, req, require_clause(req)


def apply(run, client, accounts, flavor, check_mode):
    """Read every account, then change those that differ (not in check mode). Returns (changed, per-account
    results, statements run or that would run)."""
    results, statements = [], []
    for acc in accounts:
        exists, current, printed = read(run, client, acc['user'], acc['host'], flavor)
        sql = change_sql(acc, exists, current)
        entry = dict(user=acc['user'], host=acc['host'], state=acc['state'], cert=acc.get('cert'), exists=exists,
                     require_before=printed,
                     require=require_clause(acc['require']) if acc['state'] == 'present' else None,
                     changed=sql is not None)
        if sql:
            statements.append(sql)
            if not check_mode:
                _run(run, client, sql)
                dummy, after, printed_after = read(run, client, acc['user'], acc['host'], flavor)
                if acc['state'] == 'present' and not same_requirement(after, acc['require']):
                    raise ClientError("'%s'@'%s': the server shows REQUIRE %s after %s" % (
                        acc['user'], acc['host'], printed_after, sql))
        results.append(entry)
    return bool(statements), results, statements
