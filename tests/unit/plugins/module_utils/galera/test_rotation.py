# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rotation's summary (once a Jinja loop in the playbook), in the words the molecule tests read."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import rotation


def test_summary_lines():
    logs = {'a': [{'phase': 2, 'files': 4, 'reloaded': True, 'restarted': False, 'seconds': 1.2}],
            'b': [{'phase': 1, 'files': 2, 'reloaded': False, 'restarted': True, 'seconds': 30},
                  {'phase': 2, 'files': 0, 'reloaded': False, 'restarted': False, 'seconds': 0}]}
    assert rotation.summary(['a', 'b', 'c'], logs) == [
        'a - phase 2: 4 file(s) changed, reloaded, 1.2 s',
        'b - phase 1: 2 file(s) changed, restarted, 30 s; phase 2: 0 file(s) changed, not reloaded, 0 s',
        'c - nothing done']
    assert rotation.summary(['b'], {'b': [{'phase': 3, 'files': 5}]}, True) == [
        'b - phase 3: 5 file(s) would change, would reload, 0 s']


def test_pending():
    assert rotation.pending(['a', 'b', 'c'], {'a': True, 'c': False}) == ['b', 'c']
