# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pxc_at_rest: PXC data at rest - settings, the keyring component's files, and every pre-flight rule, each with a
control that passes. Node checks run against real files in a temporary directory (modes set with chmod)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import at_rest as A
from ansible_collections.clustersec.mysql.plugins.module_utils.pxc.sections import build_sections, problems


def _me(uid):
    return 'mysql'


@pytest.fixture
def node(tmp_path):
    """A node laid out like PXC: plugin dir with the component library, mysqld dir, keyring dir 0750, drop-in dir."""
    layout = {k: tmp_path / k for k in ('plugin', 'sbin', 'keyring', 'conf')}
    for path in layout.values():
        path.mkdir()
    (layout['plugin'] / A.COMPONENT_LIBRARY).write_text('')
    (layout['plugin'] / A.PLUGIN_LIBRARY).write_text('')
    os.chmod(str(layout['keyring']), 0o750)
    layout['key'] = layout['keyring'] / 'component_keyring_file'
    return layout


def check(node, kind='component', keyring_file=None, **kw):
    args = dict(config_dir=str(node['conf']), config_file='60-clustersec-pxc.cnf', user='mysql', uid_name=_me)
    args.update(kw)
    return A.node_checks(kind, keyring_file or str(node['key']), str(node['plugin']), str(node['sbin']), **args)


# ---------------------------------------------------------------- settings and files

def test_settings_only_with_data_at_rest(pxc_settings):
    assert A.mysqld_settings(pxc_settings()) == {}
    on = A.mysqld_settings(pxc_settings(encrypt_at_rest=True))
    assert list(on) == ['default_table_encryption', 'table_encryption_privilege_check', 'innodb_redo_log_encrypt',
                        'innodb_undo_log_encrypt', 'binlog_encryption', 'innodb_temp_tablespace_encrypt',
                        'encrypt_tmp_files']
    assert set(on.values()) == {'ON'}


def test_gcache_options_default_on_and_opt_out(pxc_settings):
    assert A.provider_options(pxc_settings(encrypt_at_rest=True)) == {
        'gcache.encryption': 'yes', 'allocator.disk_pages_encryption': 'yes'}
    assert A.provider_options(pxc_settings(encrypt_at_rest=True, at_rest_gcache='false')) == {}
    assert A.provider_options(pxc_settings(at_rest_gcache=True)) == {}


def test_files_are_the_manifest_and_the_config(pxc_settings):
    files = A.files(pxc_settings(encrypt_at_rest=True, keyring_component_data='/k/ring', mysqld_dir='/usr/sbin',
                                 plugin_dir='/usr/lib/mysql/plugin'))
    assert json.loads(files['/usr/sbin/mysqld.my'])['components'] == 'file://component_keyring_file'
    assert json.loads(files['/usr/lib/mysql/plugin/component_keyring_file.cnf']) == {'path': '/k/ring', 'read_only': False}
    assert A.files(pxc_settings(encrypt_at_rest=True, keyring_file=True)) == {}   # the 8.0 plugin instead
    assert A.files(pxc_settings()) == {}


# ---------------------------------------------------------------- controller rules (each with a control)

AT_REST = dict(encrypt_at_rest=True, keyring_component_data='/var/lib/mysql-keyring/component_keyring_file',
               datadir='/var/lib/mysql')


def _problems(pxc_settings, **kw):
    return problems(pxc_settings(**dict(AT_REST, **kw)))


def test_control_passes(pxc_settings):
    assert _problems(pxc_settings) == []
    assert _problems(pxc_settings, version='8.4') == []
    assert _problems(pxc_settings, mode='manual') == []   # manual mode encrypts SST by default


def test_sst_must_be_encrypted(pxc_settings):
    out = _problems(pxc_settings, mode='manual', sst_tls=False)
    assert any('data at rest needs SST encryption' in p for p in out), out


@pytest.mark.parametrize('path, expected', [
    ('/var/lib/mysql/keyring', 'is inside the data directory /var/lib/mysql'),
    ('/var/lib/mysql', 'is inside the data directory'),
    ('keyring', 'is not an absolute path'),
    ('', 'pxc_keyring_component_data is empty'),
])
def test_keyring_path(pxc_settings, path, expected):
    out = _problems(pxc_settings, keyring_component_data=path)
    assert any(expected in p for p in out), out


def test_keyring_beside_the_datadir_is_not_inside(pxc_settings):
    assert _problems(pxc_settings, keyring_component_data='/var/lib/mysql-keyring/k') == []


def test_one_keyring_only(pxc_settings):
    out = _problems(pxc_settings, overrides={'mysqld': {'early_plugin_load': 'keyring_file=keyring_file.so'}})
    assert any('only one keyring may be loaded' in p for p in out), out
    # Control: the plugin chosen through the role (8.0) is the one keyring.
    assert _problems(pxc_settings, keyring_file=True) == []


def test_plugin_keyring_on_84_refused(pxc_settings):
    out = _problems(pxc_settings, version='8.4', keyring_file=True)
    assert any('removed in MySQL/PXC 8.4' in p for p in out), out


def test_overrides_turning_a_setting_off(pxc_settings):
    out = _problems(pxc_settings, overrides={'mysqld': {'innodb-redo-log-encrypt': 0}})
    assert any('turns [mysqld] innodb-redo-log-encrypt off' in p for p in out), out
    # Control: an override that keeps it on, or another option, is fine.
    assert _problems(pxc_settings, overrides={'mysqld': {'innodb_redo_log_encrypt': 'ON', 'max_connections': 5}}) == []


def test_sections_carry_the_settings(pxc_settings):
    mysqld = build_sections(pxc_settings(**AT_REST))['mysqld']
    assert mysqld['default_table_encryption'] == 'ON' and mysqld['binlog_encryption'] == 'ON'
    assert A.dropin_at_rest({'mysqld': mysqld})
    assert not A.dropin_at_rest(build_sections(pxc_settings()))


# ---------------------------------------------------------------- across nodes

def test_cluster_alike_passes_and_keys_are_not_compared():
    same = {'db1': {'at_rest': True, 'keyring': 'component'}, 'db2': {'at_rest': True, 'keyring': 'component'}}
    assert A.cluster_problems(same) == []
    assert A.cluster_problems({'db1': {'at_rest': False, 'keyring': None}, 'db2': {'at_rest': False}}) == []


def test_cluster_mixed_on_off_names_hosts():
    out = A.cluster_problems({'db1': {'at_rest': True, 'keyring': 'component'}, 'db2': {'at_rest': False},
                              'db3': {'at_rest': 'yes', 'keyring': 'component'}})
    assert out == ['data at rest is on for db1, db3 but not for db2; PXC does not allow nodes with and without a '
                   'keyring in one cluster (an encrypted table created on one fails on the others)']


def test_cluster_mixed_keyrings_names_hosts():
    out = A.cluster_problems({'db1': {'at_rest': True, 'keyring': 'component'},
                              'db2': {'at_rest': True, 'keyring': 'plugin'}})
    assert out == ['the keyring differs between nodes (PXC recommends the same on every node): component on db1; '
                   'plugin on db2']


# ---------------------------------------------------------------- node rules (each with a control)

def test_node_control_passes(node):
    result = check(node)
    assert result['problems'] == [] and result['previous'] is None
    assert result['changes'] == ['keyring none -> component']
    node['key'].write_text('{}')
    os.chmod(str(node['key']), 0o640)   # what the server's UMASK makes
    assert check(node)['problems'] == []
    os.chmod(str(node['key']), 0o600)
    assert check(node)['problems'] == []


def test_missing_component_library(node):
    os.unlink(str(node['plugin'] / A.COMPONENT_LIBRARY))
    out = check(node)['problems']
    assert len(out) == 1 and out[0].startswith('%s does not exist' % (node['plugin'] / A.COMPONENT_LIBRARY)), out


def test_missing_plugin_library(node):
    os.unlink(str(node['plugin'] / A.PLUGIN_LIBRARY))
    out = check(node, 'plugin')['problems']
    assert any('keyring_file.so does not exist' in p for p in out), out
    assert check(node)['problems'] == []   # control: the component's library is there


@pytest.mark.parametrize('mode, expected', [
    (0o644, 'readable or writable by others (mode 0644)'),
    (0o604, 'readable or writable by others (mode 0604)'),
    (0o660, 'writable by its group (mode 0660)'),
])
def test_key_file_mode(node, mode, expected):
    node['key'].write_text('{}')
    os.chmod(str(node['key']), mode)
    out = check(node)['problems']
    assert any(expected in p and str(node['key']) in p for p in out), out


def test_key_file_owner(node):
    node['key'].write_text('{}')
    os.chmod(str(node['key']), 0o600)
    out = check(node, uid_name=lambda uid: 'root')['problems']
    assert any('is owned by root, not by the server user mysql' in p for p in out), out


def test_keyring_directory_open_to_others(node):
    os.chmod(str(node['keyring']), 0o755)
    out = check(node)['problems']
    assert any('keyring directory' in p and 'open to others (mode 0755)' in p for p in out), out


def test_foreign_manifest_is_not_replaced(node):
    (node['sbin'] / 'mysqld.my').write_text(json.dumps({'components': 'file://component_foo,file://component_keyring_file'}))
    out = check(node)['problems']
    assert any('also loads file://component_foo' in p for p in out), out
    # Control: our own manifest is accepted, and it says the component is loaded now.
    (node['sbin'] / 'mysqld.my').write_text(A.manifest_text())
    result = check(node)
    assert result['problems'] == [] and result['previous'] == 'component' and result['changes'] == []


def test_broken_manifest(node):
    (node['sbin'] / 'mysqld.my').write_text('{"components": ')
    assert any('is not valid JSON' in p for p in check(node)['problems'])


def test_config_pointing_elsewhere(node):
    (node['plugin'] / A.COMPONENT_CONFIG).write_text(A.component_config_text('/old/keyring'))
    out = check(node)['problems']
    assert any('points the keyring at /old/keyring' in p for p in out), out
    (node['plugin'] / A.COMPONENT_CONFIG).write_text(A.component_config_text(str(node['key'])))
    assert check(node)['problems'] == []


def test_turning_off_where_the_component_is_loaded(node):
    (node['sbin'] / 'mysqld.my').write_text(A.manifest_text())
    result = check(node, None)
    assert any('pxc_encrypt_at_rest is off' in p and 'could no longer read' in p for p in result['problems'])
    # Control: a node that never had it, off -> off.
    os.unlink(str(node['sbin'] / 'mysqld.my'))
    assert check(node, None) == dict(check(node, None), problems=[], changes=[], previous=None)


def test_previous_plugin_from_the_dropin(node):
    (node['conf'] / '60-clustersec-pxc.cnf').write_text('[mysqld]\nearly-plugin-load = keyring_file.so\n')
    result = check(node, 'plugin', keyring_file=str(node['key']))
    assert result['previous'] == 'plugin' and result['changes'] == []
    assert check(node)['changes'] == ['keyring plugin -> component']


@pytest.mark.parametrize('version, refused', [('8.0.30-22.1', True), ('8.0.31-23', False), ('8.4.5-5.1', False),
                                              ('8.0.36-28.1-clustersec-standin', False)])
def test_gcache_needs_8031(node, version, refused):
    out = check(node, running_version=version, gcache=True)['problems']
    assert bool(out) == refused, out
    if refused:
        assert 'needs PXC 8.0.31 or later; the running server is %s' % version in out[0]
    assert check(node, running_version=version, gcache=False)['problems'] == []


def test_version_tuple():
    assert A.version_tuple('8.0.36-28.1') == (8, 0, 36)
    assert A.version_tuple('garbage') is None
