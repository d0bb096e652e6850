# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Percona XtraDB Cluster 8.0/8.4: the checks that need the node, before its encryption settings change.

PXC's certificate lookup rule for pxc-encrypt-cluster-traffic=ON, options that other files of the option
directory set as well, the node's encryption state (previous drop-in, running server) and the changes that need
the whole cluster stopped. The module clustersec.mysql.pxc_preflight is a thin wrapper around node_checks; the
sections it checks come from pxc_sections. Plain functions, no Ansible imports.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.dhparams import (
    DEFAULT_DHPARAMS_BITS, dhparams_problems, read_dhparams, read_dhparams_bits)
from ansible_collections.clustersec.mysql.plugins.module_utils._common.mycnf import (
    has, norm, parse_cnf, truthy, unquote, value_of)
from ansible_collections.clustersec.mysql.plugins.module_utils.pxc.sections import (
    LOOKUP, MODES, SST_ENCRYPT_VALUES, sst_encrypt)
from ansible_collections.clustersec.mysql.plugins.module_utils.galera.wsrep_options import tls_enabled

# Options that decide how traffic is encrypted. Another option file setting one of them changes what the
# server does behind our checks; MySQL does not define which file of an !includedir directory wins.
ENCRYPTION_OPTIONS = {
    'mysqld': ('pxc-encrypt-cluster-traffic', 'ssl-ca', 'ssl-cert', 'ssl-key', 'wsrep-provider-options',
               'early-plugin-load', 'keyring-file-data'),
    'sst': ('encrypt', 'ssl-ca', 'ssl-cert', 'ssl-key'),
}


def tls_lookup(sections, datadir, other_files=()):
    """PXC's rule for pxc-encrypt-cluster-traffic=ON, per file: ssl-ca/ssl-cert/ssl-key under [mysqld] (ours, else
    another option file of the directory), else ca.pem/server-cert.pem/server-key.pem in the data directory.
    [sst] is not searched. Relative paths are relative to the data directory (the server's working directory).

    Returns {'ca': {'option', 'path', 'source'}, 'cert': ..., 'key': ...}.
    """
    out = {}
    for name, option, default in LOOKUP:
        path = unquote(value_of(sections.get('mysqld', {}), option))
        source = '[mysqld] %s' % option
        if not path:
            for file_name, file_sections in other_files:
                candidate = unquote(value_of(file_sections.get('mysqld', {}), option))
                if candidate:
                    path, source = candidate, '[mysqld] %s in %s' % (option, file_name)
        if not path:
            path, source = default, 'data directory (no %s under [mysqld])' % option
        if not os.path.isabs(path):
            path = os.path.join(datadir, path)
        out[name] = {'option': option, 'path': path, 'source': source}
    return out


def missing_tls_files(lookup, exists=os.path.isfile):
    """One message per file of the lookup that is not there (PXC would fail to start)."""
    out = []
    for name, option, dummy in LOOKUP:
        entry = lookup[name]
        if not exists(entry['path']):
            out.append('automatic mode (pxc-encrypt-cluster-traffic=ON) needs %s from %s: %s does not exist, '
                       'the server would not start' % (option, entry['source'], entry['path']))
    return out


def conflicts(ours, other_files, ours_name='our drop-in', takeover=()):
    """(problems, taken_over) for options another file of the directory sets as well.

    MySQL does not define which file of an !includedir directory wins, so a file that sets an option of ours could
    override it: a packaged file named in takeover gets those options commented out (taken_over lists them, see
    mycnf_takeover); any other file is a problem naming the file and the option. An [sst] encrypt in another file is
    checked for a value PXC 8 accepts as well.
    """
    errors, taken = [], []
    for file_name, file_sections in other_files:
        for section, options in file_sections.items():
            for key, value in options.items():
                if section == 'sst' and norm(key) == 'encrypt':
                    text = unquote(value)
                    if not re.match(r'^[0-9]+$', text or '') or int(text) not in SST_ENCRYPT_VALUES:
                        errors.append("%s sets [sst] encrypt=%s; PXC 8 accepts 0 (off) or 4 (TLS)" % (file_name, text))
                if not has(ours.get(section, {}), key):
                    continue
                if file_name in takeover:
                    taken.append({'path': file_name, 'section': section, 'option': key})
                else:
                    errors.append('%s sets [%s] %s, which %s sets as well; MySQL does not define which file wins: '
                                  'remove it there, set it through the role, or add the file to pxc_packaged_option_files '
                                  'so the role comments it out' % (file_name, section, key, ours_name))
    return errors, taken


def encryption_state(sections):
    """How a configuration encrypts replication traffic: {'mode', 'gcomm_tls', 'sst_encrypt'}."""
    mysqld = sections.get('mysqld', {})
    automatic = truthy(value_of(mysqld, 'pxc-encrypt-cluster-traffic'), True)  # PXC 8 default: ON
    mode = 'automatic' if automatic else 'manual'
    if automatic:
        return {'mode': mode, 'gcomm_tls': True, 'sst_encrypt': 4}
    try:
        encrypt = sst_encrypt(sections, mode)
    except ValueError:
        encrypt = None
    return {'mode': mode, 'gcomm_tls': tls_enabled(unquote(value_of(mysqld, 'wsrep-provider-options'))),
            'sst_encrypt': encrypt}


def previous_state(dropin_sections=None, running=None):
    """The encryption state the node has now: the running server where it answered, else our previous drop-in.

    running: {'pxc_encrypt_cluster_traffic': '1'|'0'|'ON'|'OFF', 'wsrep_provider_options': '...'} or None.
    SST encryption is not a server variable, so it always comes from the drop-in (None when unknown).
    Returns None when nothing is known (a new node).
    """
    dropin = encryption_state(dropin_sections) if dropin_sections else None
    traffic = truthy((running or {}).get('pxc_encrypt_cluster_traffic'))
    if traffic is None:
        return dropin
    if traffic:
        return {'mode': 'automatic', 'gcomm_tls': True, 'sst_encrypt': 4}
    return {'mode': 'manual', 'gcomm_tls': tls_enabled(running.get('wsrep_provider_options')),
            'sst_encrypt': dropin['sst_encrypt'] if dropin and dropin['mode'] == 'manual' else None}


def encryption_changes(previous, wanted):
    """What changes in replication-traffic encryption; each of these needs the whole cluster stopped."""
    if not previous or not wanted:
        return []
    out = []
    if previous['mode'] != wanted['mode']:
        out.append('pxc-encrypt-cluster-traffic %s -> %s (%s -> %s mode)' % (
            'ON' if previous['mode'] == 'automatic' else 'OFF', 'ON' if wanted['mode'] == 'automatic' else 'OFF',
            previous['mode'], wanted['mode']))
    if previous.get('gcomm_tls') is not None and previous['gcomm_tls'] != wanted['gcomm_tls']:
        out.append('group-communication/IST TLS %s -> %s' % (
            'on' if previous['gcomm_tls'] else 'off', 'on' if wanted['gcomm_tls'] else 'off'))
    if previous.get('sst_encrypt') is not None and previous['sst_encrypt'] != wanted['sst_encrypt']:
        out.append('[sst] encrypt %s -> %s' % (previous['sst_encrypt'], wanted['sst_encrypt']))
    return out


def node_checks(datadir, mode=None, sections=None, config_dir=None, config_file=None, running=None,
                dhparams_path=None, dhparams_source=None, dhparams_min_bits=DEFAULT_DHPARAMS_BITS,
                read_bits=read_dhparams_bits, takeover_files=()):
    """Every check that needs the node's file system, reporting all problems at once. Changes nothing."""
    sections = sections or {}
    result = {'problems': [], 'tls_files': {}, 'previous': None, 'wanted': None, 'changes': [],
              'other_files': [], 'dhparams': {}, 'taken_over': []}
    problems = result['problems']
    if datadir and not os.path.isdir(datadir):
        problems.append('data directory %s does not exist (is Percona XtraDB Cluster installed?)' % datadir)
    others, dropin = [], None
    if config_dir and os.path.isdir(config_dir):
        for name in sorted(os.listdir(config_dir)):
            path = os.path.join(config_dir, name)
            if not name.endswith('.cnf') or not os.path.isfile(path):
                continue
            try:
                with open(path) as handle:
                    parsed = parse_cnf(handle.read())
            except (OSError, IOError, UnicodeDecodeError) as exc:
                problems.append('cannot read option file %s: %s' % (path, exc))
                continue
            if name == config_file:
                dropin = parsed
            else:
                others.append((path, parsed))
                result['other_files'].append(path)
    if sections:
        errors, taken = conflicts(sections, others, os.path.join(config_dir or '', config_file or 'our drop-in'),
                                  takeover_files)
        problems.extend(errors)
        result['taken_over'] = taken
    if mode == 'automatic':
        result['tls_files'] = tls_lookup(sections, datadir, others)
        for entry in result['tls_files'].values():
            entry['exists'] = os.path.isfile(entry['path'])
        problems.extend(missing_tls_files(result['tls_files']))
    if mode in MODES and sections:
        result['wanted'] = encryption_state(sections)
        result['previous'] = previous_state(dropin, running)
        result['changes'] = encryption_changes(result['previous'], result['wanted'])
    if dhparams_path:
        target = read_dhparams(dhparams_path, read_bits)
        source = read_dhparams(dhparams_source, read_bits) if dhparams_source else None
        result['dhparams'] = {'path': target['path'], 'exists': target['exists'], 'bits': target['bits'],
                              'source': source['path'] if source else None,
                              'source_exists': bool(source and source['exists']),
                              'source_bits': source['bits'] if source else None}
        problems.extend(dhparams_problems(target, source, dhparams_min_bits))
    return result
