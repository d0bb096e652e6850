# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where promtool and node_exporter are: Debian's packages unpacked (never installed) by scripts/setup-host.sh into
the cache, the root named in .build/prometheus-root. A missing tool fails the test: it never skips."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
RULES = os.path.join(ROOT, 'roles', 'galera', 'files', 'prometheus', 'clustersec_mysql_alerts.yml')
RULES_TEST = os.path.join(HERE, 'alerts_test.yml')
BINARIES = {'promtool': 'usr/bin/promtool', 'node_exporter': 'usr/bin/prometheus-node-exporter'}


def tool(name):
    marker = os.path.join(ROOT, '.build', 'prometheus-root')
    root = open(marker).read().strip() if os.path.exists(marker) else None
    path = os.path.join(root, BINARIES[name]) if root else None
    if not path or not os.access(path, os.X_OK):
        pytest.fail('%s not found (%s): run scripts/setup-host.sh, which unpacks Debian\'s prometheus and '
                    'prometheus-node-exporter into its cache and names the root in .build/prometheus-root'
                    % (name, path or marker + ' missing'))
    return path
