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
    jsii_type="iox-k8sscheduling.PodGroup",
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
        :param spec: Specification of the desired behavior of the pod group.
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__d7c693936fec3d3bca250711d48c1ee6e66e2b1069d2c3d008e42fd816378592)
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
        :param spec: Specification of the desired behavior of the pod group.
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
    jsii_type="iox-k8sscheduling.PodGroupProps",
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
        :param spec: Specification of the desired behavior of the pod group.

        :schema: PodGroup
        '''
        if isinstance(metadata, dict):
            metadata = _cdk8s_d3d9af27.ApiObjectMetadata(**metadata)
        if isinstance(spec, dict):
            spec = PodGroupSpec(**spec)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__f1ce0efbf745753933bc9dba8cc3a9a95108c6e9a0003290ee0ba77e7e7b6337)
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
    jsii_type="iox-k8sscheduling.PodGroupSpec",
    jsii_struct_bases=[],
    name_mapping={
        "min_member": "minMember",
        "min_resources": "minResources",
        "schedule_timeout_seconds": "scheduleTimeoutSeconds",
    },
)
class PodGroupSpec:
    def __init__(
        self,
        *,
        min_member: typing.Optional[jsii.Number] = None,
        min_resources: typing.Optional[typing.Mapping[builtins.str, "PodGroupSpecMinResources"]] = None,
        schedule_timeout_seconds: typing.Optional[jsii.Number] = None,
    ) -> None:
        '''Specification of the desired behavior of the pod group.

        :param min_member: MinMember defines the minimal number of members/tasks to run the pod group; if there's not enough resources to start all tasks, the scheduler will not start anyone.
        :param min_resources: MinResources defines the minimal resource of members/tasks to run the pod group; if there's not enough resources to start all tasks, the scheduler will not start anyone.
        :param schedule_timeout_seconds: ScheduleTimeoutSeconds defines the maximal time of members/tasks to wait before run the pod group;

        :schema: PodGroupSpec
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__1243ccd1740f98bc4bb0b981aef6dc88da5c9bb22a40c606f41719883b3b4555)
            check_type(argname="argument min_member", value=min_member, expected_type=type_hints["min_member"])
            check_type(argname="argument min_resources", value=min_resources, expected_type=type_hints["min_resources"])
            check_type(argname="argument schedule_timeout_seconds", value=schedule_timeout_seconds, expected_type=type_hints["schedule_timeout_seconds"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if min_member is not None:
            self._values["min_member"] = min_member
        if min_resources is not None:
            self._values["min_resources"] = min_resources
        if schedule_timeout_seconds is not None:
            self._values["schedule_timeout_seconds"] = schedule_timeout_seconds

    @builtins.property
    def min_member(self) -> typing.Optional[jsii.Number]:
        '''MinMember defines the minimal number of members/tasks to run the pod group;

        if there's not enough resources to start all tasks, the scheduler will not start anyone.

        :schema: PodGroupSpec#minMember
        '''
        result = self._values.get("min_member")
        return typing.cast(typing.Optional[jsii.Number], result)

    @builtins.property
    def min_resources(
        self,
    ) -> typing.Optional[typing.Mapping[builtins.str, "PodGroupSpecMinResources"]]:
        '''MinResources defines the minimal resource of members/tasks to run the pod group;

        if there's not enough resources to start all tasks, the scheduler will not start anyone.

        :schema: PodGroupSpec#minResources
        '''
        result = self._values.get("min_resources")
        return typing.cast(typing.Optional[typing.Mapping[builtins.str, "PodGroupSpecMinResources"]], result)

    @builtins.property
    def schedule_timeout_seconds(self) -> typing.Optional[jsii.Number]:
        '''ScheduleTimeoutSeconds defines the maximal time of members/tasks to wait before run the pod group;

        :schema: PodGroupSpec#scheduleTimeoutSeconds
        '''
        result = self._values.get("schedule_timeout_seconds")
        return typing.cast(typing.Optional[jsii.Number], result)

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
    jsii_type="iox-k8sscheduling.PodGroupSpecMinResources",
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
            type_hints = cached_type_hints(_typecheckingstub__12a0e18fb6e40acf90346f8cb55683812347dffeaa750e4790dd9f48e5d8af94)
            check_type(argname="argument value", value=value, expected_type=type_hints["value"])
        return typing.cast("PodGroupSpecMinResources", jsii.sinvoke(cls, "fromNumber", [value]))

    @jsii.member(jsii_name="fromString")
    @builtins.classmethod
    def from_string(cls, value: builtins.str) -> "PodGroupSpecMinResources":
        '''
        :param value: -
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__2181c1398df349671b09a4f4f7ce134793732f14b746aea890f03de2d007b404)
            check_type(argname="argument value", value=value, expected_type=type_hints["value"])
        return typing.cast("PodGroupSpecMinResources", jsii.sinvoke(cls, "fromString", [value]))

    @builtins.property
    @jsii.member(jsii_name="value")
    def value(self) -> typing.Union[builtins.str, jsii.Number]:
        return typing.cast(typing.Union[builtins.str, jsii.Number], jsii.get(self, "value"))


__all__ = [
    "PodGroup",
    "PodGroupProps",
    "PodGroupSpec",
    "PodGroupSpecMinResources",
]

publication.publish()

def _typecheckingstub__d7c693936fec3d3bca250711d48c1ee6e66e2b1069d2c3d008e42fd816378592(
    scope: _constructs_77d1e7e8.Construct,
    id: builtins.str,
    *,
    metadata: typing.Optional[typing.Union[_cdk8s_d3d9af27.ApiObjectMetadata, typing.Dict[builtins.str, typing.Any]]] = None,
    spec: typing.Optional[typing.Union[PodGroupSpec, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__f1ce0efbf745753933bc9dba8cc3a9a95108c6e9a0003290ee0ba77e7e7b6337(
    *,
    metadata: typing.Optional[typing.Union[_cdk8s_d3d9af27.ApiObjectMetadata, typing.Dict[builtins.str, typing.Any]]] = None,
    spec: typing.Optional[typing.Union[PodGroupSpec, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__1243ccd1740f98bc4bb0b981aef6dc88da5c9bb22a40c606f41719883b3b4555(
    *,
    min_member: typing.Optional[jsii.Number] = None,
    min_resources: typing.Optional[typing.Mapping[builtins.str, PodGroupSpecMinResources]] = None,
    schedule_timeout_seconds: typing.Optional[jsii.Number] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__12a0e18fb6e40acf90346f8cb55683812347dffeaa750e4790dd9f48e5d8af94(
    value: jsii.Number,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__2181c1398df349671b09a4f4f7ce134793732f14b746aea890f03de2d007b404(
    value: builtins.str,
) -> None:
    """Type checking stubs"""
    pass
