# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pxc_tls: the cipher names MySQL 8.1+ (PXC 8.4, MySQL 9.7) accept, and the TLS reload that never reports success
while the port serves another certificate (3888 "Invalid certificates" retried once with NO ROLLBACK ON ERROR)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import sections as S
from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import tls as T
from ansible_collections.clustersec.mysql.plugins.module_utils.galera import tls_policy

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', '..'))
SELF_CHECK = ('ERROR 3888 (HY000) at line 1: Failed to set up SSL because of the following SSL library error: '
              'Invalid certificates')
# What MySQL 9.7.4 with OpenSSL 3 answers for the previous key beside a new certificate (measured, pxc_real).
KEY_MISMATCH = ('ERROR 3888 (HY000) at line 1: Failed to set up SSL because of the following SSL library error: '
                'Unable to get private key')


# ---------------------------------------------------------------- ciphers

def test_default_is_names_every_server_accepts_and_aead_only():
    entries = T.SECURE_CIPHER_NAMES.split(':')
    assert set(entries) <= set(T.MYSQL_TLS12_CIPHERS)
    for version in ('8.0', '8.4', '8.4.5-5.1', '9.7.4-2'):
        assert T.cipher_problems(T.SECURE_CIPHER_NAMES, version) == []
    # The collection's AEAD/forward-secrecy rule passes, and it is exactly what the old aliases selected.
    assert tls_policy.cipher_problems(T.SECURE_CIPHER_NAMES) == []
    names = sorted(c['name'] for c in tls_policy.expand_ciphers(T.SECURE_CIPHER_NAMES))
    assert names == sorted(c['name'] for c in tls_policy.expand_ciphers('ECDHE+AESGCM:ECDHE+CHACHA20'))


def test_role_default_is_the_names():
    for path, get in ((('defaults', 'main.yml'), lambda d: d['pxc_tls_cipher']),
                      (('meta', 'argument_specs.yml'),
                       lambda d: d['argument_specs']['main']['options']['pxc_tls_cipher']['default'])):
        with open(os.path.join(ROOT, 'roles', 'pxc', *path)) as handle:
            assert get(yaml.safe_load(handle)) == T.SECURE_CIPHER_NAMES, path


@pytest.mark.parametrize('cipher, bad', [
    ('ECDHE+AESGCM:ECDHE+CHACHA20', ["'ECDHE+AESGCM', 'ECDHE+CHACHA20'"]),
    ('ECDHE-RSA-AES128-GCM-SHA256:!aNULL', ["'!aNULL'"]),
    ('HIGH:-CBC', ["'HIGH', '-CBC'"]),
    # a substring of the list passes validate_ciphers() but means every ECDHE suite to OpenSSL
    ('ECDHE', ["'ECDHE'"]),
    ('AES128-SHA', ["'AES128-SHA'"]),
])
def test_aliases_and_operators_refused_from_8_1(cipher, bad):
    for version in ('8.4', '8.4.5-5.1', '9.7.4-2', '8.1.0'):
        problems = T.cipher_problems(cipher, version)
        assert len(problems) == 1 and bad[0] in problems[0] and 'MY-015104' in problems[0], problems
    assert T.cipher_problems(cipher, '8.0') == []
    assert T.cipher_problems(cipher, '8.0.36-28.1') == []


def test_empty_or_unknown_version_is_not_judged():
    assert T.cipher_problems('', '8.4') == []
    assert T.cipher_problems('ECDHE+AESGCM', 'unknown') == []
    assert T.names_only('8.4') and T.names_only('9.7.4-2') and not T.names_only('8.0.41-32.1')


def test_pxc_problems_refuse_the_aliases_for_8_4_naming_the_cause(pxc_settings):
    problems = S.problems(pxc_settings(version='8.4', tls_cipher='ECDHE+AESGCM:ECDHE+CHACHA20'))
    assert len(problems) == 1 and 'ER_BLOCKED_CIPHER' in problems[0] and "'ECDHE+AESGCM'" in problems[0], problems
    # Through an override too (the drop-in is what the server reads).
    problems = S.problems(pxc_settings(version='8.4', overrides={'mysqld': {'ssl_cipher': 'HIGH'}}))
    assert len(problems) == 1 and "'HIGH'" in problems[0], problems
    # Control: the names on 8.4, the aliases on 8.0.
    assert S.problems(pxc_settings(version='8.4', tls_cipher=T.SECURE_CIPHER_NAMES)) == []
    assert S.problems(pxc_settings(version='8.0', tls_cipher='ECDHE+AESGCM:ECDHE+CHACHA20')) == []


# ---------------------------------------------------------------- the reload

class Server(object):
    """run_command of a client talking to a server that refuses or accepts the statements; records the calls."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, args):
        self.calls.append(args[-1])
        return self.answers.pop(0)


SERVED = {'cert': '/etc/mysql/certs/server-cert.pem', 'host': 'db1', 'port': 3306}
STATEMENTS = ['ALTER INSTANCE RELOAD TLS', "SET GLOBAL wsrep_provider_options='socket.ssl_reload=1'"]


def _reload(server, served_fp='new', served=None):
    served = dict(SERVED) if served is None else served
    return T.reload(server, ['mysql'], STATEMENTS, served, lambda path: 'new', lambda host, port: (served_fp, None))


def test_accepted_reload_serving_the_new_certificate():
    server = Server((0, '', ''))
    assert _reload(server) == {'reloaded': True, 'reload_error': '', 'no_rollback': False,
                               'served': {'host': 'db1', 'port': 3306, 'sha256_fingerprint': 'new', 'expected': 'new'}}
    assert server.calls == ['; '.join(STATEMENTS)]


def test_self_check_refusal_retried_with_no_rollback_then_checked():
    server = Server((1, '', SELF_CHECK), (0, '', ''))
    result = _reload(server)
    assert result['reloaded'] and result['no_rollback'] and not result['reload_error'], result
    assert server.calls[1] == ("ALTER INSTANCE RELOAD TLS NO ROLLBACK ON ERROR; "
                               "SET GLOBAL wsrep_provider_options='socket.ssl_reload=1'")


def test_success_while_the_port_keeps_the_old_certificate_is_not_success():
    """The fail-before case: the client's exit code alone said 'reloaded'."""
    for answers in ([(0, '', '')], [(1, '', SELF_CHECK), (0, '', '')]):
        result = _reload(Server(*answers), served_fp='old')
        assert not result['reloaded'], result
        assert 'serves old, not new' in result['reload_error'] and SERVED['cert'] in result['reload_error'], result
    result = _reload(Server((0, '', '')), served_fp=None)
    assert not result['reloaded'] and 'serves no certificate' in result['reload_error'], result


def test_other_refusals_are_not_forced():
    """A context that could not be built (key mismatch) would leave the port without TLS under NO ROLLBACK ON
    ERROR: never retried, reported, the old context stays."""
    server = Server((1, '', KEY_MISMATCH))
    result = _reload(server)
    assert result == {'reloaded': False, 'reload_error': KEY_MISMATCH, 'no_rollback': False}
    assert len(server.calls) == 1


def test_refused_retry_names_both_errors():
    result = _reload(Server((1, '', SELF_CHECK), (1, '', 'ERROR 2013 (HY000): Lost connection')))
    assert not result['reloaded'] and result['no_rollback']
    assert 'Invalid certificates' in result['reload_error'] and 'with NO ROLLBACK ON ERROR: ERROR 2013' in \
        result['reload_error']


def test_without_served_only_the_exit_code_counts():
    assert T.reload(Server((0, '', '')), ['mysql'], ['FLUSH SSL'])['reloaded'] is True


def test_no_rollback_touches_only_the_tls_reload():
    assert T.no_rollback(['alter instance reload tls;', 'ALTER INSTANCE RELOAD TLS NO ROLLBACK ON ERROR', 'FLUSH SSL']) \
        == ['alter instance reload tls NO ROLLBACK ON ERROR', 'ALTER INSTANCE RELOAD TLS NO ROLLBACK ON ERROR',
            'FLUSH SSL']
    assert T.is_self_check_refusal(SELF_CHECK) and not T.is_self_check_refusal(KEY_MISMATCH)


def test_cert_fingerprint_is_the_leaf(tmp_path):
    from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509
    key = x509.generate_key('ecdsa', curve='P-256')
    ca = x509.create_ca(key, {'common_name': 'fp CA'}, 1)
    path = tmp_path / 'chain.pem'
    path.write_bytes(x509.cert_pem(ca) + x509.cert_pem(ca))
    from cryptography.hazmat.primitives import hashes
    assert T.cert_fingerprint(str(path)) == ca.fingerprint(hashes.SHA256()).hex()
    (tmp_path / 'none.pem').write_text('nothing')
    with pytest.raises(ValueError):
        T.cert_fingerprint(str(tmp_path / 'none.pem'))
