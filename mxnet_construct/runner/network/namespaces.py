"""Network namespaces of a run: one "node" namespace holding the bridge, and one per pod.

Nothing is created in the host's own network namespace. The node namespace holds the
bridge ``br0`` (the pods' gateway), the nftables tables (:mod:`.rules`) and the DNS
responder's socket; each pod namespace holds ``lo`` and ``eth0``, the far end of a veth
whose near end is a port of the bridge. The bridge ports are *isolated* and the gateway
answers every ARP request (``proxy_arp_pvlan``), so even two pods on the one bridge talk
through the node's IP layer, where nftables sees, translates and filters every packet.
The node namespace has no route off the bridge, so no packet leaves it.

Namespaces are named ``mxrl-<pid>-<start time>-...`` after the run-local process that owns
them: a later run removes those whose owner is gone (a SIGKILLed run), and never those of
a run still going.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from ..host import HOST_ENV, host_tool, run_host
from ..model import RunLocalError
from .addresses import DNS_IP, GATEWAY, POD_NETWORK
from .rules import BRIDGE

NETNS_DIR = Path("/run/netns")
PREFIX = "mxrl"
_NAME = re.compile(rf"^{PREFIX}-(\d+)-(\d+)-")


def _start_time(pid: int) -> int | None:
    """A process's start time in clock ticks since boot, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    return int(stat.rsplit(")", 1)[1].split()[19])


_RUNS = itertools.count(1)


def run_prefix() -> str:
    """A name prefix for one run's namespaces: its process, and the run's number in it."""
    pid = os.getpid()
    return f"{PREFIX}-{pid}-{_start_time(pid)}-{next(_RUNS)}"


def _ip() -> str:
    ip = host_tool("ip")
    if ip is None:
        raise RunLocalError("the pod network needs `ip` (Debian package iproute2)")
    return ip


def _batch(argv: Sequence[str], lines: Sequence[str], what: str) -> None:
    done = subprocess.run(
        [*argv, "-batch", "-"], input="\n".join(lines) + "\n", env=HOST_ENV, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RunLocalError(f"could not set up the pod network ({what}): {done.stderr.strip() or done.returncode}")


def owned_namespaces(prefix: str) -> list[str]:
    """The namespaces whose names start with ``prefix``."""
    with contextlib.suppress(OSError):
        return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(prefix + "-"))
    return []


def stale_namespaces() -> list[str]:
    """run-local's namespaces whose owning process is gone."""
    out = []
    for name in owned_namespaces(PREFIX):
        m = _NAME.match(name)
        if m and _start_time(int(m.group(1))) != int(m.group(2)):
            out.append(name)
    return out


def delete_namespaces(names: Sequence[str]) -> None:
    """Remove namespaces (their interfaces and nftables tables go with them)."""
    if names:
        # -force: one that is already gone must not keep the others.
        subprocess.run(
            [_ip(), "-force", "-batch", "-"], input="".join(f"netns delete {n}\n" for n in names), env=HOST_ENV,
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip


def create(node: str, pods: Sequence[tuple[str, str]]) -> None:
    """The node namespace with its bridge, and one namespace per ``(name, ip)`` pod, wired.

    A pod's veth is ``v<i>`` on the bridge and ``eth0`` inside the pod.
    """
    ip = _ip()
    _batch([ip], [f"netns add {n}" for n in (node, *(name for name, _ in pods))], "namespaces")
    sysctl = host_tool("sysctl")
    if sysctl is None:
        raise RunLocalError("the pod network needs `sysctl` (Debian package procps)")
    # Defaults first, so the bridge created next inherits them.
    settings = [
        "net.ipv4.ip_forward=1",
        "net.ipv4.conf.all.send_redirects=0",
        "net.ipv4.conf.default.send_redirects=0",
    ]
    # Where the host loaded br_netfilter, frames would also meet the IP hooks at the
    # bridge, and a translated Service packet would be bridged to an isolated port and lost:
    # only the routed path may see IP rules. -e: without the module these keys do not exist.
    settings += [f"net.bridge.bridge-nf-call-{t}=0" for t in ("iptables", "ip6tables", "arptables")]
    done = run_host([ip, "netns", "exec", node, sysctl, "-e", "-q", "-w", *settings])
    if done.returncode != 0:
        raise RunLocalError(f"could not set up the pod network (node sysctls): {done.stderr.strip()}")
    prefix_len = POD_NETWORK.prefixlen
    node_lines = [
        "link set lo up",
        f"link add {BRIDGE} type bridge",
        f"addr add {GATEWAY}/{prefix_len} dev {BRIDGE}",
        f"link set {BRIDGE} up",
        f"addr add {DNS_IP}/32 dev lo",
    ]
    for i, (name, _) in enumerate(pods):
        node_lines += [
            f"link add v{i} type veth peer name eth0 netns {name}",
            f"link set v{i} master {BRIDGE}",
            f"link set v{i} type bridge_slave isolated on learning off",
            f"link set v{i} up",
        ]
    _batch([ip, "-n", node], node_lines, "bridge")
    proxy = [
        f"net.ipv4.conf.{BRIDGE}.proxy_arp=1",
        f"net.ipv4.conf.{BRIDGE}.proxy_arp_pvlan=1",
        f"net.ipv4.conf.{BRIDGE}.send_redirects=0",
    ]
    done = run_host([ip, "netns", "exec", node, sysctl, "-q", "-w", *proxy])
    if done.returncode != 0:
        raise RunLocalError(f"could not set up the pod network (bridge sysctls): {done.stderr.strip()}")
    procs = []
    for name, address in pods:
        lines = [
            "link set lo up",
            f"addr add {address}/{prefix_len} dev eth0",
            "link set eth0 up",
            f"route add default via {GATEWAY}",
        ]
        procs.append(subprocess.Popen(
            [ip, "-n", name, "-batch", "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=HOST_ENV, text=True,
        ))  # fmt: skip
        assert procs[-1].stdin is not None
        procs[-1].stdin.write("\n".join(lines) + "\n")
        procs[-1].stdin.close()
    errors = []
    for (name, _), proc in zip(pods, procs, strict=True):
        err = proc.stderr.read() if proc.stderr else ""
        if proc.wait(timeout=60) != 0:
            errors.append(f"{name}: {err.strip()}")
    if errors:
        raise RunLocalError(f"could not set up the pod network (pod interfaces): {'; '.join(errors)}")


def nft(node: str, argv: Sequence[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``nft ARGV`` inside the node namespace.

    ``nsenter --net`` joins the network namespace only; ``ip netns exec`` would also set up
    a mount namespace each time, twice the cost for the drop log's frequent reads.
    """
    tool, nsenter = host_tool("nft"), host_tool("nsenter")
    if tool is None or nsenter is None:
        raise RunLocalError("the pod network needs `nft` and `nsenter` (Debian packages nftables, util-linux)")
    return subprocess.run(
        [nsenter, f"--net={NETNS_DIR / node}", tool, *argv], input=stdin, env=HOST_ENV, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip


__all__ = [
    "NETNS_DIR",
    "PREFIX",
    "create",
    "delete_namespaces",
    "nft",
    "owned_namespaces",
    "run_prefix",
    "stale_namespaces",
]
