# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import subprocess

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import dhparams as D


def test_dh_bits_from_pem_rejects_other_files():
    with pytest.raises(ValueError, match='no "BEGIN DH PARAMETERS"'):
        D.dh_bits_from_pem(b'-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
    with pytest.raises(ValueError, match='truncated|SEQUENCE|INTEGER'):
        D.dh_bits_from_pem('-----BEGIN DH PARAMETERS-----\nMAMCAQ==\n-----END DH PARAMETERS-----')


# PKCS#3 ("BEGIN DH PARAMETERS", what `openssl dhparam` writes) and X9.42 (-dsaparam, quick to make).
@pytest.mark.parametrize('bits,extra', [(512, []), (2048, ['-dsaparam']), (3072, ['-dsaparam'])])
def test_dh_bits_from_pem_matches_openssl(tmp_path, bits, extra):
    path = tmp_path / 'dh.pem'
    done = subprocess.run(['openssl', 'dhparam'] + extra + ['-out', str(path), str(bits)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip('openssl cannot make %d-bit DH parameters here' % bits)
    text = subprocess.run(['openssl', 'dhparam', '-in', str(path), '-noout', '-text'], capture_output=True, text=True, check=False)
    assert '(%d bit)' % bits in text.stdout + text.stderr
    assert D.read_dhparams_bits(str(path)) == bits


def test_dhparams_problems():
    ok = {'path': '/s/dhparams.pem', 'exists': True, 'bits': 2048}
    small = {'path': '/d/dhparams.pem', 'exists': True, 'bits': 1024}
    absent = {'path': '/s/dhparams.pem', 'exists': False, 'bits': None}
    assert D.dhparams_problems(small, ok) == []  # the good source replaces it
    assert D.dhparams_problems(small, absent) == ['/d/dhparams.pem has 1024 bits, below 2048 (SST would use it); remove it '
                                                  'so the role generates a new one']
    assert D.dhparams_problems(absent, dict(small, path='/s/dhparams.pem')) == ['dhparams.pem /s/dhparams.pem has 1024 bits, below 2048']
    broken = {'path': '/d/dhparams.pem', 'exists': True, 'bits': None, 'error': 'not DH parameters'}
    assert 'cannot be read as DH parameters' in D.dhparams_problems(broken, None)[0]


def test_read_dhparams_reports_instead_of_raising(tmp_path):
    assert D.read_dhparams(str(tmp_path / 'absent.pem')) == {'path': str(tmp_path / 'absent.pem'), 'exists': False,
                                                             'bits': None, 'error': None}
    (tmp_path / 'cert.pem').write_text('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
    broken = D.read_dhparams(str(tmp_path / 'cert.pem'))
    assert broken['exists'] is True and broken['bits'] is None and 'BEGIN DH PARAMETERS' in broken['error']
    assert D.read_dhparams(str(tmp_path / 'cert.pem'), read_bits=lambda path: 4096)['bits'] == 4096
    assert D.read_dhparams(None)['exists'] is False
