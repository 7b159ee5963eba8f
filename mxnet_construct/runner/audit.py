"""The drop log: every connection the NetworkPolicy enforcer dropped, named and explained.

The kernel enforces the policies (:mod:`.network.rules`); each drop rule first adds the
packet's ``source . destination . protocol . port`` to an nftables set, and the bridge
guard adds every spoofed source address to another. Sets are only ever added to, so
reading them every :data:`POLL` seconds and once more at the end misses nothing, however
short a connection was (a single UDP datagram or a refused SYN is enough to be recorded).

Each entry is mapped back to pods by address: the bridge guard makes a pod's source
address truthful, so an entry's source is the pod that sent it. A drop is reported as
Kubernetes explains a refusal (:meth:`Policies.check
<mxnet_construct.policies.network.Policies.check>`): source, destination, port, protocol,
and the policies that isolate the side that refused it. The first drop fails the run.
"""

from __future__ import annotations

import threading

from ..policies.network import PROTOCOLS, Connection, Direction, Peer
from .host import Handle
from .model import PodPlan
from .network import Dropped, PodNetwork
from .report import Output

POLL = 1.0
_NUMBERS = {6: "TCP", 17: "UDP", 132: "SCTP", 1: "ICMP"}


class DropLog:
    """Reads what the enforcer of ``network`` dropped (see the module docstring)."""

    def __init__(self, network: PodNetwork, out: Output) -> None:
        self.network = network
        self.out = out
        self.lock = threading.Lock()
        self.seen: set[Dropped] = set()
        self.messages: list[str] = []
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._poll, daemon=True, name="run-local-drop-log")
        self.thread.start()

    def started(self, pod: PodPlan, handle: Handle) -> None:
        """Nothing to do: the kernel knows each pod by its address."""

    def _poll(self) -> None:
        while not self.stopping.wait(POLL):
            self.read()

    def read(self) -> None:
        """Record what was dropped since the last read."""
        for drop in self.network.drops():
            with self.lock:
                if drop in self.seen:
                    continue
                self.seen.add(drop)
                message = self.explain(drop)
                self.messages.append(message)
            self.out.note(f"NetworkPolicy: {message}")

    def _peer(self, ip: str) -> Peer:
        name = self.network.by_ip.get(ip)
        if name is not None:
            return self.network.peers[name]
        if ip == self.network.dns.ip:
            return self.network.dns
        return Peer("outside", ip)

    def explain(self, drop: Dropped) -> str:
        """One drop in words: who, to whom, what, and why."""
        if drop.kind == "spoofed":
            sender = self.network.by_interface.get(drop.interface, drop.interface)
            owner = self.network.by_ip.get(drop.src)
            claimed = f"pod {owner}'s address {drop.src}" if owner else f"address {drop.src}"
            return f"dropped: pod {sender} sent from {claimed} (to {drop.dst}); a pod may only use its own address"
        src, dst = self._peer(drop.src), self._peer(drop.dst)
        protocol = _NUMBERS.get(drop.protocol, f"protocol {drop.protocol}")
        if protocol in PROTOCOLS and 1 <= drop.port <= 65535:
            verdict = self.network.policies.check(Connection(src, dst, drop.port, protocol))
            if not verdict.allowed:
                return "dropped: " + str(verdict).removeprefix("refused: ")
        # Not a connection NetworkPolicy can allow (ICMP, port 0): the pod's isolation is why.
        side = src if drop.kind == "egress" else dst
        direction: Direction = "Egress" if drop.kind == "egress" else "Ingress"
        ids = ", ".join(p.id for p in self.network.policies.isolating(side, direction))
        port = f" port {drop.port}" if protocol in PROTOCOLS else ""
        return (
            f"dropped: {src} -> {dst}{port}/{protocol}: {'egress from' if drop.kind == 'egress' else 'ingress to'} "
            f"{side} is isolated by NetworkPolicy {ids} and no rule allows it"
        )

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
        self.read()

    def refusal(self) -> str | None:
        with self.lock:
            return self.messages[0] if self.messages else None

    def summary(self) -> list[str]:
        """The report's section: what is enforced, and every drop."""
        n = len(self.network.policies.policies)
        dns = self.network.responder
        head = f"{n} NetworkPolicies enforced for {len(self.network.peers)} pods: " + (
            f"{len(self.messages)} distinct connections dropped" if self.messages else "nothing dropped"
        )
        lines = [
            head,
            f"DNS: {dns.answered} queries answered, {dns.ignored} ignored, {dns.limited} over the rate limit",
        ]
        return lines + list(self.messages)


__all__ = ["POLL", "DropLog"]
