import os
import stat

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils._common import file_swap as F


def test_only_differing_files_are_pending_and_installed_with_their_mode(tmp_path):
    (tmp_path / 'ca.pem').write_text('new CA\n')
    (tmp_path / 'same.pem').write_text('same\n')
    files = [{'content': 'new CA\n', 'dest': str(tmp_path / 'ca.pem'), 'mode': '0644'},
             {'content': 'key\n', 'dest': str(tmp_path / 'key.pem'), 'mode': '0640'},
             {'src': str(tmp_path / 'same.pem'), 'dest': str(tmp_path / 'same.pem'), 'mode': '0644'}]
    todo = F.pending(files)
    assert [os.path.basename(f['dest']) for f in todo] == ['key.pem']
    for entry in todo:
        F.install(entry)
    assert (tmp_path / 'key.pem').read_text() == 'key\n'
    assert stat.S_IMODE(os.stat(tmp_path / 'key.pem').st_mode) == 0o640
    assert F.pending(files) == []
    assert not [p for p in os.listdir(tmp_path) if p.startswith('.clustersec-swap-')], 'temporary file left behind'


def test_a_missing_parent_is_made_root_only(tmp_path):
    dest = tmp_path / 'probe' / 'cert.pem'
    F.install({'content': 'x', 'dest': str(dest), 'mode': '0600'})
    assert stat.S_IMODE(os.stat(dest.parent).st_mode) == 0o700
    assert dest.read_text() == 'x'


def test_a_missing_prepared_file_is_an_error(tmp_path):
    with pytest.raises(F.SwapError, match='cannot read the prepared file'):
        F.pending([{'src': str(tmp_path / 'gone.pem'), 'dest': str(tmp_path / 'x.pem')}])


def test_apply_fixes_only_what_differs_and_check_mode_touches_nothing(tmp_path):
    (tmp_path / 'key.pem').write_text('key\n')
    os.chmod(tmp_path / 'key.pem', 0o644)
    files = [{'content': 'key\n', 'dest': str(tmp_path / 'key.pem'), 'mode': '0640', 'secret': True},
             {'content': 'cert\n', 'dest': str(tmp_path / 'cert.pem'), 'mode': '0644'}]
    dirs = [{'path': str(tmp_path / 'sub'), 'mode': '0750'}]
    assert F.apply(dirs, files, check_mode=True, want_diff=True)[:2] == (
        [str(tmp_path / 'sub'), str(tmp_path / 'cert.pem')], [str(tmp_path / 'key.pem')])
    assert not (tmp_path / 'cert.pem').exists() and stat.S_IMODE(os.stat(tmp_path / 'key.pem').st_mode) == 0o644
    written, fixed, diffs = F.apply(dirs, files, want_diff=True)
    assert fixed == [str(tmp_path / 'key.pem')] and stat.S_IMODE(os.stat(tmp_path / 'key.pem').st_mode) == 0o640
    assert [d['after'] for d in diffs] == ['cert\n']
    assert stat.S_IMODE(os.stat(tmp_path / 'sub').st_mode) == 0o750
    assert F.apply(dirs, files) == ([], [], [])


def test_a_secret_diff_shows_a_marker(tmp_path):
    written, fixed, diffs = F.apply([], [{'content': 'KEY MATERIAL', 'dest': str(tmp_path / 'k'), 'secret': True}],
                                    check_mode=True, want_diff=True)
    assert diffs[0]['after'] == '(secret)\n' and 'KEY' not in str(diffs)
