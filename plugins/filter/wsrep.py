# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import wsrep_options, wsrep_status
from ansible_collections.clustersec.mysql.plugins.module_utils._common.plain_data import plain as _plain


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


def wsrep_tls_enabled(options):
    if options is not None and not isinstance(options, str):
        raise AnsibleFilterError('wsrep_tls_enabled expects a wsrep_provider_options string, got %s'
                                 % type(options).__name__)
    return wsrep_options.tls_enabled(options)


def _switch(name, value):
    """A switch as Ansible may hand it over: bool, or 'yes'/'false'/... from the command line (never truthy text)."""
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise AnsibleFilterError("wsrep_ssl_options: %s must be a boolean, got '%s'" % (name, value))


def wsrep_ssl_options(ca, cert, key, enabled=True, dynamic=False, cipher=None):
    return wsrep_options.galera_ssl_options(ca, cert, key, enabled=_switch('enabled', enabled),
                                            dynamic=_switch('dynamic', dynamic), cipher=cipher)


def _result(result, name):
    if not isinstance(result, dict):
        raise AnsibleFilterError('%s expects a registered client result (rc, stdout), got %s' % (name, type(result).__name__))
    return _plain(result)


def _bounds(size, most):
    try:
        return int(size), None if most is None else int(most)
    except (TypeError, ValueError):
        raise AnsibleFilterError('wsrep status: size and most must be whole numbers, got %s and %s' % (size, most))


def wsrep_status_problems(result, size, most=None):
    size, most = _bounds(size, most)
    return wsrep_status.result_problems(_result(result, 'wsrep_status_problems'), size, most)


def wsrep_status_settling(result, size, most=None):
    size, most = _bounds(size, most)
    return wsrep_status.result_settling(_result(result, 'wsrep_status_settling'), size, most)


def wsrep_cluster_problems(results, host_key, size, most=None):
    if not isinstance(results, list):
        raise AnsibleFilterError('wsrep_cluster_problems expects the results list of a registered loop')
    size, most = _bounds(size, most)
    return wsrep_status.cluster_problems([_result(r, 'wsrep_cluster_problems') for r in results], str(host_key), size, most)


class FilterModule(object):
    def filters(self):
        return {
            'wsrep_options_merge': wsrep_options_merge,
            'wsrep_options_parse': wsrep_options_parse,
            'wsrep_ssl_options': wsrep_ssl_options,
            'wsrep_tls_enabled': wsrep_tls_enabled,
            'wsrep_status_problems': wsrep_status_problems,
            'wsrep_status_settling': wsrep_status_settling,
            'wsrep_cluster_problems': wsrep_cluster_problems,
        }
