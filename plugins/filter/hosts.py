# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.module_utils._common import hosts as _hosts


def all_converged(hosts, hostvars, fact):
    if not isinstance(fact, str) or not fact:
        raise AnsibleFilterError('all_converged: fact must be the name of a host variable, got %r' % (fact,))
    return _hosts.all_hosts_true(hosts, hostvars, fact)


class FilterModule(object):
    def filters(self):
        return {
            'all_converged': all_converged,
        }
