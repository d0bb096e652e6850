# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""galera converged: each reason a node is not converged, with the converged control."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import converged as C
from ansible_collections.clustersec.mysql.plugins.filter.galera_converged import FilterModule

TLS = 'socket.ssl = YES; socket.ssl_cert = /c.pem; socket.ssl_key = /k.pem'


def now(**kw):
    out = dict(differ=[], active=True, error='', missing=[], variables={'wsrep_provider_options': TLS},
               status={'wsrep_local_state_comment': 'Synced', 'wsrep_cluster_status': 'Primary', 'wsrep_cluster_size': '3'})
    out.update(kw)
    return out


EXPECT = {'cluster_size': 3, 'gcomm_tls': True}


def test_control_converged():
    assert C.problems(now(), EXPECT) == []
    assert FilterModule().filters()['galera_converged_problems'](now(), EXPECT) == []


@pytest.mark.parametrize('node,expect,why', [
    (now(), dict(EXPECT, blockers=['a certificate to issue']), 'a certificate to issue'),
    ({'skipped': True}, EXPECT, 'not read'),
    (None, EXPECT, 'not read'),
    (now(differ=['/etc/x.cnf']), EXPECT, 'differs from what a run would write: /etc/x.cnf'),
    (now(active=False), EXPECT, 'no unit'),
    (now(error='denied'), EXPECT, 'does not answer: denied'),
    (now(missing=['socat']), EXPECT, 'missing commands: socat'),
    (now(status={'wsrep_local_state_comment': 'Donor/Desynced', 'wsrep_cluster_status': 'Primary',
                 'wsrep_cluster_size': '3'}), EXPECT, 'is Donor/Desynced'),
    (now(), dict(EXPECT, cluster_size=2), 'sees cluster size 3, expected 2'),
    (now(), dict(EXPECT, cluster_size=4), 'sees cluster size 3, expected 4'),
    (now(), dict(EXPECT, gcomm_tls=False), 'group-communication TLS is on, expected off'),
    (now(variables={'wsrep_provider_options': 'gcache.size=1G'}), EXPECT, 'TLS is off, expected on'),
    (now(), dict(EXPECT, variables={'pxc_encrypt_cluster_traffic': 'ON'}), 'pxc_encrypt_cluster_traffic is (not read)'),
])
def test_each_reason(node, expect, why):
    assert any(why in p for p in C.problems(node, expect)), C.problems(node, expect)


@pytest.mark.parametrize('running', ['1', 'on', 'ON'])
def test_running_switches_compare_as_switches(running):
    # SELECT @@pxc_encrypt_cluster_traffic answers 1 where SHOW VARIABLES says ON.
    variables = {'wsrep_provider_options': TLS, 'pxc_encrypt_cluster_traffic': running, 'x': 'AES_ctr'}
    assert C.problems(now(variables=variables), dict(EXPECT, variables={'pxc_encrypt_cluster_traffic': 'ON', 'x': 'aes_CTR'})) == []
    out = C.problems(now(variables=variables), dict(EXPECT, variables={'pxc_encrypt_cluster_traffic': 'OFF'}))
    assert out == ['pxc_encrypt_cluster_traffic is %s, expected OFF' % running]


def test_filter_refuses_bad_input():
    f = FilterModule().filters()['galera_converged_problems']
    with pytest.raises(Exception, match='expectations'):
        f(now(), [])
    with pytest.raises(Exception, match='galera_node_state result'):
        f('x', EXPECT)
