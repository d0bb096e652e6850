"""Packet capture on the host side of the scenario's podman bridge.

The capture runs on the host, outside the nodes, so what it sees is what crosses the network.
"""
import json
import os
import signal
import subprocess
import tempfile
import time

GALERA_PORTS = (3306, 4444, 4567, 4568)


def bridge_interface(network=None):
    network = network or os.environ.get("CLUSTERSEC_TEST_NETWORK", "clustersec-test")
    out = subprocess.run(["podman", "network", "inspect", network], capture_output=True, text=True, check=True).stdout
    data = json.loads(out)[0]
    return data.get("network_interface") or data.get("NetworkInterface")


class Capture:
    """tcpdump on the bridge, limited to the Galera ports, written to a pcap file."""

    def __init__(self, ports=GALERA_PORTS, network=None):
        self.iface = bridge_interface(network)
        fd, self.path = tempfile.mkstemp(prefix="clustersec-", suffix=".pcap")
        os.close(fd)
        expr = " or ".join(f"port {p}" for p in ports)
        self.cmd = ["tcpdump", "-Z", "root", "-i", self.iface, "-s", "0", "-U", "-w", self.path, expr]
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1.0)  # tcpdump needs a moment before it captures
        assert self.proc.poll() is None, self.proc.stderr.read().decode()
        return self

    def __exit__(self, *exc):
        time.sleep(1.0)
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=10)

    def payload(self):
        with open(self.path, "rb") as f:
            return f.read()

    def count(self, marker):
        return self.payload().count(marker.encode())

    def ports_seen(self):
        """Ports with traffic in the capture, from tcpdump's own reading of the file."""
        out = subprocess.run(["tcpdump", "-nn", "-r", self.path], capture_output=True, text=True, check=False).stdout
        seen = set()
        for line in out.splitlines():
            for port in GALERA_PORTS:
                if f".{port} " in line or f".{port}:" in line:
                    seen.add(port)
        return seen

    def remove(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
