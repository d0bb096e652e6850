# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether the bootstrap node may bootstrap (safe_to_bootstrap.yml)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import bootstrap as B

SAFE = "# GALERA saved state\nversion: 2.1\nuuid: 0b1e5ac8-0000-11ee-9c6a-000000000001\nseqno: 42\nsafe_to_bootstrap: 1\n"
UNSAFE = SAFE.replace('seqno: 42', 'seqno: 40').replace('safe_to_bootstrap: 1', 'safe_to_bootstrap: 0')


def test_saved_state():
    s = B.saved_state(SAFE)
    assert s['present'] and s['seqno'] == 42 and s['safe_to_bootstrap']
    assert B.saved_state(None) == dict(B.saved_state(None), present=False, seqno=-1, safe_to_bootstrap=False)
    assert B.saved_state('seqno: -1\n')['safe_to_bootstrap'] is False


def test_bootstrap_node_with_safe_to_bootstrap_0_is_refused():
    states = [B.saved_state(UNSAFE), B.saved_state(SAFE)]
    assert B.bootstrap_problem(['db1', 'db2'], states, 'db1') == (
        "db1 must not bootstrap the cluster: its grastate.dat has safe_to_bootstrap: 0. Saved states: db1 seqno=40 "
        "safe_to_bootstrap=0; db2 seqno=42 safe_to_bootstrap=1. Set the role's bootstrap host to the node that stopped "
        "last (highest seqno). No node was started.")
    assert B.bootstrap_problem(['db1', 'db2'], states, 'db2') == ''  # control


def test_bootstrap_node_without_data_while_others_hold_some():
    states = [B.saved_state(None), B.saved_state(UNSAFE)]
    assert 'db1 must not bootstrap the cluster: it has no grastate.dat while other nodes hold data.' in \
        B.bootstrap_problem(['db1', 'db2'], states, 'db1')
    # control: a new cluster, no node has data
    assert B.bootstrap_problem(['db1', 'db2'], [B.saved_state(None)] * 2, 'db1') == ''
