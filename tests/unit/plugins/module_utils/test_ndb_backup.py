# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils import ndb_backup as B

NAMES = ['BACKUP-7.2.ctl', 'BACKUP-7-0.2.Data', 'BACKUP-7-1.2.Data', 'BACKUP-7.2.log', 'BACKUP-7.3.ctl',
         'BACKUP-17.2.ctl', 'BACKUP-7-0.12.Data', 'notes.txt']


def enc(yes=True):
    return {'encryption': yes, 'compression': False}


def test_files_of_one_node_only():
    found = B.backup_files(NAMES, 7, 2)
    assert found == {'ctl': 'BACKUP-7.2.ctl', 'data': ['BACKUP-7-0.2.Data', 'BACKUP-7-1.2.Data'], 'log': 'BACKUP-7.2.log'}
    assert B.backup_files(NAMES, 7, 3) == {'ctl': 'BACKUP-7.3.ctl', 'data': [], 'log': None}


def test_encrypted_backup_passes():
    found = B.backup_files(NAMES, 7, 2)
    infos = dict((n, enc()) for n in found['data'] + [found['ctl'], found['log']])
    assert B.backup_problems(found, infos) == []


def test_plain_file_refused_unless_allowed():
    found = B.backup_files(NAMES, 7, 2)
    infos = dict((n, enc()) for n in found['data'] + [found['ctl'], found['log']])
    infos['BACKUP-7-1.2.Data'] = enc(False)
    problems = B.backup_problems(found, infos)
    assert len(problems) == 1 and 'BACKUP-7-1.2.Data is not encrypted' in problems[0]
    assert B.backup_problems(found, infos, require_encrypted=False) == []


def test_missing_and_unreadable_files():
    found = B.backup_files(NAMES, 7, 3)
    problems = B.backup_problems(found, {'BACKUP-7.3.ctl': {'error': 'bad magic'}})
    assert problems[0] == 'the backup files .log, .Data are missing'
    assert problems[1] == 'ndbxfrm could not read BACKUP-7.3.ctl'
