# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions over the hosts of a play (site.yml's converged fast path)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


def _true(value):
    """True only for a real yes: a bool True or the text 'true' (templating may hand over either), never truthy text."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() == 'true'


def all_hosts_true(hosts, hostvars, fact):
    """True when every host of hosts has fact set to true. A host without it (not reached, failed before it was
    published) or an empty host list means False: the caller then takes the full path, never skips it."""
    hosts = list(hosts or [])
    if not hosts:
        return False
    for host in hosts:
        values = hostvars[host] if host in hostvars else {}
        if fact not in values or not _true(values[fact]):
            return False
    return True
