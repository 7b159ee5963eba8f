"""The cluster DNS of a run: a small responder on the node namespace's ``10.96.0.10:53``.

It answers A queries for the run's records (:class:`~.addresses.ClusterAddresses`), NODATA
for other types of a known name (so resolvers do not wait for AAAA) and NXDOMAIN for the
rest. It is built so a hostile pod cannot turn it against run-local:

* only queries are answered: a packet with the QR bit set (a reply, spoofed or not) or a
  malformed one is dropped, so a reply can never be answered and no loop can form;
* only the run's pods are answered (the bridge guard makes their source addresses
  truthful), never the responder itself;
* a token bucket per pod, and one for all, bound the work a flood can cause; what is
  dropped is counted.

Which pod asked is the source address, never a port lookup.
"""

from __future__ import annotations

import ctypes
import os
import socket
import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

_CLONE_NEWNET = 0x40000000
PER_POD_RATE = 200.0  # queries per second, with a burst of as many
TOTAL_RATE = 2000.0


def dns_answer(query: bytes, records: Mapping[str, tuple[str, ...]]) -> tuple[bytes, str] | None:
    """The reply to one DNS query and the name asked for; None for anything but a query."""
    if len(query) < 17:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", query[:6])
    if flags & 0x8000 or (flags >> 11) & 0xF != 0 or qdcount != 1:
        return None  # a reply, not a standard query, or not one question
    i, labels = 12, []
    try:
        while query[i] != 0:
            length = query[i]
            if length > 63:
                return None  # compression pointers have no place in a question
            labels.append(query[i + 1 : i + 1 + length].decode("ascii", "replace"))
            i += 1 + length
        qtype = struct.unpack("!H", query[i + 1 : i + 3])[0]
    except (IndexError, struct.error):
        return None
    end = i + 5
    if end > len(query):
        return None
    name = ".".join(labels).lower().rstrip(".")
    ips = records.get(name)
    answers = b""
    if ips and qtype == 1:
        answers = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton(ip) for ip in ips)
    rcode = 3 if ips is None else 0
    count = len(ips) if answers and ips else 0
    header = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, count, 0, 0)
    return header + query[12:end] + answers, name


@dataclass
class _Bucket:
    rate: float
    tokens: float
    at: float = field(default_factory=time.monotonic)

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Responder:
    """Serves ``records`` on a UDP socket for the pods in ``pods`` (address -> pod name)."""

    def __init__(self, records: Mapping[str, tuple[str, ...]], pods: Mapping[str, str]) -> None:
        self.records = records
        self.pods = pods
        self.answered = 0
        self.ignored = 0
        self.limited = 0
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.buckets = {ip: _Bucket(PER_POD_RATE, PER_POD_RATE) for ip in pods}
        self.total = _Bucket(TOTAL_RATE, TOTAL_RATE)

    def serve(self, sock: socket.socket) -> None:
        """Answer on ``sock`` until :meth:`stop` (``sock`` needs a timeout)."""
        own = sock.getsockname()
        with sock:
            while not self.stopping.is_set():
                try:
                    packet, client = sock.recvfrom(4096)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if client[0] not in self.pods or client == own:
                    self.ignored += 1
                    continue
                if not (self.total.take() and self.buckets[client[0]].take()):
                    self.limited += 1
                    continue
                answer = dns_answer(packet, self.records)
                if answer is None:
                    self.ignored += 1
                    continue
                self.answered += 1
                sock.sendto(answer[0], client)

    def start_in(self, netns: str, address: str) -> None:
        """Serve on ``address:53`` inside the named network namespace, from a thread of ours."""
        ready = threading.Event()
        error: list[str] = []

        def run() -> None:
            try:
                sock = _socket_in(netns, address)
            except OSError as err:
                error.append(str(err))
                ready.set()
                return
            ready.set()
            self.serve(sock)

        self.thread = threading.Thread(target=run, daemon=True, name="run-local-dns")
        self.thread.start()
        if not ready.wait(10) or error:
            raise OSError(error[0] if error else "the DNS responder did not start within 10s")

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=5)


def _socket_in(netns: str, address: str) -> socket.socket:
    """A UDP socket bound in ``netns``; the calling thread stays in that namespace for good
    (setns acts on one thread), and the socket stays there whichever thread uses it."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{netns}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        if libc.setns(fd, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {netns} failed")
    finally:
        os.close(fd)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 53))
    sock.settimeout(0.2)
    return sock


__all__ = ["PER_POD_RATE", "TOTAL_RATE", "Responder", "dns_answer"]
