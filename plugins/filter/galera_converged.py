# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import converged as _converged
from ansible_collections.clustersec.mysql.plugins.module_utils._common.plain_data import plain as _plain


def galera_converged_problems(now, expect):
    if not isinstance(expect, dict):
        raise AnsibleFilterError('galera_converged_problems expects a dict of expectations, got %s' % type(expect).__name__)
    if now is not None and not isinstance(now, dict):
        raise AnsibleFilterError('galera_converged_problems expects a galera_node_state result, got %s' % type(now).__name__)
    return _converged.problems(_plain(now), _plain(expect))


class FilterModule(object):
    def filters(self):
        return {'galera_converged_problems': galera_converged_problems}
