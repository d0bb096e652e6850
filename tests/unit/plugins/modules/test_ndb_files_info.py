# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ndb_files_info (the ndb_tde role's converged entry point): names what differs, writes nothing, never changed."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import grp
import json
import os
import pwd

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.clustersec.mysql.plugins.modules import ndb_files_info as M

OWNER = pwd.getpwuid(os.geteuid()).pw_name
GROUP = grp.getgrgid(os.getegid()).gr_name


def _run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            M.main()
    return json.loads(capsys.readouterr().out)


def _set(tmp_path, content='[ndbd default]\nEncryptedFileSystem=1\n', mode='0644'):
    conf = tmp_path / 'mgm'
    return ([{'path': str(conf), 'mode': '0750', 'owner': OWNER, 'group': GROUP}],
            [{'dest': str(conf / 'config.ini'), 'content': content, 'mode': mode, 'owner': OWNER, 'group': GROUP}])


def test_missing_files_and_directories_differ_and_nothing_is_written(tmp_path, capsys):
    directories, files = _set(tmp_path)
    result = _run(capsys, directories=directories, files=files)
    assert result['changed'] is False
    assert result['differ'] == [directories[0]['path'], files[0]['dest']]
    assert not os.path.exists(directories[0]['path'])


def test_same_content_and_attributes_do_not_differ(tmp_path, capsys):
    directories, files = _set(tmp_path)
    os.mkdir(directories[0]['path'], 0o750)
    os.chmod(directories[0]['path'], 0o750)
    with open(files[0]['dest'], 'w') as f:
        f.write(files[0]['content'])
    os.chmod(files[0]['dest'], 0o644)
    assert _run(capsys, directories=directories, files=files)['differ'] == []
    # another content, or only another mode, differs
    assert _run(capsys, directories=directories, files=_set(tmp_path, content='x\n')[1])['differ'] == [files[0]['dest']]
    assert _run(capsys, directories=directories, files=_set(tmp_path, mode='0600')[1])['differ'] == [files[0]['dest']]
    with open(files[0]['dest']) as f:
        assert f.read() == files[0]['content']
