# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import copy

from ansible.errors import AnsibleFilterError


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


class FilterModule(object):
    def filters(self):
        return {'with_content': with_content}
