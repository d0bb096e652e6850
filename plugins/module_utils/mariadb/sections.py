# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MariaDB Galera: the sections of the role's drop-in and the notes written above them, built as PXC's are
(module_utils.pxc.sections); the Galera part and the flavour differences are in module_utils.galera.drop_in.

Controller side: the filters clustersec.mysql.mariadb_galera_sections / mariadb_galera_notes wrap build_sections
and notes; roles/mariadb_galera/templates/galera.cnf.j2 writes them. Plain functions, no Ansible imports.
The output is the one the hand-written template gave for the same input, byte for byte
(tests/unit/roles/mariadb_galera/golden): a changed drop-in restarts the node.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.clustersec.mysql.plugins.module_utils.galera import drop_in as _drop_in
from ansible_collections.clustersec.mysql.plugins.module_utils._common.mycnf import truthy

# SST methods whose tunnel is socat (takes the SST suites as an address option); rsync's stunnel has no cipher setting.
SOCAT_SST_METHODS = ('mariabackup', 'rsync_tunnel')
# Options written in double quotes (their values hold spaces or commas).
QUOTED = ('wsrep_provider_options', 'sockopt')
# Comment lines written above an option ('section option') or a section header ('section').
NOTES = {
    'mysqld ssl_ca': ['3306 trusts only the client CA; Galera and SST below trust only the cluster CA.'],
    'mysqld ssl_crl': ["Revoked certificates (the pki role's pki_revoked); galera's 4567 has no CRL option."],
    'mysqld plugin_load_add': ['Data at rest: keys of the encrypted key file the pki role put here (the same on every '
                               'node, as SST needs).'],
    'client': ["Local tools (mariadb, mariadb-dump, ...) connect with TLS and the node's client certificate."],
    'sst encrypt': ['encrypt=4: socat with certificate, key and CA; the peer must present a certificate of our CA.'],
    'sst ssl-mode': ['rsync SST runs over stunnel when tca/tcert/tkey are set (stunnel4 is checked in pre-flight:',
                     'without it the script falls back to plaintext).'],
}


def _on(settings, key, default=False):
    return truthy(settings.get(key), default)


def _text(value):
    """A value the role generated, as the hand-written template wrote it."""
    if isinstance(value, bool):
        return 'ON' if value else 'OFF'
    if isinstance(value, (list, tuple)):
        return ','.join(str(v) for v in value)
    return '' if value is None else str(value)


def sst_sockopt(settings):
    """What the socat tunnels get: mariadb_galera_sst_sockopt plus cipher= the SST suites unless it names one."""
    if not (_on(settings, 'sst_tls') and settings.get('sst_method') in SOCAT_SST_METHODS):
        return ''
    sockopt = settings.get('sst_sockopt') or ''
    cipher = settings.get('sst_cipher') or ''
    parts = [sockopt] if sockopt else []
    if cipher and not re.search('(^|,)cipher=', sockopt):
        parts.append('cipher=' + cipher)
    return ','.join(parts)


def build_sections(settings):
    """The drop-in as {section: {option: text}}, in the order written; the operator's overrides last.

    settings (roles/mariadb_galera/vars/main.yml __mariadb_galera_settings): the Galera ones of
    galera.drop_in.galera_mysqld; tls_client_server, tls_ca, tls_client_ca, tls_cert, tls_key, tls_crl (empty: no
    CRL), tls_versions, tls_cipher, require_secure_transport, tls_client_cert, tls_client_key; sst_tls, sst_method,
    sst_sockopt, sst_cipher; encrypt_at_rest, at_rest_dir, at_rest_algorithm, at_rest_tables, at_rest_threads,
    at_rest_default_key_id; overrides ({section: {option: value}}, written as given).
    """
    mysqld = _drop_in.galera_mysqld(settings, 'mariadb')
    client_server = _on(settings, 'tls_client_server')
    if client_server:
        mysqld.update([('ssl_ca', settings.get('tls_client_ca')), ('ssl_cert', settings.get('tls_cert')),
                       ('ssl_key', settings.get('tls_key'))])
        if settings.get('tls_crl'):
            mysqld['ssl_crl'] = settings['tls_crl']
        mysqld['tls_version'] = settings.get('tls_versions') or []
        if settings.get('tls_cipher'):
            mysqld['ssl_cipher'] = settings['tls_cipher']
        mysqld['require_secure_transport'] = _on(settings, 'require_secure_transport')
    if _on(settings, 'encrypt_at_rest'):
        at_rest_dir = settings.get('at_rest_dir')
        mysqld.update([
            ('plugin_load_add', 'file_key_management'),
            ('file_key_management_filename', '%s/keys.enc' % at_rest_dir),
            ('file_key_management_filekey', 'FILE:%s/filekey' % at_rest_dir),
            ('file_key_management_encryption_algorithm', settings.get('at_rest_algorithm')),
            ('innodb_encrypt_tables', settings.get('at_rest_tables')),
            ('innodb_encrypt_log', True), ('innodb_encrypt_temporary_tables', True),
            ('innodb_encryption_threads', settings.get('at_rest_threads')),
            ('innodb_default_encryption_key_id', settings.get('at_rest_default_key_id')),
            ('encrypt_tmp_disk_tables', True), ('encrypt_tmp_files', True), ('encrypt_binlog', True),
            ('aria_encrypt_tables', True)])
    sections = {'mysqld': dict((k, _text(v)) for k, v in mysqld.items())}
    if client_server:
        sections['client'] = {'ssl-ca': settings.get('tls_ca'), 'ssl-cert': settings.get('tls_client_cert'),
                              'ssl-key': settings.get('tls_client_key')}
        sections['client-mariadb'] = {'ssl': 'ON'}
    if _on(settings, 'sst_tls'):
        sst = {}
        if settings.get('sst_method') == 'mariabackup':
            sst['encrypt'] = '4'
        elif settings.get('sst_method') == 'rsync':
            sst['ssl-mode'] = 'VERIFY_CA'
        sst.update([('tca', settings.get('tls_ca')), ('tcert', settings.get('tls_cert')), ('tkey', settings.get('tls_key'))])
        sockopt = sst_sockopt(settings)
        if sockopt:
            sst['sockopt'] = sockopt
        sections['sst'] = sst
    for options in sections.values():
        for key in QUOTED:
            if key in options:
                options[key] = '"%s"' % options[key]
    # As the template wrote them: str() of the value, whatever its type.
    overrides = dict((section, dict((k, str(v)) for k, v in (options or {}).items()))
                     for section, options in (settings.get('overrides') or {}).items())
    return _drop_in.apply_overrides(sections, overrides, 'mariadb')


def notes(sections):
    """The comment lines of NOTES that apply to these sections: {'section' or 'section option': [lines]}."""
    out = {}
    for section, options in sections.items():
        for key in [section] + ['%s %s' % (section, option) for option in options]:
            if key in NOTES:
                out[key] = NOTES[key]
    return out
