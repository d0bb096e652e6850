# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client-server TLS of the MySQL servers PXC is built on, where the releases differ (issue 27).

Ciphers: MySQL 8.1 and later (so PXC 8.4, MySQL 9.7) take an ssl_cipher only as names of the server's own TLS 1.2
list (sql/ssl_init_callback.cc validate_ciphers(); the list is include/tls_ciphers.h default_tls12_ciphers); any
other entry stops the server with ER_BLOCKED_CIPHER (MY-015104). 8.0 hands the string to OpenSSL (aliases work).

Reload: from 8.1 (tls_certificates_enforced_validation appeared with it) the server verifies its own certificate
against ssl_ca (sql/ssl_acceptor_context_data.cc). Where ssl_ca is a client CA that did not sign the node
certificate (manual mode), the start only warns, but ALTER INSTANCE RELOAD TLS fails with 3888 "Invalid
certificates" and keeps the old context (TLS_channel::singleton_flush). The new context WAS built: only the
self-check failed, so the same reload with NO ROLLBACK ON ERROR installs it (a warning instead of the error) and
ssl_ca stays the client CA. 8.0 only logs ER_SSL_SERVER_CERT_VERIFY_FAILED and reloads.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import re
import ssl

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import tls_policy
from ansible_collections.clustersec.mysql.plugins.module_utils.probes.tls_probe import probe_mysql

# include/tls_ciphers.h default_tls12_ciphers of MySQL 8.4 and 9.7 (the same 13 names).
MYSQL_TLS12_CIPHERS = (
    'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-ECDSA-AES256-CCM', 'ECDHE-ECDSA-AES128-CCM', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-RSA-CHACHA20-POLY1305', 'DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-AES256-GCM-SHA384', 'DHE-RSA-AES256-CCM',
    'DHE-RSA-AES128-CCM', 'DHE-RSA-CHACHA20-POLY1305')
# The role's default: forward-secret AEAD (ECDHE with GCM or ChaCha20-Poly1305) by name, which PXC 8.0 (OpenSSL),
# PXC 8.4 and MySQL 9.7 (their list above) all accept: what ECDHE+AESGCM:ECDHE+CHACHA20 selected.
SECURE_CIPHER_NAMES = tls_policy.SECURE_CIPHER_NAMES
# 3888 ER_DA_SSL_LIBRARY_ERROR with SSL_INITERR_INVALID_CERTIFICATES: set only by the self-check; a context that
# could not be built (key mismatch, unreadable file, ...) names its own error instead (vio/viosslfactories.cc).
SELF_CHECK_ERROR = re.compile(r'\b3888\b.*Invalid certificates', re.S)
NO_ROLLBACK = ' NO ROLLBACK ON ERROR'


def series(version):
    """(major, minor) of '8.4', '8.0.36-28.1' or '9.7.4-2'; None when it cannot be read."""
    match = re.match(r'^\s*(\d+)\.(\d+)', str(version or ''))
    return (int(match.group(1)), int(match.group(2))) if match else None


def names_only(version):
    """Whether this server takes ssl_cipher only as names of its list (8.1 and later)."""
    found = series(version)
    return found is not None and found >= (8, 1)


def cipher_problems(cipher, version):
    """Why a server of this version would refuse ssl_cipher at start (nothing for 8.0 or an empty string).

    Stricter than validate_ciphers(), which takes any substring of its list ('ECDHE' passes there but means every
    ECDHE suite to OpenSSL) and skips '!' entries: only exact names are taken, so the string means the same to
    the check and to OpenSSL.
    """
    if not cipher or not names_only(version):
        return []
    entries = [e.strip() for e in str(cipher).split(':')]
    bad = [e for e in entries if e not in MYSQL_TLS12_CIPHERS]
    if not bad:
        return []
    return ["ssl_cipher '%s': %s %s not among the cipher names MySQL/PXC %s accepts, the server would not start "
            "(ER_BLOCKED_CIPHER, MY-015104; 8.1 and later take only names of their TLS 1.2 list, no OpenSSL aliases "
            "or '!', '+', '-' operators): use names from %s, e.g. the default %s"
            % (cipher, ', '.join("'%s'" % b for b in bad), 'is' if len(bad) == 1 else 'are', version,
               ':'.join(MYSQL_TLS12_CIPHERS), SECURE_CIPHER_NAMES)]


def is_self_check_refusal(message):
    """ALTER INSTANCE RELOAD TLS refused only because the server certificate does not verify against ssl_ca."""
    return bool(SELF_CHECK_ERROR.search(message or ''))


def no_rollback(statements):
    """The statements with NO ROLLBACK ON ERROR added to ALTER INSTANCE RELOAD TLS (the others unchanged)."""
    out = []
    for statement in statements:
        text = statement.strip().rstrip(';')
        if re.match(r'^ALTER\s+INSTANCE\s+RELOAD\s+TLS\b', text, re.I) and not re.search(r'NO\s+ROLLBACK', text, re.I):
            text += NO_ROLLBACK
        out.append(text)
    return out


def reload(run_command, client, statements, served=None, fingerprint_of=None, served_fingerprint=None):
    """Run the reload statements in one client call; retry once with NO ROLLBACK ON ERROR when the only refusal
    was the self-check (8.1+ with a client CA as ssl_ca); then, if served is given, compare the certificate the
    port serves with the one in served['cert'].

    run_command(args) -> (rc, out, err); served: {'cert': path, 'host': ..., 'port': ...};
    fingerprint_of(path) -> sha256 hex of the certificate file; served_fingerprint(host, port) -> (sha256 hex or
    None, error). Returns a dict: reloaded (bool), reload_error ('' when reloaded), no_rollback (the retry ran),
    served (what the port showed, when checked). Never reports reloaded when the port kept another certificate.
    """
    result = {'reloaded': False, 'reload_error': '', 'no_rollback': False}
    rc, dummy, err = run_command(list(client) + ['-N', '-B', '-e', '; '.join(statements)])
    if rc != 0 and is_self_check_refusal(err):
        # Only the self-check failed: the same files with NO ROLLBACK ON ERROR (ssl_ca unchanged, no restart).
        result['no_rollback'] = True
        first = err.strip()
        rc, dummy, err = run_command(list(client) + ['-N', '-B', '-e', '; '.join(no_rollback(statements))])
        if rc != 0:
            err = '%s; with NO ROLLBACK ON ERROR: %s' % (first, (err or '').strip() or 'client exit code %d' % rc)
    if rc != 0:
        result['reload_error'] = (err or '').strip() or 'client exit code %d' % rc
        return result
    if served:
        expected = fingerprint_of(served['cert'])
        seen, problem = served_fingerprint(served['host'], int(served['port']))
        result['served'] = {'host': served['host'], 'port': int(served['port']), 'sha256_fingerprint': seen,
                            'expected': expected}
        if seen != expected:
            result['reload_error'] = ('the reload reported success but %s:%s serves %s, not %s (%s)%s: the server kept '
                                      'another certificate' % (served['host'], served['port'], seen or 'no certificate',
                                                               expected, served['cert'],
                                                               ' - %s' % problem if problem else ''))
            return result
    result['reloaded'] = True
    return result


def cert_fingerprint(path):
    """sha256 hex of the first certificate of a PEM file (what a TLS peer sees as the leaf)."""
    with open(path) as handle:
        text = handle.read()
    match = re.search(r'-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----', text, re.S)
    if not match:
        raise ValueError('%s holds no PEM certificate' % path)
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(match.group(0))).hexdigest()


def served_fingerprint(host, port, timeout=5.0):
    """(sha256 hex of the certificate the MySQL port presents after STARTTLS, error or None); not verified: only
    which certificate it is matters here."""
    found = probe_mysql(host, port, timeout=timeout)
    return found.get('sha256_fingerprint'), found.get('error') or found.get('verify_error')
