# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pxc encryption_change: a change refused while a node runs or is outside the play, with controls."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import encryption_change as E
from ansible_collections.clustersec.mysql.plugins.filter.pxc import FilterModule


def test_change_while_nodes_run_is_refused():
    nodes = {'db1': {'running': True, 'changes': ['keyring none -> component']}, 'db2': {'running': True, 'changes': []},
             'db3': {'running': False, 'changes': ['traffic on -> off', 'x']}}
    out = E.problems(nodes, ['db4'])
    assert out == ['replication-traffic encryption or the keyring would change (db1: keyring none -> component; db3: '
                   'traffic on -> off, x) while db1, db2 run and db4 are not in this play. PXC cannot change this one node '
                   'at a time (nor mix nodes with and without a keyring): run playbooks/pxc_toggle_cluster_encryption.yml '
                   'with pxc_toggle_confirm=true, which stops the whole cluster, changes it and bootstraps again. '
                   'No node was changed']
    assert E.problems(nodes)[0].count(' while db1, db2 run. PXC') == 1
    assert E.problems({'db1': {'running': False, 'changes': ['c']}}, ['db2'])[0].count('while db2 are not in this play.')


def test_controls():
    # No change, or every node stopped and in the play: the role may make it.
    assert E.problems({'db1': {'running': True, 'changes': []}}, ['db2']) == []
    assert E.problems({'db1': {'running': False, 'changes': ['c']}, 'db2': {'running': False}}) == []
    assert FilterModule().filters()['pxc_encryption_change_problems']({}) == []


def test_toggle_warning_names_the_plain_channels():
    assert E.plain_warning('automatic', False, False) == ''
    text = E.plain_warning('manual', False, True)
    assert text.startswith('WARNING: pxc-encrypt-cluster-traffic will be OFF; NOT encrypted: SST (full copies of the data). ')
    assert 'and IST' in E.plain_warning('manual', False, False) and 'SST (full' in E.plain_warning('manual', False, False)
    assert 'stays encrypted only through the manual SST' in FilterModule().filters()['pxc_toggle_warning']('manual')
