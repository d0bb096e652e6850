# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.module_utils import ndb


def ndb_password_problems(password, kind='filesystem', name='password', encoding='plain'):
    try:
        return ndb.password_problems(password, kind=kind, name=name, encoding=encoding)
    except ndb.NdbError as exc:
        raise AnsibleFilterError(str(exc))


def ndb_password_hex(secret):
    try:
        return ndb.hexify(secret)
    except ndb.NdbError as exc:
        raise AnsibleFilterError(str(exc))


def ndb_config_nodes(hostvars, mgmd_hosts=None, data_hosts=None, api_hosts=None, defaults=None):
    try:
        return ndb.build_config_nodes(mgmd_hosts, data_hosts, api_hosts, hostvars, defaults)
    except ndb.NdbError as exc:
        raise AnsibleFilterError(str(exc))


def ndb_config_problems(nodes, replicas=2, overrides=None):
    return ndb.config_problems(nodes or [], replicas, overrides)


def ndb_config_values(text):
    return ndb.parse_config_values(text)


def ndb_tde_status_table(rows):
    return ndb.status_table(rows or [])


class FilterModule(object):
    def filters(self):
        return {
            'ndb_password_problems': ndb_password_problems,
            'ndb_password_hex': ndb_password_hex,
            'ndb_config_nodes': ndb_config_nodes,
            'ndb_config_problems': ndb_config_problems,
            'ndb_config_values': ndb_config_values,
            'ndb_tde_status_table': ndb_tde_status_table,
        }
