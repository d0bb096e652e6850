# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""restart_batch: auto passes the product roles' argument specs and the engine's input checks (issue 31); a number
that breaks the majority is still refused with the same message (the negative)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_restart_batch import run  # noqa: E402  -- one inventory and policy play for both files


def test_auto_passes_the_input_checks_of_both_flavours(tmp_path):
    for role in ('mariadb_galera', 'pxc'):
        rc, out = run(tmp_path, 5, 'auto', role=role)
        assert rc == 0, out[-3000:]


def test_a_number_that_breaks_the_majority_is_still_refused(tmp_path):
    rc, out = run(tmp_path, 5, 3)
    assert rc != 0 and ('mariadb_galera_restart_batch=3: would take 3 of 5 nodes down at once and the 2 left running '
                        'are not a majority; at most 2 here') in out, out[-3000:]
    rc, out = run(tmp_path, 3, 'autox')
    assert rc != 0 and 'mariadb_galera_restart_batch=autox: must be a whole number of at least 1, or auto' in out, out[-3000:]
