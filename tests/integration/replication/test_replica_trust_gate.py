# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 30 items 2 and 5 together: a source cluster's CA rotation derives its replicas from the inventory (group
galera_replica, hosts whose galera_replication_source_nodes are in the play) - the trust gate checks each as a replica
party without the operator listing it in pki_trust_gate_parties, and after phase 1 the replica gets the phase's CA
file (rotate_replicas.yml). No server: the galera role's entry point rotate_certificates on three local hosts whose
certificate directories are local directories, with a stand-in for the server's client (tests/integration/pki/
test_trust_gate.py's setting), and one replica host rep1 whose channel directory is a local directory.

- NEGATIVE: rep1's own CA file (galera_replication_ca_file) holds the current cluster CA only: the rotation stops at
  the gate naming the pair (db1's new server certificate -> rep1, leaf phase), before phase 1; no node file and no
  replica file was written.
- CONTROL: the same file with the new CA added (the staged set kept from the refused run) passes the gate; phase 1
  runs and rotate_replicas puts that file (kept, not replaced) on rep1.
- CONTROL: a replica following the rotation (no own CA file) passes; phase 1 gives it the staged old+new bundle.
(After phase 1 the stand-in client cannot answer the replication account's statements: the run stops there, which
these tests do not look at.)"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import shutil
import stat
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
sys.path.insert(0, os.path.join(HERE, '..', 'pki'))
import harness  # noqa: E402  -- collections_path()
import test_trust_gate as tg  # noqa: E402  -- the rotation's setting (hosts, stand-in client, digests)

VENV_BIN = os.path.dirname(sys.executable)
APPS = [{'name': 'repl', 'subject': {'common_name': 'repl-dr'}, 'dest': 'controller', 'path': None}]


def run(tmp_path, tasks, replica=None, extra=None):
    """tg.run's inventory plus the galera_replica group (rep1, replicating from db1)."""
    client = tmp_path / 'bin' / 'client'
    if not client.exists():
        client.parent.mkdir(parents=True)
        client.write_text(tg.CLIENT)
        client.chmod(client.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    common = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    hosts = {}
    for h in tg.HOSTS:
        remote = str(tmp_path / 'remote' / h)
        hosts[h] = dict(common, pki_remote_dir=remote, mariadb_galera_tls_dir=remote, mariadb_galera_user='root')
    rep = dict(common, galera_replication_source_host='db1', galera_replication_source_nodes=['db1'],
               galera_replication_cert='repl', galera_replication_user='repl_dr',
               galera_replication_dir=str(tmp_path / 'replica'), galera_replication_owner='root',
               galera_replication_group='root', galera_replication_flavor='mysql')
    rep.update(replica or {})
    inv = tmp_path / 'inventory.yml'
    inv.write_text(yaml.safe_dump({'all': {'children': {'mariadb_galera': {'hosts': hosts},
                                                        'galera_replica': {'hosts': {'rep1': rep}}}}}))
    apps = tmp_path / 'apps'
    apps.mkdir(exist_ok=True)
    play = tmp_path / 'play.yml'
    play.write_text(yaml.safe_dump([{
        'name': 'replica trust gate', 'hosts': 'mariadb_galera', 'gather_facts': False, 'any_errors_fatal': True,
        'vars': {'pki_dir': str(tmp_path / 'pki'), 'pki_owner': 'root', 'pki_group': 'root',
                 'pki_application_certs': [dict(APPS[0], path=str(apps))]}, 'tasks': tasks}]))
    extra_vars = dict({'__mariadb_galera_client': str(client), 'pki_key_type': 'ecdsa', 'pki_ca_key_type': 'ecdsa'},
                      **(extra or {}))
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv), str(play), '-e', json.dumps(extra_vars)]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False')
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def prepared(tmp_path):
    """The pki role run for real, then its entry point applications: the current set with the replica's application
    certificate (repl)."""
    rc, out = run(tmp_path, tg.ROLE + [{'name': 'application certificates', 'ansible.builtin.include_role': {
        'name': 'clustersec.mysql.pki', 'tasks_from': 'applications'}}])
    assert rc == 0, out[-4000:]
    pki = tmp_path / 'pki'
    assert (pki / 'applications' / 'repl' / 'cert.pem').exists()
    return pki


def test_derived_replica_without_the_new_ca_is_refused_then_passes_with_it(tmp_path):
    pki = prepared(tmp_path)
    own = tmp_path / 'own-ca.pem'
    shutil.copy(str(pki / 'ca.pem'), str(own))
    before_nodes, before_current = tg.digests(tmp_path / 'remote'), tg.current_set(pki)
    rc, out = run(tmp_path, tg.ROTATE, replica={'galera_replication_ca_file': str(own)})
    tg.assert_refused_untouched(tmp_path, pki, before_nodes, before_current, rc, out)
    flat = ' '.join(out.split())
    assert "phase leaf, client-server server: db1's certificate 'CN=db1' -> rep1: issuer 'CN=rotated CA' is not " \
           "in the verifier's bundle (CN=clustersec.mysql CA)" in flat, out[-4000:]
    assert 'pki_trust_gate_parties' not in flat  # nobody listed it
    assert not (tmp_path / 'replica').exists()
    # Control: the operator adds the new CA to the replica's own file; the re-run resumes from the kept set.
    with open(str(own), 'ab') as handle:
        handle.write((pki / 'next' / 'ca.pem').read_bytes())
    rc, out = run(tmp_path, tg.ROTATE, replica={'galera_replication_ca_file': str(own)})
    assert 'trust gate:' not in out and 'Phase 1 of 4' in out, out[-4000:]
    assert 'Put the phase\'s CA file and client certificate on each replica, phase 1' in out, out[-4000:]
    assert (tmp_path / 'replica' / 'source-ca.pem').read_bytes() == own.read_bytes(), out[-4000:]


def test_derived_replica_following_the_rotation_passes_and_gets_the_bundle(tmp_path):
    pki = prepared(tmp_path)
    rc, out = run(tmp_path, tg.ROTATE)
    assert 'trust gate:' not in out and 'Phase 1 of 4' in out, out[-4000:]
    replica = tmp_path / 'replica'
    assert (replica / 'source-ca.pem').read_bytes() == (pki / 'next' / 'bundle.pem').read_bytes(), out[-4000:]
    # Phase 1 leaves the client certificate of the current set; its key 0600.
    assert (replica / 'client-cert.pem').read_bytes() == (pki / 'applications' / 'repl' / 'cert.pem').read_bytes()
    assert stat.S_IMODE(os.stat(str(replica / 'client-key.pem')).st_mode) == 0o600
