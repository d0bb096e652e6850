# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recovery of a Galera cluster whose certificates expired: what a node saved (grastate.dat, the position
``--wsrep-recover`` prints), which addresses the cluster knows, which case applies and which node bootstraps.

Plain functions, unit-tested without Ansible: modules galera_recovery_state (on a node) and galera_recovery_plan
(on the controller) are thin wrappers. The bootstrap node is the one with the highest committed seqno; a position
that is not known is never guessed, and nodes that carry more than one cluster UUID are refused, whatever their
seqnos (their histories diverged: a seqno of one history says nothing about another, and any choice would throw
away the other history's transactions).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import re

NO_UUID = '00000000-0000-0000-0000-000000000000'
_UUID = r'[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'
# MariaDB and PXC: "WSREP: Recovered position: <uuid>:<seqno>" (PXC 8 may add ",<gtid>").
_RECOVERED = re.compile(r'Recovered position:?\s+(' + _UUID + r'):(-?[0-9]+)')


def parse_grastate(text):
    """grastate.dat as a dict: present, uuid, seqno (int, -1 when unknown), safe_to_bootstrap (bool)."""
    if text is None:
        return {'present': False, 'uuid': NO_UUID, 'seqno': -1, 'safe_to_bootstrap': False}
    fields = {}
    for line in text.splitlines():
        name, sep, value = line.partition(':')
        if sep and not line.lstrip().startswith('#'):
            fields[name.strip()] = value.strip()
    try:
        seqno = int(fields.get('seqno', '-1'))
    except ValueError:
        seqno = -1
    return {'present': True, 'uuid': fields.get('uuid', NO_UUID).lower() or NO_UUID, 'seqno': seqno,
            'safe_to_bootstrap': fields.get('safe_to_bootstrap', '0') == '1'}


def parse_recovered(log):
    """(uuid, seqno) from the output of --wsrep-recover (the last such line), or None."""
    found = _RECOVERED.findall(log or '')
    if not found:
        return None
    uuid, seqno = found[-1]
    return uuid.lower(), int(seqno)


def set_safe_to_bootstrap(text):
    """grastate.dat text with safe_to_bootstrap: 1 (added when missing)."""
    if re.search(r'^safe_to_bootstrap:', text, re.M):
        return re.sub(r'^safe_to_bootstrap:.*$', 'safe_to_bootstrap: 1', text, flags=re.M)
    return text.rstrip('\n') + '\nsafe_to_bootstrap: 1\n'


def address_host(address):
    """Host part of 'host', 'host:port', '[v6]:port' or 'v6'; '' for AUTO and empty entries."""
    address = (address or '').strip()
    if not address or address.upper() == 'AUTO':
        return ''
    if address.startswith('['):
        return address[1:address.find(']')] if ']' in address else address[1:]
    if address.count(':') == 1:
        return address.split(':', 1)[0]
    return address


def gcomm_hosts(cluster_address):
    """Hosts of a wsrep_cluster_address ('gcomm://a,b:4567,c?pc.wait_prim=no'); [] for 'gcomm://'."""
    value = (cluster_address or '').strip()
    if '://' in value:
        value = value.split('://', 1)[1]
    value = value.split('?', 1)[0]
    return [h for h in (address_host(a) for a in value.split(',')) if h]


def incoming_hosts(incoming):
    """Hosts of wsrep_incoming_addresses ('10.0.0.1:3306,10.0.0.2:3306')."""
    return [h for h in (address_host(a) for a in (incoming or '').split(',')) if h]


def omitted_addresses(known, inventory):
    """Addresses the cluster knows that match no node of the inventory.

    known: {reporting host: {address: [ips it resolves to on that host]}}; inventory: {host: [its names and ips]}.
    An address matches a node when the address itself or one of its ips is among the node's names and ips.
    Returns [(address, [hosts that know it], source description)] sorted by address."""
    names = {}
    for host, addresses in inventory.items():
        for a in addresses:
            names.setdefault(str(a).lower(), set()).add(host)
    out = {}
    for reporter, addresses in known.items():
        for address, ips in addresses.items():
            candidates = [address.lower()] + [str(i).lower() for i in ips or []]
            if any(c in names for c in candidates):
                continue
            out.setdefault(address, set()).add(reporter)
    return [(a, sorted(r)) for a, r in sorted(out.items())]


def ca_file_expired(certs):
    """A CA file is useless only when every certificate in it expired (an old+new bundle is not)."""
    return bool(certs) and all(c['expired'] for c in certs)


def expired_files(files):
    """[(path, not_after)] of the files that expired; files: [{path, kind: ca|cert, certs: [{not_after, expired}]}]."""
    out = []
    for f in files:
        certs = f.get('certs') or []
        if not certs:
            continue
        if f.get('kind') == 'ca':
            if ca_file_expired(certs):
                out.append((f['path'], max(c['not_after'] for c in certs)))
        elif certs[0]['expired']:
            out.append((f['path'], certs[0]['not_after']))
    return out


def position(state):
    """(uuid, seqno, source) of a node: grastate.dat when it holds a seqno, else the --wsrep-recover result."""
    grastate = state.get('grastate') or {}
    recovered = state.get('recovered') or {}
    if grastate.get('present') and grastate.get('seqno', -1) >= 0:
        return grastate['uuid'], grastate['seqno'], 'grastate.dat'
    if recovered.get('seqno', -1) is not None and recovered.get('seqno', -1) >= 0:
        return recovered['uuid'], recovered['seqno'], '--wsrep-recover'
    return grastate.get('uuid', NO_UUID) if grastate.get('present') else NO_UUID, -1, 'unknown'


def choose_bootstrap(states, order, preferred=None):
    """The node to bootstrap from when every node is down: (host, problems, positions).

    states: {host: {'grastate': parse_grastate(), 'recovered': {'uuid', 'seqno'} or {}}}; order: inventory order;
    preferred: the configured bootstrap host (wins a tie between nodes of the same history). A node whose position
    is unknown is a problem (never guessed); so is more than one cluster UUID among the nodes, whatever the seqnos."""
    positions = {h: position(states[h]) for h in order}
    problems = []
    unknown = [h for h in order if positions[h][1] < 0]
    if unknown:
        problems.append('the committed position of %s is not known (grastate.dat seqno -1 and no --wsrep-recover '
                        'result); a bootstrap node is never guessed' % ', '.join(unknown))
        return None, problems, positions
    uuids = sorted(set(positions[h][0] for h in order))
    if len(uuids) > 1:
        problems.append('%s carry more than one cluster UUID (%s): their histories diverged (seqnos of different '
                        'histories cannot be compared, a bootstrap from any of them would throw away the others\' '
                        'transactions), choose and repair by hand' % (
                            ', '.join(order), '; '.join('%s %s seqno %d' % (h, positions[h][0], positions[h][1])
                                                        for h in order)))
        return None, problems, positions
    top = max(p[1] for p in positions.values())
    best = [h for h in order if positions[h][1] == top]
    for rule in (lambda h: states[h].get('grastate', {}).get('safe_to_bootstrap'), lambda h: h == preferred):
        picked = [h for h in best if rule(h)]
        if picked:
            return picked[0], problems, positions
    return best[0], problems, positions


def recovery_case(running, hosts):
    """'running' when every node runs, 'partial' when some do, 'all_down' when none does."""
    up = [h for h in hosts if h in running]
    if len(up) == len(hosts):
        return 'running'
    return 'partial' if up else 'all_down'


def key_family(spec):
    """'rsa' or 'ecdsa' of a key_spec ('rsa2048', 'ecdsa-P-256'); OpenSSL keeps one certificate per family."""
    return 'rsa' if spec.startswith('rsa') else ('ecdsa' if spec.startswith('ec') else spec)


def plan(nodes, order, inventory_addresses, preferred=None, new_key_type=None):
    """What the recovery does, and why it must not (problems, each naming host and cause).

    nodes: {host: galera_recovery_state result}; order: inventory order; inventory_addresses: {host: [names, ips]};
    new_key_type: 'rsa' or 'ec', the key of the certificates to issue. A running node must keep its key family:
    galera's socket.ssl_reload loads the new certificate beside one of another family (OpenSSL holds one per family)
    and may go on presenting the expired one.
    Returns {case, running, down, expired: [[host, path, not_after]], omitted: [[address, [hosts]]], bootstrap,
    positions: {host: [uuid, seqno, source]}, needs_recover: [hosts], problems: [str]}."""
    running = [h for h in order if nodes[h].get('running')]
    down = [h for h in order if h not in running]
    case = recovery_case(running, order)
    problems = []
    expired = [[h, p, na] for h in order for p, na in expired_files(nodes[h].get('certificates', []))]
    if not expired:
        problems.append('no certificate of the cluster has expired on %s: this is not a recovery; rotate with '
                        'rotate_certificates.yml' % ', '.join(order))
    for h in order:
        for f in nodes[h].get('certificates', []):
            if f.get('error'):
                problems.append('%s: %s: %s' % (h, f['path'], f['error']))
    known = {h: nodes[h].get('known_addresses', {}) for h in order}
    omitted = omitted_addresses(known, inventory_addresses)
    for address, reporters in omitted:
        problems.append('%s: the cluster knows %s (%s), which is no node of the inventory; add it (every node must '
                        'get the new set)' % (', '.join(reporters), address,
                                              ', '.join(sorted(set(s for h in reporters
                                                                   for s in nodes[h].get('address_sources', {})
                                                                   .get(address, [])))) or 'cluster address'))
    for h in running:
        for f in nodes[h].get('certificates', []):
            old = key_family((f.get('certs') or [{}])[0].get('key', ''))
            if new_key_type and f.get('kind') == 'cert' and old in ('rsa', 'ecdsa') and old != key_family(new_key_type):
                problems.append('%s: %s has a %s key and the new certificate would have %s: a running node cannot swap key '
                                'types by a reload (galera keeps presenting the old certificate); set pki_key_type to %s'
                                % (h, f['path'], old.upper(), key_family(new_key_type).upper(),
                                   old))
        size = nodes[h].get('status', {}).get('wsrep_cluster_size')
        if size and size.isdigit() and int(size) > len(order):
            problems.append('%s: the running cluster has %s nodes, the inventory %d' % (h, size, len(order)))
    bootstrap = None
    positions = {}
    needs_recover = []
    if case == 'all_down':
        needs_recover = [h for h in order if position(nodes[h])[2] == 'unknown' and not nodes[h].get('recovered')]
        if not needs_recover:
            bootstrap, choice_problems, positions = choose_bootstrap(nodes, order, preferred)
            problems.extend(choice_problems)
    return {'case': case, 'running': running, 'down': down, 'expired': expired,
            'omitted': [[a, r] for a, r in omitted], 'bootstrap': bootstrap,
            'positions': dict((h, list(p)) for h, p in positions.items()), 'needs_recover': needs_recover,
            'problems': problems}


def ca_decision(current, staged, valid_days, now_iso):
    """Which CAs sign the new set. current, staged: {name ('ca', 'client-ca'): {'sha256', 'not_after'} or None}
    for pki_dir and pki_dir/next; valid_days: the new certificates' validity; now_iso: 'YYYY-MM-DDTHH:MM:SSZ' + days
    is compared as text (ISO 8601 in UTC sorts as time).

    Returns {'new_ca': bool, 'discard_staged': bool, 'reasons': [str], 'problems': [str]}: a staged CA that is not
    the current one is the new CA (a previous run's, or the operator's own) and must not have expired; a staged
    copy of the current CA (a leaf rotation that stopped) is discarded; without a staged CA a new one is made when
    a current CA expired or ends before certificates of valid_days would."""
    now = datetime.datetime.strptime(now_iso, '%Y-%m-%dT%H:%M:%SZ')
    horizon = (now + datetime.timedelta(days=int(valid_days))).strftime('%Y-%m-%dT%H:%M:%SZ')
    out = {'new_ca': False, 'discard_staged': False, 'reasons': [], 'problems': []}
    staged_new = dict((n, s) for n, s in staged.items()
                      if s and not (current.get(n) and current[n]['sha256'] == s['sha256']))
    if any(staged.values()) and not staged_new:
        out['discard_staged'] = True
    for name, s in sorted(staged_new.items()):
        if s['not_after'] <= now_iso:
            out['problems'].append('the new CA next/%s.pem expired on %s: give a CA that is valid, or remove it and a '
                                   'new one is made' % (name, s['not_after']))
    if staged_new:
        out['new_ca'] = True
        out['reasons'].append('the staged new CA (next/) is used')
        return out
    for name, c in sorted(current.items()):
        if c is None:
            continue
        if c['not_after'] <= now_iso:
            out['reasons'].append('%s.pem expired on %s' % (name, c['not_after']))
        elif c['not_after'] < horizon:
            out['reasons'].append('%s.pem ends on %s, before certificates of %s days would'
                                  % (name, c['not_after'], valid_days))
    out['new_ca'] = bool(out['reasons'])
    return out


def certificate_files(tls_channels):
    """The CA and certificate files a node's channels use, each once, in order: [{path, kind: ca|cert}]."""
    out, seen = [], set()
    for channel in tls_channels or []:
        for path, kind in ((channel.get('ca'), 'ca'), (channel.get('cert'), 'cert')):
            if path and path not in seen:
                seen.add(path)
                out.append({'path': path, 'kind': kind})
    return out


def inventory_addresses(hosts, node_addresses, resolved):
    """{host: names} a node is known by: its inventory name, its node address and what any node resolved that
    address to. node_addresses: {host: node address}; resolved: {reporting host: {address: [ips]}}."""
    out = {}
    for host in hosts:
        address = node_addresses.get(host) or host
        names = [host, address]
        for reporter in hosts:
            names.extend((resolved.get(reporter) or {}).get(address) or [])
        unique = []
        for name in names:
            if name not in unique:
                unique.append(name)
        out[host] = unique
    return out


def _day(value):
    return str(value)[:10]


def describe(plan_result, needs_recover, check_mode=False):
    """One line saying what the recovery does: the case, what expired where, the positions, which CAs sign."""
    p = plan_result
    if p['case'] == 'running':
        what = 'every node runs on sessions opened before the certificates expired: new set, reload, no restart'
    elif p['case'] == 'partial':
        what = ('running: %s get the new set by a reload; then %s start with it one at a time (IST where the gcache '
                'allows)' % (', '.join(p['running']), ', '.join(p['down'])))
    else:
        boot = p.get('bootstrap') or ('the node with the highest seqno (--wsrep-recover of %s in a real run)'
                                      % ', '.join(needs_recover))
        what = 'every node is down: bootstrap from %s, then start the others one at a time' % boot
    by_host = []
    for host, path, ended in p.get('expired') or []:
        if by_host and by_host[-1][0] == host:
            by_host[-1][1].append((path, ended))
        else:
            by_host.append((host, [(path, ended)]))
    expired = '; '.join('%s %s (ended %s)' % (h, ', '.join(path.rsplit('/', 1)[-1] for path, dummy in files),
                                              _day(min(e for dummy, e in files))) for h, files in by_host)
    positions = '; '.join(' '.join(str(v) for v in [h] + list(pos)) for h, pos in sorted((p.get('positions') or {}).items()))
    if not positions:
        positions = 'not read (--check)' if p.get('needs_recover') else 'not needed'
    cas = ('new CAs (%s)' % '; '.join(p.get('ca_reasons') or []) if p.get('new_ca')
           else 'the current CAs sign the new certificates')
    return '%s; expired: %s; positions: %s; %s' % (what, expired, positions, cas)


def summary(hosts, plan_result, reloads, joined, check_mode=False):
    """One line per node of what the recovery did (or would do). reloads: {host: {files_changed, seconds,
    restarted}} of the running nodes; joined: {host: galera_restart result} of the nodes started after."""
    p = plan_result
    out = []
    for h in hosts:
        if h in p['running']:
            r = reloads.get(h) or {}
            files = len(r.get('files_changed') or [])
            if check_mode:
                out.append('%s: %d file(s) would change, would reload' % (h, files))
            else:
                out.append('%s: %d file(s) changed, %s, %s s' % (h, files, 'restarted' if r.get('restarted') else 'reloaded',
                                                                 r.get('seconds', 0)))
        elif h == p.get('bootstrap'):
            pos = (p.get('positions') or {}).get(h) or ['', '?', '?']
            out.append('%s: %s the cluster with the new set (highest committed seqno %s, %s)'
                       % (h, 'would bootstrap' if check_mode else 'bootstrapped', pos[1], pos[2]))
        elif check_mode:
            out.append('%s: would be started with the new set' % h)
        else:
            j = joined.get(h) or {}
            out.append('%s: started with the new set, joined by %s in %s s'
                       % (h, j.get('rejoined_by', '?'), j.get('seconds', '?')))
    return out
