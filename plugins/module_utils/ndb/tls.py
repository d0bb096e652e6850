# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS keys and certificates of NDB nodes (NDB 8.3 and later), issued by the collection's own x509 code.

What NDB requires, read in storage/ndb/src/common/util/{NodeCertificate,TlsKeyManager}.cpp of 9.7.4 and checked on
the real programs (tests/integration/ndb_real/test_real_tls.py):
- file names in the TLS search path, not configurable: ndb-mgm-server-*, ndb-data-node-*, ndb-api-* (every program
  that is an NDB API client: ndb_mgm, ndbinfo_select_all, ndb_restore, mysqld), each <prefix>-private-key (PEM, no
  passphrase) and <prefix>-cert (PEM: the leaf, then its CA: NDB trusts the CAs chained after its own leaf, and
  NDB-trusted-certs);
- the subject CN starts with "NDB Management Node", "NDB Data Node" or "NDB Node" (client): a client refuses a
  server certificate whose CN does not conform (auth2_bad_common_name);
- hostname binding by DNS subjectAltName (ndb_sign_keys binds mgmd and api by default, not data nodes, whose host is
  checked by node id already): a client compares the server's bound names with the HostName it connected to, a
  server resolves the client's bound names and compares them with the peer address;
- TLS 1.3, security level 2 (EC P-256 keys here, as ndb_sign_keys makes), mutual authentication, chain depth 1.

Keys are made on the node and never leave it: the node returns public keys, the controller signs them with the CA it
keeps in its pki_dir, the node writes the certificates. Plain functions, no Ansible imports.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import os
import time

from ansible_collections.clustersec.mysql.plugins.module_utils._common import safe_files
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import output as ndb_output
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID
except ImportError:  # pragma: no cover - reported by the module
    x509 = None

# NDB node type -> file prefix in the search path, and the CN prefix NDB parses (CertSubject::parse_name).
PREFIX = {'mgmd': 'ndb-mgm-server', 'data': 'ndb-data-node', 'api': 'ndb-api'}
COMMON_NAME = {'mgmd': 'NDB Management Node', 'data': 'NDB Data Node', 'api': 'NDB Node'}
TYPES = ('mgmd', 'data', 'api')
TRUST_FILE = 'NDB-trusted-certs'


class NdbTlsError(Exception):
    pass


def key_file(node_type):
    return PREFIX[node_type] + '-private-key'


def cert_file(node_type):
    return PREFIX[node_type] + '-cert'


def check_types(types):
    bad = [t for t in types if t not in PREFIX]
    if bad:
        raise NdbTlsError('unknown NDB node type(s) %s; use %s' % (', '.join(map(str, bad)), ', '.join(TYPES)))


def new_key_pem():
    return X.key_pem(ec.generate_private_key(ec.SECP256R1()))


def public_pem(key_pem):
    key = serialization.load_pem_private_key(key_pem, password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode('ascii')


def common_name(node_type, now=None):
    """As ndb_sign_keys names a node certificate: type, then the issue date (NDB ignores what follows the type)."""
    return '%s %s' % (COMMON_NAME[node_type], (now or X.utcnow()).strftime('%b %Y'))


def bound_names(node_type, hostname, bind_types):
    return [hostname] if node_type in bind_types and hostname else []


def issue(ca_cert, ca_key, public_key_pem, node_type, hostname, bind_types, valid_days):
    """A node certificate for public_key_pem: CN as NDB parses it, SAN DNS bound names, server and client auth (each
    node is both ends of its links), not after the CA."""
    pub = serialization.load_pem_public_key(public_key_pem.encode('ascii'))
    now = X.utcnow()
    builder = (x509.CertificateBuilder()
               .subject_name(X.build_name({'common_name': common_name(node_type, now)}))
               .issuer_name(ca_cert.subject).public_key(pub)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(min(now + datetime.timedelta(days=valid_days), X.not_after(ca_cert)))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=True, key_cert_sign=False,
                                            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                              critical=False)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False))
    names = bound_names(node_type, hostname, bind_types)
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def chain_pem(cert, ca_cert):
    return X.cert_pem(cert) + X.cert_pem(ca_cert)


def reissue_reason(chain, ca_cert, public_key_pem, node_type, hostname, bind_types, renew_before, rotate):
    """Why the node's certificate chain (PEM text or None) must be issued again, or None when it is current."""
    if rotate:
        return 'rotation asked for'
    if not chain:
        return 'no certificate'
    try:
        certs = X.parse_pem_certs(chain.encode('ascii') if not isinstance(chain, bytes) else chain)
    except Exception as e:  # a damaged file is replaced, not trusted
        return 'unreadable certificate (%s)' % e
    if not certs:
        return 'no certificate'
    leaf = certs[0]
    pub = leaf.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode('ascii')
    if pub.strip() != (public_key_pem or '').strip():
        return 'certificate does not match the private key'
    if leaf.issuer != ca_cert.subject or len(certs) < 2 or certs[1] != ca_cert:
        return 'not issued by the current NDB CA'
    if not (X.common_name(leaf.subject) or '').startswith(COMMON_NAME[node_type] + ' '):
        return 'common name is not an NDB %s name' % node_type
    try:
        sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName)
    except x509.ExtensionNotFound:
        sans = []
    if sorted(sans) != sorted(bound_names(node_type, hostname, bind_types)):
        return 'bound host names changed'
    if X.not_after(leaf) - X.utcnow() < datetime.timedelta(days=renew_before):
        return 'expires within %d days' % renew_before
    return None


def describe(chain):
    """Public facts of a certificate chain for the report: subject, serial, not_after (ISO), issuer."""
    if not chain:
        return None
    certs = X.parse_pem_certs(chain.encode('ascii') if not isinstance(chain, bytes) else chain)
    if not certs:
        return None
    leaf = certs[0]
    return {'subject': X.common_name(leaf.subject), 'issuer': X.common_name(leaf.issuer),
            'serial': '%x' % leaf.serial_number, 'not_after': X.not_after(leaf).strftime('%Y-%m-%dT%H:%M:%SZ')}


def sign_inputs(results, hostnames):
    """{host: keys step result} and {host: HostName} -> [{host, type, hostname, public_key, chain}]."""
    nodes = []
    for host in sorted(results):
        for node_type, facts in sorted(((results[host] or {}).get('keys') or {}).items()):
            nodes.append({'host': host, 'type': node_type, 'hostname': (hostnames or {}).get(host) or host,
                          'public_key': (facts or {}).get('public_key'), 'chain': (facts or {}).get('chain')})
    return nodes


# NDB trusts at most 8 CAs (TlsKeyManager.hpp CA_TABLE_SIZE; one more is TLS-fatal: the node starts without TLS).
MAX_TRUSTED_CAS = 8


def trust_pem(ca_cert, trusted):
    """NDB-trusted-certs: the NDB CA, then the extra trusted CAs (the CA rotation's other CA), each once. NDB reads
    every certificate of the file (TrustStore::load, NodeCertificate.cpp) into one verify store."""
    certs = [ca_cert] + [c for c in trusted or [] if c != ca_cert]
    unique = []
    for cert in certs:
        if cert not in unique:
            unique.append(cert)
    if len(unique) > MAX_TRUSTED_CAS:
        raise NdbTlsError('NDB trusts at most %d CAs; the NDB CA and ndb_tde_tls_trusted_cas name %d'
                          % (MAX_TRUSTED_CAS, len(unique)))
    return b''.join(X.cert_pem(c) for c in unique)


def ca_change_problems(ca_cert, nodes, trusted):
    """Nodes whose certificate comes from a CA that is neither the NDB CA nor trusted beside it: issuing them a
    certificate of the NDB CA in one run would cut them off. NDB reads its certificates and trust only at start, so in
    the rolling restart a node restarted with the new CA alone is refused by every peer still running with the old
    one. One sentence per host and type; [] when none (or the chain is unreadable: it is issued again anyway)."""
    problems = []
    for node in nodes:
        try:
            certs = X.parse_pem_certs(node['chain'].encode('ascii')) if node.get('chain') else []
        except Exception:  # a damaged file is replaced
            continue
        if len(certs) < 2 or certs[1] == ca_cert or certs[1] in (trusted or []):
            continue
        problems.append("%s (%s): its certificate is from the CA '%s', not the NDB CA '%s', and the other CA is not "
                        "in ndb_tde_tls_trusted_cas" % (node['host'], node['type'], X.common_name(certs[1].subject),
                                                        X.common_name(ca_cert.subject)))
    return problems


def sign_all(ca_cert, ca_key, nodes, bind_types, valid_days, renew_before, rotate):
    """nodes: [{host, type, hostname, public_key, chain}] -> {host: {type: {chain, reason}}} for those to (re)issue,
    plus the list of problems (a node without a public key is skipped in check mode, named otherwise)."""
    out = {}
    for node in nodes:
        check_types([node['type']])
        if not node.get('public_key'):
            continue
        reason = reissue_reason(node.get('chain'), ca_cert, node['public_key'], node['type'], node.get('hostname'),
                                bind_types, renew_before, rotate)
        if reason is None:
            continue
        cert = issue(ca_cert, ca_key, node['public_key'], node['type'], node.get('hostname'), bind_types, valid_days)
        out.setdefault(node['host'], {})[node['type']] = {
            'chain': chain_pem(cert, ca_cert).decode('ascii'), 'reason': reason}
    return out


# ---------------------------------------------------------------- ndbinfo: which links are encrypted

def parse_links(text):
    """ndbinfo_select_all transporters certificates [config_values] -> {'links': [{node_id, remote_node_id, connected,
    encrypted}], 'certificates': [{reporting_node_id, node_id, name, serial, expires}], 'require_tls': {data node id:
    RequireTls it runs with}, 'read', 'error'}. The sections are read by ndb_output (one parser); a table that could
    not be read is 'not read' here with the program's error line, never an exception: the status and the report
    show it, and the tables that were read stay."""
    sections, errors = ndb_output.read_ndbinfo_select_all(text)
    links = []
    for row in sections.get('transporters', []):
        try:
            links.append({'node_id': int(row['node_id']), 'remote_node_id': int(row['remote_node_id']),
                          # connection_status 0: CONNECTED (ndbinfo_select_all prints the number)
                          'connected': row['connection_status'] == '0',
                          'encrypted': row.get('encrypted') == '1'})
        except (KeyError, ValueError):
            continue
    certificates = []
    for row in sections.get('certificates', []):
        try:
            certificates.append({'reporting_node_id': int(row['reporting_node_id']), 'node_id': int(row['node_id']),
                                 'name': row['name'], 'serial': row['serial'], 'expires': int(row['expires'])})
        except (KeyError, ValueError):
            continue
    require_tls = dict((k, v) for k, v in ndb_output.encrypted_fs_values(
        sections.get('config_values'), REQUIRE_TLS_PARAM).items() if isinstance(v, int))
    return {'links': links, 'certificates': certificates, 'require_tls': require_tls,
            'read': bool(sections.get('transporters')), 'error': '; '.join(errors) or None}


def link_summary(parsed):
    """Connected links, and those in clear (each pair once, as 'a-b')."""
    connected = [lk for lk in parsed['links'] if lk['connected']]
    clear = sorted(set('%d-%d' % tuple(sorted((lk['node_id'], lk['remote_node_id'])))
                       for lk in connected if not lk['encrypted']))
    return {'connected': len(connected), 'encrypted': len([lk for lk in connected if lk['encrypted']]),
            'cleartext_links': clear, 'all_encrypted': bool(connected) and not clear}


# ---------------------------------------------------------------- on the node: keys and certificate files

def _path(tls_dir, name):
    return tls_dir.rstrip('/') + '/' + name


def _text(data):
    return data.decode('ascii', 'replace') if data is not None else None


def ensure_directory(tls_dir, gid, check_mode):
    """The search path directory, root-owned, group gid (the data node's account reads its key), 0750."""
    if os.path.islink(tls_dir) or (os.path.exists(tls_dir) and not os.path.isdir(tls_dir)):
        raise NdbTlsError('%s is not a directory (a symlink or a file): refusing to use it' % tls_dir)
    if not os.path.isdir(tls_dir):
        if not check_mode:
            safe_files.make_directory(tls_dir, 0o750, 0, gid)
        return True
    st = os.lstat(tls_dir)
    if (st.st_mode & 0o7777, st.st_uid, st.st_gid) != (0o750, 0, gid if gid != -1 else st.st_gid):
        if not check_mode:
            safe_files.set_attributes(tls_dir, 0o750, 0, gid, directory=True)
        return True
    return False


def node_keys(tls_dir, types, gid, data_gid, check_mode):
    """Make each type's private key where it is missing (EC P-256, on this node only; the data node's is readable by
    its account's group data_gid, the others root's alone). Returns ({type: {public_key, chain}}, created types)."""
    check_types(types)
    out, created = {}, []
    for node_type in types:
        kpath = _path(tls_dir, key_file(node_type))
        key = safe_files.read_file(kpath)
        if key is None:
            created.append(node_type)
            if check_mode:
                out[node_type] = {'public_key': None, 'chain': None}
                continue
            key = new_key_pem()
            key_gid, mode = (data_gid, 0o640) if node_type == 'data' else (0, 0o600)
            safe_files.put(kpath, key, mode, 0, key_gid)
        chain = safe_files.read_file(_path(tls_dir, cert_file(node_type)))
        out[node_type] = {'public_key': public_pem(key), 'chain': _text(chain)}
    return out, created


def trusted_certs(tls_dir):
    """The node's NDB-trusted-certs as text (public CA certificates), None when missing: the sign step compares it with
    the trust it would write, for the converged check."""
    return _text(safe_files.read_file(_path(tls_dir, TRUST_FILE)))


def trust_differs(results, trust):
    """Hosts whose NDB-trusted-certs (the keys step's trusted_certs) is not trust (text): install would write it."""
    return sorted(host for host, r in (results or {}).items()
                  if isinstance(r, dict) and 'trusted_certs' in r and (r['trusted_certs'] or '') != trust)


def install(tls_dir, certs, ca_pem, check_mode):
    """Write each type's certificate file and NDB-trusted-certs (the CA) where their content differs."""
    check_types(list(certs))
    # each value is the sign step's {chain, reason}, or the chain itself
    wanted = dict((cert_file(t), (v['chain'] if isinstance(v, dict) else v).encode('ascii')) for t, v in certs.items())
    if ca_pem:
        wanted[TRUST_FILE] = ca_pem.encode('ascii')
    changed = []
    for name, data in sorted(wanted.items()):
        path = _path(tls_dir, name)
        if safe_files.read_file(path) != data:
            changed.append(path)
            if not check_mode:
                safe_files.put(path, data, 0o644, 0, 0)
    return changed


def link_lines(parsed):
    """One line per connected link as seen by its reporting node, after a summary line (the status table)."""
    if not parsed.get('read'):
        return ['TLS links: ndbinfo.transporters not read' + (' (%s)' % parsed['error'] if parsed.get('error') else '')]
    summary = link_summary(parsed)
    lines = ['TLS links: %d of %d connected links encrypted%s' % (
        summary['encrypted'], summary['connected'],
        ('; in clear: ' + ', '.join(summary['cleartext_links'])) if summary['cleartext_links'] else '')]
    for lk in parsed['links']:
        if lk['connected']:
            lines.append('node %d -> node %d: %s' % (lk['node_id'], lk['remote_node_id'],
                                                     'TLS' if lk['encrypted'] else 'CLEAR'))
    return lines


# RequireTls's parameter number for data nodes (CFG_DB_REQUIRE_TLS, mgmapi_config_parameters.h of 9.7.4).
REQUIRE_TLS_PARAM = 681


def running_require_tls(text):
    """{data node id: RequireTls it runs with (0/1)} from `ndbinfo_select_all config_values`; {} when not read (the
    caller then restarts only the nodes whose files changed)."""
    try:
        rows = ndb_output.parse_ndbinfo_select_all(text).get('config_values')
    except NdbError:
        return {}
    return dict((k, v) for k, v in ndb_output.encrypted_fs_values(rows, REQUIRE_TLS_PARAM).items() if isinstance(v, int))


# ---------------------------------------------------------------- the encryption report's NDB entries

# One entry per NDB node type of a host (a host may run a management server and a data node): the links of its
# nodes, the certificate NDB runs with for them (as its peers hold it in ndbinfo.certificates: a renewed file counts
# only once the node restarted), RequireTls as the data nodes run with it, and for a management server the
# attacker-side probe: a client without a certificate, in clear.
REPORT_CHANNEL = {'mgmd': 'ndb-mgmd', 'data': 'ndb-data', 'api': 'ndb-api'}
GREEN, AMBER, RED = 'green', 'amber', 'red'
_EPOCH = datetime.datetime(1970, 1, 1)
_RANK = {GREEN: 0, AMBER: 1, RED: 2}


def _worst(statuses):
    return max(statuses or [GREEN], key=lambda s: _RANK[s])


def result_text(result):
    """(text, error) of a registered command result (rc, stdout, stderr), or of its text; error None when it ran."""
    if result is None:
        return '', 'not run'
    if not isinstance(result, dict):
        return str(result), None
    if result.get('skipped') or 'rc' not in result:
        return '', 'not run'
    text = result.get('stdout') or ''
    if result['rc'] != 0:
        both = '%s %s' % (text, result.get('stderr') or '')
        return text, 'rc %s: %s' % (result['rc'], ' '.join(both.split())[:300])
    return text, None


def plaintext_refusal(result):
    """ndb_mgm SHOW sent to one management server in clear, without a certificate: (refused True / False / None,
    detail). NDB answers 'Not Authorized: TLS Required' when it requires TLS; a cluster listing after 'using cleartext'
    is served in clear (as tls_mgmd.yml reads it)."""
    if not isinstance(result, dict) or result.get('skipped') or 'rc' not in result:
        return None, 'not probed'
    out = '%s\n%s' % (result.get('stdout') or '', result.get('stderr') or '')
    if 'TLS Required' in out:
        return True, 'refused: TLS Required'
    if result['rc'] == 0 and 'using cleartext' in out and 'Cluster Configuration' in out:
        return False, 'served SHOW in clear to a client without a certificate'
    return None, ' '.join(out.split())[:200] or 'no answer'


def _days_left(expires, now):
    return int((expires - now) // 86400)


def _iso(seconds):
    return (_EPOCH + datetime.timedelta(seconds=seconds)).strftime('%Y-%m-%dT%H:%M:%SZ')


def report_entries(fact, now=None):
    """The host's NDB entries for the encryption report, from the fact the ndb_tde verify step sets:
    {enabled, required, nodes: [{type, id}] of this host (or own_ids, see _own_nodes), mgmd_port, warn_days, select_all: the registered
    `ndbinfo_select_all transporters certificates config_values` result, mgmd_probe: the registered clear probe}.
    [] when the host runs no NDB node.

    green: RequireTls on (and run by the data nodes), every connected link encrypted, certificates outside the warning
    window; amber: TLS off or not required (the explicit opt-outs ndb_tde_tls_enabled / ndb_tde_tls_required), or a
    state not determined (links not read, a node without a connected link); red: required but a link in clear, a
    data node running without RequireTls, a management server serving a client without a certificate, or a
    certificate expired or inside the warning window (NDB reads it only at start: renewing takes the rolling
    restart)."""
    if not isinstance(fact, dict):
        return []
    ids_by_type = {}
    for node in fact.get('nodes') or _own_nodes(fact.get('own_ids')):
        if isinstance(node, dict) and node.get('type') in REPORT_CHANNEL:
            # an [API] slot without a node id still names the host's type (its links cannot be told apart)
            ids_by_type.setdefault(node['type'], []).extend(
                [int(node['id'])] if node.get('id') not in (None, '') else [])
    if not ids_by_type:
        return []
    text, error = result_text(fact.get('select_all'))
    parsed = parse_links(text)
    if error or not parsed['read']:
        parsed['error'] = error or parsed.get('error') or 'no transporters rows'
        parsed['read'] = False
    now = now if now is not None else time.time()
    return [_entry(t, sorted(ids_by_type[t]), parsed, fact, now) for t in TYPES if t in ids_by_type]


def _own_nodes(own):
    """[{type, id}] from {mgmd: id or None, data: id or None, api: [ids] or None} (None: not of that type; an api host
    without ids still has a slot)."""
    nodes = []
    for node_type in TYPES:
        value = (own or {}).get(node_type)
        if value is None or value == '':
            continue
        for node_id in (value if isinstance(value, list) else [value]) or [None]:
            nodes.append({'type': node_type, 'id': node_id})
    return nodes


def _entry(node_type, ids, parsed, fact, now):
    enabled, required = bool(fact.get('enabled')), bool(fact.get('required'))
    enforced = enabled and required
    warn_days = int(fact.get('warn_days') if fact.get('warn_days') is not None else 30)
    findings, statuses = [], []
    if not enabled:
        findings.append('NDB TLS not enabled [explicit opt-out ndb_tde_tls_enabled: false]')
        statuses.append(AMBER)
    elif not required:
        findings.append('RequireTls off: a node without a certificate is accepted in clear '
                        '[explicit opt-out ndb_tde_tls_required: false]')
        statuses.append(AMBER)
    # Each link once (both data nodes report a link between them), in clear when any report says so.
    pairs = {}
    for lk in parsed['links']:
        if lk['connected'] and (lk['node_id'] in ids or lk['remote_node_id'] in ids):
            key = tuple(sorted((lk['node_id'], lk['remote_node_id'])))
            pairs[key] = pairs.get(key, True) and lk['encrypted']
    clear = ['%d-%d' % k for k in sorted(pairs) if not pairs[k]]
    entry = {'channel': REPORT_CHANNEL[node_type], 'port': (fact.get('mgmd_port') or 1186) if node_type == 'mgmd'
             else '-', 'node_ids': ids, 'links': len(pairs), 'links_encrypted': len(pairs) - len(clear),
             'cleartext_links': clear, 'encrypted': bool(pairs) and not clear and parsed['read']}
    if not parsed['read']:
        # TLS off and not read (the status entry point reads links only with TLS on): the opt-out says it all
        if enabled or parsed['error'] != 'not run':
            findings.append('links not read: %s' % parsed['error'])
            statuses.append(AMBER)
            entry['undetermined'] = True
    elif not ids:
        findings.append('no node id (ndb_tde_api_node_ids): its links cannot be told from other API nodes')
        entry['undetermined'] = True
    elif not pairs:
        if node_type == 'api':
            # a free slot: nothing to judge, and no 'not encrypted' metric either
            findings.append('no connected link (normal while no program uses the slot)')
            entry['undetermined'] = True
        else:
            findings.append('node %s has no connected link (not started?): nothing to judge'
                            % ', '.join(map(str, ids)))
            statuses.append(AMBER)
            entry['undetermined'] = True
    elif clear:
        findings.append('links in clear: %s' % ', '.join(clear))
        statuses.append(RED if enforced else AMBER)
    if node_type == 'data' and enforced:
        for node_id in ids:
            if parsed['require_tls'].get(node_id) == 0:
                findings.append('node %d runs without RequireTls (it reads it at start: the role restarts it)'
                                % node_id)
                statuses.append(RED)
    if node_type == 'mgmd' and enabled:
        refused, detail = plaintext_refusal(fact.get('mgmd_probe'))
        entry['plaintext_client'] = {'refused': refused, 'detail': detail}
        if refused is False:
            findings.append('a client without a certificate is served in clear (%s)%s'
                            % (detail, '' if enforced else ' [explicit opt-out ndb_tde_tls_required: false]'))
            statuses.append(RED if enforced else AMBER)
        elif refused is None and enforced:
            findings.append('refusal of a client without a certificate not determined: %s' % detail)
            statuses.append(AMBER)
    if enabled:
        statuses += _certificate_findings(entry, ids, parsed['certificates'], warn_days, now, findings)
    if entry['links_encrypted']:
        entry['protocol'] = 'TLS 1.3, %d of %d links' % (entry['links_encrypted'], entry['links'])
    else:
        entry['protocol'] = 'plain' if pairs else ('TLS off' if not enabled else 'no link read')
    entry['status'] = _worst(statuses)
    entry['findings'] = findings
    return entry


def _certificate_findings(entry, ids, certificates, warn_days, now, findings):
    """The certificate each node of entry runs with, as its peers hold it (the earliest end when they differ)."""
    statuses = []
    own = {}
    for cert in certificates:
        if cert['node_id'] in ids and (cert['node_id'] not in own or cert['expires'] < own[cert['node_id']]['expires']):
            own[cert['node_id']] = cert
    for node_id in sorted(own):
        days = _days_left(own[node_id]['expires'], now)
        if days < 0:
            findings.append('node %d: certificate expired %d days ago' % (node_id, -days))
            statuses.append(RED)
        elif days < warn_days:
            findings.append('node %d: certificate expires in %d days (warning window %d; NDB reads it only at start: '
                            'run the role, which renews it and restarts the node)' % (node_id, days, warn_days))
            statuses.append(RED)
    if own:
        first = min(own.values(), key=lambda c: c['expires'])
        entry.update({'subject': first['name'], 'serial': first['serial'], 'not_after': _iso(first['expires']),
                      'days_left': _days_left(first['expires'], now),
                      'certificates': [dict(own[i], days_left=_days_left(own[i]['expires'], now)) for i in sorted(own)]})
    return statuses


def report_lines(entries):
    """Status lines of a host's entries (the status playbook's view)."""
    lines = []
    for e in entries:
        lines.append('%s node %s: %s %s%s' % (e['channel'], ', '.join(map(str, e['node_ids'])) or '-', e['status'].upper(),
                                              e['protocol'], (': ' + '; '.join(e['findings'])) if e['findings'] else ''))
    return lines
