# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL option files (my.cnf): option names, values, reading and writing, the way the server does it.

Kept apart from any one product so that every role checking or writing option files (Percona XtraDB Cluster,
MariaDB Galera) compares names and reads values by the same rules: '-' and '_' alike, case ignored, 'loose-'
ignored, quotes and trailing comments removed. Plain functions, no Ansible imports.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

_TRUE = ('1', 'on', 'yes', 'true')
_FALSE = ('0', 'off', 'no', 'false')
_NEEDS_QUOTES = re.compile(r'[\s;#\'\\]')


def norm(key):
    """my.cnf option names: '-' and '_' are the same, case does not matter, 'loose-' only softens errors."""
    key = str(key).strip().lower().replace('_', '-')
    if key.startswith('loose-'):
        key = key[len('loose-'):]
    return key


def find(options, key):
    """(name as written, value) of key in a section's dict, comparing normalised names; (None, None) if absent.

    The last match wins, as the server keeps the last of repeated options.
    """
    wanted = norm(key)
    found = (None, None)
    for name, value in (options or {}).items():
        if norm(name) == wanted:
            found = (name, value)
    return found


def has(options, key):
    """Whether a section's dict sets key under any of its spellings."""
    return find(options, key)[0] is not None


def value_of(options, key):
    """The value of key in a section's dict under any of its spellings; None if absent or a bare option."""
    return find(options, key)[1]


def unquote(value):
    """A value without the surrounding quotes the server strips; None stays None."""
    if value is None:
        return None
    value = str(value).strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
        return value[1:-1]
    return value


def truthy(value, default=None):
    """A boolean option as the server reads it (1/ON/YES/TRUE, 0/OFF/NO/FALSE); default when absent or other."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = unquote(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return default


def format_value(value):
    """A value as it goes into my.cnf: None -> bare option, bool -> ON/OFF, list -> comma list, quoted when needed."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 'ON' if value else 'OFF'
    if isinstance(value, (list, tuple)):
        value = ','.join(str(v) for v in value)
    value = str(value)
    if '\n' in value or '\r' in value or '"' in value:
        raise ValueError('my.cnf value %r must not contain a line break (\\r or \\n) or a double quote' % value)
    if value == '' or _NEEDS_QUOTES.search(value):
        return '"%s"' % value.replace('\\', '\\\\')
    return value


def parse_cnf(text):
    """my.cnf text -> {section: {option: value or None}} (later lines win). !include lines are ignored."""
    sections = {}
    current = None
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line or line[0] in '#;!':
            continue
        if line.startswith('['):
            end = line.find(']')
            current = sections.setdefault(line[1:end if end > 0 else None].strip().lower(), {})
            continue
        if current is None:
            continue
        if '=' in line:
            key, value = line.split('=', 1)
            current[key.strip()] = unquote(_strip_comment(value))
        else:
            current[_strip_comment(line)] = None
    return sections


def _strip_comment(value):
    """Cut a trailing '# comment', but not a '#' inside quotes (a path or a cipher list may hold one)."""
    out, quote = [], None
    for ch in value:
        if quote:
            if ch == quote:
                quote = None
        elif ch in '"\'':
            quote = ch
        elif ch == '#':
            break
        out.append(ch)
    return ''.join(out).strip()
