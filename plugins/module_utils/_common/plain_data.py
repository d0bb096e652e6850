# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible hands lazy/tagged containers to filters; the pure code of this collection wants plain data."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


def plain(value):
    """Dicts, lists, bools, numbers and None as they are; everything else as str."""
    if isinstance(value, dict):
        return dict((str(k), plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return value
    return str(value)
