# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.clustersec.mysql.plugins.module_utils.probes import attacker_probes, encryption_report


def probe_refuse_certs(tls_dir, probe_dir, previous=False):
    try:
        previous = boolean(previous, strict=True)
    except TypeError:
        raise AnsibleFilterError("probe_refuse_certs: previous must be a boolean, got '%s'" % (previous,))
    return attacker_probes.refuse_cert_sets(str(tls_dir), str(probe_dir), previous)


def report_nodes(hosts, hostvars):
    if isinstance(hosts, str):
        raise AnsibleFilterError('report_nodes expects a list of hosts, got the text %r' % hosts)
    return encryption_report.collect_nodes(list(hosts or []), hostvars)


class FilterModule(object):
    def filters(self):
        return {
            'probe_refuse_certs': probe_refuse_certs,
            'report_nodes': report_nodes,
        }
