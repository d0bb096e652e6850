# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Percona XtraDB Cluster 8.0/8.4 data at rest: the keyring, the server settings and the checks before any change.

What PXC documents, and what this follows (sources in docs/pxc.md):

* The keyring is a component on 8.0 and 8.4 (``component_keyring_file``): a global manifest ``mysqld.my`` beside the
  mysqld binary names it, and its configuration ``component_keyring_file.cnf`` in the plugin directory gives the key
  file (``{"path": ..., "read_only": false}``, both mandatory). PXC 8.0 also has the ``keyring_file`` plugin
  (``early-plugin-load``); 8.4 removed it.
* Every node has its OWN keyring: an SST donor re-encrypts the tablespace keys with a transition key that travels in
  the SST stream, and the joiner re-encrypts them with a master key it generates. So the key files differ between
  nodes by design (MariaDB's file_key_management needs the same keys everywhere; PXC does not). What must be the same
  on every node is the configuration: a keyring on all nodes or on none (a node without one fails on the first
  encrypted table another node creates), and SST encrypted (the transition key is in the stream).
* The keyring file belongs outside the data directory (an SST replaces the data directory).
* GCache and write-set cache encryption (``gcache.encryption``, ``allocator.disk_pages_encryption`` in
  wsrep_provider_options) exist from PXC 8.0.31 on (tech preview).

Plain functions, no Ansible imports. The filter plugin clustersec.mysql.pxc and the module
clustersec.mysql.pxc_at_rest_preflight wrap them.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import stat

from ansible_collections.clustersec.mysql.plugins.module_utils._common.mycnf import (
    find, parse_cnf, truthy, unquote, value_of)

COMPONENT = 'component_keyring_file'
COMPONENT_URN = 'file://' + COMPONENT
COMPONENT_LIBRARY = COMPONENT + '.so'
COMPONENT_CONFIG = COMPONENT + '.cnf'
PLUGIN_LIBRARY = 'keyring_file.so'
MANIFEST = 'mysqld.my'
KINDS = ('component', 'plugin')
# gcache.encryption and allocator.disk_pages_encryption appeared in PXC 8.0.31-23.
GCACHE_MIN_VERSION = (8, 0, 31)
GCACHE_OPTIONS = (('gcache.encryption', 'yes'), ('allocator.disk_pages_encryption', 'yes'))
# Server settings written with data at rest, in the drop-in's order. All are in Percona Server 8.0 and 8.4 (the
# first five are MySQL's; innodb_temp_tablespace_encrypt and encrypt_tmp_files are Percona's).
SETTINGS = (
    ('default_table_encryption', 'ON'),          # new schemas and tables encrypted
    ('table_encryption_privilege_check', 'ON'),  # ENCRYPTION='N' against the default needs TABLE_ENCRYPTION_ADMIN
    ('innodb_redo_log_encrypt', 'ON'),
    ('innodb_undo_log_encrypt', 'ON'),
    ('binlog_encryption', 'ON'),                 # binary and relay logs
    ('innodb_temp_tablespace_encrypt', 'ON'),    # session and global temporary tablespaces
    ('encrypt_tmp_files', 'ON'),                 # filesort, binlog cache and other temporary files
)


def _flag(settings, key, default=False):
    return truthy(settings.get(key), default)


def keyring_kind(settings):
    """The keyring the role configures: 'plugin' (keyring_file, 8.0), 'component' (data at rest) or None."""
    if _flag(settings, 'keyring_file'):
        return 'plugin'
    if _flag(settings, 'encrypt_at_rest'):
        return 'component'
    return None


def keyring_path(settings):
    """The key file of the keyring the role configures, or None."""
    kind = keyring_kind(settings)
    if kind == 'plugin':
        return settings.get('keyring_file_data') or None
    if kind == 'component':
        return settings.get('keyring_component_data') or None
    return None


def mysqld_settings(settings):
    """[mysqld] options of data at rest as {option: value}; empty when it is off."""
    if not _flag(settings, 'encrypt_at_rest'):
        return {}
    return dict(SETTINGS)


def provider_options(settings):
    """wsrep_provider_options keys of data at rest (GCache and write-set cache), to merge into the operator's string."""
    if not (_flag(settings, 'encrypt_at_rest') and _flag(settings, 'at_rest_gcache', True)):
        return {}
    return dict(GCACHE_OPTIONS)


def manifest_text():
    """The global manifest: the keyring component only; no local manifest in the data directory."""
    return json.dumps({'read_local_manifest': False, 'components': COMPONENT_URN}, indent=2) + '\n'


def component_config_text(path):
    """component_keyring_file.cnf (JSON; both keys are mandatory, the component fails without them)."""
    return json.dumps({'path': path, 'read_only': False}, indent=2) + '\n'


def files(settings):
    """The files the role writes for the keyring component, {path: content}; empty without it."""
    if keyring_kind(settings) != 'component':
        return {}
    return {os.path.join(settings.get('mysqld_dir') or '/usr/sbin', MANIFEST): manifest_text(),
            os.path.join(settings.get('plugin_dir') or '/usr/lib/mysql/plugin', COMPONENT_CONFIG):
                component_config_text(settings.get('keyring_component_data'))}


def _inside(path, directory):
    if not path or not directory:
        return False
    path, directory = os.path.normpath(path), os.path.normpath(directory)
    return path == directory or path.startswith(directory.rstrip('/') + '/')


# ---------------------------------------------------------------- controller side: the role's input

def problems(settings, sections, sst_encrypt):
    """Everything wrong with the data-at-rest input of one node (the caller prefixes the node).

    sections: the drop-in (pxc_sections), sst_encrypt: the [sst] encrypt value in effect (int or None).
    """
    out = []
    at_rest = _flag(settings, 'encrypt_at_rest')
    mysqld = sections.get('mysqld', {})
    plugins = unquote(value_of(mysqld, 'early-plugin-load')) or ''
    plugin_loaded = any(p.strip().split('=')[-1].endswith(PLUGIN_LIBRARY) for p in plugins.split(';') if p.strip())
    if not at_rest:
        return out
    kind = keyring_kind(settings)
    if kind == 'component' and plugin_loaded:
        out.append('data at rest loads the %s component and early-plugin-load loads %s as well; only one keyring '
                   'may be loaded (set pxc_keyring_file: true to keep the plugin on 8.0 instead)'
                   % (COMPONENT, PLUGIN_LIBRARY))
    # keyring_file (the plugin) has its own rule in pxc_sections.problems.
    if sst_encrypt != 4 and kind == 'component':
        out.append('data at rest needs SST encryption: the donor sends the transition key that re-encrypts the '
                   'tablespace keys inside the SST stream, so [sst] encrypt=4 (or automatic mode) is mandatory')
    path = keyring_path(settings)
    name = 'pxc_keyring_file_data' if kind == 'plugin' else 'pxc_keyring_component_data'
    if not path:
        out.append('data at rest needs a keyring file: %s is empty' % name)
    elif not os.path.isabs(path):
        out.append('%s=%s is not an absolute path (the keyring component requires one)' % (name, path))
    elif _inside(path, settings.get('datadir')):
        out.append('%s=%s is inside the data directory %s: an SST replaces the data directory, and PXC documents '
                   'that the keyring file belongs outside it' % (name, path, settings.get('datadir')))
    over = settings.get('overrides') or {}
    mysqld_over = over.get('mysqld') if isinstance(over, dict) else None
    for option, dummy in SETTINGS:
        found, value = find(mysqld_over or {}, option)
        if found is not None and truthy(value, True) is False:
            out.append('pxc_config_overrides turns [mysqld] %s off, which pxc_encrypt_at_rest turns on; '
                       'leave it to the role' % found)
    return out


def cluster_problems(state_by_host):
    """Data at rest must be configured alike on every node: on everywhere or nowhere, one kind of keyring.

    state_by_host: {host: {'at_rest': bool, 'keyring': 'component'|'plugin'|None}}. Messages name the hosts.
    Key files are NOT compared: each PXC node has its own master key (SST re-encrypts with a transition key).
    """
    out = []
    states = state_by_host or {}
    on = sorted(h for h, s in states.items() if s and truthy(s.get('at_rest'), False))
    off = sorted(h for h in states if h not in on)
    if on and off:
        out.append('data at rest is on for %s but not for %s; PXC does not allow nodes with and without a keyring in '
                   'one cluster (an encrypted table created on one fails on the others)' % (', '.join(on), ', '.join(off)))
    kinds = {}
    for host in on:
        kinds.setdefault(states[host].get('keyring') or 'none', []).append(host)
    if len(kinds) > 1:
        out.append('the keyring differs between nodes (PXC recommends the same on every node): '
                   + '; '.join('%s on %s' % (kind, ', '.join(hosts)) for kind, hosts in sorted(kinds.items())))
    return out


# ---------------------------------------------------------------- node side: files, modes, previous state

def version_tuple(text):
    """'8.0.36-28.1' -> (8, 0, 36); None when it does not start with a version."""
    match = re.match(r'^\s*(\d+)\.(\d+)\.(\d+)', str(text or ''))
    return tuple(int(g) for g in match.groups()) if match else None


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (OSError, IOError, UnicodeDecodeError):
        return None


def manifest_components(text):
    """The component URNs a manifest loads ([] for none); None when it is not valid JSON."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    value = data.get('components') or ''
    return [c.strip() for c in re.split(r'[,;]', value) if c.strip()] if isinstance(value, str) else None


def previous_keyring(manifest, dropin_sections):
    """The keyring a node has now: 'component' (the manifest loads it), 'plugin' (our previous drop-in loads
    keyring_file.so) or None."""
    if manifest is not None and COMPONENT_URN in (manifest_components(manifest) or []):
        return 'component'
    plugins = unquote(value_of((dropin_sections or {}).get('mysqld', {}), 'early-plugin-load')) or ''
    if any(p.strip().split('=')[-1].endswith(PLUGIN_LIBRARY) for p in plugins.split(';') if p.strip()):
        return 'plugin'
    return None


def _mode_problems(path, what, user, uid_name, exists_stat):
    out = []
    st = exists_stat(path)
    if st is None:
        return out
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISDIR(st.st_mode):
        if mode & 0o007:
            out.append('%s %s is open to others (mode %04o): nobody but %s may reach the keyring'
                       % (what, path, mode, user))
        return out
    # The server creates its files 0640 (UMASK); others must have nothing, the group may not write.
    if mode & 0o027:
        out.append('%s %s is %s (mode %04o); it must be readable by %s only (0600 or 0640)'
                   % (what, path, 'readable or writable by others' if mode & 0o007 else 'writable by its group',
                      mode, user))
    owner = uid_name(st.st_uid)
    if user and owner != user:
        out.append('%s %s is owned by %s, not by the server user %s' % (what, path, owner, user))
    return out


def _stat(path):
    try:
        return os.stat(path)
    except OSError:
        return None


def _uid_name(uid):
    try:
        import pwd
        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def node_checks(wanted_kind, keyring_file, plugin_dir, mysqld_dir, config_dir=None, config_file=None, user='mysql',
                running_version=None, gcache=False, exists_stat=_stat, uid_name=_uid_name):
    """Every data-at-rest check that needs the node's file system, reporting all problems at once. Changes nothing.

    Returns {'problems', 'previous', 'wanted', 'changes', 'files'}: previous/wanted are the keyring kinds (or None),
    changes what would change (it needs every node stopped, see the role's guard).
    """
    out = {'problems': [], 'previous': None, 'wanted': wanted_kind, 'changes': [], 'files': {}}
    problems = out['problems']
    manifest_path = os.path.join(mysqld_dir, MANIFEST)
    config_path = os.path.join(plugin_dir, COMPONENT_CONFIG)
    manifest = _read(manifest_path) if exists_stat(manifest_path) is not None else None
    dropin = None
    if config_dir and config_file:
        text = _read(os.path.join(config_dir, config_file))
        dropin = parse_cnf(text) if text else None
    out['previous'] = previous_keyring(manifest, dropin)
    out['files'] = {'manifest': {'path': manifest_path, 'exists': manifest is not None},
                    'component_config': {'path': config_path, 'exists': exists_stat(config_path) is not None},
                    'keyring': {'path': keyring_file, 'exists': bool(keyring_file) and exists_stat(keyring_file) is not None}}
    previous = out['previous']
    if previous == 'component' and wanted_kind != 'component':
        problems.append('the keyring component is loaded by %s but pxc_encrypt_at_rest is off: the server could no '
                        'longer read its encrypted tablespaces, binary logs and redo/undo logs. Decrypt them first '
                        '(ALTER TABLE ... ENCRYPTION=\'N\'), then remove the manifest by hand' % manifest_path)
    if previous != wanted_kind and not (previous == 'component' and wanted_kind is None):
        out['changes'].append('keyring %s -> %s' % (previous or 'none', wanted_kind or 'none'))
    if wanted_kind is None:
        return out
    library = os.path.join(plugin_dir, COMPONENT_LIBRARY if wanted_kind == 'component' else PLUGIN_LIBRARY)
    if exists_stat(library) is None:
        problems.append('%s does not exist: the server would not start without its keyring (is this PXC %s, and '
                        'is pxc_plugin_dir its plugin_dir?)' % (library, '8.0/8.4' if wanted_kind == 'component' else '8.0'))
    if wanted_kind == 'component':
        if manifest is not None:
            components = manifest_components(manifest)
            if components is None:
                problems.append('%s exists and is not valid JSON; the role would replace it' % manifest_path)
            elif set(components) - {COMPONENT_URN}:
                problems.append('%s also loads %s; the role writes a manifest with the keyring component only and '
                                'would drop them: add them by hand after removing the file, or move them to '
                                'INSTALL COMPONENT' % (manifest_path, ', '.join(sorted(set(components) - {COMPONENT_URN}))))
        text = _read(config_path) if out['files']['component_config']['exists'] else None
        if text is not None:
            try:
                current = json.loads(text)
            except ValueError:
                current = None
            old_path = current.get('path') if isinstance(current, dict) else None
            if old_path and keyring_file and os.path.normpath(old_path) != os.path.normpath(keyring_file):
                problems.append('%s points the keyring at %s, the role would point it at %s: the master keys in the '
                                'old file would no longer be read' % (config_path, old_path, keyring_file))
    if keyring_file:
        problems.extend(_mode_problems(os.path.dirname(keyring_file), 'keyring directory', user, uid_name, exists_stat))
        problems.extend(_mode_problems(keyring_file, 'keyring file', user, uid_name, exists_stat))
    if gcache and running_version:
        found = version_tuple(running_version)
        if found is not None and found < GCACHE_MIN_VERSION:
            problems.append('GCache encryption (gcache.encryption, allocator.disk_pages_encryption) needs PXC 8.0.31 '
                            'or later; the running server is %s and would refuse the options at its next start '
                            '(set pxc_at_rest_gcache: false)' % running_version)
    return out


def dropin_at_rest(sections):
    """Whether a drop-in's [mysqld] turns data at rest on (default_table_encryption), for reports and tests."""
    mysqld = (sections or {}).get('mysqld', {})
    return truthy(value_of(mysqld, 'default_table_encryption'), False) is True
