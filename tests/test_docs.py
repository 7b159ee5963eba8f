"""The docs can't drift: generated pages are fresh, every command and code block runs, links resolve.

Every fenced command block (``sh``, ``shell``, ``bash``, ``console``) in README.md and
docs/*.md is run, in order, page by page, in a throwaway git clone of the working tree with
the built environments linked in. A block is not run only when an HTML comment right above
it says why::

    <!-- illustrative: needs a cluster -->

Two more comments steer a run:

- ``<!-- doc-test: environment -->`` marks the README's activation block. It runs once; the
  environment it leaves is the one every other block runs in (as in a reader's shell after
  following the README), so it starts from a shell without jsii's silencing variable.
- ``<!-- doc-test setup: COMMAND -->`` runs COMMAND first, hidden from the reader (e.g. to
  create the ``values.yaml`` a page assumes you have).

``console`` blocks run their ``$ `` lines; a ``$ echo $?`` line checks the exit code the
transcript shows for the command before it. Other commands must exit 0. ``make`` runs with
the set-up targets marked as done, so the shared environments are never reinstalled. After
each block, ``git status`` must be what it was before it: docs never dirty the tree (the
root ``dist/`` is committed and checked for staleness).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import html
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from mxnet_construct import _docgen, diagram
from mxnet_construct.options import MXNetOptions
from tests.helpers import ROOT, validate_documents

README = (ROOT / "README.md").read_text()
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_LANGS = ("sh", "shell", "bash", "console")
# A fence without a language whose first line starts like this is a command block too, and
# must say so (```sh), so that nothing escapes this test by omission.
COMMAND_START = re.compile(
    r"^(\$ |make |python|\.venv/|\./node_modules|mxnet-construct|cdk8s |kubectl |helm |pip |sudo )"
)
MARKER = re.compile(r"^<!--\s*(illustrative|doc-test(?: setup)?):\s*(.*?)\s*-->$")
# Targets that install the shared environments: never rebuilt from a docs test.
SETUP_TARGETS = ("setup", "mxnet-venv", "checkov-venv", "runc", "podnet", "sshd", "graphviz", "helm")
LINKED = (".venv", ".mxnet-venv", ".checkov-venv", "node_modules")


@dataclasses.dataclass(frozen=True)
class Block:
    page: str  # path relative to the repository
    line: int  # of the opening fence
    lang: str
    text: str
    marker: tuple[str, str] | None  # ("illustrative", reason), ("doc-test", "environment"), ...

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]


def page_blocks(page: Path, name: str | None = None) -> list[Block]:
    """Every fenced block of ``page`` with its language and the marker comment above it."""
    name = name or str(page.relative_to(ROOT))
    lines = page.read_text().splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        opening = re.match(r"^\s*```(\S*)\s*$", lines[i])
        if not opening:
            i += 1
            continue
        lang = opening.group(1)
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        body = textwrap.dedent("\n".join(lines[i + 1 : end]))
        above = next((lines[k].strip() for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        found = MARKER.match(above)
        marker = (found.group(1), found.group(2)) if found else None
        out.append(Block(name, i + 1, lang, body, marker))
        i = end + 1
    return out


def command_blocks() -> list[Block]:
    return [
        b
        for page in PAGES
        for b in page_blocks(page)
        if b.lang in SHELL_LANGS or (b.lang == "" and COMMAND_START.match(b.text.lstrip()))
    ]


def runnable_blocks() -> list[Block]:
    return [b for b in command_blocks() if b.marker is None or b.marker[0] == "doc-test setup"]


# --- the clone the commands run in ---------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


@functools.cache
def clone_for(page: str, base: str) -> Path:
    """A git clone of the working tree for ``page``'s blocks, with the environments linked in."""
    clone = Path(base) / page.replace("/", "_")
    files = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").split("\n")
    for name in (f for f in files if f and (ROOT / f).is_file()):
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, clone / name)
    for link in LINKED:
        (clone / link).symlink_to(ROOT / link)
    git(clone, "init", "-q")
    git(clone, "add", "-A")
    git(clone, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "clone")
    return clone


@functools.cache
def reader_env(clone: Path) -> dict[str, str]:
    """The environment after the README's activation block, run in a shell like a reader's."""
    [block] = [b for b in command_blocks() if b.marker == ("doc-test", "environment")]
    start = {k: v for k, v in os.environ.items() if not k.startswith(("JSII_", "CDK8S_")) and k != "VIRTUAL_ENV"}
    # The editable install in .venv points at the checkout that built it; a reader's points
    # at their own clone, which PYTHONPATH stands in for here.
    start["PYTHONPATH"] = str(clone)
    proc = subprocess.run(
        ["bash", "-c", f"set -e\n{block.text}\nenv -0"], cwd=clone, env=start, capture_output=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr.decode()
    env = dict(item.split("=", 1) for item in proc.stdout.decode().split("\0") if "=" in item)
    for name in ("VIRTUAL_ENV", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "CDK8S_CHECK_UPGRADE"):
        assert name in env, f"the README's activation block no longer sets {name}"
    for command in ("python", "mxnet-construct", "cdk8s"):
        assert shutil.which(command, path=env["PATH"]), f"{command} is not on PATH after the README's activation"
    return env


def commands(block: Block) -> list[tuple[str, int]]:
    """``(command, expected exit code)`` pairs, in order."""
    if block.lang == "console":
        pairs: list[tuple[str, int]] = []
        lines = block.text.splitlines()
        for i, line in enumerate(lines):
            if not line.startswith("$ "):
                continue
            command = line[2:]
            if command.strip() == "echo $?":
                assert pairs, f"{block.id}: `echo $?` with no command before it"
                pairs[-1] = (pairs[-1][0], int(lines[i + 1].strip()))
            else:
                pairs.append((command, 0))
        assert pairs, f"{block.id}: a console block without `$ ` lines: label it ```text, or prefix commands with `$ `"
        return pairs
    joined = re.sub(r"\\\n\s*", "", block.text)
    return [(line, 0) for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def script(block: Block) -> str:
    lines = [
        "make() { command make " + " ".join(f"-o {t}" for t in SETUP_TARGETS) + ' "$@"; }',
        # These machines run the tests as root, where the docs' `sudo` is a no-op.
        'command -v sudo >/dev/null || sudo() { "$@"; }',
    ]
    for command, expected in commands(block):
        quoted = shlex.quote(command)
        lines += [
            command,
            f'rc=$?; [ "$rc" -eq {expected} ] || {{ echo "exit $rc, not {expected}: "{quoted} >&2; exit 97; }}',
        ]
    return "\n".join(lines) + "\n"


def run_block(block: Block, base: Path) -> subprocess.CompletedProcess[str]:
    clone = clone_for(block.page, str(base))
    env = reader_env(clone)
    if block.marker and block.marker[0] == "doc-test setup":
        subprocess.run(["bash", "-c", block.marker[1]], cwd=clone, env=env, check=True, timeout=60)
    before = git(clone, "status", "--porcelain")
    proc = subprocess.run(
        ["bash", "-c", script(block)], cwd=clone, env=env, capture_output=True, text=True, timeout=900
    )
    after = git(clone, "status", "--porcelain")
    assert proc.returncode == 0, f"{block.id} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert after == before, f"{block.id} dirtied the tree:\n{after}"
    assert "end-of-life" not in proc.stdout + proc.stderr, f"{block.id} printed Node noise:\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def clones(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("doc-clones")


def block_params() -> list[object]:
    params: list[object] = []
    for b in runnable_blocks():
        marks = []
        if b.page == "docs/local-run.md":
            marks.append(pytest.mark.mxnet)
        params.append(pytest.param(b, id=b.id, marks=marks))
    return params


@pytest.mark.parametrize("block", block_params())
def test_every_command_block_runs(block: Block, clones: Path) -> None:
    run_block(block, clones)


def test_blocks_not_run_say_why() -> None:
    not_run = [b for b in command_blocks() if b.marker and b.marker[0] == "illustrative"]
    assert not_run, "expected the cluster commands to be marked illustrative"
    for b in not_run:
        assert len(b.marker[1].split()) >= 3, f"{b.id}: give a reason, e.g. <!-- illustrative: needs a cluster -->"  # type: ignore[index]
    unknown = [
        b.id for b in command_blocks() if b.marker and b.marker[0] == "doc-test" and b.marker[1] != "environment"
    ]
    assert unknown == []


def test_cluster_commands_are_never_run() -> None:
    for b in runnable_blocks():
        for command, _ in commands(b):
            assert not re.search(r"kubectl (apply|create|delete|get|exec)|helm (install|upgrade)", command), (
                f"{b.id}: `{command}` needs a cluster: mark the block <!-- illustrative: needs a cluster -->"
            )


def test_the_block_parser_reads_markers_and_transcripts(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "text\n\n<!-- illustrative: needs a cluster -->\n```sh\nkubectl apply -f x\n```\n\n"
        "```console\n$ false\nsome output\n$ echo $?\n1\n$ true\n```\n"
        "- item\n\n  ```sh\n  make synth \\\n    OUT=x  # why\n  ```\n"
    )
    blocks = page_blocks(page, "page.md")
    assert [b.marker for b in blocks] == [("illustrative", "needs a cluster"), None, None]
    assert commands(blocks[1]) == [("false", 1), ("true", 0)]
    assert commands(blocks[2]) == [("make synth OUT=x  # why", 0)]


# --- generated pages -------------------------------------------------------------------------


def test_generated_blocks_are_up_to_date() -> None:
    for page, page_blocks_ in _docgen.blocks().items():
        text = page.read_text()
        assert _docgen.render_page(text, page_blocks_) == text, (
            f"{page.relative_to(ROOT)} is stale: run `{_docgen.REGENERATE}` and commit it"
        )


def test_check_mode_reports_a_stale_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _docgen.OPTIONS_DOC.read_text()
    stale = tmp_path / "options.md"
    stale.write_text(text.replace("| `worker_count` |", "| `workers` |"))
    monkeypatch.setattr(_docgen, "OPTIONS_DOC", stale)
    assert _docgen.main(["--check"]) == 1
    assert _docgen.main(["--no-svg"]) == 0
    assert stale.read_text() == text
    assert _docgen.main(["--check"]) == 0


def options_block() -> str:
    return _docgen.OPTIONS_DOC.read_text().split("<!-- options:start -->")[1].split("<!-- options:end -->")[0]


def test_every_option_is_in_the_reference_with_its_default() -> None:
    block = options_block()
    for f in dataclasses.fields(MXNetOptions):
        assert f"| `{f.name}` |" in block, f.name
    assert '| `mode` | `"standalone" \\| "distributed"` | `"standalone"` |' in block
    assert "| `scheduler_port` | `int` | `49875` |" in block
    assert "| `readiness_probe` | `Probe` | `Probe(timeout_seconds=1)` |" in block
    for heading in (
        "Image",
        "Probe",
        "Persistence",
        "RoleOptions",
        "JobOptions",
        "NetworkPolicyOptions",
        "SecurityContext",
    ):
        assert f"\n### `{heading}`\n" in block


def test_an_undocumented_option_fails_the_generator() -> None:
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Half:
        """Documents one field of two.

        Args:
            documented: Has a meaning.
        """

        documented: int = 1
        forgotten: int = 2

    with pytest.raises(_docgen.DocError, match=r"Half: .* forgotten"):
        _docgen._table(Half)


def test_args_sections_parse_shared_and_continued_entries() -> None:
    class Sample:
        """Summary.

        Args:
            alpha, beta: Shared text
                that continues here.
            gamma: Own text.

        Returns:
            not an argument: ignored.
        """

    assert _docgen._args_section(Sample) == {
        "alpha": "Shared text that continues here.",
        "beta": "Shared text that continues here.",
        "gamma": "Own text.",
    }


def test_missing_markers_are_an_error() -> None:
    with pytest.raises(_docgen.DocError, match="options:start"):
        _docgen.replace_block("# no markers\n", "options", "x\n")


def test_the_committed_picture_shows_the_default_app() -> None:
    text = html.unescape((ROOT / "docs" / "topology.svg").read_text())
    topo = diagram.build(diagram.load_documents(_docgen.TOPOLOGY_SOURCE))
    for group in topo.groups:
        for node in group.nodes:
            assert node.title in text, f"docs/topology.svg is stale ({node.title} missing): run `{_docgen.REGENERATE}`"


# --- the README's shape ----------------------------------------------------------------------


def test_readme_fits_on_a_few_screens_and_starts_with_the_two_commands() -> None:
    assert len(README.splitlines()) <= 300
    first_section = README.split("\n## ")[1]
    assert first_section.startswith("Two commands\n")
    first_block = re.search(r"```sh\n(.*?)```", first_section, flags=re.DOTALL)
    assert first_block
    assert re.findall(r"^(make \w+)", first_block.group(1), flags=re.MULTILINE) == ["make synth", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    for target in ("synth", "test", "examples"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target


def test_readme_links_every_docs_page() -> None:
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"](docs/{page.name})" in README, f"README.md's contents table misses docs/{page.name}"


def test_long_material_lives_in_docs_only() -> None:
    # Each fact in one place: the generated reference, the migration table and transcripts.
    assert "<!-- options:start -->" not in README
    assert "BEGIN migration table" not in README
    assert "FINAL rank=" not in README
    assert "| Budget |" not in README


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_resolve(page: Path) -> None:
    text = page.read_text()
    links = re.findall(r"\]\(((?!https?://|#|mailto:)[^)\s]+)\)", text)
    missing = [link for link in links if not (page.parent / link.split("#")[0]).exists()]
    assert missing == []


# --- python blocks ---------------------------------------------------------------------------

PYTHON_PAGES = [ROOT / "README.md", ROOT / "docs" / "customizing.md", ROOT / "docs" / "private-code.md"]


# The lifecycle guide's example is a whole app as well.
PYTHON_PAGES.append(ROOT / "docs" / "lifecycle.md")


def python_blocks() -> list[str]:
    blocks = [b.text for page in PYTHON_PAGES for b in page_blocks(page) if b.lang == "python"]
    return [b for b in blocks if "app.synth()" in b]


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_python_examples_run_and_synthesize_valid_objects(index: int, tmp_path: Path) -> None:
    script_file = tmp_path / "doc_example.py"
    script_file.write_text(python_blocks()[index])
    env = {**os.environ, "CDK8S_OUTDIR": str(tmp_path / "out"), "CDK8S_CHECK_UPGRADE": "false"}
    proc = subprocess.run(
        [sys.executable, str(script_file)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    docs = [d for f in sorted((tmp_path / "out").glob("*.k8s.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
    assert docs
    validate_documents(docs)
    assert diagram.build(docs).warnings == []


def workload_pods_of_block(marker: str, release: str, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Runs the one Python block holding ``marker``; the pod spec of each Deployment and StatefulSet."""
    [block] = [b for b in python_blocks() if marker in b]
    script_file = tmp_path / "block.py"
    script_file.write_text(block)
    env = {**os.environ, "CDK8S_OUTDIR": str(tmp_path), "CDK8S_CHECK_UPGRADE": "false"}
    subprocess.run(
        [sys.executable, str(script_file)], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=300
    )
    docs = yaml.safe_load_all((tmp_path / f"{release}.k8s.yaml").read_text())
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in docs if d["kind"] in ("Deployment", "StatefulSet")
    }


def test_the_subclassing_guide_changes_only_the_workers(tmp_path: Path) -> None:
    pods = workload_pods_of_block("ProfiledChart", "profiled", tmp_path)
    assert {name: [c["name"] for c in spec["containers"]] for name, spec in pods.items()} == {
        "profiled-mxnet-scheduler": ["mxnet"],
        "profiled-mxnet-server": ["mxnet"],
        "profiled-mxnet-worker": ["mxnet", "profiler"],
    }


def test_the_readme_customizing_example_traces_and_patches_the_workers_only(tmp_path: Path) -> None:
    pods = workload_pods_of_block("TracedChart", "vision", tmp_path)
    assert [c["name"] for c in pods["vision-mxnet-worker"]["containers"]] == ["mxnet", "tracer"]
    assert pods["vision-mxnet-worker"]["priorityClassName"] == "training"
    for name in ("vision-mxnet-scheduler", "vision-mxnet-server"):
        assert [c["name"] for c in pods[name]["containers"]] == ["mxnet"]
        assert "priorityClassName" not in pods[name]
