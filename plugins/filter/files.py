# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import copy
import os

from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import cert_set


def with_content(specs):
    """node_files input from specs whose src is a controller file: src replaced by that file's content."""
    if not isinstance(specs, list):
        raise AnsibleFilterError('with_content expects a list of file specs')
    out = []
    for spec in specs:
        entry = copy.deepcopy(dict(spec))
        src = entry.pop('src', None)
        if not src:
            raise AnsibleFilterError('with_content: %s has no src' % entry.get('dest'))
        try:
            with open(src, 'rb') as handle:
                data = handle.read()
        except (IOError, OSError) as exc:
            raise AnsibleFilterError('with_content: cannot read %s: %s' % (src, exc))
        try:
            entry['content'] = data.decode('utf-8')
        except UnicodeDecodeError:
            # Binary files (an encrypted key file) travel base64-encoded.
            entry['content_base64'] = base64.b64encode(data).decode('ascii')
        out.append(entry)
    return out


def cert_set_files(step, set_dir, node, remote_dir, owner='root', group='mysql', cert_mode='0644', key_mode='0640',
                   shared_ca=False, client_certs=True, probe=False, placeholder=False):
    """clustersec.mysql.galera_tls_reload files input for one step of putting a staged certificate set on a node:
    each file's content read on the controller, or with placeholder (--check, nothing was issued) a text no real
    file equals, so the step reports every file it would replace."""
    try:
        wanted = cert_set.node_files(step, node, bool(shared_ca), bool(client_certs), bool(probe))
    except ValueError as exc:
        raise AnsibleFilterError('cert_set_files: %s' % exc)
    out = []
    for f in wanted:
        mode = f.get('mode')
        entry = dict(dest='%s/%s' % (remote_dir.rstrip('/'), f['dest']),
                     mode='%04o' % mode if mode else (key_mode if f['secret'] else cert_mode), owner=owner, group=group,
                     secret=f['secret'])
        if placeholder:
            entry['content'] = '--check: not issued %s\n' % f['src']
        else:
            entry['src'] = os.path.join(set_dir, f['src'])
            entry = with_content([entry])[0]
        out.append(entry)
    return out


def node_file_specs(files, remote_dir, owner='root', group='mysql', check_mode=False):
    """The pki role's file specs for a node (controller src, node dest under remote_dir, mode, owner, group, secret),
    without content. In check mode before the first real run, files not made yet are left out (a real run copies
    them)."""
    if not isinstance(files, list):
        raise AnsibleFilterError('node_file_specs expects a list of file specs')
    out = []
    for f in files:
        if check_mode and not os.path.exists(f['src']):
            continue
        out.append({'src': f['src'], 'dest': '%s/%s' % (remote_dir.rstrip('/'), f['dest']), 'mode': f['mode'],
                    'owner': f.get('owner') or owner, 'group': f.get('group') or group, 'secret': f['secret']})
    return out


class FilterModule(object):
    def filters(self):
        return {'with_content': with_content, 'cert_set_files': cert_set_files, 'node_file_specs': node_file_specs}
