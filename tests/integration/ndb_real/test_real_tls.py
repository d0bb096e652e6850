# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NDB links over TLS (issue 30 item 6) on the real NDB 9.7.4 programs, loopback, service manager `script`.

One small cluster (management node 1 and data nodes 2 and 3 in one node group) and one test walking the way an
operator turns TLS on in a running cluster, each check with its control:
- TLS off: a capture on loopback while ndb_marker writes a marker holds the marker (control of the capture);
- RequireTls asked at once on the running cluster is refused before anything is written (no TLS directory, no CA);
- --check of the first step runs to the end and writes nothing, restarts nothing;
- keys and certificates first (ndb_tde_tls_required false), then RequireTls: each a rolling restart of the role;
- with TLS required the cluster serves (ndb_marker with a certificate writes and counts rows), every connected link is
  encrypted (ndbinfo.transporters through the status entry point), an NDB API client without a certificate is refused
  ("TLS Required") while the same client with one is accepted, and a capture while ndb_marker writes a new marker holds
  it 0 times;
- a second run changes nothing (changed=0 on every host);
- the encryption report (verify_encryption.yml) on the NDB hosts: amber with TLS off and with TLS not required (the
  explicit opt-outs; a client without a certificate is served, the data node links in clear: NDB uses TLS on a link
  only when one end requires it), green with TLS required (the same client refused,
  every link encrypted, each certificate's notAfter in the node's metrics), red with a warning window longer than the
  certificates' life (control: the green run).
"""

from __future__ import (absolute_import, division, print_function)

import json
import os
import re
import signal
import subprocess
import time

import pytest

import real

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason='the role writes root-owned files and captures on lo (run as root)'),
    pytest.mark.skipif(real.real_root() is None and not os.environ.get('CI'),
                       reason='scripts/build-ndb.sh has not built the real NDB programs (.build/ndb-root)'),
]

CLEAR_MARKER = 'CLUSTERSEC-NDB-TLS-CLEAR-7e21'
TLS_MARKER = 'CLUSTERSEC-NDB-TLS-SEALED-7e21'
ROWS = 100


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    assert real.real_root(), 'scripts/build-ndb.sh has not built the real NDB programs (.build/ndb-root)'
    base = tmp_path_factory.mktemp('ndbtls')
    # All hosts are this machine: each gets its own TLS directory (a real host has its own file system).
    host_vars = dict((n, {'ndb_tde_tls_dir': os.path.join(str(base), 'tls-%d' % n)}) for n in (2, 3))
    c = real.RealCluster(base, data_nodes=2, host_vars=host_vars,
                         extra_vars={'ndb_tde_enabled': False, 'ndb_tde_free_api_slots': 3})
    yield c
    c.stop_all()


def tls_dir(cluster):
    return os.path.join(cluster.base, 'tls-2')  # data1: management server, data node 2 and an api certificate


def marker(cluster, mode, text, tls):
    env = dict(cluster.env())
    if tls:
        env['NDB_TLS_SEARCH_PATH'] = tls_dir(cluster)
    proc = subprocess.run([cluster.bin('ndb_marker'), mode, cluster.connectstring, text, str(ROWS)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180, check=False)
    return proc.returncode, proc.stdout.decode('utf-8', 'replace')


def captured(cluster, func):
    """Run func while tcpdump records every TCP packet on loopback; returns (func's result, the capture's bytes)."""
    pcap = os.path.join(cluster.base, 'capture-%d.pcap' % int(time.time() * 1000))
    dump = subprocess.Popen(['tcpdump', '-i', 'lo', '-U', '-s', '0', '-w', pcap, 'tcp'], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 10
        while not os.path.exists(pcap) and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        result = func()
        time.sleep(1)
    finally:
        dump.send_signal(signal.SIGINT)
        dump.wait(timeout=20)
    with open(pcap, 'rb') as f:
        data = f.read()
    assert len(data) > 1000, 'the capture recorded nothing'
    return result, data


def check_run(cluster, extra):
    cmd = [os.path.join(real.harness.VENV_BIN, 'ansible-playbook'), '-i', cluster.inventory, '--check',
           os.path.join(real.harness.ROOT, 'playbooks', 'ndb_tde_toggle.yml'), '-e', json.dumps(extra)]
    proc = subprocess.run(cmd, env=cluster.env(), cwd=cluster.base, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=900, check=False)
    return proc.returncode, proc.stdout.decode('utf-8', 'replace')


def report(cluster, extra):
    """verify_encryption.yml on the NDB hosts (each its own metrics directory): {(host, channel): entry} of the JSON
    report, its overall status and the playbook output."""
    extra = dict(extra, verify_encryption_report_dir=cluster.base,
                 verify_encryption_metrics_dir=os.path.join(cluster.base, 'metrics-{{ inventory_hostname }}'))
    rc, out = cluster.playbook('verify_encryption.yml', extra, timeout=300)
    assert rc == 0, out
    with open(os.path.join(cluster.base, 'encryption-report.json')) as f:
        data = json.load(f)
    entries = dict(((host, e['channel']), e) for host, channels in data['nodes'].items() for e in channels)
    assert set(entries) >= {('data1', 'ndb-mgmd'), ('data1', 'ndb-data'), ('data2', 'ndb-data')}, out
    return entries, data['summary']['status'], out


def metrics(cluster, host):
    with open(os.path.join(cluster.base, 'metrics-' + host, 'clustersec_mysql.prom')) as f:
        return f.read()


def recap_changes(out):
    return dict((h, int(c)) for h, c in re.findall(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)', out, re.M))


def test_tls_turned_on_in_a_running_cluster(cluster):
    rc, out = cluster.playbook('ndb_tde_toggle.yml', timeout=900)
    assert rc == 0, out

    # Control of the capture: in clear, the marker crosses loopback.
    (rc, out), data = captured(cluster, lambda: marker(cluster, 'write', CLEAR_MARKER, tls=False))
    assert rc == 0 and 'written=%d' % ROWS in out, out
    assert data.count(CLEAR_MARKER.encode()) > 0

    # The report with TLS off: amber on every NDB node (the explicit opt-out), the links in clear named; never green.
    entries, overall, out = report(cluster, {})
    assert overall == 'amber', out
    for key in (('data1', 'ndb-mgmd'), ('data1', 'ndb-data'), ('data2', 'ndb-data')):
        assert entries[key]['status'] == 'amber' and 'ndb_tde_tls_enabled: false' in entries[key]['findings'][0], key
    assert not entries[('data1', 'ndb-data')]['encrypted'] and entries[('data1', 'ndb-data')]['cleartext_links']

    # RequireTls at once on a running cluster without keys: refused, nothing written.
    rc, out = cluster.playbook('ndb_tde_toggle.yml', {'ndb_tde_tls_enabled': True}, timeout=900)
    assert rc != 0 and 'have no NDB TLS keys yet' in ' '.join(out.split()), out
    assert not os.path.exists(tls_dir(cluster))
    assert not os.path.exists(os.path.join(cluster.base, 'pki', 'ndb', 'ndb-ca.pem'))

    # --check of the first step runs to the end and writes nothing (no TLS directory, no CA, no restart).
    pids = sorted(cluster.processes())
    rc, out = check_run(cluster, {'ndb_tde_tls_enabled': True, 'ndb_tde_tls_required': False})
    assert rc == 0, out
    assert not os.path.exists(tls_dir(cluster))
    assert not os.path.exists(os.path.join(cluster.base, 'pki', 'ndb', 'ndb-ca.pem'))
    assert sorted(cluster.processes()) == pids

    # First keys and certificates (TLS available), then RequireTls: each a rolling restart.
    rc, out = cluster.playbook('ndb_tde_toggle.yml', {'ndb_tde_tls_enabled': True, 'ndb_tde_tls_required': False},
                               timeout=900)
    assert rc == 0, out
    for name in ('ndb-mgm-server-cert', 'ndb-data-node-cert', 'ndb-api-cert', 'NDB-trusted-certs'):
        assert os.path.exists(os.path.join(tls_dir(cluster), name)), name
    key = os.path.join(tls_dir(cluster), 'ndb-data-node-private-key')
    assert oct(os.stat(key).st_mode & 0o777) == '0o640'
    assert oct(os.stat(os.path.join(tls_dir(cluster), 'ndb-mgm-server-private-key')).st_mode & 0o777) == '0o600'
    # TLS available, not required: amber, the opt-out named. A client without a certificate is still served, and a
    # transporter link uses TLS only when one end requires it (SocketAuthTls::server_authenticate; measured here): the
    # links to the management server are encrypted, the data node's link to its peer is not.
    entries, overall, out = report(cluster, {'ndb_tde_tls_enabled': True, 'ndb_tde_tls_required': False})
    assert overall == 'amber', out
    mgmd, data2 = entries[('data1', 'ndb-mgmd')], entries[('data1', 'ndb-data')]
    assert mgmd['plaintext_client']['refused'] is False and mgmd['status'] == 'amber', out
    assert mgmd['links'] == mgmd['links_encrypted'] >= 2, out
    assert data2['status'] == 'amber' and '2-3' in data2['cleartext_links'], out
    assert 'ndb_tde_tls_required: false' in data2['findings'][0], out
    rc, out = cluster.playbook('ndb_tde_toggle.yml', {'ndb_tde_tls_enabled': True}, timeout=900)
    assert rc == 0, out
    with open(os.path.join(cluster.base, 'mgm', 'config.ini')) as f:
        assert f.read().count('RequireTls=true') == 2  # [DB default] and [MGM default]

    # Served with TLS required: ndb_marker with a certificate counts the rows written in clear before.
    rc, out = marker(cluster, 'count', CLEAR_MARKER, tls=True)
    assert rc == 0 and 'marker_rows=%d' % ROWS in out, out
    # A client without a certificate is refused by the management server (control: the same call with one, above).
    # (NDB's "Not Authorized: TLS Required" comes while ndb_marker's connect retries; it then reports no connection.)
    rc, out = marker(cluster, 'count', CLEAR_MARKER, tls=False)
    assert rc != 0 and ('TLS Required' in out or 'cannot connect to the management server' in out), out
    rc, out = cluster.mgm('SHOW')
    assert 'TLS Required' in out, out

    # Every connected link encrypted, read by the status entry point from ndbinfo.transporters.
    rc, out = cluster.playbook('ndb_tde_status.yml', {'ndb_tde_tls_enabled': True}, timeout=300)
    assert rc == 0, out
    m = re.search(r'TLS links: (\d+) of (\d+) connected links encrypted', out)
    assert m and m.group(1) == m.group(2) and int(m.group(2)) >= 3, out
    assert 'CLEAR' not in out and 'in clear' not in out
    assert 'ndb-data node 2: GREEN TLS 1.3' in out and 'ndb-mgmd node 1: GREEN TLS 1.3' in out, out

    # The report with TLS required: green on every NDB node, the refusal of a client without a certificate proven,
    # each node's certificate notAfter in its metrics. Then the same cluster with a warning window longer than the
    # certificates' life: red (control: the green run just before).
    entries, overall, out = report(cluster, {'ndb_tde_tls_enabled': True})
    assert overall == 'green', out
    assert entries[('data1', 'ndb-mgmd')]['plaintext_client']['refused'] is True
    for key in (('data1', 'ndb-mgmd'), ('data1', 'ndb-data'), ('data2', 'ndb-data')):
        assert entries[key]['status'] == 'green' and entries[key]['encrypted'], (key, entries[key])
        assert 360 <= entries[key]['days_left'] <= 365, (key, entries[key])
    text = metrics(cluster, 'data1')
    assert 'clustersec_mysql_channel_status{channel="ndb-data",node="data1",port="-",status="green"} 1' in text, text
    assert 'clustersec_mysql_probe_refused{channel="ndb-mgmd",node="data1",port="%s",probe="plaintext-client"} 1' \
        % entries[('data1', 'ndb-mgmd')]['port'] in text, text
    m = re.search(r'^clustersec_mysql_certificate_not_after_timestamp_seconds\{channel="ndb-data",node="data1",'
                  r'port="-"\} (\d+)$', text, re.M)
    assert m and abs(int(m.group(1)) - (time.time() + 365 * 86400)) < 2 * 86400, text
    entries, overall, out = report(cluster, {'ndb_tde_tls_enabled': True, 'verify_encryption_warn_days': 400})
    assert overall == 'red', out
    assert entries[('data2', 'ndb-data')]['status'] == 'red', out
    assert 'warning window 400' in ' '.join(entries[('data2', 'ndb-data')]['findings']), out

    # The capture while a new marker is written over TLS: 0 times.
    (rc, out), data = captured(cluster, lambda: marker(cluster, 'write', TLS_MARKER, tls=True))
    assert rc == 0 and 'written=%d' % ROWS in out, out
    assert data.count(TLS_MARKER.encode()) == 0
    rc, out = marker(cluster, 'count', TLS_MARKER, tls=True)
    assert rc == 0 and 'marker_rows=%d' % ROWS in out, out

    # A second run changes nothing.
    rc, out = cluster.playbook('ndb_tde_toggle.yml', {'ndb_tde_tls_enabled': True}, timeout=900)
    assert rc == 0, out
    changes = recap_changes(out)
    assert changes and not [h for h, c in changes.items() if c], out
