# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 30 item 5, the trust gate before a rollout, run as an operator runs it: the galera role's entry point
rotate_certificates (a CA rotation) on three local hosts whose certificate directories are local directories, with a
stand-in for the server's client (Synced in a Primary component of three).

- A replica whose CA file pins the current cluster CA (pki_trust_gate_parties, ca_follows_rotation false) would no
  longer trust the nodes from the leaf phase on: the rotation stops at the gate naming the pair, before phase 1; no
  file of any node directory changed; pki_dir/next is kept (the rotation's rule on a refusal: a re-run resumes, the
  message says to remove it when no node has the new set yet); pki_dir's current set is untouched.
- A node whose configuration points its cluster CA at an operator's file (mariadb_galera_tls_ca) that no rotation
  replaces is refused the same way, that node named as the verifier.
- An application certificate the staged set holds from a CA the nodes will not trust is refused, naming it.
- Controls: the same rotation with the replica following the rotation passes the gate and goes on to phase 1; the
  pki role's main path runs the gate before it distributes a set it issued (first run: passes)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402  -- collections_path()

VENV_BIN = os.path.dirname(sys.executable)
HOSTS = ('db1', 'db2', 'db3')
CLIENT = """#!/bin/sh
printf 'wsrep_cluster_size\\t3\\nwsrep_cluster_status\\tPrimary\\nwsrep_local_state_comment\\tSynced\\n'
"""


def run(tmp_path, tasks, host_vars=None, extra=None, check=False):
    client = tmp_path / 'bin' / 'client'
    if not client.exists():
        client.parent.mkdir(parents=True)
        client.write_text(CLIENT)
        client.chmod(client.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    hosts = {}
    for h in HOSTS:
        remote = str(tmp_path / 'remote' / h)
        hosts[h] = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                    'pki_remote_dir': remote, 'mariadb_galera_tls_dir': remote, 'mariadb_galera_user': 'root'}
        hosts[h].update((host_vars or {}).get(h, {}))
    inv = tmp_path / 'inventory.yml'
    inv.write_text(yaml.safe_dump({'all': {'children': {'mariadb_galera': {'hosts': hosts}}}}))
    play = tmp_path / 'play.yml'
    play.write_text(yaml.safe_dump([{
        'name': 'trust gate', 'hosts': 'mariadb_galera', 'gather_facts': False, 'any_errors_fatal': True,
        'vars': {'pki_dir': str(tmp_path / 'pki'), 'pki_owner': 'root', 'pki_group': 'root'}, 'tasks': tasks}]))
    extra_vars = dict({'__mariadb_galera_client': str(client), 'pki_key_type': 'ecdsa', 'pki_ca_key_type': 'ecdsa'},
                      **(extra or {}))
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv), str(play), '-e', json.dumps(extra_vars)]
    if check:
        cmd.append('--check')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False')
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


ROLE = [{'name': 'pki role', 'ansible.builtin.include_role': {'name': 'clustersec.mysql.pki'}}]
ROTATE = [{'name': 'rotate', 'ansible.builtin.include_role': {'name': 'clustersec.mysql.galera',
                                                              'tasks_from': 'rotate_certificates'},
           'vars': {'galera_rotate_ca': True, 'galera_rotate_ca_common_name': 'rotated CA',
                    'galera_rotate_client_ca_common_name': 'rotated client CA'}}]


def digests(directory):
    """Every file under directory with its SHA-256, mode and mtime: what a change would show."""
    out = {}
    for root, dummy, files in os.walk(str(directory)):
        for name in files:
            path = os.path.join(root, name)
            st = os.lstat(path)
            out[os.path.relpath(path, str(directory))] = (hashlib.sha256(open(path, 'rb').read()).hexdigest(),
                                                          st.st_mode, st.st_mtime_ns)
    return out


def prepared(tmp_path):
    """The pki role run for real (its own gate passes on the first run), plus a replica's client certificate from
    the client CA and a copy of the current cluster CA as the replica's CA file."""
    rc, out = run(tmp_path, ROLE)
    assert rc == 0, out[-4000:]
    assert 'Check that every party will trust what it must accept, at every phase' in out, out[-4000:]
    pki = tmp_path / 'pki'
    replica = tmp_path / 'replica'
    replica.mkdir()
    shutil.copy(str(pki / 'nodes' / 'db1' / 'client-cert.pem'), str(replica / 'client-cert.pem'))
    shutil.copy(str(pki / 'ca.pem'), str(replica / 'source-ca.pem'))
    return pki, replica


def current_set(pki):
    return dict((k, v) for k, v in digests(pki).items() if not k.startswith('next/'))


def replica_party(replica, follows):
    """The replica presents a certificate of the current client CA, then (leaf phase) one of the staged client CA;
    its CA file either follows the rotation or stays pinned to the current cluster CA."""
    return [{'name': 'replica1', 'kind': 'replica', 'cert': str(replica / 'client-cert.pem'),
             'next_cert': str(replica.parent / 'pki' / 'next' / 'nodes' / 'db1' / 'client-cert.pem'),
             'ca': str(replica / 'source-ca.pem'), 'ca_follows_rotation': follows}]


def assert_refused_untouched(tmp_path, pki, before_nodes, before_current, rc, out):
    assert rc != 0, out[-4000:]
    assert 'Phase 1 of 4' not in out, out[-4000:]
    assert digests(tmp_path / 'remote') == before_nodes
    assert current_set(pki) == before_current
    assert (pki / 'next' / 'ca.pem').exists()
    assert ('%s/next is kept for a re-run (remove it if no node has the new set yet)' % pki) in out.replace('\n', ' ')


def test_replica_without_the_new_ca_is_refused_before_any_node_changes(tmp_path):
    pki, replica = prepared(tmp_path)
    before_nodes, before_current = digests(tmp_path / 'remote'), current_set(pki)
    rc, out = run(tmp_path, ROTATE, extra={'pki_trust_gate_parties': replica_party(replica, False)})
    assert_refused_untouched(tmp_path, pki, before_nodes, before_current, rc, out)
    flat = ' '.join(out.split())
    assert "phase leaf, client-server server: db1's certificate 'CN=db1' -> replica1: issuer 'CN=rotated CA' is not " \
           "in the verifier's bundle (CN=clustersec.mysql CA)" in flat, out[-4000:]
    assert 'trust gate: 6 pair(s) would fail; no node was changed' in flat, out[-4000:]


def test_node_with_its_own_ca_file_is_refused(tmp_path):
    pki, dummy = prepared(tmp_path)
    own = tmp_path / 'own-ca.pem'
    shutil.copy(str(pki / 'ca.pem'), str(own))
    before_nodes, before_current = digests(tmp_path / 'remote'), current_set(pki)
    rc, out = run(tmp_path, ROTATE, host_vars={'db3': {'mariadb_galera_tls_ca': str(own)}})
    assert_refused_untouched(tmp_path, pki, before_nodes, before_current, rc, out)
    flat = ' '.join(out.split())
    assert "phase leaf, group-communication: db1's certificate 'CN=db1' -> db3: issuer 'CN=rotated CA'" in flat, out[-4000:]


def test_application_certificate_from_an_untrusted_ca_is_refused(tmp_path):
    pki, replica = prepared(tmp_path)
    # stage as the rotation does, then put in the staged set an application certificate of a CA no node trusts
    stray = tmp_path / 'stray'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                    '-days', '30', '-subj', '/CN=stray CA', '-keyout', str(stray) + '-key.pem', '-out', str(stray) + '.pem',
                    '-addext', 'basicConstraints=critical,CA:TRUE'], check=True, capture_output=True)
    rc, out = run(tmp_path, [{'name': 'pki preflight', 'ansible.builtin.include_role': {
        'name': 'clustersec.mysql.pki', 'tasks_from': 'preflight', 'public': True}},
        {'name': 'stage', 'ansible.builtin.include_role': {'name': 'clustersec.mysql.pki', 'tasks_from': 'stage'},
         'vars': {'pki_stage_new_ca': True, 'pki_stage_bundle': True, 'pki_stage_probe': True,
                  'pki_stage_ca_common_name': 'rotated CA', 'pki_stage_client_ca_common_name': 'rotated client CA'}}])
    assert rc == 0, out[-4000:]
    app = pki / 'next' / 'applications' / 'app1'
    app.mkdir(parents=True)
    ext = tmp_path / 'ext'
    ext.write_text('extendedKeyUsage=clientAuth\n')
    subprocess.run(['openssl', 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj',
                    '/CN=app1', '-keyout', str(app / 'key.pem'), '-out', str(tmp_path / 'app.csr')], check=True,
                   capture_output=True)
    subprocess.run(['openssl', 'x509', '-req', '-in', str(tmp_path / 'app.csr'), '-CA', str(stray) + '.pem', '-CAkey',
                    str(stray) + '-key.pem', '-CAcreateserial', '-days', '20', '-extfile', str(ext), '-out',
                    str(app / 'cert.pem')], check=True, capture_output=True)
    before_nodes, before_current = digests(tmp_path / 'remote'), current_set(pki)
    rc, out = run(tmp_path, ROTATE, extra={'pki_trust_gate_parties': replica_party(replica, True)})
    assert_refused_untouched(tmp_path, pki, before_nodes, before_current, rc, out)
    flat = ' '.join(out.split())
    assert "phase leaf, client-server client: app1's certificate 'CN=app1' -> db1: issuer 'CN=stray CA'" in flat, out[-4000:]


def test_control_the_gate_passes_and_the_rotation_goes_on(tmp_path):
    pki, replica = prepared(tmp_path)
    before_nodes = digests(tmp_path / 'remote')
    # --check first: nothing staged, the gate checks the current state only and writes nothing
    rc, out = run(tmp_path, ROTATE, extra={'pki_trust_gate_parties': replica_party(replica, True)}, check=True)
    assert 'Check that every party will trust what it must accept, at every phase' in out, out[-4000:]
    assert 'trust gate:' not in out and digests(tmp_path / 'remote') == before_nodes, out[-4000:]
    assert not (pki / 'next').exists()
    rc, out = run(tmp_path, ROTATE, extra={'pki_trust_gate_parties': replica_party(replica, True)})
    assert 'trust gate:' not in out, out[-4000:]
    assert 'Phase 1 of 4' in out, out[-4000:]


def test_the_rotation_gates_after_staging_and_before_phase_1():
    """Where the gate sits: after the next set is staged and its names checked, before any phase distributes."""
    root = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
    tasks = yaml.safe_load(open(os.path.join(root, 'roles', 'galera', 'tasks', 'rotate_certificates.yml')))
    names = [t['name'] for t in tasks]
    gate = [i for i, t in enumerate(tasks) if (t.get('ansible.builtin.include_role') or {}).get('tasks_from') == 'trust_gate']
    stage = [i for i, t in enumerate(tasks) if (t.get('ansible.builtin.include_role') or {}).get('tasks_from') == 'stage']
    first_phase = min(i for i, n in enumerate(names) if n.startswith('Phase '))
    assert len(gate) == 1 and stage and stage[0] < gate[0] < first_phase
    assert tasks[gate[0]]['vars']['pki_trust_gate_path'] == '{{ pki_dir }}/next'
    main = yaml.safe_load(open(os.path.join(root, 'roles', 'pki', 'tasks', 'main.yml')))
    files = [(t.get('ansible.builtin.include_tasks') or {}).get('file') for t in main]
    assert files.index('trust_gate.yml') < files.index('distribute.yml')


def test_main_path_refuses_before_distributing_when_a_node_would_not_trust_the_set(tmp_path):
    """site.yml's pki step: db3's configuration (as the product role publishes it) verifies peers with a CA file of
    the operator's own holding another CA; the first run's set would not be trusted there, so nothing is distributed
    (control: the same run without that file, prepared() above, distributes)."""
    other = tmp_path / 'operator-ca'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                    '-days', '30', '-subj', '/CN=operator CA', '-keyout', str(other) + '-key.pem', '-out', str(other) + '.pem',
                    '-addext', 'basicConstraints=critical,CA:TRUE'], check=True, capture_output=True)
    remote = tmp_path / 'remote' / 'db3'
    channels = [{'name': 'node certificate', 'ca': str(other) + '.pem', 'cert': str(remote / 'server-cert.pem')},
                {'name': 'client certificate', 'ca': str(remote / 'client-ca.pem'), 'cert': str(remote / 'client-cert.pem'),
                 'separate_from': 'node certificate'}]
    rc, out = run(tmp_path, ROLE, host_vars={'db3': {'pki_trust_gate_channels': channels}})
    assert rc != 0, out[-4000:]
    flat = ' '.join(out.split())
    assert "phase all, group-communication: db1's certificate 'CN=db1' -> db3: issuer 'CN=clustersec.mysql CA' is " \
           "not in the verifier's bundle (CN=operator CA)" in flat, out[-4000:]
    assert not (tmp_path / 'remote').exists(), out[-4000:]
    assert 'Put the certificate directory' not in out
