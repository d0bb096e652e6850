# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Golden-file tests of roles/mariadb_galera: the drop-in as the role writes it, for each variant of its input.

The golden files were rendered by the hand-written template the role had before its sections were built in Python
(module_utils/mariadb/sections.py): the same input must give the same bytes, or every node would restart on upgrade.
The role's defaults/main.yml and vars/main.yml are templated the way ansible-core 2.19 does it, with the facts of
tasks/facts.yml, the collection's filters and Ansible's core filters; the result feeds templates/galera.cnf.j2.

Regenerate after an intended change:  MARIADB_GOLDEN_UPDATE=1 pytest tests/unit/roles/mariadb_galera  (then review).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import jinja2
import pytest
import yaml
from jinja2 import meta, nativetypes

from ansible.plugins.filter.core import FilterModule as CoreFilters
from ansible.plugins.filter.mathstuff import FilterModule as MathFilters
from ansible.plugins.test.core import TestModule as CoreTests
from ansible_collections.clustersec.mysql.plugins.filter.mariadb import FilterModule as MariadbFilters
from ansible_collections.clustersec.mysql.plugins.filter.wsrep import FilterModule as WsrepFilters
from ansible_collections.clustersec.mysql.plugins.module_utils._common import mycnf

HERE = os.path.dirname(os.path.abspath(__file__))
ROLE = os.path.normpath(os.path.join(HERE, '..', '..', '..', '..', 'roles', 'mariadb_galera'))
GOLDEN = os.path.join(HERE, 'golden')
HOSTS = ['db1', 'db2', 'db3']

# What tasks/facts.yml publishes with set_fact.
FACTS = {
    '__mariadb_galera_peer_addresses': list(HOSTS),
}


def comment(text):
    """Stub of ansible.builtin.comment with its defaults (plain style)."""
    return '#\n' + '\n'.join('# ' + line for line in text.splitlines()) + '\n#'


def _filters():
    out = dict(CoreFilters().filters(), comment=comment)
    out.update(MathFilters().filters())
    out.pop('default')  # Jinja's own, which handles a missing attribute as Ansible does
    for module in (WsrepFilters(), MariadbFilters()):
        for name, func in module.filters().items():
            out['clustersec.mysql.' + name] = func
    return out


def _concat(values):
    parts = list(values)
    if len(parts) == 1:
        return parts[0]
    return ''.join(str(p) for p in parts)


class _NativeEnv(nativetypes.NativeEnvironment):
    concat = staticmethod(_concat)


def _load(name):
    with open(os.path.join(ROLE, name)) as handle:
        return yaml.safe_load(handle) or {}


class RoleVars(object):
    """Variables of one host: role defaults < inventory (the variant) < role vars, templated on first use."""

    def __init__(self, host, inventory):
        self.raw = dict(_load('defaults/main.yml'))
        self.raw.update(inventory)
        self.raw.update(_load('vars/main.yml'))
        self.raw.update(FACTS)
        self.raw.update({'inventory_hostname': host, 'ansible_play_hosts_all': HOSTS, 'ansible_managed': 'Ansible managed'})
        self.env = _NativeEnv(undefined=jinja2.StrictUndefined)
        self.env.filters.update(_filters())
        self.env.tests.update(CoreTests().tests())
        self.done = {}

    def get(self, name):
        if name not in self.done:
            self.done[name] = self._template(self.raw[name])
        return self.done[name]

    def context(self, source):
        names = meta.find_undeclared_variables(self.env.parse(source))
        return dict((n, self.get(n)) for n in names if n in self.raw)

    def _template(self, value):
        if isinstance(value, dict):
            return dict((k, self._template(v)) for k, v in value.items())
        if isinstance(value, list):
            return [self._template(v) for v in value]
        if isinstance(value, str) and ('{{' in value or '{%' in value):
            return self.env.from_string(value).render(self.context(value))
        return value


def render(host, inventory):
    role_vars = RoleVars(host, inventory)
    with open(os.path.join(ROLE, 'templates', 'galera.cnf.j2')) as handle:
        source = handle.read()
    env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.Undefined)
    env.filters.update(_filters())
    env.tests.update(CoreTests().tests())
    return env.from_string(source).render(role_vars.context(source)), role_vars


VARIANTS = {
    'default': {},
    # molecule/mariadb_galera/converge.yml
    'molecule': {'mariadb_galera_require_secure_transport': True,
                 'mariadb_galera_wsrep_provider_options': 'gcache.size=64M; gcs.fc_limit=32'},
    'molecule_rsync': {'mariadb_galera_sst_method': 'rsync',
                       'mariadb_galera_wsrep_provider_options': 'gcache.size=64M; gcs.fc_limit=32'},
    'rsync_tunnel_sockopt': {'mariadb_galera_sst_method': 'rsync_tunnel', 'mariadb_galera_sst_sockopt': 'pf=ip4'},
    'sockopt_with_cipher': {'mariadb_galera_sst_sockopt': 'cipher=HIGH,pf=ip4', 'mariadb_galera_tls_dynamic': True},
    'no_cipher': {'mariadb_galera_tls_cipher': '', 'mariadb_galera_require_secure_transport': False},
    'plain': {'mariadb_galera_tls_enabled': False},
    'plain_gcomm_only': {'mariadb_galera_tls_client_server': False, 'mariadb_galera_tls_sst': False},
    'crl': {'pki_crl': True},
    # molecule/galera_smoke (data at rest, binlog overrides)
    'at_rest_overrides': {'mariadb_galera_encrypt_at_rest': True,
                          'mariadb_galera_config_overrides': {'mysqld': {'log_bin': 'mysql-bin', 'log_slave_updates': 'ON'},
                                                              'mariadb': {'max_connections': 500}}},
    'at_rest_on_tables': {'mariadb_galera_encrypt_at_rest': 'true', 'mariadb_galera_at_rest_tables': 'ON',
                          'mariadb_galera_allow_insecure': ['unencrypted_tables'], 'mariadb_galera_at_rest_default_key_id': 3},
}


def _golden(name):
    return os.path.join(GOLDEN, name + '.cnf')


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_render_matches_golden(variant):
    text, dummy = render('db1', VARIANTS[variant])
    if os.environ.get('MARIADB_GOLDEN_UPDATE'):
        with open(_golden(variant), 'w') as handle:
            handle.write(text)
    with open(_golden(variant)) as handle:
        expected = handle.read()
    assert text == expected, 'rendering of %s differs from %s (MARIADB_GOLDEN_UPDATE=1 to regenerate)' % (
        variant, _golden(variant))


def test_every_golden_file_has_a_variant():
    assert sorted(f[:-4] for f in os.listdir(GOLDEN) if f.endswith('.cnf')) == sorted(VARIANTS)


def test_the_file_reads_back_with_every_channel():
    parsed = mycnf.parse_cnf(render('db2', VARIANTS['at_rest_overrides'])[0])
    assert parsed['mysqld']['wsrep_node_name'] == 'db2'
    assert parsed['mysqld']['ssl_ca'].endswith('client-ca.pem') and parsed['sst']['encrypt'] == '4'
    assert parsed['mysqld']['plugin_load_add'] == 'file_key_management' and parsed['mysqld']['log_bin'] == 'mysql-bin'
    assert parsed['mariadb']['max_connections'] == '500' and parsed['client-mariadb']['ssl'] == 'ON'
