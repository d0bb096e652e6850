# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pki role's application certificates (issue 30): input checks, the x509_set input and the files of one
delivery (module_utils/certificates/app_certs.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import app_certs


def _entries(value, name):
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise AnsibleFilterError('%s expects a list of dicts (pki_application_certs), got %r' % (name, value))
    return value


def pki_application_problems(entries, hosts, pki_dir):
    return app_certs.delivery_problems(_entries(entries, 'pki_application_problems'), list(hosts or []), pki_dir)


def pki_application_set(entries, probe=True):
    return app_certs.set_input(_entries(entries, 'pki_application_set'), bool(probe))


def pki_application_files(entry, set_dir):
    if not isinstance(entry, dict) or not entry.get('name') or not entry.get('path'):
        raise AnsibleFilterError('pki_application_files expects one pki_application_certs entry, got %r' % (entry,))
    return app_certs.delivery_files(entry, set_dir)


class FilterModule(object):
    def filters(self):
        return {
            'pki_application_problems': pki_application_problems,
            'pki_application_set': pki_application_set,
            'pki_application_files': pki_application_files,
        }
