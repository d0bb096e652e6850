# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Percona XtraDB Cluster 8.0/8.4 traffic encryption: what the role writes and what it checks first.

Plain functions, no Ansible imports: the section dict of our drop-in, validation of the operator's input,
PXC's certificate lookup rule for pxc-encrypt-cluster-traffic=ON, keyring_file consistency across nodes,
the encryption state of a node (previous drop-in, running server) and the changes that need the whole
cluster stopped, the size of dhparams.pem. The filter plugin clustersec.mysql.pxc (controller side) and
the module clustersec.mysql.pxc_preflight (node side) are thin wrappers around these.

The merge of socket.ssl* keys into wsrep_provider_options is NOT done here: the role does it with the
clustersec.mysql.wsrep_options_merge filter (module_utils.wsrep_options) and hands us the result.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import binascii
import os
import re

MODES = ('automatic', 'manual')
VERSIONS = ('8.0', '8.4')
# PXC 8 xtrabackup-v2 SST: 0 = plain, 4 = TLS with ssl-ca/ssl-cert/ssl-key. 5.7's 1, 2 and 3 were removed.
SST_ENCRYPT_VALUES = (0, 4)
KEYRING_PLUGIN = 'keyring_file.so'
DEFAULT_DHPARAMS_BITS = 2048
# (result name, option under [mysqld], file PXC looks for in the data directory when the option is unset)
LOOKUP = (('ca', 'ssl-ca', 'ca.pem'), ('cert', 'ssl-cert', 'server-cert.pem'), ('key', 'ssl-key', 'server-key.pem'))
# Options that decide how traffic is encrypted. Another option file setting one of them changes what the
# server does behind our checks; MySQL does not define which file of an !includedir directory wins.
ENCRYPTION_OPTIONS = {
    'mysqld': ('pxc-encrypt-cluster-traffic', 'ssl-ca', 'ssl-cert', 'ssl-key', 'wsrep-provider-options',
               'early-plugin-load', 'keyring-file-data'),
    'sst': ('encrypt', 'ssl-ca', 'ssl-cert', 'ssl-key'),
}
_TRUE = ('1', 'on', 'yes', 'true')
_FALSE = ('0', 'off', 'no', 'false')


# ---------------------------------------------------------------- option names and values

def norm(key):
    """my.cnf option names: '-' and '_' are the same, case does not matter, 'loose-' only softens errors."""
    key = str(key).strip().lower().replace('_', '-')
    if key.startswith('loose-'):
        key = key[len('loose-'):]
    return key


def find(options, key):
    """(name as written, value) of key in a section's dict, comparing normalised names; (None, None) if absent."""
    wanted = norm(key)
    found = (None, None)
    for name, value in (options or {}).items():
        if norm(name) == wanted:
            found = (name, value)
    return found


def has(options, key):
    return find(options, key)[0] is not None


def value_of(options, key):
    return find(options, key)[1]


def unquote(value):
    if value is None:
        return None
    value = str(value).strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
        return value[1:-1]
    return value


def truthy(value, default=None):
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = unquote(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return default


_NEEDS_QUOTES = re.compile(r'[\s;#\'\\]')


def format_value(value):
    """A value as it goes into my.cnf: None -> bare option, bool -> ON/OFF, list -> comma list, quoted when needed."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 'ON' if value else 'OFF'
    if isinstance(value, (list, tuple)):
        value = ','.join(str(v) for v in value)
    value = str(value)
    if '\n' in value or '"' in value:
        raise ValueError('my.cnf value %r must not contain a newline or a double quote' % value)
    if value == '' or _NEEDS_QUOTES.search(value):
        return '"%s"' % value.replace('\\', '\\\\')
    return value


def parse_cnf(text):
    """my.cnf text -> {section: {option: value or None}} (later lines win). !include lines are ignored."""
    sections = {}
    current = None
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line or line[0] in '#;!':
            continue
        if line.startswith('['):
            end = line.find(']')
            current = sections.setdefault(line[1:end if end > 0 else None].strip().lower(), {})
            continue
        if current is None:
            continue
        if '=' in line:
            key, value = line.split('=', 1)
            current[key.strip()] = unquote(_strip_comment(value))
        else:
            current[_strip_comment(line)] = None
    return sections


def _strip_comment(value):
    out, quote = [], None
    for ch in value:
        if quote:
            if ch == quote:
                quote = None
        elif ch in '"\'':
            quote = ch
        elif ch == '#':
            break
        out.append(ch)
    return ''.join(out).strip()


# ---------------------------------------------------------------- the drop-in file

def _setting(settings, key, default=None):
    value = settings.get(key, default)
    return default if value is None else value


def _flag(settings, key, default):
    """A switch as Ansible may hand it over: bool, or 'true'/'no'/... from the command line."""
    return truthy(settings.get(key), default)


def build_sections(settings):
    """The drop-in as {section: {option: formatted value}}, in the order written; operator overrides applied last.

    settings (the role builds it in vars/main.yml): mode, cluster_name, cluster_address (peer list), node_name,
    node_address, bind_address, provider, sst_method, provider_options (already merged with
    wsrep_options_merge), tls_ca/tls_cert/tls_key ([mysqld]; in automatic mode empty means "data directory"),
    tls_client_server, tls_client_cert, tls_client_key, tls_versions, tls_cipher, require_secure_transport,
    sst_tls, sst_ca, sst_cert, sst_key, keyring_file, keyring_file_data, overrides.
    """
    mode = settings.get('mode')
    manual = mode == 'manual'
    client_server = _flag(settings, 'tls_client_server', True)
    mysqld = {}
    mysqld['binlog_format'] = 'ROW'
    mysqld['default_storage_engine'] = 'InnoDB'
    mysqld['innodb_autoinc_lock_mode'] = '2'
    if settings.get('bind_address'):
        mysqld['bind_address'] = settings['bind_address']
    mysqld['wsrep_provider'] = _setting(settings, 'provider', '/usr/lib/galera4/libgalera_smm.so')
    mysqld['wsrep_cluster_name'] = _setting(settings, 'cluster_name', 'clustersec')
    mysqld['wsrep_cluster_address'] = 'gcomm://' + ','.join(str(h) for h in _setting(settings, 'cluster_address', []))
    if settings.get('node_name'):
        mysqld['wsrep_node_name'] = settings['node_name']
    if settings.get('node_address'):
        mysqld['wsrep_node_address'] = settings['node_address']
    mysqld['wsrep_sst_method'] = _setting(settings, 'sst_method', 'xtrabackup-v2')
    if settings.get('provider_options'):
        mysqld['wsrep_provider_options'] = settings['provider_options']
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
    for section, options in _overrides(settings.get('overrides')).items():
        target = sections.setdefault(section, {})
        for key, value in options.items():
            name = find(target, key)[0]
            target[name if name is not None else str(key)] = value
    return dict((section, dict((key, format_value(value)) for key, value in options.items()))
                for section, options in sections.items())


def _overrides(overrides):
    if overrides in (None, ''):
        return {}
    if not isinstance(overrides, dict):
        raise ValueError('pxc_config_overrides must be a dict of sections, got %s' % type(overrides).__name__)
    out = {}
    for section, options in overrides.items():
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise ValueError('pxc_config_overrides.%s must be a dict of options, got %s' % (section, type(options).__name__))
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
        overrides = _overrides(settings.get('overrides'))
    except ValueError as exc:
        return out + [str(exc)]
    mysqld_over = overrides.get('mysqld', {})
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
    ring = keyring(sections)
    if ring['plugin']:
        if encrypt != 4:
            out.append('keyring_file is loaded (early-plugin-load=%s) but SST encryption is off: the keyring travels with '
                       'the data during SST, so [sst] encrypt=4 (or automatic mode) is mandatory' % KEYRING_PLUGIN)
        if version == '8.4':
            out.append('the keyring_file plugin was removed in MySQL/PXC 8.4 (early-plugin-load=%s would stop the '
                       'server from starting); use the component_keyring_file component' % KEYRING_PLUGIN)
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


# ---------------------------------------------------------------- on the node

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


def conflicts(ours, other_files, ours_name='our drop-in'):
    """(problems, warnings) for options another file of the directory sets as well.

    Encryption options (ENCRYPTION_OPTIONS) are problems: MySQL does not define which file of an !includedir
    directory wins, so our checks could be about settings the server does not use. Other options are warnings.
    An [sst] encrypt in another file is also checked when we do not set it (it is then in effect).
    """
    errors, warnings = [], []
    for file_name, file_sections in other_files:
        for section, options in file_sections.items():
            critical = ENCRYPTION_OPTIONS.get(section, ())
            for key, value in options.items():
                if section == 'sst' and norm(key) == 'encrypt':
                    text = unquote(value)
                    if not re.match(r'^[0-9]+$', text or '') or int(text) not in SST_ENCRYPT_VALUES:
                        errors.append("%s sets [sst] encrypt=%s; PXC 8 accepts 0 (off) or 4 (TLS)" % (file_name, text))
                if has(ours.get(section, {}), key):
                    text = '%s sets [%s] %s, which %s sets as well; MySQL does not define which file wins' % (
                        file_name, section, key, ours_name)
                    if norm(key) in critical:
                        errors.append(text + ': remove it there (or set it through the role)')
                    else:
                        warnings.append(text)
    return errors, warnings


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
    return {'mode': mode, 'gcomm_tls': gcomm_tls(unquote(value_of(mysqld, 'wsrep-provider-options'))),
            'sst_encrypt': encrypt}


def gcomm_tls(provider_options):
    """Whether wsrep_provider_options turn group-communication TLS on: socket.ssl, else a certificate and key given.

    Accepts the configured form (key=value;...) and the running form (key = value; ...).
    """
    opts = {}
    for fragment in (provider_options or '').split(';'):
        if '=' in fragment:
            key, value = fragment.split('=', 1)
            opts[key.strip().lower()] = value.strip()
    explicit = truthy(opts.get('socket.ssl'))
    if explicit is not None:
        return explicit
    return bool(opts.get('socket.ssl_cert') and opts.get('socket.ssl_key'))


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
    return {'mode': 'manual', 'gcomm_tls': gcomm_tls(running.get('wsrep_provider_options')),
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


_PEM_DH = re.compile(r'-----BEGIN (X9\.42 )?DH PARAMETERS-----(.*?)-----END (X9\.42 )?DH PARAMETERS-----', re.S)


def _der_length(der, pos):
    first = der[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7f
    if count == 0 or count > 4 or pos + 1 + count > len(der):
        raise ValueError('bad DER length')
    return int(binascii.hexlify(der[pos + 1:pos + 1 + count]), 16), pos + 1 + count


def dh_bits_from_pem(data):
    """Size in bits of the prime p of PEM DH parameters (PKCS#3 or X9.42: SEQUENCE { INTEGER p, ... }).

    Read by hand: no library needed on the node, and cryptography deprecates its finite-field DH API.
    """
    if isinstance(data, bytes):
        data = data.decode('ascii', 'replace')
    match = _PEM_DH.search(data or '')
    if not match:
        raise ValueError('no "BEGIN DH PARAMETERS" block')
    try:
        der = bytearray(base64.b64decode(''.join(match.group(2).split())))
    except (binascii.Error, TypeError) as exc:
        raise ValueError('bad base64: %s' % exc)
    try:
        if der[0] != 0x30:
            raise ValueError('not a DER SEQUENCE')
        dummy, pos = _der_length(der, 1)
        if der[pos] != 0x02:
            raise ValueError('the first element is not an INTEGER')
        length, pos = _der_length(der, pos + 1)
        prime = der[pos:pos + length]
    except IndexError:
        raise ValueError('truncated DER')
    if len(prime) != length or not length:
        raise ValueError('truncated DER')
    return int(binascii.hexlify(prime), 16).bit_length()


def read_dhparams_bits(path):
    with open(path, 'rb') as handle:
        return dh_bits_from_pem(handle.read())


def dhparams_problems(target, source, minimum=DEFAULT_DHPARAMS_BITS):
    """target/source: {'path', 'exists', 'bits' (None if unreadable), 'error'}. What stops placing a good file."""
    out = []
    for label, entry in (('source', source), ('data directory', target)):
        if not entry or not entry.get('exists'):
            continue
        if entry.get('bits') is None:
            out.append('dhparams.pem (%s) %s cannot be read as DH parameters: %s' % (label, entry['path'], entry.get('error')))
    if source and source.get('exists') and source.get('bits') is not None and source['bits'] < minimum:
        out.append('dhparams.pem %s has %d bits, below %d' % (source['path'], source['bits'], minimum))
    elif (not source or not source.get('exists')) and target and target.get('exists') \
            and target.get('bits') is not None and target['bits'] < minimum:
        out.append('%s has %d bits, below %d (SST would use it); remove it so the role generates a new one'
                   % (target['path'], target['bits'], minimum))
    return out


def _read_dhparams(path, read_bits):
    entry = {'path': path, 'exists': bool(path) and os.path.isfile(path), 'bits': None, 'error': None}
    if entry['exists']:
        try:
            entry['bits'] = read_bits(path)
        except (OSError, IOError, ValueError) as exc:
            entry['error'] = str(exc)
    return entry


def node_checks(datadir, mode=None, sections=None, config_dir=None, config_file=None, running=None,
                dhparams_path=None, dhparams_source=None, dhparams_min_bits=DEFAULT_DHPARAMS_BITS,
                read_bits=read_dhparams_bits):
    """Every check that needs the node's file system, reporting all problems at once. Changes nothing."""
    sections = sections or {}
    result = {'problems': [], 'warnings': [], 'tls_files': {}, 'previous': None, 'wanted': None, 'changes': [],
              'other_files': [], 'dhparams': {}}
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
        errors, warnings = conflicts(sections, others, os.path.join(config_dir or '', config_file or 'our drop-in'))
        problems.extend(errors)
        result['warnings'].extend(warnings)
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
        target = _read_dhparams(dhparams_path, read_bits)
        source = _read_dhparams(dhparams_source, read_bits) if dhparams_source else None
        result['dhparams'] = {'path': target['path'], 'exists': target['exists'], 'bits': target['bits'],
                              'source': source['path'] if source else None,
                              'source_exists': bool(source and source['exists']),
                              'source_bits': source['bits'] if source else None}
        problems.extend(dhparams_problems(target, source, dhparams_min_bits))
    return result
