from ansible_collections.clustersec.mysql.plugins.module_utils._common import mycnf_takeover as T

PACKAGED = """# The Percona XtraDB Cluster 8.0 configuration file.
[client]
socket=/var/run/mysqld/mysqld.sock

[mysqld]
server-id=1
datadir=/var/lib/mysql
wsrep_provider=/usr/lib/galera4/libgalera_smm.so
wsrep_cluster_address=gcomm://
binlog_format=ROW
wsrep_cluster_name=pxc-cluster
wsrep_node_name=pxc-cluster-node-1
pxc_strict_mode=ENFORCING
"""
OURS = """[mysqld]
wsrep-cluster-address = gcomm://pxc1,pxc2,pxc3
wsrep_cluster_name = clustersec
wsrep_node_name = pxc1
wsrep_provider = /usr/lib/galera4/libgalera_smm.so
[client]
ssl-ca = /etc/mysql/certs/ca.pem
"""


def test_our_options_are_commented_out_and_everything_else_kept():
    after, disabled = T.comment_out(PACKAGED, T.ours(OURS), '/etc/mysql/mysql.conf.d/60-clustersec-pxc.cnf')
    assert sorted(d['option'] for d in disabled) == ['wsrep-cluster-address', 'wsrep-cluster-name',
                                                     'wsrep-node-name', 'wsrep-provider']
    effective = T.parse_cnf(after)['mysqld']
    assert 'wsrep_cluster_address' not in effective and 'wsrep_node_name' not in effective
    assert effective['server-id'] == '1' and effective['pxc_strict_mode'] == 'ENFORCING'
    assert T.parse_cnf(after)['client'] == {'socket': '/var/run/mysqld/mysqld.sock'}, "another section's key kept"
    assert '# wsrep_cluster_address=gcomm://  # disabled by clustersec.mysql: /etc/mysql/mysql.conf.d/60-clustersec' in after


def test_a_second_pass_changes_nothing():
    once, dummy = T.comment_out(PACKAGED, T.ours(OURS))
    twice, disabled = T.comment_out(once, T.ours(OURS))
    assert twice == once and disabled == []


def test_control_without_our_options_nothing_changes():
    after, disabled = T.comment_out(PACKAGED, T.ours("[mysqld]\nmax_connections = 10\n"))
    assert after == PACKAGED and disabled == []
