# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TLS profile every channel gets by default, and the checks of an operator's own settings.

Default: TLS 1.2 and 1.3 only; TLS 1.2 limited to forward-secret (ECDHE/DHE) AEAD suites. TLS 1.3
suites are all forward-secret AEAD and are left to the library. Weakening any of it, letting
clients log in without TLS or peers join without it (socket.dynamic), needs a named opt-out
(`<role>_allow_insecure`) that the report shows amber; a cipher string that leaves no suite, or a
value with a line break (it would write lines of its own into the option file), is refused whatever
the opt-outs.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ssl

SECURE_VERSIONS = ('TLSv1.2', 'TLSv1.3')
KNOWN_VERSIONS = ('TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3')
# No colon-free form is needed by socat (colons inside an option value are fine there), but the
# same short list is valid for OpenSSL in mysqld, galera (asio) and socat.
SECURE_CIPHERS = 'ECDHE+AESGCM:ECDHE+CHACHA20'
# The same suites by name, for servers that take no OpenSSL aliases (MySQL 8.1+, so PXC 8.4: MY-015104); the pxc role's
# default (pxc_tls.py). Its own order: AES-128 before AES-256, ChaCha20 last, as in MySQL's list.
SECURE_CIPHER_NAMES = ('ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:'
                       'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305')
# Suites an attacker-side probe offers to find a server that still accepts weak TLS 1.2 suites:
# CBC modes and static-RSA key exchange.
WEAK_PROBE_CIPHERS = ('AES128-SHA:AES256-SHA:AES128-SHA256:AES256-SHA256:AES128-GCM-SHA256:AES256-GCM-SHA384:'
                      'ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:'
                      'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA256:'
                      'ECDHE-ECDSA-AES256-SHA384:DHE-RSA-AES128-SHA:DHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA256:'
                      'DHE-RSA-AES256-SHA256:@SECLEVEL=0')

# Named opt-outs, what each allows, and the variable settings that need it.
OPT_OUTS = {
    'plaintext_clients': 'clients may log in without TLS (require_secure_transport OFF)',
    'weak_tls': 'protocols below TLS 1.2 or TLS 1.2 suites without forward secrecy or AEAD',
    'shared_ca': 'one CA for cluster peers and clients: any client certificate is a cluster peer',
    'unencrypted_channels': 'a channel without TLS',
    # socket.dynamic: the half-open state of enable_tls_online.yml's first step, which grants it for that step only.
    'plaintext_peers': 'group communication also accepts peers without TLS (socket.dynamic)',
    # galera-4's socket.ssl_reload only adds CAs to its trust store (docs/trust.md).
    'previous_ca_until_restart': 'after a CA rotation, group communication accepts certificates of the previous CA '
                                 'until each node restarts (the rotation reloads only)',
    # Data at rest, not TLS; kept in the one list so every role validates and the report marks it the same way.
    'unencrypted_tables': 'innodb_encrypt_tables=ON: a table created or altered with ENCRYPTED=NO stays in clear',
}


class PolicyError(ValueError):
    """A setting that no opt-out can make work."""


def line_break_problems(value, variable):
    """One line per string in value (nested dicts and lists, keys included) that holds a CR or LF: rendered into an
    option file it would start lines of its own (a new [section], an option of the attacker's choosing)."""
    out = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = '%s[%s]' % (variable, _printable(key))
            if _has_line_break(key):
                out.append('%s: the key holds a line break (\\r or \\n), which would write a line of its own into the '
                           'option file (no opt-out accepts this)' % where)
            out.extend(line_break_problems(item, where))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            out.extend(line_break_problems(item, '%s[%d]' % (variable, index)))
    elif _has_line_break(value):
        out.append('%s=%s holds a line break (\\r or \\n), which would write a line of its own into the option file '
                   '(no opt-out accepts this)' % (variable, _printable(value)))
    return out


def _has_line_break(value):
    return isinstance(value, (type(''), type(u''))) and ('\n' in value or '\r' in value)


def _printable(value):
    """A value for a message, line breaks shown as escapes (the message itself stays one line)."""
    return repr(value) if _has_line_break(value) else str(value)


def risky_sockopt(text):
    """The socat options of an SST sockopt string that switch peer verification off or pin one peer name."""
    opts = [o.strip().lower() for o in str(text or '').strip().strip('"\'').split(',')]
    return [o for o in opts if o in ('verify=0', 'verify=false', 'verify=no') or o.startswith('commonname=')]


def expand_ciphers(cipher_string):
    """The TLS 1.2 suites an OpenSSL cipher string selects (TLS 1.3 suites are not governed by it)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        ctx.set_ciphers(cipher_string)
    except ssl.SSLError:
        return []
    return [c for c in ctx.get_ciphers() if c.get('protocol') != 'TLSv1.3']


def weak_suite(cipher):
    """True when a TLS 1.2 suite lacks forward secrecy or AEAD."""
    return not cipher.get('aead') or cipher.get('kea') not in ('kx-ecdhe', 'kx-dhe')


def cipher_problems(cipher_string, allow_weak=False):
    """Problems of an operator's cipher string ('' means our profile). Raises PolicyError when it
    selects no suite at all."""
    if not cipher_string:
        return []
    suites = expand_ciphers(cipher_string)
    if not suites:
        raise PolicyError("cipher string '%s' selects no TLS 1.2 suite" % cipher_string)
    weak = [c['name'] for c in suites if weak_suite(c)]
    if weak and not allow_weak:
        return ["cipher string '%s' admits suites without forward secrecy or AEAD (%s%s)"
                % (cipher_string, ', '.join(weak[:4]), ', ...' if len(weak) > 4 else '')]
    return []


def version_problems(versions, allow_weak=False):
    versions = list(versions or [])
    if not versions:
        raise PolicyError('no TLS protocol version is allowed')
    unknown = [v for v in versions if v not in KNOWN_VERSIONS]
    if unknown:
        raise PolicyError('unknown TLS version(s) %s; use %s' % (', '.join(unknown), ', '.join(KNOWN_VERSIONS)))
    old = [v for v in versions if v not in SECURE_VERSIONS]
    if old and not allow_weak:
        return ['TLS versions %s are below TLS 1.2' % ', '.join(old)]
    return []


def unknown_opt_outs(allowed):
    return [a for a in allowed or [] if a not in OPT_OUTS]


def settings_problems(settings, allowed=()):
    """Check one node's TLS settings against the profile.

    settings: dict with optional keys tls_versions (list), ciphers (dict channel -> cipher string,
    '' = profile), require_secure_transport (bool), shared_ca (bool), unencrypted (list of channel
    names), dynamic (bool, socket.dynamic), sst_sockopt (the socat options of the SST tunnel),
    rendered ({variable: value} of everything written into the option file). allowed: the named
    opt-outs. Returns a list of problem strings (each names the opt-out that would accept it, or says
    that none does); raises PolicyError for settings no opt-out can make work.
    """
    allowed = list(allowed or [])
    bad = unknown_opt_outs(allowed)
    if bad:
        raise PolicyError('unknown opt-out(s) %s; known: %s' % (', '.join(bad), ', '.join(sorted(OPT_OUTS))))
    weak_ok = 'weak_tls' in allowed
    problems = []

    def need(opt_out, text):
        problems.append("%s; add '%s' to the allow_insecure list to accept it (the report will show it amber)"
                        % (text, opt_out))

    if 'tls_versions' in settings:
        for p in version_problems(settings['tls_versions'], weak_ok):
            need('weak_tls', p)
    for channel, cipher in sorted((settings.get('ciphers') or {}).items()):
        try:
            for p in cipher_problems(cipher, weak_ok):
                need('weak_tls', '%s: %s' % (channel, p))
        except PolicyError as exc:
            raise PolicyError('%s: %s' % (channel, exc))
    if settings.get('require_secure_transport') is False and 'plaintext_clients' not in allowed:
        need('plaintext_clients', 'require_secure_transport is off, so clients may log in without TLS')
    if settings.get('shared_ca') and 'shared_ca' not in allowed:
        need('shared_ca', 'peers and clients share one CA, so every client certificate is a cluster peer')
    unencrypted = list(settings.get('unencrypted') or [])
    if unencrypted and 'unencrypted_channels' not in allowed:
        need('unencrypted_channels', 'TLS is off for %s' % ', '.join(unencrypted))
    for weakening in weakenings(settings):
        if weakening['opt_out'] not in allowed:
            need(weakening['opt_out'], weakening['finding'])
    for name, value in sorted((settings.get('rendered') or {}).items()):
        problems.extend(line_break_problems(value, name))
    return problems


def weakenings(settings):
    """Weakenings the settings configure that no probe can see from outside (the SST tunnel listens only during a
    transfer; socket.dynamic is also proven by the plaintext peer probe): [{channel, finding, opt_out}].
    settings_problems refuses them without their opt-out; the report shows them amber with it."""
    out = []
    if settings.get('dynamic'):
        out.append({'channel': 'group-communication', 'opt_out': 'plaintext_peers',
                    'finding': 'socket.dynamic is on, so group communication also accepts peers without TLS (meant '
                               'only for the first step of playbooks/enable_tls_online.yml)'})
    risky = risky_sockopt(settings.get('sst_sockopt'))
    if risky:
        out.append({'channel': 'sst', 'opt_out': 'weak_tls',
                    'finding': 'the SST tunnel options contain %s, so the tunnel does not check which peer it '
                               'talks to' % ', '.join(risky)})
    return out


def accepted_weakenings(settings, allowed=()):
    """The weakenings() an opt-out in allowed accepts, each finding marked with it (amber in the report)."""
    return [dict(w, finding='%s [accepted opt-out %s]' % (w['finding'], w['opt_out']))
            for w in weakenings(settings or {}) if w['opt_out'] in (allowed or ())]


# Options of ours that an override must not replace: each has a role variable, which goes through
# the checks above. Keys are compared the way my.cnf does (dashes and underscores alike).
_OWNED = {
    'mysqld': ('ssl_ca', 'ssl_cert', 'ssl_key', 'ssl_cipher', 'tls_version', 'require_secure_transport', 'ssl',
               'skip_ssl', 'wsrep_provider_options', 'pxc_encrypt_cluster_traffic'),
    'galera': ('wsrep_provider_options',),
    'client': ('ssl_ca', 'ssl_cert', 'ssl_key', 'ssl'),
    'client-mariadb': ('ssl',),
    'sst': ('tca', 'tcert', 'tkey', 'ssl_ca', 'ssl_cert', 'ssl_key'),
}


def _norm(key):
    return str(key).strip().lower().replace('-', '_')


def override_problems(overrides, allowed=(), variable='config_overrides'):
    """Problems of a {section: {key: value}} override dict that would weaken or replace our TLS settings.

    Keys we own are refused outright (their role variable is the way to change them, checked above);
    SST weakenings need an opt-out: ssl-mode DISABLED or an encrypt mode without certificate checks
    (unencrypted_channels / weak_tls), socat options that switch verification off or pin a name
    (weak_tls). A section, key or value with a line break is refused whatever the opt-outs."""
    allowed = list(allowed or [])
    out = line_break_problems(overrides or {}, variable)
    for section, options in sorted((overrides or {}).items(), key=lambda item: str(item[0])):
        sec = str(section).strip().lower()
        if not isinstance(options, dict):
            out.append('%s[%s] must be a dict of option: value' % (variable, section))
            continue
        owned = set(_norm(k) for k in _OWNED.get(sec, ()))
        for key, value in sorted(options.items()):
            name, text = _norm(key), str(value).strip().strip('"\'')
            where = '%s[%s][%s]' % (variable, section, key)
            if name in owned:
                out.append('%s would replace a TLS setting of ours; set it through the role variable '
                           '(no opt-out accepts this)' % where)
            elif sec == 'sst' and name == 'ssl_mode' and text.upper() in ('DISABLED', 'PREFERRED', 'REQUIRED'):
                if 'unencrypted_channels' not in allowed and text.upper() == 'DISABLED':
                    out.append("%s=%s turns SST encryption off; add 'unencrypted_channels' to the allow_insecure "
                               "list to accept it" % (where, text))
                elif 'weak_tls' not in allowed and text.upper() != 'DISABLED':
                    out.append("%s=%s does not verify the peer's certificate; add 'weak_tls' to the allow_insecure "
                               "list to accept it" % (where, text))
            elif sec == 'sst' and name == 'encrypt' and text != '4':
                opt_out = 'unencrypted_channels' if text == '0' else 'weak_tls'
                if opt_out not in allowed:
                    out.append("%s=%s is weaker than encrypt=4 (certificate, key and CA checked); add '%s' to the "
                               "allow_insecure list to accept it" % (where, text, opt_out))
            elif sec == 'sst' and name == 'sockopt':
                risky = risky_sockopt(text) + [o.strip().lower() for o in text.split(',')
                                               if o.strip().lower().startswith('cipher=')]
                if risky and 'weak_tls' not in allowed:
                    out.append("%s contains %s (peer verification or suites of ours); add 'weak_tls' to the "
                               "allow_insecure list to accept it" % (where, ', '.join(risky)))
    return out
