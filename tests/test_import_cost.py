"""``import mxnet_construct`` stays cheap, and optional features load only when used.

Checked structurally, not by timing: each case runs in a fresh interpreter and reports
which modules ended up in ``sys.modules``. Importing cdk8s starts jsii's Node process and
loads the cdk8s assemblies (about half a second here), and a CRD binding loads its own
assembly on top (about a second for the JobSet), so pulling any of them in eagerly is a
real regression for every user and for ``mxnet-construct --help``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from typing import Any

from tests.helpers import ROOT

# Heavy or optional modules, by top-level name or dotted prefix.
JSII_STACK = ("cdk8s", "cdk8s_plus_27", "constructs", "jsii", "typeguard", "cattrs")
OPTIONAL_FEATURES = (
    "yaml",
    "mxnet_construct.helm",
    "mxnet_construct.helm_cli",
    "mxnet_construct.runner",
    "mxnet_construct.diagram",
    "imports",
)
# The typed CRD bindings `make imports` writes for apps; the library never loads them.
BINDING_DIRS = (ROOT / "imports",)

_REPORT = textwrap.dedent(
    """
    import json, sys

    def report(step):
        modules = {}
        for name, module in list(sys.modules.items()):
            modules[name] = getattr(module, "__file__", None)
        print(json.dumps({"step": step, "modules": modules}))
    """
)


def run_steps(body: str) -> dict[str, dict[str, str | None]]:
    """Runs ``body`` in a fresh interpreter; each ``report(step)`` call records sys.modules."""
    # jsii leaves its unpacked runtime in TMPDIR; keep it in a directory removed afterwards.
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CDK8S_CHECK_UPGRADE="false", TMPDIR=tmp)
        proc = subprocess.run(
            [sys.executable, "-c", _REPORT + textwrap.dedent(body)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=300,
        )
    assert proc.returncode == 0, proc.stderr
    steps: dict[str, dict[str, str | None]] = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            entry: dict[str, Any] = json.loads(line)
            steps[entry["step"]] = entry["modules"]
    return steps


def loaded(modules: dict[str, str | None], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(name for name in modules if any(name == p or name.startswith(p + ".") for p in prefixes))


def bindings(modules: dict[str, str | None]) -> list[str]:
    """Modules loaded from the generated CRD bindings, whatever package name they use."""
    found = []
    for name, path in modules.items():
        if path and any(os.path.abspath(path).startswith(str(d) + os.sep) for d in BINDING_DIRS):
            found.append(name)
    return sorted(found)


def test_import_loads_neither_jsii_nor_optional_features() -> None:
    steps = run_steps(
        """
        import mxnet_construct
        report("import")
        from mxnet_construct import (
            PRODUCTION, Entrypoint, GitRepository, MXNetOptions, Persistence, Resources, RoleOptions,
        )
        MXNetOptions(mode="distributed", persistence=Persistence(enabled=True), **{})
        report("options")
        mxnet_construct.MXNetChart
        report("chart")
        """
    )
    for step in ("import", "options"):
        assert loaded(steps[step], JSII_STACK) == [], step
        assert loaded(steps[step], OPTIONAL_FEATURES) == [], step
        assert bindings(steps[step]) == [], step
        assert loaded(steps[step], ("mxnet_construct.chart", "mxnet_construct.roles")) == [], step
    # The probe sees a real load when one happens: the chart class does bring in cdk8s.
    assert "cdk8s" in steps["chart"]
    assert "mxnet_construct.chart" in steps["chart"]


def test_cli_version_and_help_load_no_subcommand_module() -> None:
    steps = run_steps(
        """
        import contextlib, io
        from mxnet_construct import cli
        report("cli")
        for argv in (["--version"], ["--help"]):
            with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
                cli.main(argv)
        report("help")
        with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
            cli.main(["template", "--help"])
        report("template")
        """
    )
    for step in ("cli", "help"):
        assert loaded(steps[step], JSII_STACK) == [], step
        assert loaded(steps[step], OPTIONAL_FEATURES) == [], step
    # The probe is live: asking for one subcommand's help does load its module.
    assert "mxnet_construct.helm_cli" in steps["template"]


def test_default_charts_load_no_crd_bindings_or_helm() -> None:
    steps = run_steps(
        """
        import cdk8s
        from mxnet_construct import MXNetChart
        app = cdk8s.App()
        charts = [MXNetChart(app, "solo"), MXNetChart(app, "dist", mode="distributed")]
        report("construct")
        docs = [doc for chart in charts for doc in cdk8s.Testing.synth(chart)]
        assert len(docs) > 5, docs
        report("synth")
        """
    )
    for step in ("construct", "synth"):
        assert bindings(steps[step]) == [], step
        assert loaded(steps[step], OPTIONAL_FEATURES) == [], step
        # The probe is live: this step really did load the jsii stack.
        assert "cdk8s" in steps[step]


def test_jobset_and_gang_releases_load_no_crd_binding() -> None:
    # JobSet and PodGroup take apiVersion/kind from the constants in _crds.py.
    steps = run_steps(
        """
        import cdk8s
        from mxnet_construct import Entrypoint, MXNetChart
        app = cdk8s.App()
        charts = [
            MXNetChart(app, "js", mode="distributed", lifecycle="jobset", entrypoint=Entrypoint(file="t.py")),
            MXNetChart(app, "vg", mode="distributed", gang_scheduler="volcano"),
            MXNetChart(app, "sp", mode="distributed", gang_scheduler="scheduler-plugins"),
        ]
        kinds = sorted({doc["kind"] for chart in charts for doc in cdk8s.Testing.synth(chart)})
        assert {"JobSet", "PodGroup"} <= set(kinds), kinds
        report("synth")
        """
    )
    assert bindings(steps["synth"]) == []
    assert loaded(steps["synth"], OPTIONAL_FEATURES) == []
    assert "mxnet_construct._crds" in steps["synth"]
