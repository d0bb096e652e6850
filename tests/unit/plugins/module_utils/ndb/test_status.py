# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import status as S


def test_verdict():
    enc = [{'encryption': True}, {'encryption': True}]
    assert S.tde_verdict(1, True, enc) == 'encrypted'
    assert S.tde_verdict(None, True, []) == 'encrypted'
    assert S.tde_verdict(0, False, [{'encryption': False}]) == 'not encrypted'
    assert S.tde_verdict(None, None, []) == 'unknown'
    assert S.tde_verdict(1, False, []) == 'inconsistent: EncryptedFileSystem=1, secrets file absent'
    assert S.tde_verdict(1, True, [{'encryption': True}, {'encryption': False}]).endswith('1 of 2 files encrypted')


def test_status_table():
    lines = S.status_table([{'node': 2, 'host': 'data1', 'config': 1, 'secrets_file': True, 'files': '3/3 encrypted',
                             'verdict': 'encrypted'},
                            {'node': 3, 'host': 'data2', 'config': None, 'secrets_file': False, 'files': None,
                             'verdict': 'not encrypted'}])
    assert lines[0].split(' | ')[0].strip() == 'Node'
    assert set(lines[1]) <= set('-+')
    assert lines[2].split(' | ') == ['2   ', 'data1', '1                  ', 'yes         ', '3/3 encrypted', 'encrypted']
    assert '| -' in lines[3] and '| no' in lines[3]


def test_status_rows_one_per_host_in_order():
    statuses = {
        'data2': {'node_id': 3, 'secrets_file_present': False, 'ndbxfrm_available': False, 'files': [],
                  'verdict': 'not encrypted'},
        'data1': {'node_id': 2, 'secrets_file_present': True, 'ndbxfrm_available': True,
                  'files': [{'encryption': True}, {'encryption': False}, {'encryption': None}], 'verdict': 'x'},
    }
    rows = S.status_rows(statuses, {'2': 1})
    assert rows == [
        {'node': 3, 'host': 'data2', 'config': None, 'secrets_file': False, 'files': 'no ndbxfrm',
         'verdict': 'not encrypted'},
        {'node': 2, 'host': 'data1', 'config': 1, 'secrets_file': True, 'files': '1/3 encrypted', 'verdict': 'x'}]
    assert S.status_rows({}) == []
