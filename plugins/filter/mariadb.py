# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import at_rest_preflight as _at_rest
from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import at_rest_rekey as _rekey
from ansible_collections.clustersec.mysql.plugins.module_utils.mariadb import sections as _sections
from ansible_collections.clustersec.mysql.plugins.module_utils._common.plain_data import plain as _plain


def mariadb_at_rest_problems(settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError('mariadb_at_rest_problems expects a dict of settings, got %s' % type(settings).__name__)
    return _at_rest.problems(_plain(settings))


def mariadb_galera_sections(settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError('mariadb_galera_sections expects a dict of settings, got %s' % type(settings).__name__)
    return _sections.build_sections(_plain(settings))


def mariadb_galera_notes(sections):
    if not isinstance(sections, dict):
        raise AnsibleFilterError('mariadb_galera_notes expects the dict of mariadb_galera_sections, got %s'
                                 % type(sections).__name__)
    return _sections.notes(_plain(sections))


def mariadb_at_rest_rotation_summary(key_id, retire, after=None, loaded=None, check_mode=False):
    return _rekey.rotation_summary(key_id, _plain(retire or []), _plain(after), _plain(loaded), bool(check_mode))


def mariadb_at_rest_moved_summary(result, key_id, check_mode=False):
    return _rekey.moved_summary(_plain(result), key_id, bool(check_mode))


class FilterModule(object):
    def filters(self):
        return {
            'mariadb_at_rest_problems': mariadb_at_rest_problems,
            'mariadb_galera_sections': mariadb_galera_sections,
            'mariadb_galera_notes': mariadb_galera_notes,
            'mariadb_at_rest_rotation_summary': mariadb_at_rest_rotation_summary,
            'mariadb_at_rest_moved_summary': mariadb_at_rest_moved_summary,
        }
