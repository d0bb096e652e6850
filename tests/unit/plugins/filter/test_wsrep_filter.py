# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.filter.wsrep import FilterModule


def test_filters_registered_and_error_is_clear():
    f = FilterModule().filters()
    assert f['wsrep_options_parse']('a=1') == {'a': '1'}
    assert f['wsrep_options_merge']('a=1', {'socket.ssl': 'yes'}) == 'a=1; socket.ssl=yes'
    with pytest.raises(AnsibleFilterError, match="'oops' is not key=value"):
        f['wsrep_options_merge']('a=1;oops', {})
