# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ndb_mgmd_dirs (issue 28 row 8): the management server's directories are refused when they are a data node's
directory or inside it, or another account (nobody standing in for mysql) can change them; the configuration cache
is carried to a new configdir only from a regular file of root, never through a symlink nobody planted."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import sys

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.ndb import mgmd_dirs as M
from ansible_collections.clustersec.mysql.plugins.module_utils._common import safe_files

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))
import local_attacker as A  # noqa: E402  pylint: disable=wrong-import-position

as_root = pytest.mark.skipif(os.geteuid() != 0, reason='needs root (the writer) and nobody (the attacker)')

OLD = [('ndb_tde_mgmd_datadir', '/var/lib/mysql-cluster'), ('ndb_tde_mgmd_configdir', '/var/lib/mysql-cluster/cache'),
       ('ndb_tde_config_file (its directory)', '/var/lib/mysql-cluster')]
NEW = [('ndb_tde_mgmd_datadir', '/var/lib/mysql-cluster-mgm'),
       ('ndb_tde_mgmd_configdir', '/var/lib/mysql-cluster-mgm/cache'),
       ('ndb_tde_config_file (its directory)', '/var/lib/mysql-cluster-mgm')]


def test_the_old_shared_layout_is_refused_naming_each_path():
    problems = M.layout_problems(OLD, ['/var/lib/mysql-cluster'])
    assert len(problems) == 3, problems
    assert 'ndb_tde_mgmd_datadir (/var/lib/mysql-cluster) is the same as the data node directory' in problems[0]
    assert 'ndb_tde_mgmd_configdir (/var/lib/mysql-cluster/cache) is inside the data node directory' in problems[1]


def test_the_new_defaults_pass_beside_the_data_nodes_directory():
    # /var/lib/mysql-cluster-mgm shares a prefix with /var/lib/mysql-cluster but is not inside it
    assert M.layout_problems(NEW, ['/var/lib/mysql-cluster', '/var/lib/mysql-cluster/']) == []
    assert M.layout_problems(NEW, []) == []


def test_trailing_slashes_and_dots_do_not_hide_a_shared_directory():
    assert M.layout_problems([('x', '/srv/ndb/./mgm/')], ['/srv/ndb/'])
    assert M.layout_problems([('x', 'relative/dir')], []) == ["x must be an absolute path, not 'relative/dir'"]


@as_root
def test_a_directory_of_another_account_is_refused(monkeypatch):
    with A.base_dir() as base:
        mine = os.path.join(base, 'mgm')
        os.mkdir(mine, 0o750)
        theirs = A.nobody_dir(base, 'data')
        assert M.directory_problems([('ndb_tde_mgmd_datadir', mine)]) == []
        problems = M.directory_problems([('ndb_tde_mgmd_datadir', theirs),
                                         ('ndb_tde_mgmd_configdir', os.path.join(theirs, 'cache'))])
        assert len(problems) == 2, problems
        assert problems[0].startswith('ndb_tde_mgmd_datadir: %s is owned by uid %d' % (theirs, A.NOBODY.pw_uid))
        assert 'does not exist and would be made in %s' % theirs in problems[1]
        # writable by every account, or below a directory of another account
        os.chmod(mine, 0o777)
        assert 'writable by every account' in M.directory_problems([('d', mine)])[0]
        os.chmod(mine, 0o750)
        inner = os.path.join(theirs, 'inner')
        os.mkdir(inner, 0o750)
        assert 'which is owned by uid' in M.directory_problems([('d', inner)])[0]
        # a directory root is still to make below a sticky one (as /tmp) is fine; in a world-writable one it is not
        sticky = os.path.join(base, 'sticky')
        os.mkdir(sticky)
        os.chmod(sticky, 0o1777)
        assert M.directory_problems([('d', os.path.join(sticky, 'mgm', 'cache'))]) == []
        os.chmod(sticky, 0o777)
        assert 'would be made in %s, but %s is writable by every account' % (sticky, sticky) in \
            M.directory_problems([('d', os.path.join(sticky, 'mgm'))])[0]
        # a symlink to a directory of root's is refused too
        link = os.path.join(base, 'link')
        os.symlink(mine, link)
        assert 'is a symbolic link' in M.directory_problems([('d', link)])[0]


@as_root
def test_config_ini_planted_as_a_symlink_or_owned_by_another_account_is_refused():
    with A.base_dir() as base:
        victim = A.victim(base)
        theirs = A.nobody_dir(base, 'data', 0o755)
        planted = os.path.join(theirs, 'config.ini')
        A.plant(planted, victim)
        assert 'is a symbolic link' in M.file_problem('config.ini', planted)
        os.unlink(planted)
        assert A.as_nobody(lambda: open(planted, 'w').write('[DB default]\nEncryptedFileSystem=0\n'))
        assert 'is owned by uid %d' % A.NOBODY.pw_uid in M.file_problem('config.ini', planted)
        assert M.file_problem('config.ini', os.path.join(base, 'missing.ini')) is None
        assert M.file_problem('config.ini', victim) is None


def _cache(directory, node_id, generation, data=b'NDBCONFV'):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, 'ndb_%d_config.bin.%d' % (node_id, generation))
    with open(path, 'wb') as f:
        f.write(data + str(generation).encode())
    return path


def test_cache_source_is_the_newest_of_this_node_in_an_old_directory(tmp_path):
    old, new, other = str(tmp_path / 'old'), str(tmp_path / 'new'), str(tmp_path / 'other')
    os.mkdir(new)
    _cache(old, 1, 2)
    _cache(old, 1, 10)
    _cache(old, 49, 11)
    open(os.path.join(old, 'ndb_1_config.bin.12.tmp'), 'w').close()  # a failed change: never taken
    assert M.cache_files(old, 1) == {2: 'ndb_1_config.bin.2', 10: 'ndb_1_config.bin.10'}
    assert M.cache_source(new, 1, [other, old]) == os.path.join(old, 'ndb_1_config.bin.10')
    assert M.cache_source(new, 7, [old]) is None
    # configdir unchanged, or the new one already has this node's cache: nothing to carry
    assert M.cache_source(old, 1, [old]) is None
    _cache(new, 1, 3)
    assert M.cache_source(new, 1, [old]) is None


@as_root
def test_copy_cache_writes_root_only_and_never_reads_through_a_planted_symlink():
    with A.base_dir() as base:
        old = A.nobody_dir(base, 'data', 0o755)  # the old layout: the cache directory below the data user's one
        cache = os.path.join(old, 'cache')
        os.mkdir(cache, 0o755)
        source = _cache(cache, 1, 4)
        new = os.path.join(base, 'mgm-cache')
        os.mkdir(new, 0o750)
        dest = M.copy_cache(source, new)
        st = os.lstat(dest)
        assert (st.st_uid, st.st_mode & 0o777) == (0, 0o600)
        assert open(dest, 'rb').read() == b'NDBCONFV4'
        # nobody swaps the cache directory for its own, holding a symlink to a root file and a file of its own
        os.unlink(dest)
        A.as_nobody(os.rename, cache, os.path.join(old, 'cache-gone'))
        assert A.as_nobody(os.mkdir, cache)
        victim = A.victim(base)
        A.plant(os.path.join(cache, 'ndb_1_config.bin.9'), victim)
        assert M.cache_source(new, 1, [cache]) == os.path.join(cache, 'ndb_1_config.bin.9')
        with pytest.raises(OSError):
            M.copy_cache(os.path.join(cache, 'ndb_1_config.bin.9'), new)
        assert A.as_nobody(lambda: open(os.path.join(cache, 'ndb_1_config.bin.8'), 'wb').write(b'forged'))
        with pytest.raises(safe_files.UnsafePath, match='not a regular file of root'):
            M.copy_cache(os.path.join(cache, 'ndb_1_config.bin.8'), new)
        assert os.listdir(new) == []
        assert A.untouched(victim) is True
        # and never into a directory another account can change
        with pytest.raises(safe_files.UnsafePath):
            M.copy_cache(os.path.join(old, 'cache-gone', 'ndb_1_config.bin.4'), old)
