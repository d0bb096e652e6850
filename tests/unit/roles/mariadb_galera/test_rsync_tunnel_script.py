# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 28 row 13, the rsync_tunnel SST script run on local files with the real bash, rsync and socat, the server's
SST library (wsrep_sst_common) replaced by a stub that sets what it would parse.

- The suspected injection: the donor hands RSYNC_CONNECT_PROG, which embeds the joiner's address, to rsync, and rsync
  runs it with sh -c. A joiner address of $(touch <file>) created the file on the donor (proved on the old script);
  now the address is refused and the command is quoted.
- The joiner's rsync module is write only (a peer cannot download the data directory, galera.cache in clear) and
  lists nothing; the donor can still write (read only = no)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..'))
SCRIPT = os.path.join(ROOT, 'roles', 'mariadb_galera', 'files', 'wsrep_sst_rsync_tunnel')

STUB = r'''
# Stand-in for the server's wsrep_sst_common: the variables and helpers the script uses.
WSREP_SST_OPT_ROLE=donor
WSREP_SST_OPT_HOST="$T_HOST"
WSREP_SST_OPT_HOST_UNESCAPED="$T_HOST"
WSREP_SST_OPT_PORT="$T_PORT"
WSREP_SST_OPT_MODULE=rsync_sst
WSREP_SST_OPT_BYPASS=1
WSREP_SST_OPT_GTID=00000000-0000-0000-0000-000000000000:-1
WSREP_SST_OPT_GTID_DOMAIN_ID=0
WSREP_SST_OPT_BINLOG=""
DATA="$T_DATA"
DATA_DIR="$T_DATA"
wsrep_check_programs() { :; }
wsrep_log_info() { echo "INFO: $*" >&2; }
wsrep_log_warning() { echo "WARNING: $*" >&2; }
wsrep_log_error() { echo "ERROR: $*" >&2; }
create_dirs() { :; }
get_binlog() { :; }
is_local_ip() { return 1; }
parse_cnf() {
    case "$2" in
        tca) echo "$T_DATA/ca.pem";; tcert) echo "$T_DATA/cert.pem";; tkey) echo "$T_DATA/key.pem";; *) echo "$3";;
    esac
}
'''


@pytest.fixture
def script_dir(tmp_path):
    if not (shutil.which('rsync') and shutil.which('socat')):
        pytest.skip('needs rsync and socat (apt-get install -y rsync socat)')
    d = tmp_path / 'bin'
    d.mkdir()
    shutil.copy(SCRIPT, str(d / 'wsrep_sst_rsync_tunnel'))
    (d / 'wsrep_sst_common').write_text(STUB)
    data = tmp_path / 'data'
    data.mkdir()
    for name in ('ca.pem', 'cert.pem', 'key.pem'):
        (data / name).write_text('not a certificate\n')
    return d, data


def donor(script_dir, host, port='4444'):
    d, data = script_dir
    env = dict(os.environ, T_HOST=host, T_PORT=port, T_DATA=str(data))
    return subprocess.run(['bash', str(d / 'wsrep_sst_rsync_tunnel')], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.mark.parametrize('template', ['$(touch {f})', '`touch {f}`', 'db2;touch {f}', 'db2:1$(touch {f})'])
def test_a_hostile_joiner_address_runs_nothing_on_the_donor(script_dir, tmp_path, template):
    pwned = tmp_path / 'pwned'
    proc = donor(script_dir, template.format(f=pwned))
    assert not pwned.exists(), 'the joiner address was run as a shell command on the donor:\n' + proc.stderr
    assert proc.returncode != 0
    assert 'refusing the joiner address' in proc.stderr, proc.stderr


def test_control_a_plain_joiner_address_reaches_rsync_through_the_quoted_tunnel(script_dir, tmp_path):
    # Nothing listens and the certificate files are junk: socat fails, so rsync reports the failed magic-file send.
    proc = donor(script_dir, 'localhost', port='1')
    assert proc.returncode != 0
    assert "rsync through: socat - 'OPENSSL:localhost:1,commonname=localhost," in proc.stderr, proc.stderr
    assert 'sending the magic file returned' in proc.stderr, proc.stderr


def test_the_connect_command_is_quoted_for_sh_whatever_it_holds(tmp_path):
    """sh_quote itself, with what no host check lets through (the certificate-derived name is checked as well)."""
    text = open(SCRIPT).read()
    funcs = re.search(r'^sh_quote\(\) \{.*?^\}\n', text, re.M | re.S).group(0)
    pwned = tmp_path / 'pwned'
    hostile = "x'$(touch %s)'`touch %s`;touch %s" % (pwned, pwned, pwned)
    out = subprocess.run(['bash', '-c', funcs + 'sh -c "printf %s $(sh_quote "$1")" ', 'bash', hostile],
                         capture_output=True, text=True, check=True).stdout
    assert out == hostile and not pwned.exists()


def _joiner_conf(tmp_path):
    """The joiner's rsyncd.conf as the script writes it (its heredoc, with this test's directories)."""
    text = open(SCRIPT).read()
    body = re.search(r'cat > "\$RSYNC_CONF" <<EOF\n(.*?)\nEOF\n', text, re.S).group(1)
    data = tmp_path / 'datadir'
    data.mkdir()
    (data / 'galera.cache').write_text('plaintext write sets\n')
    values = {'MODULE': 'rsync_sst', 'DATA': str(data), 'protect': '.zfs', 'ib_home_dir': str(data),
              'ib_log_dir': str(data), 'ib_undo_dir': str(data), 'ar_log_dir': str(data),
              'BINLOG_STAGE': str(tmp_path / 'stage')}
    conf = re.sub(r'\$(\w+)', lambda m: values[m.group(1)], body)
    if os.geteuid() == 0:
        # The joiner's daemon runs as the server user; as root rsync would drop to nobody, who cannot write here.
        conf = 'uid = root\ngid = root\n' + conf
    path = tmp_path / 'rsyncd.conf'
    path.write_text(conf + '\n')
    return path, data, conf


def _rsync(conf, *args):
    # The same daemon the joiner's socat runs per connection, over a pipe instead of the TLS tunnel.
    env = dict(os.environ, RSYNC_CONNECT_PROG='rsync --server --daemon --config=%s .' % conf)
    return subprocess.run(['rsync'] + list(args), env=env, capture_output=True, text=True, timeout=60, check=False)


def test_the_joiner_module_takes_uploads_but_never_gives_out_the_datadir(tmp_path):
    if not shutil.which('rsync'):
        pytest.skip('needs rsync')
    conf, data, text = _joiner_conf(tmp_path)
    assert re.search(r'^write only = yes$', text, re.M) and re.search(r'^list = no$', text, re.M)
    assert re.search(r'^read only = no$', text, re.M)
    got = tmp_path / 'got'
    down = _rsync(conf, 'rsync://joiner/rsync_sst/galera.cache', str(got))
    assert down.returncode != 0 and not got.exists(), 'a peer downloaded galera.cache from the joiner'
    listing = _rsync(conf, 'rsync://joiner/')
    assert 'rsync_sst' not in listing.stdout, listing.stdout
    # control: the donor's upload still lands
    src = tmp_path / 'ibdata1'
    src.write_text('donor data\n')
    up = _rsync(conf, str(src), 'rsync://joiner/rsync_sst/')
    assert up.returncode == 0, up.stderr
    assert (data / 'ibdata1').read_text() == 'donor data\n'
