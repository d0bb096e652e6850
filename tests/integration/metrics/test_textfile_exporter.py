# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 30 item 4 with the real node_exporter (Debian's prometheus-node-exporter, unpacked by setup-host.sh): the
galera role's verify_metrics entry point, run by ansible-playbook on a local host from a report fixture, writes the
textfile (root 0644, --check writes nothing, a second run is changed=0 but carries the new report time); the exporter,
on 127.0.0.1 with only the textfile collector, serves exactly the values the report computed; fed to promtool, the
shipped rules fire for the accepted probe only (control: the refused ones stay silent)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import calendar
import os
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.request

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
import harness  # noqa: E402
from prometheus_tools import RULES, tool  # noqa: E402

sys.path.insert(0, harness.collections_path())
from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import at_rest_status as ars  # noqa: E402
from ansible_collections.clustersec.mysql.plugins.module_utils.probes import metrics as M  # noqa: E402

VENV_BIN = os.path.dirname(sys.executable)
NOT_AFTER = '2027-11-23T00:00:00Z'
FILE = 'clustersec_mysql.prom'
# What verify registers on a node (channel_probe's channels, at_rest_status's entry): group communication refuses
# everything, the client port accepted the previous CA's certificate (the probe that must alert), SST not listening.
PROBE = {'channels': [
    {'channel': 'client-server', 'port': 3306, 'kind': 'mysql', 'encrypted': True, 'verified': True, 'listening': True,
     'protocol': 'TLSv1.3', 'not_after': NOT_AFTER, 'days_left': 350, 'subject': 'commonName=db1',
     'issuer': 'commonName=clustersec CA "2026"', 'sha256_fingerprint': 'cd' * 32, 'status': 'red',
     'findings': ['a certificate of the previous CA is still accepted'], 'plain_refused': True,
     'refused_certs': {'previous-CA': {'refused': False}}},
    {'channel': 'group-communication', 'port': 4567, 'kind': 'tls', 'encrypted': True, 'verified': True,
     'listening': True, 'protocol': 'TLSv1.3', 'not_after': NOT_AFTER, 'days_left': 350, 'subject': 'commonName=db1',
     'issuer': 'commonName=clustersec CA "2026"', 'sha256_fingerprint': 'ab' * 32, 'status': 'green', 'findings': [],
     'plain_peer': {'refused': True, 'detail': 'closed'},
     'refused_certs': {'client-certificate': {'refused': True}, 'previous-CA': {'refused': True}},
     'weak_tls': {'old_protocol': {'refused': True}, 'weak_cipher': {'refused': True}}},
    {'channel': 'sst', 'port': 4444, 'kind': 'tls', 'encrypted': False, 'listening': False, 'skipped': True,
     'status': 'green', 'findings': ['not listening']},
]}
AT_REST = {'entry': ars.classify({'plugin': None, 'variables': {}, 'tablespaces': []})}


def run(tmp_path, check=False, **extra):
    host = dict({'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                 'galera_verify_probe': PROBE, 'galera_verify_at_rest': AT_REST,
                 'verify_encryption_metrics_dir': str(tmp_path / 'textfile'), 'verify_encryption_warn_days': 30,
                 'verify_encryption_metrics_max_age_hours': 26}, **extra)
    inv = tmp_path / 'inventory.yml'
    inv.write_text(yaml.safe_dump({'all': {'children': {'mariadb_galera': {'hosts': {'db1': host}}}}}))
    play = tmp_path / 'play.yml'
    play.write_text(yaml.safe_dump([{
        'name': 'metrics', 'hosts': 'mariadb_galera', 'gather_facts': False,
        'tasks': [{'name': 'Metrics', 'ansible.builtin.include_role': {'name': 'clustersec.mysql.galera',
                                                                       'tasks_from': 'verify_metrics'}}]}]))
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inv), str(play)] + (['--check'] if check else [])
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False')
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def recap(out):
    m = re.search(r'db1\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)', out)
    assert m, out[-2000:]
    return dict(zip(('ok', 'changed', 'unreachable', 'failed', 'skipped'), map(int, m.groups())))


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scrape(directory):
    """/metrics of the real node_exporter on loopback (textfile collector only), then the exporter stopped."""
    port = free_port()
    proc = subprocess.Popen([tool('node_exporter'), '--web.listen-address=127.0.0.1:%d' % port,
                             '--collector.disable-defaults', '--collector.textfile',
                             '--collector.textfile.directory=%s' % directory],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port, timeout=5) as resp:
                    return resp.read().decode('utf-8')
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError('node_exporter did not serve: %s' % proc.stderr.read()[-2000:]
                                         if proc.poll() is not None else 'timeout')
                time.sleep(0.2)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def ours(values):
    return dict((k, v) for k, v in values.items() if k[0].startswith(M.PREFIX))


def value(values, name, **labels):
    found = [v for (n, ls), v in values.items() if n == M.PREFIX + name and all(dict(ls).get(k) == x
                                                                                for k, x in labels.items())]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def test_check_mode_writes_nothing_then_the_exporter_serves_what_the_report_computed(tmp_path):
    rc, out = run(tmp_path, check=True)
    assert rc == 0 and recap(out)['changed'] == 1, out[-3000:]
    assert not (tmp_path / 'textfile').exists(), 'check mode made the directory'

    rc, out = run(tmp_path)
    assert rc == 0 and recap(out)['changed'] == 1, out[-3000:]
    path = tmp_path / 'textfile' / FILE
    st = os.lstat(str(path))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o644)
    written = path.read_text()
    first_time = value(M.parse(written), 'report_timestamp_seconds', node='db1')
    assert abs(first_time - time.time()) < 120

    served = M.parse(scrape(str(tmp_path / 'textfile')))
    assert served[('node_textfile_scrape_error', ())] == 0
    # Every series of the file is served with its value, and nothing else of ours.
    assert ours(served) == M.parse(written)
    # The values the report computed, from the fixture itself (not from the renderer).
    expected = calendar.timegm(time.strptime(NOT_AFTER, '%Y-%m-%dT%H:%M:%SZ'))
    for channel in ('client-server', 'group-communication'):
        assert value(served, 'certificate_not_after_timestamp_seconds', channel=channel) == expected
        assert value(served, 'channel_encrypted', channel=channel) == 1
    assert value(served, 'probe_refused', channel='client-server', probe='previous-CA') == 0
    assert value(served, 'probe_refused', channel='group-communication', probe='previous-CA') == 1
    assert value(served, 'channel_status', channel='client-server', status='red') == 1
    assert value(served, 'channel_status', channel='data-at-rest', status='off') == 1
    assert value(served, 'certificate_warning_window_seconds', node='db1') == 30 * 86400
    assert value(served, 'certificate_info', channel='client-server')  # the quoted issuer survived escaping
    assert [dict(ls)['issuer'] for (n, ls) in served if n == M.PREFIX + 'certificate_info'] == \
        ['commonName=clustersec CA "2026"'] * 2

    # A second run with the same findings: changed=0, but the file carries the new report time (the stale alert).
    time.sleep(1.1)
    rc, out = run(tmp_path)
    assert rc == 0 and recap(out)['changed'] == 0, out[-3000:]
    again = M.parse(path.read_text())
    assert value(again, 'report_timestamp_seconds', node='db1') > first_time
    assert M.same_apart_from_time(written, path.read_text())

    # A finding that moves is a change (control of the change decision).
    probe = {'channels': [dict(PROBE['channels'][0], refused_certs={'previous-CA': {'refused': True}})]
             + PROBE['channels'][1:]}
    rc, out = run(tmp_path, galera_verify_probe=probe)
    assert rc == 0 and recap(out)['changed'] == 1, out[-3000:]
    assert value(M.parse(path.read_text()), 'probe_refused', channel='client-server', probe='previous-CA') == 1

    # Opt-out: nothing is written (the task is skipped).
    rc, out = run(tmp_path, verify_encryption_metrics=False)
    assert rc == 0 and recap(out)['skipped'] == 1, out[-3000:]


def test_served_values_fire_the_shipped_rules_for_the_accepted_probe_only(tmp_path):
    rc, out = run(tmp_path)
    assert rc == 0, out[-3000:]
    served = ours(M.parse(scrape(str(tmp_path / 'textfile'))))
    series = []
    for (name, labels), val in sorted(served.items()):
        text = ','.join('%s="%s"' % (k, M.escape_label(v)) for k, v in labels + (('instance', 'db1:9100'), ('job', 'node')))
        series.append({'series': '%s{%s}' % (name, text), 'values': '%sx30' % repr(val)})
    labels = {'severity': 'critical', 'instance': 'db1:9100', 'job': 'node', 'node': 'db1', 'channel': 'client-server',
              'port': '3306'}
    test = {'rule_files': [RULES], 'evaluation_interval': '1m', 'tests': [{'interval': '1m', 'input_series': series,
            'alert_rule_test': [
                {'eval_time': '10m', 'alertname': 'ClustersecMysqlAttackerProbeAccepted', 'exp_alerts': [{
                    'exp_labels': dict(labels, probe='previous-CA'),
                    'exp_annotations': {
                        'summary': 'db1 client-server (3306) accepted the probe previous-CA',
                        'description': "What an attacker would try was accepted; see the encryption report's "
                                       "findings for the node."}}]},
                {'eval_time': '10m', 'alertname': 'ClustersecMysqlChannelRed', 'exp_alerts': [{
                    'exp_labels': dict(labels, status='red'),
                    'exp_annotations': {'summary': 'db1 client-server (3306) is red in the encryption report',
                                        'description': "See the encryption report's findings for the node."}}]},
                # controls: every channel reached is encrypted, no certificate near its end
                {'eval_time': '10m', 'alertname': 'ClustersecMysqlChannelNotEncrypted', 'exp_alerts': []},
                {'eval_time': '10m', 'alertname': 'ClustersecMysqlCertificateExpiringSoon', 'exp_alerts': []},
            ]}]}
    (tmp_path / 'served_test.yml').write_text(yaml.safe_dump(test))
    proc = subprocess.run([tool('promtool'), 'test', 'rules', str(tmp_path / 'served_test.yml')],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize('bad', ['others_write', 'symlink'])
def test_a_directory_another_account_controls_is_refused_and_nothing_written(tmp_path, bad):
    target = tmp_path / 'elsewhere'
    target.mkdir(mode=0o755)
    if bad == 'others_write':
        (tmp_path / 'textfile').mkdir()
        os.chmod(str(tmp_path / 'textfile'), 0o777)
    else:
        os.symlink(str(target), str(tmp_path / 'textfile'))
    rc, out = run(tmp_path)
    assert rc != 0 and ('writable by every account' in out or 'is not a directory' in out), out[-3000:]
    assert not (tmp_path / 'textfile' / FILE).exists() and not (target / FILE).exists()
    # control: the same run into a root-only directory writes the file
    rc, out = run(tmp_path, verify_encryption_metrics_dir=str(target))
    assert rc == 0 and (target / FILE).exists(), out[-3000:]
