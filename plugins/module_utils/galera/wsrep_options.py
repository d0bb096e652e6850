# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""wsrep_provider_options: parse, merge our socket.ssl* keys in, serialise back, and read whether TLS is on.

Only our keys change; every other option the operator set keeps its value and its place.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.clustersec.mysql.plugins.module_utils._common.mycnf import truthy

_KEY = re.compile(r'^[A-Za-z0-9_.]+$')

SSL_KEYS = ('socket.ssl', 'socket.ssl_ca', 'socket.ssl_cert', 'socket.ssl_key', 'socket.ssl_cipher',
            'socket.ssl_password_file', 'socket.dynamic')


def parse(options):
    """'a=1; b = x=y;' -> [('a', '1'), ('b', 'x=y')]. Raises ValueError naming the bad fragment."""
    pairs = []
    if options is None:
        return pairs
    if not isinstance(options, str):
        raise ValueError('wsrep_provider_options must be a string, got %s' % type(options).__name__)
    seen = set()
    for fragment in options.split(';'):
        if not fragment.strip():
            continue
        if '=' not in fragment:
            raise ValueError("wsrep_provider_options: '%s' is not key=value" % fragment.strip())
        key, value = fragment.split('=', 1)
        key, value = key.strip(), value.strip()
        if not _KEY.match(key):
            raise ValueError("wsrep_provider_options: '%s' is not a valid option name (in '%s')" % (key, fragment.strip()))
        if key in seen:
            raise ValueError("wsrep_provider_options: option '%s' is given twice" % key)
        seen.add(key)
        pairs.append((key, value))
    return pairs


def serialise(pairs):
    return '; '.join('%s=%s' % (k, v) for k, v in pairs)


def merge(options, ours=None, remove=None):
    """Set our keys (updating in place or appending) and drop the keys in remove."""
    ours = dict(ours or {})
    remove = set(remove or ())
    for key in list(ours) + list(remove):
        if not _KEY.match(str(key)):
            raise ValueError("wsrep_provider_options: '%s' is not a valid option name" % key)
    out = []
    for key, value in parse(options):
        if key in remove and key not in ours:
            continue
        if key in ours:
            value = ours.pop(key)
        out.append((key, value))
    for key, value in ours.items():
        out.append((key, value))
    return serialise((k, _value(v)) for k, v in out)


def _value(value):
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    value = str(value)
    if ';' in value:
        raise ValueError("wsrep_provider_options: value '%s' must not contain ';'" % value)
    return value


def galera_ssl_options(ca, cert, key, enabled=True, dynamic=False, cipher=None):
    """Our socket.ssl* keys for group communication and IST."""
    if not enabled:
        return {}
    opts = {'socket.ssl': 'yes', 'socket.ssl_ca': ca, 'socket.ssl_cert': cert, 'socket.ssl_key': key}
    if cipher:
        opts['socket.ssl_cipher'] = cipher
    if dynamic:
        opts['socket.dynamic'] = 'yes'
    return opts


def tls_enabled(options):
    """Whether wsrep_provider_options turn group-communication TLS on: socket.ssl, else a certificate and key given.

    Accepts the configured form (key=value;...) and the running form (key = value; ...) of SHOW VARIABLES, and
    is lenient where parse() is strict: it reads what a server runs with, which is not ours to refuse.
    """
    opts = {}
    for fragment in (options or '').split(';'):
        if '=' in fragment:
            key, value = fragment.split('=', 1)
            opts[key.strip().lower()] = value.strip()
    explicit = truthy(opts.get('socket.ssl'))
    if explicit is not None:
        return explicit
    return bool(opts.get('socket.ssl_cert') and opts.get('socket.ssl_key'))
