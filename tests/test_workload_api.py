"""Roles behave like cdk8s-plus workloads: methods after construction, values derived from
the final objects at synthesis, every container hardened, namespace-aware peers, names."""

from __future__ import annotations

from typing import Any

import cdk8s
import cdk8s_plus_27 as kplus
import pytest

from mxnet_construct import Entrypoint, LocalFiles, MXNetChart, PodTemplateSpec, WorkerPool
from tests.helpers import find, synth

LIFECYCLES = ["long-running", "job", "jobset"]


def chart_for(lifecycle: str = "long-running", **extra: Any) -> MXNetChart:
    return MXNetChart(
        cdk8s.App(),
        "rel",
        mode="distributed",
        server_count=2,
        worker_count=4,
        lifecycle=lifecycle,
        code=LocalFiles(files={"train.py": "print('hi')\n"}),
        entrypoint=Entrypoint(file="train.py"),
        **extra,
    )


def pods(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """component -> pod spec, for every workload (JobSet replicated jobs included)."""
    out: dict[str, dict[str, Any]] = {}
    for doc in docs:
        if doc["kind"] == "JobSet":
            for rjob in doc["spec"]["replicatedJobs"]:
                template = rjob["template"]["spec"]["template"]
                out[template["metadata"]["labels"]["app.kubernetes.io/component"]] = template["spec"]
        elif doc["kind"] in ("Deployment", "StatefulSet", "Job"):
            template = doc["spec"]["template"]
            out[template["metadata"]["labels"]["app.kubernetes.io/component"]] = template["spec"]
    return out


def env(pod: dict[str, Any], container: str = "mxnet") -> dict[str, str]:
    main = next(c for c in pod["containers"] if c["name"] == container)
    return {e["name"]: e.get("value", "") for e in main.get("env", [])}


def scale_workers(chart: MXNetChart, count: int) -> None:
    assert chart.workers is not None
    if chart.options.lifecycle == "long-running":
        chart.workers.resource.add_json_patch(cdk8s.JsonPatch.replace("/spec/replicas", count))
    else:
        chart.workers.resource.add_json_patch(
            cdk8s.JsonPatch.replace("/spec/parallelism", count), cdk8s.JsonPatch.replace("/spec/completions", count)
        )


@pytest.mark.parametrize("lifecycle", LIFECYCLES)
def test_a_patched_worker_count_reaches_every_pod_the_pdb_and_the_group(lifecycle: str) -> None:
    chart = chart_for(lifecycle, gang_scheduler="volcano")
    scale_workers(chart, 6)
    docs = synth(chart)
    for component, pod in pods(docs).items():
        assert env(pod)["DMLC_NUM_WORKER"] == "6", component
        assert env(pod)["DMLC_NUM_SERVER"] == "2", component
    assert find(docs, "PodGroup")["spec"]["minMember"] == 1 + 2 + 6
    budget = find(docs, "PodDisruptionBudget")["spec"]
    if lifecycle == "long-running":
        # Drains go one pod at a time whatever the count (docs/security.md).
        assert budget["maxUnavailable"] == 1 and "minAvailable" not in budget
    else:
        assert budget["minAvailable"] == 1 + 2 + 6


def test_json_patch_replace_replicas_on_api_object_of_workers() -> None:
    chart = chart_for()
    assert chart.workers is not None
    cdk8s.ApiObject.of(chart.workers).add_json_patch(cdk8s.JsonPatch.replace("/spec/replicas", 6))
    assert {env(pod)["DMLC_NUM_WORKER"] for pod in pods(synth(chart)).values()} == {"6"}


def test_a_patched_service_port_reaches_dmlc_ps_root_port() -> None:
    chart = chart_for()
    assert chart.scheduler is not None
    chart.scheduler.service.add_json_patch(cdk8s.JsonPatch.replace("/spec/ports/0/port", 9000))
    assert {env(pod)["DMLC_PS_ROOT_PORT"] for pod in pods(synth(chart)).values()} == {"9000"}


def test_a_patched_sidecar_is_counted_in_the_pod_group() -> None:
    chart = chart_for(gang_scheduler="scheduler-plugins")
    before = find(synth(chart), "PodGroup")["spec"].get("minResources", {})
    assert chart.workers is not None
    sidecar = {"name": "tracer", "image": "tracer:1", "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}}
    chart.workers.resource.add_json_patch(cdk8s.JsonPatch.add("/spec/template/spec/containers/-", sidecar))
    after = find(synth(chart), "PodGroup")["spec"]["minResources"]
    assert before == {}
    assert after == {"cpu": "1", "memory": "256Mi"}  # four workers


def test_a_value_set_against_the_objects_fails_synthesis_naming_both() -> None:
    chart = chart_for()
    assert chart.workers is not None
    chart.workers.resource.add_json_patch(cdk8s.JsonPatch.replace("/spec/template/spec/containers/0/env/5/value", "7"))
    with pytest.raises(Exception, match=r"workers/Resource.*DMLC_NUM_WORKER='7'.*objects say '4'"):
        synth(chart)


def test_rendering_changes_nothing_and_twice_gives_the_same_documents() -> None:
    chart = chart_for(checkov_skips=True)
    first = synth(chart)
    assert synth(chart) == first
    assert chart.workers is not None
    # The annotations come from rendering, never from a validation writing into the object.
    assert chart.node.validate() == []
    assert "annotations" not in cdk8s.ApiObject.of(chart.workers).metadata.to_json()
    assert any(
        k.startswith("checkov.io/skip")
        for k in find(first, "StatefulSet", "rel-mxnet-worker")["metadata"]["annotations"]
    )


# ---------------------------------------------------------------------------------------
# Hardening and the restricted profile


class Traced(WorkerPool):
    def pod_template(self) -> PodTemplateSpec:
        pod = super().pod_template()
        pod["spec"]["containers"].append({"name": "tracer", "image": "tracer:1"})
        return pod


class TracedChart(MXNetChart):
    worker_pool_class = Traced


@pytest.mark.parametrize("how", ["sidecars", "hook", "add_container", "add_container-kplus", "init"])
def test_every_container_gets_the_same_restricted_merge(how: str) -> None:
    expected = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    if how == "sidecars":
        chart = chart_for(sidecars=[{"name": "tracer", "image": "tracer:1"}])
    elif how == "hook":
        chart = TracedChart(cdk8s.App(), "rel", mode="distributed")
    else:
        chart = chart_for()
        assert chart.workers is not None
        if how == "add_container":
            chart.workers.add_container({"name": "tracer", "image": "tracer:1"})
        elif how == "init":
            chart.workers.add_init_container(name="tracer", image="tracer:1")
        else:
            chart.workers.add_container(name="tracer", image="tracer:1")
    pod = pods(synth(chart))["worker"]
    found = [c for c in pod["containers"] + pod.get("initContainers", []) if c["name"] == "tracer"]
    assert [c["securityContext"] for c in found] == [expected]


def test_a_pod_that_breaks_the_restricted_profile_fails_naming_container_and_rule() -> None:
    chart = chart_for()
    assert chart.workers is not None
    chart.workers.add_container(
        {
            "name": "debugger",
            "image": "debug:1",
            "securityContext": {"privileged": True, "capabilities": {"add": ["SYS_PTRACE"]}},
        }
    )
    with pytest.raises(
        Exception, match=r"container 'debugger'.*privileged is true.*capabilities.add has \['SYS_PTRACE'\]"
    ):
        synth(chart)


def test_a_rule_the_options_relax_is_not_enforced() -> None:
    from mxnet_construct import SecurityContext

    chart = chart_for(security_context=SecurityContext(seccomp_profile=None))
    assert chart.workers is not None
    chart.workers.resource.add_json_patch(
        cdk8s.JsonPatch.add("/spec/template/spec/securityContext/seccompProfile", {"type": "Unconfined"})
    )
    synth(chart)
    strict = chart_for()
    assert strict.workers is not None
    strict.workers.resource.add_json_patch(
        cdk8s.JsonPatch.replace("/spec/template/spec/securityContext/seccompProfile", {"type": "Unconfined"})
    )
    with pytest.raises(Exception, match=r"container 'mxnet'.*seccompProfile.type is 'Unconfined'"):
        synth(strict)


# ---------------------------------------------------------------------------------------
# The cdk8s-plus workload surface


@pytest.mark.parametrize("lifecycle", LIFECYCLES)
def test_methods_act_on_that_roles_pods_only(lifecycle: str) -> None:
    chart = chart_for(lifecycle)
    workers = chart.workers
    assert workers is not None
    container = workers.add_container(
        name="exporter",
        image="exporter:1",
        port_number=9100,
        env_variables={"MODE": kplus.EnvValue.from_value("fast")},
        volume_mounts=[kplus.VolumeMount(path="/cache", volume=kplus.Volume.from_empty_dir(chart, "cache", "cache"))],
    )
    assert container is not None
    container.env.add_variable("LATER", kplus.EnvValue.from_value("yes"))
    workers.add_init_container({"name": "warmup", "image": "warmup:1"})
    workers.add_volume({"name": "scratch", "emptyDir": {}})
    workers.add_env("NCCL_DEBUG", "INFO")
    workers.pod_metadata.add_label("team", "vision")
    workers.scheduling.attract(kplus.Node.labeled(kplus.NodeLabelQuery.is_("gpu", "true")))
    workers.scheduling.tolerate(kplus.Node.tainted(kplus.NodeTaintQuery.is_("gpu", "true")))
    assert chart.servers is not None
    workers.scheduling.separate(chart.servers)
    docs = synth(chart)
    found = pods(docs)
    pod = found["worker"]
    exporter = next(c for c in pod["containers"] if c["name"] == "exporter")
    assert {e["name"]: e["value"] for e in exporter["env"]} == {"MODE": "fast", "LATER": "yes"}
    # cdk8s-plus's own container defaults are not taken for fields left out.
    assert "resources" not in exporter and "imagePullPolicy" not in exporter and "startupProbe" not in exporter
    assert [c["name"] for c in pod["initContainers"]] == ["warmup"]
    assert {"cache", "scratch"} <= {v["name"] for v in pod["volumes"]}
    assert env(pod)["NCCL_DEBUG"] == "INFO"
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [{"key": "gpu", "operator": "In", "values": ["true"]}]}]
    assert pod["tolerations"] == [{"effect": None, "key": "gpu", "operator": "Equal", "value": "true"}] or pod[
        "tolerations"
    ] == [{"key": "gpu", "operator": "Equal", "value": "true"}]
    anti = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti[0]["labelSelector"]["matchLabels"] == chart.servers.selector
    workload = next(d for d in docs if d["kind"] in ("StatefulSet", "Job", "JobSet") and "worker" in str(d))
    labels = (
        workload["spec"]["replicatedJobs"][2]["template"]["spec"]["template"]["metadata"]["labels"]
        if lifecycle == "jobset"
        else workload["spec"]["template"]["metadata"]["labels"]
    )
    assert labels["team"] == "vision"
    for other in ("scheduler", "server"):
        names = [c["name"] for c in found[other]["containers"]]
        assert names == ["mxnet"], other
        assert "affinity" not in found[other] and "initContainers" not in found[other]
        assert "NCCL_DEBUG" not in env(found[other])


def test_methods_refuse_bad_input_naming_the_method_and_field() -> None:
    chart = chart_for()
    workers = chart.workers
    assert workers is not None
    with pytest.raises(ValueError, match=r"WorkerPool.add_container\(\).volume_mounts.*did you mean 'volumeMounts'"):
        workers.add_container({"name": "x", "image": "x:1", "volume_mounts": []})
    with pytest.raises(TypeError, match=r"WorkerPool.add_container\(\):.*imag"):
        workers.add_container(name="x", imag="x:1")
    with pytest.raises(ValueError, match=r"name: 'mxnet' is taken"):
        workers.add_container({"name": "mxnet", "image": "x:1"})
    with pytest.raises(ValueError, match=r"DMLC_NUM_WORKER.*set by the release"):
        workers.add_env("DMLC_NUM_WORKER", "9")
    with pytest.raises(ValueError, match=r"container: no container named 'nope'"):
        workers.add_env("A", "b", container="nope")


def test_jobset_role_handle_patches_land_in_that_replicated_job() -> None:
    chart = chart_for("jobset")
    assert chart.workers is not None and chart.job_set is not None
    assert cdk8s.ApiObject.of(chart.workers) is chart.job_set
    chart.workers.resource.add_json_patch(cdk8s.JsonPatch.add("/spec/template/spec/nodeSelector", {"gpu": "true"}))
    found = pods(synth(chart))
    assert found["worker"]["nodeSelector"] == {"gpu": "true"}
    assert "nodeSelector" not in found["server"] and "nodeSelector" not in found["scheduler"]


def test_connections_write_policies_like_cdk8s_plus() -> None:
    chart = chart_for(namespace="ml")
    assert chart.workers is not None
    store = kplus.Deployment(chart, "store", containers=[kplus.ContainerProps(image="store:1", port_number=6379)])
    chart.workers.connections.allow_to(store)
    chart.workers.connections.isolate()
    policies = [d for d in synth(chart) if d["kind"] == "NetworkPolicy"]
    egress = [
        p
        for p in policies
        if p["spec"].get("egress") and p["spec"]["podSelector"].get("matchLabels") == chart.workers.selector
    ]
    assert any(rule.get("ports") == [{"port": 6379, "protocol": "TCP"}] for p in egress for rule in p["spec"]["egress"])
    deny = [
        p for p in policies if p["spec"].get("policyTypes") == ["Egress", "Ingress"] and not p["spec"].get("egress")
    ]
    assert deny and all(p["metadata"]["namespace"] == "ml" for p in policies)


# ---------------------------------------------------------------------------------------
# cdk8s-plus interop and names


def test_a_kplus_peer_in_another_namespace_gets_a_namespace_selector_and_the_policy_lands_in_ours() -> None:
    app = cdk8s.App()
    chart = MXNetChart(app, "rel", mode="distributed", namespace="ml")
    monitoring = cdk8s.Chart(app, "monitoring", namespace="monitoring")
    dashboard = kplus.Deployment(monitoring, "dashboard", containers=[kplus.ContainerProps(image="dash:1")])
    assert chart.workers is not None
    dashboard.connections.allow_to(chart.workers)
    mine = [d for d in cdk8s.Testing.synth(monitoring) if d["kind"] == "NetworkPolicy"]
    egress = next(d for d in mine if d["spec"].get("egress"))
    peer = egress["spec"]["egress"][0]["to"][0]
    assert peer["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "ml"}}
    assert peer["podSelector"]["matchLabels"] == chart.workers.selector
    ingress = next(d for d in mine if d["spec"].get("ingress"))
    assert ingress["metadata"]["namespace"] == "ml"
    assert ingress["spec"]["podSelector"]["matchLabels"] == chart.workers.selector


def test_users_objects_keep_cdk8s_names_and_a_collision_fails_naming_both_paths() -> None:
    chart = chart_for()
    policy = kplus.NetworkPolicy(chart, "mxnet")
    assert cdk8s.ApiObject.of(policy).name != "rel-mxnet"
    synth(chart)
    clash = chart_for()
    kplus.NetworkPolicy(clash, "np", metadata=cdk8s.ApiObjectMetadata(name="rel-mxnet"))
    with pytest.raises(Exception, match=r"NetworkPolicy 'rel-mxnet' is defined twice.*rel/NetworkPolicy.*rel/np"):
        synth(clash)


def test_k8s_and_kplus_types_are_accepted_for_pod_options() -> None:
    from cdk8s_plus_27 import k8s

    from mxnet_construct import RoleOptions

    chart = chart_for(
        tolerations=[k8s.Toleration(key="gpu", operator="Exists", effect="NoSchedule")],
        affinity=k8s.Affinity(
            node_affinity=k8s.NodeAffinity(
                required_during_scheduling_ignored_during_execution=k8s.NodeSelector(
                    node_selector_terms=[
                        k8s.NodeSelectorTerm(
                            match_expressions=[k8s.NodeSelectorRequirement(key="gpu", operator="Exists")]
                        )
                    ]
                )
            )
        ),
        extra_env=[k8s.EnvVar(name="MODE", value="fast")],
        resources=kplus.ContainerResources(
            cpu=kplus.CpuResources(request=kplus.Cpu.millis(500)),
            memory=kplus.MemoryResources(limit=cdk8s.Size.gibibytes(2)),
        ),
        worker=RoleOptions(resources=k8s.ResourceRequirements(requests={"cpu": k8s.Quantity.from_string("2")})),
    )
    found = pods(synth(chart))
    server, worker = found["server"], found["worker"]
    assert server["tolerations"] == [{"effect": "NoSchedule", "key": "gpu", "operator": "Exists"}]
    assert server["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}]
    }
    assert env(server)["MODE"] == "fast"
    main = next(c for c in server["containers"] if c["name"] == "mxnet")
    assert main["resources"] == {"limits": {"memory": "2Gi"}, "requests": {"cpu": "500m"}}
    worker_main = next(c for c in worker["containers"] if c["name"] == "mxnet")
    assert worker_main["resources"] == {"requests": {"cpu": "2"}}


def test_a_k8s_struct_with_a_typo_is_refused_naming_the_field() -> None:
    from cdk8s_plus_27 import k8s

    with pytest.raises(ValueError, match=r"tolerations\[0\].operator"):
        chart_for(tolerations=[k8s.Toleration(key="gpu", operator="Sometimes")])


def test_name_taking_options_check_the_kind() -> None:
    app = cdk8s.App()
    other = cdk8s.Chart(app, "other")
    deployment = kplus.Deployment(other, "web", containers=[kplus.ContainerProps(image="web:1")])
    with pytest.raises(
        TypeError, match=r"existing_secret: expected a Secret name or a Secret object.*not a Deployment named"
    ):
        chart_for(existing_secret=deployment)
    first = chart_for()
    with pytest.raises(TypeError, match=r"existing_secret: expected a Secret name.*not WorkerPool"):
        chart_for(existing_secret=first.workers)
    chart = chart_for(existing_secret=kplus.Secret.from_secret_name(other, "creds", "creds"))
    assert chart.options.existing_secret == "creds"
