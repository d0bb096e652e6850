# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import settings as S

CHOICES = {'ndb_tde_manager': ['config', 'mcm'], 'ndb_tde_password_delivery': ['stdin', 'defaults_file']}


def test_good_choices_pass():
    assert S.choice_problems({'ndb_tde_manager': 'mcm', 'ndb_tde_password_delivery': 'stdin',
                              'ndb_tde_password_command': '/usr/local/bin/pw'}, CHOICES) == []


def test_each_wrong_choice_is_named():
    found = S.choice_problems({'ndb_tde_manager': 'k8s', 'ndb_tde_password_delivery': 'env'}, CHOICES)
    assert found == ["ndb_tde_manager must be one of config, mcm, not 'k8s'",
                     "ndb_tde_password_delivery must be one of stdin, defaults_file, not 'env'"]


def test_password_command_needs_stdin_delivery():
    found = S.choice_problems({'ndb_tde_manager': 'config', 'ndb_tde_password_delivery': 'defaults_file',
                               'ndb_tde_password_command': 'pw'}, CHOICES)
    assert found == ['ndb_tde_password_command only works with ndb_tde_password_delivery=stdin']
    assert S.choice_problems({'ndb_tde_manager': 'config', 'ndb_tde_password_delivery': 'defaults_file',
                              'ndb_tde_password_command': ''}, CHOICES) == []
