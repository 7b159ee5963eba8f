"""The CRD constants of ``_crds.py`` against ``crds/``, and the generated bindings in ``imports/``.

The library writes JobSets and PodGroups from constants (loading a jsii binding costs about
a second per process); these tests keep the constants equal to the CRD files, and keep the
typed bindings that applications import (``imports/``, from ``make imports``) in step with
both.
"""

from __future__ import annotations

import importlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from mxnet_construct import Entrypoint, Resources, _crds
from tests.helpers import ROOT, find, make_chart, synth

CRD_DIR = ROOT / "crds"
# crds/ file -> (how the library names it, the module `make imports` generates for it)
CRDS: dict[str, tuple[tuple[str, str], str]] = {
    "jobset.x-k8s.io_jobsets.yaml": (_crds.job_set_gvk(), "imports.io.x_k8s.jobset"),
    "scheduling.volcano.sh_podgroups.yaml": (_crds.pod_group_gvk("volcano"), "imports.sh.volcano.scheduling"),
    "scheduling.x-k8s.io_podgroups.yaml": (_crds.pod_group_gvk("scheduler-plugins"), "imports.io.x_k8s.scheduling"),
}


def _storage_gvk(path: Path) -> tuple[str, str]:
    """``(apiVersion, kind)`` of the version a CRD file serves and stores."""
    crd: dict[str, Any] = yaml.safe_load(path.read_text())
    spec = crd["spec"]
    stored = [v["name"] for v in spec["versions"] if v.get("served") and v.get("storage")]
    assert len(stored) == 1, f"{path.name}: expected one served storage version, got {stored}"
    return f"{spec['group']}/{stored[0]}", spec["names"]["kind"]


def test_every_crd_file_has_a_constant() -> None:
    assert sorted(p.name for p in CRD_DIR.glob("*.yaml")) == sorted(CRDS)


@pytest.mark.parametrize("file", sorted(CRDS))
def test_constant_is_the_crds_storage_version(file: str) -> None:
    constant, _ = CRDS[file]
    assert constant == _storage_gvk(CRD_DIR / file)


def test_unknown_gang_scheduler_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match=r"gang_scheduler: 'kueue'.*'scheduler-plugins', 'volcano'"):
        _crds.pod_group_gvk("kueue")  # type: ignore[arg-type]


@pytest.mark.parametrize("file", sorted(CRDS))
def test_generated_binding_loads_and_names_the_same_crd(file: str) -> None:
    (api_version, kind), module = CRDS[file]
    gvk = getattr(importlib.import_module(module), kind).GVK
    assert (gvk.api_version, gvk.kind) == (api_version, kind)


@pytest.mark.parametrize("file", sorted(CRDS))
def test_binding_assembly_is_present_and_not_ignored(file: str) -> None:
    package = ROOT / CRDS[file][1].replace(".", "/")
    tarballs = list((package / "_jsii").glob("*.jsii.tgz"))
    assert len(tarballs) == 1, package
    ignored = subprocess.run(["git", "check-ignore", "-q", str(tarballs[0])], cwd=ROOT, check=False)
    assert ignored.returncode == 1, f"{tarballs[0]} is git-ignored"


def test_the_library_ships_no_copy_of_the_bindings() -> None:
    package = ROOT / "mxnet_construct"
    assert not list(package.rglob("*.jsii.tgz"))
    assert not (package / "_imports").exists()


def test_podgroup_is_what_the_typed_binding_writes() -> None:
    from imports.sh.volcano import scheduling

    chart = make_chart(
        mode="distributed",
        server_count=2,
        worker_count=3,
        entrypoint=Entrypoint(file="train.py"),
        gang_scheduler="volcano",
        resources=Resources(requests={"cpu": "1"}),
    )
    group = find(synth(chart), "PodGroup")
    typed = scheduling.PodGroup.manifest(
        metadata={"name": "test-mxnet", "labels": group["metadata"]["labels"]},
        spec=scheduling.PodGroupSpec(
            min_member=6, min_resources={"cpu": scheduling.PodGroupSpecMinResources.from_string("6")}
        ),
    )
    assert json.loads(json.dumps(typed)) == group
