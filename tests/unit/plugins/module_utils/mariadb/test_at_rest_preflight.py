# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mariadb at_rest_preflight: each rule of the data-at-rest pre-flight with a case that trips it and a control that
passes; the messages are the ones tests/integration/at_rest/test_preflight.py expects from the role."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import at_rest_preflight as P
from ansible_collections.clustersec.mysql.plugins.filter.mariadb import FilterModule

SHA = 'a' * 64
OTHER = 'b' * 64
NODE = ['plugin=yes', 'keys.enc=400 mysql ' + SHA, 'filekey=400 mysql ' + SHA]


def settings(**kw):
    out = dict(encrypt_at_rest=True, node=list(NODE), peers={'db1': list(NODE), 'db2': list(NODE)},
               controller_filekey={}, pki_dir='/pki', at_rest_dir='/etc/mysql/tls/at-rest', plugin_dir='/usr/lib/mysql/plugin',
               default_key_id=2, key_ids=[1, 2], tables='FORCE', allow_insecure=[], pki_keys=True, retire_key_ids=[],
               defer_retire=False)
    out.update(kw)
    return out


def test_control_a_ready_node_has_no_problem():
    assert P.problems(settings()) == []


def test_filter_is_registered_and_refuses_a_non_dict():
    f = FilterModule().filters()['mariadb_at_rest_problems']
    assert f(settings()) == []
    with pytest.raises(Exception, match='expects a dict of settings'):
        f(['x'])


def test_off_with_a_drop_in_that_loads_the_plugin():
    out = P.problems(settings(encrypt_at_rest=False, node=NODE + ['dropin=yes']))
    assert len(out) == 1 and out[0].startswith("the node's drop-in loads file_key_management")
    # Control: off where no drop-in loads it; off skips every other rule (no plugin, no keys).
    assert P.problems(settings(encrypt_at_rest=False, node=[], pki_keys=False)) == []


def test_plugin_missing():
    out = P.problems(settings(node=NODE[1:]))
    assert out == ['the server lacks the file_key_management plugin (/usr/lib/mysql/plugin/file_key_management.so not found)']
    assert P.problems(settings(node=['plugin=yes'])) == []


def test_default_key_id_not_in_the_key_file():
    out = P.problems(settings(default_key_id=3))
    assert out == ['mariadb_galera_at_rest_default_key_id 3 is not a key id of the key file (pki_at_rest_key_ids: 1, 2)']
    assert P.problems(settings(default_key_id='3', key_ids=[2, 3])) == []
    # Key 1 is always in the file; the default key ids are 1, 2.
    assert P.problems(settings(default_key_id=1, key_ids=[2])) == []
    assert P.problems(settings(default_key_id=2, key_ids=None)) == []


def test_tables_on_needs_the_opt_out():
    out = P.problems(settings(tables='ON'))
    assert len(out) == 1 and "add 'unencrypted_tables' to mariadb_galera_allow_insecure" in out[0]
    assert out[0].startswith('mariadb_galera_at_rest_tables ON lets tables opt out')
    assert P.problems(settings(tables='ON', allow_insecure=['unencrypted_tables'])) == []
    assert P.problems(settings(tables='force')) == []


def test_pki_keys_off():
    assert P.problems(settings(pki_keys=False)) == [
        'mariadb_galera_encrypt_at_rest needs the keys of the pki role: set pki_at_rest_keys: true']
    assert P.problems(settings(pki_keys='true')) == []


@pytest.mark.parametrize('retire', [[1], [2], ['2']])
def test_retiring_key_one_or_the_table_key(retire):
    out = P.problems(settings(retire_key_ids=retire, node=NODE + ['inuse_read=yes']))
    assert len(out) == 1 and 'names key id 1' in out[0]
    assert out[0].endswith('or the table key mariadb_galera_at_rest_default_key_id 2')


def test_retiring_with_defer_retire_retires_nothing():
    assert P.problems(settings(retire_key_ids=[1], defer_retire=True)) == []
    assert P.retired_key_ids(settings(retire_key_ids=['3'])) == [3]


def test_retiring_where_the_server_does_not_answer():
    out = P.problems(settings(key_ids=[1, 2, 3], retire_key_ids=[3]))
    assert out == ['cannot tell which keys its tablespaces use (the server does not answer), so key(s) 3 of '
                   'pki_at_rest_retire_key_ids cannot be retired: start it first, or keep them until '
                   'playbooks/rotate_at_rest_keys.yml retires them']
    assert P.problems(settings(key_ids=[1, 2, 3], retire_key_ids=[3], node=NODE + ['inuse_read=yes'])) == []


def test_retiring_a_key_a_tablespace_uses():
    node = NODE + ['inuse=1 4 innodb_system', 'inuse=3 7 shop/orders', 'inuse_read=yes']
    out = P.problems(settings(key_ids=[1, 2, 3], retire_key_ids=[3], node=node))
    assert out == ['key id 3 of pki_at_rest_retire_key_ids is still used by 7 tablespace(s) of the running server '
                   '(shop/orders ...); run playbooks/rotate_at_rest_keys.yml, which moves the tables to the table key first']
    node = NODE + ['inuse=1 4 innodb_system', 'inuse=2 7 shop/orders', 'inuse_read=yes']
    assert P.problems(settings(key_ids=[1, 2, 3], retire_key_ids=[3], node=node)) == []


def test_controller_file_key_differs():
    out = P.problems(settings(controller_filekey={'exists': True, 'checksum': OTHER}))
    assert len(out) == 1 and out[0].startswith('its file key (/etc/mysql/tls/at-rest/filekey) differs from /pki/at-rest/filekey')
    assert 'this pki_dir did not make the keys the node reads' in out[0]
    assert P.problems(settings(controller_filekey={'exists': True, 'checksum': SHA})) == []
    # A node without a file key yet (first run) has nothing to compare.
    assert P.problems(settings(controller_filekey={'exists': True, 'checksum': OTHER}, node=['plugin=yes'])) == []


@pytest.mark.parametrize('name', ['keys.enc', 'filekey'])
def test_key_file_readable_by_others(name):
    node = ['plugin=yes', '%s=404 mysql %s' % (name, SHA)]
    assert P.problems(settings(node=node, peers={})) == ['/etc/mysql/tls/at-rest/%s is readable by others (mode 404)' % name]
    node = ['plugin=yes', '%s=440 mysql %s' % (name, SHA)]
    assert P.problems(settings(node=node, peers={})) == []


@pytest.mark.parametrize('name,what', [('keys.enc', 'key file'), ('filekey', 'file key')])
def test_key_files_differ_between_nodes(name, what):
    peer = [line if not line.startswith(name) else '%s=400 mysql %s' % (name, OTHER) for line in NODE]
    out = P.problems(settings(peers={'db1': list(NODE), 'db2': peer}))
    assert out == ["its %s differs from db2's (/etc/mysql/tls/at-rest/%s): every node must read the same keys, or a node "
                   'that joins by SST cannot read its data' % (what, name)]
    # Control: a peer without the file (not yet distributed) is no difference.
    assert P.problems(settings(peers={'db1': list(NODE), 'db2': ['plugin=yes'], 'db3': None})) == []


def test_node_facts_later_line_wins():
    assert P.node_facts(['a=1', 'a=2=3', 'noequals']) == {'a': '2=3'}
