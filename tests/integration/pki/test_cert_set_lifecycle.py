# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 29 item 3: one lifecycle for a certificate set. The pki role run for real on local hosts issues a set; its
entry point stage, as the rotation (new CAs, bundles, probe) and the recovery (current CAs; new CAs) call it, stages a
set with the same subjects (pki_ca_subject merged), key types, validity and client certificates (pki_client_certs)
for the same settings; promote makes it current with the previous set kept where verify_encryption reads it, and a
pki role run afterwards changes nothing; discard drops a staged set. Also: the galera entry points hand the stage
step exactly these options (no settings of their own)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402  -- collections_path()

ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
VENV_BIN = os.path.dirname(sys.executable)
SETTINGS = {'pki_ca_subject': {'organization': 'Example Corp', 'country': 'DE'}, 'pki_ca_key_type': 'ecdsa',
            'pki_key_type': 'ecdsa', 'pki_curve': 'P-384', 'pki_valid_days': 400, 'pki_ca_valid_days': 900,
            'pki_renew_before': 20}


def run(tmp_path, tasks, extra=None, check=False):
    hosts = {'db1': {'ansible_host': '10.1.2.3'}, 'db2': {'ansible_host': '10.1.2.4'}}
    for h in hosts.values():
        h.update({'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                  'pki_remote_dir': str(tmp_path / 'remote' / '{{ inventory_hostname }}')})
    inv = tmp_path / 'inventory.yml'
    inv.write_text(yaml.safe_dump({'all': {'children': {'db': {'hosts': hosts}}}}))
    play = tmp_path / 'play.yml'
    play.write_text(yaml.safe_dump([{
        'name': 'set', 'hosts': 'db', 'gather_facts': False,
        'vars': {'pki_dir': str(tmp_path / 'pki'), 'pki_owner': 'root', 'pki_group': 'root'}, 'tasks': tasks}]))
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv), str(play), '-e', json.dumps(dict(SETTINGS, **(extra or {})))]
    if check:
        cmd.append('--check')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False')
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def entry(name, **vars_):
    task = {'name': 'pki ' + name, 'ansible.builtin.include_role': {'name': 'clustersec.mysql.pki', 'tasks_from': name}}
    if name == 'preflight':
        task['ansible.builtin.include_role']['public'] = True
    if vars_:
        task['vars'] = vars_
    return task


ROLE = [{'name': 'pki role', 'ansible.builtin.include_role': {'name': 'clustersec.mysql.pki'}}]


def facts(path):
    def field(opt):
        return subprocess.run(['openssl', 'x509', '-noout', opt, '-nameopt', 'RFC2253', '-in', str(path)],
                              capture_output=True, text=True, check=True).stdout.strip()
    text = subprocess.run(['openssl', 'x509', '-noout', '-text', '-in', str(path)], capture_output=True, text=True,
                          check=True).stdout
    start = subprocess.run(['openssl', 'x509', '-noout', '-startdate', '-enddate', '-in', str(path)],
                           capture_output=True, text=True, check=True).stdout
    key = [ln.strip() for ln in text.splitlines() if 'Public-Key:' in ln or 'NIST CURVE' in ln]
    return {'subject': field('-subject'), 'key': key, 'dates': len(start.splitlines()), 'text_sans':
            [ln.strip() for ln in text.splitlines() if 'DNS:' in ln]}


def days(path):
    out = subprocess.run(['openssl', 'x509', '-noout', '-startdate', '-enddate', '-in', str(path)],
                         capture_output=True, text=True, check=True).stdout
    import datetime
    stamps = [datetime.datetime.strptime(ln.split('=', 1)[1].strip(), '%b %d %H:%M:%S %Y %Z') for ln in out.splitlines()]
    return round((stamps[1] - stamps[0]).total_seconds() / 86400)


def certs(directory):
    out = {}
    for root, dummy, files in os.walk(str(directory)):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), str(directory))
            if name.endswith('.pem') and not name.endswith('-key.pem') and 'bundle' not in name and 'probe' not in rel \
                    and 'previous' not in rel and name != 'crl.pem':
                f = facts(os.path.join(root, name))
                f['days'] = days(os.path.join(root, name))
                if rel in ('ca.pem', 'client-ca.pem'):
                    f['subject'] = ','.join(p for p in f['subject'].split(',') if not p.startswith('CN='))
                out[rel] = f
    return out


def test_rotation_and_recovery_stage_what_the_role_issues(tmp_path):
    rc, out = run(tmp_path, ROLE)
    assert rc == 0, out[-3000:]
    pki = tmp_path / 'pki'
    role = certs(pki)
    assert 'nodes/db1/client-cert.pem' in role and 'client-ca.pem' in role
    assert 'O=Example Corp' in role['ca.pem']['subject'] and 'O=Example Corp' in role['client-ca.pem']['subject']

    # The rotation's stage call (CA rotation): new CAs named by the caller, bundles, probe certificates.
    rc, out = run(tmp_path, [entry('preflight'), entry('stage', pki_stage_new_ca=True, pki_stage_bundle=True,
                                                       pki_stage_probe=True, pki_stage_ca_common_name='rotated CA')])
    assert rc == 0, out[-3000:]
    staged = certs(pki / 'next')
    assert staged == role
    assert 'CN=rotated CA' in facts(pki / 'next' / 'ca.pem')['subject']
    assert (pki / 'next' / 'bundle.pem').exists() and (pki / 'next' / 'previous-ca-probe').is_dir()

    # Promote: the new set is current, the previous one and the probe where verify_encryption reads them, and a pki
    # role run afterwards has nothing to do.
    rc, out = run(tmp_path, [entry('promote')])
    assert rc == 0, out[-3000:]
    assert (pki / 'previous' / 'probe' / 'previous-ca-probe' / 'server-cert.pem').exists()
    assert not (pki / 'next').exists() and 'CN=rotated CA' in facts(pki / 'ca.pem')['subject']
    # (The role itself would now stop at its key guard: these nodes never got the new set.)
    rc, out = run(tmp_path, [entry('preflight'), {
        'name': 'The role main path issuing step', 'clustersec.mysql.x509_set': {
            'path': '{{ pki_dir }}', 'settings': '{{ __pki_set_settings }}', 'nodes': '{{ __pki_set_nodes }}'},
        'run_once': True, 'register': 'issued'},
        {'name': 'Say', 'ansible.builtin.debug': {'msg': 'ISSUED-CHANGED {{ issued.changed }}'}, 'run_once': True}])
    assert rc == 0 and 'ISSUED-CHANGED False' in out, out[-3000:]

    # The recovery's stage call without new CAs (leaf renewal), with pki_client_certs false: no client files.
    rc, out = run(tmp_path, [entry('preflight'), entry('stage')], extra={'pki_client_certs': False})
    assert rc == 0, out[-3000:]
    assert not (pki / 'next' / 'nodes' / 'db1' / 'client-cert.pem').exists()
    rc, out = run(tmp_path, [entry('discard')])
    assert rc == 0 and not (pki / 'next').exists(), out[-3000:]

    # The recovery's stage call with new CAs: the role's settings again.
    rc, out = run(tmp_path, [entry('preflight'), entry('stage', pki_stage_new_ca=True)])
    assert rc == 0, out[-3000:]
    assert certs(pki / 'next') == role


def test_stage_in_check_mode_writes_no_key(tmp_path):
    rc, out = run(tmp_path, ROLE)
    assert rc == 0, out[-3000:]
    rc, out = run(tmp_path, [entry('preflight'), entry('stage', pki_stage_new_ca=True, pki_stage_probe=True)], check=True)
    assert rc == 0, out[-3000:]
    assert not (tmp_path / 'pki' / 'next').exists()


def test_galera_entry_points_stage_through_the_pki_role_only():
    """The rotation and the recovery hand stage no settings of their own (the drift of issue 29)."""
    for name in ('rotate_certificates', 'recover_certificates'):
        tasks = yaml.safe_load(open(os.path.join(ROOT, 'roles', 'galera', 'tasks', name + '.yml')))
        stage = [t for t in tasks if (t.get('ansible.builtin.include_role') or {}).get('tasks_from') == 'stage']
        assert len(stage) == 1, name
        assert set(stage[0].get('vars', {})) <= {'pki_stage_new_ca', 'pki_stage_ca_common_name',
                                                 'pki_stage_client_ca_common_name', 'pki_stage_bundle', 'pki_stage_probe',
                                                 'pki_stage_extra_nodes'}
        text = open(os.path.join(ROOT, 'roles', 'galera', 'tasks', name + '.yml')).read()
        for module in ('x509_ca', 'x509_node_certs', 'ansible.builtin.shell', 'ansible.builtin.copy'):
            assert module not in text, (name, module)
