# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Golden-file tests of roles/pxc with data at rest: the drop-in, the keyring component's manifest (mysqld.my) and
its configuration (component_keyring_file.cnf), rendered from the role's own defaults, vars/main.yml and template
by the same chain as test_render.py (imported from it), for PXC 8.0 and 8.4, plus the refusals of bad input.

Regenerate after an intended change:  PXC_GOLDEN_UPDATE=1 pytest tests/unit/roles/pxc  (then review the diff).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import importlib.util
import json
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, 'golden_at_rest')


def _load_render():
    spec = importlib.util.spec_from_file_location('pxc_test_render', os.path.join(HERE, 'test_render.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


R = _load_render()
FILTERS = R.PxcFilters().filters()

VARIANTS = {
    # PXC 8.0, automatic mode: the component, every setting, GCache encryption merged into the operator's options.
    'at_rest_80': {'pxc_encrypt_at_rest': True, 'pxc_wsrep_provider_options': 'gcache.size=1G'},
    # PXC 8.4 (component only), manual mode with SST encrypted, without GCache encryption, another plugin directory.
    'at_rest_84_manual': {'pxc_version': '8.4', 'pxc_encrypt_mode': 'manual', 'pxc_encrypt_at_rest': True,
                          'pxc_at_rest_gcache': False, 'pxc_plugin_dir': '/usr/lib64/mysql/plugin',
                          'pxc_keyring_component_data': '/srv/keyring/pxc'},
    # PXC 8.0 with the keyring_file plugin instead of the component: no manifest, early-plugin-load in the drop-in.
    'at_rest_80_plugin': {'pxc_encrypt_at_rest': True, 'pxc_keyring_file': True},
}


def _check(path, text):
    if os.environ.get('PXC_GOLDEN_UPDATE'):
        with open(path, 'w') as handle:
            handle.write(text)
    with open(path) as handle:
        expected = handle.read()
    assert text == expected, '%s differs (PXC_GOLDEN_UPDATE=1 to regenerate)' % path


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_dropin_matches_golden(variant):
    text, role_vars = R.render('db1', VARIANTS[variant])
    assert FILTERS['pxc_problems'](role_vars.get('__pxc_settings')) == []
    _check(os.path.join(GOLDEN, variant + '.cnf'), text)


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_keyring_files_match_golden(variant):
    files = R.RoleVars('db1', VARIANTS[variant]).get('__pxc_at_rest_files')
    names = sorted(os.path.basename(p) for p in files)
    if VARIANTS[variant].get('pxc_keyring_file'):
        assert files == {}
        return
    assert names == ['component_keyring_file.cnf', 'mysqld.my']
    for path, content in files.items():
        _check(os.path.join(GOLDEN, '%s.%s' % (variant, os.path.basename(path))), content)


def test_every_golden_file_has_a_variant():
    made = set()
    for variant in VARIANTS:
        made.add(variant + '.cnf')
        if not VARIANTS[variant].get('pxc_keyring_file'):
            made.update([variant + '.mysqld.my', variant + '.component_keyring_file.cnf'])
    assert sorted(os.listdir(GOLDEN)) == sorted(made)


def test_paths_and_json_of_the_component_files():
    files = R.RoleVars('db1', VARIANTS['at_rest_84_manual']).get('__pxc_at_rest_files')
    manifest = json.loads(files['/usr/sbin/mysqld.my'])
    config = json.loads(files['/usr/lib64/mysql/plugin/component_keyring_file.cnf'])
    # Global manifest: the component only, and no local manifest in the data directory.
    assert manifest == {'read_local_manifest': False, 'components': 'file://component_keyring_file'}
    # Both keys are mandatory for the component.
    assert config == {'path': '/srv/keyring/pxc', 'read_only': False}


def test_settings_and_gcache_in_the_dropin():
    text, dummy = R.render('db1', VARIANTS['at_rest_80'])
    mysqld = R._sections(text)['mysqld']
    for option in ('default_table_encryption', 'table_encryption_privilege_check', 'innodb_redo_log_encrypt',
                   'innodb_undo_log_encrypt', 'binlog_encryption', 'innodb_temp_tablespace_encrypt',
                   'encrypt_tmp_files'):
        assert mysqld[option] == 'ON', option
    # Merged into the operator's string; the keyring component is not loaded from my.cnf.
    assert mysqld['wsrep_provider_options'] == ('gcache.size=1G; socket.ssl_cipher=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:'
                                                'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:'
                                                'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305; '
                                                'gcache.encryption=yes; allocator.disk_pages_encryption=yes')
    assert 'early-plugin-load' not in mysqld


def test_our_gcache_keys_win_over_the_operators():
    # Only these keys are ours; like socket.ssl*, a value the operator left is replaced in place.
    text, dummy = R.render('db1', {'pxc_encrypt_at_rest': True, 'pxc_wsrep_provider_options': 'gcache.encryption=no'})
    assert R._sections(text)['mysqld']['wsrep_provider_options'].startswith('gcache.encryption=yes;')


def test_off_by_default_writes_nothing_of_it():
    text, role_vars = R.render('db1', {})
    assert 'default_table_encryption' not in text and 'gcache.encryption' not in text
    assert role_vars.get('__pxc_at_rest_files') == {}
    assert role_vars.get('__pxc_keyring') == 'none'


def test_the_guard_input_names_the_keyring():
    assert R.RoleVars('db1', VARIANTS['at_rest_80']).get('__pxc_keyring') == 'component'
    assert R.RoleVars('db1', VARIANTS['at_rest_80_plugin']).get('__pxc_keyring') == 'plugin'
    assert R.RoleVars('db1', VARIANTS['at_rest_80']).get('__pxc_keyring_path') == (
        '/var/lib/mysql-keyring/component_keyring_file')


# ---------------------------------------------------------------- bad input through the role's own glue

BAD = {
    'sst_plain': ({'pxc_encrypt_mode': 'manual', 'pxc_tls_sst': False, 'pxc_encrypt_at_rest': True},
                  'data at rest needs SST encryption'),
    'keyring_in_datadir': ({'pxc_encrypt_at_rest': True, 'pxc_keyring_component_data': '/var/lib/mysql/keyring'},
                           'is inside the data directory /var/lib/mysql'),
    'relative_keyring': ({'pxc_encrypt_at_rest': True, 'pxc_keyring_component_data': 'keyring'},
                         'is not an absolute path'),
    'plugin_on_84': ({'pxc_version': '8.4', 'pxc_encrypt_at_rest': True, 'pxc_keyring_file': True},
                     'removed in MySQL/PXC 8.4'),
    'two_keyrings': ({'pxc_encrypt_at_rest': True,
                      'pxc_config_overrides': {'mysqld': {'early-plugin-load': 'keyring_file.so'}}},
                     'only one keyring may be loaded'),
    'override_turns_off': ({'pxc_encrypt_at_rest': True,
                            'pxc_config_overrides': {'mysqld': {'binlog_encryption': 'OFF'}}},
                           'turns [mysqld] binlog_encryption off'),
}


@pytest.mark.parametrize('case', sorted(BAD))
def test_bad_input_is_refused(case):
    inventory, expected = BAD[case]
    problems = FILTERS['pxc_problems'](R.RoleVars('db1', inventory).get('__pxc_settings'))
    assert any(expected in p for p in problems), problems


def test_same_input_without_data_at_rest_passes():
    # Control: each bad input above is accepted once data at rest is off (only 8.4's plugin rule stays).
    for case, (inventory, dummy) in BAD.items():
        good = dict(inventory, pxc_encrypt_at_rest=False)
        problems = FILTERS['pxc_problems'](R.RoleVars('db1', good).get('__pxc_settings'))
        if case == 'plugin_on_84':
            assert any('removed in MySQL/PXC 8.4' in p for p in problems)
        else:
            assert problems == [], (case, problems)


def test_data_at_rest_compared_across_hosts():
    per_host = {'db1': {'pxc_encrypt_at_rest': True}, 'db2': {'pxc_encrypt_at_rest': True},
                'db3': {'pxc_encrypt_at_rest': False}}
    facts = {}
    for host, inventory in per_host.items():
        role_vars = R.RoleVars(host, inventory)
        kind = role_vars.get('__pxc_keyring')
        facts[host] = {'at_rest': inventory['pxc_encrypt_at_rest'], 'keyring': None if kind == 'none' else kind}
    assert FILTERS['pxc_at_rest_problems'](facts) == [
        'data at rest is on for db1, db2 but not for db3; PXC does not allow nodes with and without a keyring in one '
        'cluster (an encrypted table created on one fails on the others)']
    facts['db3'] = dict(facts['db1'])
    assert FILTERS['pxc_at_rest_problems'](facts) == []
