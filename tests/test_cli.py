"""The ``mxnet-construct`` command and ``python -m mxnet_construct``: help, and one-line errors.

Every case runs a real process, because "no traceback" is a promise about what a user sees
on the terminal, and both entry points are exercised: the console script that pip
installs and the module.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mxnet_construct import __version__, cli
from mxnet_construct.cli import SUBCOMMANDS
from tests.helpers import ROOT

SCRIPT = Path(sys.executable).parent / "mxnet-construct"
ENTRY_POINTS = {"console script": [str(SCRIPT)], "python -m": [sys.executable, "-m", "mxnet_construct"]}


def run(entry: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CDK8S_CHECK_UPGRADE="false")
    return subprocess.run([*ENTRY_POINTS[entry], *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *, mentions: str) -> None:
    assert result.returncode != 0, f"exit 0 for a bad invocation; stdout:\n{result.stdout}"
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{result.stderr}"
    assert lines[0].startswith("mxnet-construct"), lines[0]
    assert "error:" in lines[0]
    assert mentions in lines[0], lines[0]


def test_console_script_is_installed() -> None:
    assert SCRIPT.is_file(), f"{SCRIPT} missing: is the package installed (make setup)?"


def test_every_subcommand_is_listed_in_the_top_level_help() -> None:
    result = run("console script", "--help")
    assert result.returncode == 0, result.stderr
    for command in SUBCOMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_subcommand_help_exits_0_and_names_the_command(entry: str, command: str) -> None:
    result = run(entry, command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: mxnet-construct {command}"), result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("flag", ["--version", "-V"])
@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_version(entry: str, flag: str) -> None:
    result = run(entry, flag)
    assert result.returncode == 0
    assert result.stdout.strip() == f"mxnet-construct {__version__}"


def test_no_arguments_prints_usage_and_exits_2() -> None:
    result = run("console script")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: mxnet-construct")
    for command in SUBCOMMANDS:
        assert command in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_unknown_subcommand_is_one_line(entry: str) -> None:
    result = run(entry, "frobnicate")
    assert result.returncode == 2
    assert_one_line_error(result, mentions="'frobnicate'")


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_unknown_option_is_one_line(command: str) -> None:
    result = run("console script", command, "--no-such-option", "x.yaml")
    assert result.returncode == 2
    assert_one_line_error(result, mentions=f"mxnet-construct {command}: error:")


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_missing_arguments_are_one_line(command: str) -> None:
    result = run("console script", command)
    assert result.returncode == 2
    assert_one_line_error(result, mentions="required")


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("template", ["demo", "-f", "no-such-values.yaml"]),
        ("run-local", ["no-such-file.k8s.yaml"]),
        ("diagram", ["no-such-file.k8s.yaml"]),
    ],
)
def test_missing_input_file_is_one_line(command: str, args: list[str], tmp_path: Path) -> None:
    result = run("console script", command, *args, cwd=tmp_path)
    assert_one_line_error(result, mentions="no-such")


@pytest.mark.parametrize(
    ("command", "args", "mentions"),
    [
        ("template", ["demo", "-f", "values.yaml"], "noSuchKey"),
        ("template", ["demo", "-f", "broken.yaml"], "broken.yaml"),
        ("run-local", ["broken.yaml"], "broken.yaml"),
        ("diagram", ["broken.yaml"], "broken.yaml"),
    ],
)
def test_bad_input_is_one_line(command: str, args: list[str], mentions: str, tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text("mode: distributed\nnoSuchKey: 1\n")
    # Unbalanced flow mapping: a YAML syntax error, not just an unexpected shape.
    (tmp_path / "broken.yaml").write_text("kind: {Deployment\n  spec: [\n")
    result = run("console script", command, *args, cwd=tmp_path)
    assert_one_line_error(result, mentions=mentions)


def test_bad_set_value_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text("mode: distributed\n")
    result = run("console script", "template", "demo", "-f", "values.yaml", "--set", "workerCount=many", cwd=tmp_path)
    assert_one_line_error(result, mentions="workerCount")


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_loads_no_jsii(command: str) -> None:
    # `--help` must answer at once; starting cdk8s (a Node process) takes about a second.
    probe = textwrap.dedent(
        f"""
        import contextlib, io, sys
        from mxnet_construct import cli
        with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
            cli.main([{command!r}, "--help"])
        print(sorted(m for m in ("cdk8s", "cdk8s_plus_27", "constructs", "jsii") if m in sys.modules))
        """
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def without_silencer() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != cli.SILENCE_NODE_BANNER}
    env["CDK8S_CHECK_UPGRADE"] = "false"
    return env


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_successful_template_run_prints_no_node_banner(entry: str, tmp_path: Path) -> None:
    # The variable is unset, as in a user's shell: the CLI must set it before jsii starts.
    (tmp_path / "values.yaml").write_text("mode: distributed\n")
    result = subprocess.run(
        [*ENTRY_POINTS[entry], "template", "demo", "-f", "values.yaml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=without_silencer(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "name: demo-mxnet-scheduler" in result.stdout
    assert result.stderr == "", f"noise on stderr:\n{result.stderr}"


def test_the_silencer_names_the_running_node_major(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cli.SILENCE_NODE_BANNER, raising=False)
    cli.silence_node_banner()
    node = subprocess.run(["node", "-p", "process.versions.node"], capture_output=True, text=True, check=True)
    assert os.environ[cli.SILENCE_NODE_BANNER] == node.stdout.split(".")[0]


def test_the_users_own_silencer_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.SILENCE_NODE_BANNER, "18")
    cli.silence_node_banner()
    assert os.environ[cli.SILENCE_NODE_BANNER] == "18"


def test_without_node_the_silencer_sets_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(cli.SILENCE_NODE_BANNER, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    cli.silence_node_banner()
    assert cli.SILENCE_NODE_BANNER not in os.environ


# --- diagram -o -------------------------------------------------------------------------

DEFAULT_DIST = ROOT / "dist" / "mxnet-example.k8s.yaml"


@pytest.mark.parametrize("name", ["topology.jpg", "topology.jpeg", "topology.pdf"])
def test_diagram_refuses_a_suffix_it_cannot_draw(name: str, tmp_path: Path) -> None:
    result = run("python -m", "diagram", str(DEFAULT_DIST), "-o", name, cwd=tmp_path)
    assert_one_line_error(result, mentions=f"-o {name}: cannot draw a '{Path(name).suffix}' file")
    assert ".svg" in result.stderr and "--format" in result.stderr
    assert not (tmp_path / name).exists()


def test_diagram_refuses_a_suffix_that_contradicts_the_format(tmp_path: Path) -> None:
    result = run("python -m", "diagram", str(DEFAULT_DIST), "--format", "png", "-o", "x.svg", cwd=tmp_path)
    assert_one_line_error(result, mentions="the suffix '.svg' means svg, but --format is png")
    assert not (tmp_path / "x.svg").exists()


@pytest.mark.parametrize(
    ("name", "start"),
    [("topology.mmd", b"flowchart LR"), ("topology", b"flowchart LR"), ("topology.gv", b"digraph topology")],
)
def test_diagram_o_writes_the_file_and_prints_its_path(name: str, start: bytes, tmp_path: Path) -> None:
    result = run("console script", "diagram", str(DEFAULT_DIST), "-o", name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    fmt = "dot" if name.endswith(".gv") else "mermaid"
    assert result.stderr == f"wrote {name} ({fmt})\n"
    assert (tmp_path / name).read_bytes().startswith(start)


def test_diagram_format_wins_for_a_suffix_it_does_not_know(tmp_path: Path) -> None:
    result = run("console script", "diagram", str(DEFAULT_DIST), "--format", "mermaid", "-o", "t.txt", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "t.txt").read_text().startswith("flowchart LR")
