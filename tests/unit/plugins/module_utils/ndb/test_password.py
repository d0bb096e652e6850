# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import password as P
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError

SECRET = 'Sup3rS3cr3tValue'


def test_good_password_has_no_problem():
    assert P.password_problems(SECRET) == []
    assert P.password_problems('a' * 512) == []
    assert P.password_problems('with space and ~#&*()') == []


@pytest.mark.parametrize('char', list(P.FS_PASSWORD_FORBIDDEN))
def test_each_forbidden_character_is_refused_and_hex_suggested(char):
    problems = P.password_problems('abc' + char + 'def')
    assert any('forbidden character at position 4' in p for p in problems)
    assert any('ndb_tde_password_encoding: hex' in p for p in problems)


def test_problems_never_quote_the_password():
    for pw in ['x' * 600, 'Secret$Value', 'Secr\u00e9tValue', 'Tab\tValue']:
        for problem in P.password_problems(pw):
            assert pw not in problem
            assert 'Secret' not in problem and 'Secr' not in problem


def test_too_long_and_non_printable():
    assert P.password_problems('a' * 513) == ['password is 513 characters long; at most 512 are allowed']
    problems = P.password_problems('ab\u00e9c\n')
    assert 'not printable ASCII at position 3, 5' in problems[0]
    assert '12 hex characters' in problems[1]  # 6 bytes in UTF-8


def test_hex_form_too_long_is_said():
    problems = P.password_problems('$' * 300)
    assert any('hex form would be 600 characters' in p for p in problems)


def test_hex_encoding_accepts_any_character_up_to_256_bytes():
    assert P.password_problems('t0p$ecret"\u00e9', encoding='hex') == []
    assert P.password_problems(b'\x00' * 256, encoding='hex') == []
    assert 'hex form of password is 514 characters' in P.password_problems('$' * 257, encoding='hex')[0]
    assert P.password_problems('', encoding='hex') == ['password is empty']
    assert 'unknown password encoding' in P.password_problems('a', encoding='b64')[0]


def test_empty_and_wrong_types():
    assert P.password_problems('') == ['password is empty']
    assert P.password_problems(None, name='ndb_tde_password') == ['ndb_tde_password is empty']
    assert 'binary' in P.password_problems(b'abc')[0]
    assert 'must be a string' in P.password_problems(1234)[0]


def test_backup_rules_differ():
    assert P.password_problems('a`b', kind='backup') == []
    assert P.password_problems('a' * 257, kind='backup') == ['password is 257 characters long; at most 256 are allowed']
    assert 'forbidden' in P.password_problems('a%b', kind='backup')[0]
    with pytest.raises(NdbError, match='unknown password kind'):
        P.password_problems('a', kind='other')


def test_hexify():
    assert P.hexify('t0p$') == '74307024'
    assert P.hexify(b'\x00\xff') == '00ff'
    assert P.password_problems(P.hexify('"quoted" \u00e9')) == []
    assert len(P.hexify(b'x' * 256)) == 512
    with pytest.raises(NdbError, match='at most 512'):
        P.hexify(b'x' * 257)
    with pytest.raises(NdbError, match='empty'):
        P.hexify('')
