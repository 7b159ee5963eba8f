from __future__ import annotations

from pkgutil import extend_path
__path__ = extend_path(__path__, __name__)

import abc
import builtins
import datetime
import enum
import typing

import jsii
import publication
import typing_extensions

from jsii._type_checking import cached_type_hints, check_type


from ._jsii import *

class _LazyImport:
    def __init__(self, module_name: str) -> None:
        self._module_name = module_name
        self._module: typing.Any = None
    def __getattr__(self, name: str) -> typing.Any:
        if self._module is None:
            import importlib
            self._module = importlib.import_module(self._module_name)
        return getattr(self._module, name)

if typing.TYPE_CHECKING:

    import cdk8s as _cdk8s_d3d9af27
    import constructs as _constructs_77d1e7e8
else:

    _cdk8s_d3d9af27 = _LazyImport("cdk8s")
    _constructs_77d1e7e8 = _LazyImport("constructs")


class PodGroup(
    _cdk8s_d3d9af27.ApiObject,
    metaclass=jsii.JSIIMeta,
    jsii_type="mxc_volcano_shvolcanoscheduling.PodGroup",
):
    '''PodGroup is a collection of Pod;

    used for batch workload.

    :schema: PodGroup
    '''

    def __init__(
        self,
        scope: "_constructs_77d1e7e8.Construct",
        id: builtins.str,
        *,
        metadata: typing.Optional[typing.Union["_cdk8s_d3d9af27.ApiObjectMetadata", typing.Dict[builtins.str, typing.Any]]] = None,
        spec: typing.Optional[typing.Union["PodGroupSpec", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''Defines a "PodGroup" API object.

        :param scope: the scope in which to define this object.
        :param id: a scope-local name for the object.
        :param metadata: 
        :param spec: Specification of the desired behavior of the pod group. More info: https://git.k8s.io/community/contributors/devel/api-conventions.md#spec-and-status
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__48339aad4868ee7ab6fa6d09924cf8f9e3771fd021cb5ef68466a98343cb396b)
            check_type(argname="argument scope", value=scope, expected_type=type_hints["scope"])
            check_type(argname="argument id", value=id, expected_type=type_hints["id"])
        props = PodGroupProps(metadata=metadata, spec=spec)

        jsii.create(self.__class__, self, [scope, id, props])

    @jsii.member(jsii_name="manifest")
    @builtins.classmethod
    def manifest(
        cls,
        *,
        metadata: typing.Optional[typing.Union["_cdk8s_d3d9af27.ApiObjectMetadata", typing.Dict[builtins.str, typing.Any]]] = None,
        spec: typing.Optional[typing.Union["PodGroupSpec", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> typing.Any:
        '''Renders a Kubernetes manifest for "PodGroup".

        This can be used to inline resource manifests inside other objects (e.g. as templates).

        :param metadata: 
        :param spec: Specification of the desired behavior of the pod group. More info: https://git.k8s.io/community/contributors/devel/api-conventions.md#spec-and-status
        '''
        props = PodGroupProps(metadata=metadata, spec=spec)

        return typing.cast(typing.Any, jsii.sinvoke(cls, "manifest", [props]))

    @jsii.member(jsii_name="toJson")
    def to_json(self) -> typing.Any:
        '''Renders the object to Kubernetes JSON.'''
        return typing.cast(typing.Any, jsii.invoke(self, "toJson", []))

    @jsii.python.classproperty
    @jsii.member(jsii_name="GVK")
    def GVK(cls) -> "_cdk8s_d3d9af27.GroupVersionKind":
        '''Returns the apiVersion and kind for "PodGroup".'''
        return typing.cast("_cdk8s_d3d9af27.GroupVersionKind", jsii.sget(cls, "GVK"))


@jsii.data_type(
    jsii_type="mxc_volcano_shvolcanoscheduling.PodGroupProps",
    jsii_struct_bases=[],
    name_mapping={"metadata": "metadata", "spec": "spec"},
)
class PodGroupProps:
    def __init__(
        self,
        *,
        metadata: typing.Optional[typing.Union["_cdk8s_d3d9af27.ApiObjectMetadata", typing.Dict[builtins.str, typing.Any]]] = None,
        spec: typing.Optional[typing.Union["PodGroupSpec", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''PodGroup is a collection of Pod;

        used for batch workload.

        :param metadata: 
        :param spec: Specification of the desired behavior of the pod group. More info: https://git.k8s.io/community/contributors/devel/api-conventions.md#spec-and-status

        :schema: PodGroup
        '''
        if isinstance(metadata, dict):
            metadata = _cdk8s_d3d9af27.ApiObjectMetadata(**metadata)
        if isinstance(spec, dict):
            spec = PodGroupSpec(**spec)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__19c9c19bbdba67c92917c949f20cb24f7d1bc2756cb5c64423a0b158042e3c89)
            check_type(argname="argument metadata", value=metadata, expected_type=type_hints["metadata"])
            check_type(argname="argument spec", value=spec, expected_type=type_hints["spec"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if metadata is not None:
            self._values["metadata"] = metadata
        if spec is not None:
            self._values["spec"] = spec

    @builtins.property
    def metadata(self) -> typing.Optional["_cdk8s_d3d9af27.ApiObjectMetadata"]:
        '''
        :schema: PodGroup#metadata
        '''
        result = self._values.get("metadata")
        return typing.cast(typing.Optional["_cdk8s_d3d9af27.ApiObjectMetadata"], result)

    @builtins.property
    def spec(self) -> typing.Optional["PodGroupSpec"]:
        '''Specification of the desired behavior of the pod group.

        More info: https://git.k8s.io/community/contributors/devel/api-conventions.md#spec-and-status

        :schema: PodGroup#spec
        '''
        result = self._values.get("spec")
        return typing.cast(typing.Optional["PodGroupSpec"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "PodGroupProps(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="mxc_volcano_shvolcanoscheduling.PodGroupSpec",
    jsii_struct_bases=[],
    name_mapping={
        "min_member": "minMember",
        "min_resources": "minResources",
        "min_task_member": "minTaskMember",
        "network_topology": "networkTopology",
        "preemptable": "preemptable",
        "priority_class_name": "priorityClassName",
        "queue": "queue",
    },
)
class PodGroupSpec:
    def __init__(
        self,
        *,
        min_member: typing.Optional[jsii.Number] = None,
        min_resources: typing.Optional[typing.Mapping[builtins.str, "PodGroupSpecMinResources"]] = None,
        min_task_member: typing.Optional[typing.Mapping[builtins.str, jsii.Number]] = None,
        network_topology: typing.Optional[typing.Union["PodGroupSpecNetworkTopology", typing.Dict[builtins.str, typing.Any]]] = None,
        preemptable: typing.Optional[builtins.bool] = None,
        priority_class_name: typing.Optional[builtins.str] = None,
        queue: typing.Optional[builtins.str] = None,
    ) -> None:
        '''Specification of the desired behavior of the pod group.

        More info: https://git.k8s.io/community/contributors/devel/api-conventions.md#spec-and-status

        :param min_member: MinMember defines the minimal number of members/tasks to run the pod group; if there's not enough resources to start all tasks, the scheduler will not start anyone.
        :param min_resources: MinResources defines the minimal resource of members/tasks to run the pod group; if there's not enough resources to start all tasks, the scheduler will not start anyone.
        :param min_task_member: MinTaskMember defines the minimal number of pods to run each task in the pod group; if there's not enough resources to start each task, the scheduler will not start anyone.
        :param network_topology: NetworkTopology defines the NetworkTopology config, this field works in conjunction with network topology feature and hyperNode CRD.
        :param preemptable: Preemptable indicates whether the PodGroup is preemptable. If false, none of its Pods can be preemptable.
        :param priority_class_name: If specified, indicates the PodGroup's priority. "system-node-critical" and "system-cluster-critical" are two special keywords which indicate the highest priorities with the former being the highest priority. Any other name must be defined by creating a PriorityClass object with that name. If not specified, the PodGroup priority will be default or zero if there is no default.
        :param queue: Queue defines the queue to allocate resource for PodGroup; if queue does not exist, the PodGroup will not be scheduled. Defaults to ``default`` Queue with the lowest weight. Default: default` Queue with the lowest weight.

        :schema: PodGroupSpec
        '''
        if isinstance(network_topology, dict):
            network_topology = PodGroupSpecNetworkTopology(**network_topology)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__35135080add3f3fb5bf2c77f8b0d314c84870de389ae048eb5ab8eebe0b109e9)
            check_type(argname="argument min_member", value=min_member, expected_type=type_hints["min_member"])
            check_type(argname="argument min_resources", value=min_resources, expected_type=type_hints["min_resources"])
            check_type(argname="argument min_task_member", value=min_task_member, expected_type=type_hints["min_task_member"])
            check_type(argname="argument network_topology", value=network_topology, expected_type=type_hints["network_topology"])
            check_type(argname="argument preemptable", value=preemptable, expected_type=type_hints["preemptable"])
            check_type(argname="argument priority_class_name", value=priority_class_name, expected_type=type_hints["priority_class_name"])
            check_type(argname="argument queue", value=queue, expected_type=type_hints["queue"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if min_member is not None:
            self._values["min_member"] = min_member
        if min_resources is not None:
            self._values["min_resources"] = min_resources
        if min_task_member is not None:
            self._values["min_task_member"] = min_task_member
        if network_topology is not None:
            self._values["network_topology"] = network_topology
        if preemptable is not None:
            self._values["preemptable"] = preemptable
        if priority_class_name is not None:
            self._values["priority_class_name"] = priority_class_name
        if queue is not None:
            self._values["queue"] = queue

    @builtins.property
    def min_member(self) -> typing.Optional[jsii.Number]:
        '''MinMember defines the minimal number of members/tasks to run the pod group;

        if there's not enough resources to start all tasks, the scheduler
        will not start anyone.

        :schema: PodGroupSpec#minMember
        '''
        result = self._values.get("min_member")
        return typing.cast(typing.Optional[jsii.Number], result)

    @builtins.property
    def min_resources(
        self,
    ) -> typing.Optional[typing.Mapping[builtins.str, "PodGroupSpecMinResources"]]:
        '''MinResources defines the minimal resource of members/tasks to run the pod group;

        if there's not enough resources to start all tasks, the scheduler
        will not start anyone.

        :schema: PodGroupSpec#minResources
        '''
        result = self._values.get("min_resources")
        return typing.cast(typing.Optional[typing.Mapping[builtins.str, "PodGroupSpecMinResources"]], result)

    @builtins.property
    def min_task_member(
        self,
    ) -> typing.Optional[typing.Mapping[builtins.str, jsii.Number]]:
        '''MinTaskMember defines the minimal number of pods to run each task in the pod group;

        if there's not enough resources to start each task, the scheduler
        will not start anyone.

        :schema: PodGroupSpec#minTaskMember
        '''
        result = self._values.get("min_task_member")
        return typing.cast(typing.Optional[typing.Mapping[builtins.str, jsii.Number]], result)

    @builtins.property
    def network_topology(self) -> typing.Optional["PodGroupSpecNetworkTopology"]:
        '''NetworkTopology defines the NetworkTopology config, this field works in conjunction with network topology feature and hyperNode CRD.

        :schema: PodGroupSpec#networkTopology
        '''
        result = self._values.get("network_topology")
        return typing.cast(typing.Optional["PodGroupSpecNetworkTopology"], result)

    @builtins.property
    def preemptable(self) -> typing.Optional[builtins.bool]:
        '''Preemptable indicates whether the PodGroup is preemptable.

        If false, none of its Pods can be preemptable.

        :schema: PodGroupSpec#preemptable
        '''
        result = self._values.get("preemptable")
        return typing.cast(typing.Optional[builtins.bool], result)

    @builtins.property
    def priority_class_name(self) -> typing.Optional[builtins.str]:
        '''If specified, indicates the PodGroup's priority.

        "system-node-critical" and
        "system-cluster-critical" are two special keywords which indicate the
        highest priorities with the former being the highest priority. Any other
        name must be defined by creating a PriorityClass object with that name.
        If not specified, the PodGroup priority will be default or zero if there is no
        default.

        :schema: PodGroupSpec#priorityClassName
        '''
        result = self._values.get("priority_class_name")
        return typing.cast(typing.Optional[builtins.str], result)

    @builtins.property
    def queue(self) -> typing.Optional[builtins.str]:
        '''Queue defines the queue to allocate resource for PodGroup;

        if queue does not exist,
        the PodGroup will not be scheduled. Defaults to ``default`` Queue with the lowest weight.

        :default: default` Queue with the lowest weight.

        :schema: PodGroupSpec#queue
        '''
        result = self._values.get("queue")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "PodGroupSpec(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


class PodGroupSpecMinResources(
    metaclass=jsii.JSIIMeta,
    jsii_type="mxc_volcano_shvolcanoscheduling.PodGroupSpecMinResources",
):
    '''
    :schema: PodGroupSpecMinResources
    '''

    @jsii.member(jsii_name="fromNumber")
    @builtins.classmethod
    def from_number(cls, value: jsii.Number) -> "PodGroupSpecMinResources":
        '''
        :param value: -
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__8cd556a6a67702225b4c5955d6baeed696332a30e1cdb88851db6521b2cc0d47)
            check_type(argname="argument value", value=value, expected_type=type_hints["value"])
        return typing.cast("PodGroupSpecMinResources", jsii.sinvoke(cls, "fromNumber", [value]))

    @jsii.member(jsii_name="fromString")
    @builtins.classmethod
    def from_string(cls, value: builtins.str) -> "PodGroupSpecMinResources":
        '''
        :param value: -
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__dce495d3e896d6a2477dd958f588c438f1cd21cce51b4171219d6a7db91f7133)
            check_type(argname="argument value", value=value, expected_type=type_hints["value"])
        return typing.cast("PodGroupSpecMinResources", jsii.sinvoke(cls, "fromString", [value]))

    @builtins.property
    @jsii.member(jsii_name="value")
    def value(self) -> typing.Union[builtins.str, jsii.Number]:
        return typing.cast(typing.Union[builtins.str, jsii.Number], jsii.get(self, "value"))


@jsii.data_type(
    jsii_type="mxc_volcano_shvolcanoscheduling.PodGroupSpecNetworkTopology",
    jsii_struct_bases=[],
    name_mapping={"highest_tier_allowed": "highestTierAllowed", "mode": "mode"},
)
class PodGroupSpecNetworkTopology:
    def __init__(
        self,
        *,
        highest_tier_allowed: typing.Optional[jsii.Number] = None,
        mode: typing.Optional["PodGroupSpecNetworkTopologyMode"] = None,
    ) -> None:
        '''NetworkTopology defines the NetworkTopology config, this field works in conjunction with network topology feature and hyperNode CRD.

        :param highest_tier_allowed: HighestTierAllowed specifies the highest tier that a job allowed to cross when scheduling.
        :param mode: Mode specifies the mode of the network topology constrain.

        :schema: PodGroupSpecNetworkTopology
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__4489582f681ae527e65ead070cc990d7459e25fa9602c00120a3d84a8ee49781)
            check_type(argname="argument highest_tier_allowed", value=highest_tier_allowed, expected_type=type_hints["highest_tier_allowed"])
            check_type(argname="argument mode", value=mode, expected_type=type_hints["mode"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if highest_tier_allowed is not None:
            self._values["highest_tier_allowed"] = highest_tier_allowed
        if mode is not None:
            self._values["mode"] = mode

    @builtins.property
    def highest_tier_allowed(self) -> typing.Optional[jsii.Number]:
        '''HighestTierAllowed specifies the highest tier that a job allowed to cross when scheduling.

        :schema: PodGroupSpecNetworkTopology#highestTierAllowed
        '''
        result = self._values.get("highest_tier_allowed")
        return typing.cast(typing.Optional[jsii.Number], result)

    @builtins.property
    def mode(self) -> typing.Optional["PodGroupSpecNetworkTopologyMode"]:
        '''Mode specifies the mode of the network topology constrain.

        :schema: PodGroupSpecNetworkTopology#mode
        '''
        result = self._values.get("mode")
        return typing.cast(typing.Optional["PodGroupSpecNetworkTopologyMode"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "PodGroupSpecNetworkTopology(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(jsii_type="mxc_volcano_shvolcanoscheduling.PodGroupSpecNetworkTopologyMode")
class PodGroupSpecNetworkTopologyMode(enum.Enum):
    '''Mode specifies the mode of the network topology constrain.

    :schema: PodGroupSpecNetworkTopologyMode
    '''

    HARD = "HARD"
    '''hard.'''
    SOFT = "SOFT"
    '''soft.'''


__all__ = [
    "PodGroup",
    "PodGroupProps",
    "PodGroupSpec",
    "PodGroupSpecMinResources",
    "PodGroupSpecNetworkTopology",
    "PodGroupSpecNetworkTopologyMode",
]

publication.publish()

def _typecheckingstub__48339aad4868ee7ab6fa6d09924cf8f9e3771fd021cb5ef68466a98343cb396b(
    scope: _constructs_77d1e7e8.Construct,
    id: builtins.str,
    *,
    metadata: typing.Optional[typing.Union[_cdk8s_d3d9af27.ApiObjectMetadata, typing.Dict[builtins.str, typing.Any]]] = None,
    spec: typing.Optional[typing.Union[PodGroupSpec, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__19c9c19bbdba67c92917c949f20cb24f7d1bc2756cb5c64423a0b158042e3c89(
    *,
    metadata: typing.Optional[typing.Union[_cdk8s_d3d9af27.ApiObjectMetadata, typing.Dict[builtins.str, typing.Any]]] = None,
    spec: typing.Optional[typing.Union[PodGroupSpec, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__35135080add3f3fb5bf2c77f8b0d314c84870de389ae048eb5ab8eebe0b109e9(
    *,
    min_member: typing.Optional[jsii.Number] = None,
    min_resources: typing.Optional[typing.Mapping[builtins.str, PodGroupSpecMinResources]] = None,
    min_task_member: typing.Optional[typing.Mapping[builtins.str, jsii.Number]] = None,
    network_topology: typing.Optional[typing.Union[PodGroupSpecNetworkTopology, typing.Dict[builtins.str, typing.Any]]] = None,
    preemptable: typing.Optional[builtins.bool] = None,
    priority_class_name: typing.Optional[builtins.str] = None,
    queue: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__8cd556a6a67702225b4c5955d6baeed696332a30e1cdb88851db6521b2cc0d47(
    value: jsii.Number,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__dce495d3e896d6a2477dd958f588c438f1cd21cce51b4171219d6a7db91f7133(
    value: builtins.str,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__4489582f681ae527e65ead070cc990d7459e25fa9602c00120a3d84a8ee49781(
    *,
    highest_tier_allowed: typing.Optional[jsii.Number] = None,
    mode: typing.Optional[PodGroupSpecNetworkTopologyMode] = None,
) -> None:
    """Type checking stubs"""
    pass
