"""Secure by default: the restricted Pod Security Standard, network isolation, identity,
disruption budgets, no secret values in the output, and names that fit Kubernetes limits.

The pod checks run a small implementation of the Kubernetes Pod Security Standards
("baseline" plus "restricted", kubernetes.io/docs/concepts/security/pod-security-standards)
over every pod template, so they test the rules rather than our exact output.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mxnet_construct import (
    Entrypoint,
    EnvVar,
    GitRepository,
    Image,
    LocalFiles,
    MXNetChart,
    NetworkPolicyOptions,
    Persistence,
    Resources,
    RoleOptions,
    SecurityContext,
    VolumePermissions,
)
from mxnet_construct import _validate as v
from mxnet_construct.contract import STATEFULSET_NAME_MAX
from mxnet_construct.runner.pss import BASELINE_CAPABILITIES, SAFE_SYSCTLS
from tests.helpers import find, make_chart, synth, synth_yaml, validate_documents

# --- a Pod Security Standards checker ---------------------------------------------------

RESTRICTED_VOLUME_TYPES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def pss_violations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(container name or "pod", rule) for every Baseline or Restricted rule ``spec`` breaks."""
    out: list[tuple[str, str]] = []
    pod_sc = spec.get("securityContext", {})
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(flag):
            out.append(("pod", f"host namespaces: {flag}"))
    if pod_sc.get("windowsOptions", {}).get("hostProcess"):
        out.append(("pod", "hostProcess"))
    for vol in spec.get("volumes", []):
        kinds = set(vol) - {"name"}
        if "hostPath" in kinds:
            out.append(("pod", f"hostPath volume {vol['name']}"))
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            out.append(("pod", f"volume type {sorted(kinds)} of {vol['name']}"))
    for sysctl in pod_sc.get("sysctls", []):
        if sysctl["name"] not in SAFE_SYSCTLS:
            out.append(("pod", f"unsafe sysctl {sysctl['name']}"))
    if pod_sc.get("runAsUser") == 0:
        out.append(("pod", "runAsUser 0"))
    pod_seccomp = pod_sc.get("seccompProfile", {}).get("type")
    if pod_seccomp not in (None, "RuntimeDefault", "Localhost"):
        out.append(("pod", f"seccomp {pod_seccomp}"))
    for group in CONTAINER_LISTS:
        for ctr in spec.get(group, []):
            name = ctr["name"]
            sc = ctr.get("securityContext", {})
            if sc.get("privileged"):
                out.append((name, "privileged"))
            if sc.get("windowsOptions", {}).get("hostProcess"):
                out.append((name, "hostProcess"))
            if sc.get("procMount", "Default") != "Default":
                out.append((name, "procMount"))
            if any(port.get("hostPort") for port in ctr.get("ports", [])):
                out.append((name, "hostPort"))
            if sc.get("allowPrivilegeEscalation") is not False:
                out.append((name, "allowPrivilegeEscalation must be false"))
            if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
                out.append((name, "runAsNonRoot must be true"))
            if sc.get("runAsUser") == 0:
                out.append((name, "runAsUser 0"))
            seccomp = sc.get("seccompProfile", {}).get("type", pod_seccomp)
            if seccomp not in ("RuntimeDefault", "Localhost"):
                out.append((name, f"seccomp must be RuntimeDefault or Localhost, got {seccomp}"))
            caps = sc.get("capabilities", {})
            if "ALL" not in caps.get("drop", []):
                out.append((name, "capabilities must drop ALL"))
            added = set(caps.get("add", []))
            if added - {"NET_BIND_SERVICE"}:
                out.append((name, f"capabilities added: {sorted(added - {'NET_BIND_SERVICE'})}"))
            if added - BASELINE_CAPABILITIES:
                out.append((name, "capabilities beyond baseline"))
    return out


def pod_specs(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(object name, pod spec) of every pod template, JobSet replicated jobs included."""
    for doc in docs:
        kind, spec = doc["kind"], doc.get("spec", {})
        if kind in ("Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet"):
            yield doc["metadata"]["name"], spec["template"]["spec"]
        elif kind == "CronJob":
            yield doc["metadata"]["name"], spec["jobTemplate"]["spec"]["template"]["spec"]
        elif kind == "JobSet":
            for rjob in spec["replicatedJobs"]:
                yield f"{doc['metadata']['name']}/{rjob['name']}", rjob["template"]["spec"]["template"]["spec"]
        elif kind == "Pod":
            yield doc["metadata"]["name"], spec


EVERYTHING: dict[str, Any] = {
    "mode": "distributed",
    "server_count": 2,
    "worker_count": 3,
    "code": GitRepository(repository="https://github.com/apache/incubator-mxnet.git"),
    "entrypoint": Entrypoint(file="train.py"),
    "existing_secret": "train-credentials",
    "persistence": Persistence(enabled=True),
    "extra_env": [EnvVar.from_secret("S3_SECRET_KEY", "s3", "secret-key")],
    "worker": RoleOptions(gpus=1),
    "sidecars": [{"name": "metrics", "image": "prom/statsd-exporter:v0.26.0", "ports": [{"containerPort": 9102}]}],
    "init_containers": [{"name": "wait", "image": "busybox:1.36", "command": ["true"]}],
    "service_type": "NodePort",
}

CONFIGS: dict[str, dict[str, Any]] = {
    "standalone": {},
    "standalone-everything": {
        k: val
        for k, val in EVERYTHING.items()
        if k not in ("mode", "server_count", "worker_count", "worker", "service_type")
    },
    "distributed": {"mode": "distributed"},
    "distributed-everything": EVERYTHING,
    "job": {**EVERYTHING, "lifecycle": "job"},
    "jobset": {**EVERYTHING, "lifecycle": "jobset"},
    "gang": {**EVERYTHING, "lifecycle": "job", "gang_scheduler": "volcano"},
}


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_every_pod_meets_the_restricted_standard_by_default(config: str) -> None:
    docs = synth(make_chart(**CONFIGS[config]))
    pods = list(pod_specs(docs))
    assert pods, "no pod templates found"
    for name, spec in pods:
        assert pss_violations(spec) == [], name
        containers = [c["name"] for group in CONTAINER_LISTS for c in spec.get(group, [])]
        if config.endswith("everything"):
            assert {"mxnet", "metrics", "wait", "git-clone-repository"} <= set(containers)


def test_the_checker_flags_each_rule() -> None:
    good = pod_specs(synth(make_chart()))
    _, spec = next(good)
    assert pss_violations(spec) == []
    breaks = {
        "privileged": lambda s: s["containers"][0]["securityContext"].update(privileged=True),
        "allowPrivilegeEscalation must be false": lambda s: s["containers"][0]["securityContext"].pop(
            "allowPrivilegeEscalation"
        ),
        "runAsNonRoot must be true": lambda s: s["securityContext"].pop("runAsNonRoot"),
        "runAsUser 0": lambda s: s["containers"][0]["securityContext"].update(runAsUser=0),
        "seccomp must be": lambda s: s["securityContext"].pop("seccompProfile"),
        "capabilities must drop ALL": lambda s: s["containers"][0]["securityContext"].pop("capabilities"),
        "capabilities added": lambda s: s["containers"][0]["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]),
        "hostPath volume": lambda s: s["volumes"].append({"name": "h", "hostPath": {"path": "/"}}),
        "host namespaces": lambda s: s.update(hostNetwork=True),
        "hostPort": lambda s: s["containers"][0].update(ports=[{"containerPort": 1, "hostPort": 1}]),
    }
    for rule, breaker in breaks.items():
        broken = yaml.safe_load(yaml.safe_dump(spec))
        breaker(broken)
        assert any(rule in found for _, found in pss_violations(broken)), rule


def test_volume_permissions_is_the_one_documented_exception() -> None:
    docs = synth(
        make_chart(
            mode="distributed",
            persistence=Persistence(enabled=True),
            volume_permissions=VolumePermissions(enabled=True),
        )
    )
    for name, spec in pod_specs(docs):
        offenders = {who for who, _ in pss_violations(spec)}
        assert offenders == {"volume-permissions"}, name
        vp = spec["initContainers"][0]
        assert vp["securityContext"]["runAsUser"] == 0
        assert vp["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert vp["securityContext"]["allowPrivilegeEscalation"] is False
    # Off (the default), no container runs as root anywhere.
    for _, spec in pod_specs(synth(make_chart(mode="distributed", persistence=Persistence(enabled=True)))):
        assert all(c["name"] != "volume-permissions" for c in spec.get("initContainers", []))


def test_host_network_is_only_there_when_asked_for() -> None:
    for _, spec in pod_specs(synth(make_chart(mode="distributed", host_network=True))):
        assert ("pod", "host namespaces: hostNetwork") in pss_violations(spec)
        assert spec["dnsPolicy"] == "ClusterFirstWithHostNet"


RELAXATIONS: list[tuple[dict[str, Any], str, str]] = [
    ({"run_as_non_root": False}, "runAsNonRoot must be true", "securityContext.runAsNonRoot"),
    ({"seccomp_profile": None}, "seccomp must be", "securityContext.seccompProfile"),
    ({"seccomp_profile": "Unconfined"}, "seccomp", "securityContext.seccompProfile"),
    (
        {"allow_privilege_escalation": True},
        "allowPrivilegeEscalation must be false",
        "containers.allowPrivilegeEscalation",
    ),
    ({"drop_capabilities": ()}, "capabilities must drop ALL", "containers.capabilities"),
    ({"drop_capabilities": ("NET_RAW",)}, "capabilities must drop ALL", "containers.capabilities"),
]


@pytest.mark.parametrize(("relax", "rule", "where"), RELAXATIONS, ids=[str(r[0]) for r in RELAXATIONS])
def test_each_restricted_setting_can_be_relaxed_on_its_own(relax: dict[str, Any], rule: str, where: str) -> None:
    chart = make_chart(
        mode="distributed",
        code=GitRepository(repository="https://example.com/r.git"),
        security_context=SecurityContext(**relax),
    )
    docs = synth(chart)
    validate_documents(docs)
    for _, spec in pod_specs(docs):
        rules = {found for _, found in pss_violations(spec)}
        assert any(rule in found for found in rules), rules
        # Only the relaxed rule is broken: the other settings keep their defaults.
        assert all(rule in found or (found.startswith("seccomp") and "seccomp" in rule) for found in rules), rules


def test_the_other_security_context_fields_change_the_output() -> None:
    hardened = SecurityContext(read_only_root_filesystem=True, run_as_user=10001, fs_group=10001)
    for _, spec in pod_specs(
        synth(
            make_chart(
                mode="distributed",
                code=GitRepository(repository="https://example.com/r.git"),
                security_context=hardened,
            )
        )
    ):
        assert spec["securityContext"]["runAsUser"] == 10001
        assert spec["securityContext"]["fsGroup"] == 10001
        for ctr in spec["containers"] + spec["initContainers"]:
            assert ctr["securityContext"]["readOnlyRootFilesystem"] is True
    for _, spec in pod_specs(synth(make_chart(security_context=SecurityContext(enabled=False)))):
        assert "runAsUser" not in spec["securityContext"]
        assert "fsGroup" not in spec["securityContext"]
        assert pss_violations(spec) == []


def test_a_user_container_keeps_its_own_settings_and_gets_the_rest() -> None:
    sidecar = {
        "name": "tool",
        "image": "tool:1",
        "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}},
    }
    spec = next(pod_specs(synth(make_chart(sidecars=[sidecar]))))[1]
    tool = spec["containers"][1]
    assert tool["securityContext"]["capabilities"]["add"] == ["NET_BIND_SERVICE"]
    assert tool["securityContext"]["allowPrivilegeEscalation"] is False
    assert pss_violations(spec) == []


def test_run_as_root_with_run_as_non_root_is_refused() -> None:
    with pytest.raises(ValueError, match=r"security_context\.run_as_user"):
        SecurityContext(run_as_user=0)
    SecurityContext(run_as_user=0, run_as_non_root=False)


# --- NetworkPolicy ----------------------------------------------------------------------


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A label selector (matchLabels and matchExpressions) against a pod's labels."""
    if any(labels.get(k) != val for k, val in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if (op == "In" and labels.get(key) not in values) or (op == "NotIn" and labels.get(key) in values):
            return False
        if (op == "Exists" and key not in labels) or (op == "DoesNotExist" and key in labels):
            return False
    return True


def pod_labels(docs: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [d["spec"]["template"]["metadata"]["labels"] for d in docs if d["kind"] in ("Deployment", "StatefulSet")]


@pytest.mark.parametrize("mode", ["standalone", "distributed"])
def test_network_policy_is_on_by_default_and_can_be_switched_off(mode: str) -> None:
    docs = synth(make_chart(mode=mode))
    policy = find(docs, "NetworkPolicy")
    assert all(matches(policy["spec"]["podSelector"], labels) for labels in pod_labels(docs))
    assert all(rule.get("from") for rule in policy["spec"]["ingress"])
    off = synth(make_chart(mode=mode, network_policy=NetworkPolicyOptions(enabled=False)))
    assert not [d for d in off if d["kind"] == "NetworkPolicy"]


def test_standalone_egress_is_open_unless_restricted() -> None:
    # A standalone pod is a workspace (pip install, dataset downloads): egress stays open.
    assert find(synth(make_chart()), "NetworkPolicy")["spec"]["egress"] == [{}]
    docs = synth(make_chart(network_policy=NetworkPolicyOptions(allow_all_egress=False)))
    validate_documents(docs)
    egress = find(docs, "NetworkPolicy")["spec"]["egress"]
    assert {p["port"] for r in egress if "to" not in r for p in r["ports"]} == {53}


def test_only_the_release_s_own_pods_are_peers() -> None:
    app_docs = synth(make_chart(mode="distributed", release="alpha"))
    other_docs = synth(make_chart(mode="distributed", release="beta"))
    policy = find(app_docs, "NetworkPolicy")
    spec = policy["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    own, other = pod_labels(app_docs), pod_labels(other_docs)
    assert len(own) == 3 and len(other) == 3
    # The policy covers every pod of the release and none of the other release's.
    assert all(matches(spec["podSelector"], labels) for labels in own)
    assert not any(matches(spec["podSelector"], labels) for labels in other)
    # Every ingress rule names its peers (ClusterIP: nothing outside the release).
    for rule in spec["ingress"]:
        assert rule["from"], rule
        for peer in rule["from"]:
            assert set(peer) == {"podSelector"}
            assert all(matches(peer["podSelector"], labels) for labels in own)
            assert not any(matches(peer["podSelector"], labels) for labels in other)
    # The second release's pods, by their labels, are not let in by the first's rules.
    assert find(other_docs, "NetworkPolicy")["spec"]["podSelector"] != spec["podSelector"]


def test_egress_allows_the_release_and_dns_only_by_default() -> None:
    spec = find(synth(make_chart(mode="distributed")), "NetworkPolicy")["spec"]
    to_release = [r for r in spec["egress"] if "to" in r]
    assert len(to_release) == 1 and set(to_release[0]["to"][0]) == {"podSelector"}
    open_rules = [r for r in spec["egress"] if "to" not in r]
    assert open_rules == [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]


def test_egress_opens_git_ports_only_for_a_git_source_and_takes_user_rules() -> None:
    data = {"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": [{"port": 9000, "protocol": "TCP"}]}
    docs = synth(
        make_chart(
            mode="distributed",
            code=GitRepository(repository="https://example.com/r.git"),
            network_policy=NetworkPolicyOptions(extra_egress=[data]),
        )
    )
    validate_documents(docs)
    egress = find(docs, "NetworkPolicy")["spec"]["egress"]
    git_ports = {p["port"] for r in egress if "to" not in r for p in r["ports"] if p["port"] != 53}
    assert git_ports == {443}  # an https clone needs 443 only
    assert egress[-1] == data
    no_git = find(synth(make_chart(mode="distributed", code=LocalFiles(files={"a.py": ""}))), "NetworkPolicy")["spec"][
        "egress"
    ]
    assert {p["port"] for r in no_git if "to" not in r for p in r["ports"]} == {53}


def test_allow_all_egress_keeps_ingress_closed() -> None:
    spec = find(
        synth(make_chart(mode="distributed", network_policy=NetworkPolicyOptions(allow_all_egress=True))),
        "NetworkPolicy",
    )["spec"]
    assert spec["egress"] == [{}]
    assert all(rule.get("from") for rule in spec["ingress"])


def test_an_exposed_scheduler_opens_only_its_port() -> None:
    docs = synth(make_chart(mode="distributed", service_type="NodePort", scheduler_port=9091))
    release = find(docs, "NetworkPolicy", "test-mxnet")["spec"]
    assert all("from" in rule for rule in release["ingress"])
    outside = find(docs, "NetworkPolicy", "test-mxnet-scheduler")["spec"]
    assert outside["ingress"] == [{"ports": [{"port": 9091, "protocol": "TCP"}]}]
    assert outside["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "scheduler"


def test_bad_egress_rules_are_refused() -> None:
    with pytest.raises(ValueError, match=r"network_policy.extra_egress\[0\]"):
        NetworkPolicyOptions(extra_egress=[{"too": []}])
    with pytest.raises(TypeError, match=r"network_policy\.enabled"):
        NetworkPolicyOptions(enabled="yes")  # type: ignore[arg-type]


# --- ServiceAccount and PodDisruptionBudget ---------------------------------------------


@pytest.mark.parametrize("mode", ["standalone", "distributed"])
def test_one_service_account_per_release_without_a_token(mode: str) -> None:
    docs = synth(make_chart(mode=mode, release="alpha"))
    account = find(docs, "ServiceAccount")
    assert account["automountServiceAccountToken"] is False
    for _, spec in pod_specs(docs):
        assert spec["serviceAccountName"] == account["metadata"]["name"]
        assert spec["automountServiceAccountToken"] is False


def test_without_the_service_account_pods_still_get_no_token() -> None:
    docs = synth(make_chart(mode="distributed", service_account=False))
    assert not [d for d in docs if d["kind"] == "ServiceAccount"]
    for _, spec in pod_specs(docs):
        assert "serviceAccountName" not in spec
        assert spec["automountServiceAccountToken"] is False


def test_long_running_pods_never_block_a_drain_for_good() -> None:
    # They never finish: a budget keeping all of them would hold every drain forever, so
    # drains evict them one at a time.
    docs = synth(make_chart(mode="distributed", server_count=2, worker_count=3))
    pdb = find(docs, "PodDisruptionBudget")["spec"]
    assert pdb["maxUnavailable"] == 1 and "minAvailable" not in pdb
    assert all(matches(pdb["selector"], labels) for labels in pod_labels(docs))
    assert pdb["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


@pytest.mark.parametrize("lifecycle", ["job", "jobset"])
def test_the_disruption_budget_protects_a_running_job_whole(lifecycle: str) -> None:
    # Job pods finish, so a drain waits for the run to end instead of stalling it; Jobs have
    # no scale subresource, so the budget is a whole minAvailable: every pod of the gang.
    job = {"lifecycle": lifecycle, "entrypoint": Entrypoint(file="train.py")}
    docs = synth(make_chart(mode="distributed", server_count=2, worker_count=3, **job))
    pdb = find(docs, "PodDisruptionBudget")["spec"]
    assert pdb["minAvailable"] == 1 + 2 + 3 and "maxUnavailable" not in pdb
    jobs = [d["spec"] for d in docs if d["kind"] == "Job"]
    jobs += [r["template"]["spec"] for d in docs if d["kind"] == "JobSet" for r in d["spec"]["replicatedJobs"]]
    labels = [job["template"]["metadata"]["labels"] for job in jobs]
    assert len(labels) == 3 and all(matches(pdb["selector"], pod) for pod in labels)
    assert pdb["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_no_disruption_budget_when_off_or_standalone() -> None:
    assert not [
        d
        for d in synth(make_chart(mode="distributed", pod_disruption_budget=False))
        if d["kind"] == "PodDisruptionBudget"
    ]
    assert not [d for d in synth(make_chart()) if d["kind"] == "PodDisruptionBudget"]


# --- secrets never reach the output -----------------------------------------------------

SENTINEL = "s3cr3t-SENTINEL-7f1c9e"


def test_no_secret_value_reaches_the_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Secrets a user has around while synthesizing: in the environment, in dotfiles next to
    # the code, in HOME. None of them may be read into the manifests.
    for var in ("AWS_SECRET_ACCESS_KEY", "HF_TOKEN", "S3_SECRET_KEY", "DB_PASSWORD", "GIT_PASSWORD"):
        monkeypatch.setenv(var, SENTINEL)
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text(f'{{"auths": {{"r": {{"auth": "{SENTINEL}"}}}}}}')
    (home / ".git-credentials").write_text(f"https://user:{SENTINEL}@github.com\n")
    monkeypatch.setenv("HOME", str(home))
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text("import os\nprint(os.environ['S3_SECRET_KEY'])\n")
    (code / ".env").write_text(f"S3_SECRET_KEY={SENTINEL}\n")
    secret_ref = {"secretKeyRef": {"name": "s3-credentials", "key": "secret-key"}}
    secret_sidecar = {
        "name": "uploader",
        "image": "uploader:1",
        "env": [{"name": "UPLOAD_TOKEN", "valueFrom": {"secretKeyRef": {"name": "upload", "key": "token"}}}],
        "envFrom": [{"secretRef": {"name": "upload-env"}}],
    }
    charts = [
        make_chart(
            mode="distributed",
            code=LocalFiles.from_directory(code),
            existing_secret="train-credentials",
            extra_env=[
                EnvVar.from_secret("S3_SECRET_KEY", "s3-credentials", "secret-key"),
                EnvVar(name="DB_PASSWORD", value_from=secret_ref),
            ],
            worker=RoleOptions(extra_env=[EnvVar.from_secret("HF_TOKEN", "hf", "token")]),
            sidecars=[secret_sidecar],
            init_containers=[{**secret_sidecar, "name": "fetch"}],
            image=Image(pull_secrets=["regcred"]),
            global_image_pull_secrets=["global-regcred"],
        ),
        MXNetChart.from_helm_values(
            make_chart().node.scope,  # type: ignore[arg-type]
            "helm",
            {
                "mode": "distributed",
                "existingSecret": "train-credentials",
                "commonExtraEnvVars": [{"name": "S3_SECRET_KEY", "valueFrom": secret_ref}],
                "workerExtraEnvVars": [
                    {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}}
                ],
                "image": {"pullSecrets": ["regcred"]},
            },
        ),
    ]
    for chart in charts:
        text = synth_yaml(chart)
        assert SENTINEL not in text
        # The references themselves are there, so the scan looked at the right output.
        assert "s3-credentials" in text and "train-credentials" in text and "regcred" in text
    assert "upload-env" in synth_yaml(charts[0])
    assert os.environ["HF_TOKEN"] == SENTINEL


@pytest.mark.parametrize(
    "name", ["DB_PASSWORD", "HF_TOKEN", "AWS_SECRET_ACCESS_KEY", "WANDB_API_KEY", "ssh-private-key", "SECRET"]
)
def test_a_literal_value_under_a_credential_name_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match=r"EnvVar.from_secret") as err:
        EnvVar(name=name, value=SENTINEL)
    message = str(err.value)
    assert name in message and "not_secret=True" in message
    assert SENTINEL not in message, "the error message must not repeat the secret"


def test_the_credential_rule_has_a_way_out_and_spares_ordinary_names() -> None:
    assert EnvVar(name="TOKEN_LIMIT", value="512", not_secret=True).to_json() == {"name": "TOKEN_LIMIT", "value": "512"}
    assert EnvVar(name="DB_PASSWORD", value="").to_json()["value"] == ""
    for name in ("TOKENIZERS_PARALLELISM", "MAX_TOKENS", "AWS_ACCESS_KEY_ID", "OMP_NUM_THREADS", "KEY_PATH"):
        EnvVar(name=name, value="x")
    with pytest.raises(TypeError, match="not_secret"):
        EnvVar(name="X", value="y", not_secret="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        f"https://user:{SENTINEL}@github.com/o/r.git",
        f"https://{SENTINEL}@github.com/o/r.git",
        f"ssh://git:{SENTINEL}@host/r.git",
    ],
)
def test_a_git_url_with_credentials_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"code.repository.*credentials") as err:
        GitRepository(repository=url)
    assert SENTINEL not in str(err.value)


@pytest.mark.parametrize(
    "url", ["https://github.com/o/r.git", "git@github.com:o/r.git", "ssh://git@host/r.git", "file:///srv/r@1"]
)
def test_git_urls_without_credentials_are_accepted(url: str) -> None:
    assert GitRepository(repository=url).repository == url


# --- names fit Kubernetes limits --------------------------------------------------------

DNS_LABEL_KINDS = {"Service"}


def assert_names_fit(docs: list[dict[str, Any]], options: dict[str, Any]) -> None:
    for doc in docs:
        name = doc["metadata"]["name"]
        limit = (
            v.MAX_NAME
            if doc["kind"] in DNS_LABEL_KINDS | {"Deployment", "StatefulSet", "Job", "JobSet", "NetworkPolicy"}
            else 253
        )
        assert len(name) <= limit, (doc["kind"], name)
        for labels in [
            doc["metadata"].get("labels", {}),
            *(s.get("metadata", {}).get("labels", {}) for s in [doc.get("spec", {}).get("template", {})]),
        ]:
            for key, value in labels.items():
                assert len(value) <= v.MAX_NAME, (key, value)
        if doc["kind"] == "StatefulSet":
            # Pods carry controller-revision-hash=<name>-<10 chars> and are named <name>-<ordinal>.
            assert len(name) + 11 <= v.MAX_NAME, name
            assert len(f"{name}-{doc['spec']['replicas'] - 1}") <= v.MAX_NAME
        if doc["kind"] == "Job" and doc["spec"].get("completionMode") == "Indexed":
            assert len(f"{name}-{doc['spec']['completions'] - 1}") <= v.MAX_NAME


def longest_accepted(make: Any) -> int:
    length = 1
    while True:
        try:
            make("a" * (length + 1))
        except ValueError:
            return length
        length += 1
        assert length <= 64, "a 64-character release name was accepted"


NAME_CASES: dict[str, tuple[dict[str, Any], str, int]] = {
    # (options, how the release is spelled, longest fullname the limits allow)
    "standalone": ({}, "plain", v.MAX_NAME),
    "distributed": ({"mode": "distributed", "worker_count": 100}, "plain", STATEFULSET_NAME_MAX - len("-worker")),
    "distributed-mxnet-in-name": ({"mode": "distributed"}, "mxnet", STATEFULSET_NAME_MAX - len("-worker")),
    "name-override": ({"mode": "distributed", "name_override": "ps"}, "plain", STATEFULSET_NAME_MAX - len("-worker")),
    # No StatefulSets: the scheduler's Job and claim <fullname>-scheduler are the longest names.
    "job": (
        {
            "mode": "distributed",
            "lifecycle": "job",
            "entrypoint": Entrypoint(file="train.py"),
            "persistence": Persistence(enabled=True),
        },
        "plain",
        v.MAX_NAME - len("-scheduler"),
    ),
}


@pytest.mark.parametrize("case", sorted(NAME_CASES))
def test_the_longest_accepted_release_name_fits_and_one_more_fails(case: str) -> None:
    options, spelling, fullname_limit = NAME_CASES[case]
    suffix = "" if spelling == "mxnet" else f"-{options.get('name_override', 'mxnet')}"

    def release(length: int) -> str:
        return ("mxnet" + "a" * (length - 5)) if spelling == "mxnet" else "a" * length

    longest = longest_accepted(lambda r: make_chart(release=release(len(r)), **options))
    # The rule behind the boundary: the fullname (<release><suffix>) is exactly at its limit.
    assert longest + len(suffix) == fullname_limit
    docs = synth(make_chart(release=release(longest), **options))
    validate_documents(docs)
    assert_names_fit(docs, options)
    with pytest.raises(ValueError, match=r"release name: .*limit \d+.*at most \d+ characters"):
        make_chart(release=release(longest + 1), **options)


@pytest.mark.parametrize("mode", ["standalone", "distributed"])
def test_fullname_override_takes_the_length_budget(mode: str) -> None:
    release = "r" * v.MAX_NAME
    longest = longest_accepted(lambda o: make_chart(release=release, mode=mode, fullname_override=o))
    docs = synth(make_chart(release=release, mode=mode, fullname_override="o" * longest))
    validate_documents(docs)
    assert_names_fit(docs, {})
    with pytest.raises(ValueError, match="limit"):
        make_chart(release=release, mode=mode, fullname_override="o" * (longest + 1))
    with pytest.raises(ValueError, match="release name"):
        make_chart(release="r" * (v.MAX_NAME + 1), mode=mode, fullname_override="short")


def test_more_pods_need_no_shorter_names_until_the_ordinal_does() -> None:
    # 10,000 workers: ordinals reach 4 digits, still inside the StatefulSet's tighter limit.
    longest = longest_accepted(lambda r: make_chart(release=r, mode="distributed", worker_count=10_000))
    docs = synth(make_chart(release="a" * longest, mode="distributed", worker_count=10_000))
    assert_names_fit(docs, {})


def test_resources_size_the_library_s_init_containers_without_gpus() -> None:
    res = Resources(requests={"cpu": "1", "memory": "1Gi"}, limits={"memory": "2Gi"})
    docs = synth(
        make_chart(
            mode="distributed",
            resources=res,
            worker=RoleOptions(gpus=2),
            code=GitRepository(repository="https://example.com/r.git"),
            persistence=Persistence(enabled=True),
            volume_permissions=VolumePermissions(enabled=True),
        )
    )
    worker = find(docs, "StatefulSet", "test-mxnet-worker")["spec"]["template"]["spec"]
    assert worker["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 2
    for init in worker["initContainers"]:
        assert init["resources"] == {"limits": {"memory": "2Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}, init[
            "name"
        ]
