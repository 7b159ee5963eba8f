"""Shared test helpers: in-process synthesis and strict schema validation."""

from __future__ import annotations

import os

# jsii prints a Node end-of-life banner unless told the running major version.
os.environ.setdefault(
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION",
    os.popen("node -p 'process.versions.node.split(\".\")[0]'").read().strip(),
)

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from tests.helpers import ROOT, synth, synth_yaml, validate_documents  # noqa: F401

settings.register_profile("default", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def repo_root() -> Path:
    return ROOT


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


class YamlSnapshotExtension(SingleFileSnapshotExtension):
    """Stores each snapshot as a .yaml file holding exactly the text cdk8s writes to dist/."""

    file_extension = "yaml"
    _write_mode = WriteMode.TEXT

    def serialize(self, data: Any, **kwargs: Any) -> str:
        if not isinstance(data, str):
            raise TypeError("yaml_snapshot compares YAML text: pass synth_yaml(chart)")
        return data


@pytest.fixture
def yaml_snapshot(snapshot: Any) -> Any:
    """``assert synth_yaml(chart) == yaml_snapshot``; update with ``pytest --snapshot-update``."""
    return snapshot.use_extension(YamlSnapshotExtension)
