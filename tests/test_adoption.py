"""Adopting a live release of the Bitnami chart (1.4.26, 2.4.17, 3.5.1) in place: parity of everything that can't change.

``kubectl apply`` over objects the chart created fails on any change to an immutable field
(workload selectors, a StatefulSet's ``serviceName``, ``podManagementPolicy`` and
``volumeClaimTemplates``, a claim's ``accessModes`` and ``storageClassName``, headless vs
ClusterIP Services), and a renamed claim leaves the data behind. Pods must also keep what
user code and sidecars rely on: the volume names and the ``SERVER_RANK``/``WORKER_RANK``
variables.

Every case below pairs a values set with the facts ``helm template rel <chart>`` of its
version gives for it, written out by hand. For the sets with a rendering
(tests/data/bitnami-mxnet-<version>/rendered: the reference's and this project's own), a second test checks the hand-written facts
against helm's real output, so the expectations can't drift from the chart. The other sets
are derived from those renderings by the chart's rules, noted per case. (When they were
written, each was also compared once with helm v3.8.1 rendering the chart's 1.4.26
templates, outside this repository; no template is kept here.)
"""

from __future__ import annotations

import os
import re
import subprocess
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cdk8s
import pytest
import yaml

from mxnet_construct import Entrypoint, EnvVar, LocalFiles, MXNetChart, RoleOptions
from mxnet_construct.helm import ValuesWarning, load_values_file
from mxnet_construct.helm_cli import merge_values
from tests.helpers import ROOT, synth

DATA = ROOT / "tests" / "data" / "bitnami-mxnet-1.4.26"


def data(version: str) -> Path:
    """The reference data of a chart version: its values.yaml and helm's renderings."""
    return ROOT / "tests" / "data" / f"bitnami-mxnet-{version}"


# The kinds chart 1.4.x emits; this library adds others (ServiceAccount, NetworkPolicy,
# PodDisruptionBudget), which are new objects and can't conflict with live ones.
CHART_KINDS = ("Deployment", "StatefulSet", "Service", "PersistentVolumeClaim", "ConfigMap")
RANK_IN_CHART_COMMAND = re.compile(r"^(\w+_RANK)=\$\{POD_NAME##\*-\}\n\(\(\1\+\+\)\)\nexport \1$", re.MULTILINE)


def sel(release: str, name: str = "mxnet", component: str | None = None) -> dict[str, str]:
    """A chart selector: ``{name, instance}`` plus the component when the chart adds one."""
    out = {"app.kubernetes.io/instance": release, "app.kubernetes.io/name": name}
    if component is not None:
        out["app.kubernetes.io/component"] = component
    return out


def claim_template(
    release: str, name: str = "mxnet", *, modes: list[str], size: str = "8Gi", **extra: Any
) -> dict[str, Any]:
    """The chart's ``volumeClaimTemplates`` entry: named ``data``, labelled ``{name, instance}``."""
    meta: dict[str, Any] = {"name": "data", "labels": sel(release, name)}
    if "annotations" in extra:
        meta["annotations"] = extra["annotations"]
    spec: dict[str, Any] = {"accessModes": modes, "resources": {"requests": {"storage": size}}}
    if "storage_class" in extra:
        spec["storageClassName"] = extra["storage_class"]
    return {"metadata": meta, "spec": spec}


@dataclass(frozen=True)
class Case:
    """A values set and the facts chart 1.4.26 renders for it."""

    id: str
    values: dict[str, Any] | str
    facts: dict[str, dict[str, Any]]
    release: str = "rel"
    rendered: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    chart_version: str = "1.4.26"


def distributed_facts(
    release: str = "rel",
    *,
    fullname: str = "rel-mxnet",
    name: str = "mxnet",
    volumes: tuple[str, ...] = ("data",),
    templates: list[dict[str, Any]] | None = None,
    policy: str = "Parallel",
) -> dict[str, dict[str, Any]]:
    """The chart's distributed layout (rendered/values-production.yaml), for one fullname."""
    pool_volumes = [v for v in volumes if not (templates and v == "data")]
    pools = {
        f"StatefulSet/{fullname}-{role}": {
            "selector": sel(release, name, role),
            "serviceName": f"{fullname}-headless",
            "podManagementPolicy": policy,
            "volumeClaimTemplates": templates or [],
            "volumes": sorted(pool_volumes),
            "rank": f"{role.upper()}_RANK",
        }
        for role in ("server", "worker")
    }
    return {
        f"Deployment/{fullname}-scheduler": {
            "selector": sel(release, name),
            "volumes": sorted(volumes),
            "rank": None,
        },
        **pools,
        f"Service/{fullname}-headless": {"headless": True},
        f"Service/{fullname}-scheduler": {"headless": False},
    }


CASES = [
    Case(
        "chart-values.yaml",
        "values.yaml",
        # rendered/defaults.yaml: values.yaml is the chart's own defaults.
        {"Deployment/rel-mxnet": {"selector": sel("rel", component="standalone"), "volumes": ["data"], "rank": None}},
        rendered="defaults.yaml",
    ),
    Case(
        "chart-values-production.yaml", "values-production.yaml", distributed_facts(), rendered="values-production.yaml"
    ),
    Case(
        "git-entrypoint",
        "git-entrypoint.values.yaml",
        distributed_facts(volumes=("data", "git-cloned-files")),
        rendered="git-entrypoint.yaml",
    ),
    # What the runbook's `helm get values REL --all` gives for that release: the chart's
    # values.yaml with the user's values merged over it.
    Case(
        "helm-get-values-all",
        merge_values(
            yaml.safe_load((DATA / "values.yaml").read_text()),
            yaml.safe_load((DATA / "git-entrypoint.values.yaml").read_text()),
        ),
        distributed_facts(volumes=("data", "git-cloned-files")),
        rendered="git-entrypoint.yaml",
    ),
    # Persistence on: the Deployment's claim is <fullname>-scheduler (deployment-pvc.yaml);
    # the pools get a `data` template labelled {name, instance} with the values' annotations,
    # accessModes as listed and the class as given.
    Case(
        "persistence-distributed",
        {
            "mode": "distributed",
            "persistence": {
                "enabled": True,
                "storageClass": "fast",
                "size": "20Gi",
                "annotations": {"backup": "daily"},
                "accessModes": ["ReadWriteOnce", "ReadOnlyMany"],
            },
            "volumePermissions": {"enabled": True},
        },
        {
            **distributed_facts(
                templates=[
                    claim_template(
                        "rel",
                        modes=["ReadWriteOnce", "ReadOnlyMany"],
                        size="20Gi",
                        annotations={"backup": "daily"},
                        storage_class="fast",
                    )
                ],
            ),
            "PersistentVolumeClaim/rel-mxnet-scheduler": {
                "accessModes": ["ReadWriteOnce", "ReadOnlyMany"],
                "storageClassName": "fast",
            },
        },
    ),
    # global.storageClass wins over persistence.storageClass (mxnet.storageClass helper).
    Case(
        "global-storage-class-wins",
        {
            "mode": "distributed",
            "global": {"storageClass": "standard"},
            "persistence": {"enabled": True, "storageClass": "fast"},
        },
        {
            **distributed_facts(templates=[claim_template("rel", modes=["ReadWriteOnce"], storage_class="standard")]),
            "PersistentVolumeClaim/rel-mxnet-scheduler": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "standard",
            },
        },
    ),
    # A release installed with the README's accessMode: the chart read only accessModes, so
    # its claims are ReadWriteOnce; `helm get values --all` gives both keys.
    Case(
        "readme-access-mode-ignored-by-the-chart",
        {
            "mode": "distributed",
            "persistence": {"enabled": True, "accessMode": "ReadWriteMany", "accessModes": ["ReadWriteOnce"]},
        },
        {
            **distributed_facts(templates=[claim_template("rel", modes=["ReadWriteOnce"])]),
            "PersistentVolumeClaim/rel-mxnet-scheduler": {"accessModes": ["ReadWriteOnce"]},
        },
    ),
    # nameOverride replaces "mxnet" in the fullname and in the name label of every selector.
    Case(
        "name-override",
        {"mode": "distributed", "nameOverride": "mx", "persistence": {"enabled": True}},
        {
            **distributed_facts(
                fullname="rel-mx", name="mx", templates=[claim_template("rel", "mx", modes=["ReadWriteOnce"])]
            ),
            "PersistentVolumeClaim/rel-mx-scheduler": {"accessModes": ["ReadWriteOnce"]},
        },
    ),
    # fullnameOverride replaces the whole prefix; labels keep the release and "mxnet".
    Case(
        "fullname-override",
        {"mode": "distributed", "fullnameOverride": "trainer", "podManagementPolicy": "OrderedReady"},
        distributed_facts(fullname="trainer", policy="OrderedReady"),
    ),
    # A release name that contains "mxnet" is the fullname itself.
    Case(
        "release-contains-mxnet",
        {"mode": "distributed"},
        distributed_facts("mxnet-prod", fullname="mxnet-prod"),
        release="mxnet-prod",
    ),
    # Standalone with a Secret and a ConfigMap of code: volumes secret-data and ext-files,
    # the claim named <fullname>, "-" meaning storageClassName "".
    Case(
        "standalone-secret-configmap",
        {
            "existingSecret": "creds",
            "configMap": "my-code",
            "persistence": {"enabled": True, "storageClass": "-"},
        },
        {
            "Deployment/rel-mxnet": {
                "selector": sel("rel", component="standalone"),
                "volumes": ["data", "ext-files", "secret-data"],
                "rank": None,
            },
            "PersistentVolumeClaim/rel-mxnet": {"accessModes": ["ReadWriteOnce"], "storageClassName": ""},
        },
    ),
    # The chart's files/ directory (filesDir here): ConfigMap <fullname>-files, volume local-files.
    Case(
        "files-dir",
        {"mode": "distributed", "filesDir": "code"},
        {**distributed_facts(volumes=("data", "local-files")), "ConfigMap/rel-mxnet-files": {}},
        files={"code/train.py": "print('train')\n"},
    ),
]


def with_policies(facts: dict[str, dict[str, Any]], **policies: str) -> dict[str, dict[str, Any]]:
    """``facts`` with each named role's StatefulSet under its own podManagementPolicy."""
    for role, policy in policies.items():
        name = next(k for k in facts if k.startswith("StatefulSet/") and k.endswith(f"-{role}"))
        facts[name] = {**facts[name], "podManagementPolicy": policy}
    return facts


# A 3.x claim template: named `data`, no labels (claim_template() gives 1.x's).
CLAIM_TEMPLATE_3 = {
    "metadata": {"name": "data"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "8Gi"}}},
}

LATER_CASES = [
    # Chart 2.4.17 as shipped, and with `--set mode=distributed` (rendered/distributed.yaml).
    Case("2.4.17-values.yaml", "values.yaml", CASES[0].facts, rendered="defaults.yaml", chart_version="2.4.17"),
    Case(
        "2.4.17-distributed",
        {"mode": "distributed"},
        distributed_facts(),
        rendered="distributed.yaml",
        chart_version="2.4.17",
    ),
    # Still <fullname>-scheduler, and a `data` template labelled {name, instance}, as 1.4.26.
    Case(
        "2.4.17-persistence",
        {"mode": "distributed", "persistence": {"enabled": True}, "server": {"replicaCount": 2}},
        {
            **distributed_facts(templates=[claim_template("rel", modes=["ReadWriteOnce"])]),
            "PersistentVolumeClaim/rel-mxnet-scheduler": {"accessModes": ["ReadWriteOnce"]},
        },
        rendered="own-persistence.yaml",
        chart_version="2.4.17",
    ),
    Case("3.5.1-values.yaml", "values.yaml", CASES[0].facts, rendered="defaults.yaml", chart_version="3.5.1"),
    # No podManagementPolicy written: the API server's default, OrderedReady, is live.
    Case(
        "3.5.1-distributed",
        {"mode": "distributed"},
        distributed_facts(policy="OrderedReady"),
        rendered="distributed.yaml",
        chart_version="3.5.1",
    ),
    # The scheduler's claim is <fullname>; the pools' `data` template has no labels.
    Case(
        "3.5.1-git-persistence",
        "git-persistence.values.yaml",
        {
            **distributed_facts(
                volumes=("data", "git-cloned-files"), templates=[CLAIM_TEMPLATE_3], policy="OrderedReady"
            ),
            "PersistentVolumeClaim/rel-mxnet": {"accessModes": ["ReadWriteOnce"]},
        },
        rendered="git-persistence.yaml",
        chart_version="3.5.1",
    ),
    # 3.5.1's worker StatefulSet writes worker.podManagementPolicy; the server's stays unset.
    Case(
        "3.5.1-worker-policy",
        {"mode": "distributed", "worker": {"podManagementPolicy": "Parallel"}},
        with_policies(distributed_facts(policy="OrderedReady"), worker="Parallel"),
        rendered="own-worker-policy.yaml",
        chart_version="3.5.1",
    ),
    # Standalone, 3.5.1 created the claim <fullname>-scheduler (its pod mounted <fullname>).
    Case(
        "3.5.1-standalone-persistence",
        {"persistence": {"enabled": True}},
        {
            **CASES[0].facts,
            "PersistentVolumeClaim/rel-mxnet-scheduler": {"accessModes": ["ReadWriteOnce"]},
        },
        rendered="own-standalone-persistence.yaml",
        chart_version="3.5.1",
    ),
    # commonLabels: 3.5.1 then labels the claim template {name, instance}; selectors unchanged.
    Case(
        "3.5.1-common-labels",
        {"mode": "distributed", "persistence": {"enabled": True}, "commonLabels": {"team": "ml"}},
        {
            **distributed_facts(templates=[claim_template("rel", modes=["ReadWriteOnce"])], policy="OrderedReady"),
            "PersistentVolumeClaim/rel-mxnet": {"accessModes": ["ReadWriteOnce"]},
        },
        rendered="own-common-labels.yaml",
        chart_version="3.5.1",
    ),
    # A `helm get values --all` of a 3.5.1 release: the shipped values.yaml plus the user's.
    Case(
        "3.5.1-helm-get-values-all",
        merge_values(
            yaml.safe_load((data("3.5.1") / "values.yaml").read_text()),
            yaml.safe_load((data("3.5.1") / "git-persistence.values.yaml").read_text()),
        ),
        {
            **distributed_facts(
                volumes=("data", "git-cloned-files"), templates=[CLAIM_TEMPLATE_3], policy="OrderedReady"
            ),
            "PersistentVolumeClaim/rel-mxnet": {"accessModes": ["ReadWriteOnce"]},
        },
        rendered="git-persistence.yaml",
        chart_version="3.5.1",
    ),
]
CASES += LATER_CASES


# --- facts from a list of manifests, ours or helm's --------------------------------------------


def pod_of(doc: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = doc["spec"]["template"]["spec"]
    return spec


def chart_rank(container: dict[str, Any]) -> str | None:
    """The rank variable a chart container exports in its ``bash -c`` script."""
    command = container.get("command") or []
    if command[:2] != ["bash", "-c"]:
        return None
    found = RANK_IN_CHART_COMMAND.search(command[2])
    return found.group(1) if found else None


def our_rank(container: dict[str, Any], pod_name: str) -> dict[str, str]:
    """The rank variables our container's command exports, found by running its wrapper
    in a real shell with the command replaced by ``env``."""
    command = container["command"]
    if command[:2] != ["sh", "-c"]:
        return {}
    result = subprocess.run(
        [*command[:4], "env"],
        env={"PATH": os.environ["PATH"], "POD_NAME": pod_name},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if line.split("=", 1)[0].endswith("_RANK"))


def claim_templates(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for template in doc["spec"].get("volumeClaimTemplates") or []:
        meta = {k: v for k, v in template["metadata"].items() if k in ("name", "labels", "annotations")}
        spec = dict(template["spec"])
        spec["resources"] = {"requests": {"storage": str(spec["resources"]["requests"]["storage"])}}
        out.append({"metadata": meta, "spec": spec})
    return out


def facts(docs: list[dict[str, Any]], *, ours: bool) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind not in CHART_KINDS:
            continue
        key = f"{kind}/{name}"
        if kind == "Service":
            out[key] = {"headless": doc["spec"].get("clusterIP") == "None"}
        elif kind == "PersistentVolumeClaim":
            out[key] = {k: v for k, v in doc["spec"].items() if k in ("accessModes", "storageClassName")}
        elif kind == "ConfigMap":
            out[key] = {}
        else:
            pod = pod_of(doc)
            main = next(c for c in pod["containers"] if c["name"] == "mxnet")
            entry: dict[str, Any] = {
                "selector": doc["spec"]["selector"]["matchLabels"],
                "volumes": sorted(v["name"] for v in pod.get("volumes") or []),
                "rank": chart_rank(main) if not ours else next(iter(our_rank(main, f"{name}-0")), None),
            }
            if kind == "StatefulSet":
                entry["serviceName"] = doc["spec"]["serviceName"]
                # Chart 3.x renders the key empty: the API server then writes its default.
                entry["podManagementPolicy"] = doc["spec"].get("podManagementPolicy") or "OrderedReady"
                entry["volumeClaimTemplates"] = claim_templates(doc)
            out[key] = entry
    return out


def render(case: Case, tmp_path: Path) -> list[dict[str, Any]]:
    """Our output for the case, through the values-file path ``template`` uses."""
    if isinstance(case.values, str):
        values = load_values_file(data(case.chart_version) / case.values)
    else:
        for rel, text in case.files.items():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text)
        values_file = tmp_path / "values.yaml"
        values_file.write_text(yaml.safe_dump(case.values))
        values = load_values_file(values_file)
    with warnings.catch_warnings():
        # A values set may warn on purpose (an accessMode the chart ignored).
        warnings.simplefilter("ignore", ValuesWarning)
        return synth(
            MXNetChart.from_helm_values(cdk8s.Testing.app(), case.release, values, chart_version=case.chart_version)
        )


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_no_immutable_field_claim_name_volume_name_or_rank_differs_from_the_chart(case: Case, tmp_path: Path) -> None:
    docs = render(case, tmp_path)
    assert facts(docs, ours=True) == case.facts


@pytest.mark.parametrize("case", [c for c in CASES if c.rendered], ids=[c.id for c in CASES if c.rendered])
def test_the_expected_facts_are_what_helm_rendered(case: Case) -> None:
    rendered = data(case.chart_version) / "rendered" / str(case.rendered)
    helm_docs = [d for d in yaml.safe_load_all(rendered.read_text()) if d]
    assert facts(helm_docs, ours=False) == case.facts


@pytest.mark.parametrize("role", ["server", "worker"])
@pytest.mark.parametrize("ordinal", [0, 1, 9, 10])
def test_rank_is_the_pod_ordinal_plus_one_and_reaches_the_entrypoint(role: str, ordinal: int, tmp_path: Path) -> None:
    docs = render(CASES[2], tmp_path)
    sts = next(d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"] == f"rel-mxnet-{role}")
    main = pod_of(sts)["containers"][0]
    variable = f"{role.upper()}_RANK"
    assert our_rank(main, f"rel-mxnet-{role}-{ordinal}") == {variable: str(ordinal + 1)}
    # The user's argv follows the constant script untouched, as "$@".
    assert main["command"][4:6] == (["python3", "-c"] if role == "server" else ["python3", "image_classification.py"])


def test_user_arguments_are_never_parsed_by_the_shell(tmp_path: Path) -> None:
    values = {"mode": "distributed", "entrypoint": {"file": "x.py", "args": ["$(touch pwned)", "; echo hi", "a b"]}}
    docs = synth(MXNetChart.from_helm_values(cdk8s.Testing.app(), "rel", values))
    worker = next(d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "rel-mxnet-worker")
    command = pod_of(worker)["containers"][0]["command"]
    # Replace the interpreter with printf to see exactly what the entrypoint would receive.
    result = subprocess.run(
        [*command[:4], "printf", "<%s>", *command[6:]],
        env={"PATH": os.environ["PATH"], "POD_NAME": "rel-mxnet-worker-3"},
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert result.stdout == "<$(touch pwned)><; echo hi><a b>"
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("mode", ["standalone", "distributed"])
def test_volume_permissions_without_persistence_adds_no_root_init_container(mode: str) -> None:
    # Chart 1.4.x: `and .Values.volumePermissions.enabled .Values.persistence.enabled`.
    values = {"mode": mode, "volumePermissions": {"enabled": True}}
    docs = synth(MXNetChart.from_helm_values(cdk8s.Testing.app(), "rel", values))
    workloads = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]
    assert workloads
    for doc in workloads:
        assert "initContainers" not in pod_of(doc)
    values["persistence"] = {"enabled": True}
    docs = synth(MXNetChart.from_helm_values(cdk8s.Testing.app(), "rel", values))
    for doc in (d for d in docs if d["kind"] in ("Deployment", "StatefulSet")):
        (init,) = pod_of(doc)["initContainers"]
        assert init["name"] == "volume-permissions" and init["securityContext"]["runAsUser"] == 0


RANK_PROBE = """\
import os

import mxnet as mx

kv = mx.kv.create("dist_sync")
print("RANK", os.environ["WORKER_RANK"], os.environ["HOSTNAME_HINT"], flush=True)
"""
MXNET_PYTHON = ROOT / ".mxnet-venv" / "bin" / "python"


@pytest.mark.mxnet
@pytest.mark.parametrize("lifecycle", ["long-running", "job"])
def test_every_worker_sees_its_rank_with_real_mxnet(lifecycle: str) -> None:
    # Imported here: only this test needs the local runner.
    from mxnet_construct.runner import run_local

    if not MXNET_PYTHON.exists():
        pytest.fail(f"{MXNET_PYTHON} is missing: create it with `make mxnet-venv` (make test does)")
    chart = MXNetChart(
        cdk8s.Testing.app(),
        "rank",
        mode="distributed",
        worker_count=3,
        lifecycle=lifecycle,  # type: ignore[arg-type]
        code=LocalFiles(files={"probe.py": RANK_PROBE}),
        entrypoint=Entrypoint(file="probe.py"),
        worker=RoleOptions(extra_env=[EnvVar.from_field("HOSTNAME_HINT", "metadata.name")]),
    )
    result = run_local(documents=synth(chart), timeout=120, python=str(MXNET_PYTHON), isolation="namespaces")
    assert result.ok, result.reason
    seen = sorted(
        tuple(line.split()[1:])
        for w in result.by_component("worker")
        for line in w.log.splitlines()
        if line.startswith("RANK ")
    )
    # StatefulSet pods rank-mxnet-worker-<ordinal>; Indexed Job pods carry the index before a random suffix.
    ordinals = [int(re.search(r"-worker-(\d+)", pod)[1]) for _, pod in seen]  # type: ignore[index]
    assert [int(rank) for rank, _ in seen] == [o + 1 for o in ordinals]
    assert sorted(ordinals) == [0, 1, 2]


def test_the_runbook_and_the_differences_table_are_in_the_migration_doc() -> None:
    doc = (ROOT / "docs" / "migration.md").read_text()
    runbook = doc[doc.index("### Runbook") : doc.index("### Remaining differences")]
    # Helm forgets the release by losing its records, never by `helm uninstall`.
    assert "kubectl delete secret -n NS -l owner=helm,name=REL" in runbook
    assert "Do not run\n   `helm uninstall`" in runbook
    assert "--dry-run=server" in runbook and "kubectl replace" in runbook and "--server-side" in runbook
    table = doc[doc.index("### Remaining differences") : doc.index("### Migration table")]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| Difference")]
    for topic in ("Recreate", "schedulerPort", "bash -c", "helm.sh/chart", "targetPort", "imagePullSecrets"):
        assert any(topic in row for row in rows), topic
    # Every row gives the chart's behaviour, ours and the reason.
    assert all(row.count(" | ") == 3 and not row.rstrip(" |").endswith("|") for row in rows)


@pytest.mark.parametrize("mode", ["standalone", "distributed"])
def test_3_5_1_pods_mount_the_claim_the_chart_created(mode: str) -> None:
    # 3.5.1 created one name and mounted the other, so its pod waited for a missing claim.
    docs = synth(
        MXNetChart.from_helm_values(
            cdk8s.Testing.app(), "rel", {"mode": mode, "persistence": {"enabled": True}}, chart_version="3.5.1"
        )
    )
    (claim,) = [d["metadata"]["name"] for d in docs if d["kind"] == "PersistentVolumeClaim"]
    workload = "rel-mxnet" if mode == "standalone" else "rel-mxnet-scheduler"
    pod = pod_of(next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == workload))
    (volume,) = [v for v in pod["volumes"] if v["name"] == "data"]
    assert volume["persistentVolumeClaim"]["claimName"] == claim
    rendered = (
        data("3.5.1")
        / "rendered"
        / ("own-standalone-persistence.yaml" if mode == "standalone" else "git-persistence.yaml")
    )
    helm_claims = [
        d["metadata"]["name"]
        for d in yaml.safe_load_all(rendered.read_text())
        if d and d["kind"] == "PersistentVolumeClaim"
    ]
    assert helm_claims == [claim]
