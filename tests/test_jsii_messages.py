"""How many messages a release sends to jsii's Node process: the cost that dominates synthesis.

Counted, not timed: each message is a Node round trip (about 0.4 ms here), and the count is
the same on every machine. The budget is what the design needs for a default distributed
release (2 servers + 3 workers):

* construction: one create for the chart, one per role construct (3), one per object (8);
* synthesis: one callback per object (8: cdk8s asks each for its document) and two calls
  for the name-collision walk (the chart's ``node``, ``find_all``), plus the app's ``synth``.

A plain ``ApiObject`` whose body goes in as a JSON patch would cost two more per object
(``JsonPatch.add``, ``add_json_patch``); a role that asked Node for the chart's labels, or an
object that asked for its own metadata, one or two more each. Counting goes through the
jsii kernel's process provider (a private class of jsii, used only here).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import cdk8s
import pytest
from jsii._kernel.providers import process

from mxnet_construct import MXNetChart


@contextmanager
def counting(counter: Counter[str]) -> Iterator[None]:
    original = process._NodeProcess.send

    def send(self: process._NodeProcess, request: object, response_type: object) -> object:
        counter[type(request).__name__] += 1
        return original(self, request, response_type)

    process._NodeProcess.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        process._NodeProcess.send = original  # type: ignore[method-assign]


def test_a_default_release_costs_twelve_messages_to_build_and_eleven_to_synthesize() -> None:
    # A first release warms up whatever jsii loads once per process.
    warm = cdk8s.App(outdir=tempfile.mkdtemp())
    MXNetChart(warm, "warm", mode="distributed", server_count=2, worker_count=3)
    warm.synth()

    app = cdk8s.App(outdir=tempfile.mkdtemp())
    built: Counter[str] = Counter()
    with counting(built):
        MXNetChart(app, "rel", mode="distributed", server_count=2, worker_count=3)
    synthesized: Counter[str] = Counter()
    with counting(synthesized):
        app.synth()

    assert built == {"CreateRequest": 12}, built
    # Callbacks are answered with a completion message, one per object rendered.
    assert synthesized == {"InvokeRequest": 2, "GetRequest": 1, "_CompleteRequest": 8}, synthesized


@pytest.mark.parametrize("releases", [1, 3])
def test_messages_grow_with_releases_not_with_the_apps_size(releases: int) -> None:
    app = cdk8s.App(outdir=tempfile.mkdtemp())
    counter: Counter[str] = Counter()
    with counting(counter):
        for i in range(releases):
            MXNetChart(app, f"rel-{i}", mode="distributed", server_count=2, worker_count=3)
        app.synth()
    # 12 to build, 10 to synthesize per release, and the app's one synth call.
    assert sum(counter.values()) == 22 * releases + 1, counter
