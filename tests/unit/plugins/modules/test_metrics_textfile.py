# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""metrics_textfile (issue 30 item 4): check mode, root 0644, the change decision apart from the report time, and
the directory rules with nobody standing in for the prometheus account (Debian makes /var/lib/prometheus its own)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat
import sys

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.clustersec.mysql.plugins.modules import metrics_textfile as M

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
import local_attacker as A  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the file is root\'s; the attacker is nobody')

NODES = {'db1': [{'channel': 'group-communication', 'port': 4567, 'encrypted': True, 'listening': True,
                  'not_after': '2027-11-23T00:00:00Z', 'status': 'green', 'findings': [],
                  'refused_certs': {'previous-CA': {'refused': True}}}]}


@pytest.fixture
def base():
    with A.base_dir() as path:
        yield path


def run(capsys, check=False, **args):
    args = dict({'nodes': NODES, 'report_time': 1796000000.0}, **args)
    if check:
        args['_ansible_check_mode'] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            M.main()
    return json.loads(capsys.readouterr().out)


def test_check_mode_writes_nothing_then_root_0644_then_only_the_time_is_no_change(base, capsys):
    directory = os.path.join(base, 'prometheus', 'node-exporter')
    result = run(capsys, check=True, directory=directory)
    assert result['changed'] is True and result['written'] is False and not os.path.exists(directory)
    result = run(capsys, directory=directory)
    assert result['changed'] is True and result['written'] is True, result
    path = os.path.join(directory, 'clustersec_mysql.prom')
    for p, mode in ((os.path.dirname(directory), 0o755), (directory, 0o755), (path, 0o644)):
        st = os.lstat(p)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, mode), p
    assert os.listdir(directory) == ['clustersec_mysql.prom']  # no temporary file left
    # the same findings an hour later: rewritten (the stale alert needs the time), not changed
    result = run(capsys, directory=directory, report_time=1796003600.0)
    assert result['changed'] is False and result['written'] is True
    assert 'clustersec_mysql_report_timestamp_seconds{node="db1"} 1796003600' in open(path).read()
    # the same run again: neither
    assert run(capsys, directory=directory, report_time=1796003600.0) == dict(
        result, written=False)
    # a wrong mode is a change (control of the attribute check)
    os.chmod(path, 0o600)
    assert run(capsys, directory=directory, report_time=1796003600.0)['changed'] is True
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o644


def test_a_parent_of_another_account_is_accepted_as_on_debian(base, capsys):
    parent = A.nobody_dir(base, 'prometheus', 0o755)
    os.mkdir(os.path.join(parent, 'node-exporter'), 0o755)
    result = run(capsys, directory=os.path.join(parent, 'node-exporter'))
    assert result['changed'] and not result.get('failed'), result
    assert os.lstat(os.path.join(parent, 'node-exporter', 'clustersec_mysql.prom')).st_uid == 0


def test_a_directory_of_another_account_or_a_symlink_is_refused(base, capsys):
    owned = A.nobody_dir(base, 'owned', 0o755)
    result = run(capsys, directory=owned)
    assert result.get('failed') and 'owned by uid' in result['msg'] and os.listdir(owned) == [], result
    target = os.path.join(base, 'target')
    os.mkdir(target, 0o755)
    os.symlink(target, os.path.join(base, 'link'))
    result = run(capsys, directory=os.path.join(base, 'link'))
    assert result.get('failed') and 'not a directory' in result['msg'] and os.listdir(target) == [], result


def test_a_symlink_at_the_file_name_is_replaced_not_followed(base, capsys):
    victim = A.victim(base)
    directory = os.path.join(base, 'textfile')
    os.mkdir(directory, 0o755)
    os.symlink(victim, os.path.join(directory, 'clustersec_mysql.prom'))
    result = run(capsys, directory=directory)
    assert result['changed'] and not os.path.islink(os.path.join(directory, 'clustersec_mysql.prom'))
    assert A.untouched(victim) is True


@pytest.mark.parametrize('name', ['x.txt', '../x.prom', '.hidden.prom'])
def test_a_name_the_collector_would_not_read_is_refused(base, capsys, name):
    result = run(capsys, directory=base, name=name)
    assert result.get('failed') and '.prom' in result['msg']
    assert not run(capsys, directory=base).get('failed')  # control


def test_invalid_report_input_is_refused_naming_the_node(base, capsys):
    result = run(capsys, directory=base, nodes={'db9': [{'channel': 'x', 'status': 'purple'}]})
    assert result.get('failed') and 'db9' in result['msg'] and "status 'purple'" in result['msg']
    assert not os.path.exists(os.path.join(base, 'clustersec_mysql.prom'))
