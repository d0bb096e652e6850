# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pki role run for real on local hosts (connection local, files under a temporary directory):
inputs that must stop it before anything is written, and --check on an empty pki_dir."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402  -- collections_path()

VENV_BIN = os.path.dirname(sys.executable)


def run(tmp_path, extra=None, check=False, hosts=None):
    hosts = hosts or {'db1': {'ansible_host': '10.1.2.3'}, 'db2': {'ansible_host': '10.1.2.4'}}
    inv = tmp_path / 'inventory.yml'
    for h in hosts.values():
        h.update({'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                  'pki_remote_dir': str(tmp_path / 'remote' / '{{ inventory_hostname }}')})
    inv.write_text(yaml.safe_dump({'all': {'children': {'db': {'hosts': hosts}}}}))
    play = tmp_path / 'play.yml'
    play.write_text(yaml.safe_dump([{
        'name': 'pki', 'hosts': 'db', 'gather_facts': False,
        'vars': {'pki_dir': str(tmp_path / 'pki'), 'pki_owner': 'root', 'pki_group': 'root'},
        'roles': [{'role': 'clustersec.mysql.pki'}],
        'post_tasks': [{'name': 'Show the names', 'ansible.builtin.debug': {'msg': 'NODE {{ pki_node | to_json }}'}}],
    }]))
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv), str(play)]
    if check:
        cmd.append('--check')
    if extra:
        cmd += ['-e', json.dumps(extra)]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False')
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def test_ansible_host_address_becomes_an_ip_san(tmp_path):
    rc, out = run(tmp_path)
    assert rc == 0, out[-3000:]
    text = subprocess.run(['openssl', 'x509', '-noout', '-ext', 'subjectAltName', '-in',
                           str(tmp_path / 'pki' / 'nodes' / 'db1' / 'server-cert.pem')],
                          capture_output=True, text=True, check=True).stdout
    assert 'IP Address:10.1.2.3' in text, text
    # Control: a host name in ansible_host is no IP SAN (it would be a DNS name, covered by dns).
    rc, out = run(tmp_path, hosts={'db1': {'ansible_host': 'db1.example'}})
    assert rc == 0 and re.search(r'ips\W+: \[\]', out), out[-2000:]


def test_ca_name_equal_to_a_node_name_refused_before_any_file(tmp_path):
    rc, out = run(tmp_path, {'pki_ca_common_name': 'db2'})
    assert rc != 0 and 'db2: pki_ca_common_name' in out and 'Nothing was written' in out, out[-3000:]
    assert not (tmp_path / 'pki' / 'ca.pem').exists() and not (tmp_path / 'remote').exists()


def test_check_mode_on_an_empty_pki_dir_runs_to_the_end_and_writes_nothing(tmp_path):
    rc, out = run(tmp_path, check=True)
    assert rc == 0, out[-3000:]
    assert 'a real run creates it and issues certificates for db1, db2' in out
    assert not (tmp_path / 'pki').exists() or not any((tmp_path / 'pki').iterdir())
    assert not (tmp_path / 'remote').exists() or not list((tmp_path / 'remote').rglob('*.pem'))


def test_pki_dir_inside_a_collection_is_refused_before_anything_is_written(tmp_path):
    inside = tmp_path / 'ansible_collections' / 'clustersec' / 'mysql' / 'playbooks' / 'pki'
    rc, out = run(tmp_path, extra={'pki_dir': str(inside)})
    assert rc != 0
    assert 'is inside an installed collection' in out and 'db1' in out, out[-2000:]
    assert not inside.exists() and not (tmp_path / 'remote').exists(), 'the refused run wrote files'
    # control: the same run with pki_dir outside the collection tree writes the CA
    rc, out = run(tmp_path, extra={'pki_dir': str(tmp_path / 'keep' / 'pki')})
    assert rc == 0 and (tmp_path / 'keep' / 'pki' / 'ca-key.pem').exists(), out[-2000:]


def test_default_pki_dir_is_beside_the_inventory(tmp_path):
    hosts = {'db1': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                     'pki_remote_dir': str(tmp_path / 'remote' / 'db1')}}
    inv_dir = tmp_path / 'inventory'
    inv_dir.mkdir()
    (inv_dir / 'hosts.yml').write_text(yaml.safe_dump({'all': {'children': {'db': {'hosts': hosts}}}}))
    play_dir = tmp_path / 'playbooks'
    play_dir.mkdir()
    (play_dir / 'play.yml').write_text(yaml.safe_dump([{
        'name': 'pki', 'hosts': 'db', 'gather_facts': False,
        'vars': {'pki_owner': 'root', 'pki_group': 'root'}, 'roles': [{'role': 'clustersec.mysql.pki'}]}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False')
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv_dir / 'hosts.yml'),
                           str(play_dir / 'play.yml')], env=env, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (inv_dir / 'pki' / 'ca-key.pem').exists()
    assert not (play_dir / 'pki').exists()


def test_controller_tasks_do_not_become_when_the_inventory_says_ansible_become(tmp_path):
    """group_vars/all with ansible_become: true (SSH users' usual inventory) reaches the implicit localhost too; here
    become there means `su nobody`, which fails, so any controller task that became would stop the run. The nodes
    themselves run without become (their host vars)."""
    def inventory(tmp, become_all):
        hosts = {'db1': {'ansible_host': '10.1.2.3', 'ansible_become': False}}
        for h in hosts.values():
            h.update({'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                      'pki_remote_dir': str(tmp / 'remote' / '{{ inventory_hostname }}')})
        inv = tmp / 'inventory.yml'
        inv.write_text(yaml.safe_dump({'all': {'vars': become_all, 'children': {'db': {'hosts': hosts}}}}))
        return inv

    become_all = {'ansible_become': True, 'ansible_become_method': 'su', 'ansible_become_user': 'nobody'}
    inv = inventory(tmp_path, become_all)
    play = tmp_path / 'play.yml'
    play.write_text(yaml.safe_dump([{'name': 'pki', 'hosts': 'db', 'gather_facts': False,
                                     'vars': {'pki_dir': str(tmp_path / 'pki'), 'pki_owner': 'root', 'pki_group': 'root'},
                                     'roles': [{'role': 'clustersec.mysql.pki'}]}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False')
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv), str(play)], env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert (tmp_path / 'pki' / 'ca-key.pem').is_file()
    assert os.stat(tmp_path / 'pki' / 'ca-key.pem').st_uid == os.getuid()
    # Control: the same inventory makes a controller task with only the keyword `become: false` try su and fail.
    control = tmp_path / 'control.yml'
    control.write_text(yaml.safe_dump([{'name': 'control', 'hosts': 'db', 'gather_facts': False, 'tasks': [
        {'name': 'Keyword only', 'ansible.builtin.command': 'id -un', 'delegate_to': 'localhost', 'become': False}]}]))
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv), str(control)], env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode != 0 and 'become' in proc.stdout, proc.stdout[-2000:]


def test_at_rest_keys_made_once_the_same_on_every_node_and_never_changed(tmp_path):
    sys.path.insert(0, harness.collections_path())
    from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import at_rest_keys as K

    extra = {'pki_at_rest_keys': True, 'pki_at_rest_owner': 'root'}
    rc, out = run(tmp_path, extra=extra)
    assert rc == 0, out[-3000:]
    remote = [tmp_path / 'remote' / h / 'at-rest' for h in ('db1', 'db2')]
    for d in remote:
        assert oct(os.stat(d).st_mode & 0o777) == '0o750' and os.stat(d).st_uid == 0  # root's (issue 28)
        for f in ('keys.enc', 'filekey'):
            assert oct(os.stat(d / f).st_mode & 0o777) == '0o400', (d, f)
    assert (remote[0] / 'keys.enc').read_bytes() == (remote[1] / 'keys.enc').read_bytes()
    ctl = tmp_path / 'pki' / 'at-rest'
    assert (ctl / 'keys.enc').read_bytes() == (remote[0] / 'keys.enc').read_bytes()
    first = K.parse(K.decrypt((ctl / 'keys.enc').read_bytes(), K.read_secret((ctl / 'filekey').read_bytes())))
    assert sorted(first) == [1, 2]  # key 1 for the logs, key 2 for tables (the defaults)
    for k in first.values():
        assert k not in out, 'a key reached the output'
    # A second run changes nothing; adding key 3 keeps keys 1 and 2 as they were.
    rc, out = run(tmp_path, extra=extra)
    assert rc == 0 and re.search(r'db1\s*:.*changed=0', out), out[-2000:]
    rc, out = run(tmp_path, extra=dict(extra, pki_at_rest_key_ids=[1, 2, 3]))
    assert rc == 0, out[-3000:]
    second = K.parse(K.decrypt((remote[1] / 'keys.enc').read_bytes(), K.read_secret((remote[1] / 'filekey').read_bytes())))
    assert sorted(second) == [1, 2, 3] and second[1] == first[1] and second[2] == first[2]
