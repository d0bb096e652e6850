# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error of the NDB helpers (ndb_password, ndb_output, ndb_config), so callers catch a single type.

Its own file because each of those raises it and none of them should import another just for the class.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class NdbError(ValueError):
    """Bad input or output; the message never contains a password (nor anything derived from one but its hex form)."""
