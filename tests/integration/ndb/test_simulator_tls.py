# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NDB simulator does not speak TLS (issue 30): every program it stands in for refuses --ndb-tls-search-path, so a
run of the role with ndb_tde_tls_enabled fails against it rather than passing without TLS. Control: the same call
without the option gets past option parsing."""

from __future__ import (absolute_import, division, print_function)

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def run(tmp_path, program, *args):
    env = dict(os.environ, NDBSIM_STATE=str(tmp_path / 'state'), HOME=str(tmp_path))
    proc = subprocess.run([os.path.join(harness.SIM_BIN, program)] + list(args), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=60, check=False)
    return proc.returncode, proc.stdout.decode('utf-8', 'replace')


@pytest.mark.parametrize('program', ['ndb_mgm', 'ndb_mgmd', 'ndbinfo_select_all', 'ndb_restore'])
def test_simulator_refuses_the_tls_search_path(tmp_path, program):
    rc, out = run(tmp_path, program, '--ndb-connectstring=127.0.0.1:1', '--ndb-tls-search-path=/nonexistent')
    assert rc == 2 and 'unknown option --ndb-tls-search-path' in out, out


def test_control_without_the_option_parsing_passes(tmp_path):
    rc, out = run(tmp_path, 'ndb_mgm', '--ndb-connectstring=127.0.0.1:1', '--connect-retries=1', '-e', 'SHOW')
    assert 'unknown option' not in out, out
