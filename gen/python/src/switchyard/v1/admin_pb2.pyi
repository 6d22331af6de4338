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

class DeploymentAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEPLOYMENT_ACTION_UNSPECIFIED: _ClassVar[DeploymentAction]
    DEPLOYMENT_ACTION_DRAIN: _ClassVar[DeploymentAction]
    DEPLOYMENT_ACTION_RESUME: _ClassVar[DeploymentAction]
    DEPLOYMENT_ACTION_CLEAR_COOLDOWN: _ClassVar[DeploymentAction]
    DEPLOYMENT_ACTION_FORCE_COOLDOWN: _ClassVar[DeploymentAction]
DEPLOYMENT_HEALTH_UNSPECIFIED: DeploymentHealth
DEPLOYMENT_HEALTH_HEALTHY: DeploymentHealth
DEPLOYMENT_HEALTH_COOLDOWN: DeploymentHealth
DEPLOYMENT_HEALTH_HALF_OPEN: DeploymentHealth
DEPLOYMENT_HEALTH_UNHEALTHY: DeploymentHealth
DEPLOYMENT_ACTION_UNSPECIFIED: DeploymentAction
DEPLOYMENT_ACTION_DRAIN: DeploymentAction
DEPLOYMENT_ACTION_RESUME: DeploymentAction
DEPLOYMENT_ACTION_CLEAR_COOLDOWN: DeploymentAction
DEPLOYMENT_ACTION_FORCE_COOLDOWN: DeploymentAction

class GetRouterStateRequest(_message.Message):
    __slots__ = ("model_group",)
    MODEL_GROUP_FIELD_NUMBER: _ClassVar[int]
    model_group: str
    def __init__(self, model_group: _Optional[str] = ...) -> None: ...

class GetRouterStateResponse(_message.Message):
    __slots__ = ("deployments", "shared_state_available", "wait_queues")
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    SHARED_STATE_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    WAIT_QUEUES_FIELD_NUMBER: _ClassVar[int]
    deployments: _containers.RepeatedCompositeFieldContainer[DeploymentState]
    shared_state_available: bool
    wait_queues: _containers.RepeatedCompositeFieldContainer[WaitQueueState]
    def __init__(self, deployments: _Optional[_Iterable[_Union[DeploymentState, _Mapping]]] = ..., shared_state_available: _Optional[bool] = ..., wait_queues: _Optional[_Iterable[_Union[WaitQueueState, _Mapping]]] = ...) -> None: ...

class WaitQueueState(_message.Message):
    __slots__ = ("model_group", "depth", "served", "rejected", "expired", "mean_wait_ms", "max_wait_ms")
    MODEL_GROUP_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    SERVED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_FIELD_NUMBER: _ClassVar[int]
    MEAN_WAIT_MS_FIELD_NUMBER: _ClassVar[int]
    MAX_WAIT_MS_FIELD_NUMBER: _ClassVar[int]
    model_group: str
    depth: int
    served: int
    rejected: int
    expired: int
    mean_wait_ms: float
    max_wait_ms: float
    def __init__(self, model_group: _Optional[str] = ..., depth: _Optional[int] = ..., served: _Optional[int] = ..., rejected: _Optional[int] = ..., expired: _Optional[int] = ..., mean_wait_ms: _Optional[float] = ..., max_wait_ms: _Optional[float] = ...) -> None: ...

class DeploymentState(_message.Message):
    __slots__ = ("deployment_id", "model_group", "provider", "health", "cooldown_until", "in_flight", "current_rpm", "current_tpm", "latency_ms", "recent_failures", "last_error", "drained")
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
    DRAINED_FIELD_NUMBER: _ClassVar[int]
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
    drained: bool
    def __init__(self, deployment_id: _Optional[str] = ..., model_group: _Optional[str] = ..., provider: _Optional[str] = ..., health: _Optional[_Union[DeploymentHealth, str]] = ..., cooldown_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., in_flight: _Optional[int] = ..., current_rpm: _Optional[int] = ..., current_tpm: _Optional[int] = ..., latency_ms: _Optional[float] = ..., recent_failures: _Optional[int] = ..., last_error: _Optional[str] = ..., drained: _Optional[bool] = ...) -> None: ...

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

class CreateKeyRequest(_message.Message):
    __slots__ = ("alias", "models", "rpm", "tpm", "max_budget_usd", "budget_period", "expires_at", "metadata", "max_priority")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    RPM_FIELD_NUMBER: _ClassVar[int]
    TPM_FIELD_NUMBER: _ClassVar[int]
    MAX_BUDGET_USD_FIELD_NUMBER: _ClassVar[int]
    BUDGET_PERIOD_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    MAX_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    alias: str
    models: _containers.RepeatedScalarFieldContainer[str]
    rpm: int
    tpm: int
    max_budget_usd: float
    budget_period: str
    expires_at: _timestamp_pb2.Timestamp
    metadata: _containers.ScalarMap[str, str]
    max_priority: int
    def __init__(self, alias: _Optional[str] = ..., models: _Optional[_Iterable[str]] = ..., rpm: _Optional[int] = ..., tpm: _Optional[int] = ..., max_budget_usd: _Optional[float] = ..., budget_period: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., max_priority: _Optional[int] = ...) -> None: ...

class CreateKeyResponse(_message.Message):
    __slots__ = ("key", "key_id", "info")
    KEY_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    key: str
    key_id: str
    info: KeyInfo
    def __init__(self, key: _Optional[str] = ..., key_id: _Optional[str] = ..., info: _Optional[_Union[KeyInfo, _Mapping]] = ...) -> None: ...

class KeyInfo(_message.Message):
    __slots__ = ("key_id", "alias", "models", "rpm", "tpm", "max_budget_usd", "budget_period", "expires_at", "metadata", "created_at", "revoked", "spend_usd", "period_start", "key_preview", "max_priority")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    RPM_FIELD_NUMBER: _ClassVar[int]
    TPM_FIELD_NUMBER: _ClassVar[int]
    MAX_BUDGET_USD_FIELD_NUMBER: _ClassVar[int]
    BUDGET_PERIOD_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    SPEND_USD_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    KEY_PREVIEW_FIELD_NUMBER: _ClassVar[int]
    MAX_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    alias: str
    models: _containers.RepeatedScalarFieldContainer[str]
    rpm: int
    tpm: int
    max_budget_usd: float
    budget_period: str
    expires_at: _timestamp_pb2.Timestamp
    metadata: _containers.ScalarMap[str, str]
    created_at: _timestamp_pb2.Timestamp
    revoked: bool
    spend_usd: float
    period_start: _timestamp_pb2.Timestamp
    key_preview: str
    max_priority: int
    def __init__(self, key_id: _Optional[str] = ..., alias: _Optional[str] = ..., models: _Optional[_Iterable[str]] = ..., rpm: _Optional[int] = ..., tpm: _Optional[int] = ..., max_budget_usd: _Optional[float] = ..., budget_period: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked: _Optional[bool] = ..., spend_usd: _Optional[float] = ..., period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., key_preview: _Optional[str] = ..., max_priority: _Optional[int] = ...) -> None: ...

class ListKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[KeyInfo]
    def __init__(self, keys: _Optional[_Iterable[_Union[KeyInfo, _Mapping]]] = ...) -> None: ...

class GetKeyRequest(_message.Message):
    __slots__ = ("key_id",)
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class UpdateKeyRequest(_message.Message):
    __slots__ = ("key_id", "alias", "models", "update_models", "rpm", "tpm", "max_budget_usd", "budget_period", "expires_at", "metadata", "update_metadata", "max_priority")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MODELS_FIELD_NUMBER: _ClassVar[int]
    RPM_FIELD_NUMBER: _ClassVar[int]
    TPM_FIELD_NUMBER: _ClassVar[int]
    MAX_BUDGET_USD_FIELD_NUMBER: _ClassVar[int]
    BUDGET_PERIOD_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    UPDATE_METADATA_FIELD_NUMBER: _ClassVar[int]
    MAX_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    alias: str
    models: _containers.RepeatedScalarFieldContainer[str]
    update_models: bool
    rpm: int
    tpm: int
    max_budget_usd: float
    budget_period: str
    expires_at: _timestamp_pb2.Timestamp
    metadata: _containers.ScalarMap[str, str]
    update_metadata: bool
    max_priority: int
    def __init__(self, key_id: _Optional[str] = ..., alias: _Optional[str] = ..., models: _Optional[_Iterable[str]] = ..., update_models: _Optional[bool] = ..., rpm: _Optional[int] = ..., tpm: _Optional[int] = ..., max_budget_usd: _Optional[float] = ..., budget_period: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., update_metadata: _Optional[bool] = ..., max_priority: _Optional[int] = ...) -> None: ...

class RevokeKeyRequest(_message.Message):
    __slots__ = ("key_id",)
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class RotateKeyRequest(_message.Message):
    __slots__ = ("key_id",)
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class SetDeploymentStateRequest(_message.Message):
    __slots__ = ("deployment_id", "action", "cooldown_ms")
    DEPLOYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_MS_FIELD_NUMBER: _ClassVar[int]
    deployment_id: str
    action: DeploymentAction
    cooldown_ms: int
    def __init__(self, deployment_id: _Optional[str] = ..., action: _Optional[_Union[DeploymentAction, str]] = ..., cooldown_ms: _Optional[int] = ...) -> None: ...

class SetDeploymentStateResponse(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: DeploymentState
    def __init__(self, deployment: _Optional[_Union[DeploymentState, _Mapping]] = ...) -> None: ...

class ReloadConfigRequest(_message.Message):
    __slots__ = ("config_text",)
    CONFIG_TEXT_FIELD_NUMBER: _ClassVar[int]
    config_text: str
    def __init__(self, config_text: _Optional[str] = ...) -> None: ...

class ReloadConfigResponse(_message.Message):
    __slots__ = ("added_deployments", "removed_deployments", "kept_deployments")
    ADDED_DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    REMOVED_DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    KEPT_DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    added_deployments: _containers.RepeatedScalarFieldContainer[str]
    removed_deployments: _containers.RepeatedScalarFieldContainer[str]
    kept_deployments: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, added_deployments: _Optional[_Iterable[str]] = ..., removed_deployments: _Optional[_Iterable[str]] = ..., kept_deployments: _Optional[_Iterable[str]] = ...) -> None: ...
