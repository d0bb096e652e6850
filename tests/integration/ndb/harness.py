# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the collection's NDB playbooks with ansible-playbook -c local against the NDB simulator.

Every inventory host is an alias of localhost; each node gets its own directories under a temp dir,
and the role's binary paths point at tests/ndb_simulator/bin. Nothing outside the temp dir is touched.
"""

from __future__ import (absolute_import, division, print_function)

import json
import os
import signal
import socket
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
SIM_BIN = os.path.join(ROOT, 'tests', 'ndb_simulator', 'bin')
VENV_BIN = os.path.dirname(sys.executable)
PASSWORDS = {2: 'Node2-Pw.first', 3: 'Node3-Pw.first', 4: 'Node4-Pw.first', 5: 'Node5-Pw.first'}


def collections_path():
    """A directory holding ansible_collections/clustersec/mysql -> this checkout."""
    link = os.path.join(ROOT, '.build', 'link')
    target = os.path.join(link, 'ansible_collections', 'clustersec', 'mysql')
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(ROOT, target)
    return link


class Cluster(object):
    """A simulated cluster: management node 1 and data node 2 on data1, data nodes 3.. on data2.., an API host."""

    def __init__(self, base, data_nodes=4, replicas=2, passwords=None, extra_vars=None, host_vars=None,
                 mgmd_hosts=None):
        self.base = str(base)
        # management node id -> host; a second one (id 60 on data2) for the two-server layout
        self.mgmd_hosts = dict(mgmd_hosts or {1: 'data1'})
        self.state = os.path.join(self.base, 'ndbsim')
        self.data_nodes = list(range(2, 2 + data_nodes))
        self.replicas = replicas
        self.passwords = dict(passwords or PASSWORDS)
        self.extra_vars = dict(extra_vars or {})
        self.host_vars = dict(host_vars or {})
        self.inventory = os.path.join(self.base, 'inventory.yml')
        self.write_inventory()

    @property
    def home(self):
        path = os.path.join(self.base, 'home')
        if not os.path.isdir(path):
            os.makedirs(path, 0o700)
        return path

    def host(self, node_id):
        return 'data%d' % (node_id - 1)

    def datadir(self, node_id):
        return os.path.join(self.base, 'data', 'ndb%d' % node_id)

    def write_inventory(self, path=None, passwords=None, host_vars=None):
        """Write the inventory (to path, with other passwords or host variables, for a run beside the main one)."""
        passwords = self.passwords if passwords is None else passwords
        host_vars = self.host_vars if host_vars is None else host_vars
        b = self.base
        common = {
            'ansible_connection': 'local',
            'ansible_python_interpreter': sys.executable,
            'ndb_tde_service_manager': 'script',
            'ndb_tde_ndb_mgm_bin': os.path.join(SIM_BIN, 'ndb_mgm'),
            'ndb_tde_ndb_mgmd_bin': os.path.join(SIM_BIN, 'ndb_mgmd'),
            'ndb_tde_ndbmtd_bin': os.path.join(SIM_BIN, 'ndbmtd'),
            'ndb_tde_ndbxfrm_bin': os.path.join(SIM_BIN, 'ndbxfrm'),
            'ndb_tde_ndb_restore_bin': os.path.join(SIM_BIN, 'ndb_restore'),
            'ndb_tde_mysql_bin': os.path.join(SIM_BIN, 'mysql'),
            'ndb_tde_config_file': os.path.join(b, 'mgm', 'config.ini'),
            'ndb_tde_mgmd_configdir': os.path.join(b, 'mgm', 'cache'),
            'ndb_tde_mgmd_datadir': os.path.join(b, 'mgm'),
            'ndb_tde_run_dir': os.path.join(b, 'run'),
            'ndb_tde_secrets_dir': os.path.join(b, 'etc'),
            'ndb_tde_ndbmtd_script': os.path.join(b, 'sbin', "ndbmtd-{{ ndb_tde_node_id | default('') }}"),
            'ndb_tde_data_user': 'root',
            'ndb_tde_data_user_group': 'root',
            'ndb_tde_no_of_replicas': self.replicas,
            'ndb_tde_poll_interval': 0.2,
            'ndb_tde_start_timeout': 20,
            'ndb_tde_stop_timeout': 10,
        }
        common.update(self.extra_vars)
        data_hosts = {}
        for node_id in self.data_nodes:
            hv = {'ndb_tde_node_id': node_id, 'ndb_tde_hostname': 'data%d.example' % (node_id - 1),
                  'ndb_tde_datadir': self.datadir(node_id)}
            if passwords.get(node_id) is not None:
                hv['ndb_tde_password'] = passwords[node_id]
            hv.update(host_vars.get(node_id, {}))
            data_hosts[self.host(node_id)] = hv
        inventory = {'all': {'vars': common, 'children': {
            # The management server shares data1 (fewer hosts, a faster test; a common small layout).
            'ndb_mgmd': {'hosts': dict((h, self.mgmd_vars(i)) for i, h in sorted(self.mgmd_hosts.items()))},
            'ndb_data': {'hosts': data_hosts},
            'ndb_api': {'hosts': {'api1': {'ndb_tde_api_node_ids': [50]}}},
            # The parent group the NDB playbooks select (hosts: <clustersec_hosts>:&ndb), as in the example inventory.
            'ndb': {'children': {'ndb_mgmd': {}, 'ndb_data': {}, 'ndb_api': {}}},
        }}}
        with open(path or self.inventory, 'w') as f:
            yaml.safe_dump(inventory, f, default_flow_style=False)
        return path or self.inventory

    def mgmd_vars(self, node_id):
        """Management node 1 uses the common paths; another one (all hosts are this machine) its own files."""
        hv = {'ndb_tde_mgmd_node_id': node_id}
        if node_id != 1:
            d = os.path.join(self.base, 'mgm-%d' % node_id)
            hv.update({'ndb_tde_config_file': os.path.join(d, 'config.ini'),
                       'ndb_tde_mgmd_configdir': os.path.join(d, 'cache'), 'ndb_tde_mgmd_datadir': d})
        return hv

    def env(self):
        env = dict(os.environ)
        env.update({
            'NDBSIM_STATE': self.state,
            'NDBSIM_START_DELAY': '0.3',
            # ndb_mgm writes its history under HOME: the test looks there, and keeps the user's own clean.
            'HOME': self.home,
            'PATH': VENV_BIN + os.pathsep + env.get('PATH', ''),
            'ANSIBLE_COLLECTIONS_PATH': collections_path(),
            'ANSIBLE_LOCAL_TEMP': os.path.join(self.base, 'ansible-tmp'),
            'ANSIBLE_REMOTE_TEMP': os.path.join(self.base, 'ansible-tmp'),
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_PIPELINING': 'True',
            'ANSIBLE_FORKS': '10',
            'ANSIBLE_HOST_KEY_CHECKING': 'False',
            'ANSIBLE_RETRY_FILES_ENABLED': 'False',
            'ANSIBLE_DEPRECATION_WARNINGS': 'False',
            'ANSIBLE_CALLBACK_RESULT_FORMAT': 'yaml',
        })
        return env

    def playbook(self, name, extra=None, timeout=600, inventory=None, env=None, tags=None):
        """Run playbooks/<name> (env: further environment, e.g. simulator delays); returns (rc, combined output)."""
        cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', inventory or self.inventory,
               os.path.join(ROOT, 'playbooks', name)] + (['--tags', tags] if tags else [])
        if extra:
            cmd += ['-e', json.dumps(extra)]
        proc = subprocess.run(cmd, env=dict(self.env(), **(env or {})), cwd=self.base, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, check=False)
        return proc.returncode, proc.stdout.decode('utf-8', 'replace')

    def log(self):
        path = os.path.join(self.state, 'log.jsonl')
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def sim_state(self):
        path = os.path.join(self.state, 'state.json')
        if not os.path.exists(path):
            return {}
        with open(path) as f:
            return json.load(f)

    def pids(self, kind='data'):
        """Running simulated ndbmtd (or ndb_mgmd) processes, node id -> pid (the data node process, not its angel)."""
        out = {}
        for node_id, node in self.sim_state().get('nodes', {}).items():
            pid = node.get('pid')
            if node.get('type', 'data') == kind and pid and os.path.exists('/proc/%d' % pid):
                out[int(node_id)] = pid
        return out

    def angels(self):
        """Running angel processes, node id -> pid."""
        out = {}
        for node_id, node in self.sim_state().get('nodes', {}).items():
            pid = node.get('angel')
            if pid and node.get('pid') and os.path.exists('/proc/%d' % pid):
                out[int(node_id)] = pid
        return out

    def stop_all(self, mgmd=True):
        """End the simulated data nodes (angels included) and management servers this cluster started, by pid."""
        pids = list(self.angels().values()) + list(self.pids().values())
        if mgmd:
            pids += list(self.pids('mgmd').values())
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        deadline = time.time() + 5
        while (self.pids() or (mgmd and self.pids('mgmd'))) and time.time() < deadline:
            time.sleep(0.05)


def free_port():
    """A TCP port free on loopback now (for a real or simulated management server)."""
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_proc(pid, name):
    with open('/proc/%d/%s' % (pid, name), 'rb') as f:
        return f.read()
