# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import config as ndb_config
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import node_state as ndb_state_rules
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import output as ndb_output
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import password as ndb_password
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import backup as ndb_backup
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import restart as ndb_restart
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import settings as ndb_settings
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError
from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.status import status_rows, status_table


def ndb_password_problems(password, kind='filesystem', name='password', encoding='plain'):
    try:
        return ndb_password.password_problems(password, kind=kind, name=name, encoding=encoding)
    except NdbError as exc:
        raise AnsibleFilterError(str(exc))


def ndb_password_hex(secret):
    try:
        return ndb_password.hexify(secret)
    except NdbError as exc:
        raise AnsibleFilterError(str(exc))


def ndb_config_nodes(hostvars, mgmd_hosts=None, data_hosts=None, api_hosts=None, defaults=None):
    try:
        return ndb_config.build_config_nodes(mgmd_hosts, data_hosts, api_hosts, hostvars, defaults)
    except NdbError as exc:
        raise AnsibleFilterError(str(exc))


def ndb_restart_waves(nodes, only=None, strategy='node'):
    if strategy not in ('node', 'nodegroup'):
        raise AnsibleFilterError("strategy must be 'node' or 'nodegroup', not %r" % (strategy,))
    data = [n for n in nodes or [] if n.get('type', 'data') == 'data']
    return ndb_restart.restart_waves(data, only, per_nodegroup=strategy == 'nodegroup')


def ndb_restart_host_waves(nodes, ids_by_host, strategy='node'):
    if strategy not in ('node', 'nodegroup'):
        raise AnsibleFilterError("strategy must be 'node' or 'nodegroup', not %r" % (strategy,))
    data = [n for n in nodes or [] if n.get('type', 'data') == 'data']
    try:
        return ndb_restart.host_waves(data, ids_by_host or {}, per_nodegroup=strategy == 'nodegroup')
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError('ndb_restart_host_waves: a node id is not a number (%s)' % exc)


def ndb_restore_problems(files, cluster, node_id, backup_id, path, password_given=False):
    return ndb_backup.restore_problems(files or {}, cluster or {}, node_id, backup_id, path,
                                       boolean(password_given, strict=False))


def ndb_choice_problems(values, choices):
    return ndb_settings.choice_problems(values or {}, choices or {})


def ndb_config_problems(nodes, replicas=2, overrides=None):
    return ndb_config.config_problems(nodes or [], replicas, overrides)


def ndb_config_values(text):
    return ndb_output.parse_config_values(text)


def ndb_active_encryption(result, source='ndbinfo_select_all'):
    if source not in ('ndbinfo_select_all', 'sql', 'none'):
        raise AnsibleFilterError("source must be ndbinfo_select_all, sql or none, not %r" % (source,))
    return ndb_output.active_encryption(result, source)


def ndb_backup_result(text):
    return ndb_output.parse_backup_output(text)


def ndb_restart_problems(nodes, replicas, backup_confirmed=False):
    try:
        confirmed = boolean(backup_confirmed, strict=True)
    except TypeError:
        raise AnsibleFilterError("ndb_restart_problems: backup_confirmed must be a boolean, got '%s'" % backup_confirmed)
    data = [n for n in nodes or [] if n.get('type', 'data') == 'data']
    return ndb_restart.restart_problems(data, replicas, confirmed)


def ndb_restart_summary(results, check_mode=False):
    return ndb_restart.restart_summary(results or {}, boolean(check_mode, strict=False))


def _require(settings, names, filter_name):
    missing = [n for n in names if n not in (settings or {})]
    if missing:
        raise AnsibleFilterError('%s: the settings lack %s' % (filter_name, ', '.join(missing)))


def ndb_node_state(node, cluster, settings):
    _require(settings, ('node_id', 'enabled'), 'ndb_node_state')
    return ndb_state_rules.node_state(node or {}, cluster or {}, settings)


def ndb_running_problems(cluster, state, settings):
    _require(settings, ('node_id', 'enabled'), 'ndb_running_problems')
    return ndb_state_rules.running_problems(cluster or {}, state or {}, settings)


def ndb_unconverged(cluster, host):
    return ndb_state_rules.unconverged(cluster or {}, host or {})


def ndb_node_started(nodes, node_type='data', node_id=None):
    return ndb_state_rules.node_started(nodes or [], node_type, node_id)


def ndb_tde_status_rows(statuses, active=None):
    return status_rows(statuses or {}, active or {})


def ndb_tde_status_table(rows):
    return status_table(rows or [])


class FilterModule(object):
    def filters(self):
        return {
            'ndb_password_problems': ndb_password_problems,
            'ndb_password_hex': ndb_password_hex,
            'ndb_config_nodes': ndb_config_nodes,
            'ndb_config_problems': ndb_config_problems,
            'ndb_config_values': ndb_config_values,
            'ndb_active_encryption': ndb_active_encryption,
            'ndb_backup_result': ndb_backup_result,
            'ndb_restart_problems': ndb_restart_problems,
            'ndb_restart_waves': ndb_restart_waves,
            'ndb_tde_status_table': ndb_tde_status_table,
            'ndb_restart_summary': ndb_restart_summary,
            'ndb_node_state': ndb_node_state,
            'ndb_running_problems': ndb_running_problems,
            'ndb_unconverged': ndb_unconverged,
            'ndb_restart_host_waves': ndb_restart_host_waves,
            'ndb_restore_problems': ndb_restore_problems,
            'ndb_choice_problems': ndb_choice_problems,
            'ndb_node_started': ndb_node_started,
            'ndb_tde_status_rows': ndb_tde_status_rows,
        }
