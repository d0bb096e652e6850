# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role's meta/argument_specs.yml documents the defaults of defaults/main.yml, for every entry point.

ansible-core never sets a variable from an argument spec's ``default`` (the role's defaults/main.yml does; the
validation task only checks), so the two files must agree by hand; ansible-doc shows the spec. Rules:

- an option that defaults/main.yml sets has ``default:`` equal to that value (type included: ``1`` is not ``true``);
- unless that value is templated (Jinja): then the spec has no ``default:`` and the description states the rule
  (``Default ...``). ansible-core templates the whole spec as the validation task's arguments, so a Jinja default
  would be evaluated at every role start (an undefined name there fails the role) and, when ever applied, type
  checked as the literal string;
- no string anywhere in a spec holds ``{{`` or ``{%`` (the same templating);
- ``required: true`` options have no default;
- every public variable of defaults/main.yml (no ``__``) is an option of the main entry point; the galera engine,
  whose main entry point only refuses, and the few variables only another entry point reads (listed below) are
  options of that entry point.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROLES = os.path.normpath(os.path.join(HERE, '..', '..', '..', 'roles'))
ROLE_NAMES = sorted(r for r in os.listdir(ROLES) if os.path.isfile(os.path.join(ROLES, r, 'meta', 'argument_specs.yml')))


def _load(role, *path):
    with open(os.path.join(ROLES, role, *path)) as f:
        return yaml.safe_load(f) or {}


def templated(value):
    if isinstance(value, str):
        return '{{' in value or '{%' in value
    if isinstance(value, dict):
        return any(templated(k) or templated(v) for k, v in value.items())
    if isinstance(value, list):
        return any(templated(v) for v in value)
    return False


def same(a, b):
    """Equal with the same types all the way down (YAML 1 and true must not pass for each other)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def _strings(value, where):
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, '%s.%s' % (where, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, '%s[%d]' % (where, i))


# Variables that only another entry point reads (ndb_tde's backup, restore and status): documented there, not in main.
OTHER_ENTRY_POINT_VARIABLES = {
    'ndb_tde': ('ndb_tde_backup_', 'ndb_tde_restore_', 'ndb_tde_ndb_restore_bin', 'ndb_tde_status_', 'ndb_tde_mysql_args',
                'ndb_tde_ndbinfo_select_all_bin'),
}


def problems(role, defaults, specs):
    """What is wrong between a role's defaults and its argument specs, one line each."""
    out = []
    for entry, spec in sorted(specs.items()):
        for name, opt in sorted((spec.get('options') or {}).items()):
            where = '%s: %s, option %s' % (role, entry, name)
            if opt.get('required'):
                if 'default' in opt:
                    out.append('%s: required and has a default' % where)
                continue
            if name not in defaults:
                continue
            value = defaults[name]
            description = opt.get('description') or ''
            description = ' '.join(description) if isinstance(description, list) else description
            if templated(value):
                if 'default' in opt:
                    out.append('%s: defaults/main.yml templates it (%r); state the rule in the description, '
                               'not as default' % (where, value))
                elif 'default' not in description.lower():
                    out.append('%s: defaults/main.yml templates it (%r) and the description does not say the default'
                               % (where, value))
            elif 'default' not in opt:
                if value is not None:
                    out.append('%s: no default; defaults/main.yml sets %r' % (where, value))
            elif not same(opt['default'], value):
                out.append('%s: default %r differs from defaults/main.yml %r' % (where, opt['default'], value))
    for where, text in _strings(specs, role):
        if templated(text):
            out.append('%s: holds a template (the validation task templates the spec): %r' % (where, text))
    main = set((specs.get('main') or {}).get('options') or {})
    elsewhere = set(o for e, s in specs.items() if e != 'main' for o in (s.get('options') or {}))
    for name in sorted(defaults):
        if '__' in name or name in main:
            continue
        if name not in elsewhere:
            out.append('%s: %s of defaults/main.yml is in no argument spec (not in the main entry point)' % (role, name))
        elif main and not any(name.startswith(p) for p in OTHER_ENTRY_POINT_VARIABLES.get(role, ())):
            out.append('%s: %s of defaults/main.yml is missing from the main entry point' % (role, name))
    return out


@pytest.mark.parametrize('role', ROLE_NAMES)
def test_specs_document_the_defaults(role):
    found = problems(role, _load(role, 'defaults', 'main.yml'), _load(role, 'meta', 'argument_specs.yml')['argument_specs'])
    assert not found, '\n'.join(found)


def test_every_role_has_specs():
    assert set(ROLE_NAMES) == set(r for r in os.listdir(ROLES) if os.path.isdir(os.path.join(ROLES, r, 'tasks')))


# Controls: the checker reports what it is meant to catch.
DEFAULTS = {'r_size': 2, 'r_on': True, 'r_path': '{{ r_dir }}/x', 'r_dir': '/etc', '__r_internal': 1}


def _spec(**options):
    base = {'r_size': {'type': 'int', 'default': 2}, 'r_on': {'type': 'bool', 'default': True},
            'r_path': {'type': 'str', 'description': 'Default r_dir/x.'}, 'r_dir': {'type': 'str', 'default': '/etc'}}
    base.update(options)
    return {'main': {'options': dict((k, v) for k, v in base.items() if v is not None)},
            'other': {'options': {'r_size': {'type': 'int'}}}}


def test_control_good_spec_passes():
    spec = _spec()
    spec['other']['options']['r_size']['default'] = 2
    assert problems('r', DEFAULTS, spec) == []


def test_control_missing_default_reported():
    found = problems('r', DEFAULTS, _spec())
    assert found == ["r: other, option r_size: no default; defaults/main.yml sets 2"]


def test_control_wrong_and_mistyped_defaults_reported():
    found = problems('r', DEFAULTS, _spec(r_size={'type': 'int', 'default': 3}, r_on={'type': 'bool', 'default': 1}))
    assert "r: main, option r_size: default 3 differs from defaults/main.yml 2" in found
    assert "r: main, option r_on: default 1 differs from defaults/main.yml True" in found


def test_control_template_default_and_silent_description_reported():
    found = problems('r', DEFAULTS, _spec(r_path={'type': 'str', 'default': '{{ r_dir }}/x'}))
    assert any('option r_path: defaults/main.yml templates it' in p and 'not as default' in p for p in found)
    assert any('holds a template' in p for p in found)
    found = problems('r', DEFAULTS, _spec(r_path={'type': 'str', 'description': 'A path.'}))
    assert any('option r_path' in p and 'does not say the default' in p for p in found)


def test_control_public_variable_missing_from_main_reported():
    found = problems('r', DEFAULTS, _spec(r_dir=None))
    assert found[1:] == ["r: r_dir of defaults/main.yml is in no argument spec (not in the main entry point)"]
    spec = _spec(r_dir=None)
    spec['other']['options']['r_dir'] = {'type': 'str', 'default': '/etc'}
    spec['other']['options']['r_size']['default'] = 2
    assert problems('r', DEFAULTS, spec) == ["r: r_dir of defaults/main.yml is missing from the main entry point"]
