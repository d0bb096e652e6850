# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The size of finite-field DH parameters (dhparams.pem) and what stops a good file from being placed.

SST tools (xtrabackup's socat, stunnel) read dhparams.pem from the data directory; parameters below
DEFAULT_DHPARAMS_BITS weaken every SST. The parser reads the DER by hand: no library is needed on the node,
and cryptography deprecates its finite-field DH API. Plain functions, no Ansible imports.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import binascii
import os
import re

DEFAULT_DHPARAMS_BITS = 2048

_PEM_DH = re.compile(r'-----BEGIN (X9\.42 )?DH PARAMETERS-----(.*?)-----END (X9\.42 )?DH PARAMETERS-----', re.S)


def _der_length(der, pos):
    first = der[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7f
    if count == 0 or count > 4 or pos + 1 + count > len(der):
        raise ValueError('bad DER length')
    return int(binascii.hexlify(der[pos + 1:pos + 1 + count]), 16), pos + 1 + count


def dh_bits_from_pem(data):
    """Size in bits of the prime p of PEM DH parameters (PKCS#3 or X9.42: SEQUENCE { INTEGER p, ... }).

    Raises ValueError for anything else, so that a wrong file is reported instead of being taken as small.
    """
    if isinstance(data, bytes):
        data = data.decode('ascii', 'replace')
    match = _PEM_DH.search(data or '')
    if not match:
        raise ValueError('no "BEGIN DH PARAMETERS" block')
    try:
        der = bytearray(base64.b64decode(''.join(match.group(2).split())))
    except (binascii.Error, TypeError) as exc:
        raise ValueError('bad base64: %s' % exc)
    try:
        if der[0] != 0x30:
            raise ValueError('not a DER SEQUENCE')
        dummy, pos = _der_length(der, 1)
        if der[pos] != 0x02:
            raise ValueError('the first element is not an INTEGER')
        length, pos = _der_length(der, pos + 1)
        prime = der[pos:pos + length]
    except IndexError:
        raise ValueError('truncated DER')
    if len(prime) != length or not length:
        raise ValueError('truncated DER')
    return int(binascii.hexlify(prime), 16).bit_length()


def read_dhparams_bits(path):
    """dh_bits_from_pem of a file."""
    with open(path, 'rb') as handle:
        return dh_bits_from_pem(handle.read())


def read_dhparams(path, read_bits=read_dhparams_bits):
    """{'path', 'exists', 'bits' (None if unreadable), 'error'} of a file, never raising: a check reports all."""
    entry = {'path': path, 'exists': bool(path) and os.path.isfile(path), 'bits': None, 'error': None}
    if entry['exists']:
        try:
            entry['bits'] = read_bits(path)
        except (OSError, IOError, ValueError) as exc:
            entry['error'] = str(exc)
    return entry


def dhparams_problems(target, source, minimum=DEFAULT_DHPARAMS_BITS):
    """target/source: {'path', 'exists', 'bits' (None if unreadable), 'error'}. What stops placing a good file."""
    out = []
    for label, entry in (('source', source), ('data directory', target)):
        if not entry or not entry.get('exists'):
            continue
        if entry.get('bits') is None:
            out.append('dhparams.pem (%s) %s cannot be read as DH parameters: %s' % (label, entry['path'], entry.get('error')))
    if source and source.get('exists') and source.get('bits') is not None and source['bits'] < minimum:
        out.append('dhparams.pem %s has %d bits, below %d' % (source['path'], source['bits'], minimum))
    elif (not source or not source.get('exists')) and target and target.get('exists') \
            and target.get('bits') is not None and target['bits'] < minimum:
        out.append('%s has %d bits, below %d (SST would use it); remove it so the role generates a new one'
                   % (target['path'], target['bits'], minimum))
    return out
