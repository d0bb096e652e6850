# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat
import time

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import output as O
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import tls as T
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError
from ansible_collections.clustersec.mysql.plugins.module_utils.probes import encryption_report as R
from ansible_collections.clustersec.mysql.plugins.module_utils.probes import metrics as M

from cryptography import x509
from cryptography.x509.oid import NameOID


@pytest.fixture(scope='module')
def ca():
    key = X.generate_key('ecdsa', curve='P-256')
    return X.create_ca(key, {'common_name': 'test NDB CA'}, 100), key


@pytest.fixture(scope='module')
def other_ca():
    key = X.generate_key('ecdsa', curve='P-256')
    return X.create_ca(key, {'common_name': 'other NDB CA'}, 100), key


def pub():
    return T.public_pem(T.new_key_pem())


def cn(cert):
    return cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def sans(cert):
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName)
    except x509.ExtensionNotFound:
        return []


def test_profile_ndb_parses(ca):
    cert, key = ca
    p = pub()
    for node_type, prefix in (('mgmd', 'NDB Management Node '), ('data', 'NDB Data Node '), ('api', 'NDB Node ')):
        leaf = T.issue(cert, key, p, node_type, 'db1.example', ['mgmd', 'api'], 30)
        assert cn(leaf).startswith(prefix)
        assert sans(leaf) == ([] if node_type == 'data' else ['db1.example'])
        assert leaf.issuer == cert.subject
    # The data node is bound too when asked for (control of the default above).
    assert sans(T.issue(cert, key, p, 'data', 'db1.example', ['data'], 30)) == ['db1.example']
    assert T.key_file('data') == 'ndb-data-node-private-key' and T.cert_file('mgmd') == 'ndb-mgm-server-cert'


def test_reissue_reasons(ca, other_ca):
    cert, key = ca
    p = pub()
    chain = T.chain_pem(T.issue(cert, key, p, 'api', 'h1', ['api'], 90), cert).decode()
    assert T.reissue_reason(chain, cert, p, 'api', 'h1', ['api'], 30, False) is None  # control
    assert T.reissue_reason(None, cert, p, 'api', 'h1', ['api'], 30, False) == 'no certificate'
    assert T.reissue_reason(chain, cert, p, 'api', 'h1', ['api'], 30, True) == 'rotation asked for'
    assert T.reissue_reason(chain, cert, pub(), 'api', 'h1', ['api'], 30, False).startswith('certificate does not match')
    assert T.reissue_reason(chain, other_ca[0], p, 'api', 'h1', ['api'], 30, False).startswith('not issued')
    assert T.reissue_reason(chain, cert, p, 'api', 'h2', ['api'], 30, False) == 'bound host names changed'
    assert T.reissue_reason(chain, cert, p, 'data', 'h1', ['api'], 30, False).startswith('common name')
    assert T.reissue_reason(chain, cert, p, 'api', 'h1', ['api'], 95, False) == 'expires within 95 days'
    assert T.reissue_reason('garbage', cert, p, 'api', 'h1', ['api'], 30, False) == 'no certificate'


def test_sign_inputs_and_sign_all(ca):
    cert, key = ca
    p1, p2 = pub(), pub()
    current = T.chain_pem(T.issue(cert, key, p2, 'data', 'h2', ['mgmd', 'api'], 90), cert).decode()
    results = {'n1': {'keys': {'mgmd': {'public_key': p1, 'chain': None}}},
               'n2': {'keys': {'data': {'public_key': p2, 'chain': current}, 'api': {'public_key': None, 'chain': None}}}}
    nodes = T.sign_inputs(results, {'n1': '10.0.0.1'})
    assert {(n['host'], n['type'], n['hostname']) for n in nodes} == {
        ('n1', 'mgmd', '10.0.0.1'), ('n2', 'data', 'n2'), ('n2', 'api', 'n2')}
    out = T.sign_all(cert, key, nodes, ['mgmd', 'api'], 90, 30, False)
    # n2's data certificate is current, its api key not made yet (check mode): only n1 is issued.
    assert list(out) == ['n1'] and out['n1']['mgmd']['reason'] == 'no certificate'
    leaf = X.parse_pem_certs(out['n1']['mgmd']['chain'].encode())[0]
    assert sans(leaf) == ['10.0.0.1']
    assert set(T.sign_all(cert, key, nodes, ['mgmd', 'api'], 90, 30, True)) == {'n1', 'n2'}
    with pytest.raises(T.NdbTlsError):
        T.sign_all(cert, key, [{'host': 'x', 'type': 'sql', 'public_key': p1}], [], 90, 30, False)


def test_node_files(tmp_path, ca):
    if os.geteuid() != 0:
        pytest.skip('writes root-owned files')
    cert, key = ca
    os.chmod(str(tmp_path), 0o700)
    d = str(tmp_path / 'tls')
    assert T.ensure_directory(d, -1, True) and not os.path.exists(d)  # check mode writes nothing
    keys, created = T.node_keys(d, ['data', 'api'], -1, 0, True)
    assert created == ['data', 'api'] and keys['data']['public_key'] is None and not os.path.exists(d)
    assert T.ensure_directory(d, -1, False)
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o750
    keys, created = T.node_keys(d, ['data', 'api'], -1, 0, False)
    assert created == ['data', 'api']
    assert stat.S_IMODE(os.stat(os.path.join(d, 'ndb-data-node-private-key')).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(os.path.join(d, 'ndb-api-private-key')).st_mode) == 0o600
    again, created = T.node_keys(d, ['data', 'api'], -1, 0, False)
    assert created == [] and again['data']['public_key'] == keys['data']['public_key']  # a key is never replaced
    chain = T.chain_pem(T.issue(cert, key, keys['data']['public_key'], 'data', 'h', [], 30), cert).decode()
    ca_pem = X.cert_pem(cert).decode()
    assert T.install(d, {'data': chain}, ca_pem, True) and not os.path.exists(os.path.join(d, 'ndb-data-node-cert'))
    written = T.install(d, {'data': {'chain': chain, 'reason': 'no certificate'}}, ca_pem, False)
    assert sorted(os.path.basename(w) for w in written) == ['NDB-trusted-certs', 'ndb-data-node-cert']
    assert T.install(d, {'data': chain}, ca_pem, False) == []  # idempotent
    os.symlink('/etc/passwd', os.path.join(str(tmp_path), 'link'))
    with pytest.raises(T.NdbTlsError):
        T.ensure_directory(os.path.join(str(tmp_path), 'link'), -1, False)


def test_trust_and_ca_change(tmp_path, ca, other_ca):
    cert, key = ca
    new = other_ca[0]
    p = pub()
    old_chain = T.chain_pem(T.issue(cert, key, p, 'data', 'h1', [], 90), cert).decode()
    nodes = [{'host': 'h1', 'type': 'data', 'chain': old_chain, 'public_key': p}]
    # NDB-trusted-certs: the NDB CA first, then the others, each once
    assert X.parse_pem_certs(T.trust_pem(new, [cert, new, cert])) == [new, cert]
    with pytest.raises(T.NdbTlsError):
        T.trust_pem(cert, [X.create_ca(X.generate_key('ecdsa', curve='P-256'), {'common_name': 'ca%d' % i}, 10)
                           for i in range(8)])
    # the same CA: nothing to refuse (control); another CA in one run: refused, naming host and CAs; with the old
    # one trusted beside the new (the rotation's second run): allowed
    assert T.ca_change_problems(cert, nodes, []) == []
    problems = T.ca_change_problems(new, nodes, [])
    assert len(problems) == 1 and problems[0].startswith("h1 (data): its certificate is from the CA 'test NDB CA'")
    assert T.ca_change_problems(new, nodes, [cert]) == []
    assert T.ca_change_problems(new, [dict(nodes[0], chain=None), dict(nodes[0], chain='garbage')], []) == []
    # the converged check sees a trust file that would change
    trust = T.trust_pem(cert, [new]).decode()
    assert T.trust_differs({'h1': {'trusted_certs': trust}, 'h2': {'trusted_certs': X.cert_pem(cert).decode()},
                            'h3': {'trusted_certs': None}, 'h4': {'keys': {}}}, trust) == ['h2', 'h3']
    assert T.trusted_certs(str(tmp_path)) is None


# ndbinfo_select_all transporters certificates on NDB 9.7.4 (measured; columns tab-separated, a trailing tab)
SELECT_ALL = (
    "== transporters ==\n"
    "node_id\tremote_node_id\tconnection_status\tremote_address\tbytes_sent\tbytes_received\tconnect_count\t"
    "overloaded\toverload_count\tslowdown\tslowdown_count\tencrypted\t\n"
    "2\t1\t0\t127.0.0.1\t14604\t3860\t1\t0\t0\t0\t0\t1\t\n"
    "2\t3\t0\t127.0.0.1\t70672\t528\t2\t0\t0\t0\t0\t0\t\n"
    "2\t4\t1\t-\t0\t0\t0\t0\t0\t0\t0\t0\t\n"
    "== certificates ==\n"
    "reporting_node_id\tnode_id\tname\tserial\texpires\t\n"
    "2\t1\tNDB Management Node\t78:C6\t1828196597\t\n")


def test_parse_links():
    parsed = T.parse_links(SELECT_ALL)
    assert parsed['read'] and len(parsed['links']) == 3
    assert parsed['certificates'] == [{'reporting_node_id': 2, 'node_id': 1, 'name': 'NDB Management Node',
                                       'serial': '78:C6', 'expires': 1828196597}]
    summary = T.link_summary(parsed)
    assert summary == {'connected': 2, 'encrypted': 1, 'cleartext_links': ['2-3'], 'all_encrypted': False}
    lines = T.link_lines(parsed)
    assert lines[0].startswith('TLS links: 1 of 2') and 'node 2 -> node 3: CLEAR' in lines
    enc = T.parse_links(SELECT_ALL.replace('\t0\t0\t0\t0\t0\t\n2\t4', '\t0\t0\t0\t0\t1\t\n2\t4'))
    assert T.link_summary(enc)['all_encrypted']  # control
    not_read = T.parse_links('Failed to open transporters')
    assert not not_read['read'] and not_read['error'] == 'Failed to open transporters'
    assert T.link_lines(not_read)[0] == 'TLS links: ndbinfo.transporters not read (Failed to open transporters)'


def test_parse_links_is_output_parser():
    # One parser (ndb_output): the same text gives the same rows; where it raises, parse_links says 'not read' and
    # keeps the tables it read.
    tables = O.parse_ndbinfo_select_all(SELECT_ALL)
    assert len(tables['transporters']) == 3 and len(T.parse_links(SELECT_ALL)['links']) == 3
    broken = SELECT_ALL + 'Failed to open config_values\n'
    with pytest.raises(NdbError):
        O.parse_ndbinfo_select_all(broken)
    parsed = T.parse_links(broken)
    assert parsed['read'] and parsed['error'] == 'Failed to open config_values' and len(parsed['links']) == 3


def test_running_require_tls():
    text = ("== config_values ==\nnode_id\tconfig_param\tconfig_value\t\n"
            "2\t680\t0\t\n2\t681\t1\t\n3\t681\t0\t\n")
    assert T.running_require_tls(text) == {2: 1, 3: 0}
    assert T.running_require_tls('Failed to open config_values') == {}  # not read: no restart from this rule


# ---------------------------------------------------------------- the encryption report's NDB entries

NOW = int(time.time())  # the report module judges against the clock
DAY = 86400
HEADER = ("== transporters ==\nnode_id\tremote_node_id\tconnection_status\tremote_address\tbytes_sent\t"
          "bytes_received\tconnect_count\toverloaded\toverload_count\tslowdown\tslowdown_count\tencrypted\t\n")


def select_all(links, certs=(), require=None):
    """ndbinfo_select_all transporters certificates config_values as 9.7.4 prints them: links (a, b, encrypted)
    connected, certs (reporting node, node, name, days left), require {data node: RequireTls}."""
    text = HEADER + ''.join('%d\t%d\t0\t127.0.0.1\t1\t1\t1\t0\t0\t0\t0\t%d\t\n' % (a, b, int(e)) for a, b, e in links)
    text += '== certificates ==\nreporting_node_id\tnode_id\tname\tserial\texpires\t\n'
    text += ''.join('%d\t%d\t%s\t7A:%02d\t%d\t\n' % (r, n, name, n, NOW + days * DAY) for r, n, name, days in certs)
    text += '== config_values ==\nnode_id\tconfig_param\tconfig_value\t\n'
    text += ''.join('%d\t681\t%d\t\n' % kv for kv in sorted((require or {}).items()))
    return {'rc': 0, 'stdout': text, 'stderr': ''}


ALL_TLS = [(2, 1, True), (2, 3, True), (3, 1, True), (3, 2, True), (2, 50, True)]
CERTS = [(2, 1, 'NDB Management Node', 300), (3, 1, 'NDB Management Node', 300), (2, 3, 'NDB Data Node', 200),
         (3, 2, 'NDB Data Node', 250), (2, 50, 'NDB Node', 100)]
REFUSED = {'rc': 0, 'stdout': 'ERROR Message: Not Authorized: TLS Required', 'stderr': ''}
SERVED = {'rc': 0, 'stdout': 'Connected to management server at 127.0.0.1 port 1186 (using cleartext)\n'
                             'Cluster Configuration\n---------------------\n', 'stderr': ''}


def fact(nodes, **kw):
    f = {'enabled': True, 'required': True, 'nodes': nodes, 'mgmd_port': 1186, 'warn_days': 30,
         'select_all': select_all(ALL_TLS, CERTS, {2: 1, 3: 1}), 'mgmd_probe': REFUSED}
    f.update(kw)
    return f


DATA1 = [{'type': 'mgmd', 'id': 1, 'host': 'data1'}, {'type': 'data', 'id': 2, 'host': 'data1'}]


def by_channel(entries):
    return dict((e['channel'], e) for e in entries)


def test_report_green_when_required_and_every_link_tls():
    e = by_channel(T.report_entries(fact(DATA1), NOW))
    assert sorted(e) == ['ndb-data', 'ndb-mgmd']
    assert e['ndb-mgmd']['status'] == 'green' and e['ndb-data']['status'] == 'green', e
    assert e['ndb-mgmd']['port'] == 1186 and e['ndb-data']['port'] == '-'
    # data node 2: links to 1, 3 and 50 (the link 2-3 reported by both ends counts once)
    assert e['ndb-data']['links'] == 3 and e['ndb-data']['protocol'] == 'TLS 1.3, 3 of 3 links'
    assert e['ndb-data']['encrypted'] and e['ndb-data']['findings'] == []
    # its own certificate as its peer (node 3) holds it
    assert e['ndb-data']['days_left'] == 250 and e['ndb-data']['subject'] == 'NDB Data Node'
    assert e['ndb-mgmd']['plaintext_client'] == {'refused': True, 'detail': 'refused: TLS Required'}


def test_report_amber_for_the_opt_outs():
    off = by_channel(T.report_entries(fact(DATA1, enabled=False, required=True, mgmd_probe={'skipped': True},
                                           select_all=select_all([(2, 1, False), (2, 3, False)])), NOW))
    assert off['ndb-data']['status'] == 'amber' and not off['ndb-data']['encrypted']
    assert 'explicit opt-out ndb_tde_tls_enabled: false' in off['ndb-data']['findings'][0]
    assert 'links in clear: 1-2, 2-3' in off['ndb-data']['findings']
    assert 'plaintext_client' not in off['ndb-mgmd']  # nothing to prove with TLS off
    # TLS off and the links not read (status reads them only with TLS on): the opt-out alone, no 'not read'
    unread = T.report_entries(fact(DATA1, enabled=False, select_all={'skipped': True}), NOW)
    assert [len(x['findings']) for x in unread] == [1, 1] and all(x['status'] == 'amber' for x in unread)
    # available, not required: links TLS, a client without a certificate served in clear; amber, never red
    avail = by_channel(T.report_entries(fact(DATA1, required=False, mgmd_probe=SERVED,
                                             select_all=select_all(ALL_TLS, CERTS, {2: 0, 3: 0})), NOW))
    assert avail['ndb-mgmd']['status'] == 'amber' and avail['ndb-data']['status'] == 'amber', avail
    assert avail['ndb-mgmd']['plaintext_client']['refused'] is False
    assert any('ndb_tde_tls_required: false' in f for f in avail['ndb-data']['findings'])


def test_report_red_when_required_and_weak():
    # a link in clear (control: test_report_green_when_required_and_every_link_tls)
    clear = by_channel(T.report_entries(fact(DATA1, select_all=select_all(
        [(2, 1, True), (2, 3, False)], CERTS, {2: 1, 3: 1})), NOW))
    assert clear['ndb-data']['status'] == 'red' and 'links in clear: 2-3' in clear['ndb-data']['findings']
    assert clear['ndb-mgmd']['status'] == 'green'  # its own link is encrypted
    # a data node still running without RequireTls
    stale = by_channel(T.report_entries(fact(DATA1, select_all=select_all(ALL_TLS, CERTS, {2: 0, 3: 1})), NOW))
    assert stale['ndb-data']['status'] == 'red' and 'without RequireTls' in stale['ndb-data']['findings'][0]
    # a management server that serves a client without a certificate
    served = by_channel(T.report_entries(fact(DATA1, mgmd_probe=SERVED), NOW))
    assert served['ndb-mgmd']['status'] == 'red' and served['ndb-mgmd']['plaintext_client']['refused'] is False
    # certificates: inside the warning window and expired are red; outside it green (control above)
    near = by_channel(T.report_entries(fact(DATA1, warn_days=260), NOW))
    assert near['ndb-data']['status'] == 'red' and 'expires in 250 days' in near['ndb-data']['findings'][0]
    assert near['ndb-mgmd']['status'] == 'green'  # 300 days left
    expired = [(3, 2, 'NDB Data Node', -2)] + CERTS[:2]
    old = by_channel(T.report_entries(fact(DATA1, select_all=select_all(ALL_TLS, expired, {2: 1, 3: 1})), NOW))
    assert old['ndb-data']['status'] == 'red' and 'expired 2 days ago' in old['ndb-data']['findings'][0]


def test_report_undetermined_is_amber():
    failed = {'rc': 1, 'stdout': '', 'stderr': 'Unable to connect with connect string: nodeid=0,127.0.0.1:1186'}
    e = by_channel(T.report_entries(fact(DATA1, select_all=failed, mgmd_probe={'rc': 1, 'stdout': '', 'stderr': 'x'}),
                                    NOW))
    assert e['ndb-data']['status'] == 'amber' and e['ndb-data']['undetermined']
    assert e['ndb-data']['findings'][0].startswith('links not read: rc 1: Unable to connect')
    assert 'not determined' in e['ndb-mgmd']['findings'][-1]
    # a data node without a connected link: amber; a free API slot: green, nothing to judge
    alone = T.report_entries(fact([{'type': 'data', 'id': 4}, {'type': 'api', 'id': 51}, {'type': 'api', 'id': None}]),
                             NOW)
    assert [(x['channel'], x['status']) for x in alone] == [('ndb-data', 'amber'), ('ndb-api', 'green')]
    assert alone[1]['node_ids'] == [51] and alone[1]['undetermined']
    slot = T.report_entries(fact([{'type': 'api', 'id': None}]), NOW)
    assert [(x['node_ids'], x['status']) for x in slot] == [([], 'green')] and 'no node id' in slot[0]['findings'][0]
    assert T.report_lines(slot)[0].startswith('ndb-api node -: GREEN')
    assert T.report_entries({'nodes': []}) == [] and T.report_entries(None) == []
    # a node list without hosts (an explicit ndb_tde_nodes): the host's own ids (control: the same entries as above)
    own = T.report_entries(fact([], own_ids={'mgmd': 1, 'data': '2', 'api': None}), NOW)
    assert [(x['channel'], x['node_ids'], x['status']) for x in own] == [
        ('ndb-mgmd', [1], 'green'), ('ndb-data', [2], 'green')]
    assert [x['node_ids'] for x in T.report_entries(fact([], own_ids={'api': []}), NOW)] == [[]]


def test_report_nodes_and_metrics_carry_ndb():
    hostvars = {'data1': {'ndb_tde_verify_tls': fact(DATA1)},
                'api1': {'ndb_tde_verify_tls': fact([{'type': 'api', 'id': 50}], warn_days=120)},
                'db1': {}}
    nodes = R.collect_nodes(['data1', 'api1', 'db1'], hostvars)
    assert [c['channel'] for c in nodes['data1']] == ['ndb-mgmd', 'ndb-data']
    assert nodes['db1'] == 'node unreachable or not probed'  # control: a host without a probe or NDB
    summary = R.summarize({'data1': nodes['data1'], 'api1': nodes['api1']})
    assert summary['status'] == 'red' and len(summary['problems']) == 1, summary
    assert summary['problems'][0].startswith('api1 ndb-api (-): node 50: certificate expires in ')
    assert '(warning window 120;' in summary['problems'][0]
    md = R.render_markdown({'data1': nodes['data1']}, R.summarize({'data1': nodes['data1']}))
    assert '| data1 | GREEN TLS 1.3, 2 of 2 links | GREEN TLS 1.3, 3 of 3 links |' in md, md
    text = M.render({'data1': nodes['data1']}, NOW, 30)
    series = M.parse(text)
    base = (('channel', 'ndb-data'), ('node', 'data1'), ('port', '-'))
    assert series[('clustersec_mysql_channel_encrypted', base)] == 1
    assert series[('clustersec_mysql_certificate_not_after_timestamp_seconds', base)] == NOW + 250 * DAY
    assert series[('clustersec_mysql_channel_status', tuple(sorted(base + (('status', 'green'),))))] == 1
    probe = (('channel', 'ndb-mgmd'), ('node', 'data1'), ('port', '1186'), ('probe', 'plaintext-client'))
    assert series[('clustersec_mysql_probe_refused', probe)] == 1
    served = M.parse(M.render(R.collect_nodes(['data1'], {'data1': {'ndb_tde_verify_tls': fact(
        DATA1, mgmd_probe=SERVED)}}), NOW, 30))
    assert served[('clustersec_mysql_probe_refused', probe)] == 0  # negative: the accepted probe alerts


def test_report_lines():
    lines = T.report_lines(T.report_entries(fact(DATA1, mgmd_probe=SERVED), NOW))
    assert lines[0].startswith('ndb-mgmd node 1: RED TLS 1.3, 2 of 2 links: a client without a certificate')
    assert lines[1] == 'ndb-data node 2: GREEN TLS 1.3, 3 of 3 links'
