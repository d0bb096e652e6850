# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 28 row 3: the pxc role's dhparams.pem in the data directory the server user (here nobody) owns, attacked as
that user on local files while the role's own tasks (roles/pxc/tasks/dhparams.yml) run against localhost: a symlink
swapped in right after the parameters are generated (an openssl wrapper on the PATH pauses there), and a loop
racing the tasks. The symlink's target, a root file, must never be touched; control: the file is written with the
server user's owner and mode."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import shutil
import stat
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'ndb'))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'unit'))
import harness  # noqa: E402  -- collections_path()
import local_attacker as A  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('openssl'),
                                reason='root (the writer), nobody (the attacker) and openssl needed')

VENV_BIN = os.path.dirname(sys.executable)
BITS = 512  # small: generated in a moment (the role's default is 2048)

# After the real openssl: nobody puts a symlink to the victim at dhparams.pem (replacing what openssl wrote there).
OPENSSL = '''#!/bin/sh
%(real)s "$@" || exit $?
setpriv --reuid=nobody --regid=%(nogroup)s --clear-groups -- sh -c 'rm -f "$1"; ln -s "$2" "$1"' sh %(dest)s %(victim)s
exit 0
'''


@pytest.fixture
def node():
    with A.base_dir() as base:
        datadir = A.nobody_dir(base, 'mysql', 0o750)
        os.mkdir(os.path.join(base, 'tmp'), 0o700)
        yield base, datadir, A.victim(base)


def play(base, datadir, src=None, path_first=None):
    book = os.path.join(base, 'play.yml')
    with open(book, 'w') as f:
        yaml.safe_dump([{'name': 'dhparams', 'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
                         'tasks': [{'name': 'The role\'s dhparams tasks', 'ansible.builtin.include_role': {
                             'name': 'clustersec.mysql.pxc', 'tasks_from': 'dhparams.yml'}}]}], f)
    extra = {'pxc_datadir': datadir, 'pxc_user': 'nobody', 'pxc_group': A.NOGROUP, 'pxc_dhparams_bits': BITS,
             'pxc_dhparams_src': src or os.path.join(base, 'no-such-dhparams.pem'),
             'ansible_python_interpreter': sys.executable}
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=os.path.join(base, 'tmp'), ANSIBLE_DEPRECATION_WARNINGS='False',
               ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_INVENTORY_UNPARSED_WARNING='False')
    if path_first:
        env['PATH'] = path_first + os.pathsep + env['PATH']
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), book, '-e', json.dumps(extra)],
                          env=env, capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def test_row3_control_generated_and_copied_dhparams_are_the_server_users(node):
    base, datadir, dummy = node
    rc, out = play(base, datadir)
    assert rc == 0, out[-3000:]
    dest = os.path.join(datadir, 'dhparams.pem')
    st = os.lstat(dest)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (A.NOBODY.pw_uid, A.NOBODY.pw_gid, 0o640)
    with open(dest) as f:
        assert f.read().startswith('-----BEGIN DH PARAMETERS-----')
    rc, out = play(base, datadir)
    assert rc == 0 and 'changed=0' in out, out[-2000:]
    # The copy of a prepared file (the pki role's) replaces it, with the same owner and mode.
    src = os.path.join(base, 'dhparams-src.pem')
    subprocess.run(['openssl', 'dhparam', '-out', src, str(BITS)], check=True, capture_output=True)
    rc, out = play(base, datadir, src=src)
    assert rc == 0, out[-3000:]
    with open(src) as a, open(dest) as b:
        assert a.read() == b.read()
    assert os.lstat(dest).st_uid == A.NOBODY.pw_uid and stat.S_IMODE(os.lstat(dest).st_mode) == 0o640


def test_row3_a_symlink_swapped_in_after_generation_never_reaches_a_root_file(node):
    base, datadir, target = node
    wrapper = os.path.join(base, 'bin')
    os.mkdir(wrapper, 0o755)
    with open(os.path.join(wrapper, 'openssl'), 'w') as f:
        f.write(OPENSSL % dict(real=shutil.which('openssl'), nogroup=A.NOGROUP,
                               dest=os.path.join(datadir, 'dhparams.pem'), victim=target))
    os.chmod(os.path.join(wrapper, 'openssl'), 0o755)
    rc, out = play(base, datadir, path_first=wrapper)
    assert A.untouched(target) is True, 'root gave the server user a root file through its symlink\n' + out[-2000:]
    assert rc == 0, out[-3000:]
    assert not os.path.islink(os.path.join(datadir, 'dhparams.pem'))


def test_row3_racing_a_loop_of_swaps_never_reaches_a_root_file(node):
    base, datadir, target = node
    dest = os.path.join(datadir, 'dhparams.pem')
    with A.racing(datadir, target, names=('dhparams.pem', '.clustersec')):
        for dummy in range(3):
            play(base, datadir)
            if A.untouched(target) is not True:
                break
            A.as_nobody(os.unlink, dest)
    assert A.untouched(target) is True, 'a root file was taken over'
