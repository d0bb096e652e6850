# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mariadb_galera's data-at-rest pre-flight on local hosts (connection local, node paths under a temporary
directory): each bad input stops the play naming the host and the cause, and the control passes."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402

VENV_BIN = os.path.dirname(sys.executable)


def layout(tmp_path, plugin=True, modes=None, same=True, same_filekey=True):
    for h in ('db1', 'db2'):
        d = tmp_path / h / 'at-rest'
        d.mkdir(parents=True)
        for f in ('keys.enc', 'filekey'):
            differ = (f == 'keys.enc' and not same) or (f == 'filekey' and not same_filekey)
            (d / f).write_bytes(b'Salted__' + (h.encode() if differ else b'x') * 8)
            os.chmod(d / f, (modes or {}).get((h, f), 0o400))
        p = tmp_path / h / 'plugin'
        p.mkdir()
        if plugin or h == 'db1':
            (p / 'file_key_management.so').write_bytes(b'')


def run(tmp_path, path_prefix=None, **extra):
    hosts = {h: {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                 'mariadb_galera_at_rest_dir': str(tmp_path / h / 'at-rest'),
                 'mariadb_galera_at_rest_plugin_dir': str(tmp_path / h / 'plugin')} for h in ('db1', 'db2')}
    inv = tmp_path / 'inventory.yml'
    inv.write_text(yaml.safe_dump({'all': {'children': {'mariadb_galera': {'hosts': hosts}}}}))
    play = tmp_path / 'play.yml'
    play.write_text(yaml.safe_dump([{
        'name': 'at-rest pre-flight', 'hosts': 'mariadb_galera', 'gather_facts': False,
        'vars': dict({'mariadb_galera_encrypt_at_rest': True, 'pki_at_rest_keys': True}, **extra),
        'tasks': [{'name': 'Pre-flight', 'ansible.builtin.include_role': {'name': 'clustersec.mysql.mariadb_galera',
                                                                          'tasks_from': 'preflight_at_rest'}}]}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False')
    if path_prefix:
        env['PATH'] = path_prefix + os.pathsep + env['PATH']
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv), str(play)], env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def test_control_every_node_ready_passes(tmp_path):
    layout(tmp_path)
    rc, out = run(tmp_path)
    assert rc == 0, out[-3000:]


@pytest.mark.parametrize('case,kwargs,extra,host,why', [
    ('no plugin', {'plugin': False}, {}, 'db2', 'lacks the file_key_management plugin'),
    ('readable', {'modes': {('db1', 'keys.enc'): 0o404}}, {}, 'db1', 'keys.enc is readable by others (mode 404)'),
    ('differ', {'same': False}, {}, 'db1', "its key file differs from db2's"),
    ('file key differs', {'same_filekey': False}, {}, 'db2', "its file key differs from db1's"),
    ('key id', {}, {'mariadb_galera_at_rest_default_key_id': 3}, 'db1', 'default_key_id 3 is not a key id of the key file'),
    ('no keys', {}, {'pki_at_rest_keys': False}, 'db1', 'set pki_at_rest_keys: true'),
    ('tables ON without opt-out', {}, {'mariadb_galera_at_rest_tables': 'ON'}, 'db1',
     "add 'unencrypted_tables' to mariadb_galera_allow_insecure"),
])
def test_bad_input_stops_naming_host_and_cause(tmp_path, case, kwargs, extra, host, why):
    layout(tmp_path, **kwargs)
    rc, out = run(tmp_path, **extra)
    assert rc != 0, case
    assert '%s: ' % host in out and why in out, out[-3000:]
    assert 'no node was changed' in out


def test_tables_on_with_the_opt_out_passes(tmp_path):
    # Control of the 'tables ON' case: the named opt-out accepts it.
    layout(tmp_path)
    rc, out = run(tmp_path, mariadb_galera_at_rest_tables='ON', mariadb_galera_allow_insecure=['unencrypted_tables'])
    assert rc == 0, out[-3000:]


def test_turning_it_off_where_the_drop_in_loads_the_plugin_is_refused(tmp_path):
    layout(tmp_path)
    conf = tmp_path / 'db2' / 'conf.d'
    conf.mkdir()
    (conf / '60-clustersec-galera.cnf').write_text('[mysqld]\nplugin_load_add = file_key_management\n')
    extra = {'mariadb_galera_encrypt_at_rest': False}
    rc, out = run(tmp_path, **extra, mariadb_galera_config_dir=str(conf))
    assert rc != 0 and 'db2: the node' in out and 'loads file_key_management' in out, out[-3000:]
    # Control: where no drop-in loads it, turning it off (or never on) passes.
    (conf / '60-clustersec-galera.cnf').write_text('[mysqld]\n')
    rc, out = run(tmp_path, **extra, mariadb_galera_config_dir=str(conf))
    assert rc == 0, out[-3000:]


def fake_client(tmp_path, output):
    """A `mariadb` client on PATH that answers the pre-flight's key-id query as a running server would."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    client = bin_dir / 'mariadb'
    client.write_text('#!/bin/sh\nprintf %s\n' % repr(output))
    client.chmod(0o755)
    return str(bin_dir)


@pytest.mark.parametrize('retire,why', [
    ([1], 'names key id 1'),
    ([2], 'or the table key mariadb_galera_at_rest_default_key_id 2'),
])
def test_retiring_key_one_or_the_table_key_is_refused(tmp_path, retire, why):
    layout(tmp_path)
    rc, out = run(tmp_path, path_prefix=fake_client(tmp_path, 'inuse=1 4 innodb_system\n'),
                  pki_at_rest_retire_key_ids=retire)
    assert rc != 0 and 'db1: ' in out and why in out, out[-3000:]


def test_retiring_a_key_where_a_server_does_not_answer_is_refused(tmp_path):
    # No client on PATH answers, as on a node whose server is down: which keys its data uses cannot be read.
    layout(tmp_path)
    rc, out = run(tmp_path, pki_at_rest_key_ids=[1, 2, 3], pki_at_rest_retire_key_ids=[3])
    assert rc != 0 and 'db1: cannot tell which keys its tablespaces use' in out, out[-3000:]


def test_retiring_a_key_a_running_server_uses_is_refused(tmp_path):
    layout(tmp_path)
    bin_dir = fake_client(tmp_path, 'inuse=1 4 innodb_system\ninuse=3 7 shop/orders\n')
    rc, out = run(tmp_path, path_prefix=bin_dir, mariadb_galera_at_rest_default_key_id=2,
                  pki_at_rest_key_ids=[1, 2, 3], pki_at_rest_retire_key_ids=[3])
    assert rc != 0, out[-3000:]
    assert 'key id 3 of pki_at_rest_retire_key_ids is still used by 7 tablespace(s) of the running server' in out
    assert '(shop/orders ...)' in out and 'rotate_at_rest_keys.yml' in out and 'db1: ' in out
    # Control: the same retirement once no tablespace uses key 3 passes.
    (tmp_path / 'bin' / 'mariadb').write_text("#!/bin/sh\nprintf 'inuse=1 4 innodb_system\\ninuse=2 7 shop/orders\\n'\n")
    rc, out = run(tmp_path, path_prefix=bin_dir, mariadb_galera_at_rest_default_key_id=2,
                  pki_at_rest_key_ids=[1, 2, 3], pki_at_rest_retire_key_ids=[3])
    assert rc == 0, out[-3000:]


def test_a_controller_file_key_other_than_the_nodes_is_refused(tmp_path):
    layout(tmp_path)
    pki = tmp_path / 'pki' / 'at-rest'
    pki.mkdir(parents=True)
    (pki / 'filekey').write_bytes(b'a new file key from a lost pki_dir')
    rc, out = run(tmp_path, pki_dir=str(tmp_path / 'pki'))
    assert rc != 0 and 'db1: ' in out and 'this pki_dir did not make the keys the node reads' in out, out[-3000:]
    # Control: the file key the nodes have passes.
    (pki / 'filekey').write_bytes(b'Salted__' + b'x' * 8)
    rc, out = run(tmp_path, pki_dir=str(tmp_path / 'pki'))
    assert rc == 0, out[-3000:]
