"""Packet capture on the host side of the scenario's podman bridge.

The capture runs on the host, outside the nodes, so what it sees is what crosses the network.

A marker is searched in the reassembled byte stream of every TCP connection, each direction on its own, not in single
packets: a marker that TCP split across two segments is found. tshark (Debian package, installed by
scripts/setup-host.sh) dissects the file; the segments are put in sequence order here, retransmitted or overlapping
bytes kept once. Where the capture lost a segment the stream is cut into runs at the gap and each run is searched on
its own (bytes that were not seen are not invented). UDP datagrams are searched one by one.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections import defaultdict

GALERA_PORTS = (3306, 4444, 4567, 4568)

# One tshark pass, fields only: no desegmentation or protocol heuristics above TCP (the reassembly is done below).
_TSHARK_FIELDS = ("frame.protocols", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "tcp.dstport", "tcp.seq_raw",
                  "tcp.flags.syn", "tcp.payload", "udp.srcport", "udp.dstport", "udp.payload")
_TSHARK_OPTIONS = ("-o", "tcp.desegment_tcp_streams:FALSE", "-o", "tcp.try_heuristic_first:FALSE",
                   "-o", "tcp.analyze_sequence_numbers:FALSE", "-o", "tcp.relative_sequence_numbers:FALSE")
_SEQ_MOD = 1 << 32
_SEQ_HALF = 1 << 31


def scenario_network():
    """The podman network of the running scenario's first platform (its molecule.yml), else the shared base's."""
    path = os.path.join(os.environ.get("MOLECULE_SCENARIO_DIRECTORY", ""), "molecule.yml")
    if os.path.exists(path):
        m = re.search(r"^\s+network:\s*(\S+)", open(path).read(), re.M)
        if m:
            return m.group(1)
    return "clustersec-test"


def bridge_interface(network=None):
    network = network or os.environ.get("CLUSTERSEC_TEST_NETWORK") or scenario_network()
    out = subprocess.run(["podman", "network", "inspect", network], capture_output=True, text=True, check=True).stdout
    data = json.loads(out)[0]
    return data.get("network_interface") or data.get("NetworkInterface")


def reassemble(segments):
    """Byte streams from TCP segments.

    segments: iterable of (key, seq, syn, payload) in capture order; key names one direction of one connection
    (e.g. (stream, source address, source port)), seq is the raw 32-bit sequence number, syn whether the segment
    carries SYN (its data starts at seq + 1). Returns {key: [run, ...]}: each run is a contiguous stretch of the
    stream as bytes, in sequence order; a gap (a segment the capture lost) starts a new run. Sequence numbers are
    unwrapped against the previous segment of the direction, so wrap-around and streams past 4 GiB are handled.
    """
    per_key = {}
    for key, seq, syn, payload in segments:
        if syn:
            seq = (seq + 1) % _SEQ_MOD
        state = per_key.get(key)
        if state is None:
            state = per_key[key] = [seq, seq, []]  # last raw seq, its unwrapped value, (offset, payload)
        delta = (seq - state[0]) % _SEQ_MOD
        if delta >= _SEQ_HALF:
            delta -= _SEQ_MOD
        state[0], state[1] = seq, state[1] + delta
        if payload:
            state[2].append((state[1], payload))
    streams = {}
    for key, (_seq, _abs, pieces) in per_key.items():
        pieces.sort(key=lambda p: (p[0], -len(p[1])))
        runs, run, end = [], [], None
        for offset, data in pieces:
            if end is not None and offset > end:
                runs.append(b"".join(run))
                run, end = [], None
            if end is None:
                run, end = [data], offset + len(data)
            elif offset + len(data) > end:
                run.append(data[end - offset:])
                end = offset + len(data)
        if run:
            runs.append(b"".join(run))
        streams[key] = runs
    return streams


class Traffic:
    """What a capture file holds: the reassembled TCP streams, the UDP datagrams and the ports seen."""

    def __init__(self, tcp=None, tcp_ports=None, udp=None, ports=None):
        self.tcp = tcp or {}              # (stream, src, srcport) -> [run bytes, ...]
        self.tcp_ports = tcp_ports or {}  # stream -> (srcport, dstport) of its first packet
        self.udp = udp or []              # [(srcport, dstport, payload), ...]
        self.ports = ports or set()       # every TCP/UDP port with a packet, payload or not

    def count(self, marker):
        """Occurrences of marker in every TCP direction's stream and every UDP datagram."""
        return sum(self.count_by_direction(marker).values()) + sum(d.count(marker) for _s, _d, d in self.udp)

    def count_by_direction(self, marker):
        """{(stream, source address, source port): occurrences in that direction's reassembled bytes}."""
        return {key: sum(run.count(marker) for run in runs) for key, runs in self.tcp.items()}

    def count_by_port(self, marker, ports=GALERA_PORTS):
        """{port: occurrences} for the connections of each of ports (as source or destination), UDP included."""
        counts = defaultdict(int)
        for key, runs in self.tcp.items():
            hits = sum(run.count(marker) for run in runs)
            for port in set(self.tcp_ports.get(key[0], ())) & set(ports):
                counts[port] += hits
        for sport, dport, data in self.udp:
            for port in {sport, dport} & set(ports):
                counts[port] += data.count(marker)
        return {port: counts[port] for port in ports}


def _tshark():
    path = shutil.which("tshark")
    if not path:
        raise RuntimeError("tshark is not installed (Debian package tshark; scripts/setup-host.sh installs it): "
                           "the capture check reassembles TCP streams with it")
    return path


def _int(text):
    return int(text.split(",")[0]) if text else None


def read_traffic(path):
    """Traffic of a pcap file, one tshark pass."""
    cmd = [_tshark(), "-n", "-r", path, *_TSHARK_OPTIONS, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]
    for field in _TSHARK_FIELDS:
        cmd += ["-e", field]
    segments, tcp_ports, udp, ports = [], {}, [], set()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        for line in proc.stdout:
            protos, stream, src4, src6, sport, dport, seq, syn, payload, usport, udport, upayload = \
                line.rstrip(b"\r\n").split(b"\t")
            # An ICMP error quotes the header of the packet it answers: that is not traffic of the connection.
            if b":icmp" in protos:
                continue
            if stream:
                stream, sport, dport = int(stream), _int(sport.decode()), _int(dport.decode())
                ports.update((sport, dport))
                tcp_ports.setdefault(stream, (sport, dport))
                segments.append(((stream, (src4 or src6).decode(), sport), int(seq), syn in (b"1", b"True"),
                                 bytes.fromhex(payload.decode()) if payload else b""))
            elif usport:
                usport, udport = _int(usport.decode()), _int(udport.decode())
                ports.update((usport, udport))
                udp.append((usport, udport, bytes.fromhex(upayload.decode()) if upayload else b""))
        err = proc.stderr.read().decode(errors="replace")
    # A file whose last record tcpdump did not finish writing: the packets before it are read, as before.
    if proc.returncode != 0 and "cut short in the middle of a packet" not in err:
        raise RuntimeError(f"tshark -r {path} failed ({proc.returncode}): {err.strip()}")
    return Traffic(reassemble(segments), tcp_ports, udp, ports)


def count_marker(path, marker):
    """Occurrences of marker (str or bytes) in the reassembled traffic of a pcap file."""
    return read_traffic(path).count(marker.encode() if isinstance(marker, str) else marker)


def _count_per_packet(path, marker):
    """The previous check, kept for the unit tests' comparison: the marker searched in the raw capture file, so
    only where a single packet holds it whole (a marker split across segments is not found)."""
    with open(path, "rb") as f:
        return f.read().count(marker.encode() if isinstance(marker, str) else marker)


class Capture:
    """tcpdump on the bridge, limited to the Galera ports, written to a pcap file."""

    def __init__(self, ports=GALERA_PORTS, network=None):
        self.iface = bridge_interface(network)
        fd, self.path = tempfile.mkstemp(prefix="clustersec-", suffix=".pcap")
        os.close(fd)
        expr = " or ".join(f"port {p}" for p in ports)
        self.cmd = ["tcpdump", "-Z", "root", "-i", self.iface, "-s", "0", "-U", "-w", self.path, expr]
        self.proc = None
        self._traffic = None
        _tshark()  # fail before the test's traffic, not after it

    def __enter__(self):
        self._traffic = None
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1.0)  # tcpdump needs a moment before it captures
        assert self.proc.poll() is None, self.proc.stderr.read().decode()
        return self

    def __exit__(self, *exc):
        time.sleep(1.0)
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=10)

    def payload(self):
        """The capture file as bytes (headers included)."""
        with open(self.path, "rb") as f:
            return f.read()

    def traffic(self):
        """The capture read once by tshark and reassembled (Traffic), cached."""
        if self._traffic is None:
            self._traffic = read_traffic(self.path)
        return self._traffic

    def count(self, marker):
        """Occurrences of marker in the reassembled TCP streams (each direction of each connection) and UDP datagrams."""
        return self.traffic().count(marker.encode())

    def count_by_port(self, marker):
        return self.traffic().count_by_port(marker.encode())

    def ports_seen(self):
        """Galera ports with traffic (any packet) in the capture."""
        return self.traffic().ports & set(GALERA_PORTS)

    def remove(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
