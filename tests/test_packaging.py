"""The library as its users get it: a wheel installed into a venv outside this repository.

The wheel, the sdist and the consumer venv come from ``tests/wheel_env.py``: a fresh venv
outside the repository gets the wheel and mypy; ``tests/consumer_app`` (a team's own cdk8s
app that subclasses ``WorkerPool``) is copied next to it and run from there, so the
repository's source tree cannot shadow the installed package. The pins are checked here
too: the library declares ranges, ``constraints.txt`` pins the dev environment.
"""

from __future__ import annotations

import email
import importlib.metadata
import subprocess
import tarfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from mxnet_construct import __version__
from tests.helpers import ROOT, env_of, find, pod_spec, validate_documents

pytest.register_assert_rewrite("tests.wheel_env")  # before its import: its asserts explain failures
from tests.wheel_env import Consumer, Dists, clean_env, package_files_in_repo, run  # noqa: E402

# The wheel, the consumer venv and the helpers that run commands in it.
pytest_plugins = ["tests.wheel_env"]


@pytest.fixture(scope="module")
def consumer_docs(consumer: Consumer) -> dict[str, list[dict[str, Any]]]:
    out = consumer.app_dir / "dist"
    run([consumer.python, "app.py"], cwd=consumer.app_dir, CDK8S_OUTDIR=str(out))
    return {p.name: list(yaml.safe_load_all(p.read_text())) for p in sorted(out.glob("*.k8s.yaml"))}


# --- the artifacts --------------------------------------------------------------------


def test_wheel_ships_every_file_of_the_package(dists: Dists) -> None:
    with zipfile.ZipFile(dists.wheel) as whl:
        shipped = {n for n in whl.namelist() if n.startswith("mxnet_construct/")}
    missing = package_files_in_repo() - shipped
    assert not missing, f"the wheel lacks files the package has (package-data in pyproject.toml?): {sorted(missing)}"
    assert "mxnet_construct/py.typed" in shipped
    # The CRD bindings live once, in imports/ for apps; the library uses constants instead.
    assert not [n for n in shipped if "/_jsii/" in n or n.endswith(".tgz")]


def test_wheel_metadata_version_dependencies_and_console_script(dists: Dists) -> None:
    with zipfile.ZipFile(dists.wheel) as whl:
        info = f"mxnet_construct-{__version__}.dist-info"
        metadata = email.message_from_bytes(whl.read(f"{info}/METADATA"))
        entry_points = whl.read(f"{info}/entry_points.txt").decode()
    assert metadata["Name"] == "mxnet-construct"
    assert metadata["Version"] == __version__
    requires = {Requirement(r).name for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r}
    assert {"cdk8s", "cdk8s-plus-27", "constructs", "PyYAML"} <= requires
    assert "mxnet-construct = mxnet_construct.cli:main" in entry_points


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _constraints() -> dict[str, str]:
    """``constraints.txt`` as {canonical name: pinned version}."""
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"constraints.txt must pin exactly: {line!r}"
            pins[canonicalize_name(req.name)] = spec.version
    return pins


def test_library_dependencies_are_ranges_with_an_upper_bound() -> None:
    for line in _pyproject()["project"]["dependencies"]:
        req = Requirement(line)
        operators = {spec.operator for spec in req.specifier}
        assert operators == {">=", "<"}, f"{line!r}: a library declares a range (>=low,<next major), not {operators}"


def test_makefile_min_deps_are_the_lower_bounds() -> None:
    # `make min-deps` installs MIN_DEPS and synthesizes with them; they must be the bounds.
    makefile = (ROOT / "Makefile").read_text()
    (line,) = [ln for ln in makefile.splitlines() if ln.startswith("MIN_DEPS :=")]
    min_deps = {canonicalize_name(Requirement(r).name): Requirement(r) for r in line.split(":=")[1].split()}
    lower = {}
    for entry in _pyproject()["project"]["dependencies"]:
        req = Requirement(entry)
        (bound,) = [spec.version for spec in req.specifier if spec.operator == ">="]
        lower[canonicalize_name(req.name)] = bound
    assert set(min_deps) == set(lower)
    for name, req in min_deps.items():
        (pin,) = req.specifier
        assert pin.operator == "==" and Version(pin.version) == Version(lower[name]), (name, str(req), lower[name])


def test_constraints_pin_every_dependency_within_its_range() -> None:
    project = _pyproject()["project"]
    pins = _constraints()
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    for line in wanted:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in pins, f"constraints.txt does not pin {req.name} (run `make constraints`)"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req.name}=={pins[name]} is outside {line!r}"


def test_dev_environment_matches_the_constraints() -> None:
    # What `make setup` installed is what constraints.txt says, so the pins are not stale.
    for name, version in _constraints().items():
        assert importlib.metadata.version(name) == version, f"{name}: installed != constraints.txt"


def test_sdist_holds_the_sources_the_wheel_is_built_from(dists: Dists) -> None:
    root = f"mxnet_construct-{__version__}/"
    with tarfile.open(dists.sdist) as tar:
        names = {n.removeprefix(root) for n in tar.getnames()}
    assert {"pyproject.toml", "README.md", "CHANGELOG.md"} <= names
    missing = package_files_in_repo() - names
    assert not missing, f"the sdist lacks package files: {sorted(missing)}"


def test_changelog_has_an_entry_for_this_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{__version__}]" in text, f"CHANGELOG.md has no '## [{__version__}]' section"


# --- the installed package, used from outside the repository --------------------------


def test_installed_package_is_the_wheel_not_the_source_tree(consumer: Consumer) -> None:
    result = run(
        [consumer.python, "-c", "import mxnet_construct as m; print(m.__file__); print(m.__version__)"],
        cwd=consumer.app_dir,
    )
    location, version = result.stdout.split()
    assert Path(location).resolve().is_relative_to(consumer.venv.resolve()), (
        f"imported from {location}, not the fresh venv"
    )
    assert version == __version__


def test_every_module_imports_from_the_installed_wheel(consumer: Consumer) -> None:
    # Lazy imports (subcommands, CRD bindings and their jsii assemblies) fail only when
    # first used, so import every module the source tree has, from the installed copy.
    # The bindings sit in namespace packages, which pkgutil.walk_packages would skip.
    modules = sorted(
        p.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for p in package_files_in_repo()
        if p.endswith(".py") and not p.endswith("__main__.py")
    )
    script = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    module = importlib.import_module(name)\n"
        "    print(name, module.__file__)\n"
    )
    result = run([consumer.python, "-c", script, *modules], cwd=consumer.app_dir)
    imported = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert sorted(imported) == modules
    outside = {name: path for name, path in imported.items() if not Path(path).is_relative_to(consumer.venv)}
    assert not outside, f"imported from outside the fresh venv: {outside}"


def test_console_script_runs_from_the_installed_wheel(consumer: Consumer) -> None:
    script = consumer.bin_dir / "mxnet-construct"
    assert run([script, "--version"], cwd=consumer.app_dir).stdout.strip() == f"mxnet-construct {__version__}"
    usage = run([script, "--help"], cwd=consumer.app_dir).stdout
    for command in ("template", "run-local", "diagram"):
        assert command in usage


def test_consumer_app_synthesizes_two_releases_in_their_namespaces(
    consumer_docs: dict[str, list[dict[str, Any]]],
) -> None:
    assert set(consumer_docs) == {"vision.k8s.yaml", "speech.k8s.yaml"}
    for file, namespace in (("vision.k8s.yaml", "team-vision"), ("speech.k8s.yaml", "team-speech")):
        docs = consumer_docs[file]
        assert docs
        assert {d["metadata"].get("namespace") for d in docs} == {namespace}
    validate_documents([d for docs in consumer_docs.values() for d in docs])


def test_consumer_subclass_changes_only_the_workers(consumer_docs: dict[str, list[dict[str, Any]]]) -> None:
    for file, release in (("vision.k8s.yaml", "vision-mxnet"), ("speech.k8s.yaml", "speech-mxnet")):
        docs = consumer_docs[file]
        workers = pod_spec(find(docs, "StatefulSet", f"{release}-worker"))
        by_name = {c["name"]: c for c in workers["containers"]}
        assert list(by_name) == ["mxnet", "metrics"]
        assert by_name["mxnet"]["resources"] == {
            "requests": {"cpu": "3", "memory": "6Gi"},
            "limits": {"cpu": "3", "memory": "6Gi"},
        }
        assert by_name["metrics"]["ports"] == [{"name": "metrics", "containerPort": 9100}]
        # The hook edits the pod; the MXNet wiring the library computed stays intact.
        assert env_of(by_name["mxnet"])["DMLC_ROLE"] == "worker"
        assert env_of(by_name["mxnet"])["DMLC_PS_ROOT_URI"] == f"{release}-scheduler"
        servers = pod_spec(find(docs, "StatefulSet", f"{release}-server"))
        assert [c["name"] for c in servers["containers"]] == ["mxnet"]
        assert servers["containers"][0].get("resources") != by_name["mxnet"]["resources"]


def test_consumer_app_passes_mypy_strict_against_the_installed_package(consumer: Consumer) -> None:
    result = run([consumer.python, "-m", "mypy", "--strict", "--no-incremental", "app.py"], cwd=consumer.app_dir)
    assert "Success" in result.stdout


def test_mypy_sees_the_installed_types(consumer: Consumer) -> None:
    # Guards the test above: if the package were untyped (no py.typed) or read as Any,
    # mypy would stay quiet about these misuses.
    misuse = consumer.app_dir / "misuse.py"
    misuse.write_text(
        "import cdk8s\n"
        "from mxnet_construct import MXNetChart, WorkerPool\n\n\n"
        "class Broken(WorkerPool):\n"
        "    def pod_template(self) -> int:\n"
        "        return 1\n\n\n"
        "MXNetChart(cdk8s.App(), 'x', worker_count='2')\n"
    )
    try:
        result = subprocess.run(
            [str(consumer.python), "-m", "mypy", "--strict", "--no-incremental", misuse.name],
            cwd=consumer.app_dir,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        misuse.unlink()
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Argument "worker_count" to "MXNetChart" has incompatible type "str"; expected "int"' in result.stdout
    assert 'Return type "int" of "pod_template" incompatible' in result.stdout
