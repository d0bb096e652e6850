# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 30 item 4: the shipped alert rules pass `promtool check rules`, and `promtool test rules` proves each alert
fires on its series while the control node stays silent. Each alert made inert (or firing everywhere) must make the
test fail: the rule test can fail."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import subprocess
import sys

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from prometheus_tools import RULES, RULES_TEST, tool  # noqa: E402

ALERTS = ['ClustersecMysqlCertificateExpiringSoon', 'ClustersecMysqlCertificateExpired',
          'ClustersecMysqlAttackerProbeAccepted', 'ClustersecMysqlChannelNotEncrypted', 'ClustersecMysqlChannelRed',
          'ClustersecMysqlReportStale']


def promtool(*args):
    proc = subprocess.run([tool('promtool')] + list(args), capture_output=True, text=True, check=False, timeout=120)
    return proc.returncode, proc.stdout + proc.stderr


def test_rules_pass_promtool_check():
    rc, out = promtool('check', 'rules', RULES)
    assert rc == 0 and 'SUCCESS: %d rules found' % len(ALERTS) in out, out


def test_every_alert_is_shipped_and_tested():
    names = [r['alert'] for g in yaml.safe_load(open(RULES))['groups'] for r in g['rules']]
    assert sorted(names) == sorted(ALERTS)
    tested = {t['alertname'] for t in yaml.safe_load(open(RULES_TEST))['tests'][0]['alert_rule_test']
              if t['exp_alerts']}
    assert tested == set(ALERTS)


def test_rules_fire_as_promtool_test_expects():
    rc, out = promtool('test', 'rules', RULES_TEST)
    assert rc == 0 and 'SUCCESS' in out, out


def mutated(tmp_path, alert, expr):
    rules = yaml.safe_load(open(RULES))
    for group in rules['groups']:
        for rule in group['rules']:
            if rule['alert'] == alert:
                rule['expr'] = expr
    (tmp_path / 'rules.yml').write_text(yaml.safe_dump(rules))
    test = yaml.safe_load(open(RULES_TEST))
    test['rule_files'] = [str(tmp_path / 'rules.yml')]
    (tmp_path / 'test.yml').write_text(yaml.safe_dump(test))
    return promtool('test', 'rules', str(tmp_path / 'test.yml'))


@pytest.mark.parametrize('alert', ALERTS)
def test_an_alert_that_never_fires_fails_the_rule_test(tmp_path, alert):
    rc, out = mutated(tmp_path, alert, 'vector(1) < 0')
    assert rc != 0 and 'alertname: %s' % alert in out, out


def test_an_alert_firing_on_the_control_node_fails_the_rule_test(tmp_path):
    # db2 refused its probe (1) and could not determine another (-1): neither is an accepted probe
    rc, out = mutated(tmp_path, 'ClustersecMysqlAttackerProbeAccepted', 'clustersec_mysql_probe_refused <= 1')
    assert rc != 0 and 'db2' in out, out
