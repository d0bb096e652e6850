# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error, names_missing


def x509_names_missing(names, node, extra_sans=None):
    """Names peers use that a certificate issued for node would not carry (x509_input.names_missing)."""
    try:
        return names_missing(names if isinstance(names, list) else [names], node, extra_sans or [])
    except X509Error as exc:
        raise AnsibleFilterError('x509_names_missing: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {'x509_names_missing': x509_names_missing}
