# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The molecule capture check (molecule/_shared/tests/capture.py) on pcap files written here with struct, and on real
loopback traffic: a marker split across two TCP segments is found once in the reassembled stream, where the previous
per-packet search (kept as _count_per_packet) finds it 0 times."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import importlib.util
import os
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

ROOT = os.path.abspath(__file__)
for _level in range(6):
    ROOT = os.path.dirname(ROOT)
_SPEC = importlib.util.spec_from_file_location('clustersec_molecule_capture',
                                               os.path.join(ROOT, 'molecule', '_shared', 'tests', 'capture.py'))
capture = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(capture)

MARKER = b'clustersec-split-marker-5d1c'
CLIENT, SERVER = '10.88.0.2', '10.88.0.3'
needs_tshark = pytest.mark.skipif(not shutil.which('tshark'), reason='tshark is not installed (Debian package tshark)')

SYN, ACK, PSH = 0x02, 0x10, 0x08


def _checksum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def _frame(src, dst, sport, dport, seq, flags, payload=b'', ack=0):
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack('!H', _checksum(pseudo + tcp + payload)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp) + len(payload), 1, 0x4000, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack('!H', _checksum(ip)) + ip[12:]
    return b'\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x03\x08\x00' + ip + tcp + payload


def _write_pcap(path, frames):
    with open(str(path), 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack('<IIII', 1764000000 + i, 0, len(frame), len(frame)))
            f.write(frame)
    return str(path)


class _Conn:
    """Frames of one TCP connection: handshake, then data segments at explicit stream offsets."""

    def __init__(self, sport=40000, dport=4567, isn_c=1000, isn_s=900000):
        self.sport, self.dport, self.isn = sport, dport, {'c': isn_c, 's': isn_s}

    def handshake(self):
        c, s = self.isn['c'], self.isn['s']
        return [_frame(CLIENT, SERVER, self.sport, self.dport, c, SYN),
                _frame(SERVER, CLIENT, self.dport, self.sport, s, SYN | ACK, ack=c + 1),
                _frame(CLIENT, SERVER, self.sport, self.dport, c + 1, ACK, ack=s + 1)]

    def data(self, side, offset, payload):
        """A segment from side 'c' (client) or 's' (server) carrying payload at stream offset (0 = first byte)."""
        seq = (self.isn[side] + 1 + offset) % (1 << 32)
        if side == 'c':
            return _frame(CLIENT, SERVER, self.sport, self.dport, seq, ACK | PSH, payload)
        return _frame(SERVER, CLIENT, self.dport, self.sport, seq, ACK | PSH, payload)


def _both(path):
    return capture._count_per_packet(path, MARKER), capture.count_marker(path, MARKER)


@needs_tshark
def test_marker_in_one_segment_control(tmp_path):
    conn = _Conn()
    path = _write_pcap(tmp_path / 'one.pcap', conn.handshake() + [conn.data('c', 0, b'INSERT ' + MARKER + b';')])
    assert _both(path) == (1, 1)


@needs_tshark
def test_marker_split_across_two_segments(tmp_path):
    conn = _Conn()
    first, second = b'INSERT ' + MARKER[:10], MARKER[10:] + b';'
    frames = conn.handshake() + [conn.data('c', 0, first), conn.data('c', len(first), second)]
    path = _write_pcap(tmp_path / 'split.pcap', frames)
    old, new = _both(path)
    assert old == 0, 'the per-packet search cannot see a split marker'
    assert new == 1


@needs_tshark
def test_out_of_order_and_retransmitted_counted_once(tmp_path):
    conn = _Conn(isn_c=(1 << 32) - 12)  # the sequence number wraps inside the marker
    stream = b'x' * 5 + MARKER + b'y' * 5
    a, b, c = stream[:9], stream[9:20], stream[20:]
    frames = conn.handshake() + [conn.data('c', 9, b), conn.data('c', 0, a), conn.data('c', 20, c),
                                 conn.data('c', 9, b),            # retransmission, same boundaries
                                 conn.data('c', 4, stream[4:24])]  # retransmission, repacketized over the marker
    path = _write_pcap(tmp_path / 'ooo.pcap', frames)
    assert capture.count_marker(path, MARKER) == 1
    runs = capture.read_traffic(path).tcp[(0, CLIENT, conn.sport)]
    assert runs == [stream]


@needs_tshark
def test_directions_counted_on_their_own(tmp_path):
    conn = _Conn()
    frames = conn.handshake() + [conn.data('c', 0, MARKER[:8]), conn.data('s', 0, MARKER),
                                 conn.data('c', 8, MARKER[8:])]
    path = _write_pcap(tmp_path / 'dirs.pcap', frames)
    traffic = capture.read_traffic(path)
    assert traffic.count_by_direction(MARKER) == {(0, CLIENT, conn.sport): 1, (0, SERVER, conn.dport): 1}
    assert traffic.count(MARKER) == 2
    assert traffic.count_by_port(MARKER) == {3306: 0, 4444: 0, 4567: 2, 4568: 0}
    assert traffic.ports & set(capture.GALERA_PORTS) == {4567}
    # half a marker in each direction is not a marker
    half = _write_pcap(tmp_path / 'half.pcap', conn.handshake() + [conn.data('c', 0, MARKER[:8]),
                                                                   conn.data('s', 0, MARKER[8:])])
    assert capture.count_marker(half, MARKER) == 0


@needs_tshark
def test_no_marker(tmp_path):
    conn = _Conn(dport=4444)
    frames = conn.handshake() + [conn.data('c', 0, b'a' * 1000), conn.data('c', 1000, b'b' * 1000),
                                 conn.data('s', 0, MARKER[:-1])]
    path = _write_pcap(tmp_path / 'none.pcap', frames)
    assert _both(path) == (0, 0)
    assert capture.read_traffic(path).ports & set(capture.GALERA_PORTS) == {4444}


@needs_tshark
def test_gap_does_not_join_bytes(tmp_path):
    """A segment the capture lost cuts the stream: the bytes either side are searched, not joined."""
    conn = _Conn()
    frames = conn.handshake() + [conn.data('c', 0, MARKER[:8]), conn.data('c', 100, MARKER[8:]),
                                 conn.data('c', 200, MARKER)]
    path = _write_pcap(tmp_path / 'gap.pcap', frames)
    assert capture.read_traffic(path).tcp[(0, CLIENT, conn.sport)] == [MARKER[:8], MARKER[8:], MARKER]
    assert capture.count_marker(path, MARKER) == 1


@needs_tshark
def test_two_connections_kept_apart(tmp_path):
    one, two = _Conn(sport=40001), _Conn(sport=40002, dport=3306)
    frames = one.handshake() + two.handshake() + [one.data('c', 0, MARKER[:8]), two.data('c', 0, MARKER[8:])]
    path = _write_pcap(tmp_path / 'two.pcap', frames)
    assert capture.count_marker(path, MARKER) == 0


def test_reassemble_without_tshark():
    """The reassembly on its own: SYN consumes one sequence number, overlaps kept once, wrap-around."""
    key = ('s', 'a', 1)
    segs = [(key, (1 << 32) - 1, True, b''), (key, 4, False, b'efgh'), (key, 0, False, b'abcd'), (key, 2, False, b'cdef')]
    assert capture.reassemble(segs) == {key: [b'abcdefgh']}


def _alive_after(proc, deadline):
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        time.sleep(0.1)
    return proc.poll() is None


@needs_tshark
@pytest.mark.skipif(not shutil.which('tcpdump'), reason='tcpdump is not installed')
@pytest.mark.skipif(os.geteuid() != 0, reason='capturing on lo needs root')
def test_real_loopback_split_marker(tmp_path):
    """tcpdump on lo while a client sends the marker in two send() calls (TCP_NODELAY, a pause between): two segments
    on the wire; the reassembled count is 1, the per-packet count 0."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    path = str(tmp_path / 'lo.pcap')
    received = []

    def serve():
        conn, _addr = listener.accept()
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                received.append(data)

    proc = subprocess.Popen(['tcpdump', '-Z', 'root', '-i', 'lo', '-n', '-s', '0', '-U', '-w', path,
                             'tcp port %d' % port], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert _alive_after(proc, time.monotonic() + 1.5), proc.stderr.read().decode()
        server = threading.Thread(target=serve)
        server.start()
        client = socket.create_connection(('127.0.0.1', port))
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.sendall(b'INSERT ' + MARKER[:12])
        time.sleep(0.3)
        client.sendall(MARKER[12:] + b';')
        client.close()
        server.join(timeout=10)
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        listener.close()
    assert b''.join(received) == b'INSERT ' + MARKER + b';'
    old, new = _both(path)
    assert old == 0, 'the marker went out in one segment: the test did not split it'
    assert new == 1


@pytest.mark.parametrize('scenario,network', [
    ('galera_smoke', 'clustersec-smoke'),      # platforms of its own
    ('mariadb_galera', 'clustersec-test'),     # the shared base's platforms
    ('pxc', 'clustersec-pxc'),
])
def test_the_capture_listens_on_the_running_scenarios_network(monkeypatch, scenario, network):
    monkeypatch.delenv('CLUSTERSEC_TEST_NETWORK', raising=False)
    monkeypatch.setenv('MOLECULE_SCENARIO_DIRECTORY', os.path.join(ROOT, 'molecule', scenario))
    assert capture.scenario_network() == network
