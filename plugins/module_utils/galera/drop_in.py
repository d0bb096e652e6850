# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Galera part of a flavour's drop-in, written once for MariaDB (module_utils.mariadb.sections) and PXC
(module_utils.pxc.sections); what differs between the two is data in FLAVOURS, the only place it is kept.

Plain functions, no Ansible imports. Values are returned raw (the flavour's builder formats them).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

FLAVOURS = {
    'mariadb': {
        # MariaDB needs wsrep_on; it writes every node setting even when empty (the role always has them).
        'wsrep_on': True,
        'always': ('bind_address', 'node_name', 'node_address'),
        'provider': '/usr/lib/galera/libgalera_smm.so',
        'sst_method': 'mariabackup',
        # Overrides of a section come last in it (a later line wins in MariaDB's option files).
        'overrides': 'last',
    },
    'pxc': {
        'wsrep_on': False,
        'always': (),
        'provider': '/usr/lib/galera4/libgalera_smm.so',
        'sst_method': 'xtrabackup-v2',
        # Overrides replace an option where it is (the name matched as the server matches it).
        'overrides': 'in_place',
    },
}


def _setting(settings, key, default=None):
    value = settings.get(key, default)
    return default if value is None else value


def galera_mysqld(settings, flavour):
    """The [mysqld] settings every Galera node has, in the order written, as {option: raw value}.

    settings: bind_address, provider, cluster_name, cluster_address (peer list), node_name, node_address,
    sst_method, provider_options (already merged with wsrep_options_merge).
    """
    data = FLAVOURS[flavour]
    always = data['always']
    mysqld = {'binlog_format': 'ROW', 'default_storage_engine': 'InnoDB', 'innodb_autoinc_lock_mode': '2'}
    if 'bind_address' in always or settings.get('bind_address'):
        mysqld['bind_address'] = _setting(settings, 'bind_address', '')
    if data['wsrep_on']:
        mysqld['wsrep_on'] = True
    mysqld['wsrep_provider'] = _setting(settings, 'provider', data['provider'])
    mysqld['wsrep_cluster_name'] = _setting(settings, 'cluster_name', 'clustersec')
    mysqld['wsrep_cluster_address'] = 'gcomm://' + ','.join(str(h) for h in _setting(settings, 'cluster_address', []))
    for name in ('node_name', 'node_address'):
        if name in always or settings.get(name):
            mysqld['wsrep_' + name] = _setting(settings, name, '')
    mysqld['wsrep_sst_method'] = _setting(settings, 'sst_method', data['sst_method'])
    if settings.get('provider_options'):
        mysqld['wsrep_provider_options'] = settings['provider_options']
    return mysqld


def apply_overrides(sections, overrides, flavour, find=None):
    """The operator's {section: {option: value}} into sections, the flavour's way (FLAVOURS[...]['overrides']).

    find(options, key) -> (name in options or None, value): how the flavour matches an option name ('in_place').
    """
    mode = FLAVOURS[flavour]['overrides']
    for section, options in (overrides or {}).items():
        target = sections.setdefault(section, {})
        for key, value in (options or {}).items():
            if mode == 'last':
                target.pop(str(key), None)
                target[str(key)] = value
            else:
                name = find(target, key)[0] if find else None
                target[name if name is not None else str(key)] = value
    return sections
