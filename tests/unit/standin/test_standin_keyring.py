# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stand-in's keyring component (what the molecule scenario's data-at-rest test relies on): the manifest beside
mysqld names the component, which needs its library in plugin_dir and a configuration with "path" and "read_only";
a server that cannot load it does not start. Each refusal with a control that starts."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest

from .conftest import automatic


@pytest.fixture
def layout(tmp_path, monkeypatch):
    """A mysqld directory with the manifest and a plugin directory with the component and its configuration."""
    sbin, plugin, keyring = tmp_path / 'sbin', tmp_path / 'plugin', tmp_path / 'keyring'
    for d in (sbin, plugin, keyring):
        d.mkdir()
    monkeypatch.setenv('PXC_STANDIN_MANIFEST_DIR', str(sbin))
    manifest = {'read_local_manifest': False, 'components': 'file://component_keyring_file'}
    (sbin / 'mysqld.my').write_text(json.dumps(manifest))
    (plugin / 'component_keyring_file.so').write_text('')
    (plugin / 'component_keyring_file.cnf').write_text(json.dumps({'path': str(keyring / 'ring'), 'read_only': False}))
    return {'sbin': sbin, 'plugin': plugin, 'keyring': keyring}


def _server_json(server):
    with open(os.path.join(server.env['PXC_STANDIN_STATE_DIR'], 'server.json')) as handle:
        return json.load(handle)


def test_loads_the_component_and_answers_the_settings(standin, pki, layout):
    server = standin(plugin_dir=str(layout['plugin']), default_table_encryption='ON', **automatic(pki))
    keyring = _server_json(server)['keyring']
    assert keyring['component'] == 'component_keyring_file'
    assert keyring['path'] == str(layout['keyring'] / 'ring') and keyring['read_only'] is False
    assert server.sql('SELECT @@default_table_encryption')[1].strip() == 'ON'


def test_no_manifest_no_keyring(standin, pki, layout):
    os.unlink(str(layout['sbin'] / 'mysqld.my'))
    server = standin(plugin_dir=str(layout['plugin']), **automatic(pki))
    assert _server_json(server)['keyring'] is None


@pytest.mark.parametrize('breakage, message', [
    ('library', "Cannot load component from specified URN: 'file://component_keyring_file'"),
    ('config', 'no configuration file'),
    ('read_only', "'read_only' is missing"),
    ('json', 'cannot read the component_keyring_file configuration'),
])
def test_refuses_to_start_without_its_keyring(standin, pki, layout, breakage, message):
    if breakage == 'library':
        os.unlink(str(layout['plugin'] / 'component_keyring_file.so'))
    elif breakage == 'config':
        os.unlink(str(layout['plugin'] / 'component_keyring_file.cnf'))
    elif breakage == 'read_only':
        (layout['plugin'] / 'component_keyring_file.cnf').write_text(json.dumps({'path': '/x'}))
    else:
        (layout['plugin'] / 'component_keyring_file.cnf').write_text('{"path": ')
    with pytest.raises(AssertionError) as failed:
        standin(plugin_dir=str(layout['plugin']), **automatic(pki))
    assert message in str(failed.value), str(failed.value)
