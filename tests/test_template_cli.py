"""``mxnet-construct template``: Helm's -f/--set semantics, identical output to the cdk8s app path, one-line errors."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from app import DISTRIBUTED_TRAINING_EXAMPLE
from mxnet_construct import EnvVar, Image, Persistence, Probe
from mxnet_construct.cli import main
from mxnet_construct.helm_cli import SetSyntaxError, collect_values, merge_values, parse_set, typed_value
from tests.helpers import ROOT, make_chart, synth_yaml, validate_documents


def template(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CDK8S_CHECK_UPGRADE="false")
    command = [sys.executable, "-m", "mxnet_construct", "template", *args]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess[str], mentions: str) -> None:
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mxnet-construct template: error: "), lines[0]
    assert mentions in lines[0], lines[0]


# --- Helm's --set syntax ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("mode=distributed", {"mode": "distributed"}),
        ("mode=distributed,serverCount=2,workerCount=3", {"mode": "distributed", "serverCount": 2, "workerCount": 3}),
        ("image.tag=1.9.1", {"image": {"tag": "1.9.1"}}),
        ("image.tag=2", {"image": {"tag": 2}}),
        ("commonExtraEnvVars[0].name=PS_VERBOSE", {"commonExtraEnvVars": [{"name": "PS_VERBOSE"}]}),
        ("a[1].b=x", {"a": [None, {"b": "x"}]}),
        ("a[0][1]=x", {"a": [[None, "x"]]}),
        ("global.imagePullSecrets={one,two}", {"global": {"imagePullSecrets": ["one", "two"]}}),
        ("a={1,true,x},b=2", {"a": [1, True, "x"], "b": 2}),
        ("entrypoint.args=--lr 0.1\\, --epochs 1", {"entrypoint": {"args": "--lr 0.1, --epochs 1"}}),
        ("nodeSelector.kubernetes\\.io/arch=amd64", {"nodeSelector": {"kubernetes.io/arch": "amd64"}}),
        ("persistence.enabled=TRUE,image.debug=false", {"persistence": {"enabled": True}, "image": {"debug": False}}),
        ("configMap=null", {"configMap": None}),
        ("existingSecret=", {"existingSecret": ""}),
        ("a=1,", {"a": 1}),
        ("x=0,y=0755,z=-3,w=1.5,v=+4", {"x": 0, "y": "0755", "z": -3, "w": "1.5", "v": 4}),
        ("url=https://example.com/a.git?x=1", {"url": "https://example.com/a.git?x=1"}),
    ],
)
def test_set_parses_like_helm(line: str, expected: dict[str, Any]) -> None:
    assert parse_set(line) == expected


def test_set_string_keeps_every_value_a_string() -> None:
    assert parse_set("image.tag=2,a={1,true},b=null", strings=True) == {
        "image": {"tag": "2"},
        "a": ["1", "true"],
        "b": "null",
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("False", False),
        ("NULL", None),
        ("0", 0),
        ("10", 10),
        ("-1", -1),
        ("007", "007"),
        ("1e3", "1e3"),
        ("9223372036854775808", "9223372036854775808"),
        ("", ""),
    ],
)
def test_typed_value_follows_helm(text: str, value: Any) -> None:
    assert typed_value(text) == value
    assert type(typed_value(text)) is type(value)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("workerCount", "key 'workerCount' has no value; write workerCount=VALUE"),
        ("a,b=1", "key 'a' has no value"),
        ("image.=x", "an empty key name after 'image.'"),
        ("=1", "an assignment has no key name"),
        ("a[x]=1", "the index after 'a' must be a whole number >= 0, got 'x'"),
        ("a[-1]=1", "must be a whole number >= 0, got '-1'"),
        ("a[0", "the index after 'a' has no closing ']'"),
        ("a[0]b=1", "unexpected text 'b' after a[0]"),
        ("a[0]", "key 'a[0]' has no value"),
        ("a[70000]=1", "index 70000 is above the maximum of 65536"),
        ("a={x,y", "the list given to 'a' must end with '}'"),
        ("a={x}y", "unexpected text after the list given to 'a'"),
        ("a=x\\", "it ends with a lone backslash"),
        ("", "give KEY=VALUE"),
        (".".join("k" * 40) + "=1", "keys nest deeper than 30 levels"),
    ],
)
def test_bad_set_syntax_is_a_clear_error(line: str, message: str) -> None:
    with pytest.raises(SetSyntaxError) as info:
        parse_set(line)
    assert message in str(info.value)
    assert str(info.value).startswith(f"--set {line!r}: ")


def test_set_refuses_to_treat_a_scalar_as_a_map_or_a_list() -> None:
    with pytest.raises(SetSyntaxError, match=r"'image' is a str in the values, so image.<key> cannot be set"):
        parse_set("image.tag=1", {"image": "bitnami/mxnet"})
    with pytest.raises(SetSyntaxError, match=r"'sidecars' is a dict in the values, so sidecars\[i\] cannot be set"):
        parse_set("sidecars[0].name=x", {"sidecars": {}})


def test_set_edits_lists_from_values_files_in_place() -> None:
    values = {"commonExtraEnvVars": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
    parse_set("commonExtraEnvVars[1].value=3", values)
    assert values == {"commonExtraEnvVars": [{"name": "A", "value": "1"}, {"name": "B", "value": 3}]}


# --- -f files and the order of layers -------------------------------------------------------


def test_merge_values_merges_maps_and_replaces_everything_else() -> None:
    base = {"image": {"tag": "1", "pullPolicy": "Always"}, "sidecars": [{"name": "a"}], "mode": "standalone"}
    layer = {"image": {"tag": "2"}, "sidecars": [{"name": "b"}], "mode": None}
    assert merge_values(base, layer) == {
        "image": {"tag": "2", "pullPolicy": "Always"},
        "sidecars": [{"name": "b"}],
        "mode": None,
    }


def test_files_merge_in_order_then_set_then_set_string(tmp_path: Path) -> None:
    first = tmp_path / "values.yaml"
    first.write_text(
        "mode: distributed\nworkerCount: 2\nimage: {tag: '1.9.1', pullPolicy: Always}\ntolerations: [{key: a, operator: Exists}]\n"
    )
    second = tmp_path / "override.yaml"
    second.write_text("workerCount: 3\nimage: {tag: '1.9.1-r1'}\ntolerations: [{key: b, operator: Exists}]\n")
    values = collect_values([str(first), str(second)], ["workerCount=4,serverCount=2"], ["image.tag=2"])
    assert values == {
        "mode": "distributed",
        "workerCount": 4,
        "serverCount": 2,
        "image": {"tag": "2", "pullPolicy": "Always"},
        "tolerations": [{"key": "b", "operator": "Exists"}],
    }


def test_files_dir_is_relative_to_the_file_that_sets_it(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "values.yaml").write_text("filesDir: code\n")
    values = collect_values([str(tmp_path / "a" / "values.yaml")])
    assert Path(values["filesDir"]) == tmp_path / "a" / "code"


# --- output --------------------------------------------------------------------------------


def test_stdout_is_the_yaml_cdk8s_synth_writes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    values_file = tmp_path / "values.yaml"
    values_file.write_text(
        "mode: distributed\nserverCount: 2\nworkerCount: 3\ncommonExtraEnvVars:\n  - {name: OMP_NUM_THREADS, value: '4'}\n"
    )
    assert main(["template", "demo", "-f", str(values_file)]) == 0
    out = capsys.readouterr()
    expected = make_chart(
        release="demo",
        mode="distributed",
        server_count=2,
        worker_count=3,
        extra_env=[EnvVar(name="OMP_NUM_THREADS", value="4")],
    )
    assert out.out == synth_yaml(expected)
    assert out.err == ""
    validate_documents(yaml.safe_load_all(out.out))


def test_output_dir_writes_release_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_dir = tmp_path / "out" / "nested"
    assert main(["template", "demo", "--set", "mode=distributed", "-o", str(out_dir)]) == 0
    written = out_dir / "demo.k8s.yaml"
    assert [p.name for p in out_dir.iterdir()] == ["demo.k8s.yaml"]
    assert written.read_text() == synth_yaml(make_chart(release="demo", mode="distributed"))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"wrote {written}\n"


def test_namespace_is_written_into_every_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["template", "demo", "--set", "mode=distributed", "--namespace", "ml"]) == 0
    out = capsys.readouterr().out
    docs = list(yaml.safe_load_all(out))
    assert docs
    assert {d["metadata"]["namespace"] for d in docs} == {"ml"}
    assert out == synth_yaml(make_chart(release="demo", mode="distributed", namespace="ml"))


def test_the_readme_distributed_training_example_through_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        "mode=distributed",
        "cloneFilesFromGit.enabled=true",
        "cloneFilesFromGit.repository=https://github.com/apache/incubator-mxnet.git",
        "cloneFilesFromGit.revision=master",
        "entrypoint.file=image_classification.py",
        'entrypoint.args="--dataset cifar10 --model vgg11 --epochs 1 --kvstore dist_sync"',
        "entrypoint.workDir=/app/example/gluon/",
    ]
    argv = ["template", "mxnet-example"]
    for line in lines:
        argv += ["--set", *shlex.split(line)]
    assert main(argv) == 0
    expected = make_chart(release="mxnet-example", **DISTRIBUTED_TRAINING_EXAMPLE)
    assert capsys.readouterr().out == synth_yaml(expected)


def test_warnings_are_one_line_each_and_do_not_fail(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "template",
        "demo",
        "--set",
        "configMap=my-code,cloneFilesFromGit.enabled=true,cloneFilesFromGit.repository=https://example.com/a.git",
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        "mxnet-construct template: warning: cloneFilesFromGit.enabled, cloneFilesFromGit.repository ignored: "
        "configMap is set and wins (code source priority: configMap > filesDir > cloneFilesFromGit)\n"
    )
    assert "configMap:\n            name: my-code" in captured.out


def test_values_from_stdin() -> None:
    result = template("demo", "-f", "-", stdin="mode: distributed\nworkerCount: 2\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == synth_yaml(make_chart(release="demo", mode="distributed", worker_count=2))


# --- bad input: non-zero exit, one line, no traceback -----------------------------------------


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["--set", "workerCont=3"], "workerCont: unknown key; did you mean workerCount?"),
        (["--set", "image.tagg=1"], "image.tagg: unknown key; did you mean image.tag?"),
        (["--set", "workerCount=three"], "workerCount: expected an integer, got string 'three'"),
        (["--set", "mode=distributed,workerCount=0"], "workerCount: 0 is not valid"),
        (["--set", "workerCount"], "--set 'workerCount': key 'workerCount' has no value"),
        (["--set", "a[x]=1"], "the index after 'a' must be a whole number"),
        (["--set", "cloneFilesFromGit.enabled=true"], "cloneFilesFromGit.repository: not set"),
        (["-f", "missing.yaml"], "No such file or directory"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], mentions: str) -> None:
    assert_one_line_error(template("demo", *args, cwd=tmp_path), mentions)


def test_invalid_yaml_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "values.yaml"
    bad.write_text("image:\n  tag: [1.9.1\nmode: distributed\n")
    assert_one_line_error(template("demo", "-f", str(bad)), "not valid YAML")


def test_a_bad_release_name_is_one_line() -> None:
    assert_one_line_error(template("My_Release"), "release name")


# --- the chart's own values files, exactly as shipped -------------------------------------

CHART_DATA = ROOT / "tests" / "data" / "bitnami-mxnet-1.4.26"
# sha256 of the files in bitnami/charts at chart version 1.4.26, so a test never passes
# because someone "fixed" the copy.
SHIPPED = {
    "values.yaml": "bc29b9679a4c7935e4d3e370bdfcd10cb39c806387f8143b064fc8112b1dba29",
    "values-production.yaml": "3fd14bc5b7e266a022d3417a4cd681a7233d4f5c60aaff800c6ae37e23d7e12c",
}


def chart_values_kwargs(mode: str, server_count: int, worker_count: int) -> dict[str, Any]:
    """What the chart's values.yaml means, written out by hand as Python arguments."""
    return {
        "mode": mode,
        "server_count": server_count,
        "worker_count": worker_count,
        "scheduler_port": 9092,
        "image": Image(registry="docker.io", repository="bitnami/mxnet", tag="1.7.0-debian-10-r11"),
        "git_image": Image(registry="docker.io", repository="bitnami/git", tag="2.28.0-debian-10-r43"),
        "liveness_probe": Probe(timeout_seconds=15),
        "readiness_probe": Probe(timeout_seconds=15),
        "persistence": Persistence(access_modes=["ReadWriteOnce"]),
    }


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("values.yaml", chart_values_kwargs("standalone", 1, 1)),
        ("values-production.yaml", chart_values_kwargs("distributed", 2, 4)),
    ],
)
def test_the_charts_values_files_render_unchanged(
    name: str, kwargs: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = CHART_DATA / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SHIPPED[name]
    assert main(["template", "rel", "-f", str(path)]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out == synth_yaml(make_chart(release="rel", **kwargs))
    docs = list(yaml.safe_load_all(out.out))
    validate_documents(docs)
    for doc in docs:
        for container in (doc.get("spec", {}).get("template", {}).get("spec", {}) or {}).get("containers", []):
            for probe in ("livenessProbe", "readinessProbe"):
                assert container[probe]["timeoutSeconds"] == 15


def test_the_charts_values_file_through_the_console_script() -> None:
    result = template("rel", "-f", str(CHART_DATA / "values-production.yaml"))
    assert result.returncode == 0, result.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(result.stdout)]
    assert kinds.count("StatefulSet") == 2 and kinds.count("Deployment") == 1


# --- chart versions -----------------------------------------------------------------------------

LATER_DATA = ROOT / "tests" / "data"


@pytest.mark.parametrize("version", ["2.4.17", "3.5.1"])
def test_chart_version_names_the_values_version(version: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = LATER_DATA / f"bitnami-mxnet-{version}" / "values.yaml"
    args = ["template", "rel", "-f", str(path), "--set", "mode=distributed"]
    assert main([*args, "--chart-version", version]) == 0
    named = capsys.readouterr()
    assert named.err == ""
    # The shipped file's keys tell the version too, with the same output.
    assert main(args) == 0
    assert capsys.readouterr().out == named.out
    policies = {d["spec"]["podManagementPolicy"] for d in yaml.safe_load_all(named.out) if d["kind"] == "StatefulSet"}
    assert policies == {"Parallel" if version == "2.4.17" else "OrderedReady"}


def test_every_problem_is_reported_on_one_line(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("serverCount: 2\nkubeVersion: '1.27'\nextraDeploy: ['{{ x }}']\n")
    result = template("rel", "-f", str(values), "--chart-version", "3.5.1")
    assert_one_line_error(result, "3 problems in the values; 1) serverCount: not a key of chart 3.5.1")
    assert "kubeVersion: '1.27' is not supported" in result.stderr and "extraDeploy[0]: Helm templates" in result.stderr
