# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.module_utils import wsrep_options


def wsrep_options_merge(options, ours=None, remove=None):
    try:
        return wsrep_options.merge(options, ours, remove)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def wsrep_options_parse(options):
    try:
        return dict(wsrep_options.parse(options))
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {
            'wsrep_options_merge': wsrep_options_merge,
            'wsrep_options_parse': wsrep_options_parse,
        }
