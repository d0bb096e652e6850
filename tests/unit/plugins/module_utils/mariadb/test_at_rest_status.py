# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import at_rest_status as ars

ON_VARS = ''.join('var\t%s\tON\n' % n for n in ars.SETTINGS)


def out(tables='FORCE', ts=(('app/t1', 1), ('innodb_system', 1)), aria=(), plugin='ACTIVE', extra=''):
    lines = ['var\tinnodb_encrypt_tables\t%s' % tables, 'var\tfile_key_management_filename\t/k/keys.enc']
    if plugin:
        lines.append('plugin\t%s' % plugin)
    lines += ['ts\t%s\t%d\t%d\t1\t0' % (n, e, 1 if e else 0) for n, e in ts]
    lines += ['aria\t%s\t%d' % (n, n.startswith('mysql.')) for n in aria]
    return ON_VARS + '\n'.join(lines) + '\n' + extra


def test_everything_encrypted_is_green():
    e = ars.classify(ars.parse(out(aria=['mysql.global_priv'])))
    assert e['status'] == 'green', e['findings']
    assert e['protocol'] == 'FORCE, 2/2' and e['key_ids_in_use'] == [1]
    assert any('1 system Aria' in n for n in e['notes']) and any('galera.cache' in n for n in e['notes'])


def test_unencrypted_table_is_red_and_named():
    e = ars.classify(ars.parse(out(ts=(('app/t1', 1), ('app/plain', 0)))))
    assert e['status'] == 'red' and e['unencrypted'] == ['app/plain']
    assert any('app/plain' in f for f in e['findings'])


def test_tables_on_needs_the_opt_out():
    st = ars.parse(out(tables='ON', ts=(('app/t1', 1), ('app/plain', 0))))
    assert ars.classify(st)['status'] == 'red'
    e = ars.classify(st, accepted_risks=['unencrypted_tables'])
    assert e['status'] == 'amber' and any('accepted opt-out unencrypted_tables' in f for f in e['findings'])


def test_a_setting_off_is_red():
    text = out().replace('var\tencrypt_binlog\tON', 'var\tencrypt_binlog\tOFF')
    e = ars.classify(ars.parse(text))
    assert e['status'] == 'red' and 'encrypt_binlog is OFF' in e['findings']


def test_rotating_and_aria_user_tables_are_amber():
    text = out(aria=['app.log']).replace('ts\tapp/t1\t1\t1\t1\t0', 'ts\tapp/t1\t1\t1\t1\t1')
    e = ars.classify(ars.parse(text))
    assert e['status'] == 'amber'
    assert any('app/t1' in f for f in e['findings']) and any('app.log' in f for f in e['findings'])


def test_not_enabled_is_off_and_red_only_when_required():
    st = ars.parse(out(plugin=None))
    assert ars.classify(st)['status'] == 'green' and ars.classify(st)['protocol'] == 'off'
    assert ars.classify(st, required=True)['status'] == 'red'


def test_key_file_mode_and_owner(tmp_path):
    import pwd
    me = pwd.getpwuid(os.getuid()).pw_name
    f = tmp_path / 'keys.enc'
    f.write_bytes(b'x')
    os.chmod(f, 0o400)
    assert ars.key_file_facts(str(f), me)['problem'] is None
    assert 'not the server user' in ars.key_file_facts(str(f), 'nosuchuser')['problem']
    os.chmod(f, 0o440)
    kf = ars.key_file_facts('FILE:' + str(f), me)
    assert kf['mode'] == '0440' and 'group or others' in kf['problem']
    e = ars.classify(ars.parse(out()), key_files=[kf])
    assert e['status'] == 'red'
    assert 'cannot stat' in ars.key_file_facts(str(tmp_path / 'missing'))['problem']


def test_report_shows_a_data_at_rest_column_and_section():
    from ansible_collections.clustersec.mysql.plugins.module_utils.probes import encryption_report as er
    key_file = {'path': '/k/keys.enc', 'mode': '0400', 'owner': 'mysql', 'problem': None}
    good = ars.classify(ars.parse(out()), key_files=[key_file])
    bad = ars.classify(ars.parse(out(ts=(('app/t1', 1), ('app/plain', 0)))))
    tls = {'channel': 'client-server', 'port': 3306, 'status': 'green', 'findings': [], 'protocol': 'TLSv1.3'}
    nodes = {'n1': [dict(tls), good], 'n2': [dict(tls), bad]}
    summary = er.summarize(nodes)
    md = er.render_markdown(nodes, summary)
    assert summary['status'] == 'red' and any(p.startswith('n2 data-at-rest') and 'app/plain' in p
                                              for p in summary['problems'])
    assert '| n1 | GREEN TLSv1.3 | GREEN FORCE, 2/2 |' in md
    assert '## Data at rest' in md and '| n1 | GREEN | FORCE, 2/2 | 1 | keys.enc 0400 mysql | - |' in md
    assert '| n2 | RED | FORCE, 1/2 | 1 | - | app/plain |' in md
    assert 'Note: not encrypted by MariaDB Community: galera.cache' in md
    # The TLS details table has no row for the data-at-rest entry.
    assert '| n1 | data-at-rest |' not in md


def test_a_literal_file_key_is_never_returned():
    e = ars.classify(ars.parse(out(extra='var\tfile_key_management_filekey\tsecret-file-key\n')))
    assert 'secret-file-key' not in repr(e)
    e = ars.classify(ars.parse(out(extra='var\tfile_key_management_filekey\tFILE:/k/filekey\n')))
    assert e['variables']['file_key_management_filekey'] == 'FILE:/k/filekey'
