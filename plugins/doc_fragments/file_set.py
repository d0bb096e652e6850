# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    # The file set node_files writes and galera_node_state compares (module_utils/_common/file_swap.py, FILE_SET_SPEC).
    DOCUMENTATION = r'''
options:
  directories:
    description: Directories that hold the files, made or given their mode and owner first.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Its path.
        type: path
        required: true
      mode:
        description: Its mode, octal string.
        type: str
        default: '0755'
      owner:
        description: Its owner.
        type: str
      group:
        description: Its group.
        type: str
  files:
    description: The files (certificates and keys, a drop-in).
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Where the file goes.
        type: path
        required: true
      content:
        description: What it holds (text); one of O(files[].content), O(files[].content_base64) and O(files[].src) is required.
        type: str
      content_base64:
        description: What it holds, base64-encoded (binary files such as an encrypted key file).
        type: str
      src:
        description: A file on the node whose content it must hold.
        type: path
      mode:
        description: Mode, octal string.
        type: str
        default: '0644'
      owner:
        description: Owner.
        type: str
      group:
        description: Group.
        type: str
      secret:
        description: Key material; its content is never shown.
        type: bool
        default: false
'''
