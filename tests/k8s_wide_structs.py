"""Wide ``cdk8s_plus_27.k8s`` structs: nearly every pod field set, for conversion tests.

``tests/test_typed_parts.py`` converts these with ``_pod_parts.from_struct`` and compares
the result with the JSON cdk8s writes for the same structs.
"""

from __future__ import annotations

from cdk8s_plus_27 import k8s


def wide_container(name: str) -> k8s.Container:
    """A container with nearly every field set, nested structs, Quantity and IntOrString."""
    return k8s.Container(
        name=name,
        image="busybox:1.36",
        image_pull_policy="IfNotPresent",
        args=["-c", "sleep 1"],
        command=["sh"],
        working_dir="/work",
        stdin=True,
        stdin_once=False,
        tty=True,
        termination_message_path="/dev/termination-log",
        termination_message_policy="FallbackToLogsOnError",
        env=[
            k8s.EnvVar(name="A", value="1"),
            k8s.EnvVar(
                name="POD",
                value_from=k8s.EnvVarSource(field_ref=k8s.ObjectFieldSelector(field_path="metadata.name")),
            ),
            k8s.EnvVar(
                name="CPU",
                value_from=k8s.EnvVarSource(
                    resource_field_ref=k8s.ResourceFieldSelector(
                        resource="limits.cpu", container_name=name, divisor=k8s.Quantity.from_string("1m")
                    )
                ),
            ),
            k8s.EnvVar(
                name="S",
                value_from=k8s.EnvVarSource(secret_key_ref=k8s.SecretKeySelector(key="k", name="s", optional=True)),
            ),
            k8s.EnvVar(name="C", value_from=k8s.EnvVarSource(config_map_key_ref=k8s.ConfigMapKeySelector(key="k"))),
            # A dict in the JSON spelling inside a struct: cdk8s passes it through as is.
            {"name": "D", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        ],
        env_from=[
            k8s.EnvFromSource(prefix="P_", config_map_ref=k8s.ConfigMapEnvSource(name="c", optional=True)),
            k8s.EnvFromSource(secret_ref=k8s.SecretEnvSource(name="s")),
        ],
        ports=[k8s.ContainerPort(container_port=8080, name="http", protocol="TCP", host_port=18080, host_ip="1.2.3.4")],
        resources=k8s.ResourceRequirements(
            limits={"cpu": k8s.Quantity.from_string("500m"), "memory": k8s.Quantity.from_number(1024)},
            requests={"nvidia.com/gpu": k8s.Quantity.from_number(1)},
            claims=[k8s.ResourceClaim(name="gpu")],
        ),
        resize_policy=[k8s.ContainerResizePolicy(resource_name="cpu", restart_policy="NotRequired")],
        security_context=k8s.SecurityContext(
            allow_privilege_escalation=False,
            capabilities=k8s.Capabilities(add=["NET_BIND_SERVICE"], drop=["ALL"]),
            privileged=False,
            proc_mount="Default",
            read_only_root_filesystem=True,
            run_as_group=1000,
            run_as_non_root=True,
            run_as_user=1001,
            se_linux_options=k8s.SeLinuxOptions(level="s0", role="r", type="t", user="u"),
            seccomp_profile=k8s.SeccompProfile(type="Localhost", localhost_profile="p.json"),
            windows_options=k8s.WindowsSecurityContextOptions(
                gmsa_credential_spec="spec", gmsa_credential_spec_name="g", host_process=False, run_as_user_name="u"
            ),
        ),
        liveness_probe=k8s.Probe(
            http_get=k8s.HttpGetAction(
                port=k8s.IntOrString.from_string("http"),
                path="/healthz",
                scheme="HTTP",
                host="localhost",
                http_headers=[k8s.HttpHeader(name="X-Probe", value="1")],
            ),
            initial_delay_seconds=5,
            period_seconds=10,
            timeout_seconds=2,
            success_threshold=1,
            failure_threshold=3,
            termination_grace_period_seconds=30,
        ),
        readiness_probe=k8s.Probe(tcp_socket=k8s.TcpSocketAction(port=k8s.IntOrString.from_number(8080), host="h")),
        startup_probe=k8s.Probe(grpc=k8s.GrpcAction(port=9000, service="health")),
        lifecycle=k8s.Lifecycle(
            post_start=k8s.LifecycleHandler(exec=k8s.ExecAction(command=["echo", "up"])),
            pre_stop=k8s.LifecycleHandler(http_get=k8s.HttpGetAction(port=k8s.IntOrString.from_number(80))),
        ),
        volume_mounts=[
            k8s.VolumeMount(
                name="data",
                mount_path="/data",
                read_only=True,
                sub_path="x",
                mount_propagation="None",
            ),
            k8s.VolumeMount(name="data", mount_path="/pod", sub_path_expr="$(POD)"),
        ],
        volume_devices=[k8s.VolumeDevice(name="raw", device_path="/dev/xvda")],
    )


def wide_volumes() -> list[k8s.Volume]:
    selector = k8s.LabelSelector(
        match_labels={"app": "x"},
        match_expressions=[k8s.LabelSelectorRequirement(key="tier", operator="In", values=["a", "b"])],
    )
    items = [k8s.KeyToPath(key="k", path="p", mode=0o400)]
    return [
        k8s.Volume(
            name="empty",
            empty_dir=k8s.EmptyDirVolumeSource(medium="Memory", size_limit=k8s.Quantity.from_string("1Gi")),
        ),
        k8s.Volume(
            name="cm", config_map=k8s.ConfigMapVolumeSource(name="c", items=items, default_mode=0o644, optional=True)
        ),
        k8s.Volume(name="sec", secret=k8s.SecretVolumeSource(secret_name="s", items=items, default_mode=0o600)),
        k8s.Volume(
            name="pvc", persistent_volume_claim=k8s.PersistentVolumeClaimVolumeSource(claim_name="d", read_only=True)
        ),
        k8s.Volume(name="host", host_path=k8s.HostPathVolumeSource(path="/var/log", type="Directory")),
        k8s.Volume(name="nfs", nfs=k8s.NfsVolumeSource(server="nfs.local", path="/exports", read_only=True)),
        k8s.Volume(
            name="csi",
            csi=k8s.CsiVolumeSource(
                driver="csi.example.com",
                fs_type="ext4",
                volume_attributes={"a": "b"},
                node_publish_secret_ref=k8s.LocalObjectReference(name="s"),
            ),
        ),
        k8s.Volume(
            name="down",
            downward_api=k8s.DownwardApiVolumeSource(
                items=[
                    k8s.DownwardApiVolumeFile(
                        path="labels", field_ref=k8s.ObjectFieldSelector(field_path="metadata.labels")
                    ),
                    k8s.DownwardApiVolumeFile(
                        path="cpu",
                        resource_field_ref=k8s.ResourceFieldSelector(
                            resource="limits.cpu", divisor=k8s.Quantity.from_number(1)
                        ),
                    ),
                ]
            ),
        ),
        k8s.Volume(
            name="proj",
            projected=k8s.ProjectedVolumeSource(
                default_mode=0o444,
                sources=[
                    k8s.VolumeProjection(
                        service_account_token=k8s.ServiceAccountTokenProjection(
                            path="t", audience="a", expiration_seconds=3600
                        )
                    ),
                    k8s.VolumeProjection(config_map=k8s.ConfigMapProjection(name="c", items=items)),
                    k8s.VolumeProjection(secret=k8s.SecretProjection(name="s")),
                    k8s.VolumeProjection(
                        downward_api=k8s.DownwardApiProjection(
                            items=[
                                k8s.DownwardApiVolumeFile(
                                    path="n", field_ref=k8s.ObjectFieldSelector(field_path="metadata.name")
                                )
                            ]
                        )
                    ),
                ],
            ),
        ),
        k8s.Volume(
            name="scratch",
            ephemeral=k8s.EphemeralVolumeSource(
                volume_claim_template=k8s.PersistentVolumeClaimTemplate(
                    metadata=k8s.ObjectMeta(labels={"app": "x"}, annotations={"a": "b"}),
                    spec=k8s.PersistentVolumeClaimSpec(
                        access_modes=["ReadWriteOnce"],
                        storage_class_name="fast",
                        volume_mode="Filesystem",
                        resources=k8s.ResourceRequirements(requests={"storage": k8s.Quantity.from_string("10Gi")}),
                        selector=selector,
                        data_source=k8s.TypedLocalObjectReference(
                            kind="VolumeSnapshot", name="snap", api_group="snapshot.storage.k8s.io"
                        ),
                        data_source_ref=k8s.TypedObjectReference(kind="VolumeSnapshot", name="snap", namespace="ns"),
                    ),
                )
            ),
        ),
    ]


def wide_pod_spec() -> k8s.PodSpec:
    selector = k8s.LabelSelector(match_labels={"app": "x"})
    return k8s.PodSpec(
        containers=[wide_container("main"), k8s.Container(name="plain")],
        init_containers=[wide_container("init")],
        ephemeral_containers=[k8s.EphemeralContainer(name="debug", image="busybox", target_container_name="main")],
        volumes=wide_volumes(),
        affinity=k8s.Affinity(
            node_affinity=k8s.NodeAffinity(
                required_during_scheduling_ignored_during_execution=k8s.NodeSelector(
                    node_selector_terms=[
                        k8s.NodeSelectorTerm(
                            match_expressions=[k8s.NodeSelectorRequirement(key="gpu", operator="Exists")],
                            match_fields=[
                                k8s.NodeSelectorRequirement(key="metadata.name", operator="In", values=["n1"])
                            ],
                        )
                    ]
                ),
                preferred_during_scheduling_ignored_during_execution=[
                    k8s.PreferredSchedulingTerm(
                        weight=10,
                        preference=k8s.NodeSelectorTerm(
                            match_expressions=[k8s.NodeSelectorRequirement(key="z", operator="In", values=["a"])]
                        ),
                    )
                ],
            ),
            pod_affinity=k8s.PodAffinity(
                required_during_scheduling_ignored_during_execution=[
                    k8s.PodAffinityTerm(
                        topology_key="kubernetes.io/hostname", label_selector=selector, namespaces=["ns"]
                    )
                ]
            ),
            pod_anti_affinity=k8s.PodAntiAffinity(
                preferred_during_scheduling_ignored_during_execution=[
                    k8s.WeightedPodAffinityTerm(
                        weight=50,
                        pod_affinity_term=k8s.PodAffinityTerm(
                            topology_key="zone", label_selector=selector, namespace_selector=k8s.LabelSelector()
                        ),
                    )
                ]
            ),
        ),
        tolerations=[
            k8s.Toleration(key="gpu", operator="Exists", effect="NoExecute", toleration_seconds=60),
            k8s.Toleration(value="v"),
        ],
        topology_spread_constraints=[
            k8s.TopologySpreadConstraint(
                max_skew=1,
                topology_key="zone",
                when_unsatisfiable="DoNotSchedule",
                label_selector=selector,
                match_label_keys=["pod-template-hash"],
                min_domains=2,
                node_affinity_policy="Honor",
                node_taints_policy="Ignore",
            )
        ],
        security_context=k8s.PodSecurityContext(
            fs_group=1001,
            fs_group_change_policy="OnRootMismatch",
            run_as_user=1001,
            run_as_group=1001,
            run_as_non_root=True,
            supplemental_groups=[5, 6],
            sysctls=[k8s.Sysctl(name="net.core.somaxconn", value="1024")],
            seccomp_profile=k8s.SeccompProfile(type="RuntimeDefault"),
        ),
        dns_config=k8s.PodDnsConfig(
            nameservers=["1.1.1.1"], searches=["svc"], options=[k8s.PodDnsConfigOption(name="ndots", value="2")]
        ),
        host_aliases=[k8s.HostAlias(ip="10.0.0.1", hostnames=["a", "b"])],
        image_pull_secrets=[k8s.LocalObjectReference(name="regcred")],
        node_selector={"pool": "gpu"},
        os=k8s.PodOs(name="linux"),
        overhead={"cpu": k8s.Quantity.from_string("100m")},
        readiness_gates=[k8s.PodReadinessGate(condition_type="example.com/ready")],
        resource_claims=[k8s.PodResourceClaim(name="gpu", source=k8s.ClaimSource(resource_claim_name="gpu-claim"))],
        scheduling_gates=[k8s.PodSchedulingGate(name="wait")],
        active_deadline_seconds=3600,
        automount_service_account_token=False,
        dns_policy="ClusterFirstWithHostNet",
        enable_service_links=False,
        host_ipc=False,
        host_network=True,
        host_pid=False,
        host_users=True,
        hostname="h",
        node_name="n1",
        preemption_policy="Never",
        priority=100,
        priority_class_name="high",
        restart_policy="Never",
        runtime_class_name="nvidia",
        scheduler_name="volcano",
        service_account_name="sa",
        service_account="sa",
        set_hostname_as_fqdn=False,
        share_process_namespace=True,
        subdomain="headless",
        termination_grace_period_seconds=30,
    )
