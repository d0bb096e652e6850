# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ndb_tde role's choices (manager, service manager, password delivery and encoding, backup password input) and
the rule between two of them, checked before anything else (filter ndb_choice_problems). Pure Python, no Ansible
import.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


def choice_problems(values, choices):
    """values: {variable: value}; choices: {variable: [allowed values]}. One sentence per wrong value, then the
    rule that ndb_tde_password_command needs ndb_tde_password_delivery stdin."""
    problems = ['%s must be one of %s, not %r' % (name, ', '.join(str(c) for c in allowed), values.get(name))
                for name, allowed in sorted((choices or {}).items()) if values.get(name) not in allowed]
    if values.get('ndb_tde_password_command') and values.get('ndb_tde_password_delivery') != 'stdin':
        problems.append('ndb_tde_password_command only works with ndb_tde_password_delivery=stdin')
    return problems
