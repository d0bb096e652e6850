# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accounts bound to a client certificate (issue 30 item 3): the statements, the REQUIRE clause read back from SHOW
CREATE USER as MariaDB 10.11.18 and MySQL 9.7.4 print it (lines captured on the real servers, 2026-12-07), and a
fake server that keeps the accounts, so idempotence, check mode and the rotation's relaxed issuer are shown."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import x509_accounts as XA

CERTS = {'app1': {'subject': '/C=DE/O=Example Corp/CN=app1', 'issuer': '/CN=clustersec.mysql client CA'},
         'probe': {'subject': '/CN=clustersec-probe-x509', 'issuer': '/CN=clustersec.mysql client CA'}}

# Printed by the real servers for the same accounts (MariaDB: ISSUER before SUBJECT, no AND; MySQL: no AND either).
MARIADB = {
    'both': "CREATE USER `xa`@`%` REQUIRE ISSUER '/CN=clustersec.mysql client CA' SUBJECT '/C=DE/O=Example Corp/CN=app1'",
    'x509': "CREATE USER `xb`@`%` REQUIRE X509",
    'ssl': "CREATE USER `xc`@`%` REQUIRE SSL",
    'cipher': "CREATE USER `xd`@`%` IDENTIFIED BY PASSWORD '*7B9EBEED26AA52ED10C0F549FA863F13C39E0209' "
              "REQUIRE ISSUER '/CN=i' CIPHER 'AES'",
    'none': "CREATE USER `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket",
}
MYSQL = {
    'both': "CREATE USER `x`@`%` IDENTIFIED WITH 'caching_sha2_password' REQUIRE SUBJECT '/CN=a' ISSUER '/CN=b' PASSWORD "
            "EXPIRE DEFAULT ACCOUNT UNLOCK PASSWORD HISTORY DEFAULT PASSWORD REUSE INTERVAL DEFAULT PASSWORD REQUIRE "
            "CURRENT DEFAULT",
    'x509': "CREATE USER `y`@`%` IDENTIFIED WITH 'caching_sha2_password' AS 0x2441243030412439 REQUIRE X509 PASSWORD "
            "EXPIRE DEFAULT ACCOUNT UNLOCK PASSWORD HISTORY DEFAULT PASSWORD REUSE INTERVAL DEFAULT PASSWORD REQUIRE "
            "CURRENT DEFAULT",
    'none': "CREATE USER `z`@`%` IDENTIFIED WITH 'caching_sha2_password' REQUIRE NONE PASSWORD EXPIRE DEFAULT ACCOUNT "
            "UNLOCK PASSWORD HISTORY DEFAULT PASSWORD REUSE INTERVAL DEFAULT PASSWORD REQUIRE CURRENT DEFAULT",
}


@pytest.mark.parametrize('line, want', [
    (MARIADB['both'], dict(ssl_type='SPECIFIED', subject='/C=DE/O=Example Corp/CN=app1',
                           issuer='/CN=clustersec.mysql client CA', cipher=None)),
    (MARIADB['x509'], dict(ssl_type='X509', subject=None, issuer=None, cipher=None)),
    (MARIADB['ssl'], dict(ssl_type='ANY', subject=None, issuer=None, cipher=None)),
    (MARIADB['cipher'], dict(ssl_type='SPECIFIED', subject=None, issuer='/CN=i', cipher='AES')),
    (MARIADB['none'], dict(ssl_type='NONE', subject=None, issuer=None, cipher=None)),
    (MYSQL['both'], dict(ssl_type='SPECIFIED', subject='/CN=a', issuer='/CN=b', cipher=None)),
    (MYSQL['x509'], dict(ssl_type='X509', subject=None, issuer=None, cipher=None)),
    (MYSQL['none'], dict(ssl_type='NONE', subject=None, issuer=None, cipher=None)),
    ("CREATE USER `q`@`%` REQUIRE SUBJECT '/CN=it''s' AND ISSUER '/CN=b'",
     dict(ssl_type='SPECIFIED', subject="/CN=it's", issuer='/CN=b', cipher=None)),
])
def test_show_create_user_of_both_servers_is_parsed(line, want):
    assert XA.parse_show_create_user(line) == want


def test_wanted_clause_compares_equal_to_what_each_server_prints():
    wanted = XA.normalise([{'user': 'xa', 'require': ['subject', 'issuer'], 'cert': 'app1'}], CERTS)[0]['require']
    assert XA.same_requirement(XA.parse_show_create_user(MARIADB['both']), wanted)
    # control: the issuer alone, or another subject, differs
    assert not XA.same_requirement(XA.parse_show_create_user(MARIADB['cipher']), wanted)
    assert not XA.same_requirement(XA.parse_show_create_user(MYSQL['both']), wanted)
    x509 = XA.normalise([{'user': 'y', 'require': 'x509', 'cert': 'app1'}], CERTS)[0]['require']
    assert XA.same_requirement(XA.parse_show_create_user(MYSQL['x509']), x509)
    assert not XA.same_requirement(XA.parse_show_create_user(MARIADB['ssl']), x509)


@pytest.mark.parametrize('kinds, clause', [
    (['subject'], "SUBJECT '/C=DE/O=Example Corp/CN=app1'"),
    (['issuer'], "ISSUER '/CN=clustersec.mysql client CA'"),
    (['subject', 'issuer'], "SUBJECT '/C=DE/O=Example Corp/CN=app1' AND ISSUER '/CN=clustersec.mysql client CA'"),
    (['x509'], 'X509'),
])
def test_require_clause(kinds, clause):
    acc = XA.normalise([{'user': 'a', 'require': kinds, 'cert': 'app1'}], CERTS)[0]
    assert XA.require_clause(acc['require']) == clause
    assert XA.change_sql(acc, False, None) == "CREATE USER 'a'@'%%' REQUIRE %s" % clause


def test_relaxed_issuer_keeps_the_subject():
    acc = XA.normalise([{'user': 'a', 'require': ['subject', 'issuer'], 'cert': 'app1'}], CERTS, relax_issuer=True)[0]
    assert XA.require_clause(acc['require']) == "SUBJECT '/C=DE/O=Example Corp/CN=app1'"
    only = XA.normalise([{'user': 'a', 'require': ['issuer'], 'cert': 'app1'}], CERTS, relax_issuer=True)[0]
    assert XA.require_clause(only['require']) == 'X509'  # still a verified certificate of the client CAs


@pytest.mark.parametrize('accounts, message', [
    ([{'user': "o'brien", 'cert': 'app1'}], 'quotes'),
    ([{'user': 'a', 'host': 'x`y', 'cert': 'app1'}], 'quotes'),
    ([{'user': 'a', 'cert': 'nope'}], 'not an application certificate'),
    ([{'user': 'a'}], 'cert is missing'),
    ([{'user': 'a', 'cert': 'app1', 'require': ['x509', 'subject']}], 'x509 alone'),
    ([{'user': 'a', 'cert': 'app1', 'require': ['password']}], 'one or more of'),
    ([{'user': 'a', 'cert': 'app1'}, {'user': 'a', 'host': '%', 'cert': 'app1'}], 'listed twice'),
    ([{'user': 'a', 'cert': 'app1', 'state': 'gone'}], 'state'),
    ([{'cert': 'app1'}], 'user is missing'),
])
def test_bad_input_is_refused(accounts, message):
    with pytest.raises(XA.AccountError, match=message):
        XA.normalise(accounts, CERTS)


def test_a_subject_with_a_quote_from_a_manifest_is_refused():
    with pytest.raises(XA.AccountError, match='quotes'):
        XA.normalise([{'user': 'a', 'cert': 'x'}], {'x': {'subject': "/CN=it's", 'issuer': '/CN=b'}})


class FakeServer(object):
    """Accounts in a dict; answers the module's statements as MariaDB (or MySQL) prints them."""

    def __init__(self, flavor):
        self.flavor = flavor
        self.accounts = {}
        self.ran = []

    def _line(self, key):
        req = self.accounts[key]
        clause = XA.require_clause(req)
        if self.flavor == 'mariadb':
            # MariaDB: no REQUIRE for none, ISSUER before SUBJECT, no AND.
            if clause == 'NONE':
                return 'CREATE USER `%s`@`%s`' % key
            if req['ssl_type'] == 'SPECIFIED':
                clause = ' '.join('%s %s' % (k.upper(), XA.sql_string(req[k], k)) for k in ('cipher', 'issuer', 'subject')
                                  if req.get(k))
            return 'CREATE USER `%s`@`%s` REQUIRE %s' % (key + (clause,))
        return ("CREATE USER `%s`@`%s` IDENTIFIED WITH 'caching_sha2_password' REQUIRE %s PASSWORD EXPIRE DEFAULT "
                "PASSWORD REQUIRE CURRENT DEFAULT" % (key + (clause.replace(' AND ', ' '),)))

    def __call__(self, argv):
        sql = argv[-1]
        self.ran.append(sql)
        tokens = [v for k, v in XA._tokens(sql) if k == 'lit']
        if sql.startswith('SELECT COUNT'):
            return 0, '%d\n' % (tuple(tokens) in self.accounts), ''
        if 'SHOW CREATE USER' in sql:
            assert sql.startswith(XA.SHOW_PREFIX[self.flavor])
            user, host = sql.split('SHOW CREATE USER ')[1].replace("'", '').split('@')
            return 0, self._line((user, host)) + '\n', ''
        if sql.startswith('DROP USER'):
            del self.accounts[tuple(tokens[:2])]
            return 0, '', ''
        key = tuple(tokens[:2])
        line = 'CREATE USER x ' + sql[sql.index(' REQUIRE '):]
        self.accounts[key] = XA.parse_show_create_user(line)
        return 0, '', ''


@pytest.mark.parametrize('flavor', ['mariadb', 'pxc'])
def test_create_then_nothing_then_alter_only_the_one_that_differs(flavor):
    server = FakeServer(flavor)
    accounts = XA.normalise([{'user': 'app1', 'require': ['subject', 'issuer'], 'cert': 'app1'},
                             {'user': 'clustersec_probe_x509', 'cert': 'probe'}], CERTS)
    changed, results, queries = XA.apply(server, ['mariadb'], accounts, flavor, check_mode=True)
    assert changed and len(queries) == 2 and server.accounts == {}  # check mode: read only
    changed, results, queries = XA.apply(server, ['mariadb'], accounts, flavor, check_mode=False)
    assert changed and [q.split(' ')[0] for q in queries] == ['CREATE', 'CREATE']
    changed, results, queries = XA.apply(server, ['mariadb'], accounts, flavor, check_mode=False)
    assert not changed and queries == []  # second run changes nothing
    assert results[0]['require_before'] == results[0]['require']
    server.accounts[('app1', '%')] = dict(ssl_type='X509', subject=None, issuer=None, cipher=None)
    changed, results, queries = XA.apply(server, ['mariadb'], accounts, flavor, check_mode=False)
    assert queries == ["ALTER USER 'app1'@'%' REQUIRE SUBJECT '/C=DE/O=Example Corp/CN=app1' AND ISSUER "
                       "'/CN=clustersec.mysql client CA'"]
    assert results[0]['require_before'] == 'X509'
    assert not any('IDENTIFIED' in q or 'PASSWORD' in q for q in server.ran)  # no password, ever
    gone = XA.normalise([{'user': 'app1', 'state': 'absent'}], CERTS)
    assert XA.apply(server, ['mariadb'], gone, flavor, False)[2] == ["DROP USER 'app1'@'%'"]
    assert not XA.apply(server, ['mariadb'], gone, flavor, False)[0]


def test_a_server_that_shows_another_clause_after_the_change_fails():
    server = FakeServer('mariadb')
    real = server.__call__

    def ignoring_alter(argv):
        if argv[-1].startswith('ALTER'):
            return 0, '', ''
        return real(argv)
    server.accounts[('app1', '%')] = dict(ssl_type='X509', subject=None, issuer=None, cipher=None)
    accounts = XA.normalise([{'user': 'app1', 'cert': 'app1'}], CERTS)
    with pytest.raises(XA.ClientError, match='shows REQUIRE X509'):
        XA.apply(ignoring_alter, ['mariadb'], accounts, 'mariadb', False)


def test_client_failure_is_reported():
    accounts = XA.normalise([{'user': 'app1', 'cert': 'app1'}], CERTS)
    with pytest.raises(XA.ClientError, match='denied'):
        XA.apply(lambda argv: (1, '', 'ERROR 1045: denied'), ['mariadb'], accounts, 'mariadb', False)
