# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small stand-in for MySQL NDB Cluster programs, for orchestration tests only (never shipped).

It is not NDB. It keeps node states in a JSON file under $NDBSIM_STATE (default /var/lib/ndbsim),
logs every invocation (argv, a SHA-256 of stdin, never stdin itself) to log.jsonl there, and
behaves like the real programs where the orchestration depends on it:

  ndb_mgmd  -f config.ini [--reload|--initial]  loads config.ini into the state and "daemonizes" (exits)
  ndbmtd    checks its options like ndbmtd (--defaults-file first), reads the file system password
            from stdin (up to a line break) or [ndbd] filesystem-password, refuses EncryptedFileSystem=1
            without one, a wrong password for an encrypted file system, or a file system whose
            encryption does not match without --initial; then runs until SIGTERM as a long-lived
            process (so /proc/<pid>/cmdline and environ can be inspected), "starting" for a moment,
            then "started". --initial rewrites ndb_<id>_fs, with D1/NDBCNTR/S0.sysfile when encrypted.
  ndb_mgm   -e show | "all status" | "N status" | "N stop" | START BACKUP ..., or commands on stdin,
            --backup-password-from-stdin
  ndbxfrm   -i FILE
  mysql     the ndbinfo EncryptedFileSystem query of the TDE blog post

Events that real NDB would punish are logged, not hidden: stopping a node while another node of its
node group is down ('group_down'), which a test asserts never happens.
"""

from __future__ import (absolute_import, division, print_function)

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import time

STATE_ENV = 'NDBSIM_STATE'
DEFAULT_STATE = '/var/lib/ndbsim'
VERSION = 'mysql-8.0.31 ndb-8.0.31'
FORBIDDEN = "!'\"`$%\\^"
BACKUP_FORBIDDEN = "!'\"$%\\^"
MAGIC = 'NDBSIM-XFRM'


# --- config.ini, read as ndb_mgmd reads it (the collection only writes it) ----------------------

NO_NODEGROUP = 65536
_SECTION_TYPES = {'ndbd': 'data', 'db': 'data', 'ndb_mgmd': 'mgmd', 'mgm': 'mgmd', 'mysqld': 'api', 'api': 'api'}


class ConfigError(ValueError):
    """config.ini that ndb_mgmd would refuse to load."""


def parse_config_ini(text):
    """config.ini into [(section, {key: value})]; sections repeat, keys keep their case."""
    sections = []
    current = None
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line or line.startswith(('#', ';')):
            continue
        if line.startswith('[') and line.endswith(']'):
            current = (line[1:-1].strip(), {})
            sections.append(current)
            continue
        if current is None:
            raise ConfigError("config.ini: '%s' is outside any section" % line)
        if '=' not in line:
            raise ConfigError("config.ini: '%s' is not key=value (section [%s])" % (line, current[0]))
        key, value = line.split('=', 1)
        current[1][key.strip()] = value.strip()
    return sections


def config_ini_nodes(sections):
    """Node sections of a parsed config.ini: [{type, id, hostname, params}]."""
    nodes = []
    for name, values in sections:
        kind = _SECTION_TYPES.get(name.lower())
        if kind is None:
            continue
        lower = dict((k.lower(), v) for k, v in values.items())
        node_id = lower.get('nodeid', lower.get('id'))
        nodes.append({'type': kind, 'id': int(node_id) if node_id not in (None, '') else None,
                      'hostname': lower.get('hostname'), 'params': values})
    return nodes


def assign_nodegroups(nodes, replicas):
    """Node groups as NDB forms them: an explicit nodegroup, else data nodes in order, `replicas` a group."""
    data = [n for n in nodes if n.get('type') == 'data']
    out = {}
    used = set(n['nodegroup'] for n in data if n.get('nodegroup') is not None)
    group, count = 0, 0
    for node in data:
        if node.get('nodegroup') is not None:
            out[node['id']] = None if node['nodegroup'] == NO_NODEGROUP else node['nodegroup']
            continue
        while group in used:
            group += 1
        out[node['id']] = group
        count += 1
        if count == int(replicas):
            used.add(group)
            count = 0
    return out


# --- state and log --------------------------------------------------------------------------

def state_dir():
    path = os.environ.get(STATE_ENV, DEFAULT_STATE)
    os.makedirs(path, exist_ok=True)
    return path


@contextlib.contextmanager
def locked():
    """Read-modify-write of state.json under an exclusive lock."""
    path = state_dir()
    with open(os.path.join(path, 'lock'), 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state_file = os.path.join(path, 'state.json')
        if os.path.exists(state_file):
            with open(state_file) as f:
                state = json.load(f)
        else:
            state = {'config': None, 'nodes': {}, 'backups': [], 'next_backup_id': 1}
        yield state
        tmp = state_file + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(state, f, indent=1, sort_keys=True)
        os.replace(tmp, state_file)


def read_state():
    with locked() as state:
        return json.loads(json.dumps(state))


def log(prog, event, **fields):
    record = {'ts': time.time(), 'prog': prog, 'event': event, 'pid': os.getpid()}
    record.update(fields)
    with open(os.path.join(state_dir(), 'log.jsonl'), 'a') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps(record, sort_keys=True) + '\n')


def stdin_fields(data):
    """What the log keeps of stdin: whether there was any, its length and a hash, never the bytes."""
    if data is None:
        return {'stdin_given': False}
    return {'stdin_given': len(data) > 0, 'stdin_len': len(data),
            'stdin_sha256': hashlib.sha256(data).hexdigest() if data else None}


def _alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split(') ', 1)[1][:1] != 'Z'
    except (IOError, IndexError):
        return True


# --- configuration --------------------------------------------------------------------------

def load_config(path):
    with open(path) as f:
        sections = parse_config_ini(f.read())
    defaults = {}
    for name, values in sections:
        if name.lower() in ('db default', 'ndbd default'):
            defaults.update(dict((k.lower(), v) for k, v in values.items()))
    replicas = int(defaults.get('noofreplicas', 2))
    nodes = []
    for node in config_ini_nodes(sections):
        params = dict((k.lower(), v) for k, v in node['params'].items())
        entry = {'type': node['type'], 'id': node['id'], 'hostname': node['hostname'],
                 'datadir': params.get('filesystempath') or params.get('datadir')}
        if node['type'] == 'data':
            merged = dict(defaults)
            merged.update(params)
            if node['id'] is None:
                raise SystemExit('ndb_mgmd: every [DB] section needs a NodeId in this simulator')
            entry['encrypted_fs'] = int(merged.get('encryptedfilesystem', 0))
            entry['nodegroup'] = int(params['nodegroup']) if 'nodegroup' in params else None
        nodes.append(entry)
    groups = assign_nodegroups(nodes, replicas)
    for node in nodes:
        if node['type'] == 'data':
            node['nodegroup'] = groups[node['id']]
    return {'replicas': replicas, 'require_encrypted_backup': int(defaults.get('requireencryptedbackup', 0)),
            'nodes': nodes}


def _node_cfg(state, node_id, kind=None):
    for node in (state.get('config') or {}).get('nodes', []):
        if node['id'] == node_id and (kind is None or node['type'] == kind):
            return node
    return None


def _data_nodes(state):
    return [n for n in (state.get('config') or {}).get('nodes', []) if n['type'] == 'data']


def _data_state(state, node_id):
    node = state['nodes'].get(str(node_id), {})
    if node.get('pid') and not _alive(node['pid']):
        return 'not connected'
    return node.get('state', 'not connected')


def _mgmd_up(state):
    return any(n.get('state') == 'started' and n.get('type') == 'mgmd' for n in state['nodes'].values())


# --- ndb_mgmd -------------------------------------------------------------------------------

def main_ndb_mgmd(argv):
    opts = _options(argv[1:], {'-f': 'config-file', '--config-file': 'config-file', '--configdir': 'configdir',
                               '--config-dir': 'configdir', '--ndb-nodeid': 'ndb-nodeid', '-c': 'ndb-connectstring',
                               '--ndb-connectstring': 'ndb-connectstring'},
                    flags=('--reload', '--initial', '--nodaemon', '--foreground'))
    log('ndb_mgmd', 'invoke', argv=argv, **stdin_fields(None))
    if 'config-file' not in opts:
        print('ndb_mgmd: no --config-file given', file=sys.stderr)
        return 1
    config = load_config(opts['config-file'])
    with locked() as state:
        reload_config = state['config'] is None or opts.get('--reload') or opts.get('--initial')
        if reload_config:
            changed = state['config'] != config
            state['config'] = config
            if changed:
                log('ndb_mgmd', 'config_loaded', config=config)
        mgmds = [n['id'] for n in state['config']['nodes'] if n['type'] == 'mgmd']
        node_id = int(opts['ndb-nodeid']) if 'ndb-nodeid' in opts else (mgmds[0] if mgmds else None)
        if node_id not in mgmds:
            print('ndb_mgmd: node id %s is not a management node in config.ini' % node_id, file=sys.stderr)
            return 1
        state['nodes'][str(node_id)] = {'type': 'mgmd', 'state': 'started'}
    log('ndb_mgmd', 'started', node=node_id, reloaded=bool(reload_config))
    print('MySQL Cluster Management Server %s' % VERSION)
    return 0


# --- ndbmtd ---------------------------------------------------------------------------------

def _fs_dir(cfg, node_id):
    return os.path.join(cfg['datadir'] or '.', 'ndb_%d_fs' % node_id)


def _write_xfrm(path, encrypted, extra=''):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('%s encryption=%s compression=no\n%s' % (MAGIC, 'yes' if encrypted else 'no', extra))


def _password_problem(password, forbidden, limit):
    if not password:
        return 'empty password'
    if len(password) > limit:
        return 'password longer than %d characters' % limit
    if any(c in forbidden or not 0x20 <= ord(c) <= 0x7e for c in password):
        return 'password contains a character that is not allowed'
    return None


def _defaults_file_password(path):
    section, password = None, None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if line.startswith('['):
                section = line.strip('[]').strip()
            elif section in ('ndbd', 'ndbmtd') and '=' in line and not line.startswith('#'):
                key, value = line.split('=', 1)
                if key.strip() == 'filesystem-password':
                    value = value.strip()
                    if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
                        value = value[1:-1]
                    password = value
    return password


def main_ndbmtd(argv):
    args = argv[1:]
    defaults_file = None
    if args and args[0].startswith('--defaults-file='):
        defaults_file = args.pop(0).split('=', 1)[1]
    if any(a.startswith('--defaults-file') for a in args):
        log('ndbmtd', 'invoke', argv=argv, **stdin_fields(None))
        print('ndbmtd: [ERROR] --defaults-file must be the first argument', file=sys.stderr)
        return 2
    opts = _options(args, {'--ndb-nodeid': 'ndb-nodeid', '-c': 'ndb-connectstring',
                           '--ndb-connectstring': 'ndb-connectstring', '--filesystem-password': 'filesystem-password'},
                    flags=('--initial', '--nodaemon', '--foreground', '--filesystem-password-from-stdin'))
    password, source, data = None, None, None
    if opts.get('--filesystem-password-from-stdin'):
        data = sys.stdin.buffer.readline()
        source = 'stdin'
    log('ndbmtd', 'invoke', argv=argv, node=_int(opts.get('ndb-nodeid')), initial=bool(opts.get('--initial')),
        password_in_argv='filesystem-password' in opts, **stdin_fields(data))
    if data is not None:
        if not data.endswith(b'\n'):
            return _fail('no line break after the file system password on stdin (truncated?)')
        password = data[:-1].decode('ascii', 'replace')
    elif 'filesystem-password' in opts:
        password, source = opts['filesystem-password'], 'argv'
    elif defaults_file:
        password, source = _defaults_file_password(defaults_file), 'defaults_file'
    node_id = _int(opts.get('ndb-nodeid'))
    initial = bool(opts.get('--initial'))
    if password is not None:
        problem = _password_problem(password, FORBIDDEN, 512)
        if problem:
            return _fail('file system password rejected: %s' % problem)
    with locked() as state:
        if not _mgmd_up(state):
            return _fail('Unable to connect with connect string: %s' % opts.get('ndb-connectstring'))
        cfg = _node_cfg(state, node_id, 'data')
        if cfg is None:
            return _fail('node id %s is not a data node in config.ini' % node_id)
        if _data_state(state, node_id) != 'not connected':
            return _fail('node %d is already running' % node_id)
        encrypted = cfg['encrypted_fs'] == 1
        if encrypted and password is None:
            return _fail('EncryptedFileSystem=1 but no file system password was given')
        fs = _fs_dir(cfg, node_id)
        secrets = os.path.join(fs, 'D1', 'NDBCNTR', 'S0.sysfile')
        if initial:
            shutil.rmtree(fs, ignore_errors=True)
            os.makedirs(fs)
            if encrypted:
                salt = os.urandom(8).hex()
                check = hashlib.sha256((salt + password).encode()).hexdigest()
                _write_xfrm(secrets, True, 'salt=%s check=%s\n' % (salt, check))
            # System files exist with and without TDE and are not encrypted: the manual lists LCP, redo log,
            # tablespace and undo files (and the secrets file) as encrypted (README: sources).
            _write_xfrm(os.path.join(fs, 'D1', 'NDBCNTR', 'P0.sysfile'), False)
            for name in ('LCP/0/T2F0.Data', 'D8/DBLQH/S1.FragLog'):
                _write_xfrm(os.path.join(fs, name), encrypted)
        else:
            if not os.path.isdir(fs):
                return _fail('no file system %s: start with --initial' % fs)
            if os.path.exists(secrets) != encrypted:
                return _fail('file system encryption does not match EncryptedFileSystem=%d: a node initial '
                             'restart (--initial) is needed' % cfg['encrypted_fs'])
            if encrypted:
                with open(secrets) as f:
                    fields = dict(p.split('=', 1) for p in f.read().split() if '=' in p)
                if hashlib.sha256((fields['salt'] + password).encode()).hexdigest() != fields['check']:
                    return _fail('wrong file system password: cannot decrypt %s' % secrets)
        state['nodes'][str(node_id)] = {'type': 'data', 'state': 'starting', 'pid': os.getpid(), 'initial': initial,
                                        'encrypted_fs': cfg['encrypted_fs'], 'since': time.time()}
    log('ndbmtd', 'start', node=node_id, initial=initial, encrypted_fs=cfg['encrypted_fs'], password_source=source,
        nodegroup=cfg['nodegroup'])

    def on_term(signum, frame):
        _stop_node(node_id, os.getpid())
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    time.sleep(float(os.environ.get('NDBSIM_START_DELAY', '0.5')))
    with locked() as state:
        node = state['nodes'].get(str(node_id), {})
        if node.get('pid') == os.getpid():
            node['state'] = 'started'
    log('ndbmtd', 'started', node=node_id)
    while True:
        signal.pause()


def _stop_node(node_id, pid):
    with locked() as state:
        node = state['nodes'].get(str(node_id), {})
        if node.get('pid') != pid:
            return
        node.update({'state': 'not connected', 'pid': None})
        cfg = _node_cfg(state, node_id, 'data')
        group = cfg['nodegroup'] if cfg else None
        peers_down = [n['id'] for n in _data_nodes(state)
                      if n['id'] != node_id and n['nodegroup'] == group and group is not None
                      and _data_state(state, n['id']) != 'started']
    log('ndbmtd', 'stopped', node=node_id, nodegroup=group, peers_down=peers_down)
    if peers_down:
        log('ndbmtd', 'group_down', node=node_id, nodegroup=group, peers_down=peers_down)


def _fail(message):
    print('ndbmtd: [ERROR] %s' % message, file=sys.stderr)
    log('ndbmtd', 'error', message=message)
    return 1


# --- ndb_mgm --------------------------------------------------------------------------------

def _write_history(commands):
    """Without -e, real ndb_mgm (storage/ndb/src/mgmclient/main.cpp) keeps readline history in
    $NDB_MGM_HISTFILE, else $HOME/.ndb_mgm_history, written at exit to <file>.TMP and renamed over
    it; every line read is added, so a password typed into a command lands there."""
    path = os.environ.get('NDB_MGM_HISTFILE') or (
        os.path.join(os.environ['HOME'], '.ndb_mgm_history') if os.environ.get('HOME') else None)
    if not path:
        return
    old = []
    if os.path.exists(path):
        with open(path) as f:
            old = f.read().splitlines()
    with open(path + '.TMP', 'w') as f:
        f.write('\n'.join(old + commands) + '\n')
    os.rename(path + '.TMP', path)


def main_ndb_mgm(argv):
    opts = _options(argv[1:], {'-e': 'execute', '--execute': 'execute', '-c': 'ndb-connectstring',
                               '--ndb-connectstring': 'ndb-connectstring', '--connect-string': 'ndb-connectstring',
                               '--connect-retries': 'connect-retries', '-t': 'try-reconnect',
                               '--connect-retry-delay': 'connect-retry-delay'},
                    flags=('--backup-password-from-stdin',))
    stdin_data = None
    if 'execute' in opts:
        commands = [opts['execute']]
        if opts.get('--backup-password-from-stdin'):
            stdin_data = sys.stdin.buffer.readline()
    else:
        stdin_data = sys.stdin.buffer.read()
        commands = [c for c in stdin_data.decode('ascii', 'replace').splitlines() if c.strip()]
        _write_history(commands)
    state = read_state()
    record = {'argv': argv, 'commands': [_redact(c) for c in commands]}
    record.update(stdin_fields(stdin_data))
    if not _mgmd_up(state):
        # Real ndb_mgm retries --connect-retries times, --connect-retry-delay apart (NDB 8.4 defaults 12 and 5 s):
        # the simulator answers at once but logs how long the real one would have waited.
        retries = int(opts.get('connect-retries', opts.get('try-reconnect', 12)))
        delay = int(opts.get('connect-retry-delay', 5))
        record['would_wait'] = retries * delay
        log('ndb_mgm', 'invoke', reported=None, **record)
        print('Unable to connect with connect string: nodeid=0,%s' % opts.get('ndb-connectstring', 'localhost:1186'))
        print('Retrying every 5 seconds. Attempts left: 0, failed.')
        return 1
    reported = dict((str(n['id']), _data_state(state, n['id'])) for n in _data_nodes(state))
    log('ndb_mgm', 'invoke', reported=reported, **record)
    print('Connected to Management Server at: %s' % opts.get('ndb-connectstring', 'localhost:1186'))
    rc = 0
    for command in commands:
        words = command.strip().rstrip(';').split()
        low = [w.lower() for w in words]
        if low in (['exit'], ['quit']):
            break
        if low == ['show']:
            _show(read_state())
        elif low == ['all', 'status']:
            state = read_state()
            for node in _data_nodes(state):
                _print_status(state, node['id'])
        elif len(low) == 2 and low[0].isdigit() and low[1] == 'status':
            _print_status(read_state(), int(low[0]))
        elif len(low) == 2 and low[0].isdigit() and low[1] == 'stop':
            rc = max(rc, _mgm_stop(int(low[0])))
        elif low[:2] == ['start', 'backup']:
            password = None
            if opts.get('--backup-password-from-stdin'):
                password = (stdin_data or b'').decode('ascii', 'replace').rstrip('\n')
            rc = max(rc, _backup(command, password))
        else:
            print('Invalid command: %s' % _redact(command))
            rc = max(rc, 1)
    return rc


def _redact(command):
    return re.sub(r'(?i)(PASSWORD\s*=\s*)(\'[^\']*\'|"[^"]*"|\S+)', r'\1<redacted>', command)


def _show(state):
    config = state['config']
    print('Cluster Configuration\n---------------------')
    for kind, title in (('data', 'ndbd(NDB)'), ('mgmd', 'ndb_mgmd(MGM)'), ('api', 'mysqld(API)')):
        nodes = [n for n in config['nodes'] if n['type'] == kind]
        print('[%s]\t%d node(s)' % (title, len(nodes)))
        for node in nodes:
            label = 'id=%s' % (node['id'] if node['id'] is not None else '?')
            if kind == 'data':
                status = _data_state(state, node['id'])
                if status == 'not connected':
                    print('%s (not connected, accepting connect from %s)' % (label, node['hostname']))
                    continue
                extra = '' if status == 'started' else ', %s' % status
                group = 'Nodegroup: %d' % node['nodegroup'] if node['nodegroup'] is not None else 'no nodegroup'
                print('%s\t@%s  (%s%s, %s)' % (label, node['hostname'], VERSION, extra, group))
            elif kind == 'mgmd' and state['nodes'].get(str(node['id']), {}).get('state') == 'started':
                print('%s\t@%s  (%s)' % (label, node['hostname'], VERSION))
            else:
                print('%s (not connected, accepting connect from %s)' % (label, node['hostname'] or 'any host'))
        print('')


def _print_status(state, node_id):
    cfg = _node_cfg(state, node_id)
    if cfg is None:
        print('Node %d: not a node of this cluster' % node_id)
        return
    status = _data_state(state, node_id) if cfg['type'] == 'data' else \
        state['nodes'].get(str(node_id), {}).get('state', 'not connected')
    if status == 'starting':
        print('Node %d: starting (Last completed phase 4) (%s)' % (node_id, VERSION))
    elif status == 'started':
        print('Node %d: started (%s)' % (node_id, VERSION))
    else:
        print('Node %d: %s' % (node_id, status))


def _mgm_stop(node_id):
    state = read_state()
    cfg = _node_cfg(state, node_id)
    if cfg is None:
        print('Node %d: not a node of this cluster' % node_id)
        return 1
    log('ndb_mgm', 'stop', node=node_id)
    if cfg['type'] == 'mgmd':
        with locked() as state:
            state['nodes'][str(node_id)] = {'type': 'mgmd', 'state': 'not connected'}
        print('Node %d has shutdown.' % node_id)
        return 0
    pid = state['nodes'].get(str(node_id), {}).get('pid')
    if not pid or not _alive(pid):
        print('Node %d: not connected' % node_id)
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 5
    while _alive(pid) and time.time() < deadline:
        time.sleep(0.05)
    print('Node %d has shutdown.' % node_id)
    return 0


def _backup(command, stdin_password):
    match = re.match(r'(?i)^\s*START\s+BACKUP(?:\s+(\d+))?(\s+ENCRYPT(?:\s+PASSWORD\s*=\s*(\'[^\']*\'|"[^"]*"))?)?'
                     r'(?:\s+(WAIT\s+COMPLETED|WAIT\s+STARTED|NOWAIT))?\s*;?\s*$', command)
    if not match:
        print('Invalid command: %s' % _redact(command))
        return 1
    encrypt = bool(match.group(2))
    password = match.group(3)[1:-1] if match.group(3) else stdin_password
    with locked() as state:
        nodes = _data_nodes(state)
        if any(_data_state(state, n['id']) != 'started' for n in nodes):
            print('Backup failed\n*  3001: Could not start backup\n*        Too many nodes down: Temporary error')
            return 1
        if state['config']['require_encrypted_backup'] and not encrypt:
            print('Backup failed\n*  3001: Could not start backup\n*        Encrypted backup required '
                  '(RequireEncryptedBackup=1): Permanent error: Application error')
            return 1
        if encrypt:
            problem = _password_problem(password, BACKUP_FORBIDDEN, 256)
            if problem:
                print('Backup failed\n*  3001: Could not start backup\n*        %s' % problem)
                return 1
        backup_id = int(match.group(1)) if match.group(1) else state['next_backup_id']
        state['next_backup_id'] = backup_id + 1
        state['backups'].append({'id': backup_id, 'encrypted': encrypt})
    for node in nodes:
        base = os.path.join(node['datadir'] or '.', 'BACKUP', 'BACKUP-%d' % backup_id)
        _write_xfrm(os.path.join(base, 'BACKUP-%d-0.%d.Data' % (backup_id, node['id'])), encrypt)
        _write_xfrm(os.path.join(base, 'BACKUP-%d.%d.ctl' % (backup_id, node['id'])), encrypt)
    log('ndb_mgm', 'backup', backup_id=backup_id, encrypted=encrypt,
        password_sha256=hashlib.sha256(password.encode()).hexdigest() if password else None)
    first = nodes[0]['id']
    print('Waiting for completed, this may take several minutes')
    print('Node %d: Backup %d started from node 1' % (first, backup_id))
    print('Node %d: Backup %d started from node 1 completed\n StartGCP: 100 StopGCP: 103\n'
          ' #Records: 2053 #LogRecords: 0\n Data: 50928 bytes Log: 0 bytes' % (first, backup_id))
    return 0


# --- ndbxfrm and mysql ----------------------------------------------------------------------

def main_ndbxfrm(argv):
    args = argv[1:]
    log('ndbxfrm', 'invoke', argv=argv, **stdin_fields(None))
    if len(args) != 2 or args[0] not in ('-i', '--info'):
        print('usage: ndbxfrm -i FILE', file=sys.stderr)
        return 2
    try:
        with open(args[1]) as f:
            head = f.readline()
    except (IOError, OSError) as exc:
        print('ndbxfrm: %s' % exc, file=sys.stderr)
        return 1
    encrypted = head.startswith(MAGIC) and 'encryption=yes' in head
    print('File=%s, compression=no, encryption=%s' % (args[1], 'yes' if encrypted else 'no'))
    return 0


def main_mysql(argv):
    opts = _options(argv[1:], {'-e': 'execute', '--execute': 'execute', '-h': 'host', '--host': 'host',
                               '-u': 'user', '--user': 'user', '-P': 'port', '--port': 'port'},
                    flags=('-N', '-B', '--batch', '--skip-column-names', '--silent', '-s'), lenient=True)
    query = opts.get('execute') or sys.stdin.read()
    log('mysql', 'invoke', argv=argv, **stdin_fields(None))
    if 'ndbinfo.config_values' not in query or 'EncryptedFileSystem' not in query:
        print('ERROR 1064 (42000): this simulator only answers the EncryptedFileSystem query', file=sys.stderr)
        return 1
    state = read_state()
    if not opts.get('-N') and not opts.get('--skip-column-names'):
        print('NodeId\tEncryptedFileSystem')
    for node in _data_nodes(state):
        if _data_state(state, node['id']) == 'started':
            print('%d\t%d' % (node['id'], state['nodes'][str(node['id'])]['encrypted_fs']))
    return 0


# --- option parsing -------------------------------------------------------------------------

def _options(args, valued, flags=(), lenient=False):
    """Tiny getopt: --name=value, --name value, -x value, and flags."""
    out = {}
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition('=')
        if arg in flags:
            out[arg] = True
        elif eq and name in valued:
            out[valued[name]] = value
        elif arg in valued and i + 1 < len(args):
            out[valued[arg]] = args[i + 1]
            i += 1
        elif len(arg) > 2 and arg[:2] in valued and not arg.startswith('--'):
            out[valued[arg[:2]]] = arg[2:]
        elif not lenient:
            print('%s: unknown option %s' % (os.path.basename(sys.argv[0]), name), file=sys.stderr)
            sys.exit(2)
        i += 1
    return out


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


PROGRAMS = {'ndb_mgm': main_ndb_mgm, 'ndb_mgmd': main_ndb_mgmd, 'ndbmtd': main_ndbmtd,
            'ndbxfrm': main_ndbxfrm, 'mysql': main_mysql}


def main():
    prog = os.path.basename(sys.argv[0])
    return PROGRAMS[prog](sys.argv)
