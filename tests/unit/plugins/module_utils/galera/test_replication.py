# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replica's TLS channel (issue 30 item 2): statements from the flavour table, status parsing, what differs,
the plan (stop, change, start; IO restart after new files), health, the grant, and the controller's pre-flight of
the certificates - each with a negative and a control. The real servers: tests/integration/replication."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import os

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import replication as R
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X

WANTED = dict(host='db1.src', port=3306, user='repl_dr', ssl=True, verify=True, position=True,
              ssl_ca='/etc/mysql/replication/source-ca.pem', ssl_cert='/etc/mysql/replication/client-cert.pem',
              ssl_key='/etc/mysql/replication/client-key.pem')


def mysql_status(**over):
    row = {'Replica_IO_State': 'Waiting for source to send event', 'Source_Host': 'db1.src', 'Source_User': 'repl_dr',
           'Source_Port': '3306', 'Replica_IO_Running': 'Yes', 'Replica_SQL_Running': 'Yes', 'Last_Errno': '0',
           'Source_SSL_Allowed': 'Yes', 'Source_SSL_CA_File': WANTED['ssl_ca'], 'Source_SSL_Cert': WANTED['ssl_cert'],
           'Source_SSL_Key': WANTED['ssl_key'], 'Seconds_Behind_Source': '0', 'Source_SSL_Verify_Server_Cert': 'Yes',
           'Last_IO_Errno': '0', 'Last_IO_Error': '', 'Last_SQL_Errno': '0', 'Last_SQL_Error': '', 'Auto_Position': '1'}
    row.update(over)
    return row


def mariadb_status(**over):
    row = {'Master_Host': 'db1.src', 'Master_User': 'repl_dr', 'Master_Port': '3306', 'Slave_IO_Running': 'Yes',
           'Slave_SQL_Running': 'Yes', 'Master_SSL_Allowed': 'Yes', 'Master_SSL_CA_File': WANTED['ssl_ca'],
           'Master_SSL_Cert': WANTED['ssl_cert'], 'Master_SSL_Key': WANTED['ssl_key'], 'Seconds_Behind_Master': '3',
           'Master_SSL_Verify_Server_Cert': 'Yes', 'Last_IO_Errno': '0', 'Last_IO_Error': '', 'Last_SQL_Errno': '0',
           'Last_SQL_Error': '', 'Using_Gtid': 'Slave_Pos'}
    row.update(over)
    return row


def as_text(row):
    return '\t'.join(row) + '\n' + '\t'.join(row.values()) + '\n'


# ---------------------------------------------------------------- input

def test_wanted_channel_control_and_refusals():
    assert R.wanted_channel('db1.src', '3306', 'repl_dr', WANTED['ssl_ca'], WANTED['ssl_cert'], WANTED['ssl_key']) \
        == WANTED
    with pytest.raises(R.ReplicationError, match="source_host"):
        R.wanted_channel("db1'; DROP", 3306, 'u', '/a', '/b', '/c')
    with pytest.raises(R.ReplicationError, match='outside'):
        R.wanted_channel('db1', 70000, 'u', '/a', '/b', '/c')
    with pytest.raises(R.ReplicationError, match='quotes'):
        R.wanted_channel('db1', 3306, "u'x", '/a', '/b', '/c')
    with pytest.raises(R.ReplicationError, match='ssl_key is required'):
        R.wanted_channel('db1', 3306, 'u', '/a', '/b', '')
    with pytest.raises(R.ReplicationError, match='without ..'):
        R.wanted_channel('db1', 3306, 'u', '/a/../b', '/b', '/c')
    with pytest.raises(R.ReplicationError, match='absolute'):
        R.wanted_channel('db1', 3306, 'u', "/a'b", '/b', '/c')
    plain = R.wanted_channel('db1', 3306, 'u', '', '', '', verify=True, ssl=False)
    assert plain['ssl'] is False and plain['verify'] is False  # verification needs TLS


# ---------------------------------------------------------------- statements from the table

def test_change_statements_per_flavour():
    maria = R.change_sql(WANTED, R.ORDER, 'mariadb')
    assert maria.startswith("CHANGE MASTER TO MASTER_HOST='db1.src', MASTER_PORT=3306, MASTER_USER='repl_dr', "
                            "MASTER_PASSWORD='', MASTER_SSL=1, MASTER_SSL_CA='/etc/mysql/replication/source-ca.pem'")
    assert maria.endswith('MASTER_SSL_VERIFY_SERVER_CERT=1, MASTER_USE_GTID=slave_pos')  # a keyword, not a string
    mysql = R.change_sql(WANTED, R.ORDER, 'pxc')
    assert mysql.startswith("CHANGE REPLICATION SOURCE TO SOURCE_HOST='db1.src', SOURCE_PORT=3306")
    assert mysql.endswith('SOURCE_SSL_VERIFY_SERVER_CERT=1, SOURCE_AUTO_POSITION=1')
    assert R.change_sql(WANTED, R.ORDER, 'mysql') == mysql
    # Only what differs; no password option unless the user changes.
    assert R.change_sql(WANTED, ['ssl_ca'], 'mariadb') == \
        "CHANGE MASTER TO MASTER_SSL_CA='/etc/mysql/replication/source-ca.pem'"
    with pytest.raises(R.ReplicationError, match='flavor'):
        R.change_sql(WANTED, R.ORDER, 'postgres')
    with pytest.raises(R.ReplicationError, match='nothing'):
        R.change_sql(WANTED, [], 'mariadb')


# ---------------------------------------------------------------- status, differences, plan

def test_parse_status_and_current_channel():
    assert R.parse_status('') == {}
    row = mysql_status()
    assert R.parse_status(as_text(row)) == row
    assert R.current_channel(row, 'pxc') == WANTED
    assert R.current_channel(mariadb_status(), 'mariadb') == WANTED
    with pytest.raises(R.ReplicationError, match='columns'):
        R.parse_status('a\tb\n1\n')
    with pytest.raises(R.ReplicationError, match='lacks'):
        R.current_channel({'Source_Host': 'x'}, 'pxc')
    # Control of the position: current_position (MariaDB) is not slave_pos.
    assert R.current_channel(mariadb_status(Using_Gtid='Current_Pos'), 'mariadb')['position'] is False


def test_differs_names_only_what_differs():
    current = R.current_channel(mysql_status(), 'pxc')
    assert R.differs(current, WANTED) == []
    assert R.differs(R.current_channel(mysql_status(Source_SSL_Verify_Server_Cert='No'), 'pxc'), WANTED) == ['verify']
    assert R.differs(R.current_channel(mysql_status(Source_SSL_Allowed='No', Auto_Position='0'), 'pxc'), WANTED) == \
        ['ssl', 'position']
    assert R.differs(None, WANTED) == list(R.ORDER)


def test_plan():
    current = R.current_channel(mysql_status(), 'pxc')
    assert R.plan(current, WANTED, (True, True), True, False, 'pxc') == ([], [])
    assert R.plan(current, WANTED, (True, True), True, True, 'pxc')[1] == \
        ['STOP REPLICA IO_THREAD', 'START REPLICA IO_THREAD']
    assert R.plan(current, WANTED, (False, True), True, False, 'pxc')[1] == ['START REPLICA']
    assert R.plan(current, WANTED, (False, False), False, False, 'pxc')[1] == []
    other = dict(WANTED, ssl_ca='/etc/mysql/replication/bundle.pem')
    keys, sql = R.plan(current, other, (True, True), True, True, 'mariadb')
    assert keys == ['ssl_ca'] and sql == ['STOP SLAVE', "CHANGE MASTER TO MASTER_SSL_CA='/etc/mysql/replication/bundle.pem'",
                                          'START SLAVE']
    keys, sql = R.plan(None, WANTED, (False, False), True, False, 'mariadb')
    assert sql[0].startswith('CHANGE MASTER TO') and sql[1] == 'START SLAVE'


def test_threads_on_counts_connecting():
    assert R.threads_on(mysql_status(Replica_IO_Running='Connecting'), 'pxc') == (True, True)
    assert R.threads_on(mysql_status(Replica_IO_Running='No', Replica_SQL_Running='No'), 'pxc') == (False, False)


def test_health_and_problems():
    good = R.health(mysql_status(), 'pxc')
    assert good == dict(configured=True, io_running=True, sql_running=True, ssl=True, verify=True, seconds_behind=0,
                        errors=[], source='db1.src:3306')
    assert R.health_problems(good) == []
    bad = R.health(mysql_status(Replica_IO_Running='Connecting', Last_IO_Errno='2026', Source_SSL_Verify_Server_Cert='No',
                                Last_IO_Error='SSL connection error: certificate verify failed',
                                Seconds_Behind_Source='NULL'), 'pxc')
    assert bad['seconds_behind'] is None
    assert R.health_problems(bad) == ["the channel does not verify the source's certificate",
                                      'the IO thread is not running',
                                      'IO thread error 2026: SSL connection error: certificate verify failed']
    assert R.health_problems(R.health({}, 'mariadb')) == ['no replication channel is configured']
    assert R.health(mariadb_status(), 'mariadb')['seconds_behind'] == 3


# ---------------------------------------------------------------- against a fake client

class FakeServer(object):
    def __init__(self, status=None, fail_on=None):
        self.status, self.ran, self.fail_on = dict(status or {}), [], fail_on

    def run(self, argv):
        sql = argv[-1]
        if self.fail_on and self.fail_on in sql:
            return 1, '', 'ERROR 1045: denied'
        if sql.startswith('SHOW REPLICA STATUS'):
            return 0, as_text(self.status) if self.status else '', ''
        self.ran.append(sql)
        if sql.startswith('CHANGE REPLICATION SOURCE TO'):
            self.status = mysql_status()
        return 0, '', ''


def test_configure_idempotent_and_check_mode():
    fake = FakeServer()
    changed, keys, sql, before, after = R.configure(fake.run, ['mysql'], WANTED, 'pxc', check_mode=True)
    assert changed and fake.ran == [] and before['configured'] is False
    changed, keys, sql, before, after = R.configure(fake.run, ['mysql'], WANTED, 'pxc')
    assert changed and fake.ran[0].startswith('CHANGE REPLICATION SOURCE TO') and fake.ran[1] == 'START REPLICA'
    assert after['ssl'] and after['verify']
    fake.ran = []
    changed, keys, sql, before, after = R.configure(fake.run, ['mysql'], WANTED, 'pxc')
    assert not changed and fake.ran == []
    with pytest.raises(R.ReplicationError, match='denied'):
        R.configure(FakeServer(fail_on='CHANGE').run, ['mysql'], WANTED, 'pxc')


def test_configure_refuses_a_channel_that_does_not_take():
    class Stubborn(FakeServer):
        def run(self, argv):
            rc, out, err = FakeServer.run(self, argv)
            self.status = mysql_status(Source_SSL_Verify_Server_Cert='No')
            return rc, out, err
    with pytest.raises(R.ReplicationError, match='still differs in verify'):
        R.configure(Stubborn(mysql_status(Source_SSL_Verify_Server_Cert='No')).run, ['mysql'], WANTED, 'pxc')


def test_grant():
    assert R.has_grant("GRANT REPLICATION SLAVE ON *.* TO `repl_dr`@`%`", 'pxc')
    assert R.has_grant("GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost`", 'mariadb')
    assert not R.has_grant("GRANT USAGE ON *.* TO `repl_dr`@`%`", 'mariadb')
    assert not R.has_grant("GRANT REPLICATION SLAVE ON `app`.* TO `x`@`%`", 'mariadb')  # not a global grant
    assert R.grant_sql('repl_dr', '%', 'mariadb') == "GRANT REPLICATION SLAVE ON *.* TO 'repl_dr'@'%'"
    ran = []

    def run(argv):
        ran.append(argv[-1])
        return 0, 'GRANT USAGE ON *.* TO `repl_dr`@`%`\n', ''
    assert R.grant(run, ['mariadb'], 'repl_dr', '%', 'mariadb', check_mode=True) == R.grant_sql('repl_dr', '%', 'mariadb')
    assert ran == ["SHOW GRANTS FOR 'repl_dr'@'%'"]


# ---------------------------------------------------------------- pre-flight of the certificates

@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    base = tmp_path_factory.mktemp('src')
    ca_key = X.generate_key('ecdsa', curve='P-256')
    ca = X.create_ca(ca_key, {'common_name': 'src CA'}, 30)
    cca_key = X.generate_key('ecdsa', curve='P-256')
    cca = X.create_ca(cca_key, {'common_name': 'src client CA'}, 30)
    other_key = X.generate_key('ecdsa', curve='P-256')
    other = X.create_ca(other_key, {'common_name': 'other CA'}, 30)
    node_key = X.generate_key('ecdsa', curve='P-256')
    node = X.issue_cert(ca, ca_key, node_key, {'common_name': 'db1', 'dns': ['db1.src'],
                                               'ips': [ipaddress.ip_address('10.0.0.1')]}, 30)
    key = X.generate_key('ecdsa', curve='P-256')
    client = X.issue_cert(cca, cca_key, key, {'common_name': 'repl', 'dns': [], 'ips': []}, 30, usage='client')
    wrong = X.issue_cert(other, other_key, key, {'common_name': 'repl', 'dns': [], 'ips': []}, 30, usage='client')
    files = {'ca.pem': X.cert_pem(ca), 'client-ca.pem': X.cert_pem(cca), 'other-ca.pem': X.cert_pem(other),
             'node.pem': X.cert_pem(node), 'client.pem': X.cert_pem(client), 'key.pem': X.key_pem(key),
             'wrong.pem': X.cert_pem(wrong), 'otherkey.pem': X.key_pem(other_key)}
    for name, data in files.items():
        (base / name).write_bytes(data)
    return lambda name: str(base / name)


def test_tls_problems_control(pki):
    assert R.tls_problems('rep1', 'db1.src', pki('ca.pem'), pki('client-ca.pem'), pki('client.pem'), pki('key.pem'),
                          {'db1': pki('node.pem')}) == []
    assert R.tls_problems('rep1', '10.0.0.1', pki('ca.pem'), pki('client-ca.pem'), pki('client.pem'), pki('key.pem'),
                          {'db1': pki('node.pem')}) == []


def test_tls_problems_negatives(pki):
    def problems(**over):
        args = dict(ca_file=pki('ca.pem'), client_ca_file=pki('client-ca.pem'), cert_file=pki('client.pem'),
                    key_file=pki('key.pem'), server_cert_files={'db1': pki('node.pem')})
        args.update(over)
        return ' | '.join(R.tls_problems('rep1', over.pop('host', 'db1.src'), **args))
    assert "not signed by the source's client CA" in problems(cert_file=pki('wrong.pem'))
    assert 'does not match' in problems(key_file=pki('otherkey.pem'))
    assert "db1's node certificate is not signed by a CA of" in problems(ca_file=pki('other-ca.pem'))
    out = ' | '.join(R.tls_problems('rep1', 'db1.other', pki('ca.pem'), pki('client-ca.pem'), pki('client.pem'),
                                    pki('key.pem'), {'db1': pki('node.pem')}))
    assert out.startswith('rep1: ') and 'does not name db1.other' in out
    assert 'cannot read' in problems(cert_file=pki('missing.pem'))
    # A bundle of the other CA and the right one (a rotation's bundle phase) verifies: control of the bundle.
    bundle = pki('bundle.pem')
    with open(bundle, 'wb') as handle:
        handle.write(open(pki('other-ca.pem'), 'rb').read() + open(pki('ca.pem'), 'rb').read())
    assert problems(ca_file=bundle) == ''
    os.unlink(bundle)


def test_name_matches():
    key = X.generate_key('ecdsa', curve='P-256')
    ca = X.create_ca(key, {'common_name': 'n CA'}, 3)
    cert = X.issue_cert(ca, key, key, {'common_name': 'n', 'dns': ['*.src.example', 'db1'],
                                       'ips': [ipaddress.ip_address('127.0.0.1')]}, 3)
    assert R.name_matches(cert, 'db2.src.example') and R.name_matches(cert, 'DB1') and R.name_matches(cert, '127.0.0.1')
    assert not R.name_matches(cert, 'a.b.src.example') and not R.name_matches(cert, '127.0.0.2')
    assert not R.name_matches(cert, 'src.example')


def test_report_entry():
    good = R.report_entry({'changed': False, 'channel': R.health(mysql_status(), 'pxc')})
    assert good['status'] == 'green' and good['encrypted'] and good['protocol'] == 'TLS, source verified'
    assert good['port'] == 'db1.src:3306' and good['findings'] == []
    bad = R.report_entry({'channel': R.health(mysql_status(Source_SSL_Allowed='No', Source_SSL_Verify_Server_Cert='No'),
                                              'pxc')})
    assert bad['status'] == 'red' and bad['protocol'] == 'plain' and 'the channel does not use TLS' in bad['findings']
    assert R.report_entry({'failed': True, 'msg': 'no client'})['status'] == 'amber'
    assert R.report_entry(None) is None and R.report_entry({'skipped': True}) is None


def test_report_and_metrics_show_the_channel():
    from ansible_collections.clustersec.mysql.plugins.module_utils.probes import encryption_report as ER
    from ansible_collections.clustersec.mysql.plugins.module_utils.probes import metrics as M
    probe = {'channels': [{'channel': 'client-server', 'port': 3306, 'status': 'green', 'findings': []}]}
    hostvars = {'rep1': {'galera_verify_probe': probe,
                         'galera_verify_replication': {'channel': R.health(mysql_status(), 'pxc')}},
                'rep2': {'galera_verify_probe': probe}}
    nodes = ER.collect_nodes(['rep1', 'rep2'], hostvars)
    assert [c['channel'] for c in nodes['rep1']] == ['client-server', 'replication']
    assert [c['channel'] for c in nodes['rep2']] == ['client-server']  # control: no channel asked for
    text = M.render(nodes, 1765000000)
    assert 'channel="replication"' in text and 'port="db1.src:3306"' in text
    line = [x for x in text.splitlines() if 'channel_encrypted' in x and 'replication' in x]
    assert line and line[0].endswith(' 1'), line


def test_channel_files_show_the_trusted_ca_and_the_client_certificate(pki, tmp_path):
    import datetime
    files = R.channel_files(pki('ca.pem'), pki('client.pem'))
    assert [c['subject'] for c in files['ca']] == ['CN=src CA'] and files['errors'] == []
    cert = files['client_cert']
    assert cert['subject'] == 'CN=repl' and cert['issuer'] == 'CN=src client CA' and 28 <= cert['days_left'] <= 30
    assert cert['not_after'].endswith('Z') and len(cert['sha256']) == 64
    # A bundle (the bundle phase of a rotation): both CAs listed, in file order.
    bundle = tmp_path / 'bundle.pem'
    bundle.write_bytes(open(pki('ca.pem'), 'rb').read() + open(pki('other-ca.pem'), 'rb').read())
    assert [c['subject'] for c in R.channel_files(str(bundle), pki('client.pem'))['ca']] == ['CN=src CA', 'CN=other CA']
    # Negative: a missing file is an error naming it, not a crash; plaintext names no file.
    broken = R.channel_files(str(tmp_path / 'none.pem'), pki('client.pem'))
    assert broken['ca'] == [] and 'none.pem' in broken['errors'][0]
    assert R.channel_files('', '') is None
    # Expiry is computed against now: a year later the certificate is expired.
    later = R.channel_files(pki('ca.pem'), pki('client.pem'), now=X.utcnow() + datetime.timedelta(days=365))
    assert later['client_cert']['days_left'] < 0


def test_report_entry_carries_the_files(pki, tmp_path):
    import datetime
    state = R.health(mariadb_status(), 'mariadb')
    files = R.channel_files(pki('ca.pem'), pki('client.pem'))
    entry = R.report_entry({'channel': state, 'files': files})
    assert entry['status'] == 'green' and entry['findings'] == []
    assert entry['subject'] == 'CN=repl' and entry['issuer'] == 'CN=src client CA'
    assert entry['not_after'] == files['client_cert']['not_after'] and entry['sha256_fingerprint'] == files['client_cert']['sha256']
    assert [c['subject'] for c in entry['trusted_ca']] == ['CN=src CA']
    # Negatives: an expired client certificate, an unreadable file, an empty CA list are red.
    expired = R.channel_files(pki('ca.pem'), pki('client.pem'), now=X.utcnow() + datetime.timedelta(days=365))
    bad = R.report_entry({'channel': state, 'files': expired})
    assert bad['status'] == 'red' and any('expired' in f for f in bad['findings'])
    bad = R.report_entry({'channel': state, 'files': R.channel_files(str(tmp_path / 'x.pem'), pki('client.pem'))})
    assert bad['status'] == 'red' and any('cannot read' in f for f in bad['findings'])
    assert R.files_problems({'ca': [], 'client_cert': None, 'errors': []}) == ['the CA file holds no certificate']
    # Control: without files (an older module result, plaintext) the entry has no certificate fields.
    assert 'not_after' not in R.report_entry({'channel': state})


def test_report_details_and_metrics_show_the_client_certificate(pki):
    from ansible_collections.clustersec.mysql.plugins.module_utils.probes import encryption_report as ER
    from ansible_collections.clustersec.mysql.plugins.module_utils.probes import metrics as M
    probe = {'channels': [{'channel': 'client-server', 'port': 3306, 'status': 'green', 'findings': []}]}
    files = R.channel_files(pki('ca.pem'), pki('client.pem'))
    hostvars = {'rep1': {'galera_verify_probe': probe,
                         'galera_verify_replication': {'channel': R.health(mariadb_status(), 'mariadb'), 'files': files}}}
    nodes = ER.collect_nodes(['rep1'], hostvars)
    text = M.render(nodes, 1765000000)
    line = [x for x in text.splitlines() if x.startswith('clustersec_certificate_not_after_timestamp_seconds')
            and 'replication' in x] or [x for x in text.splitlines() if 'not_after' in x and 'replication' in x]
    assert line and float(line[0].rsplit(' ', 1)[1]) == M.not_after_seconds(files['client_cert']['not_after']), line
    md = ER.render_markdown(nodes, ER.summarize(nodes))
    assert [x for x in md.splitlines() if x.startswith('| rep1 | replication |') and 'CN=repl' in x and
            files['client_cert']['not_after'] in x]


# ------------------------------------------------ a source's rotation and its replicas (rotate_replicas.yml, gate)
def replica_vars(**over):
    out = {'galera_replication_source_host': 'db1.src', 'galera_replication_source_nodes': ['db1', 'db2'],
           'galera_replication_cert': 'repl', 'galera_replication_user': 'repl_dr'}
    out.update(over)
    return out


def test_defaults_are_the_roles():
    """DEFAULTS stand for the role defaults hostvars do not hold: they must stay equal."""
    import yaml
    root = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', '..')
    defaults = yaml.safe_load(open(os.path.join(root, 'roles', 'galera', 'defaults', 'main.yml')))
    assert dict((k, defaults[k]) for k in R.DEFAULTS) == R.DEFAULTS
    # Control: the templated ones are the engine's, which DEFAULTS leaves out.
    assert '{{' in defaults['galera_replication_client'] and 'galera_replication_client' not in R.DEFAULTS


def test_settings_fill_defaults_and_engines():
    engine = {'client': 'mariadb', 'flavor': 'mariadb'}
    s = R.replica_settings(replica_vars(galera_engine={'client': 'mysql -S /x', 'flavor': 'pxc'}), engine)
    assert s['galera_replication_dir'] == '/etc/mysql/replication' and s['galera_replication_source_port'] == 3306
    assert (s['galera_replication_client'], s['galera_replication_flavor']) == ('mysql -S /x', 'pxc')
    assert (s['galera_replication_source_client'], s['galera_replication_source_flavor']) == ('mariadb', 'mariadb')
    s = R.replica_settings(replica_vars(galera_replication_flavor='mysql', galera_replication_dir='/srv/r'))
    assert (s['galera_replication_flavor'], s['galera_replication_dir'], s['galera_replication_client']) == \
        ('mysql', '/srv/r', 'mariadb')


def test_replicas_of_a_source():
    replicas = [('r1', replica_vars()), ('r2', replica_vars()),  # one Galera replica: the first runs the channel
                ('x1', replica_vars(galera_replication_source_nodes=['other1'])),  # another source's replica
                ('s1', replica_vars(galera_replication_source_nodes=[], galera_replication_source_host='db2')),
                ('t1', replica_vars(galera_replication_replica_host='t2')), ('t2', replica_vars(galera_replication_replica_host='t2'))]
    got = R.replicas_of(['db1', 'db2', 'db3'], replicas)
    assert [(r['host'], r['source_node']) for r in got] == [('r1', 'db1'), ('s1', 'db2'), ('t2', 'db1')]
    # Control: no source node in the play, no replica.
    assert R.replicas_of(['other9'], replicas) == []
    assert R.replicas_of(['db1'], []) == []
    with pytest.raises(R.ReplicationError, match='replica r1 of db1: galera_replication_cert not set'):
        R.replicas_of(['db1'], [('r1', replica_vars(galera_replication_cert=''))])


def test_gate_parties_follow_the_rotation_or_pin_the_own_ca_file(tmp_path):
    own = str(tmp_path / 'own.pem')
    r9 = replica_vars(galera_replication_replica_host='r9', galera_replication_ca_file=own)
    replicas = R.replicas_of(['db1'], [('r1', replica_vars()), ('r9', r9)])
    with pytest.raises(R.ReplicationError, match='replica r9: galera_replication_ca_file .* is not a file'):
        R.gate_parties(replicas, '/pki', '/pki/next')
    open(own, 'w').close()
    parties = R.gate_parties(replicas, '/pki', '/pki/next')
    assert parties[0] == dict(name='r1', kind='replica', cert='/pki/applications/repl/cert.pem',
                              next_cert='/pki/next/applications/repl/cert.pem', ca='/pki/ca.pem', ca_follows_rotation=True)
    assert (parties[1]['ca'], parties[1]['ca_follows_rotation']) == (own, False)
    # An operator's own entry of the same name wins.
    assert [p['name'] for p in R.gate_parties(replicas, '/pki', '/pki/next', ['r1'])] == ['r9']


def _srcs(plan):
    return [f.get('src') or f.get('content') for f in plan['files']]


def test_rotation_plan_per_phase():
    r = R.replicas_of(['db1'], [('r1', replica_vars(galera_replication_server_dir='/chroot/r'))])[0]
    bundle = R.rotation_plan(r, 'bundle', True, '/pki')
    assert _srcs(bundle) == ['/pki/next/bundle.pem', '/pki/applications/repl/cert.pem', '/pki/applications/repl/key.pem']
    assert bundle['account']['relax_issuer'] is True and bundle['account']['manifest'] == '/pki/next/applications/manifest.json'
    assert [f['mode'] for f in bundle['files']] == ['0644', '0644', '0600'] and bundle['files'][2]['secret']
    assert bundle['files'][2]['owner'] == 'mysql' and bundle['files'][0]['dest'] == '/etc/mysql/replication/source-ca.pem'
    assert bundle['channel']['ssl_ca'] == '/chroot/r/source-ca.pem' and bundle['source_node'] == 'db1'
    leaf = R.rotation_plan(r, 'leaf', True, '/pki')
    assert _srcs(leaf) == ['/pki/next/bundle.pem', '/pki/next/applications/repl/cert.pem',
                           '/pki/next/applications/repl/key.pem'] and leaf['account']['relax_issuer'] is True
    ca = R.rotation_plan(r, 'ca', True, '/pki')
    assert _srcs(ca)[0] == '/pki/next/ca.pem' and ca['account']['relax_issuer'] is False
    # A renewal without a new CA: leaf only, the set's CA (the same), the ISSUER kept.
    renew = R.rotation_plan(r, 'leaf', False, '/pki')
    assert _srcs(renew)[0] == '/pki/next/ca.pem' and renew['account']['relax_issuer'] is False
    with pytest.raises(R.ReplicationError):
        R.rotation_plan(r, 'bundle', False, '/pki')
    with pytest.raises(R.ReplicationError):
        R.rotation_plan(r, 'all', True, '/pki')


def test_rotation_plan_keeps_an_own_ca_file_and_check_mode_uses_placeholders(tmp_path):
    own = tmp_path / 'own.pem'
    own.write_text('pem')
    r = R.replicas_of(['db1'], [('r1', replica_vars(galera_replication_ca_file=str(own)))])[0]
    assert _srcs(R.rotation_plan(r, 'ca', True, str(tmp_path)))[0] == str(own)
    # --check staged nothing: missing files get a placeholder, an existing one (the own CA file) is read; the
    # account reads the current set's manifest.
    plan = R.rotation_plan(r, 'leaf', True, str(tmp_path), check_mode=True)
    assert plan['files'][0]['src'] == str(own) and 'src' not in plan['files'][1]
    assert plan['files'][1]['content'].startswith('--check: not staged ')
    assert plan['account']['manifest'] == os.path.join(str(tmp_path), 'applications', 'manifest.json')
    # Control: a real run never gets a placeholder.
    assert all('src' in f for f in R.rotation_plan(r, 'leaf', True, str(tmp_path))['files'])
