# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small stand-in for MySQL NDB Cluster programs, for orchestration tests only (never shipped).

It is not NDB. It keeps node states in a JSON file under $NDBSIM_STATE (default /var/lib/ndbsim),
logs every invocation (argv, a SHA-256 of stdin, never stdin itself) to log.jsonl there, and
behaves like the real programs where the orchestration depends on it:

  ndb_mgmd  -f config.ini [--reload|--initial]  loads config.ini into the state and daemonizes (pid file); after
            "N stop" it lingers a moment holding its port, as the real one
  ndbmtd    checks its options like ndbmtd (--defaults-file first), reads the file system password
            from stdin (up to a line break) or [ndbd] filesystem-password, refuses EncryptedFileSystem=1
            without one, a wrong password for an encrypted file system, or a file system whose
            encryption does not match without --initial; then runs until SIGTERM as a long-lived
            process (so /proc/<pid>/cmdline and environ can be inspected), "starting" for a moment,
            then "started". --initial rewrites ndb_<id>_fs, with D1/NDBCNTR/S0.sysfile when encrypted.
  ndb_mgm   -e show | "all status" | "N status" | "N stop" | START BACKUP ..., or commands on stdin,
            --backup-password-from-stdin; parsed, answered and exiting as the real 9.7.4 client does on the
            points tests/integration/ndb/test_parity.py compares (ENCRYPT last, stdin exit 0, connect retries)
  ndbxfrm   -i FILE
  ndbinfo_select_all  config_values (EncryptedFileSystem, NoOfReplicas)
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
        if node['type'] == 'mgmd':
            entry['port'] = int(params.get('portnumber', 1186))
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


def _mgmd_alive(state, node_id):
    node = state['nodes'].get(str(node_id), {})
    return node.get('type') == 'mgmd' and node.get('state') == 'started' and _alive(node.get('pid'))


def _connect_targets(connectstring):
    """host:port pairs of a connectstring ('nodeid=N,' and 'bind-address=' entries dropped)."""
    out = []
    for part in (connectstring or '').split(','):
        part = part.strip()
        if not part or '=' in part:
            continue
        host, dummy, port = part.partition(':')
        out.append((host, int(port or 1186)))
    return out


def _mgmd_up(state, connectstring=None):
    """Whether a management server of the connectstring answers (any of them when none is named in config.ini)."""
    mgmds = [n for n in (state.get('config') or {}).get('nodes', []) if n['type'] == 'mgmd']
    targets = _connect_targets(connectstring)
    if not targets:
        return any(_mgmd_alive(state, n['id']) for n in mgmds)
    # Only the host:port pairs named: a port nobody listens on does not answer.
    named = [n for n in mgmds if (n['hostname'], n.get('port') or 1186) in targets]
    return any(_mgmd_alive(state, n['id']) for n in named)


# --- ndb_mgmd -------------------------------------------------------------------------------

def _daemonize():
    """Fork, the parent exits 0 at once (as ndb_mgmd and ndbmtd do without --nodaemon), the child gets a session
    of its own and /dev/null as standard input, output and error."""
    pid = os.fork()
    if pid > 0:
        os._exit(0)
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)


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
        if _alive(state['nodes'].get(str(node_id), {}).get('pid')):
            print('ndb_mgmd: [ERROR] Failed to allocate nodeid %d: already in use by a running management server'
                  % node_id, file=sys.stderr)
            return 1
        cfg = _node_cfg(state, node_id, 'mgmd')
        holder = state['nodes'].get(str(node_id), {}).get('port_pid')
        if _alive(holder):
            # A stopped ndb_mgmd leaves a moment after `N stop` answered; until then it holds its port.
            log('ndb_mgmd', 'port_in_use', node=node_id, holder=holder)
            print(PORT_IN_USE % (cfg.get('port') or 1186), file=sys.stderr)
            return 1
    print('MySQL Cluster Management Server %s' % VERSION)
    sys.stdout.flush()
    daemon = not opts.get('--nodaemon') and not opts.get('--foreground')
    if daemon:
        _daemonize()
    pid_file = os.path.join(cfg.get('datadir') or '.', 'ndb_%d.pid' % node_id) if daemon else None
    if pid_file:
        # ndb_daemonize() writes <DataDir>/ndb_<id>.pid (NdbConfig_PidFileName), in daemon mode only.
        os.makedirs(os.path.dirname(pid_file), exist_ok=True)
        with open(pid_file, 'w') as f:
            f.write('%d\n' % os.getpid())
    with locked() as state:
        state['nodes'][str(node_id)] = {'type': 'mgmd', 'state': 'starting', 'pid': os.getpid(),
                                        'port_pid': os.getpid()}

    stop = []

    def on_term(signum, frame):
        stop.append(signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    # A management server answers only once it has loaded and, with several, agreed on the configuration.
    deadline = time.time() + float(os.environ.get('NDBSIM_MGMD_START_DELAY', '0'))
    while not stop and time.time() < deadline:
        time.sleep(0.02)
    if not stop:
        with locked() as state:
            state['nodes'][str(node_id)]['state'] = 'started'
        log('ndb_mgmd', 'started', node=node_id, reloaded=bool(reload_config), daemon=not opts.get('--nodaemon'))
    while not stop:
        signal.pause()
    _stop_mgmd(node_id, os.getpid())
    # The real ndb_mgmd answers `N stop` and stops serving at once, but its process (and its listening port) goes
    # only a moment later: a --reload started right away fails with the port in use.
    time.sleep(float(os.environ.get('NDBSIM_MGMD_STOP_DELAY', '1.5')))
    with locked() as state:
        node = state['nodes'].get(str(node_id), {})
        if node.get('port_pid') == os.getpid():
            node['port_pid'] = None
    if pid_file:
        try:
            os.unlink(pid_file)
        except OSError:
            pass
    return 0


def _stop_mgmd(node_id, pid):
    with locked() as state:
        node = state['nodes'].get(str(node_id), {})
        if node.get('pid') != pid:
            return
        node.update({'state': 'not connected', 'pid': None})
        mgmds = [n['id'] for n in state['config']['nodes'] if n['type'] == 'mgmd']
        others_up = [i for i in mgmds if i != node_id and _mgmd_alive(state, i)]
    log('ndb_mgmd', 'stopped', node=node_id, others_up=others_up)
    if len(mgmds) > 1 and not others_up:
        # With two management servers, an operator expects one to answer at every moment.
        log('ndb_mgmd', 'all_mgmd_down', node=node_id)


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


RESTART_EXIT = 75
# ndb_mgmd started while the previous one still holds its port: the line of the real 9.7.4 ndb_mgmd (parity test).
PORT_IN_USE = ("[MgmtSrvr] ERROR    -- Mgmd node is started on port that is already in use. Attempt to bind '*:%d' "
               "failed with error: 98 'Address already in use'")


def main_ndbmtd(argv):
    """The angel: options and the file system password are read once, here; it then forks the data node
    process and starts it again, with the same password, whenever the management server restarts the node
    (ndb_mgm "N RESTART [-i]"). Only a new ndbmtd process reads the password again."""
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
        password_in_argv='filesystem-password' in opts, daemon=not opts.get('--nodaemon'), **stdin_fields(data))
    if data is not None:
        if not data.endswith(b'\n'):
            return _fail('no line break after the file system password on stdin (truncated?)')
        password = data[:-1].decode('ascii', 'replace')
    elif 'filesystem-password' in opts:
        password, source = opts['filesystem-password'], 'argv'
    elif defaults_file:
        password, source = _defaults_file_password(defaults_file), 'defaults_file'
    node_id = _int(opts.get('ndb-nodeid'))
    if password is not None:
        problem = _password_problem(password, FORBIDDEN, 512)
        if problem:
            return _fail('file system password rejected: %s' % problem)
    if not opts.get('--nodaemon') and not opts.get('--foreground'):
        _daemonize()
    angel = os.getpid()
    worker = {'pid': 0}

    def forward(signum, frame):
        if worker['pid']:
            try:
                os.kill(worker['pid'], signal.SIGTERM)
            except OSError:
                pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    initial = bool(opts.get('--initial'))
    log('ndbmtd', 'angel_start', node=node_id, angel=angel, password_source=source,
        password_sha256=_sha_line(password))
    while True:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os._exit(_data_node(node_id, initial, password, source, angel, opts.get('ndb-connectstring')))
        worker['pid'] = pid
        while True:
            try:
                dummy, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        worker['pid'] = 0
        code = os.waitstatus_to_exitcode(status)
        if code != RESTART_EXIT:
            log('ndbmtd', 'angel_exit', node=node_id, angel=angel, code=code)
            return code
        with locked() as state:
            request = state['nodes'].get(str(node_id), {}).pop('restart', {}) or {}
        initial = bool(request.get('initial'))
        # The password the angel read at its own start, whatever the password file or command now holds.
        log('ndbmtd', 'angel_restart', node=node_id, angel=angel, initial=initial, password_source=source,
            password_sha256=_sha_line(password))


def _sha_line(password):
    """SHA-256 of the password and a line break, comparable with the stdin hash of an invoke record."""
    return hashlib.sha256((password + '\n').encode()).hexdigest() if password is not None else None


def _data_node(node_id, initial, password, source, angel, connectstring):
    """The data node process (the angel's child); returns its exit code."""
    with locked() as state:
        if not _mgmd_up(state):
            return _fail('Unable to connect with connect string: %s' % connectstring)
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
                _write_xfrm(secrets, True, _password_check(password))
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
            if encrypted and not _password_matches(secrets, password):
                return _fail('wrong file system password: cannot decrypt %s' % secrets)
        previous = state['nodes'].get(str(node_id), {})
        node = {'type': 'data', 'state': 'starting', 'pid': os.getpid(), 'angel': angel, 'initial': initial,
                'encrypted_fs': cfg['encrypted_fs'], 'since': time.time()}
        if 'restart' in previous:
            node['restart'] = previous['restart']
        state['nodes'][str(node_id)] = node
    log('ndbmtd', 'start', node=node_id, initial=initial, encrypted_fs=cfg['encrypted_fs'], password_source=source,
        nodegroup=cfg['nodegroup'], angel=angel)
    leave = {'code': None}

    # Only note the signal: the state is changed below, outside the handler, so that a second signal arriving
    # while the state lock is held cannot deadlock the process on its own lock.
    def on_signal(signum, frame):
        if leave['code'] is None:
            leave['code'] = RESTART_EXIT if signum == signal.SIGUSR1 else 0

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGUSR1, on_signal)
    deadline = time.time() + float(os.environ.get('NDBSIM_START_DELAY', '0.5'))
    while leave['code'] is None and time.time() < deadline:
        time.sleep(0.02)
    if leave['code'] is None:
        with locked() as state:
            node = state['nodes'].get(str(node_id), {})
            if node.get('pid') == os.getpid():
                node['state'] = 'started'
        log('ndbmtd', 'started', node=node_id)
    while leave['code'] is None:
        signal.pause()
    _stop_node(node_id, os.getpid())
    return leave['code']


def _password_check(password):
    salt = os.urandom(8).hex()
    return 'salt=%s check=%s\n' % (salt, hashlib.sha256((salt + password).encode()).hexdigest())


def _password_matches(path, password):
    with open(path) as f:
        fields = dict(p.split('=', 1) for p in f.read().split() if '=' in p)
    return password is not None and hashlib.sha256((fields['salt'] + password).encode()).hexdigest() == fields['check']


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
                               '--try-reconnect': 'try-reconnect', '--connect-retry-delay': 'connect-retry-delay'},
                    flags=('--backup-password-from-stdin',))
    stdin_data = None
    default_password = None
    if opts.get('--backup-password-from-stdin'):
        # ndb_password_from_stdin_option reads one line before anything else, with or without -e.
        stdin_data = sys.stdin.buffer.readline()
        default_password = stdin_data.decode('ascii', 'replace').rstrip('\n')
    interactive = 'execute' not in opts
    if interactive:
        rest = sys.stdin.buffer.read()
        stdin_data = (stdin_data or b'') + rest
        commands = [c for c in rest.decode('ascii', 'replace').splitlines() if c.strip()]
        _write_history(commands)
    else:
        commands = [opts['execute']]
    state = read_state()
    record = {'argv': argv, 'commands': [_redact(c) for c in commands]}
    record.update(stdin_fields(stdin_data))
    connectstring = opts.get('ndb-connectstring', 'localhost:1186')
    if not _mgmd_up(state, opts.get('ndb-connectstring')):
        # --connect-retries=N is a number of attempts: ndb_mgm passes N - 1 to ndb_mgm_connect(), where a negative
        # value retries forever (CommandInterpreter.cpp connect(), mgmapi.cpp). Like the real one, the simulator
        # then waits until a management server answers; otherwise it answers at once, logging the wait it skips.
        tries = int(opts.get('connect-retries', opts.get('try-reconnect', 12)))
        delay = int(opts.get('connect-retry-delay', 5))
        record['would_wait'] = max(tries - 1, 0) * delay if tries > 0 else None
        if tries <= 0:
            log('ndb_mgm', 'retry_forever', **record)
            print('ERROR: Unable to connect with connect string: nodeid=0,%s' % connectstring, file=sys.stderr)
            sys.stderr.write('Retrying every %d seconds, until connected.' % delay)
            sys.stderr.flush()
            while not _mgmd_up(read_state(), opts.get('ndb-connectstring')):
                time.sleep(0.2)
            state = read_state()
        else:
            log('ndb_mgm', 'invoke', reported=None, **record)
            print('ERROR: Unable to connect with connect string: nodeid=0,%s' % connectstring, file=sys.stderr)
            if tries > 1:
                print('Retrying every %d seconds. Attempts left: %s, failed.'
                      % (delay, ' '.join(str(i) for i in range(tries - 1, 0, -1))), file=sys.stderr)
            # -e: the command's error (-1) becomes exit code 255; commands on stdin: always 0 (main.cpp).
            return 0 if interactive else 255
    reported = dict((str(n['id']), _data_state(state, n['id'])) for n in _data_nodes(state))
    log('ndb_mgm', 'invoke', reported=reported, **record)
    if interactive:
        print('-- NDB Cluster -- Management Client --')
    host, port = (_connect_targets(connectstring) or [('localhost', 1186)])[0]
    print('Connected to management server at %s port %d (using cleartext)' % (host, port))
    rc = 0
    for command in commands:
        words = command.strip().rstrip(';').split()
        low = [w.lower() for w in words]
        if low in (['exit'], ['quit'], ['bye']):
            break
        if low[:1] == ['sleep']:
            time.sleep(float(low[1]) if len(low) > 1 and low[1].isdigit() else 0)
            continue
        if low == ['show']:
            _show(read_state())
        elif low == ['all', 'status']:
            state = read_state()
            for node in _data_nodes(state):
                _print_status(state, node['id'])
        elif len(low) == 2 and low[0].isdigit() and low[1] == 'status':
            _print_status(read_state(), int(low[0]))
        elif _node_command(low) is not None:
            verb, ids, options = _node_command(low)
            rc = max(rc, (_mgm_stop if verb == 'stop' else _mgm_restart)(ids, options))
        elif low[:2] == ['start', 'backup']:
            rc = max(rc, _backup(command, default_password, interactive))
        else:
            _invalid(command)
            rc = 255
    # Commands read from stdin: main.cpp ignores what each returned, ndb_mgm exits 0.
    return 0 if interactive else rc


def _invalid(command, message=None):
    """CommandInterpreter.cpp invalid_command(): the command after its first word is echoed, a PASSWORD= with it
    (redacted here; the role redacts the real one's output)."""
    words = command.strip().split(None, 1)
    print('Invalid command: %s' % _redact(words[1] if len(words) > 1 else command.strip()))
    if message:
        print(message)
    print('Type HELP for help.\n')


def _redact(command):
    return re.sub(r'(?i)(PASSWORD\s*=\s*)(\'[^\']*\'|"[^"]*"|\S+)', r'\1<redacted>', command)


def _show(state):
    config = state['config']
    started = [n['id'] for n in config['nodes'] if n['type'] == 'data' and _data_state(state, n['id']) == 'started']
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
                # The master (the oldest started data node; here the lowest id) is marked `, *`.
                master = ', *' if status == 'started' and node['id'] == min(started) else ''
                print('%s\t@%s  (%s%s, %s%s)' % (label, node['hostname'], VERSION, extra, group, master))
            elif kind == 'mgmd' and _mgmd_alive(state, node['id']):
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
        ('connected' if _mgmd_alive(state, node_id) else 'not connected')
    if status == 'starting':
        print('Node %d: starting (Last completed phase 4) (%s)' % (node_id, VERSION))
    elif status == 'started':
        print('Node %d: started (%s)' % (node_id, VERSION))
    elif status == 'connected':
        print('Node %d: connected (Version 8.0.31)' % node_id)
    else:
        print('Node %d: %s' % (node_id, status))


def _node_command(words):
    """'2 4 stop -f' -> ('stop', [2, 4], {'-f'}); None for anything else."""
    for i, word in enumerate(words):
        if word in ('stop', 'restart'):
            ids, options = words[:i], set(words[i + 1:])
            if ids and all(w.isdigit() for w in ids):
                return word, [int(w) for w in ids], options
            return None
    return None


def _stop_refusal(state, ids, force):
    """What ndb_mgmd answers to stopping (or restarting) these data nodes, or None: the NDB error texts
    (storage/ndb/src/ndbapi/ndberror.cpp) behind ndb_mgm's "*  2002: Stop failed" (manual, ndb_mgm STOP)."""
    data = _data_nodes(state)
    targets = set(ids)
    if not force and any(_data_state(state, n['id']) == 'starting' for n in data if n['id'] not in targets):
        return 'Operation not allowed while nodes are starting or stopping.'
    for node in data:
        if node['id'] not in targets or node['nodegroup'] is None:
            continue
        left = [n for n in data if n['nodegroup'] == node['nodegroup'] and n['id'] not in targets
                and _data_state(state, n['id']) == 'started']
        if not left:
            return 'Node shutdown would cause system crash: Permanent error: Application error'
    return None


def _mgm_stop(ids, options):
    state = read_state()
    for node_id in ids:
        if _node_cfg(state, node_id) is None:
            print('%d: Node not found' % node_id)
            return 255
    log('ndb_mgm', 'stop', node=ids[0], nodes=ids, options=sorted(options))
    data_ids = [i for i in ids if _node_cfg(state, i)['type'] == 'data']
    refusal = _stop_refusal(state, data_ids, '-f' in options) if data_ids else None
    if len(data_ids) > 1 and '-a' not in options:
        # Real 9.7.4 ndb_mgmd stops several data nodes at once only with -a (abort), whatever their node groups
        # (parity test: `2 3 stop`).
        refusal = 'Unsupported multi node shutdown. Abort option required.: Permanent error: Application error'
    if refusal:
        log('ndb_mgm', 'stop_refused', nodes=ids, reason=refusal)
        print('Shutdown failed.\n*  2002: Stop failed\n*        %s' % refusal)
        return 255
    mgmd_stopped = False
    for node_id in ids:
        node = state['nodes'].get(str(node_id), {})
        pid = node.get('pid')
        if pid and _alive(pid):
            os.kill(pid, signal.SIGTERM)
            if node.get('type') == 'mgmd':
                # Asynchronous, as ndb_mgm_stop4 is for a management server: it answers, then leaves.
                deadline = time.time() + 5
                while time.time() < deadline and _mgmd_alive(read_state(), node_id):
                    time.sleep(0.02)
                mgmd_stopped = True
                continue
            deadline = time.time() + 5
            while _alive(pid) and time.time() < deadline:
                time.sleep(0.05)
    print('Node %s has shutdown.' % ' '.join(str(i) for i in ids))
    if mgmd_stopped:
        print('Disconnecting to allow Management Server to shutdown')
    return 0


def _mgm_restart(ids, options):
    """Data nodes only: the angel starts the data node process again (with --initial for -i), keeping the
    password it read when it was started itself."""
    state = read_state()
    unknown = [i for i in ids if _node_cfg(state, i, 'data') is None]
    if unknown or '-n' in options:
        print('Restart failed.\n*  this simulator restarts data nodes only, without -n')
        return 255
    refusal = _stop_refusal(state, ids, '-f' in options)
    log('ndb_mgm', 'restart', nodes=ids, options=sorted(options), refused=refusal)
    if refusal:
        print('Restart failed.\n*  2002: Stop failed\n*        %s' % refusal)
        return 255
    with locked() as state:
        for node_id in ids:
            state['nodes'].setdefault(str(node_id), {})['restart'] = {'initial': '-i' in options}
    for node_id in ids:
        pid = state['nodes'].get(str(node_id), {}).get('pid')
        if pid and _alive(pid):
            os.kill(pid, signal.SIGUSR1)
    print('Node %s is being restarted' % ' '.join(str(i) for i in ids))
    return 0


def _backup_words(command):
    """START BACKUP's arguments split as BaseString::splitWithQuotedStrings does: quotes keep spaces together."""
    return re.findall(r'''(?:[^\s"']+|"[^"]*"|'[^']*')+''', command.strip().rstrip(';'))[2:]


def _backup(command, default_password, interactive):
    """executeStartBackup (storage/ndb/src/mgmclient/CommandInterpreter.cpp): ENCRYPT PASSWORD='...' anywhere; a bare
    ENCRYPT takes the --backup-password(-from-stdin) password only as the LAST word (followed by another word it is
    ignored); with such a password and no encryption, the warning and an UNENCRYPTED backup. Errors return -1."""
    args = _backup_words(command)
    backup_id, wait, password, password_set = None, 'COMPLETED', None, False
    i = 0
    while i < len(args):
        word = args[i].upper()
        if i == 0 and args[i].isdigit():
            backup_id = int(args[i])
        elif word in ('SNAPSHOTSTART', 'SNAPSHOTEND'):
            pass
        elif word == 'NOWAIT':
            wait = None
        elif word == 'WAIT' and i + 1 < len(args) and args[i + 1].upper() in ('COMPLETED', 'STARTED'):
            wait = args[i + 1].upper()
            i += 1
        elif word == 'ENCRYPT':
            if password_set:
                _invalid(command)
                return 255
            if i + 1 < len(args):
                if args[i + 1].upper().startswith('PASSWORD='):
                    value = args[i + 1].split('=', 1)[1]
                    if len(value) < 2 or value[0] not in '"\'' or value[0] != value[-1]:
                        _invalid(command, 'Encryption password should be within quotes')
                        return 255
                    password, password_set = value[1:-1], True
                    i += 1
            elif default_password is not None:
                password, password_set = default_password, True
            else:
                _invalid(command, 'Encryption need password')
                return 255
        else:
            _invalid(command)
            return 255
        i += 1
    if not password_set and default_password is not None:
        print('Warning, unencrypted backup requested although backup password is provided.')
    if wait:
        print('Waiting for %s, this may take several minutes' % wait.lower())
    encrypt = password_set
    with locked() as state:
        nodes = _data_nodes(state)
        if any(_data_state(state, n['id']) != 'started' for n in nodes):
            print('Backup failed\n*  3001: Could not start backup\n*        Too many nodes down: Temporary error')
            return 255
        if state['config']['require_encrypted_backup'] and not encrypt:
            print('Backup failed\n*  3001: Could not start backup\n*        Encrypted backup required '
                  '(RequireEncryptedBackup=1): Permanent error: Application error')
            return 255
        if encrypt:
            problem = _password_problem(password, BACKUP_FORBIDDEN, 256)
            if problem:
                print('Backup failed\n*  3001: Could not start backup\n*        %s' % problem)
                return 255
        backup_id = backup_id or state['next_backup_id']
        state['next_backup_id'] = backup_id + 1
        state['backups'].append({'id': backup_id, 'encrypted': encrypt})
    check = _password_check(password) if encrypt else ''
    for node in nodes:
        base = os.path.join(node['datadir'] or '.', 'BACKUP', 'BACKUP-%d' % backup_id)
        for name in ('BACKUP-%d-0.%d.Data', 'BACKUP-%d.%d.ctl', 'BACKUP-%d.%d.log'):
            _write_xfrm(os.path.join(base, name % (backup_id, node['id'])), encrypt, check)
    log('ndb_mgm', 'backup', backup_id=backup_id, encrypted=encrypt, interactive=interactive,
        password_sha256=hashlib.sha256(password.encode()).hexdigest() if password else None)
    first = nodes[0]['id']
    # The event lines: from the command itself with -e (a log event handle), from the event thread when the
    # commands come on stdin; either way ndb_mgm reports the id only here.
    if wait:
        print('Node %d: Backup %d started from node 1' % (first, backup_id))
    if wait == 'COMPLETED':
        print('Node %d: Backup %d started from node 1 completed\n StartGCP: 100 StopGCP: 103\n'
              ' #Records: 2053 #LogRecords: 0\n Data: 50928 bytes Log: 0 bytes' % (first, backup_id))
    return 0


# --- ndb_restore ----------------------------------------------------------------------------

def main_ndb_restore(argv):
    """ndb_restore -n N -b B --backup-path=DIR [-m] [-r] [--decrypt --backup-password-from-stdin]: reads the
    node's .ctl (metadata), .Data and .log files; refuses an encrypted backup without --decrypt and a wrong
    password before restoring anything; -m refuses a cluster that already holds the backup's tables."""
    opts = _options(argv[1:], {'-n': 'nodeid', '--nodeid': 'nodeid', '-b': 'backupid', '--backupid': 'backupid',
                               '--backup-path': 'backup-path', '--backup_path': 'backup-path', '-c': 'connectstring',
                               '--ndb-connectstring': 'connectstring', '--connect-retries': 'connect-retries',
                               '--backup-password': 'backup-password', '--ndb-nodeid': 'ndb-nodeid'},
                    flags=('-m', '--restore-meta', '--restore_meta', '-r', '--restore-data', '--restore_data',
                           '--decrypt', '--backup-password-from-stdin', '--disable-indexes', '--rebuild-indexes'))
    data = sys.stdin.buffer.readline() if opts.get('--backup-password-from-stdin') else None
    meta = bool(opts.get('-m') or opts.get('--restore-meta') or opts.get('--restore_meta'))
    restore_data = bool(opts.get('-r') or opts.get('--restore-data') or opts.get('--restore_data'))
    log('ndb_restore', 'invoke', argv=argv, password_in_argv='backup-password' in opts, **stdin_fields(data))
    node_id, backup_id = _int(opts.get('nodeid')), _int(opts.get('backupid'))
    path = opts.get('backup-path', '.')

    def fail(message):
        print('ndb_restore: [ERROR] %s' % message, file=sys.stderr)
        print('NDBT_ProgramExit: 1 - Failed')
        log('ndb_restore', 'error', node=node_id, message=message)
        return 1

    if node_id is None or backup_id is None:
        return fail('-n (nodeid) and -b (backupid) are required')
    password = opts.get('backup-password')
    if data is not None:
        password = data.rstrip(b'\n').decode('ascii', 'replace')
    state = read_state()
    if not _mgmd_up(state, opts.get('connectstring')):
        return fail('Could not connect to cluster: %s' % opts.get('connectstring'))
    if any(_data_state(state, n['id']) != 'started' for n in _data_nodes(state)):
        return fail('Failed to initialize consumers: not every data node is started')
    names = ['BACKUP-%d.%d.ctl' % (backup_id, node_id), 'BACKUP-%d-0.%d.Data' % (backup_id, node_id),
             'BACKUP-%d.%d.log' % (backup_id, node_id)]
    encrypted = None
    for name in names:
        full = os.path.join(path, name)
        if not os.path.exists(full):
            return fail('Failed to read %s: No such file or directory' % full)
        with open(full) as f:
            head = f.readline()
            rest = f.read()
        file_encrypted = 'encryption=yes' in head
        encrypted = file_encrypted if encrypted is None else encrypted
        if file_encrypted and not opts.get('--decrypt'):
            return fail('%s is encrypted: give --decrypt and the backup password' % full)
        if file_encrypted:
            fields = dict(p.split('=', 1) for p in rest.split() if '=' in p)
            if password is None or hashlib.sha256((fields.get('salt', '') + password).encode()).hexdigest() \
                    != fields.get('check'):
                return fail('Failed to read %s: wrong password or corrupt file' % full)
    with locked() as state:
        restored = state.setdefault('restored', {'meta': None, 'data': []})
        if meta:
            if restored['meta'] is not None:
                return fail('Failed to restore table: Table already exists (backup %s restored before)'
                            % restored['meta'])
            restored['meta'] = backup_id
        if restore_data:
            if restored['meta'] is None:
                return fail('Failed to restore data: table does not exist (restore the metadata first, -m)')
            restored['data'].append({'backup_id': backup_id, 'node': node_id})
    log('ndb_restore', 'restore', node=node_id, backup_id=backup_id, meta=meta, data=restore_data, encrypted=encrypted,
        password_sha256=hashlib.sha256(password.encode()).hexdigest() if password else None)
    print('Nodeid = %d\nBackup Id = %d\nbackup path = %s' % (node_id, backup_id, path))
    print('Restored 2053 tuples and 0 log entries\n\nNDBT_ProgramExit: 0 - OK')
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


def main_ndbinfo_select_all(argv):
    """ndbinfo_select_all [-c CS] TABLE... (storage/ndb/tools/ndbinfo_select_all.cpp): `== table ==`, the column names
    and the rows, tab-separated with a trailing tab. Only config_values, with EncryptedFileSystem (parameter 680)
    and NoOfReplicas (3) of every started data node; another table: `Failed to open`, exit code 0 all the same."""
    args = argv[1:]
    tables = [a for a in args if not a.startswith('-')]
    names = {'-c': 'ndb-connectstring', '--ndb-connectstring': 'ndb-connectstring',
             '--connect-retries': 'connect-retries', '--connect-retry-delay': 'connect-retry-delay'}
    opts = _options([a for a in args if a.startswith('-')], names)
    log('ndbinfo_select_all', 'invoke', argv=argv, **stdin_fields(None))
    state = read_state()
    if not _mgmd_up(state, opts.get('ndb-connectstring')):
        print('Unable to connect to management server.')
        return 1
    for table in tables:
        print('== %s ==' % table)
        if table != 'config_values':
            print('Failed to open: %s, res: 4240' % table)
            continue
        print('node_id\tconfig_param\tconfig_value\t')
        for node in _data_nodes(state):
            if _data_state(state, node['id']) == 'started':
                print('%d\t3\t%d\t' % (node['id'], state['config']['replicas']))
                print('%d\t680\t%d\t' % (node['id'], state['nodes'][str(node['id'])]['encrypted_fs']))
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


PROGRAMS = {'ndb_mgm': main_ndb_mgm, 'ndb_mgmd': main_ndb_mgmd, 'ndbmtd': main_ndbmtd, 'ndb_restore': main_ndb_restore,
            'ndbxfrm': main_ndbxfrm, 'mysql': main_mysql, 'ndbinfo_select_all': main_ndbinfo_select_all}


def main():
    prog = os.path.basename(sys.argv[0])
    return PROGRAMS[prog](sys.argv)
