# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MariaDB data at rest (file_key_management): the pre-flight rules, before any file is written or node changed.

The role reads each node with one shell task (lines `plugin=yes`, `dropin=yes`, `keys.enc=<mode> <owner> <sha256>`,
`filekey=...`, `inuse=<key id> <count> <first tablespace>`, `inuse_read=yes`) and the controller's file key checksum;
the filter clustersec.mysql.mariadb_at_rest_problems hands them here. Plain functions, no Ansible imports: the
same shape as PXC's pre-flight (module_utils.pxc.at_rest), one message per problem, the caller names the host.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

KEY_FILES = ('keys.enc', 'filekey')
DEFAULT_KEY_IDS = [1, 2]


def _int(value):
    """Jinja's int: anything that is not a number is 0."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return 0


def _truthy(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ('1', 'true', 'yes', 'on', 'y', 't')


def node_facts(lines):
    """The shell task's `name=value` lines as a dict (a later line wins, as in the role before)."""
    out = {}
    for line in lines or []:
        if '=' in line:
            key, value = line.split('=', 1)
            out[key] = value
    return out


def _checksum(value):
    parts = (value or '').split()
    return parts[-1] if parts else ''


def _peer_checksum(lines, name):
    for line in lines or []:
        if line.startswith(name + '='):
            return _checksum(line)
    return ''


def retired_key_ids(settings):
    """The key ids this run would retire (none while pki_at_rest_defer_retire defers them)."""
    if _truthy(settings.get('defer_retire', False)):
        return []
    return [_int(k) for k in settings.get('retire_key_ids') or []]


def problems(settings):
    """Every data-at-rest problem of one node, one line each (the caller prefixes the host).

    settings (roles/mariadb_galera/tasks/preflight_at_rest.yml builds it): encrypt_at_rest, node (the shell task's
    stdout lines), peers ({host: stdout lines} of every play host, in play order), controller_filekey (the stat
    result of pki_dir/at-rest/filekey, or {}), pki_dir, at_rest_dir, plugin_dir, default_key_id, key_ids
    (pki_at_rest_key_ids), tables, allow_insecure, pki_keys (pki_at_rest_keys), retire_key_ids, defer_retire.
    """
    lines = settings.get('node') or []
    facts = node_facts(lines)
    at_rest_dir = settings.get('at_rest_dir')
    if not _truthy(settings.get('encrypt_at_rest', False)):
        if 'dropin=yes' in lines:
            return ["the node's drop-in loads file_key_management (data at rest is encrypted); with "
                    'mariadb_galera_encrypt_at_rest false the server could not read its encrypted tablespaces and logs '
                    'after the next restart. Keep it true (decrypting a cluster is not automated yet)']
        return []
    out = []
    default_key_id = settings.get('default_key_id')
    key_ids = settings.get('key_ids')
    if key_ids is None:
        key_ids = DEFAULT_KEY_IDS
    if facts.get('plugin', 'no') != 'yes':
        out.append('the server lacks the file_key_management plugin (%s/file_key_management.so not found)'
                   % settings.get('plugin_dir'))
    if _int(default_key_id) not in [_int(k) for k in [1] + list(key_ids)]:
        out.append('mariadb_galera_at_rest_default_key_id %s is not a key id of the key file (pki_at_rest_key_ids: %s)'
                   % (default_key_id, ', '.join(str(k) for k in key_ids)))
    tables = settings.get('tables')
    if str(tables).upper() != 'FORCE' and 'unencrypted_tables' not in (settings.get('allow_insecure') or []):
        out.append("mariadb_galera_at_rest_tables %s lets tables opt out of encryption (ENCRYPTED=NO); add "
                   "'unencrypted_tables' to mariadb_galera_allow_insecure to accept it (the report will show it amber), "
                   'or keep FORCE' % tables)
    if not _truthy(settings.get('pki_keys', False)):
        out.append('mariadb_galera_encrypt_at_rest needs the keys of the pki role: set pki_at_rest_keys: true')
    retire = retired_key_ids(settings)
    retire_text = ', '.join(str(k) for k in retire)
    if 1 in retire or _int(default_key_id) in retire:
        out.append('pki_at_rest_retire_key_ids %s names key id 1 (the logs and system tablespace use it) or the table key '
                   'mariadb_galera_at_rest_default_key_id %s' % (retire_text, default_key_id))
    if retire and 'inuse_read=yes' not in lines:
        out.append('cannot tell which keys its tablespaces use (the server does not answer), so key(s) %s of '
                   'pki_at_rest_retire_key_ids cannot be retired: start it first, or keep them until '
                   'playbooks/rotate_at_rest_keys.yml retires them' % retire_text)
    for line in lines:
        if not line.startswith('inuse='):
            continue
        used = (line[6:].split(' ', 2) + ['', ''])[:3]
        if _int(used[0]) in retire:
            out.append('key id %s of pki_at_rest_retire_key_ids is still used by %s tablespace(s) of the running server '
                       '(%s ...); run playbooks/rotate_at_rest_keys.yml, which moves the tables to the table key first'
                       % tuple(used))
    controller = settings.get('controller_filekey') or {}
    node_filekey = _checksum(facts.get('filekey'))
    if controller.get('exists') and node_filekey and controller.get('checksum') != node_filekey:
        out.append('its file key (%s/filekey) differs from %s/at-rest/filekey: this pki_dir did not make the keys the node '
                   'reads (restore pki_dir/at-rest from your backup); its keys would leave the server unable to read '
                   'its data' % (at_rest_dir, settings.get('pki_dir')))
    for name in KEY_FILES:
        if name in facts:
            mode = (facts[name].split() or [''])[0]
            if mode[-1:] != '0':
                out.append('%s/%s is readable by others (mode %s)' % (at_rest_dir, name, mode))
    peers = settings.get('peers') or {}
    for name in KEY_FILES:
        mine = _checksum(facts.get(name))
        for host, peer_lines in peers.items():
            theirs = _peer_checksum(peer_lines, name)
            if mine and theirs and mine != theirs:
                out.append("its %s differs from %s's (%s/%s): every node must read the same keys, or a node that joins "
                           'by SST cannot read its data'
                           % ('key file' if name == 'keys.enc' else 'file key', host, at_rest_dir, name))
    return out
