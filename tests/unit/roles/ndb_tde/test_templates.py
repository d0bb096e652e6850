# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Golden-file tests of the ndb_tde role's templates, rendered with jinja2 as the template module does
(trim_blocks, trailing newline kept), with ansible_managed and the comment, quote and bool filters stubbed.

Regenerate the golden files after an intended change: UPDATE_GOLDEN=1 pytest tests/unit/roles/ndb_tde
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import shlex
import stat
import subprocess
import sys

import jinja2
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
# config.ini is read back the way the NDB simulator's ndb_mgmd reads it (the collection itself only writes it).
sys.path.insert(0, os.path.join(HERE, '..', '..', '..', 'ndb_simulator'))
import ndbsim  # noqa: E402  pylint: disable=wrong-import-position

TEMPLATES = os.path.join(HERE, '..', '..', '..', '..', 'roles', 'ndb_tde', 'templates')
GOLDEN = os.path.join(HERE, 'golden')
SECRET = 'T0ps3cr3t.Value'


def _bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ('1', 'true', 'yes', 'on', 'y')


def _comment(text, style='plain'):
    return '#\n' + '\n'.join('# ' + line for line in text.splitlines()) + '\n#'


def render(name, **variables):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), trim_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters.update(comment=_comment, quote=lambda s: shlex.quote(str(s)), bool=_bool)
    values = dict(BASE)
    values.update(variables)
    return env.get_template(name).render(**values)


NODES = [
    {'type': 'mgmd', 'host': 'mgm1', 'id': 1, 'hostname': 'mgm1.example', 'port': 1186,
     'datadir': '/var/lib/mysql-cluster', 'nodegroup': None, 'params': {}},
    {'type': 'mgmd', 'host': 'mgm2', 'id': 49, 'hostname': 'mgm2.example', 'port': 1187,
     'datadir': '/var/lib/mysql-cluster', 'nodegroup': None, 'params': {'ArbitrationRank': 2}},
    {'type': 'data', 'host': 'data1', 'id': 2, 'hostname': 'data1.example', 'port': None,
     'datadir': '/var/lib/mysql-cluster', 'nodegroup': None, 'params': {}},
    {'type': 'data', 'host': 'data2', 'id': 3, 'hostname': 'data2.example', 'port': None,
     'datadir': '/srv/ndb', 'nodegroup': None, 'params': {'DataMemory': '4G', 'ODirect': True}},
    {'type': 'data', 'host': 'data3', 'id': 4, 'hostname': 'data3.example', 'port': None,
     'datadir': '/var/lib/mysql-cluster', 'nodegroup': 1, 'params': {}},
    {'type': 'data', 'host': 'data4', 'id': 5, 'hostname': 'data4.example', 'port': None,
     'datadir': '/var/lib/mysql-cluster', 'nodegroup': 1, 'params': {}},
    {'type': 'api', 'host': 'sql1', 'id': 50, 'hostname': 'sql1.example', 'port': None,
     'datadir': None, 'nodegroup': None, 'params': {}},
    {'type': 'api', 'host': 'sql2', 'id': None, 'hostname': 'sql2.example', 'port': None,
     'datadir': None, 'nodegroup': None, 'params': {'BatchSize': 512}},
]

BASE = {
    'ansible_managed': 'Ansible managed',
    '__ndb_tde_config_nodes': NODES,
    'ndb_tde_no_of_replicas': 2,
    'ndb_tde_enabled': True,
    'ndb_tde_require_encrypted_backup': '{{ ndb_tde_enabled }}',
    'ndb_tde_lock_pages_in_main_memory': 1,
    'ndb_tde_config_overrides': {'DB default': {'DataMemory': '2G', 'NoOfFragmentLogParts': 4},
                                 'TCP default': {'SendBufferMemory': '8M'}},
    'ndb_tde_free_api_slots': 2,
    # data node 2
    'ndb_tde_node_id': 2,
    'ndb_tde_ndbmtd_bin': '/usr/sbin/ndbmtd',
    'ndb_tde_data_user': 'mysql',
    'ndb_tde_run_dir': '/run/clustersec-ndb',
    '__ndb_tde_initial_marker': '/run/clustersec-ndb/ndbmtd-2.initial',
    '__ndb_tde_pid_file': '/run/clustersec-ndb/ndbmtd-2.pid',
    'ndb_tde_ndbmtd_out_file': '/var/lib/mysql-cluster/ndb_2_start.log',
    'ndb_tde_stop_timeout': 300,
    'ndb_tde_connectstring': 'mgm1.example:1186,mgm2.example:1187',
    'ndb_tde_ndbmtd_extra_args': ['--connect-retries=-1', '--logbuffer-size=64K'],
    'ndb_tde_password_delivery': 'stdin',
    'ndb_tde_password_command': '',
    'ndb_tde_password_file': '/etc/clustersec-ndb/ndbmtd-2.pw',
    'ndb_tde_defaults_file': '/etc/clustersec-ndb/ndbmtd-2.cnf',
    '__ndb_tde_delivered_password': SECRET,
    'ndb_tde_ndbmtd_script': '/usr/local/libexec/clustersec-ndb/ndbmtd-2',
    'ndb_tde_mgmd_service': 'ndb_mgmd',
    # management server
    '__ndb_tde_mgmd_node_id': 1,
    'ndb_tde_ndb_mgmd_bin': '/usr/sbin/ndb_mgmd',
    'ndb_tde_config_file': '/var/lib/mysql-cluster/config.ini',
    'ndb_tde_mgmd_configdir': '/var/lib/mysql-cluster/cache',
    'ndb_tde_mgmd_extra_args': [],
    # MCM
    'ndb_tde_mcm_cluster': 'mycluster',
    '__ndb_tde_mcm_nodes': [(2, '/etc/clustersec-ndb/ndbmtd-2.pw'), (3, '/etc/clustersec-ndb/ndbmtd-3.pw')],
}
# ndb_tde_require_encrypted_backup defaults to a template in the role; here it is its value.
BASE['ndb_tde_require_encrypted_backup'] = True

CASES = {
    'config.ini': ('config.ini.j2', {}),
    'config-tde-off.ini': ('config.ini.j2', {'ndb_tde_enabled': False, 'ndb_tde_require_encrypted_backup': False,
                                             'ndb_tde_config_overrides': {}, 'ndb_tde_free_api_slots': 0,
                                             'ndb_tde_lock_pages_in_main_memory': 0}),
    'ndbmtd-start-stdin-file.sh': ('ndbmtd-start.sh.j2', {}),
    'ndbmtd-start-stdin-command.sh': ('ndbmtd-start.sh.j2', {'ndb_tde_password_command': '/usr/local/bin/pwdtool --node 2'}),
    'ndbmtd-start-defaults-file.sh': ('ndbmtd-start.sh.j2', {'ndb_tde_password_delivery': 'defaults_file'}),
    'ndbmtd-start-tde-off.sh': ('ndbmtd-start.sh.j2', {'ndb_tde_enabled': False, 'ndb_tde_lock_pages_in_main_memory': 0}),
    'ndbmtd.service': ('ndbmtd.service.j2', {}),
    'ndb_mgmd.service': ('ndb_mgmd.service.j2', {}),
    'ndbd-defaults.cnf': ('ndbd-defaults.cnf.j2', {}),
    'mcm-tde-on.mcm': ('mcm-tde.mcm.j2', {}),
    'mcm-tde-off.mcm': ('mcm-tde.mcm.j2', {'ndb_tde_enabled': False, 'ndb_tde_require_encrypted_backup': False}),
}


@pytest.mark.parametrize('golden', sorted(CASES))
def test_matches_golden_file(golden):
    template, variables = CASES[golden]
    text = render(template, **variables)
    path = os.path.join(GOLDEN, golden)
    if os.environ.get('UPDATE_GOLDEN'):
        with open(path, 'w') as f:
            f.write(text)
    with open(path) as f:
        assert text == f.read()


def test_every_template_starts_with_ansible_managed():
    for name in os.listdir(TEMPLATES):
        text = render(name)
        first = text.split('\n', 2)[1] if text.startswith('#!') else text.split('\n', 1)[0]
        assert first == '#' or text.startswith('#!/usr/bin/env bash\n#\n# Ansible managed'), name


def test_config_ini_holds_the_tde_settings_and_every_node():
    sections = ndbsim.parse_config_ini(render('config.ini.j2'))
    db_default = dict(sections)['DB default']
    assert db_default == {'NoOfReplicas': '2', 'EncryptedFileSystem': '1', 'RequireEncryptedBackup': '1',
                          'LockPagesInMainMemory': '1', 'DataMemory': '2G', 'NoOfFragmentLogParts': '4'}
    nodes = ndbsim.config_ini_nodes(sections)
    assert [(n['type'], n['id']) for n in nodes] == [
        ('mgmd', 1), ('mgmd', 49), ('data', 2), ('data', 3), ('data', 4), ('data', 5), ('api', 50), ('api', None),
        ('api', None), ('api', None)]
    assert nodes[3]['params'] == {'NodeId': '3', 'HostName': 'data2.example', 'DataDir': '/srv/ndb',
                                  'DataMemory': '4G', 'ODirect': '1'}
    assert nodes[1]['params']['PortNumber'] == '1187'
    assert ndbsim.assign_nodegroups([n for n in NODES if n['type'] == 'data'], 2) == {2: 0, 3: 0, 4: 1, 5: 1}
    off = dict(ndbsim.parse_config_ini(render('config.ini.j2', ndb_tde_enabled=False,
                                              ndb_tde_require_encrypted_backup=False)))['DB default']
    assert off['EncryptedFileSystem'] == '0' and off['RequireEncryptedBackup'] == '0'


def test_config_ini_reader_round_trip():
    text = '# c\n[DB default]\nNoOfReplicas=2\n\n[DB]\nNodeId=2\nHostName=h\n[DB]\nNodeId=3\n[API]\n'
    sections = ndbsim.parse_config_ini(text)
    assert sections[0] == ('DB default', {'NoOfReplicas': '2'})
    assert [(n['type'], n['id']) for n in ndbsim.config_ini_nodes(sections)] == [('data', 2), ('data', 3), ('api', None)]
    with pytest.raises(ndbsim.ConfigError, match='outside any section'):
        ndbsim.parse_config_ini('a=1')
    with pytest.raises(ndbsim.ConfigError, match='not key=value'):
        ndbsim.parse_config_ini('[DB]\nfoo')


def test_assign_nodegroups():
    nodes = [{'type': 'data', 'id': i} for i in (2, 3, 4, 5)]
    assert ndbsim.assign_nodegroups(nodes, 2) == {2: 0, 3: 0, 4: 1, 5: 1}
    nodes[0]['nodegroup'] = 1
    nodes[3]['nodegroup'] = ndbsim.NO_NODEGROUP
    assert ndbsim.assign_nodegroups(nodes, 2) == {2: 1, 3: 0, 4: 0, 5: None}


def test_units_disable_core_dumps():
    assert 'LimitCORE=0' in render('ndbmtd.service.j2').splitlines()
    assert 'LimitMEMLOCK=infinity' in render('ndbmtd.service.j2').splitlines()
    assert 'LimitMEMLOCK=infinity' not in render('ndbmtd.service.j2', ndb_tde_lock_pages_in_main_memory=0)


def test_password_only_in_the_private_files():
    assert 'filesystem-password="%s"' % SECRET in render('ndbd-defaults.cnf.j2')
    for template in ('config.ini.j2', 'ndbmtd-start.sh.j2', 'ndbmtd.service.j2', 'ndb_mgmd.service.j2', 'mcm-tde.mcm.j2'):
        for delivery in ('stdin', 'defaults_file'):
            assert SECRET not in render(template, ndb_tde_password_delivery=delivery)


def test_mcm_commands():
    lines = [line for line in render('mcm-tde.mcm.j2').splitlines() if not line.startswith('#')]
    assert lines == ['set filesystem-password-file:ndbmtd:2=/etc/clustersec-ndb/ndbmtd-2.pw mycluster;',
                     'set filesystem-password-file:ndbmtd:3=/etc/clustersec-ndb/ndbmtd-3.pw mycluster;',
                     'set EncryptedFileSystem:ndbmtd=1 mycluster;',
                     'set RequireEncryptedBackup:ndbmtd=1 mycluster;']


# --- the start script, run against a stub ndbmtd that records what it was given ---------------

STUB = '''#!/bin/bash
{ printf '%s\\n' "$@"; } > "$(dirname "$0")/argv"
cat > "$(dirname "$0")/stdin"
env > "$(dirname "$0")/environ"
'''


@pytest.fixture
def stub(tmp_path):
    path = tmp_path / 'ndbmtd'
    path.write_text(STUB)
    path.chmod(0o755)
    return tmp_path


def run_script(stub, run_as=None, **variables):
    tmp = str(stub)
    user = run_as or subprocess.check_output(['id', '-un']).decode().strip()
    values = dict(ndb_tde_ndbmtd_bin=os.path.join(tmp, 'ndbmtd'), ndb_tde_data_user=user,
                  ndb_tde_run_dir=os.path.join(tmp, 'run'), __ndb_tde_initial_marker=os.path.join(tmp, 'run', 'm'),
                  __ndb_tde_pid_file=os.path.join(tmp, 'run', 'pid'), ndb_tde_password_file=os.path.join(tmp, 'pw'),
                  ndb_tde_defaults_file=os.path.join(tmp, 'd.cnf'), ndb_tde_lock_pages_in_main_memory=0)
    values.update(variables)
    script = os.path.join(tmp, 'start')
    with open(script, 'w') as f:
        f.write(render('ndbmtd-start.sh.j2', **values))
    os.chmod(script, stat.S_IRWXU)
    subprocess.check_call(['bash', '-n', script])
    subprocess.check_call([script, 'run'], env={'PATH': os.environ['PATH']}, timeout=20)
    with open(os.path.join(tmp, 'argv')) as f:
        argv = f.read().splitlines()
    with open(os.path.join(tmp, 'stdin')) as f:
        stdin = f.read()
    with open(os.path.join(tmp, 'environ')) as f:
        environ = f.read()
    return argv, stdin, environ


def test_script_pipes_the_password_file_to_stdin(stub):
    (stub / 'pw').write_text(SECRET + '\n')
    (stub / 'run').mkdir()
    (stub / 'run' / 'm').write_text('')
    argv, stdin, environ = run_script(stub)
    assert argv == ['--ndb-connectstring=mgm1.example:1186,mgm2.example:1187', '--ndb-nodeid=2', '--nodaemon',
                    '--connect-retries=-1', '--logbuffer-size=64K', '--initial', '--filesystem-password-from-stdin']
    assert stdin == SECRET + '\n'
    assert SECRET not in environ
    assert not (stub / 'run' / 'm').exists()
    argv, stdin, environ = run_script(stub)
    assert '--initial' not in argv


def test_script_pipes_the_operators_tool(stub):
    tool = stub / 'pwdtool'
    tool.write_text('#!/bin/bash\necho "%s"\n' % SECRET)
    tool.chmod(0o755)
    argv, stdin, environ = run_script(stub, ndb_tde_password_command=str(tool))
    assert argv[-1] == '--filesystem-password-from-stdin' and stdin == SECRET + '\n'
    assert SECRET not in environ and not any(SECRET in a for a in argv)


def test_script_gives_the_defaults_file_first(stub):
    argv, stdin, environ = run_script(stub, ndb_tde_password_delivery='defaults_file')
    assert argv[0] == '--defaults-file=%s' % (stub / 'd.cnf')
    assert '--filesystem-password-from-stdin' not in argv and stdin == ''


def test_script_without_tde(stub):
    argv, stdin, environ = run_script(stub, ndb_tde_enabled=False)
    assert not [a for a in argv if 'password' in a or 'defaults-file' in a] and stdin == ''
