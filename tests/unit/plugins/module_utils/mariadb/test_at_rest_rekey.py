# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import at_rest_rekey as rekey

# What MariaDB 10.11.18 printed for SQL (innodb_encrypt_tables=FORCE, keys 1-3): tables created before encryption
# on key 1 (the background threads' key), a table with a '-' in its names, a partitioned table and a table with a
# full-text index, whose auxiliary tables stay on key 1 whatever key their table uses.
REAL = """ts\tinnodb_system\t1\t1\t0
ts\tmysql/innodb_index_stats\t1\t1\t0
ts\tmysql/gtid_slave_pos\t1\t2\t0
ts\td/t2\t1\t3\t0
ts\td/t1\t1\t1\t0
ts\tmy@002ddb/t@002d1\t1\t2\t0
ts\tmy@002ddb/p#P#p0\t1\t2\t0
ts\tmy@002ddb/p#P#p1\t1\t2\t0
ts\tmy@002ddb/f\t1\t2\t0
ts\tmy@002ddb/FTS_000000000000001d_BEING_DELETED\t1\t1\t0
ts\tmy@002ddb/FTS_000000000000001d_0000000000000029_INDEX_1\t1\t1\t0
ts\td/#sql-ib12\t1\t2\t0
ts\td/plain\t0\t1\t0
"""


def test_parse_and_keys_in_use():
    spaces = rekey.parse(REAL + "Warning\t1210\tsomething\n")
    assert len(spaces) == 13
    assert rekey.in_use(spaces) == {1: 5, 2: 6, 3: 1}


def test_moves_every_table_off_other_keys_but_not_system_fts_or_intermediate_ones():
    tables, unmapped = rekey.plan_moves(rekey.parse(REAL), 3)
    assert tables == [('d', 't1'), ('my-db', 'f'), ('my-db', 'p'), ('my-db', 't-1')]
    assert unmapped == []
    assert rekey.statements(tables[:2], 3) == ['ALTER TABLE `d`.`t1` ENCRYPTION_KEY_ID=3',
                                               'ALTER TABLE `my-db`.`f` ENCRYPTION_KEY_ID=3']


def test_system_tables_move_only_when_their_key_is_retired():
    tables, dummy = rekey.plan_moves(rekey.parse(REAL), 3, retire_ids=[2])
    assert ('mysql', 'gtid_slave_pos') in tables and ('mysql', 'innodb_index_stats') not in tables


def test_nothing_to_move_when_every_table_has_the_key():
    spaces = [{'name': 'd/t', 'encrypted': True, 'key_id': 3, 'rotating': False}]
    assert rekey.plan_moves(spaces, 3) == ([], [])


def test_names_quoted_and_undecodable_names_reported():
    assert rekey.quote('a`b') == '`a``b`'
    spaces = rekey.parse('ts\tshop/caf@0Ge\t1\t2\t0\nts\tshop/x@0060y\t1\t2\t0\n')
    tables, unmapped = rekey.plan_moves(spaces, 3)
    assert tables == [('shop', 'x`y')] and unmapped == ['shop/caf@0Ge']
    assert rekey.statements(tables, 3) == ['ALTER TABLE `shop`.`x``y` ENCRYPTION_KEY_ID=3']


def test_still_using_names_only_encrypted_spaces_on_retired_keys():
    spaces = rekey.parse(REAL)
    assert rekey.still_using(spaces, [3]) == ['d/t2']
    assert rekey.still_using(spaces, [9]) == []


def test_availability_warnings():
    assert rekey.availability_sql([3, 2, 3]) == ("SET SESSION innodb_default_encryption_key_id = 2;\nSHOW WARNINGS;\n"
                                                 "SET SESSION innodb_default_encryption_key_id = 3;\nSHOW WARNINGS;\n")
    # Printed by MariaDB 10.11.18 for a key the plugin has not loaded.
    assert rekey.unavailable("Warning\t1210\tinnodb_default_encryption_key=9 is not available\n") == [9]
    assert rekey.unavailable("") == []


def test_key_one_and_the_new_key_cannot_be_retired():
    assert rekey.check_retire([2], 3) == []
    assert any('key id 1 cannot be retired' in p for p in rekey.check_retire([1, 2], 3))
    assert any('both the new table key and one to retire' in p for p in rekey.check_retire([3], 3))


def test_moved_summary():
    from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb.at_rest_rekey import moved_summary
    assert moved_summary({'moved': ['s.a', 's.b'], 'seconds': 0.4}, 3) == 'moved 2 table(s) to key 3 in 0.4 s: s.a, s.b'
    assert moved_summary({'moved': [], 'unmapped': ['x/#sql1'], 'seconds': 0}, 4, True) == (
        'would move 0 table(s) to key 4 in 0 s; not moved (names not decoded): x/#sql1')


def test_rotation_summary_uses_step_three_when_it_ran():
    from ansible_collections.clustersec.mysql.plugins.filter.mariadb import FilterModule
    f = FilterModule().filters()['mariadb_at_rest_rotation_summary']
    loaded = {'key_ids_in_use': {'1': 4, '2': 7}}
    assert f(3, [2], {'key_ids_in_use': {'1': 4, '3': 7}}, loaded) == 'table key 3, key ids in use 1, 3; retired 2, none loaded'
    assert f(3, [2], {'skipped': True}, loaded, True) == 'table key 3, key ids in use 1, 2; retired 2 (would be)'
    assert f(3, [], {'skipped': True}, loaded) == 'table key 3, key ids in use 1, 2'
