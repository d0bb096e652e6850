# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wrapper of docs/scheduling.md, taken from the page as it is, run against a stand-in ansible-playbook that
writes a report with a given status (or fails without one): 0 green, 1 amber, 2 red, 3 no report."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

FAKE = '''#!/bin/sh
# argv: -i INV PLAYBOOK -e verify_encryption_report_dir=DIR -e ...
dir=$(printf '%s\\n' "$@" | sed -n 's/^verify_encryption_report_dir=//p')
[ "$FAKE_STATUS" = fail ] && exit 4
printf '{"summary": {"status": "%s"}, "nodes": {}}' "$FAKE_STATUS" > "$dir/encryption-report.json"
'''


def wrapper():
    text = open(os.path.join(ROOT, 'docs', 'scheduling.md')).read()
    return re.search(r'```sh\n(.*?)```', text, re.S).group(1)


@pytest.mark.parametrize('status,code', [('green', 0), ('amber', 1), ('red', 2), ('fail', 3), ('odd', 3)])
def test_exit_code_per_state(tmp_path, status, code):
    (tmp_path / 'bin').mkdir()
    fake = tmp_path / 'bin' / 'ansible-playbook'
    fake.write_text(FAKE)
    fake.chmod(0o755)
    script = tmp_path / 'clustersec-verify'
    script.write_text(wrapper())
    script.chmod(0o755)
    reports = tmp_path / 'reports'
    reports.mkdir()
    # A report of an earlier run must not count for a run that failed.
    (reports / 'encryption-report.json').write_text('{"summary": {"status": "green"}}')
    env = dict(os.environ, PATH=str(tmp_path / 'bin') + os.pathsep + os.environ['PATH'], FAKE_STATUS=status)
    proc = subprocess.run([str(script), 'inv.yml', str(reports)], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == code, proc.stderr
