# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Percona XtraDB Cluster 8.0/8.4 traffic encryption: the sections of our drop-in and the checks of the operator's input.

Controller side: the filter plugin clustersec.mysql.pxc wraps build_sections, problems and keyring_problems, so
that every mistake in the inventory is reported before any node is touched. What needs the node's file system
(PXC's certificate lookup, other option files, the running state) is in pxc_node. Plain functions, no Ansible
imports.

The merge of socket.ssl* keys into wsrep_provider_options is NOT done here: the role does it with the
clustersec.mysql.wsrep_options_merge filter (module_utils.galera.wsrep_options) and hands us the result.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import drop_in as _drop_in
from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import at_rest as _at_rest
from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import tls as pxc_tls
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.dhparams import DEFAULT_DHPARAMS_BITS
from ansible_collections.clustersec.mysql.plugins.module_utils._common.mycnf import (
    find, format_value, has, truthy, unquote, value_of)

MODES = ('automatic', 'manual')
VERSIONS = ('8.0', '8.4')
# PXC 8 xtrabackup-v2 SST: 0 = plain, 4 = TLS with ssl-ca/ssl-cert/ssl-key. 5.7's 1, 2 and 3 were removed.
SST_ENCRYPT_VALUES = (0, 4)
KEYRING_PLUGIN = 'keyring_file.so'
# (result name, option under [mysqld], file PXC looks for in the data directory when the option is unset)
LOOKUP = (('ca', 'ssl-ca', 'ca.pem'), ('cert', 'ssl-cert', 'server-cert.pem'), ('key', 'ssl-key', 'server-key.pem'))


def _flag(settings, key, default):
    """A switch as Ansible may hand it over: bool, or 'true'/'no'/... from the command line."""
    return truthy(settings.get(key), default)


def build_sections(settings):
    """The drop-in as {section: {option: formatted value}}, in the order written; operator overrides applied last.

    settings (the role builds it in vars/main.yml): mode, cluster_name, cluster_address (peer list), node_name,
    node_address, bind_address, provider, sst_method, provider_options (already merged with
    wsrep_options_merge), tls_ca/tls_cert/tls_key ([mysqld]; in automatic mode empty means "data directory"),
    tls_client_server, tls_client_cert, tls_client_key, tls_versions, tls_cipher, require_secure_transport,
    sst_tls, sst_ca, sst_cert, sst_key, keyring_file, keyring_file_data, overrides; data at rest (pxc_at_rest):
    encrypt_at_rest, keyring_component_data, mysqld_dir, plugin_dir, at_rest_gcache, datadir.
    """
    mode = settings.get('mode')
    manual = mode == 'manual'
    client_server = _flag(settings, 'tls_client_server', True)
    mysqld = _drop_in.galera_mysqld(settings, 'pxc')
    mysqld['pxc-encrypt-cluster-traffic'] = not manual
    # Automatic mode: these are where PXC looks first (empty: the data directory). Manual: client-server TLS,
    # where 3306 trusts the client CA only (peers trust the cluster CA through socket.ssl_ca and [sst]).
    if not manual or client_server:
        for name, option, dummy in LOOKUP:
            value = settings.get('tls_' + name)
            if manual and name == 'ca' and settings.get('tls_client_ca'):
                value = settings['tls_client_ca']
            if value:
                mysqld[option] = value
        # Revocation on 3306 (the pki role's crl.pem with pki_crl): MySQL and PXC name it ssl_crl; Galera's group
        # communication and the SST have no CRL option.
        if settings.get('tls_crl'):
            mysqld['ssl_crl'] = settings['tls_crl']
    if client_server:
        if settings.get('tls_versions'):
            mysqld['tls_version'] = list(settings['tls_versions'])
        if settings.get('tls_cipher'):
            mysqld['ssl_cipher'] = settings['tls_cipher']
        mysqld['require_secure_transport'] = _flag(settings, 'require_secure_transport', True)
    if _flag(settings, 'keyring_file', False):
        mysqld['early-plugin-load'] = KEYRING_PLUGIN
        if settings.get('keyring_file_data'):
            mysqld['keyring_file_data'] = settings['keyring_file_data']
    # Data at rest: the keyring component is loaded by its manifest, not here; these settings need a keyring.
    mysqld.update(_at_rest.mysqld_settings(settings))
    sections = {'mysqld': mysqld}
    if client_server and settings.get('tls_ca'):
        # Automatic mode: 3306 trusts the cluster CA only, so a client-CA certificate would be refused.
        sections['client'] = {'ssl-ca': settings['tls_ca']}
        if manual and settings.get('tls_client_cert') and settings.get('tls_client_key'):
            sections['client'].update({'ssl-cert': settings['tls_client_cert'], 'ssl-key': settings['tls_client_key']})
    if manual:
        # Automatic mode leaves [sst] to PXC (it applies encrypt=4 and the [mysqld] files itself).
        if _flag(settings, 'sst_tls', True):
            sections['sst'] = {'encrypt': 4, 'ssl-ca': settings.get('sst_ca'), 'ssl-cert': settings.get('sst_cert'),
                               'ssl-key': settings.get('sst_key')}
        else:
            sections['sst'] = {'encrypt': 0}
    _drop_in.apply_overrides(sections, overrides(settings.get('overrides')), 'pxc', find)
    return dict((section, dict((key, format_value(value)) for key, value in options.items()))
                for section, options in sections.items())


def overrides(value):
    """pxc_config_overrides as {section (lower case): {option: value}}; ValueError naming what is not a dict.

    build_sections and problems both read them through here, so a bad value is the same message in both.
    """
    if value in (None, ''):
        return {}
    if not isinstance(value, dict):
        raise ValueError('pxc_config_overrides must be a dict of sections, got %s' % type(value).__name__)
    out = {}
    for section, options in value.items():
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise ValueError('pxc_config_overrides.%s must be a dict of options, got %s' % (section, type(options).__name__))
        # Values go through format_value; a section or key with a line break would write lines of its own.
        for name in [section] + list(options):
            if any(c in str(name) for c in '\r\n'):
                raise ValueError('pxc_config_overrides: %r holds a line break (\\r or \\n), which would write a line of its '
                                 'own into the option file' % (name,))
        out[str(section).strip().lower()] = options
    return out


# ---------------------------------------------------------------- validation of the operator's input

def sst_encrypt(sections, mode):
    """The [sst] encrypt value in effect as an int; 4 in automatic mode when [sst] does not set it.

    Raises ValueError for anything that is not an integer.
    """
    raw = value_of(sections.get('sst', {}), 'encrypt')
    if raw is None:
        return 4 if mode == 'automatic' else 0
    text = unquote(raw)
    if not re.match(r'^-?[0-9]+$', text or ''):
        raise ValueError("[sst] encrypt='%s' is not a number; PXC 8 accepts 0 (off) or 4 (TLS)" % text)
    return int(text)


def keyring(sections):
    """{'plugin': keyring_file.so is in early-plugin-load, 'data': keyring_file_data or None}."""
    mysqld = sections.get('mysqld', {})
    plugins = unquote(value_of(mysqld, 'early-plugin-load')) or ''
    loaded = any(os.path.basename(p.strip()) == KEYRING_PLUGIN or p.strip().split('=')[-1] == KEYRING_PLUGIN
                 for p in plugins.split(';'))
    return {'plugin': loaded, 'data': unquote(value_of(mysqld, 'keyring-file-data')) or None}


def problems(settings):
    """Everything wrong with the role's input on one node, one line each (the caller prefixes the node)."""
    out = []
    mode = settings.get('mode')
    version = str(settings.get('version', '8.0'))
    if mode not in MODES:
        out.append("pxc_encrypt_mode '%s' is not one of %s" % (mode, ', '.join(MODES)))
    if version not in VERSIONS:
        out.append("pxc_version '%s' is not one of %s" % (version, ', '.join(VERSIONS)))
    try:
        mysqld_over = overrides(settings.get('overrides')).get('mysqld', {})
    except ValueError as exc:
        return out + [str(exc)]
    if has(mysqld_over, 'wsrep-provider-options'):
        out.append('pxc_config_overrides sets [mysqld] wsrep_provider_options; set pxc_wsrep_provider_options instead '
                   '(the socket.ssl* keys are merged into it)')
    if has(mysqld_over, 'pxc-encrypt-cluster-traffic'):
        out.append('pxc_config_overrides sets [mysqld] pxc-encrypt-cluster-traffic; set pxc_encrypt_mode '
                   '(automatic = ON, manual = OFF) instead')
    try:
        sections = build_sections(settings)
    except ValueError as exc:
        return out + [str(exc)]
    try:
        encrypt = sst_encrypt(sections, mode)
    except ValueError as exc:
        out.append(str(exc))
        encrypt = None
    if encrypt is not None and encrypt not in SST_ENCRYPT_VALUES:
        out.append('[sst] encrypt=%d is not supported: PXC 8 accepts 0 (off) or 4 (TLS with ssl-ca/ssl-cert/ssl-key); '
                   '1, 2 and 3 were removed' % encrypt)
    if mode == 'automatic' and encrypt == 0:
        out.append('[sst] encrypt=0 contradicts automatic mode (pxc-encrypt-cluster-traffic=ON encrypts SST); '
                   'use pxc_encrypt_mode: manual to turn SST encryption off')
    if mode == 'manual':
        sst = sections.get('sst', {})
        if encrypt == 4:
            for option in ('ssl-ca', 'ssl-cert', 'ssl-key'):
                if not unquote(value_of(sst, option)):
                    out.append('manual mode with SST encryption: [sst] %s is empty (set pxc_tls_sst_%s)'
                               % (option, option[4:]))
        if _flag(settings, 'gcomm_tls', True):
            for name in ('ca', 'cert', 'key'):
                if not settings.get('gcomm_' + name):
                    out.append('manual mode with group-communication TLS: pxc_tls_gcomm_%s is empty' % name)
        if _flag(settings, 'tls_client_server', True):
            for name in ('ca', 'cert', 'key'):
                if not settings.get('tls_' + name):
                    out.append('manual mode with client-server TLS: pxc_tls_%s is empty' % name)
    # What the drop-in ends up with (pxc_tls_cipher or an override): 8.4 stops at start on an OpenSSL alias.
    out.extend(pxc_tls.cipher_problems(unquote(value_of(sections.get('mysqld', {}), 'ssl_cipher')), version))
    ring = keyring(sections)
    if ring['plugin']:
        if encrypt != 4:
            out.append('keyring_file is loaded (early-plugin-load=%s) but SST encryption is off: the keyring travels with '
                       'the data during SST, so [sst] encrypt=4 (or automatic mode) is mandatory' % KEYRING_PLUGIN)
        if version == '8.4':
            out.append('the keyring_file plugin was removed in MySQL/PXC 8.4 (early-plugin-load=%s would stop the '
                       'server from starting); use the component_keyring_file component' % KEYRING_PLUGIN)
    out.extend(_at_rest.problems(settings, sections, encrypt))
    bits = settings.get('dhparams_bits')
    if bits is not None and int(bits) < DEFAULT_DHPARAMS_BITS:
        out.append('pxc_dhparams_bits=%s is below %d' % (bits, DEFAULT_DHPARAMS_BITS))
    return out


def keyring_problems(sections_by_host):
    """keyring_file must be configured the same on every node: loaded everywhere or nowhere, one keyring_file_data.

    sections_by_host: {host: sections}. Messages name the hosts that differ.
    """
    rings = dict((host, keyring(sections or {})) for host, sections in (sections_by_host or {}).items())
    loaded = sorted(h for h, r in rings.items() if r['plugin'])
    if not loaded:
        return []
    out = []
    without = sorted(h for h, r in rings.items() if not r['plugin'])
    if without:
        out.append('keyring_file is loaded on %s but not on %s; the keyring configuration must be the same on every node'
                   % (', '.join(loaded), ', '.join(without)))
    paths = {}
    for host in loaded:
        paths.setdefault(rings[host]['data'] or '(plugin default)', []).append(host)
    if len(paths) > 1:
        out.append('keyring_file_data differs between nodes (the cluster does not work with different keyring '
                   'configurations): ' + '; '.join('%s on %s' % (path, ', '.join(hosts)) for path, hosts in sorted(paths.items())))
    return out
