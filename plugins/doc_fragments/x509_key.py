# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r'''
options:
  key_type:
    description: Type of the keys generated.
    type: str
    choices: [rsa, ecdsa]
    default: rsa
  key_size:
    description: RSA key size in bits.
    type: int
    choices: [2048, 3072, 4096]
    default: 2048
  curve:
    description: ECDSA curve.
    type: str
    choices: [P-256, P-384]
    default: P-256
requirements:
  - cryptography >= 38.0 (Python library, on the host the module runs on)
'''
