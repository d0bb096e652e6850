# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the molecule scenario relies on, on loopback: a joiner finds the bootstrapped node over TLS group
communication, the cluster size counts answering peers, a node of another CA cannot join, grastate.dat on stop."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest

from .conftest import StandIn, automatic, free_port


def _status(server):
    return dict(line.split('\t') for line in server.sql("SHOW GLOBAL STATUS LIKE 'wsrep_%'")[1].splitlines())


def _grastate(server):
    with open(os.path.join(server.datadir, 'grastate.dat')) as handle:
        return dict((k.strip(), v.strip()) for k, v in (line.split(':', 1) for line in handle if ':' in line))


def test_join_size_and_clean_stop(standin, pki):
    ports = [free_port(), free_port()]
    address = 'gcomm://' + ','.join('127.0.0.1:%d' % p for p in ports)
    first = standin(_gcomm_port=ports[0], wsrep_cluster_address=address, **automatic(pki))
    second = standin(_bootstrap=False, _gcomm_port=ports[1], wsrep_cluster_address=address, **automatic(pki))
    assert 'joining through 127.0.0.1:%d' % ports[0] in second.output()
    assert _status(first)['wsrep_cluster_size'] == _status(second)['wsrep_cluster_size'] == '2'
    assert _status(first)['wsrep_cluster_state_uuid'] == _status(second)['wsrep_cluster_state_uuid']
    assert _grastate(first)['seqno'] == '-1'
    second.stop()
    assert _grastate(second)['safe_to_bootstrap'] == '0'  # a peer still runs
    assert _status(first)['wsrep_cluster_size'] == '1'
    first.stop()
    assert _grastate(first)['safe_to_bootstrap'] == '1'


def test_a_node_of_another_ca_cannot_join(standin, pki):
    port = free_port()
    standin(_gcomm_port=port, **automatic(pki))
    other = automatic(pki, **{'ssl-ca': pki['client']['ca'], 'ssl-cert': pki['client']['cert'],
                              'ssl-key': pki['client']['key']})
    with pytest.raises(AssertionError, match='failed to reach primary view'):
        StandIn(dict(other, wsrep_cluster_address='gcomm://127.0.0.1:%d' % port), bootstrap=False, join_timeout=1)
