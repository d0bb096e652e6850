# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL NDB Cluster passwords: the rules a file system or backup password must follow, and the hex form.

Checked on the controller (filters ndb_password_problems, ndb_password_hex) so that a password the data nodes
would refuse stops the play before any node is restarted. No function here puts a password (or anything derived
from it, except hexify's result) into a message. Pure Python, no Ansible import.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import binascii

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb.error import NdbError

# File system password (ndbmtd --filesystem-password*, [ndbd] filesystem-password).
FS_PASSWORD_FORBIDDEN = "!'\"`$%\\^"
FS_PASSWORD_MAX = 512
# Backup password (START BACKUP ENCRYPT PASSWORD=...): the manual lists these characters and 256.
BACKUP_PASSWORD_FORBIDDEN = "!'\"$%\\^"
BACKUP_PASSWORD_MAX = 256


def _printable_ascii(char):
    return 0x20 <= ord(char) <= 0x7e


def password_problems(password, kind='filesystem', max_length=None, name='password', encoding='plain'):
    """Every rule the password breaks, as sentences naming position and rule, never the password.

    kind 'filesystem' applies the data node rules (no ! ' " ` $ % \\ ^, at most 512 characters),
    'backup' those of START BACKUP ENCRYPT PASSWORD (no ! ' " $ % \\ ^, at most 256).
    encoding 'hex': the password is delivered in its hex form, which only has to fit in 512 characters.
    """
    if encoding == 'hex' and kind == 'filesystem':
        if password is None or password == '':
            return ['%s is empty' % name]
        raw = password if isinstance(password, bytes) else str(password).encode('utf-8')
        if 2 * len(raw) > FS_PASSWORD_MAX:
            return ['the hex form of %s is %d characters long; at most %d are allowed (a secret of at most %d bytes)'
                    % (name, 2 * len(raw), FS_PASSWORD_MAX, FS_PASSWORD_MAX // 2)]
        return []
    if encoding not in ('plain', 'hex'):
        return ["unknown password encoding '%s' (plain or hex)" % encoding]
    if kind == 'filesystem':
        forbidden, limit = FS_PASSWORD_FORBIDDEN, FS_PASSWORD_MAX
    elif kind == 'backup':
        forbidden, limit = BACKUP_PASSWORD_FORBIDDEN, BACKUP_PASSWORD_MAX
    else:
        raise NdbError("unknown password kind '%s' (filesystem or backup)" % kind)
    limit = max_length or limit
    if password is None or password == '':
        return ['%s is empty' % name]
    if isinstance(password, bytes):
        return ['%s is binary; give its hex form (ndb_password_hex)' % name]
    if not isinstance(password, str):
        return ['%s must be a string, not %s' % (name, type(password).__name__)]
    problems = []
    if len(password) > limit:
        problems.append('%s is %d characters long; at most %d are allowed' % (name, len(password), limit))
    bad_pos = [i + 1 for i, c in enumerate(password) if c in forbidden]
    odd_pos = [i + 1 for i, c in enumerate(password) if not _printable_ascii(c)]
    shown = ' '.join(forbidden)
    if bad_pos:
        problems.append('%s contains a forbidden character at position %s (none of %s may be used)'
                        % (name, _positions(bad_pos), shown))
    if odd_pos:
        problems.append('%s contains a character that is not printable ASCII at position %s'
                        % (name, _positions(odd_pos)))
    if (bad_pos or odd_pos) and kind == 'filesystem':
        raw = len(password.encode('utf-8'))
        if 2 * raw <= FS_PASSWORD_MAX:
            problems.append('use its hex form instead: set ndb_tde_password_encoding: hex (%d hex characters, '
                            'the hex text becomes the file system password)' % (2 * raw))
        else:
            problems.append('its hex form would be %d characters, more than %d: choose a shorter secret'
                            % (2 * raw, FS_PASSWORD_MAX))
    return problems


def _positions(positions):
    text = ', '.join(str(p) for p in positions[:5])
    return text + (' and %d more' % (len(positions) - 5) if len(positions) > 5 else '')


def hexify(secret):
    """Hex form of a secret (str as UTF-8, or bytes): only 0-9a-f, accepted by every rule."""
    if isinstance(secret, str):
        secret = secret.encode('utf-8')
    if not isinstance(secret, bytes):
        raise NdbError('a secret to hexify must be text or bytes, not %s' % type(secret).__name__)
    if not secret:
        raise NdbError('cannot hexify an empty secret')
    out = binascii.hexlify(secret).decode('ascii')
    if len(out) > FS_PASSWORD_MAX:
        raise NdbError('the hex form is %d characters long; at most %d are allowed (a secret of at most %d bytes)'
                       % (len(out), FS_PASSWORD_MAX, FS_PASSWORD_MAX // 2))
    return out
