# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Asynchronous replication between clusters over TLS (issue 30 item 2): the replica's channel to a source cluster,
MariaDB's `CHANGE MASTER TO ... MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=1, MASTER_USE_GTID=slave_pos` and MySQL's
(PXC, MySQL 8.4/9.7) `CHANGE REPLICATION SOURCE TO ... SOURCE_SSL=1, SOURCE_SSL_VERIFY_SERVER_CERT=1,
SOURCE_AUTO_POSITION=1` built from one table (FLAVOURS), read back from SHOW SLAVE STATUS / SHOW REPLICA STATUS and
changed only where it differs.

The replica logs in with a client certificate issued by the SOURCE's client CA (an application certificate of the
source's pki set) to an account on the source that REQUIRE SUBJECT (and ISSUER) names and that has no password: no
password is set, sent or logged. It checks the source's node certificate against MASTER_SSL_CA (the source's cluster
CA) and its name against MASTER_HOST.

Plain functions; the module runs the statements through the node's client (socket authentication as root)."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re

from ansible_collections.clustersec.mysql.plugins.module_utils.galera.x509_accounts import (
    AccountError, account_name, sql_string)

# What differs between the flavours, as data. 'options': the channel's settings -> (CHANGE option, status column).
# A status column's value is compared after normalise_status(); position is the GTID mode (MariaDB's Using_Gtid,
# MySQL's Auto_Position).
_MARIADB = dict(
    change='CHANGE MASTER TO', password='MASTER_PASSWORD', start='START SLAVE', stop='STOP SLAVE', status='SHOW SLAVE STATUS',
    start_io='START SLAVE IO_THREAD', stop_io='STOP SLAVE IO_THREAD', grant='REPLICATION SLAVE',
    options=dict(host=('MASTER_HOST', 'Master_Host'), port=('MASTER_PORT', 'Master_Port'),
                 user=('MASTER_USER', 'Master_User'), ssl=('MASTER_SSL', 'Master_SSL_Allowed'),
                 ssl_ca=('MASTER_SSL_CA', 'Master_SSL_CA_File'), ssl_cert=('MASTER_SSL_CERT', 'Master_SSL_Cert'),
                 ssl_key=('MASTER_SSL_KEY', 'Master_SSL_Key'),
                 verify=('MASTER_SSL_VERIFY_SERVER_CERT', 'Master_SSL_Verify_Server_Cert'),
                 position=('MASTER_USE_GTID', 'Using_Gtid')),
    position_value='slave_pos', position_shown='Slave_Pos',
    health=dict(io='Slave_IO_Running', sql='Slave_SQL_Running', behind='Seconds_Behind_Master',
                io_errno='Last_IO_Errno', io_error='Last_IO_Error', sql_errno='Last_SQL_Errno',
                sql_error='Last_SQL_Error'),
)
_MYSQL = dict(
    change='CHANGE REPLICATION SOURCE TO', password='SOURCE_PASSWORD', start='START REPLICA', stop='STOP REPLICA', status='SHOW REPLICA STATUS',
    start_io='START REPLICA IO_THREAD', stop_io='STOP REPLICA IO_THREAD', grant='REPLICATION SLAVE',
    options=dict(host=('SOURCE_HOST', 'Source_Host'), port=('SOURCE_PORT', 'Source_Port'),
                 user=('SOURCE_USER', 'Source_User'), ssl=('SOURCE_SSL', 'Source_SSL_Allowed'),
                 ssl_ca=('SOURCE_SSL_CA', 'Source_SSL_CA_File'), ssl_cert=('SOURCE_SSL_CERT', 'Source_SSL_Cert'),
                 ssl_key=('SOURCE_SSL_KEY', 'Source_SSL_Key'),
                 verify=('SOURCE_SSL_VERIFY_SERVER_CERT', 'Source_SSL_Verify_Server_Cert'),
                 position=('SOURCE_AUTO_POSITION', 'Auto_Position')),
    position_value=1, position_shown='1',
    health=dict(io='Replica_IO_Running', sql='Replica_SQL_Running', behind='Seconds_Behind_Source',
                io_errno='Last_IO_Errno', io_error='Last_IO_Error', sql_errno='Last_SQL_Errno',
                sql_error='Last_SQL_Error'),
)
# 'pxc' is the galera engine's name for the MySQL flavour; 'mysql' a single MySQL replica.
FLAVOURS = {'mariadb': _MARIADB, 'pxc': _MYSQL, 'mysql': _MYSQL}
ORDER = ('host', 'port', 'user', 'ssl', 'ssl_ca', 'ssl_cert', 'ssl_key', 'verify', 'position')
_HOST = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9.:-]{0,252})$')
_PATH = re.compile(r'^/[A-Za-z0-9._/@+-]*$')


class ReplicationError(Exception):
    """Bad input or a server answer that does not fit; the message names the field or the statement."""


def flavour(name):
    if name not in FLAVOURS:
        raise ReplicationError('flavor must be one of %s, not %r' % (', '.join(sorted(FLAVOURS)), name))
    return FLAVOURS[name]


def wanted_channel(source_host, source_port, user, ssl_ca, ssl_cert, ssl_key, verify=True, ssl=True):
    """The channel's settings, checked: a host name or address, a port, a user name SQL may carry, absolute paths.
    verify and ssl false are the test-only plaintext control (the module refuses them without an explicit opt-out)."""
    host = str(source_host or '')
    if not _HOST.match(host):
        raise ReplicationError('source_host %r: a host name or an IP address' % host)
    try:
        port = int(source_port)
    except (TypeError, ValueError):
        raise ReplicationError('source_port %r is not a number' % (source_port,))
    if not 0 < port < 65536:
        raise ReplicationError('source_port %d is outside 1-65535' % port)
    if not user or len(str(user)) > 32:
        raise ReplicationError('user %r: 1 to 32 characters (a replication user name)' % (user,))
    try:
        sql_string(user, 'user')
    except AccountError as exc:
        raise ReplicationError(str(exc))
    out = dict(host=host, port=port, user=str(user), ssl=bool(ssl), verify=bool(verify) and bool(ssl), position=True)
    for name, path in (('ssl_ca', ssl_ca), ('ssl_cert', ssl_cert), ('ssl_key', ssl_key)):
        path = '' if path is None else str(path)
        if ssl and not path:
            raise ReplicationError('%s is required for a TLS channel' % name)
        if path and (not _PATH.match(path) or '..' in path.split('/')):
            raise ReplicationError('%s %r: an absolute path of letters, digits and ._/@+- without ..' % (name, path))
        out[name] = path
    return out


def _literal(key, value, table):
    if key in ('ssl', 'verify'):
        return '1' if value else '0'
    if key == 'port':
        return '%d' % value
    if key == 'position':
        # MariaDB's MASTER_USE_GTID takes a keyword (slave_pos, no), not a string; MySQL's a number.
        v = table['position_value'] if value else ('no' if table is _MARIADB else 0)
        return str(v)
    return sql_string(value, key)


def change_sql(wanted, keys, flavor):
    """CHANGE MASTER TO / CHANGE REPLICATION SOURCE TO with the options of keys (in ORDER). The account has no
    password (the certificate is the credential): with a new user the password is set empty, so one left from an
    earlier channel is not sent (the status does not show it)."""
    table = flavour(flavor)
    parts = []
    for k in ORDER:
        if k in keys:
            parts.append('%s=%s' % (table['options'][k][0], _literal(k, wanted[k], table)))
            if k == 'user':
                parts.append("%s=''" % table['password'])
    if not parts:
        raise ReplicationError('nothing to change')
    return '%s %s' % (table['change'], ', '.join(parts))


def parse_status(text):
    """The one row of SHOW SLAVE/REPLICA STATUS printed by the client with -B -r (a header line of column names,
    a line of tab-separated values) as a dict; {} when no channel is configured."""
    lines = [line for line in (text or '').split('\n') if line != '']
    if not lines:
        return {}
    if len(lines) < 2:
        raise ReplicationError('status without a row: %r' % text[:200])
    names, values = lines[0].split('\t'), lines[1].split('\t')
    if len(names) != len(values):
        raise ReplicationError('status has %d columns and %d values' % (len(names), len(values)))
    return dict(zip(names, values))


def _yes(value):
    return str(value).strip().lower() in ('yes', '1', 'on', 'true')


def current_channel(status, flavor):
    """The channel settings SHOW ... STATUS shows, in wanted_channel's shape; None when there is none."""
    if not status:
        return None
    table = flavour(flavor)
    col = dict((k, table['options'][k][1]) for k in ORDER)
    missing = [c for c in col.values() if c not in status]
    if missing:
        raise ReplicationError('status lacks the column(s) %s' % ', '.join(missing))
    try:
        port = int(status[col['port']])
    except ValueError:
        port = status[col['port']]
    return dict(host=status[col['host']], port=port, user=status[col['user']],
                ssl=_yes(status[col['ssl']]), verify=_yes(status[col['verify']]),
                ssl_ca=status[col['ssl_ca']], ssl_cert=status[col['ssl_cert']], ssl_key=status[col['ssl_key']],
                position=str(status[col['position']]).strip().lower() == str(table['position_shown']).lower())


def differs(current, wanted):
    """The keys whose value differs (all of them for a channel not configured yet), in ORDER."""
    if current is None:
        return list(ORDER)
    return [k for k in ORDER if current.get(k) != wanted.get(k)]


def health(status, flavor):
    """The channel's state for the report: {configured, io_running, sql_running, ssl, verify, seconds_behind, errors}."""
    if not status:
        return dict(configured=False, io_running=False, sql_running=False, ssl=False, verify=False,
                    seconds_behind=None, errors=[], source=None)
    table = flavour(flavor)
    h, opt = table['health'], table['options']
    behind = status.get(h['behind'])
    errors = []
    for kind in ('io', 'sql'):
        errno = str(status.get(h['%s_errno' % kind]) or '0')
        if errno not in ('', '0'):
            errors.append('%s thread error %s: %s' % (kind.upper(), errno, status.get(h['%s_error' % kind]) or ''))
    return dict(configured=True, io_running=str(status.get(h['io'])) == 'Yes',
                sql_running=str(status.get(h['sql'])) == 'Yes', ssl=_yes(status.get(opt['ssl'][1])),
                verify=_yes(status.get(opt['verify'][1])),
                seconds_behind=int(behind) if behind not in (None, '', 'NULL') and str(behind).isdigit() else None,
                errors=errors, source='%s:%s' % (status.get(opt['host'][1]), status.get(opt['port'][1])))


def health_problems(state):
    """What the report flags about one channel ([] when it is configured, encrypted, verifying and running)."""
    if not state.get('configured'):
        return ['no replication channel is configured']
    problems = []
    if not state.get('ssl'):
        problems.append('the channel does not use TLS')
    if not state.get('verify'):
        problems.append("the channel does not verify the source's certificate")
    if not state.get('io_running'):
        problems.append('the IO thread is not running')
    if not state.get('sql_running'):
        problems.append('the SQL thread is not running')
    return problems + list(state.get('errors') or [])


def plan(current, wanted, threads, start, files_changed, flavor):
    """The statements that bring the channel where it should be, in order. threads: (IO thread on, SQL thread on) -
    an IO thread that is connecting counts as on. Changing the channel needs the threads stopped; the IO thread reads
    the certificate files when it connects, so changed files restart it."""
    table = flavour(flavor)
    io_on, sql_on = threads
    keys = differs(current, wanted)
    out = []
    if keys:
        if io_on or sql_on:
            out.append(table['stop'])
        out.append(change_sql(wanted, keys, flavor))
        if start:
            out.append(table['start'])
    elif start and not (io_on and sql_on):
        out.append(table['start'])
    elif files_changed and io_on:
        out += [table['stop_io'], table['start_io']]
    return keys, out


def threads_on(status, flavor):
    """(IO thread on, SQL thread on) of a status row; 'Connecting' counts as on (it retries by itself)."""
    h = flavour(flavor)['health']
    return (str(status.get(h['io'])) in ('Yes', 'Connecting'), str(status.get(h['sql'])) == 'Yes')


def _client(run, client, sql, header=False):
    rc, out, err = run(list(client) + (['-B', '-r', '-e', sql] if header else ['-N', '-B', '-r', '-e', sql]))
    if rc != 0:
        raise ReplicationError('%s: %s' % (sql.split(' (')[0][:60], (err or out).strip()))
    return out


def read_status(run, client, flavor):
    return parse_status(_client(run, client, flavour(flavor)['status'], header=True))


def configure(run, client, wanted, flavor, start=True, files_changed=False, check_mode=False):
    """Read the channel, run what differs (not in check mode), read it again. Returns (changed, keys that differed,
    statements, health before, health after)."""
    status = read_status(run, client, flavor)
    current = current_channel(status, flavor)
    before = health(status, flavor)
    keys, statements = plan(current, wanted, threads_on(status, flavor), start, files_changed, flavor)
    after = before
    if statements and not check_mode:
        for sql in statements:
            _client(run, client, sql)
        status = read_status(run, client, flavor)
        left = differs(current_channel(status, flavor), wanted)
        if left:
            raise ReplicationError('the channel still differs in %s after %s' % (', '.join(left), '; '.join(statements)))
        after = health(status, flavor)
    return bool(statements), keys, statements, before, after


# The source side: the replication account is an X.509 account (module_utils/galera/x509_accounts) with one grant.
def grant_sql(user, host, flavor):
    return 'GRANT %s ON *.* TO %s' % (flavour(flavor)['grant'], account_name(user, host))


def has_grant(grants_text, flavor):
    """Whether SHOW GRANTS output holds the replication privilege (alone or with ALL PRIVILEGES)."""
    privs = (flavour(flavor)['grant'], 'REPLICATION REPLICA', 'ALL PRIVILEGES')
    for line in (grants_text or '').splitlines():
        upper = line.upper()
        if ' ON *.* ' in upper and any(p in upper.split(' ON ', 1)[0] for p in privs):
            return True
    return False


def grant(run, client, user, host, flavor, check_mode=False):
    """Give the account the replication privilege where SHOW GRANTS lacks it. Returns the statement or None."""
    shown = _client(run, client, 'SHOW GRANTS FOR %s' % account_name(user, host))
    if has_grant(shown, flavor):
        return None
    sql = grant_sql(user, host, flavor)
    if not check_mode:
        _client(run, client, sql)
    return sql


# Pre-flight on the controller, before any file is written or any server changed: the files the channel will use.
def name_matches(cert, host):
    """Whether the certificate names host the way the replica's client checks it (VERIFY_SERVER_CERT): an IP SAN for
    an address, a DNS SAN (exact, or a one-label wildcard) for a name."""
    import ipaddress
    from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_checks import sans_of
    dns, ips = sans_of(cert)
    try:
        return ipaddress.ip_address(host) in ips
    except ValueError:
        pass
    host = host.lower().rstrip('.')
    for name in dns:
        if name == host or (name.startswith('*.') and host.split('.', 1)[-1] == name[2:] and host.count('.') >= 2):
            return True
    return False


def tls_problems(replica, source_host, ca_file, client_ca_file, cert_file, key_file, server_cert_files):
    """Every problem of one replica's TLS files, each naming the replica and the cause: the replica's client
    certificate must be signed by the source's client CA (what the source's 3306 trusts), match its key and be valid
    now; the source's node certificates (server_cert_files: {source host: path}) must be signed by a CA of ca_file
    (what MASTER_SSL_CA holds) and name source_host."""
    from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
    from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_checks import signed_by
    from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error
    problems = []

    def load(kind, field, path, **kwargs):
        try:
            return getattr(X, kind)(field, path, **kwargs)
        except X509Error as exc:
            problems.append('%s: %s' % (replica, exc))
            return None

    cas = load('load_certs', 'source cluster CA', ca_file) or []
    client_cas = load('load_certs', "source's client CA", client_ca_file) or []  # a bundle during a rotation
    cert = load('load_cert', 'replica client certificate', cert_file)
    key = load('load_key', 'replica client key', key_file)
    now = X.utcnow()
    if cert is not None:
        if client_cas and not any(signed_by(cert, ca) for ca in client_cas):
            problems.append("%s: the client certificate %s is not signed by the source's client CA %s (the source "
                            "would refuse it)" % (replica, cert_file, client_ca_file))
        if X.not_after(cert) <= now:
            problems.append('%s: the client certificate %s has expired' % (replica, cert_file))
        if key is not None and not X.key_matches(cert, key):
            problems.append('%s: the client key %s does not match %s' % (replica, key_file, cert_file))
    for source, path in sorted((server_cert_files or {}).items()):
        server = load('load_cert', 'source node certificate of %s' % source, path)
        if server is None:
            continue
        if cas and not any(signed_by(server, ca) for ca in cas):
            problems.append("%s: %s's node certificate is not signed by a CA of %s (verification would fail)"
                            % (replica, source, ca_file))
        if source == source_host or len(server_cert_files) == 1:
            if not name_matches(server, source_host):
                problems.append("%s: the source's node certificate %s does not name %s (VERIFY_SERVER_CERT checks "
                                "the name): give source_host as one of its SANs" % (replica, path, source_host))
    return problems


# The report's entry (module_utils/probes/encryption_report.py, and through it the metrics): one per replica.
REPORT_CHANNEL = 'replication'
_TIME = '%Y-%m-%dT%H:%M:%SZ'


def channel_files(ca_file, cert_file, now=None):
    """What the channel's files hold, read on the replica (replication_channel): the CAs the replica trusts for the
    source (each certificate of the CA file: subject, sha256, not_after) and its client certificate (subject, issuer,
    not_after, days_left, sha256 - the report's certificate fields). A file that cannot be read is an 'error' naming it;
    None when no file is named (a plaintext channel)."""
    import hashlib
    from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
    from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error
    if not ca_file and not cert_file:
        return None
    out = dict(ca=[], client_cert=None, errors=[])
    if not X.HAS_CRYPTOGRAPHY:
        out['errors'].append('the channel files: python cryptography is missing on the replica')
        return out
    now = now or X.utcnow()

    def describe(cert):
        from cryptography.hazmat.primitives.serialization import Encoding
        end = X.not_after(cert)
        return dict(subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
                    not_after=end.strftime(_TIME), days_left=(end - now).days,
                    sha256=hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest())

    for field, path in (('source CA file', ca_file), ('client certificate', cert_file)):
        if not path:
            continue
        try:
            certs = X.load_certs(field, path)
        except X509Error as exc:
            out['errors'].append(str(exc))
            continue
        if field == 'source CA file':
            out['ca'] = [dict((k, v) for k, v in describe(c).items() if k in ('subject', 'sha256', 'not_after'))
                         for c in certs]
        else:
            out['client_cert'] = describe(certs[0])
    return out


def files_problems(files):
    """What the report flags about the channel's files: unreadable, an expired client certificate, no CA."""
    if not isinstance(files, dict):
        return []
    problems = ['cannot read %s' % e for e in files.get('errors') or []]
    cert = files.get('client_cert') or {}
    if cert and cert.get('days_left') is not None and cert['days_left'] < 0:
        problems.append('the client certificate expired on %s' % cert.get('not_after'))
    if not files.get('ca') and not files.get('errors'):
        problems.append('the CA file holds no certificate')
    return problems


def report_entry(result):
    """The replica's channel entry from a replication_channel result (its 'channel' state; the verify run reads it in
    check mode), or None when the host has no channel asked for. Red: not configured, no TLS, no verification, a
    thread stopped or an error (replication is broken or in clear); green otherwise."""
    if not isinstance(result, dict) or result.get('skipped'):
        return None
    if result.get('failed'):
        return dict(channel=REPORT_CHANNEL, port='-', status='amber', protocol='unknown', encrypted=False,
                    findings=['could not read the replication channel: %s' % result.get('msg', '')])
    state = result.get('channel')
    if not isinstance(state, dict):
        return None
    findings = health_problems(state)
    files = result.get('files')
    findings += files_problems(files)
    entry = dict(channel=REPORT_CHANNEL, port=state.get('source') or '-', status='red' if findings else 'green',
                 protocol=('TLS, source verified' if state.get('verify') else 'TLS') if state.get('ssl') else 'plain',
                 encrypted=bool(state.get('ssl')), verified_name=bool(state.get('verify')),
                 io_running=bool(state.get('io_running')), sql_running=bool(state.get('sql_running')),
                 seconds_behind=state.get('seconds_behind'), findings=findings)
    if isinstance(files, dict):
        # The certificate fields are the client certificate's (the report's details table and the metrics' notAfter
        # read them as for any channel); trusted_ca is what MASTER_SSL_CA holds (a bundle during a rotation).
        cert = files.get('client_cert') or {}
        entry.update(subject=cert.get('subject'), issuer=cert.get('issuer'), not_after=cert.get('not_after'),
                     days_left=cert.get('days_left'), sha256_fingerprint=cert.get('sha256'),
                     trusted_ca=list(files.get('ca') or []))
    return entry


# A source cluster's rotation reaches its replicas (roles/galera/tasks/rotate_replicas.yml, the trust gate). A replica
# is a host of the galera_replica group whose source nodes include a node of the rotation; its settings are its
# inventory values (hostvars hold no role defaults: DEFAULTS are roles/galera/defaults/main.yml's, a unit test keeps
# them equal).
DEFAULTS = {
    'galera_replication_source_host': '', 'galera_replication_source_port': 3306, 'galera_replication_source_nodes': [],
    'galera_replication_cert': '', 'galera_replication_ca_file': '', 'galera_replication_user': '',
    'galera_replication_account_host': '%', 'galera_replication_require': ['subject', 'issuer'],
    'galera_replication_dir': '/etc/mysql/replication', 'galera_replication_server_dir': '',
    'galera_replication_owner': 'mysql', 'galera_replication_group': 'mysql', 'galera_replication_allow_insecure': [],
}
# Defaults the role templates from the engine: the replica's client and flavour from the replica's galera_engine (when
# the run published it), the source's from the source node's (the rotation runs there).
ENGINE_DEFAULTS = {'galera_replication_client': 'client', 'galera_replication_flavor': 'flavor'}
SOURCE_ENGINE_DEFAULTS = {'galera_replication_source_client': 'client', 'galera_replication_source_flavor': 'flavor'}
ROTATION_STEPS = ('bundle', 'leaf', 'ca')


def replica_settings(values, source_engine=None):
    """One replica's galera_replication_* settings: its inventory values (values: its hostvars, a dict) over DEFAULTS;
    the clients and flavours from the engines when the inventory names none."""
    out = dict(DEFAULTS)
    out.update((k, values[k]) for k in DEFAULTS if values.get(k) not in (None,))
    engine = values.get('galera_engine') or {}
    for key, field in ENGINE_DEFAULTS.items():
        out[key] = values.get(key) or engine.get(field) or 'mariadb'
    for key, field in SOURCE_ENGINE_DEFAULTS.items():
        out[key] = values.get(key) or (source_engine or {}).get(field) or 'mariadb'
    out['galera_replication_replica_host'] = values.get('galera_replication_replica_host') or ''
    return out


def replicas_of(source_hosts, replicas, source_engine=None):
    """The replicas of a source: replicas is [(host, hostvars of host)] of the galera_replica group in inventory order;
    a host counts when one of its source nodes (galera_replication_source_nodes, else galera_replication_source_host)
    is in source_hosts and it runs the channel - the host its galera_replication_replica_host names, else the first
    host in order with the same source (one node of a Galera replica runs the channel). Returns [dict(host,
    source_node (the first source node of source_hosts), settings)]; a replica without a certificate name or a user
    raises, naming it."""
    sources = [str(h) for h in source_hosts or []]
    out, taken = [], set()
    for host, values in replicas or []:
        host = str(host)
        s = replica_settings(values, source_engine)
        nodes = [str(n) for n in s['galera_replication_source_nodes'] or
                 ([s['galera_replication_source_host']] if s['galera_replication_source_host'] else [])]
        in_play = [n for n in nodes if n in sources]
        if not in_play:
            continue
        named = s['galera_replication_replica_host']
        key = (tuple(nodes), s['galera_replication_source_host'])
        if named and named != host:
            continue
        if not named:
            if key in taken:
                continue
            taken.add(key)
        missing = [k for k in ('galera_replication_cert', 'galera_replication_user', 'galera_replication_source_host')
                   if not s[k]]
        if missing:
            raise ReplicationError('replica %s of %s: %s not set in the inventory' % (host, in_play[0], ', '.join(missing)))
        out.append(dict(host=host, source_node=in_play[0], settings=s))
    return out


def _app(set_dir, cert):
    return os.path.join(set_dir, 'applications', cert)


def gate_parties(replicas, pki_dir, set_dir, listed=()):
    """Trust gate parties (module_utils/certificates/trust_gate.py, kind replica) of replicas_of()'s result: each
    presents its client certificate of the source's set (the staged set's from the leaf phase on) to the source nodes
    on 3306 and verifies their server certificate with its CA file - the source set's, following the rotation, or its
    own galera_replication_ca_file, which no rotation replaces. A name already listed (pki_trust_gate_parties) is left
    to the operator's entry."""
    out = []
    for r in replicas:
        if r['host'] in listed:
            continue
        s = r['settings']
        own = s['galera_replication_ca_file']
        if own and not os.path.isfile(own):
            # A file the gate cannot read would leave the replica's side unchecked.
            raise ReplicationError('replica %s: galera_replication_ca_file %s is not a file on the controller' % (r['host'], own))
        out.append(dict(name=r['host'], kind='replica', cert=os.path.join(_app(pki_dir, s['galera_replication_cert']), 'cert.pem'),
                        next_cert=os.path.join(_app(set_dir, s['galera_replication_cert']), 'cert.pem'),
                        ca=own or os.path.join(pki_dir, 'ca.pem'), ca_follows_rotation=not own))
    return out


def rotation_plan(replica, step, new_ca, pki_dir, check_mode=False):
    """What one rotation phase does on a replica (replicas_of() entry), after the source nodes finished it:
      bundle  the CA file becomes the staged old+new bundle; the account leaves ISSUER out
      leaf    the client certificate and key of the staged set (issued by the new client CA); CA file unchanged
      ca      the CA file becomes the new CA alone; the account requires the new client CA's ISSUER again
    (without a CA rotation, leaf only: the renewed certificate, the CA and the ISSUER stay). A replica's own
    galera_replication_ca_file stays (the trust gate checks it holds what the phase needs). The files are controller
    paths (src), or in check mode, where nothing was staged, a placeholder text no real file equals (content).
    Returns dict(host, source_node, directory, files, channel, account)."""
    if step not in ROTATION_STEPS or (step != 'leaf' and not new_ca):
        raise ReplicationError('rotation step %r%s' % (step, '' if new_ca else ' without a CA rotation'))
    s = replica['settings']
    nxt = os.path.join(pki_dir, 'next')
    own = s['galera_replication_ca_file']
    ca = own or os.path.join(nxt, 'ca.pem' if step == 'ca' or not new_ca else 'bundle.pem')
    cert_dir = _app(pki_dir if step == 'bundle' else nxt, s['galera_replication_cert'])
    where = s['galera_replication_dir']
    files = []
    for src, dest, mode, owner, secret in ((ca, 'source-ca.pem', '0644', 'root', False),
                                           (os.path.join(cert_dir, 'cert.pem'), 'client-cert.pem', '0644', 'root', False),
                                           (os.path.join(cert_dir, 'key.pem'), 'client-key.pem', '0600',
                                            s['galera_replication_owner'], True)):
        entry = dict(dest='%s/%s' % (where.rstrip('/'), dest), mode=mode, owner=owner, secret=secret)
        if check_mode and not os.path.exists(src):
            entry['content'] = '--check: not staged %s\n' % src
        else:
            entry['src'] = src
        files.append(entry)
    server_dir = (s['galera_replication_server_dir'] or where).rstrip('/')
    manifest = os.path.join(nxt, 'applications', 'manifest.json')
    if check_mode and not os.path.exists(manifest):
        manifest = os.path.join(pki_dir, 'applications', 'manifest.json')
    channel = dict(client=s['galera_replication_client'], flavor=s['galera_replication_flavor'],
                   source_host=s['galera_replication_source_host'], source_port=s['galera_replication_source_port'],
                   user=s['galera_replication_user'], ssl_ca=server_dir + '/source-ca.pem',
                   ssl_cert=server_dir + '/client-cert.pem', ssl_key=server_dir + '/client-key.pem',
                   allow_plaintext='replication_plaintext' in (s['galera_replication_allow_insecure'] or []))
    account = dict(client=s['galera_replication_source_client'], flavor=s['galera_replication_source_flavor'],
                   user=s['galera_replication_user'], host=s['galera_replication_account_host'],
                   cert=s['galera_replication_cert'], require=list(s['galera_replication_require']),
                   manifest=manifest, relax_issuer=bool(new_ca) and step != 'ca')
    return dict(host=replica['host'], source_node=replica['source_node'], files=files, channel=channel, account=account,
                directory=dict(path=where, mode='0750', owner='root', group=s['galera_replication_group']))
