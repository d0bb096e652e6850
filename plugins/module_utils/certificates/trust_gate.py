# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Trust gate before a rollout (issue 30): for every party of a rollout (nodes, arbitrators, replicas, application
and other clients) and every phase of the rotation, does each certificate a party presents verify against the trust
bundle of each party that must accept it? Real X.509 path validation with `cryptography`: signature by an issuer in
the verifier's bundle (intermediates presented by the party are followed), validity at the phase's time, CA
basicConstraints and keyUsage, the leaf's extendedKeyUsage for the channel.

Parties are data: a kind (KINDS) says which certificate a party presents on which channel and which bundle it
verifies with; a channel (CHANNELS) says who presents, who verifies and what usage it needs. A new kind of party is a
new row, not new code. A party's state per phase is {role: [certificates]}; the roles are:
  peer_cert    presented to peers on group communication/IST/SST (4567, 4568, 4444)
  peer_ca      verifies peers' peer_cert
  sst_cert     presented on the SST tunnel (4444) where the product names its own (PXC's manual mode), else peer_cert
  sst_ca       verifies the other end of an SST (else peer_ca)
  server_cert  presented on 3306 by a server
  server_ca    verifies a server's server_cert (a client's CA file: the cluster CA)
  client_cert  presented on 3306 by a client
  client_ca    verifies client certificates on 3306 (a server's client CA)
Phases run in order; while one runs, some parties are still at the previous one, so each phase is also checked with
the presenter and the verifier one phase apart (a rotation without its bundle phase fails there).

Key files are never read: only certificates and CA bundles."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import os
import re

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import cert_set
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - reported by the module
    HAS_CRYPTOGRAPHY = False

ROLES = ('peer_cert', 'peer_ca', 'sst_cert', 'sst_ca', 'server_cert', 'server_ca', 'client_cert', 'client_ca')

# What each kind of party presents and verifies with. A node serves 3306 (server_cert, client_ca), talks to its peers
# (peer_cert, peer_ca) and runs the local clients (client_cert, verifying servers with server_ca). An arbitrator
# (garbd) is a peer only; a replica, an application or any other client is a 3306 client.
KINDS = {
    'node': ('peer_cert', 'peer_ca', 'sst_cert', 'sst_ca', 'server_cert', 'server_ca', 'client_cert', 'client_ca'),
    'arbitrator': ('peer_cert', 'peer_ca'),
    'replica': ('client_cert', 'server_ca'),
    'application': ('client_cert', 'server_ca'),
    'client': ('client_cert', 'server_ca'),
}

# channel: (presented role, verifying role, usages the presented leaf needs, whether a party checks itself).
# A peer both accepts and opens connections with one certificate, so it needs both usages.
CHANNELS = (
    ('group-communication', 'peer_cert', 'peer_ca', ('serverAuth', 'clientAuth'), False),
    ('sst', 'sst_cert', 'sst_ca', ('serverAuth', 'clientAuth'), False),
    ('client-server client', 'client_cert', 'client_ca', ('clientAuth',), True),
    ('client-server server', 'server_cert', 'server_ca', ('serverAuth',), True),
)

_PEM_CERT = re.compile(b'-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----', re.S)


def _eku_oids():
    return {'serverAuth': ExtendedKeyUsageOID.SERVER_AUTH, 'clientAuth': ExtendedKeyUsageOID.CLIENT_AUTH}


def parse_certs(data):
    """Every certificate of PEM text or bytes; anything else in it (a key pasted by mistake) is ignored, never kept."""
    if data is None:
        return []
    if not isinstance(data, bytes):
        data = data.encode('ascii', 'replace')
    return [x509.load_pem_x509_certificate(block) for block in _PEM_CERT.findall(data)]


def load_certs(path):
    """The certificates of a file, [] when there is none (a party that has no such file yet)."""
    if not path or not os.path.isfile(path):
        return []
    with open(path, 'rb') as handle:
        return parse_certs(handle.read())


def _utc(dt):
    return dt if dt.tzinfo else dt.replace(tzinfo=datetime.timezone.utc)


def _window(cert):
    try:
        return cert.not_valid_before_utc, cert.not_valid_after_utc
    except AttributeError:  # cryptography < 42
        return _utc(cert.not_valid_before), _utc(cert.not_valid_after)


def name_of(cert):
    return cert.subject.rfc4514_string()


def _ext(cert, cls):
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None


def _signed_by(cert, issuer):
    if cert.issuer != issuer.subject:
        return False
    try:
        if hasattr(cert, 'verify_directly_issued_by'):
            cert.verify_directly_issued_by(issuer)
            return True
        pub = issuer.public_key()
        if isinstance(pub, rsa.RSAPublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        elif isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            pub.verify(cert.signature, cert.tbs_certificate_bytes)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def _time_problem(cert, at):
    start, end = _window(cert)
    if at < start:
        return 'is not valid before %s' % start.strftime('%Y-%m-%d %H:%M UTC')
    if at > end:
        return 'expired %s' % end.strftime('%Y-%m-%d %H:%M UTC')
    return None


def _ca_problem(cert, depth_below):
    bc = _ext(cert, x509.BasicConstraints)
    if bc is None or not bc.ca:
        return 'is not a CA (basicConstraints)'
    if bc.path_length is not None and depth_below > bc.path_length:
        return 'allows %d CA(s) below it, the chain has %d' % (bc.path_length, depth_below)
    ku = _ext(cert, x509.KeyUsage)
    if ku is not None and not ku.key_cert_sign:
        return 'may not sign certificates (keyUsage without keyCertSign)'
    return None


def _leaf_problem(leaf, usages):
    bc = _ext(leaf, x509.BasicConstraints)
    if bc is not None and bc.ca:
        return 'is a CA certificate, not a leaf'
    ku = _ext(leaf, x509.KeyUsage)
    if ku is not None and not ku.digital_signature:
        return 'lacks keyUsage digitalSignature'
    eku = _ext(leaf, x509.ExtendedKeyUsage)
    if eku is not None:
        missing = [u for u in usages if _eku_oids()[u] not in list(eku)]
        if missing:
            return 'lacks extendedKeyUsage %s' % ', '.join(missing)
    return None


def verify(chain, bundle, at, usages=()):
    """None when chain (leaf first, then any intermediates the party presents) verifies against bundle (the CAs the
    verifier trusts) at time at for usages, else the reason."""
    if not chain:
        return 'presents no certificate'
    if not bundle:
        return 'trusts no CA'
    leaf = chain[0]
    problem = _leaf_problem(leaf, usages) or _time_problem(leaf, at)
    if problem:
        return 'the certificate ' + problem
    anchors = list(bundle)
    intermediates = list(chain[1:])
    current, depth, seen = leaf, 0, set()
    while depth < 8:
        issuer = None
        for candidate in anchors + intermediates:
            if candidate.fingerprint(_sha256()) in seen:
                continue
            if _signed_by(current, candidate):
                issuer = candidate
                break
        if issuer is None:
            if any(a.subject == current.issuer for a in anchors):
                return ("signed by another key than the CA '%s' in the verifier's bundle (same name, another CA)%s"
                        % (current.issuer.rfc4514_string(),
                           '' if current is leaf else " (reached through '%s')" % name_of(current)))
            return "issuer '%s' is not in the verifier's bundle (%s)%s" % (
                current.issuer.rfc4514_string(), '; '.join(name_of(c) for c in anchors),
                '' if current is leaf else " (reached through '%s')" % name_of(current))
        seen.add(issuer.fingerprint(_sha256()))
        problem = _ca_problem(issuer, depth) or _time_problem(issuer, at)
        if problem:
            return "its CA '%s' %s" % (name_of(issuer), problem)
        if any(issuer is a for a in anchors):
            return None
        current, depth = issuer, depth + 1
    return 'chain longer than 8 certificates'


def _sha256():
    return hashes.SHA256()


def check(parties, phases, times=None, at=None, transitions=True):
    """parties: {name: {'kind': kind, 'phases': {phase: {role: [certificates]}}}} (a role absent or empty: the party
    has no such file at that phase, its rows are skipped); phases: names in order; times: {phase: datetime} when each
    runs (default at, default now); transitions false: no checks one phase apart (a rollout that changes every file
    of every node at once and restarts, as the pki role's main path). Returns {'failures': [...], 'warnings': [...], 'checked': n, 'skipped': n}; each
    names phase, channel, presenter, verifier, the phases each was at, and the reason. A pair that already fails with
    both at the first phase is a warning at every phase (the rollout did not break it); every other is a failure."""
    at = _utc(at or datetime.datetime.now(datetime.timezone.utc))
    times = dict((k, _utc(v)) for k, v in (times or {}).items())
    for name, party in parties.items():
        if party.get('kind') not in KINDS:
            raise X509Error("party %s: kind '%s' is not one of %s" % (name, party.get('kind'), ', '.join(sorted(KINDS))))
    failures, checked, skipped, seen, broken_before = [], 0, 0, set(), set()
    for index, phase in enumerate(phases):
        when = times.get(phase, at)
        combos = [(phase, phase)]
        if index and transitions:
            combos += [(phases[index - 1], phase), (phase, phases[index - 1])]
        for channel, presented, verifying, usages, self_too in CHANNELS:
            for p_name in sorted(parties):
                p = parties[p_name]
                if presented not in KINDS[p['kind']]:
                    continue
                for v_name in sorted(parties):
                    v = parties[v_name]
                    if verifying not in KINDS[v['kind']] or (p_name == v_name and not self_too):
                        continue
                    for p_phase, v_phase in combos:
                        chain = p['phases'].get(p_phase, {}).get(presented) or []
                        bundle = v['phases'].get(v_phase, {}).get(verifying) or []
                        if not chain or not bundle:
                            skipped += 1
                            continue
                        checked += 1
                        reason = verify(chain, bundle, when, usages)
                        key = (channel, p_name, v_name)
                        if reason is None or key + (phase, reason) in seen:
                            continue
                        seen.add(key + (phase, reason))
                        if index == 0:
                            broken_before.add(key)
                        failures.append(dict(phase=phase, channel=channel, presenter=p_name, verifier=v_name,
                                             presenter_phase=p_phase, verifier_phase=v_phase, reason=reason,
                                             certificate=name_of(chain[0]), before=key in broken_before))
    # What already fails between two parties before the rollout is not the rollout's doing (an expired certificate
    # the rollout replaces): reported, not refused.
    return dict(failures=[f for f in failures if not f['before']], warnings=[f for f in failures if f['before']],
                checked=checked, skipped=skipped)


def describe(failure):
    """One line naming the pair: 'phase leaf, group-communication: db1 -> db2 (db2 still at bundle): reason'."""
    apart = ''
    if failure['presenter_phase'] != failure['phase']:
        apart = ' (%s still at %s)' % (failure['presenter'], failure['presenter_phase'])
    elif failure['verifier_phase'] != failure['phase']:
        apart = ' (%s still at %s)' % (failure['verifier'], failure['verifier_phase'])
    return "phase %s, %s: %s's certificate '%s' -> %s%s: %s" % (
        failure['phase'], failure['channel'], failure['presenter'], failure['certificate'], failure['verifier'],
        apart, failure['reason'])


# ---------------------------------------------------------------- parties of a rollout, from a set and the nodes

# Where each role's file is on a node when the product role names none: what the pki role distributes.
DEFAULT_FILES = {'peer_cert': 'server-cert.pem', 'peer_ca': 'ca.pem', 'sst_cert': 'server-cert.pem', 'sst_ca': 'ca.pem',
                 'server_cert': 'server-cert.pem',
                 'server_ca': 'ca.pem', 'client_cert': 'client-cert.pem', 'client_ca': 'client-ca.pem'}


def node_paths(remote_dir, channels=None):
    """{role: node path} from a product role's tls_channels (galera_engine.tls_channels): the channel with
    separate_from is the client certificate's (client_cert, client_ca); group communication's (or else the first
    other) gives peer_cert/peer_ca; client-server's (or else the same) gives server_cert/server_ca. Channels without
    a client certificate's: no client_cert (None), client_ca is server_ca."""
    paths = dict((role, os.path.join(remote_dir, base)) for role, base in DEFAULT_FILES.items())
    channels = [c for c in channels or [] if c.get('ca') or c.get('cert')]
    client = [c for c in channels if c.get('separate_from')]
    others = [c for c in channels if not c.get('separate_from')]
    peer = [c for c in others if 'group communication' in c.get('name', '')] or others
    server = [c for c in others if c.get('name') == 'client-server'] or peer
    sst = [c for c in others if c.get('name') == 'SST'] or peer
    for roles, chosen in ((('peer_cert', 'peer_ca'), peer), (('sst_cert', 'sst_ca'), sst), (('server_cert', 'server_ca'), server),
                          (('client_cert', 'client_ca'), client)):
        if chosen:
            paths[roles[0]] = chosen[0].get('cert') or paths[roles[0]]
            paths[roles[1]] = chosen[0].get('ca') or paths[roles[1]]
    if others and not client:
        # No client certificate channel (PXC's automatic mode, 3306 without TLS): 3306 trusts the server's own CA
        # file and the node presents no client certificate.
        paths['client_cert'] = None
        paths['client_ca'] = paths['server_ca']
    return paths


def steps_of(new_ca, full=False):
    """The phases a rollout goes through after the current state: a CA rotation's bundle, leaf, ca; a leaf renewal's
    leaf; the pki role's main path distributes everything at once (all)."""
    if full:
        return ['all']
    return ['bundle', 'leaf', 'ca'] if new_ca else ['leaf']


def node_states(name, set_dir, steps, remote_dir, paths, current, shared_ca=False, client_certs=True):
    """A node's state per phase: at 'current' what its files hold now (current: {node path: PEM text}); at each
    step, a file the step replaces (cert_set.node_files: same place as the product role's path) holds the set's file,
    any other keeps its content (an operator's own CA file stays what it is through the whole rotation)."""
    now = dict((role, parse_certs(current.get(path)) if path else []) for role, path in paths.items())
    states = {'current': now}
    for step in steps:
        replaced = dict((os.path.join(remote_dir, f['dest']), os.path.join(set_dir, f['src']))
                        for f in cert_set.node_files(step, name, shared_ca=shared_ca, client_certs=client_certs))
        nxt = dict(now)
        for role, path in paths.items():
            if path and path in replaced:
                nxt[role] = load_certs(replaced[path])
        states[step] = nxt
        now = nxt
    return states


def other_states(party, set_dir, steps):
    """A party the set has no node directory for (replica, application, arbitrator given by the caller):
    cert/next_cert (controller paths; next_cert from the leaf phase on), ca (its trust of the other side; with
    ca_follows_rotation it follows the rotation: old+new bundle from the bundle phase, the set's CA from the ca
    phase), chain (intermediates it presents)."""
    kind = party['kind']
    cert_role = 'peer_cert' if kind == 'arbitrator' else 'client_cert'
    ca_role = 'peer_ca' if kind == 'arbitrator' else 'server_ca'
    extra = load_certs(party.get('chain'))
    cert = load_certs(party.get('cert'))
    cert = cert[:1] + extra if cert else []
    nxt = load_certs(party.get('next_cert'))
    nxt = nxt[:1] + extra if nxt else cert
    ca = load_certs(party.get('ca'))
    states = {'current': {cert_role: cert, ca_role: ca}}
    prev = 'current'
    for step in steps:
        state = dict(states[prev])
        if step in ('leaf', 'all'):
            state[cert_role] = nxt
        if party.get('ca_follows_rotation'):
            if step == 'bundle':
                state[ca_role] = load_certs(os.path.join(set_dir, 'bundle.pem')) or ca
            elif step in ('ca', 'all'):
                state[ca_role] = load_certs(os.path.join(set_dir, 'ca.pem'))
        states[step] = state
        prev = step
    return states


def set_party(name, kind, set_dir, current_dir):
    """A party outside the play whose certificate the sets hold under nodes/<name>/ (an arbitrator a data nodes'
    rotation carries along): its node certificate now and staged, its CA file the set's, following the rotation."""
    current_dir = current_dir or set_dir
    return dict(name=name, kind=kind, cert=os.path.join(current_dir, 'nodes', name, 'server-cert.pem'),
                next_cert=os.path.join(set_dir, 'nodes', name, 'server-cert.pem'),
                ca=os.path.join(current_dir, 'ca.pem'), ca_follows_rotation=True)


def gate(set_dir, steps, nodes, others=(), remote_dir='/etc/mysql/certs', shared_ca=False, client_certs=True, at=None,
         current_dir=None, arbitrators=(), transitions=True):
    """The module's whole job. nodes: [{name, kind (node or arbitrator), remote_dir, channels, files: {node path:
    PEM}}] (files: what the node holds now, certificates only); others: [{name, kind, cert, next_cert, chain, ca,
    ca_follows_rotation}] (controller paths); arbitrators: names of arbitrators outside the play whose certificates
    the sets hold (set_party); the application certificates of set_dir (of current_dir when nothing is staged) are
    parties of kind application, presenting current_dir's certificate, then from the leaf phase on set_dir's.
    A set_dir without ca.pem (--check staged nothing) checks the current
    phase only. Returns check()'s result with phases and messages."""
    staged = bool(set_dir) and os.path.isfile(os.path.join(set_dir, 'ca.pem'))
    steps = list(steps) if staged else []
    parties = {}
    for node in nodes:
        name = node['name']
        if name in parties:
            raise X509Error('party %s is listed twice' % name)
        node_dir = node.get('remote_dir') or remote_dir
        parties[name] = dict(kind=node.get('kind') or 'node', phases=node_states(
            name, set_dir, steps, node_dir, node_paths(node_dir, node.get('channels')), node.get('files') or {},
            shared_ca=shared_ca, client_certs=client_certs))
    for name in arbitrators or []:
        if name not in parties:
            parties[name] = dict(kind='arbitrator', phases=other_states(set_party(name, 'arbitrator', set_dir, current_dir),
                                                                        set_dir, steps))
    for other in others or []:
        name = other['name']
        if name in parties:
            raise X509Error('party %s is listed twice' % name)
        if other.get('kind') not in KINDS:
            raise X509Error("party %s: kind '%s' is not one of %s" % (name, other.get('kind'), ', '.join(sorted(KINDS))))
        parties[name] = dict(kind=other['kind'], phases=other_states(other, set_dir, steps))
    # The application certificates the rollout leaves: the staged set's (one only in the current set is retired).
    for name in applications(set_dir if staged else (current_dir or set_dir)):
        if name in parties:
            continue
        parties[name] = dict(kind='application', phases=other_states(dict(
            kind='application', cert=os.path.join(current_dir or set_dir, APPS, name, 'cert.pem'),
            next_cert=os.path.join(set_dir, APPS, name, 'cert.pem') if staged else None), set_dir, steps))
    phases = ['current'] + steps
    result = check(parties, phases, at=at, transitions=transitions)
    result.update(phases=phases, staged=staged, parties=sorted(parties),
                  messages=[describe(f) for f in result['failures']],
                  warning_messages=[describe(f) for f in result['warnings']])
    return result


# Application client certificates of a set (module_utils/certificates/app_certs.py): <set>/applications/<name>/.
APPS = 'applications'


def applications(*set_dirs):
    """Names of the application certificates in the given set directories (current and staged), sorted."""
    names = set()
    for directory in set_dirs:
        base = os.path.join(directory, APPS) if directory else None
        if base and os.path.isdir(base):
            names.update(n for n in os.listdir(base) if os.path.isfile(os.path.join(base, n, 'cert.pem')))
    return sorted(names)
