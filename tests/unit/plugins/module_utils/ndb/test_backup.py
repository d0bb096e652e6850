# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import backup as B
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError

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


# --- START BACKUP ------------------------------------------------------------------------------

PW = 'Backup-Pw.9'


def test_password_stdin_puts_encrypt_last():
    """ndb_mgm takes the --backup-password-from-stdin password only when ENCRYPT is the last word
    (CommandInterpreter.cpp, executeStartBackup); `... ENCRYPT WAIT COMPLETED` writes a plain-text backup."""
    run = B.backup_invocation(PW, 'password_stdin', 11, 'COMPLETED')
    assert run['args'] == ['--backup-password-from-stdin', '-e', 'START BACKUP 11 WAIT COMPLETED ENCRYPT']
    assert run['args'][-1].split()[-1] == 'ENCRYPT'
    assert run['stdin'] == PW + '\n' and not run['interactive']
    assert PW not in run['shown'] and PW not in ' '.join(run['args'])
    assert B.backup_invocation(PW, 'password_stdin', 0, 'STARTED')['args'][-1] == 'START BACKUP WAIT STARTED ENCRYPT'


def test_command_stdin_quotes_the_password_and_exits():
    run = B.backup_invocation(PW, 'command_stdin', 0, 'COMPLETED')
    assert run['args'] == [] and run['interactive']
    assert run['stdin'] == 'START BACKUP WAIT COMPLETED ENCRYPT PASSWORD="%s"\nexit\n' % PW
    assert run['shown'] == 'START BACKUP WAIT COMPLETED ENCRYPT PASSWORD="********"'


def test_every_password_input_builds_a_form_that_encrypts():
    """Each mode ndb_tde_backup_password_input accepts: ENCRYPT is last, or followed by its PASSWORD= only."""
    for mode in B.PASSWORD_INPUTS:
        run = B.backup_invocation(PW, mode, 3)
        statement = (run['args'][-1] if run['args'] else run['stdin'].splitlines()[0]).split()
        tail = statement[statement.index('ENCRYPT') + 1:]
        assert tail == [] or (len(tail) == 1 and tail[0].startswith('PASSWORD="')), (mode, statement)


def test_unencrypted_backup_without_password():
    run = B.backup_invocation('', 'password_stdin', 0)
    assert run['args'] == ['-e', 'START BACKUP WAIT COMPLETED'] and run['stdin'] is None


def test_bad_input_refused():
    with pytest.raises(NdbError):
        B.backup_invocation(PW, 'argv')
    with pytest.raises(NdbError):
        B.backup_statement(wait='NOWAIT')


def test_redact():
    assert B.redact('Invalid command: START BACKUP ENCRYPT PASSWORD="%s" WAIT' % PW, PW) == \
        'Invalid command: START BACKUP ENCRYPT PASSWORD="********" WAIT'
    assert PW not in B.redact('x %s y' % PW, PW)


def parsed(**kw):
    out = {'backup_id': 7, 'completed': True, 'started': True, 'aborted': False, 'unencrypted_warning': False,
           'error': None}
    out.update(kw)
    return out


def test_run_problems():
    assert B.backup_run_problems(parsed(), 0, True) == []
    warned = B.backup_run_problems(parsed(unencrypted_warning=True), 0, True)
    assert warned and 'UNENCRYPTED' in warned[0]
    # Commands on stdin exit 0 whatever happened: the exit code is ignored there, the lines are not.
    assert B.backup_run_problems(parsed(), 255, True, interactive=True) == []
    assert B.backup_run_problems(parsed(), 255, True) == ['ndb_mgm exited with 255']
    assert 'no backup id' in B.backup_run_problems(parsed(backup_id=None, completed=False), 0, True, interactive=True)[0]
    assert B.backup_run_problems(parsed(completed=False), 0, True) == ['backup 7 was not reported completed']
    assert B.backup_run_problems(parsed(completed=False), 0, True, 'STARTED') == []


def test_restore_problems():
    cluster = {'all_started': True, 'not_started': {}, 'data_nodes': [2, 3]}
    files = {'problems': [], 'files': [{'name': 'BACKUP-7.2.ctl', 'encryption': True}]}
    assert B.restore_problems(files, cluster, '2', 7, '/b', password_given=True) == []
    plain = {'problems': ['BACKUP-7.2.log is missing'], 'files': [{'name': 'BACKUP-7.2.ctl', 'encryption': False}]}
    down = {'all_started': False, 'not_started': {'3': 'not started'}, 'data_nodes': [3]}
    assert B.restore_problems(plain, down, 2, 7, '/b', password_given=True) == [
        'backup 7 in /b: BACKUP-7.2.log is missing', 'not every data node is started (3 is not started)',
        'data node 2 is not in the running cluster', 'the backup is not encrypted but ndb_tde_backup_password is set']
    assert B.restore_problems(plain, cluster, 2, 7, '/b') == ['backup 7 in /b: BACKUP-7.2.log is missing']
