# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Golden-file tests of roles/pxc: the drop-in as the role writes it, for each encryption variant.

The role's own defaults/main.yml and vars/main.yml are templated the way ansible-core 2.19 does it (lazily, a
template that is one expression keeps its native type, anything else is a string), with the collection's filters
loaded directly under their FQCNs and Ansible's core filters; the result feeds templates/pxc.cnf.j2. So what is
compared is the whole chain: defaults -> vars/main.yml (wsrep_options_merge, pxc_sections) -> template.

Regenerate after an intended change:  PXC_GOLDEN_UPDATE=1 pytest tests/unit/roles/pxc  (then review the diff).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import jinja2
import pytest
import yaml
from jinja2 import meta, nativetypes

from ansible.plugins.filter.core import FilterModule as CoreFilters
from ansible_collections.clustersec.mysql.plugins.filter.pxc import FilterModule as PxcFilters
from ansible_collections.clustersec.mysql.plugins.filter.wsrep import FilterModule as WsrepFilters

HERE = os.path.dirname(os.path.abspath(__file__))
ROLE = os.path.normpath(os.path.join(HERE, '..', '..', '..', '..', 'roles', 'pxc'))
GOLDEN = os.path.join(HERE, 'golden')
HOSTS = ['db1', 'db2', 'db3']
ANSIBLE_MANAGED = 'Ansible managed'


def comment(text):
    """Stub of ansible.builtin.comment with its defaults (plain style)."""
    return '#\n' + '\n'.join('# ' + line for line in text.splitlines()) + '\n#'


def _filters():
    out = dict(CoreFilters().filters(), comment=comment)
    for module in (WsrepFilters(), PxcFilters()):
        for name, func in module.filters().items():
            out['clustersec.mysql.' + name] = func
    return out


def _concat(values):
    """ansible-core 2.19: one expression keeps its native type; several parts make a string (no literal_eval)."""
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
        self.raw.update({'inventory_hostname': host, 'ansible_play_hosts_all': HOSTS, 'ansible_managed': ANSIBLE_MANAGED,
                         # set_fact in tasks/preflight.yml: every node's pxc_node_address (default: its name)
                         '__pxc_peer_addresses': list(HOSTS)})
        self.env = _NativeEnv(undefined=jinja2.StrictUndefined)
        self.env.filters.update(_filters())
        self.done = {}
        self.stack = []

    def get(self, name):
        if name not in self.done:
            if name in self.stack:
                raise RuntimeError('recursive variable %s (%s)' % (name, ' -> '.join(self.stack)))
            self.stack.append(name)
            self.done[name] = self._template(self.raw[name])
            self.stack.pop()
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
    """The drop-in of host, as ansible.builtin.template writes it (trim_blocks, trailing newline kept)."""
    role_vars = RoleVars(host, inventory)
    with open(os.path.join(ROLE, 'templates', 'pxc.cnf.j2')) as handle:
        source = handle.read()
    env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters.update(_filters())
    return env.from_string(source).render(role_vars.context(source)), role_vars


MIXED = {
    'pxc_encrypt_mode': 'manual',
    'pxc_wsrep_provider_options': 'gcache.size=2G; socket.ssl_ca=/old/ca.pem; gcs.fc_limit=160',
    # client-server: the pki files; SST and group communication: their own CA and certificates.
    'pxc_tls_sst_ca': '/etc/mysql/sst/ca.pem', 'pxc_tls_sst_cert': '/etc/mysql/sst/node.pem',
    'pxc_tls_sst_key': '/etc/mysql/sst/node-key.pem',
    'pxc_tls_gcomm_ca': '/etc/mysql/gcomm/ca.pem', 'pxc_tls_gcomm_cert': '/etc/mysql/gcomm/node.pem',
    'pxc_tls_gcomm_key': '/etc/mysql/gcomm/node-key.pem',
    'pxc_require_secure_transport': True,
    'pxc_config_overrides': {'sst': {'inno-backup-opts': '--parallel=4'}},
}

VARIANTS = {
    # Defaults: pxc-encrypt-cluster-traffic=ON with the pki files under [mysqld].
    'automatic': {},
    # Automatic mode with MySQL's data directory files; the operator's stale socket.ssl* keys are removed.
    'automatic_datadir': {'pxc_tls_ca': '', 'pxc_tls_cert': '', 'pxc_tls_key': '',
                          'pxc_wsrep_provider_options': 'gcache.size=1G;socket.ssl=no;socket.ssl_key=/x/key.pem'},
    # Manual mode, every channel on with the same files, the operator's provider options kept.
    'manual': {'pxc_encrypt_mode': 'manual', 'pxc_wsrep_provider_options': 'gcache.size=1G; evs.keepalive_period=PT3S'},
    # Manual mode with a different CA and certificate per channel.
    'manual_mixed_certificates': MIXED,
    # Manual mode with SST and group communication left plain (allowed, warned about in the file).
    'manual_plain_replication': {'pxc_encrypt_mode': 'manual', 'pxc_tls_sst': False, 'pxc_tls_gcomm': 'false',
                                 'pxc_wsrep_provider_options': 'socket.ssl=yes;socket.ssl_ca=/c.pem;gcache.size=1G'},
    # keyring_file with automatic mode, plus operator overrides.
    'keyring': {'pxc_keyring_file': True,
                'pxc_config_overrides': {'mysqld': {'max_connections': 500, 'skip-name-resolve': None}}},
    # keyring_file with manual mode: SST is encrypted, so it is accepted.
    'keyring_manual': {'pxc_encrypt_mode': 'manual', 'pxc_keyring_file': True,
                       'pxc_keyring_file_data': '/var/lib/mysql-keyring/pxc'},
    # Revocation (the pki role's pki_crl): ssl_crl on 3306 to the crl.pem it distributes, in both modes.
    'crl_automatic': {'pki_crl': True},
    'crl_manual': {'pki_crl': True, 'pxc_encrypt_mode': 'manual'},
}


def _golden(name):
    return os.path.join(GOLDEN, name + '.cnf')


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_render_matches_golden(variant):
    text, role_vars = render('db1', VARIANTS[variant])
    assert PxcFilters().filters()['pxc_problems'](role_vars.get('__pxc_settings')) == []
    if os.environ.get('PXC_GOLDEN_UPDATE'):
        with open(_golden(variant), 'w') as handle:
            handle.write(text)
    with open(_golden(variant)) as handle:
        expected = handle.read()
    assert text == expected, 'rendering of %s differs from %s (PXC_GOLDEN_UPDATE=1 to regenerate)' % (
        variant, _golden(variant))


def test_every_golden_file_has_a_variant():
    assert sorted(f[:-4] for f in os.listdir(GOLDEN) if f.endswith('.cnf')) == sorted(VARIANTS)


def _sections(text):
    from ansible_collections.clustersec.mysql.plugins.module_utils._common import mycnf
    return mycnf.parse_cnf(text)


def test_automatic_file_reads_back_as_automatic():
    from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import node as pxc_node
    text, dummy = render('db1', VARIANTS['automatic'])
    parsed = _sections(text)
    assert pxc_node.encryption_state(parsed) == {'mode': 'automatic', 'gcomm_tls': True, 'sst_encrypt': 4}
    assert 'sst' not in parsed
    lookup = pxc_node.tls_lookup(parsed, '/var/lib/mysql')
    assert [lookup[k]['path'] for k in ('ca', 'cert', 'key')] == [
        '/etc/mysql/certs/ca.pem', '/etc/mysql/certs/server-cert.pem', '/etc/mysql/certs/server-key.pem']


def test_datadir_variant_resolves_to_the_data_directory():
    from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import node as pxc_node
    text, dummy = render('db1', VARIANTS['automatic_datadir'])
    parsed = _sections(text)
    # Automatic mode: PXC sets socket.ssl/_ca/_cert/_key itself; the suite list is ours and survives.
    assert parsed['mysqld']['wsrep_provider_options'] == ('gcache.size=1G; socket.ssl_cipher=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:'
                                                          'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:'
                                                          'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305')
    lookup = pxc_node.tls_lookup(parsed, '/var/lib/mysql')
    assert [lookup[k]['path'] for k in ('ca', 'cert', 'key')] == [
        '/var/lib/mysql/ca.pem', '/var/lib/mysql/server-cert.pem', '/var/lib/mysql/server-key.pem']


def test_mixed_file_has_each_channels_own_files():
    text, dummy = render('db1', MIXED)
    parsed = _sections(text)
    # Manual mode: 3306 trusts the client CA only; SST and group communication their own (cluster) CAs.
    assert parsed['mysqld']['ssl-ca'] == '/etc/mysql/certs/client-ca.pem'
    assert parsed['sst']['ssl-ca'] == '/etc/mysql/sst/ca.pem' and parsed['sst']['encrypt'] == '4'
    # The one merge: the stale socket.ssl_ca is updated in place, the operator's keys keep their order.
    assert parsed['mysqld']['wsrep_provider_options'] == (
        'gcache.size=2G; socket.ssl_ca=/etc/mysql/gcomm/ca.pem; gcs.fc_limit=160; socket.ssl=yes; '
        'socket.ssl_cert=/etc/mysql/gcomm/node.pem; socket.ssl_key=/etc/mysql/gcomm/node-key.pem; '
        'socket.ssl_cipher=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:'
        'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:'
        'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305')


# ---------------------------------------------------------------- bad input through the role's own glue

BAD = {
    'sst_encrypt_3': ({'pxc_encrypt_mode': 'manual', 'pxc_config_overrides': {'sst': {'encrypt': 3}}},
                      '[sst] encrypt=3 is not supported'),
    'keyring_without_sst': ({'pxc_encrypt_mode': 'manual', 'pxc_tls_sst': False, 'pxc_keyring_file': True},
                            'SST encryption is off'),
    'keyring_override_without_sst': ({'pxc_encrypt_mode': 'manual', 'pxc_tls_sst': 'no',
                                      'pxc_config_overrides': {'mysqld': {'early-plugin-load': 'keyring_file.so'}}},
                                     'SST encryption is off'),
    'automatic_sst_off': ({'pxc_config_overrides': {'sst': {'encrypt': 0}}}, 'contradicts automatic mode'),
    'unknown_mode': ({'pxc_encrypt_mode': 'auto'}, "pxc_encrypt_mode 'auto'"),
    'keyring_on_84': ({'pxc_version': '8.4', 'pxc_keyring_file': True}, 'removed in MySQL/PXC 8.4'),
    'provider_options_override': ({'pxc_config_overrides': {'mysqld': {'wsrep_provider_options': 'socket.ssl=no'}}},
                                  'set pxc_wsrep_provider_options instead'),
    'small_dhparams': ({'pxc_dhparams_bits': 1024}, 'pxc_dhparams_bits=1024 is below 2048'),
}


@pytest.mark.parametrize('case', sorted(BAD))
def test_bad_input_is_refused(case):
    inventory, expected = BAD[case]
    problems = PxcFilters().filters()['pxc_problems'](RoleVars('db1', inventory).get('__pxc_settings'))
    assert any(expected in p for p in problems), problems


def test_keyring_paths_compared_across_hosts():
    # tasks/preflight.yml publishes __pxc_sections_fact on every host and compares them.
    per_host = {'db1': {'pxc_keyring_file': True}, 'db2': {'pxc_keyring_file': True},
                'db3': {'pxc_keyring_file': True, 'pxc_keyring_file_data': '/srv/keyring'}}
    facts = dict((h, RoleVars(h, inv).get('__pxc_sections')) for h, inv in per_host.items())
    problems = PxcFilters().filters()['pxc_keyring_problems'](facts)
    assert problems == ['keyring_file_data differs between nodes (the cluster does not work with different keyring '
                        'configurations): /srv/keyring on db3; /var/lib/mysql-keyring/keyring on db1, db2']


@pytest.mark.parametrize('variant', ['automatic', 'manual', 'manual_plain_replication', 'keyring'])
def test_no_crl_without_pki_crl(variant):
    text, dummy = render('db1', VARIANTS[variant])
    assert 'crl' not in text
    text, dummy = render('db1', dict(VARIANTS[variant], pki_crl=False))
    assert 'crl' not in text


@pytest.mark.parametrize('mode', ['automatic', 'manual'])
def test_pki_crl_sets_ssl_crl_on_3306(mode):
    text, role_vars = render('db1', {'pki_crl': True, 'pxc_encrypt_mode': mode})
    parsed = _sections(text)
    assert parsed['mysqld']['ssl_crl'] == '/etc/mysql/certs/crl.pem'
    # 3306 only: [client], [sst] and the group-communication options do not name it.
    assert all('crl' not in k for section in parsed if section != 'mysqld' for k in parsed[section])
    assert 'crl' not in parsed['mysqld']['wsrep_provider_options']
    assert PxcFilters().filters()['pxc_problems'](role_vars.get('__pxc_settings')) == []


def test_crl_follows_pxc_tls_dir_and_can_be_set_or_turned_off():
    assert _sections(render('db1', {'pki_crl': 'true', 'pxc_tls_dir': '/srv/tls'})[0])['mysqld']['ssl_crl'] == \
        '/srv/tls/crl.pem'
    assert _sections(render('db1', {'pxc_tls_crl': '/etc/pki/mysql.crl'})[0])['mysqld']['ssl_crl'] == '/etc/pki/mysql.crl'
    assert 'ssl_crl' not in _sections(render('db1', {'pki_crl': True, 'pxc_tls_crl': ''})[0])['mysqld']


def test_no_crl_without_client_server_tls():
    # Manual mode with 3306 left plain has no TLS there to check a client certificate on.
    parsed = _sections(render('db1', {'pki_crl': True, 'pxc_encrypt_mode': 'manual', 'pxc_tls_client_server': False,
                                      'pxc_allow_insecure': ['plaintext_clients']})[0])
    assert 'ssl_crl' not in parsed['mysqld']


def test_node_name_differs_per_host():
    text2, dummy = render('db2', {})
    assert 'wsrep_node_name = db2' in text2 and 'wsrep_cluster_address = gcomm://db1,db2,db3' in text2
