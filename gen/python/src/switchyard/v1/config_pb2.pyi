from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MockFailure(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MOCK_FAILURE_UNSPECIFIED: _ClassVar[MockFailure]
    MOCK_FAILURE_UPSTREAM_UNAVAILABLE: _ClassVar[MockFailure]
    MOCK_FAILURE_RATE_LIMITED: _ClassVar[MockFailure]
    MOCK_FAILURE_TIMEOUT: _ClassVar[MockFailure]
    MOCK_FAILURE_CONTEXT_WINDOW_EXCEEDED: _ClassVar[MockFailure]
    MOCK_FAILURE_CONTENT_POLICY: _ClassVar[MockFailure]
    MOCK_FAILURE_AUTHENTICATION: _ClassVar[MockFailure]

class RoutingStrategy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTING_STRATEGY_UNSPECIFIED: _ClassVar[RoutingStrategy]
    ROUTING_STRATEGY_SIMPLE_SHUFFLE: _ClassVar[RoutingStrategy]
    ROUTING_STRATEGY_LEAST_BUSY: _ClassVar[RoutingStrategy]
    ROUTING_STRATEGY_USAGE_BASED: _ClassVar[RoutingStrategy]
    ROUTING_STRATEGY_LATENCY_BASED: _ClassVar[RoutingStrategy]
    ROUTING_STRATEGY_COST_BASED: _ClassVar[RoutingStrategy]
MOCK_FAILURE_UNSPECIFIED: MockFailure
MOCK_FAILURE_UPSTREAM_UNAVAILABLE: MockFailure
MOCK_FAILURE_RATE_LIMITED: MockFailure
MOCK_FAILURE_TIMEOUT: MockFailure
MOCK_FAILURE_CONTEXT_WINDOW_EXCEEDED: MockFailure
MOCK_FAILURE_CONTENT_POLICY: MockFailure
MOCK_FAILURE_AUTHENTICATION: MockFailure
ROUTING_STRATEGY_UNSPECIFIED: RoutingStrategy
ROUTING_STRATEGY_SIMPLE_SHUFFLE: RoutingStrategy
ROUTING_STRATEGY_LEAST_BUSY: RoutingStrategy
ROUTING_STRATEGY_USAGE_BASED: RoutingStrategy
ROUTING_STRATEGY_LATENCY_BASED: RoutingStrategy
ROUTING_STRATEGY_COST_BASED: RoutingStrategy

class RouterConfig(_message.Message):
    __slots__ = ("model_list", "router_settings", "cache_settings", "server_settings", "redis", "auth_settings", "observability")
    MODEL_LIST_FIELD_NUMBER: _ClassVar[int]
    ROUTER_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    CACHE_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    SERVER_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    REDIS_FIELD_NUMBER: _ClassVar[int]
    AUTH_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    OBSERVABILITY_FIELD_NUMBER: _ClassVar[int]
    model_list: _containers.RepeatedCompositeFieldContainer[Deployment]
    router_settings: RouterSettings
    cache_settings: CacheSettings
    server_settings: ServerSettings
    redis: RedisSettings
    auth_settings: AuthSettings
    observability: ObservabilitySettings
    def __init__(self, model_list: _Optional[_Iterable[_Union[Deployment, _Mapping]]] = ..., router_settings: _Optional[_Union[RouterSettings, _Mapping]] = ..., cache_settings: _Optional[_Union[CacheSettings, _Mapping]] = ..., server_settings: _Optional[_Union[ServerSettings, _Mapping]] = ..., redis: _Optional[_Union[RedisSettings, _Mapping]] = ..., auth_settings: _Optional[_Union[AuthSettings, _Mapping]] = ..., observability: _Optional[_Union[ObservabilitySettings, _Mapping]] = ...) -> None: ...

class Deployment(_message.Message):
    __slots__ = ("model_name", "id", "provider", "params", "rpm", "tpm", "weight", "max_parallel_requests", "timeout_ms", "stream_timeout_ms", "tags", "input_cost_per_token", "output_cost_per_token", "cache_read_cost_per_token", "cache_write_cost_per_token", "max_input_tokens", "max_output_tokens")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    RPM_FIELD_NUMBER: _ClassVar[int]
    TPM_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    MAX_PARALLEL_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    STREAM_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    INPUT_COST_PER_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_COST_PER_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CACHE_READ_COST_PER_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_COST_PER_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MAX_INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    MAX_OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    id: str
    provider: str
    params: ProviderParams
    rpm: int
    tpm: int
    weight: float
    max_parallel_requests: int
    timeout_ms: int
    stream_timeout_ms: int
    tags: _containers.RepeatedScalarFieldContainer[str]
    input_cost_per_token: float
    output_cost_per_token: float
    cache_read_cost_per_token: float
    cache_write_cost_per_token: float
    max_input_tokens: int
    max_output_tokens: int
    def __init__(self, model_name: _Optional[str] = ..., id: _Optional[str] = ..., provider: _Optional[str] = ..., params: _Optional[_Union[ProviderParams, _Mapping]] = ..., rpm: _Optional[int] = ..., tpm: _Optional[int] = ..., weight: _Optional[float] = ..., max_parallel_requests: _Optional[int] = ..., timeout_ms: _Optional[int] = ..., stream_timeout_ms: _Optional[int] = ..., tags: _Optional[_Iterable[str]] = ..., input_cost_per_token: _Optional[float] = ..., output_cost_per_token: _Optional[float] = ..., cache_read_cost_per_token: _Optional[float] = ..., cache_write_cost_per_token: _Optional[float] = ..., max_input_tokens: _Optional[int] = ..., max_output_tokens: _Optional[int] = ...) -> None: ...

class ProviderParams(_message.Message):
    __slots__ = ("model", "api_base", "api_key", "api_version", "region", "organization", "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "headers", "mock")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODEL_FIELD_NUMBER: _ClassVar[int]
    API_BASE_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    API_VERSION_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    AWS_ACCESS_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    AWS_SECRET_ACCESS_KEY_FIELD_NUMBER: _ClassVar[int]
    AWS_SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    MOCK_FIELD_NUMBER: _ClassVar[int]
    model: str
    api_base: str
    api_key: str
    api_version: str
    region: str
    organization: str
    aws_access_key_id: str
    aws_secret_access_key: str
    aws_session_token: str
    headers: _containers.ScalarMap[str, str]
    mock: MockParams
    def __init__(self, model: _Optional[str] = ..., api_base: _Optional[str] = ..., api_key: _Optional[str] = ..., api_version: _Optional[str] = ..., region: _Optional[str] = ..., organization: _Optional[str] = ..., aws_access_key_id: _Optional[str] = ..., aws_secret_access_key: _Optional[str] = ..., aws_session_token: _Optional[str] = ..., headers: _Optional[_Mapping[str, str]] = ..., mock: _Optional[_Union[MockParams, _Mapping]] = ...) -> None: ...

class MockParams(_message.Message):
    __slots__ = ("response", "latency_ms", "chunk_delay_ms", "chunk_count", "failure_rate", "failure_kind", "seed", "fail_first_calls", "fail_stream_after_chunks", "slow_rate", "slow_latency_ms", "prompt_cache")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_DELAY_MS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_RATE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_KIND_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    FAIL_FIRST_CALLS_FIELD_NUMBER: _ClassVar[int]
    FAIL_STREAM_AFTER_CHUNKS_FIELD_NUMBER: _ClassVar[int]
    SLOW_RATE_FIELD_NUMBER: _ClassVar[int]
    SLOW_LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_CACHE_FIELD_NUMBER: _ClassVar[int]
    response: str
    latency_ms: int
    chunk_delay_ms: int
    chunk_count: int
    failure_rate: float
    failure_kind: MockFailure
    seed: int
    fail_first_calls: int
    fail_stream_after_chunks: int
    slow_rate: float
    slow_latency_ms: int
    prompt_cache: bool
    def __init__(self, response: _Optional[str] = ..., latency_ms: _Optional[int] = ..., chunk_delay_ms: _Optional[int] = ..., chunk_count: _Optional[int] = ..., failure_rate: _Optional[float] = ..., failure_kind: _Optional[_Union[MockFailure, str]] = ..., seed: _Optional[int] = ..., fail_first_calls: _Optional[int] = ..., fail_stream_after_chunks: _Optional[int] = ..., slow_rate: _Optional[float] = ..., slow_latency_ms: _Optional[int] = ..., prompt_cache: _Optional[bool] = ...) -> None: ...

class RouterSettings(_message.Message):
    __slots__ = ("routing_strategy", "num_retries", "retry_policy", "allowed_fails", "cooldown_time_ms", "fallbacks", "context_window_fallbacks", "content_policy_fallbacks", "default_fallbacks", "timeout_ms", "stream_timeout_ms", "health_check", "retry_backoff_ms", "max_retry_backoff_ms", "allowed_fails_policy", "failure_window_ms", "latency_buffer_ratio", "stream_idle_timeout_ms", "state_sync_ms", "model_group_settings", "wait_queue")
    ROUTING_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    NUM_RETRIES_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_FAILS_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    FALLBACKS_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_WINDOW_FALLBACKS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_POLICY_FALLBACKS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_FALLBACKS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    STREAM_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_FIELD_NUMBER: _ClassVar[int]
    RETRY_BACKOFF_MS_FIELD_NUMBER: _ClassVar[int]
    MAX_RETRY_BACKOFF_MS_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_FAILS_POLICY_FIELD_NUMBER: _ClassVar[int]
    FAILURE_WINDOW_MS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_BUFFER_RATIO_FIELD_NUMBER: _ClassVar[int]
    STREAM_IDLE_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    STATE_SYNC_MS_FIELD_NUMBER: _ClassVar[int]
    MODEL_GROUP_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    WAIT_QUEUE_FIELD_NUMBER: _ClassVar[int]
    routing_strategy: RoutingStrategy
    num_retries: int
    retry_policy: RetryPolicy
    allowed_fails: int
    cooldown_time_ms: int
    fallbacks: _containers.RepeatedCompositeFieldContainer[Fallback]
    context_window_fallbacks: _containers.RepeatedCompositeFieldContainer[Fallback]
    content_policy_fallbacks: _containers.RepeatedCompositeFieldContainer[Fallback]
    default_fallbacks: _containers.RepeatedScalarFieldContainer[str]
    timeout_ms: int
    stream_timeout_ms: int
    health_check: HealthCheckSettings
    retry_backoff_ms: int
    max_retry_backoff_ms: int
    allowed_fails_policy: AllowedFailsPolicy
    failure_window_ms: int
    latency_buffer_ratio: float
    stream_idle_timeout_ms: int
    state_sync_ms: int
    model_group_settings: _containers.RepeatedCompositeFieldContainer[ModelGroupSettings]
    wait_queue: WaitQueueSettings
    def __init__(self, routing_strategy: _Optional[_Union[RoutingStrategy, str]] = ..., num_retries: _Optional[int] = ..., retry_policy: _Optional[_Union[RetryPolicy, _Mapping]] = ..., allowed_fails: _Optional[int] = ..., cooldown_time_ms: _Optional[int] = ..., fallbacks: _Optional[_Iterable[_Union[Fallback, _Mapping]]] = ..., context_window_fallbacks: _Optional[_Iterable[_Union[Fallback, _Mapping]]] = ..., content_policy_fallbacks: _Optional[_Iterable[_Union[Fallback, _Mapping]]] = ..., default_fallbacks: _Optional[_Iterable[str]] = ..., timeout_ms: _Optional[int] = ..., stream_timeout_ms: _Optional[int] = ..., health_check: _Optional[_Union[HealthCheckSettings, _Mapping]] = ..., retry_backoff_ms: _Optional[int] = ..., max_retry_backoff_ms: _Optional[int] = ..., allowed_fails_policy: _Optional[_Union[AllowedFailsPolicy, _Mapping]] = ..., failure_window_ms: _Optional[int] = ..., latency_buffer_ratio: _Optional[float] = ..., stream_idle_timeout_ms: _Optional[int] = ..., state_sync_ms: _Optional[int] = ..., model_group_settings: _Optional[_Iterable[_Union[ModelGroupSettings, _Mapping]]] = ..., wait_queue: _Optional[_Union[WaitQueueSettings, _Mapping]] = ...) -> None: ...

class WaitQueueSettings(_message.Message):
    __slots__ = ("enabled", "max_depth", "max_wait_ms", "fair_by_caller")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    MAX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    MAX_WAIT_MS_FIELD_NUMBER: _ClassVar[int]
    FAIR_BY_CALLER_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    max_depth: int
    max_wait_ms: int
    fair_by_caller: bool
    def __init__(self, enabled: _Optional[bool] = ..., max_depth: _Optional[int] = ..., max_wait_ms: _Optional[int] = ..., fair_by_caller: _Optional[bool] = ...) -> None: ...

class ModelGroupSettings(_message.Message):
    __slots__ = ("model", "routing_strategy", "num_retries", "timeout_ms", "stream_timeout_ms", "hedge", "affinity")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ROUTING_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    NUM_RETRIES_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    STREAM_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    HEDGE_FIELD_NUMBER: _ClassVar[int]
    AFFINITY_FIELD_NUMBER: _ClassVar[int]
    model: str
    routing_strategy: RoutingStrategy
    num_retries: int
    timeout_ms: int
    stream_timeout_ms: int
    hedge: HedgeSettings
    affinity: AffinitySettings
    def __init__(self, model: _Optional[str] = ..., routing_strategy: _Optional[_Union[RoutingStrategy, str]] = ..., num_retries: _Optional[int] = ..., timeout_ms: _Optional[int] = ..., stream_timeout_ms: _Optional[int] = ..., hedge: _Optional[_Union[HedgeSettings, _Mapping]] = ..., affinity: _Optional[_Union[AffinitySettings, _Mapping]] = ...) -> None: ...

class HedgeSettings(_message.Message):
    __slots__ = ("after_ms", "after_latency_percentile", "max_hedges")
    AFTER_MS_FIELD_NUMBER: _ClassVar[int]
    AFTER_LATENCY_PERCENTILE_FIELD_NUMBER: _ClassVar[int]
    MAX_HEDGES_FIELD_NUMBER: _ClassVar[int]
    after_ms: int
    after_latency_percentile: float
    max_hedges: int
    def __init__(self, after_ms: _Optional[int] = ..., after_latency_percentile: _Optional[float] = ..., max_hedges: _Optional[int] = ...) -> None: ...

class AffinitySettings(_message.Message):
    __slots__ = ("enabled", "prefix_messages")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    PREFIX_MESSAGES_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    prefix_messages: int
    def __init__(self, enabled: _Optional[bool] = ..., prefix_messages: _Optional[int] = ...) -> None: ...

class Fallback(_message.Message):
    __slots__ = ("model", "to")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    model: str
    to: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, model: _Optional[str] = ..., to: _Optional[_Iterable[str]] = ...) -> None: ...

class RetryPolicy(_message.Message):
    __slots__ = ("rate_limited_retries", "timeout_retries", "upstream_unavailable_retries", "authentication_retries", "invalid_request_retries", "content_policy_retries")
    RATE_LIMITED_RETRIES_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_RETRIES_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_UNAVAILABLE_RETRIES_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATION_RETRIES_FIELD_NUMBER: _ClassVar[int]
    INVALID_REQUEST_RETRIES_FIELD_NUMBER: _ClassVar[int]
    CONTENT_POLICY_RETRIES_FIELD_NUMBER: _ClassVar[int]
    rate_limited_retries: int
    timeout_retries: int
    upstream_unavailable_retries: int
    authentication_retries: int
    invalid_request_retries: int
    content_policy_retries: int
    def __init__(self, rate_limited_retries: _Optional[int] = ..., timeout_retries: _Optional[int] = ..., upstream_unavailable_retries: _Optional[int] = ..., authentication_retries: _Optional[int] = ..., invalid_request_retries: _Optional[int] = ..., content_policy_retries: _Optional[int] = ...) -> None: ...

class AllowedFailsPolicy(_message.Message):
    __slots__ = ("rate_limited_allowed_fails", "timeout_allowed_fails", "upstream_unavailable_allowed_fails", "authentication_allowed_fails", "not_found_allowed_fails", "bad_response_allowed_fails")
    RATE_LIMITED_ALLOWED_FAILS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_ALLOWED_FAILS_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_UNAVAILABLE_ALLOWED_FAILS_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATION_ALLOWED_FAILS_FIELD_NUMBER: _ClassVar[int]
    NOT_FOUND_ALLOWED_FAILS_FIELD_NUMBER: _ClassVar[int]
    BAD_RESPONSE_ALLOWED_FAILS_FIELD_NUMBER: _ClassVar[int]
    rate_limited_allowed_fails: int
    timeout_allowed_fails: int
    upstream_unavailable_allowed_fails: int
    authentication_allowed_fails: int
    not_found_allowed_fails: int
    bad_response_allowed_fails: int
    def __init__(self, rate_limited_allowed_fails: _Optional[int] = ..., timeout_allowed_fails: _Optional[int] = ..., upstream_unavailable_allowed_fails: _Optional[int] = ..., authentication_allowed_fails: _Optional[int] = ..., not_found_allowed_fails: _Optional[int] = ..., bad_response_allowed_fails: _Optional[int] = ...) -> None: ...

class HealthCheckSettings(_message.Message):
    __slots__ = ("enabled", "interval_ms", "timeout_ms")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    interval_ms: int
    timeout_ms: int
    def __init__(self, enabled: _Optional[bool] = ..., interval_ms: _Optional[int] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class CacheSettings(_message.Message):
    __slots__ = ("enabled", "layers", "default_ttl_s", "namespace", "call_types", "max_pending_writes")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_TTL_S_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    CALL_TYPES_FIELD_NUMBER: _ClassVar[int]
    MAX_PENDING_WRITES_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    layers: _containers.RepeatedCompositeFieldContainer[CacheLayerSettings]
    default_ttl_s: int
    namespace: str
    call_types: _containers.RepeatedScalarFieldContainer[str]
    max_pending_writes: int
    def __init__(self, enabled: _Optional[bool] = ..., layers: _Optional[_Iterable[_Union[CacheLayerSettings, _Mapping]]] = ..., default_ttl_s: _Optional[int] = ..., namespace: _Optional[str] = ..., call_types: _Optional[_Iterable[str]] = ..., max_pending_writes: _Optional[int] = ...) -> None: ...

class CacheLayerSettings(_message.Message):
    __slots__ = ("memory", "redis", "s3", "gcs", "azure_blob", "timeout_ms")
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    REDIS_FIELD_NUMBER: _ClassVar[int]
    S3_FIELD_NUMBER: _ClassVar[int]
    GCS_FIELD_NUMBER: _ClassVar[int]
    AZURE_BLOB_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    memory: MemoryCacheSettings
    redis: RedisCacheSettings
    s3: S3CacheSettings
    gcs: GcsCacheSettings
    azure_blob: AzureBlobCacheSettings
    timeout_ms: int
    def __init__(self, memory: _Optional[_Union[MemoryCacheSettings, _Mapping]] = ..., redis: _Optional[_Union[RedisCacheSettings, _Mapping]] = ..., s3: _Optional[_Union[S3CacheSettings, _Mapping]] = ..., gcs: _Optional[_Union[GcsCacheSettings, _Mapping]] = ..., azure_blob: _Optional[_Union[AzureBlobCacheSettings, _Mapping]] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class MemoryCacheSettings(_message.Message):
    __slots__ = ("max_entries", "max_bytes", "max_ttl_s")
    MAX_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_TTL_S_FIELD_NUMBER: _ClassVar[int]
    max_entries: int
    max_bytes: int
    max_ttl_s: int
    def __init__(self, max_entries: _Optional[int] = ..., max_bytes: _Optional[int] = ..., max_ttl_s: _Optional[int] = ...) -> None: ...

class RedisCacheSettings(_message.Message):
    __slots__ = ("connection", "cluster_nodes", "sentinels", "sentinel_master_name")
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_NODES_FIELD_NUMBER: _ClassVar[int]
    SENTINELS_FIELD_NUMBER: _ClassVar[int]
    SENTINEL_MASTER_NAME_FIELD_NUMBER: _ClassVar[int]
    connection: RedisSettings
    cluster_nodes: _containers.RepeatedScalarFieldContainer[str]
    sentinels: _containers.RepeatedScalarFieldContainer[str]
    sentinel_master_name: str
    def __init__(self, connection: _Optional[_Union[RedisSettings, _Mapping]] = ..., cluster_nodes: _Optional[_Iterable[str]] = ..., sentinels: _Optional[_Iterable[str]] = ..., sentinel_master_name: _Optional[str] = ...) -> None: ...

class S3CacheSettings(_message.Message):
    __slots__ = ("bucket", "prefix", "region", "endpoint", "access_key_id", "secret_access_key", "force_path_style")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    ACCESS_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SECRET_ACCESS_KEY_FIELD_NUMBER: _ClassVar[int]
    FORCE_PATH_STYLE_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    prefix: str
    region: str
    endpoint: str
    access_key_id: str
    secret_access_key: str
    force_path_style: bool
    def __init__(self, bucket: _Optional[str] = ..., prefix: _Optional[str] = ..., region: _Optional[str] = ..., endpoint: _Optional[str] = ..., access_key_id: _Optional[str] = ..., secret_access_key: _Optional[str] = ..., force_path_style: _Optional[bool] = ...) -> None: ...

class GcsCacheSettings(_message.Message):
    __slots__ = ("bucket", "prefix", "project_id", "endpoint", "credentials_file")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FILE_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    prefix: str
    project_id: str
    endpoint: str
    credentials_file: str
    def __init__(self, bucket: _Optional[str] = ..., prefix: _Optional[str] = ..., project_id: _Optional[str] = ..., endpoint: _Optional[str] = ..., credentials_file: _Optional[str] = ...) -> None: ...

class AzureBlobCacheSettings(_message.Message):
    __slots__ = ("container", "prefix", "connection_string")
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_STRING_FIELD_NUMBER: _ClassVar[int]
    container: str
    prefix: str
    connection_string: str
    def __init__(self, container: _Optional[str] = ..., prefix: _Optional[str] = ..., connection_string: _Optional[str] = ...) -> None: ...

class RedisSettings(_message.Message):
    __slots__ = ("url", "host", "port", "password", "key_prefix", "command_timeout_ms", "cluster_nodes")
    URL_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    KEY_PREFIX_FIELD_NUMBER: _ClassVar[int]
    COMMAND_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_NODES_FIELD_NUMBER: _ClassVar[int]
    url: str
    host: str
    port: int
    password: str
    key_prefix: str
    command_timeout_ms: int
    cluster_nodes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, url: _Optional[str] = ..., host: _Optional[str] = ..., port: _Optional[int] = ..., password: _Optional[str] = ..., key_prefix: _Optional[str] = ..., command_timeout_ms: _Optional[int] = ..., cluster_nodes: _Optional[_Iterable[str]] = ...) -> None: ...

class ServerSettings(_message.Message):
    __slots__ = ("port", "host", "max_request_bytes", "shutdown_grace_ms", "reflection", "tls", "workers", "max_messages", "max_message_bytes", "max_model_name_bytes", "max_request_retries", "first_request_timeout_ms", "http1_idle_timeout_ms", "http2_idle_timeout_ms", "max_connections", "metrics_port")
    PORT_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    MAX_REQUEST_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_GRACE_MS_FIELD_NUMBER: _ClassVar[int]
    REFLECTION_FIELD_NUMBER: _ClassVar[int]
    TLS_FIELD_NUMBER: _ClassVar[int]
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGES_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_MODEL_NAME_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_REQUEST_RETRIES_FIELD_NUMBER: _ClassVar[int]
    FIRST_REQUEST_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    HTTP1_IDLE_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    HTTP2_IDLE_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    METRICS_PORT_FIELD_NUMBER: _ClassVar[int]
    port: int
    host: str
    max_request_bytes: int
    shutdown_grace_ms: int
    reflection: bool
    tls: TlsSettings
    workers: int
    max_messages: int
    max_message_bytes: int
    max_model_name_bytes: int
    max_request_retries: int
    first_request_timeout_ms: int
    http1_idle_timeout_ms: int
    http2_idle_timeout_ms: int
    max_connections: int
    metrics_port: int
    def __init__(self, port: _Optional[int] = ..., host: _Optional[str] = ..., max_request_bytes: _Optional[int] = ..., shutdown_grace_ms: _Optional[int] = ..., reflection: _Optional[bool] = ..., tls: _Optional[_Union[TlsSettings, _Mapping]] = ..., workers: _Optional[int] = ..., max_messages: _Optional[int] = ..., max_message_bytes: _Optional[int] = ..., max_model_name_bytes: _Optional[int] = ..., max_request_retries: _Optional[int] = ..., first_request_timeout_ms: _Optional[int] = ..., http1_idle_timeout_ms: _Optional[int] = ..., http2_idle_timeout_ms: _Optional[int] = ..., max_connections: _Optional[int] = ..., metrics_port: _Optional[int] = ...) -> None: ...

class TlsSettings(_message.Message):
    __slots__ = ("cert_file", "key_file", "client_ca_file")
    CERT_FILE_FIELD_NUMBER: _ClassVar[int]
    KEY_FILE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_CA_FILE_FIELD_NUMBER: _ClassVar[int]
    cert_file: str
    key_file: str
    client_ca_file: str
    def __init__(self, cert_file: _Optional[str] = ..., key_file: _Optional[str] = ..., client_ca_file: _Optional[str] = ...) -> None: ...

class AuthSettings(_message.Message):
    __slots__ = ("master_key", "store_file", "key_cache_ttl_ms")
    MASTER_KEY_FIELD_NUMBER: _ClassVar[int]
    STORE_FILE_FIELD_NUMBER: _ClassVar[int]
    KEY_CACHE_TTL_MS_FIELD_NUMBER: _ClassVar[int]
    master_key: str
    store_file: str
    key_cache_ttl_ms: int
    def __init__(self, master_key: _Optional[str] = ..., store_file: _Optional[str] = ..., key_cache_ttl_ms: _Optional[int] = ...) -> None: ...

class ObservabilitySettings(_message.Message):
    __slots__ = ("metrics_enabled", "tracing", "access_log", "key_alias_label")
    METRICS_ENABLED_FIELD_NUMBER: _ClassVar[int]
    TRACING_FIELD_NUMBER: _ClassVar[int]
    ACCESS_LOG_FIELD_NUMBER: _ClassVar[int]
    KEY_ALIAS_LABEL_FIELD_NUMBER: _ClassVar[int]
    metrics_enabled: bool
    tracing: TracingSettings
    access_log: AccessLogSettings
    key_alias_label: bool
    def __init__(self, metrics_enabled: _Optional[bool] = ..., tracing: _Optional[_Union[TracingSettings, _Mapping]] = ..., access_log: _Optional[_Union[AccessLogSettings, _Mapping]] = ..., key_alias_label: _Optional[bool] = ...) -> None: ...

class TracingSettings(_message.Message):
    __slots__ = ("otlp_endpoint", "service_name", "sampling_ratio", "record_content")
    OTLP_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    SAMPLING_RATIO_FIELD_NUMBER: _ClassVar[int]
    RECORD_CONTENT_FIELD_NUMBER: _ClassVar[int]
    otlp_endpoint: str
    service_name: str
    sampling_ratio: float
    record_content: bool
    def __init__(self, otlp_endpoint: _Optional[str] = ..., service_name: _Optional[str] = ..., sampling_ratio: _Optional[float] = ..., record_content: _Optional[bool] = ...) -> None: ...

class AccessLogSettings(_message.Message):
    __slots__ = ("enabled", "sample_ratio")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATIO_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    sample_ratio: float
    def __init__(self, enabled: _Optional[bool] = ..., sample_ratio: _Optional[float] = ...) -> None: ...
