# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""meta/runtime.yml action_groups: module_defaults group/clustersec.mysql.x509 reaches x509_check."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402  -- collections_path()

VENV_BIN = os.path.dirname(sys.executable)


def test_group_module_defaults_set_x509_options(tmp_path):
    cert, key = str(tmp_path / 'c.pem'), str(tmp_path / 'k.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=t',
                    '-keyout', key, '-out', cert], check=True, capture_output=True)
    check = {'clustersec.mysql.x509_check': {'ca_path': cert, 'cert_path': cert, 'fail_on_problems': False}}
    play = tmp_path / 'play.yml'
    play.write_text(yaml.safe_dump([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        dict(check, register='plain'),
        dict(check, register='grouped', module_defaults={'group/clustersec.mysql.x509': {'warn_days': 0}}),
        {'ansible.builtin.assert': {'that': [
            # control: without the group default the 2-day certificate is inside the 30-day warning window
            "plain.problems | select('search', 'expire') | list | length == 1",
            "grouped.problems | select('search', 'expire') | list | length == 0"]}}]}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False')
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                           '-e', 'ansible_python_interpreter=' + sys.executable, str(play)],
                          env=env, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
