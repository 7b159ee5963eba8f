"""The NetworkPolicy audit: every connection the pods open, checked as Kubernetes would.

All pods of a sandboxed run share one network namespace, so the kernel's socket tables of
that namespace (``/proc/<holder>/net/tcp``, ``tcp6`` and ``udp``, read from the host) hold
every connection of the run. Addresses do not say which pod a socket belongs to (ps-lite
with ``DMLC_INTERFACE=lo`` announces 127.0.0.1 for every node, and a client's source address
is 127.0.0.1 whatever pod it is), so sockets are mapped to pods by owner instead: a socket's
inode is found among the open files (``/proc/<pid>/fd``) of the processes in each
container's cgroup, and the container is the pod's. No LD_PRELOAD, nothing in the pods.

* **TCP**: every :data:`POLL` seconds each ESTABLISHED socket whose remote address is a
  listening socket of the namespace is a connection from the socket's pod (the client) to
  the listener's pod (the server) on the listener's port. ps-lite's connections live as
  long as the job, so polling sees them all; a connection opened and closed between two
  polls could be missed.
* **DNS**: pods resolve names as on a cluster. ``/etc/hosts`` holds only the pod's own
  names (as the kubelet writes it) and ``/etc/resolv.conf`` names :data:`DNS_ADDRESS`, where
  a small DNS server (a thread of run-local that joined the namespace) answers A queries
  for the run's Service and pod names. Each query is recorded as a UDP connection on port 53
  from the asking pod to the cluster DNS (:func:`~mxnet_construct.policies.network.kube_dns`),
  the asking pod found by the query's source port in ``/proc/<holder>/net/udp``.

Each connection is checked with :meth:`Policies.check
<mxnet_construct.policies.network.Policies.check>`; the first refusal fails the run, and the
report names source, destination, port and the policies that isolate the refusing side.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..manifests import Pod
from ..policies.network import Connection, Peer, Policies, Verdict, kube_dns
from .host import Handle
from .model import Plan, PodPlan, RunLocalError
from .report import Output
from .sandbox import Sandbox

POLL = 0.2
DNS_ADDRESS = "127.0.0.53"
_CLONE_NEWNET = 0x40000000
_LISTEN, _ESTABLISHED = "0A", "01"
_CGROUP_CONTROLLERS = ("", "pids", "memory", "cpu", "devices", "freezer")


@dataclass(frozen=True)
class Socket:
    """One row of ``/proc/net/{tcp,tcp6,udp}``: addresses as ``(ip, port)``, state, inode."""

    local: tuple[str, int]
    remote: tuple[str, int]
    state: str
    inode: int


def _address(text: str) -> tuple[str, int]:
    """``0100007F:1F90`` (kernel byte order) as ``("127.0.0.1", 8080)``; IPv6 too."""
    hex_ip, hex_port = text.split(":")
    raw = bytes.fromhex(hex_ip)
    # The kernel prints each 32-bit word in host (little-endian) order.
    raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if len(raw) == 4:
        ip = socket.inet_ntop(socket.AF_INET, raw)
    else:
        ip = socket.inet_ntop(socket.AF_INET6, raw)
        if ip.startswith("::ffff:") and "." in ip:
            ip = ip.removeprefix("::ffff:")
    return ip, int(hex_port, 16)


def parse_sockets(text: str) -> list[Socket]:
    """The rows of a ``/proc/net/tcp``-style table."""
    out: list[Socket] = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        out.append(Socket(_address(fields[1]), _address(fields[2]), fields[3], int(fields[9])))
    return out


def _cgroup_procs(ident: str) -> Path | None:
    for controller in _CGROUP_CONTROLLERS:
        path = Path("/sys/fs/cgroup", controller, ident, "cgroup.procs")
        if path.is_file():
            return path
    return None


def dns_answer(query: bytes, addresses: dict[str, str]) -> tuple[bytes, str]:
    """The reply to one DNS query and the name asked for.

    A queries for a known name get its address; other types for a known name get an empty
    answer (NODATA, so resolvers do not wait for AAAA); unknown names get NXDOMAIN.
    """
    if len(query) < 17:
        raise ValueError("DNS query too short")
    qid, _flags, qdcount = struct.unpack("!HHH", query[:6])
    i, labels = 12, []
    while query[i] != 0:
        length = query[i]
        labels.append(query[i + 1 : i + 1 + length].decode("ascii", "replace"))
        i += 1 + length
    qtype = struct.unpack("!H", query[i + 1 : i + 3])[0]
    end = i + 5
    name = ".".join(labels).lower().rstrip(".")
    ip = addresses.get(name)
    answers = b""
    rcode = 3 if ip is None else 0
    if ip is not None and qtype == 1:
        answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton(ip)
    header = struct.pack("!HHHHHH", qid, 0x8180 | rcode, min(qdcount, 1), 1 if answers else 0, 0, 0)
    return header + query[12:end] + answers, name


class Audit:
    """Watches one sandboxed run (see the module docstring)."""

    def __init__(self, the_plan: Plan, sandbox: Sandbox, out: Output) -> None:
        if the_plan.manifests is None:
            raise RunLocalError("the audit needs the plan's manifest model")
        self.plan = the_plan
        self.sandbox = sandbox
        self.out = out
        try:
            self.policies = Policies.of_manifests(the_plan.manifests)
        except ValueError as err:
            raise RunLocalError(f"NetworkPolicy: {err}") from None
        pods: dict[str, Pod] = {p.name: p for p in the_plan.manifests.pods}
        self.peers = {p.name: Peer.of(pods[p.name], p.ip) for p in the_plan.pods}
        self.components = {p.name: p.component or p.name for p in the_plan.pods}
        self.dns = kube_dns()
        self.addresses = {k.lower(): v for k, v in the_plan.addresses().items()}
        self.lock = threading.Lock()
        self.containers: dict[str, str] = {}  # runc id -> pod
        self.owners: dict[int, str] = {}  # socket inode -> pod
        self.seen: set[tuple[tuple[str, int], tuple[str, int]]] = set()
        self.verdicts: dict[tuple[str, str, int, str], Verdict] = {}
        self.counts: Counter[tuple[str, str, int, str]] = Counter()
        self.refused: list[Verdict] = []
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.dns_ready = threading.Event()
        self.dns_error = ""

    # -- set-up --------------------------------------------------------------------------

    def start(self) -> None:
        """Start the DNS server in the run's namespace and the connection poller."""
        ws = self.sandbox.ws
        ws.resolv.write_text(f"# run-local: the audit's DNS server\nnameserver {DNS_ADDRESS}\noptions ndots:5\n")
        self.sandbox.hosts_for = self._hosts
        for target in (self._serve_dns, self._poll):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self.threads.append(thread)
        if not self.dns_ready.wait(10) or self.dns_error:
            raise RunLocalError(f"the NetworkPolicy audit's DNS server did not start: {self.dns_error or 'timeout'}")

    def _hosts(self, pod: PodPlan) -> Path:
        """The pod's own ``/etc/hosts``: localhost and its own names, as the kubelet writes it."""
        path = self.sandbox.ws.path("pods", pod.name, "hosts")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n{pod.ip}\t{' '.join(pod.dns_names())}\n"
        )
        path.chmod(0o644)
        return path

    def started(self, pod: PodPlan, handle: Handle) -> None:
        if handle.ident:
            with self.lock:
                self.containers[handle.ident] = pod.name

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=5)

    # -- owners --------------------------------------------------------------------------

    def _owner(self, inode: int) -> str | None:
        if inode in self.owners:
            return self.owners[inode]
        with self.lock:
            containers = dict(self.containers)
        for ident, pod in containers.items():
            procs = _cgroup_procs(ident)
            if procs is None:
                continue
            with contextlib.suppress(OSError):
                for pid in procs.read_text().split():
                    for inode_found in _socket_inodes(pid):
                        self.owners.setdefault(inode_found, pod)
        return self.owners.get(inode)

    def _table(self, name: str) -> list[Socket]:
        try:
            return parse_sockets(Path(f"/proc/{self.sandbox.netns_pid}/net/{name}").read_text())
        except OSError:
            return []

    # -- checking ------------------------------------------------------------------------

    def _check(self, src: str, dst: Peer, port: int, protocol: str) -> None:
        key = (src, str(dst), port, protocol)
        self.counts[key] += 1
        if key in self.verdicts:
            return
        verdict = self.policies.check(Connection(self.peers[src], dst, port, protocol))
        self.verdicts[key] = verdict
        if not verdict.allowed:
            self.refused.append(verdict)
            self.out.note(f"NetworkPolicy audit: {verdict}")

    def _poll(self) -> None:
        while not self.stopping.wait(POLL):
            sockets = self._table("tcp") + self._table("tcp6")
            listeners = {s.local: s.inode for s in sockets if s.state == _LISTEN}
            for s in sockets:
                if s.state != _ESTABLISHED or (s.local, s.remote) in self.seen:
                    continue
                server = listeners.get(s.remote) or listeners.get(("0.0.0.0", s.remote[1]))
                server = server or listeners.get(("::", s.remote[1]))
                if server is None:
                    continue  # the server side of a connection, or one to nowhere we know
                src, dst = self._owner(s.inode), self._owner(server)
                if src is None or dst is None:
                    continue  # not ours (the DNS thread) or a process just gone; next poll
                self.seen.add((s.local, s.remote))
                self._check(src, self.peers[dst], s.remote[1], "TCP")

    def _serve_dns(self) -> None:
        try:
            sock = self._dns_socket()
        except OSError as err:
            self.dns_error = str(err)
            self.dns_ready.set()
            return
        self.dns_ready.set()
        with sock:
            while not self.stopping.is_set():
                try:
                    query, client = sock.recvfrom(4096)
                except TimeoutError:
                    continue
                except OSError:
                    return
                try:
                    reply, _name = dns_answer(query, self.addresses)
                except (ValueError, IndexError, struct.error):
                    continue
                pod = self._udp_owner(client[1])
                if pod is not None:
                    self._check(pod, self.dns, 53, "UDP")
                sock.sendto(reply, client)

    def _dns_socket(self) -> socket.socket:
        """A UDP socket bound in the run's network namespace (this thread joins it for good)."""
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(f"/proc/{self.sandbox.netns_pid}/ns/net", os.O_RDONLY)
        try:
            if libc.setns(fd, _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into the run's network namespace failed")
        finally:
            os.close(fd)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((DNS_ADDRESS, 53))
        sock.settimeout(0.2)
        return sock

    def _udp_owner(self, port: int) -> str | None:
        for s in self._table("udp") + self._table("udp6"):
            if s.local[1] == port:
                return self._owner(s.inode)
        return None

    # -- results -------------------------------------------------------------------------

    def refusal(self) -> str | None:
        return str(self.refused[0]) if self.refused else None

    def summary(self) -> list[str]:
        """The report's audit section: totals, flows by role, and every refusal in full."""
        checked = sum(self.counts.values())
        by_role: Counter[tuple[str, str, str]] = Counter()
        for (src, dst, _port, protocol), n in self.counts.items():
            dst_name = dst.rsplit("/", 1)[-1]
            target = "kube-dns" if protocol == "UDP" else self.components.get(dst_name, dst_name)
            by_role[(self.components.get(src, src), target, protocol)] += n
        n_policies = len(self.policies.policies)
        head = f"{checked} connections ({len(self.counts)} distinct) checked against {n_policies} NetworkPolicies: " + (
            f"{len(self.refused)} refused" if self.refused else "none refused"
        )
        lines = [head]
        lines += [f"{s} -> {d} {p}: {n}" for (s, d, p), n in sorted(by_role.items())]
        lines += [str(v) for v in self.refused]
        return lines


def _socket_inodes(pid: str) -> Iterator[int]:
    fd_dir = f"/proc/{pid}/fd"
    with contextlib.suppress(OSError):
        for fd in os.listdir(fd_dir):
            with contextlib.suppress(OSError):
                target = os.readlink(f"{fd_dir}/{fd}")
                if target.startswith("socket:["):
                    yield int(target[8:-1])


__all__ = ["DNS_ADDRESS", "POLL", "Audit", "Socket", "dns_answer", "parse_sockets"]
