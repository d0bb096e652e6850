# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import at_rest as _at_rest
from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import encryption_change as _change
from ansible_collections.clustersec.mysql.plugins.module_utils.pxc import sections as _pxc
from ansible_collections.clustersec.mysql.plugins.module_utils._common.plain_data import plain as _plain


def pxc_sections(settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError('pxc_sections expects a dict of settings, got %s' % type(settings).__name__)
    try:
        return _pxc.build_sections(_plain(settings))
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def pxc_problems(settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError('pxc_problems expects a dict of settings, got %s' % type(settings).__name__)
    return _pxc.problems(_plain(settings))


def pxc_keyring_problems(sections_by_host):
    if not isinstance(sections_by_host, dict):
        raise AnsibleFilterError('pxc_keyring_problems expects a dict of host to sections, got %s'
                                 % type(sections_by_host).__name__)
    return _pxc.keyring_problems(_plain(sections_by_host))


def pxc_at_rest_problems(state_by_host):
    if not isinstance(state_by_host, dict):
        raise AnsibleFilterError('pxc_at_rest_problems expects a dict of host to data-at-rest state, got %s'
                                 % type(state_by_host).__name__)
    return _at_rest.cluster_problems(_plain(state_by_host))


def pxc_at_rest_files(settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError('pxc_at_rest_files expects a dict of settings, got %s' % type(settings).__name__)
    return _at_rest.files(_plain(settings))


def pxc_at_rest_provider_options(settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError('pxc_at_rest_provider_options expects a dict of settings, got %s'
                                 % type(settings).__name__)
    return _at_rest.provider_options(_plain(settings))


def pxc_encryption_change_problems(nodes, outside_hosts=None):
    if not isinstance(nodes, dict):
        raise AnsibleFilterError('pxc_encryption_change_problems expects a dict of host to running and changes, got %s'
                                 % type(nodes).__name__)
    return _change.problems(_plain(nodes), _plain(outside_hosts))


def pxc_toggle_warning(mode, sst_tls=True, gcomm_tls=True):
    return _change.plain_warning(mode, bool(sst_tls), bool(gcomm_tls))


class FilterModule(object):
    def filters(self):
        return {
            'pxc_sections': pxc_sections,
            'pxc_problems': pxc_problems,
            'pxc_keyring_problems': pxc_keyring_problems,
            'pxc_at_rest_problems': pxc_at_rest_problems,
            'pxc_at_rest_files': pxc_at_rest_files,
            'pxc_at_rest_provider_options': pxc_at_rest_provider_options,
            'pxc_encryption_change_problems': pxc_encryption_change_problems,
            'pxc_toggle_warning': pxc_toggle_warning,
        }
