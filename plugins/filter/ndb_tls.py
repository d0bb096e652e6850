# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import tls as ndb_tls


def ndb_tls_links(text):
    """ndbinfo_select_all transporters certificates output -> links, certificates and a summary."""
    parsed = ndb_tls.parse_links(text)
    parsed['summary'] = ndb_tls.link_summary(parsed)
    parsed['lines'] = ndb_tls.link_lines(parsed)
    return parsed


def ndb_tls_report_lines(fact):
    """ndb_tde's verify fact (ndb_tde_verify_tls) -> one line per NDB node type of the host: the encryption report's
    status and findings."""
    return ndb_tls.report_lines(ndb_tls.report_entries(fact))


def ndb_tls_running_required(text):
    """`ndbinfo_select_all config_values` output -> {data node id: RequireTls it runs with}."""
    return ndb_tls.running_require_tls(text)


class FilterModule(object):
    def filters(self):
        return {'ndb_tls_links': ndb_tls_links, 'ndb_tls_report_lines': ndb_tls_report_lines,
                'ndb_tls_running_required': ndb_tls_running_required}
