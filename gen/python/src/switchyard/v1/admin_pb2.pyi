import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeploymentHealth(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEPLOYMENT_HEALTH_UNSPECIFIED: _ClassVar[DeploymentHealth]
    DEPLOYMENT_HEALTH_HEALTHY: _ClassVar[DeploymentHealth]
    DEPLOYMENT_HEALTH_COOLDOWN: _ClassVar[DeploymentHealth]
    DEPLOYMENT_HEALTH_HALF_OPEN: _ClassVar[DeploymentHealth]
    DEPLOYMENT_HEALTH_UNHEALTHY: _ClassVar[DeploymentHealth]
DEPLOYMENT_HEALTH_UNSPECIFIED: DeploymentHealth
DEPLOYMENT_HEALTH_HEALTHY: DeploymentHealth
DEPLOYMENT_HEALTH_COOLDOWN: DeploymentHealth
DEPLOYMENT_HEALTH_HALF_OPEN: DeploymentHealth
DEPLOYMENT_HEALTH_UNHEALTHY: DeploymentHealth

class GetRouterStateRequest(_message.Message):
    __slots__ = ("model_group",)
    MODEL_GROUP_FIELD_NUMBER: _ClassVar[int]
    model_group: str
    def __init__(self, model_group: _Optional[str] = ...) -> None: ...

class GetRouterStateResponse(_message.Message):
    __slots__ = ("deployments", "shared_state_available")
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    SHARED_STATE_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    deployments: _containers.RepeatedCompositeFieldContainer[DeploymentState]
    shared_state_available: bool
    def __init__(self, deployments: _Optional[_Iterable[_Union[DeploymentState, _Mapping]]] = ..., shared_state_available: _Optional[bool] = ...) -> None: ...

class DeploymentState(_message.Message):
    __slots__ = ("deployment_id", "model_group", "provider", "health", "cooldown_until", "in_flight", "current_rpm", "current_tpm", "latency_ms", "recent_failures", "last_error")
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_GROUP_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_UNTIL_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_RPM_FIELD_NUMBER: _ClassVar[int]
    CURRENT_TPM_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    RECENT_FAILURES_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    model_group: str
    provider: str
    health: DeploymentHealth
    cooldown_until: _timestamp_pb2.Timestamp
    in_flight: int
    current_rpm: int
    current_tpm: int
    latency_ms: float
    recent_failures: int
    last_error: str
    def __init__(self, deployment_id: _Optional[str] = ..., model_group: _Optional[str] = ..., provider: _Optional[str] = ..., health: _Optional[_Union[DeploymentHealth, str]] = ..., cooldown_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., in_flight: _Optional[int] = ..., current_rpm: _Optional[int] = ..., current_tpm: _Optional[int] = ..., latency_ms: _Optional[float] = ..., recent_failures: _Optional[int] = ..., last_error: _Optional[str] = ...) -> None: ...

class InvalidateCacheRequest(_message.Message):
    __slots__ = ("key", "namespace")
    KEY_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    key: str
    namespace: str
    def __init__(self, key: _Optional[str] = ..., namespace: _Optional[str] = ...) -> None: ...

class InvalidateCacheResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: int
    def __init__(self, deleted: _Optional[int] = ...) -> None: ...

class GetCacheStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCacheStatsResponse(_message.Message):
    __slots__ = ("layers",)
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    layers: _containers.RepeatedCompositeFieldContainer[CacheLayerStats]
    def __init__(self, layers: _Optional[_Iterable[_Union[CacheLayerStats, _Mapping]]] = ...) -> None: ...

class CacheLayerStats(_message.Message):
    __slots__ = ("layer", "hits", "misses", "sets", "errors", "evictions", "bytes", "entries")
    LAYER_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    MISSES_FIELD_NUMBER: _ClassVar[int]
    SETS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    EVICTIONS_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    layer: str
    hits: int
    misses: int
    sets: int
    errors: int
    evictions: int
    bytes: int
    entries: int
    def __init__(self, layer: _Optional[str] = ..., hits: _Optional[int] = ..., misses: _Optional[int] = ..., sets: _Optional[int] = ..., errors: _Optional[int] = ..., evictions: _Optional[int] = ..., bytes: _Optional[int] = ..., entries: _Optional[int] = ...) -> None: ...
