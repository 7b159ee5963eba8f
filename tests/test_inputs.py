"""Hostile and careless input: values files that attack, validators that could be slipped,
paths that try to leave their directory, and credentials in plain text (issues 15 and 16).

Each test here failed on main before the input hardening, except the few that guard
against over-refusing (names and URLs that must stay accepted).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mxnet_construct import (
    Entrypoint,
    EnvVar,
    ExistingConfigMap,
    GitRepository,
    Image,
    JobOptions,
    LocalFiles,
    MXNetOptions,
    OptionError,
    OptionTypeError,
    Persistence,
    Probe,
    Resources,
    RoleOptions,
    SecurityContext,
)
from mxnet_construct import contract as c
from mxnet_construct.cli import main
from mxnet_construct.helm import chart_kwargs_from_values, load_values_file
from tests.helpers import find, make_chart, pod_spec, synth

DIST: dict[str, Any] = {"mode": "distributed"}

# --- values files that attack ----------------------------------------------------------------

# 370 bytes that PyYAML would expand to 9**9 (387 million) strings, the shape of the audit's 496-byte file.
ALIAS_BOMB = """affinity:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def write(tmp_path: Path, text: str | bytes, name: str = "values.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_an_alias_bomb_fails_fast_naming_the_file(tmp_path: Path) -> None:
    assert len(ALIAS_BOMB) < 500
    path = write(tmp_path, ALIAS_BOMB)
    start = time.perf_counter()
    with pytest.raises(ValueError, match="alias") as info:
        load_values_file(path)
    assert time.perf_counter() - start < 1.0
    assert str(path) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {mode: distributed}\nmode: *b\n",
        "affinity:\n  <<: &x {nodeAffinity: {}}\n  podAffinity: *x\n",
    ],
)
def test_every_alias_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValueError, match="values files may not use YAML aliases"):
        load_values_file(write(tmp_path, text))


@pytest.mark.parametrize(
    "text",
    [
        "affinity: " + "[" * 450 + "]" * 450 + "\n",
        "affinity:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(450)) + "  " * 451 + "x: 1\n",
    ],
    ids=["flow", "block"],
)
def test_deep_nesting_is_a_clear_error_not_a_recursion_error(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match="nest deeper than 64 levels") as info:
        load_values_file(path)
    assert str(path) in str(info.value)


def test_deep_or_cyclic_data_through_the_python_api_is_a_clear_error() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(2000):
        node["podAffinity"] = {}
        node = node["podAffinity"]
    cyclic: dict[str, Any] = {}
    cyclic["nodeAffinity"] = cyclic
    for value in (deep, cyclic):
        with pytest.raises(OptionError, match="nests at most 64 levels") as info:
            MXNetOptions(affinity=value)
        assert info.value.field == "affinity"


def test_yaml_errors_name_the_file_not_unicode_string(tmp_path: Path) -> None:
    path = write(tmp_path, "image: [unclosed\n")
    with pytest.raises(ValueError) as info:
        load_values_file(path)
    assert "<unicode string>" not in str(info.value)
    assert f'in "{path}", line' in str(info.value)


def test_a_non_utf8_values_file_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, b"image:\n  tag: \xff\xfe\n")
    with pytest.raises(ValueError, match=r"not UTF-8 text \(byte 14 is 0xff\)") as info:
        load_values_file(path)
    assert str(info.value).startswith(f"{path}: ")


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_an_unreadable_values_file_is_one_clean_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    path = tmp_path / "missing.yaml" if kind == "missing" else tmp_path
    assert main(["template", "demo", "-f", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Errno" not in err
    assert f"{path}: cannot read the values file: " in err


def test_a_newline_in_the_release_name_is_refused_by_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["template", "mxnet\n"]) == 2
    assert "release name (chart id): 'mxnet\\n' is not valid" in capsys.readouterr().err


def test_values_files_are_read_from_disk_once_with_os_paths(tmp_path: Path) -> None:
    # PathLike and str both work, and a relative filesDir is joined to the file's directory.
    (tmp_path / "code").mkdir()
    path = write(tmp_path, "filesDir: code\n")
    for given in (path, str(path), os.fspath(path)):
        assert Path(load_values_file(given)["filesDir"]) == tmp_path / "code"


# --- full-match, ASCII-only validators ----------------------------------------------------------

ONE = "\N{FULLWIDTH DIGIT ONE}"  # a Unicode digit that `\d` matched


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: make_chart(release="mxnet\n"), "release name"),
        (lambda: make_chart(namespace="ml\n"), "namespace"),
        (lambda: make_chart(labels={"team\n": "ml"}), "labels key"),
        (lambda: make_chart(labels={"team": "ml\n"}), "labels['team']"),
        (lambda: MXNetOptions(existing_secret="creds\n"), "existing_secret"),
        (lambda: MXNetOptions(name_override="mx\n"), "name_override"),
        (lambda: MXNetOptions(fullname_override="mx\n"), "fullname_override"),
        (lambda: Image(registry="docker.io\n"), "image.registry"),
        (lambda: Image(repository="bitnami/mxnet\n"), "image.repository"),
        (lambda: Image(tag="1.9.1\n"), "image.tag"),
        (lambda: Image(tag="caf\N{LATIN SMALL LETTER E WITH ACUTE}"), "image.tag"),
        (lambda: Image(tag=f"v{ONE}"), "image.tag"),
        (lambda: Image(digest="sha256:" + "a" * 64 + "\n"), "image.digest"),
        (lambda: Image(pull_secrets=["regcred\n"]), "image.pull_secrets[0]"),
        (lambda: MXNetOptions(global_image_registry="mirror.local\n"), "global_image_registry"),
        (lambda: Persistence(storage_class="fast\n"), "persistence.storage_class"),
        (lambda: MXNetOptions(global_storage_class="fast\n"), "global_storage_class"),
        (lambda: EnvVar(name="OMP_NUM_THREADS\n", value="1"), "env.name"),
        (lambda: EnvVar(name="OMP_\N{LATIN SMALL LETTER E WITH ACUTE}", value="1"), "env.name"),
        (lambda: Resources(limits={"cpu": "1\n"}), "resources.limits['cpu']"),
        (lambda: Resources(limits={"memory": f"{ONE}Gi"}), "resources.limits['memory']"),
        (lambda: Resources(limits={"cpu\n": "1"}), "resources.limits key"),
        (lambda: Persistence(size="8Gi\n"), "persistence.size"),
        (lambda: MXNetOptions(server=RoleOptions(shm_size=f"{ONE}Gi")), "server.shm_size"),
        (lambda: MXNetOptions(node_selector={"pool": "ml\n"}), "node_selector['pool']"),
        (lambda: MXNetOptions(node_selector={"pool\n": "ml"}), "node_selector key"),
        (lambda: Persistence(annotations={"backup\n": "daily"}), "persistence.annotations key"),
        (lambda: MXNetOptions(dmlc_interface="eth0\n"), "dmlc_interface"),
        (lambda: MXNetOptions(dmlc_interface=f"eth{ONE}"), "dmlc_interface"),
        (lambda: SecurityContext(drop_capabilities=["ALL\n"]), "security_context.drop_capabilities[0]"),
        (lambda: ExistingConfigMap(name="code\n"), "code.name"),
        (lambda: LocalFiles(files={"train.py\n": "x"}), "code.files key"),
        (lambda: LocalFiles(files={f"train{ONE}.py": "x"}), "code.files key"),
        (lambda: Persistence(mount_path="/data\n"), "persistence.mount_path"),
        (lambda: Entrypoint(work_dir="/app\n"), "entrypoint.work_dir"),
        (lambda: Entrypoint(file="train.py\n"), "entrypoint.file"),
        (lambda: GitRepository(repository="https://x/y.git", revision="main\n"), "code.revision"),
        (lambda: EnvVar.from_secret("A", "s3\n", "k"), "env[A].value_from.secretKeyRef.name"),
        (lambda: EnvVar.from_secret("A", "s3", "k\n"), "env[A].value_from.secretKeyRef.key"),
        (lambda: EnvVar.from_field("A", "status.podIP\n"), "env[A].value_from.fieldRef.fieldPath"),
        (
            lambda: EnvVar(name="A", value_from={"resourceFieldRef": {"resource": "limits.cpu\n"}}),
            "env[A].value_from.resourceFieldRef.resource",
        ),
    ],
)
def test_trailing_newlines_and_unicode_lookalikes_are_refused(build: Callable[[], object], field: str) -> None:
    with pytest.raises(OptionError) as info:
        build()
    assert info.value.field.startswith(field), info.value.field
    assert str(info.value).startswith(field)


@pytest.mark.parametrize(
    ("toleration", "field"),
    [
        ({"key": "gpu\n", "operator": "Exists"}, "tolerations[0].key"),
        ({"key": "gpu", "operator": "exists"}, "tolerations[0].operator"),
        ({"key": "gpu", "operator": "Exists", "value": "x"}, "tolerations[0].value"),
        ({"key": "gpu", "value": "a b"}, "tolerations[0].value"),
        ({"value": "x"}, "tolerations[0].operator"),
        ({"key": "gpu", "operator": "Exists", "effect": "NoScheduled"}, "tolerations[0].effect"),
        ({"key": "gpu", "operator": "Exists", "tolerationSeconds": 60}, "tolerations[0].tolerationSeconds"),
        (
            {"key": "gpu", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2**53},
            "tolerations[0].tolerationSeconds",
        ),
    ],
)
def test_tolerations_follow_the_api_servers_rules(toleration: dict[str, Any], field: str) -> None:
    with pytest.raises(OptionError) as info:
        MXNetOptions(tolerations=[toleration])
    assert info.value.field == field


@pytest.mark.parametrize(
    ("build", "field", "limit"),
    [
        (lambda: JobOptions(backoff_limit=9007199254740993), "job.backoff_limit", 2**31 - 1),
        (lambda: JobOptions(backoff_limit=2**31), "job.backoff_limit", 2**31 - 1),
        (lambda: JobOptions(ttl_seconds_after_finished=2**31), "job.ttl_seconds_after_finished", 2**31 - 1),
        (lambda: JobOptions(active_deadline_seconds=2**53), "job.active_deadline_seconds", 2**53 - 1),
        (lambda: JobOptions(max_restarts=2**31), "job.max_restarts", 2**31 - 1),
        (lambda: Probe(period_seconds=2**31), "probe.period_seconds", 2**31 - 1),
        (lambda: Probe(initial_delay_seconds=2**40), "probe.initial_delay_seconds", 2**31 - 1),
        (lambda: Probe(timeout_seconds=2**31), "probe.timeout_seconds", 2**31 - 1),
        (lambda: Probe(failure_threshold=2**31), "probe.failure_threshold", 2**31 - 1),
        (lambda: Resources(limits={"cpu": 2**53}), "resources.limits['cpu']", 2**53 - 1),
    ],
)
def test_integers_are_bounded_as_kubernetes_bounds_them(build: Callable[[], object], field: str, limit: int) -> None:
    with pytest.raises(OptionError, match=str(limit)) as info:
        build()
    assert info.value.field == field


def test_a_huge_backoff_limit_in_values_is_refused_not_rounded() -> None:
    with pytest.raises(OptionError, match=r"^job\.backoffLimit: 9007199254740993 is not valid; it must be at most"):
        chart_kwargs_from_values(
            {"lifecycle": "job", "entrypoint": {"file": "t.py"}, "job": {"backoffLimit": 2**53 + 1}}
        )


def test_bool_is_not_an_int() -> None:
    with pytest.raises(OptionTypeError, match="expected an integer, got bool"):
        Probe(period_seconds=True)
    with pytest.raises(OptionTypeError, match="expected an integer, got bool"):
        JobOptions(backoff_limit=False)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Image(tag="a" * 129), "image.tag"),
        (lambda: Image(repository="a" * 256), "image.repository"),
        (lambda: EnvVar(name="A" * 254, value="1"), "env.name"),
        (lambda: EnvVar(name="A", value="x" * (2**20 + 1)), "env[A].value"),
        (lambda: Entrypoint(file="a" * 4097), "entrypoint.file"),
        (lambda: GitRepository(repository="https://x/" + "a" * 2048), "code.repository"),
        (lambda: GitRepository(repository="https://x/y.git", revision="a" * 256), "code.revision"),
    ],
)
def test_string_lengths_are_bounded(build: Callable[[], object], field: str) -> None:
    with pytest.raises(OptionError, match="characters long; the limit is") as info:
        build()
    assert info.value.field == field
    assert len(str(info.value)) < 500, "a huge value is cut in the message"


# --- ConfigMap keys, filesDir and mount paths ---------------------------------------------------


@pytest.mark.parametrize("key", [".", "..", "..data", "..2024_01", "a b.py", "dir/train.py", "k" * 254])
def test_configmap_keys_follow_kubernetes(key: str) -> None:
    with pytest.raises(OptionError, match="a ConfigMap key is at most 253") as info:
        LocalFiles(files={key: "x"})
    assert info.value.field == "code.files key" and info.value.value == key


def test_configmap_keys_kubernetes_accepts_are_accepted() -> None:
    files = {".hidden": "x", "train.py": "x", "a-b_c.sh": "x", "k" * 253: "x"}
    assert dict(LocalFiles(files=files).files) == files


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory holding a 'credential' that no values file may reach."""
    secret_dir = tmp_path / "home" / ".aws"
    secret_dir.mkdir(parents=True)
    (secret_dir / "credentials").write_text("aws_secret_access_key = hunter2\n")
    return secret_dir


@pytest.fixture
def release_dir(tmp_path: Path) -> Path:
    code = tmp_path / "release" / "code"
    code.mkdir(parents=True)
    (code / "train.py").write_text("print('train')\n")
    return tmp_path / "release"


def files_dir_error(values_dir: Path, files_dir: str) -> OptionError:
    path = write(values_dir, f"filesDir: {files_dir!r}\n")
    with pytest.raises(OptionError) as info:
        chart_kwargs_from_values(load_values_file(path))
    assert info.value.field == "filesDir"
    assert "hunter2" not in str(info.value)
    return info.value


def test_files_dir_may_not_be_absolute(release_dir: Path, outside: Path) -> None:
    err = files_dir_error(release_dir, str(outside))
    assert str(release_dir / "values.yaml") in str(err) and "relative" in str(err)


def test_files_dir_may_not_climb_out(release_dir: Path, outside: Path) -> None:
    err = files_dir_error(release_dir, "../home/.aws")
    assert "must stay inside" in str(err) and "../home/.aws" in str(err)


def test_files_dir_may_not_be_a_symlink_leading_out(release_dir: Path, outside: Path) -> None:
    (release_dir / "linked").symlink_to(outside)
    assert "must stay inside" in str(files_dir_error(release_dir, "linked"))


def test_a_symlinked_file_leading_out_is_refused(release_dir: Path, outside: Path) -> None:
    (release_dir / "code" / "creds").symlink_to(outside / "credentials")
    err = files_dir_error(release_dir, "code")
    assert "symlink leading out" in str(err) and str(release_dir / "code" / "creds") in str(err)
    with pytest.raises(OptionError, match="symlink leading out"):
        LocalFiles.from_directory(release_dir / "code")


def test_files_inside_the_directory_are_read_symlinks_within_included(release_dir: Path) -> None:
    (release_dir / "code" / "alias.py").symlink_to(release_dir / "code" / "train.py")
    kwargs = chart_kwargs_from_values(load_values_file(write(release_dir, "filesDir: code\n")))
    assert dict(kwargs["code"].files) == {"alias.py": "print('train')\n", "train.py": "print('train')\n"}


def test_files_dir_in_a_values_mapping_stays_in_the_current_directory(
    release_dir: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(release_dir)
    assert "train.py" in chart_kwargs_from_values({"filesDir": "code"})["code"].files
    for bad in (str(outside), "../home/.aws"):
        with pytest.raises(OptionError) as info:
            chart_kwargs_from_values({"filesDir": bad})
        assert info.value.field == "filesDir"


def test_a_non_utf8_code_file_names_the_file(release_dir: Path) -> None:
    (release_dir / "code" / "model.bin").write_bytes(b"\x80\x81")
    with pytest.raises(OptionError, match="files must be UTF-8 text") as info:
        LocalFiles.from_directory(release_dir / "code")
    assert str(release_dir / "code" / "model.bin") in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "clash"),
    [
        ({"persistence": Persistence(mount_path="/app"), "code": ExistingConfigMap(name="c")}, "code"),
        ({"persistence": Persistence(mount_path="/app/"), "code": GitRepository(repository="https://x/y")}, "code"),
        ({"persistence": Persistence(mount_path="/secrets"), "existing_secret": "creds"}, "existing_secret"),
        ({**DIST, "persistence": Persistence(mount_path="/dev/shm"), "worker": RoleOptions(gpus=1)}, "gpus"),
    ],
)
def test_two_volumes_on_one_mount_path_are_refused(kwargs: dict[str, Any], clash: str) -> None:
    with pytest.raises(OptionError, match=f"{clash}.* is mounted at that path too") as info:
        MXNetOptions(**kwargs)
    assert info.value.field == "persistence.mount_path" or info.value.field.startswith(clash)


def test_a_user_container_with_two_mounts_on_one_path_is_refused() -> None:
    sidecar = {
        "name": "s",
        "image": "busybox:1.36",
        "volumeMounts": [{"name": "a", "mountPath": "/x"}, {"name": "b", "mountPath": "/x/"}],
    }
    with pytest.raises(OptionError, match=r"sidecars\[0\]\.volumeMounts\[0\]\.mountPath is mounted") as info:
        MXNetOptions(sidecars=[sidecar])
    assert info.value.field == "sidecars[0].volumeMounts[1].mountPath"


def test_the_mount_paths_options_know_are_the_ones_the_pods_use() -> None:
    from mxnet_construct import options

    assert (options.CODE_MOUNT, options.SECRETS_MOUNT) == (c.CODE_MOUNT, c.SECRETS_MOUNT)
    spec = pod_spec(find(synth(make_chart(**DIST, worker=RoleOptions(gpus=1))), "StatefulSet", "test-mxnet-worker"))
    assert options.SHM_MOUNT in [m["mountPath"] for m in spec["containers"][0]["volumeMounts"]]


# --- smaller holes: kubelet expansion, option-like files, credentials ----------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"repository": "https://x/$(HOME).git"}, "code.repository"),
        ({"repository": "https://x/y.git", "revision": "$(BRANCH)"}, "code.revision"),
    ],
)
def test_kubelet_variable_references_in_git_sources_are_refused(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(OptionError, match=r"'\$\(' would be expanded by the kubelet") as info:
        GitRepository(**kwargs)
    assert info.value.field == field


def test_an_entrypoint_file_may_not_look_like_an_option() -> None:
    with pytest.raises(OptionError, match=r"must not start with '-'; write './-c'"):
        Entrypoint(file="-c")


@pytest.mark.parametrize(
    "name", ["PGPASSWORD", "MYSQL_PWD", "DB_PASS", "GITHUB_PAT", "GH_PAT", "HF_TOKEN", "AWS_SECRET_ACCESS_KEY"]
)
def test_credential_like_names_refuse_literal_values(name: str) -> None:
    with pytest.raises(OptionError, match="credential-like name") as info:
        EnvVar(name=name, value="hunter2")
    assert "hunter2" not in str(info.value) and info.value.value != "hunter2"
    assert EnvVar(name=name, value="hunter2", not_secret=True).value == "hunter2"


@pytest.mark.parametrize("name", ["PWD", "OLDPWD", "PATH", "TOKENIZERS_PARALLELISM", "MAX_TOKENS", "PATIENCE"])
def test_ordinary_names_keep_literal_values(name: str) -> None:
    assert EnvVar(name=name, value="x").value == "x"


@pytest.mark.parametrize(
    "value",
    [
        "postgres://trainer:hunter2@db:5432/runs",
        "redis://:hunter2@cache:6379/0",
        "--backend https://user:hunter2@mlflow.local/api",
        "https://hunter2@github.com/org/repo.git",
    ],
)
def test_credentials_inside_urls_are_refused(value: str) -> None:
    with pytest.raises(OptionError, match="URL with credentials") as info:
        EnvVar(name="DATABASE_URL", value=value)
    assert "hunter2" not in str(info.value)


def test_urls_without_credentials_are_fine() -> None:
    for value in ("https://mlflow.local/api", "ssh://git@host/repo", "s3://bucket/key@v2", "user@example.com"):
        assert EnvVar(name="URL", value=value).value == value
