# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""safe_files (issue 28, deliverable 1) and the node_files write it serves (row 2), attacked as nobody on local
files: the deterministic attack swaps the temporary file for a symlink at a pause between its creation and its chown
(os.fsync, called there by the old file_swap.install and by the new code); the loop variant races it."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat
import sys

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils._common import file_swap as F
from ansible_collections.clustersec.mysql.plugins.module_utils._common import safe_files as S

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))
import local_attacker as A  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the attacks need root (the writer) and nobody (the attacker)')

KEY = b'-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n'


@pytest.fixture
def base():
    with A.base_dir() as path:
        yield path


def _state(path):
    st = os.lstat(path)
    with open(path, 'rb') as f:
        return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), f.read()


# --- controls: the normal writes ---------------------------------------------------------------------------------

def test_write_file_in_a_root_directory_sets_owner_mode_and_content(base):
    keys = os.path.join(base, 'certs')
    os.mkdir(keys, 0o750)
    os.chown(keys, 0, A.NOBODY.pw_gid)
    dest = os.path.join(keys, 'server-key.pem')
    S.put(dest, KEY, 0o640, 0, A.NOBODY.pw_gid)
    assert _state(dest) == (0, A.NOBODY.pw_gid, 0o640, KEY)
    S.put(dest, b'second\n', 0o400, A.NOBODY.pw_uid, A.NOBODY.pw_gid)  # replaced, not rewritten in place
    assert _state(dest) == (A.NOBODY.pw_uid, A.NOBODY.pw_gid, 0o400, b'second\n')
    assert os.listdir(keys) == ['server-key.pem'], 'temporary file left behind'


def test_put_in_the_server_users_directory_writes_as_that_user(base):
    datadir = A.nobody_dir(base, 'datadir')
    dest = os.path.join(datadir, 'grastate.dat')
    S.put(dest, b'seqno: 1\n', 0o660, A.NOBODY.pw_uid, A.NOBODY.pw_gid)
    assert _state(dest) == (A.NOBODY.pw_uid, A.NOBODY.pw_gid, 0o660, b'seqno: 1\n')
    # A root-owned file is never written there: root would have to open a path the server user controls.
    with pytest.raises(S.UnsafePath, match='owned by uid %d' % A.NOBODY.pw_uid):
        S.put(os.path.join(datadir, 'x'), b'x', 0o600, 0, 0)


def test_set_attributes_and_make_directory_by_descriptor(base):
    d = os.path.join(base, 'at-rest')
    S.make_directory(d, 0o750, 0, A.NOBODY.pw_gid)
    assert (os.stat(d).st_uid, os.stat(d).st_gid, stat.S_IMODE(os.stat(d).st_mode)) == (0, A.NOBODY.pw_gid, 0o750)
    S.put(os.path.join(d, 'filekey'), b'k', 0o600)
    S.set_attributes(os.path.join(d, 'filekey'), 0o400, A.NOBODY.pw_uid, A.NOBODY.pw_gid)
    assert _state(os.path.join(d, 'filekey'))[:3] == (A.NOBODY.pw_uid, A.NOBODY.pw_gid, 0o400)
    os.symlink(A.victim(base), os.path.join(d, 'link'))
    with pytest.raises(OSError):
        S.set_attributes(os.path.join(d, 'link'), 0o644, A.NOBODY.pw_uid)
    assert A.untouched(os.path.join(base, 'victim')) is True


@pytest.mark.parametrize('layout, why', [
    ('symlink', 'is a symbolic link'),
    ('owned', 'owned by uid'),
    ('group', 'writable by group'),
    ('world', 'writable by every account'),
    ('parent', 'which is owned by uid'),
])
def test_root_refuses_directories_another_account_can_change(base, layout, why):
    target = os.path.join(base, 'real')
    os.mkdir(target, 0o755)
    d = os.path.join(base, 'keys')
    if layout == 'symlink':
        os.symlink(target, d)
    elif layout == 'parent':
        d = os.path.join(A.nobody_dir(base, 'mysql', 0o755), 'keys')
        os.mkdir(d, 0o750)  # root's, but nobody may rename it away and put its own in its place
    else:
        os.mkdir(d)
        os.chmod(d, {'owned': 0o700, 'group': 0o770, 'world': 0o777}[layout])
        if layout == 'owned':
            os.chown(d, A.NOBODY.pw_uid, 0)
        if layout == 'group':
            os.chown(d, 0, A.NOBODY.pw_gid)
    assert why in S.directory_problem(d)
    with pytest.raises(S.UnsafePath, match=why):
        S.write_file(os.path.join(d, 'key.pem'), KEY, 0o600)
    assert os.listdir(target) == []


def test_directory_problem_accepts_a_root_directory_below_sticky_tmp(base):
    assert S.directory_problem(base) is None  # /tmp is 1777: others cannot rename root's entries in it


def test_read_file_does_not_follow_a_symlink(base):
    link = os.path.join(base, 'link')
    os.symlink(A.victim(base), link)
    assert S.read_file(link) is None and S.read_file(os.path.join(base, 'victim')) == A.SECRET
    assert S.read_file(os.path.join(base, 'missing')) is None


def test_run_as_reports_the_childs_error(base):
    with pytest.raises(S.UnsafePath, match='as nobody: .*Permission denied'):
        S.write_as('nobody', os.path.join(base, 'x'), b'x')  # base is root's 0755


def test_run_logged_keeps_stderr_in_a_private_directory():
    rc, out, err = S.run_logged(['sh', '-c', 'echo out; echo err >&2; ls -ld "$(readlink /proc/self/fd/2 | xargs dirname)" >&2'])
    assert rc == 0 and out == 'out\n' and err.startswith('err\n')
    assert err.split('\n')[1].startswith('drwx------ ') and ' root root ' in err.split('\n')[1]


# --- row 2: node_files (file_swap.install) in the server user's at-rest directory --------------------------------

def _at_rest(base):
    """The at-rest directory as the pki role made it before issue 28: the server user's, 0500 (it may chmod u+w
    it whenever it likes)."""
    return A.nobody_dir(base, 'at-rest', 0o500)


def _entry(directory):
    return {'dest': os.path.join(directory, 'filekey'), 'content': 'file key\n', 'mode': '0400',
            'owner': A.NOBODY.pw_name, 'group': A.NOGROUP}


def test_row2_install_with_a_swap_between_create_and_chown_never_reaches_a_root_file(base, monkeypatch):
    at_rest = _at_rest(base)
    target = A.victim(base)
    assert A.as_nobody(os.chmod, at_rest, 0o700)  # what the attacker does first
    with A.pause_at_fsync(monkeypatch, at_rest, target) as seen:
        try:
            F.install(_entry(at_rest))
        except OSError:
            pass  # refused: the attack came through and was caught
    assert A.untouched(target) is True, 'a root file was taken over through the swapped temporary file'
    assert seen['swapped'] is not False


def test_row2_install_racing_a_loop_of_swaps_never_reaches_a_root_file(base):
    at_rest = _at_rest(base)
    target = A.victim(base)
    outcomes = {'ok': 0, 'refused': 0}
    with A.racing(at_rest, target, names=('.',), chmod=0o700):
        for dummy in range(300):
            try:
                F.install(_entry(at_rest))
                outcomes['ok'] += 1
            except OSError:
                outcomes['refused'] += 1
            if A.untouched(target) is not True:
                break
    assert A.untouched(target) is True, 'a root file was taken over (%s)' % outcomes


def test_row2_control_apply_makes_the_key_directory_root_s_and_writes_the_keys(base):
    """The pki role's at-rest directory since issue 28 (root:<server group> 0750), over the old one."""
    at_rest = _at_rest(base)
    dirs = [{'path': at_rest, 'mode': '0750', 'owner': 'root', 'group': A.NOGROUP}]
    written, fixed, dummy = F.apply(dirs, [_entry(at_rest)])
    assert fixed == [at_rest] and written == [os.path.join(at_rest, 'filekey')]
    st = os.stat(at_rest)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, A.NOBODY.pw_gid, 0o750)
    assert _state(os.path.join(at_rest, 'filekey')) == (A.NOBODY.pw_uid, A.NOBODY.pw_gid, 0o400, b'file key\n')
    assert not A.as_nobody(os.chmod, at_rest, 0o700), 'the server user can no longer open the directory up'
    assert F.apply(dirs, [_entry(at_rest)]) == ([], [], [])


def test_row2_a_symlink_at_the_destination_is_replaced_not_followed(base):
    certs = os.path.join(base, 'certs')
    os.mkdir(certs, 0o750)
    target = A.victim(base)
    os.symlink(target, os.path.join(certs, 'ca.pem'))  # however it got there
    entry = {'dest': os.path.join(certs, 'ca.pem'), 'content': 'CA\n', 'mode': '0644'}
    assert F.differing([], [entry]) == [entry['dest']]
    assert F.apply([], [entry], want_diff=True)[2][0]['before'] == ''  # the diff does not read through it either
    assert _state(entry['dest'])[2:] == (0o644, b'CA\n') and A.untouched(target) is True
