"""Pydantic v2 models of the BentoCloud / Yatai v1 API.

One set of models serves the async client, the local control plane and the editor, so the
client and the server cannot drift apart.

Two validation regimes, because the wire has two kinds of documents:

* **Requests** (`CreateDeploymentSchema`, the `--file` JSON, ...) are strict: an unknown key
  anywhere is an error naming its path, `null` means "not set".
* **Responses** are tolerant: extra keys from a newer server are ignored.  The target config is
  shared by both, so it is strict by default and becomes tolerant when validated with
  ``context={"lenient": True}`` -- `parse_response` does that.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum
from typing import Any, Generic, Literal, TypeVar

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from tui.api.enums import MODE_TITLES as MODE_TITLES  # re-exported: one of each
from tui.api.enums import DeploymentMode as DeploymentMode
from tui.api.enums import DeploymentStatus as DeploymentStatus

# --------------------------------------------------------------------------- enums


# DeploymentStatus, DeploymentMode and MODE_TITLES live in tui/api/enums.py (no pydantic: the
# first paint needs them); imported above, they are this module's as before.


class DeploymentTargetType(str, Enum):
    STABLE = "stable"
    CANARY = "canary"


class DeploymentRevisionStatus(str, Enum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class DeploymentStrategy(str, Enum):
    ROLLING_UPDATE = "RollingUpdate"
    RECREATE = "Recreate"
    RAMPED_SLOW_ROLLOUT = "RampedSlowRollout"
    BEST_EFFORT_CONTROLLED_ROLLOUT = "BestEffortControlledRollout"


class HPAMetricType(str, Enum):
    MEMORY = "memory"
    CPU = "cpu"
    GPU = "gpu"
    QPS = "qps"


class HPAScaleBehavior(str, Enum):
    DISABLED = "disabled"
    STABLE = "stable"
    FAST = "fast"


class CanaryRuleType(str, Enum):
    WEIGHT = "weight"
    HEADER = "header"
    COOKIE = "cookie"


class ResourceType(str, Enum):
    USER = "user"
    ORGANIZATION = "organization"
    CLUSTER = "cluster"
    HOST_CLUSTER = "host_cluster"
    BENTO_REPOSITORY = "bento_repository"
    BENTO = "bento"
    MODEL_REPOSITORY = "model_repository"
    MODEL = "model"
    DEPLOYMENT = "deployment"
    DEPLOYMENT_REVISION = "deployment_revision"
    TERMINAL_RECORD = "terminal_record"
    LABEL = "label"
    API_TOKEN = "api_token"
    YATAI_COMPONENT = "yatai_component"
    LIMIT_GROUP = "limit_group"
    RESOURCE_INSTANCE = "resource_instance"


class ImageBuildStatus(str, Enum):
    PENDING = "pending"
    BUILDING = "building"
    SUCCESS = "success"
    FAILED = "failed"


class UploadStatus(str, Enum):
    PENDING = "pending"
    UPLOADING = "uploading"
    SUCCESS = "success"
    FAILED = "failed"


class TransmissionStrategy(str, Enum):
    PRESIGNED_URL = "presigned_url"
    PROXY = "proxy"


class AuditEventStatus(str, Enum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"


# --------------------------------------------------------------------------- bases

DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


DNS_1035_RULE = "lowercase letters, digits and '-', start with a letter, at most 63 characters"


def dns_1035_error(value: str) -> str | None:
    """What is wrong with a name that is not a DNS-1035 label, as a sentence (None when valid).

    Said in words, not as the validating regular expression: which rule the value breaks, then
    the rule."""
    if DNS_1035.match(value):
        return None
    if not value:
        return f"a name is required: {DNS_1035_RULE}"
    has = ["capital letters"] if any(c.isupper() for c in value) else []
    others = sorted({c for c in value
                     if not (c.isupper() or c == "-" or (c.isascii() and (c.islower() or c.isdigit())))})
    if others:
        has.append(", ".join(repr(c) for c in others[:5]) + (" …" if len(others) > 5 else ""))
    wrong = ["has " + " and ".join(has)] if has else []
    if len(value) > 63:
        wrong.append(f"is {len(value)} characters long")
    if not value[0].isalpha():
        wrong.append("does not start with a letter")
    if not value[-1].isalnum():
        wrong.append("ends with '-'" if value[-1] == "-" else "does not end with a letter or digit")
    shown = value if len(value) <= 40 else value[:40] + "…"
    return f"{shown!r} {' and '.join(wrong[:2]) if wrong else 'is not valid'}: {DNS_1035_RULE}"


class WireModel(BaseModel):
    """Response-side model: unknown keys from the server are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, use_enum_values=False,
                              defer_build=True)

    def to_wire(self) -> dict[str, Any]:
        """JSON-ready dict with wire aliases (camelCase where the API uses it)."""
        return self.model_dump(mode="json", by_alias=True)


def _known_keys(cls: type[BaseModel]) -> frozenset[str]:
    """The names and aliases of `cls`'s fields: what a lenient validation keeps."""
    known: set[str] = set()
    for name, field in cls.model_fields.items():
        known.add(name)
        if field.alias:
            known.add(field.alias)
        if isinstance(field.validation_alias, str):
            known.add(field.validation_alias)
        elif isinstance(field.validation_alias, AliasChoices):
            known.update(c for c in field.validation_alias.choices if isinstance(c, str))
    return frozenset(known)


# Per class, built once: every target config of a 10,000-deployment list is validated leniently,
# and rebuilding the set from `model_fields` each time cost ~25 us a config (~0.4 s a list).
_KNOWN_KEYS: dict[type, frozenset[str]] = {}


class RequestModel(BaseModel):
    """Request-side model: unknown keys are errors, unless validated leniently.

    ``null`` means "not set"; `to_wire` drops unset values.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_unknown_when_lenient(cls, data: Any, info: ValidationInfo) -> Any:
        if not (info.context and info.context.get("lenient")) or not isinstance(data, dict):
            return data
        known = _KNOWN_KEYS.get(cls)
        if known is None:
            known = _KNOWN_KEYS[cls] = _known_keys(cls)
        if known.issuperset(data):  # the usual case: nothing to drop, no copy
            return data
        return {k: v for k, v in data.items() if k in known}

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class LabelItem(RequestModel):
    key: str
    value: str


class BaseSchema(WireModel):
    uid: str
    created_at: datetime
    updated_at: datetime | None = None
    deleted_at: datetime | None = None


class ResourceSchema(BaseSchema):
    name: str
    resource_type: ResourceType
    labels: list[LabelItem] = Field(default_factory=list)


T = TypeVar("T")


class ListEnvelope(WireModel):
    """The `{start, count, total}` of every list route's envelope, without its items.

    The lists the client reads subclass it with concrete items: subscripting the generic
    `ListSchema[...]` builds `ListSchema`'s validator at once (defer_build does not hold for
    a generic's origin), ~25 ms of start-up for nothing the first page needs."""

    start: int = 0
    count: int = 0
    total: int = 0


class ListSchema(ListEnvelope, Generic[T]):
    """The `{start, count, total, items}` envelope of every list route (generic: for the rarer
    lists, the local control plane's routes)."""

    items: list[T] = Field(default_factory=list)


# --------------------------------------------------------------------------- identity


class UserSchema(WireModel):
    name: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    # Yatai sends a full resource for users; the 1.1 client reads only the four above.
    uid: str | None = None
    resource_type: ResourceType | None = None
    labels: list[LabelItem] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    avatar_url: str | None = None
    is_super_admin: bool | None = None

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.name


class OrganizationSchema(ResourceSchema):
    description: str = ""
    creator: UserSchema | None = None


class ClusterSchema(ResourceSchema):
    description: str = ""
    creator: UserSchema | None = None
    organization_name: str | None = None


class ResourceItem(RequestModel):
    cpu: str | None = None
    memory: str | None = None
    gpu: str | None = None
    custom: dict[str, str] | None = None


class DeploymentTargetResources(RequestModel):
    requests: ResourceItem | None = None
    limits: ResourceItem | None = None


class ResourceInstanceConfig(WireModel):
    group: str = ""
    resources: DeploymentTargetResources | None = None
    price: str = ""
    node_selectors: dict[str, str] | None = None


class ResourceInstanceSchema(ResourceSchema):
    display_name: str = ""
    description: str = ""
    config: ResourceInstanceConfig = Field(default_factory=ResourceInstanceConfig)


class ClusterConfigSchema(WireModel):
    default_deployment_kube_namespace: str = "yatai"
    ingress_ip: str | None = None


class ClusterFullSchema(ClusterSchema):
    organization: OrganizationSchema | None = None
    kube_config: str | None = ""
    config: ClusterConfigSchema = Field(default_factory=ClusterConfigSchema)
    grafana_root_path: str = ""
    resource_instances: list[ResourceInstanceSchema] = Field(default_factory=list)


# --------------------------------------------------------------------------- bentos


class BentoApiSchema(WireModel):
    route: str = ""
    doc: str | None = None
    input: str | None = None
    output: str | None = None


class BentoRunnerResourceConfig(WireModel):
    cpu: int | float | None = None
    nvidia_gpu: int | float | None = None
    custom_resources: dict[str, Any] | None = None


class BentoRunnerSchema(WireModel):
    name: str
    runnable_type: str | None = None
    models: list[str] | None = None
    resource_config: BentoRunnerResourceConfig | None = None


class BentoManifestSchema(WireModel):
    service: str
    bentoml_version: str
    size_bytes: int
    apis: dict[str, BentoApiSchema] = Field(default_factory=dict)
    models: list[str] = Field(default_factory=list)
    runners: list[BentoRunnerSchema] = Field(default_factory=list)
    # What bentoml 1.4 reads (`Tag(name, version)`, the service key of `deploy`, 1.2+ services):
    name: str | None = None
    entry_service: str = ""
    services: list[dict[str, Any]] = Field(default_factory=list)
    envs: list[dict[str, Any]] = Field(default_factory=list)


class BentoSchema(ResourceSchema):
    description: str = ""
    version: str
    image_build_status: ImageBuildStatus = ImageBuildStatus.SUCCESS
    upload_status: UploadStatus = UploadStatus.SUCCESS
    upload_finished_reason: str = ""
    presigned_upload_url: str = ""
    presigned_download_url: str = ""
    manifest: BentoManifestSchema | None = None
    transmission_strategy: TransmissionStrategy | None = None
    upload_id: str | None = None
    upload_started_at: datetime | None = None
    upload_finished_at: datetime | None = None
    build_at: datetime | None = None
    creator: UserSchema | None = None


class BentoRepositorySchema(ResourceSchema):
    description: str = ""
    latest_bento: BentoSchema | None = None
    n_bentos: int | None = None
    n_deployments: int | None = None
    latest_bentos: list[BentoSchema] | None = None
    creator: UserSchema | None = None


class BentoWithRepositorySchema(BentoSchema):
    repository: BentoRepositorySchema | None = None


class BentoFullSchema(BentoWithRepositorySchema):
    models: list[Any] | None = None


# --------------------------------------------------------------------------- models (registry)


class ModelManifestSchema(WireModel):
    module: str = ""
    api_version: str = ""
    bentoml_version: str = ""
    size_bytes: int = 0
    metadata: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)


class ModelSchema(ResourceSchema):
    description: str = ""
    version: str
    image_build_status: ImageBuildStatus = ImageBuildStatus.SUCCESS
    upload_status: UploadStatus = UploadStatus.SUCCESS
    upload_finished_reason: str = ""
    presigned_upload_url: str = ""
    presigned_download_url: str = ""
    manifest: ModelManifestSchema | None = None
    transmission_strategy: TransmissionStrategy | None = None
    upload_id: str | None = None
    upload_started_at: datetime | None = None
    upload_finished_at: datetime | None = None
    build_at: datetime | None = None
    creator: UserSchema | None = None


class ModelRepositorySchema(ResourceSchema):
    description: str = ""
    latest_model: ModelSchema | None = None
    n_models: int | None = None
    creator: UserSchema | None = None


class ModelWithRepositorySchema(ModelSchema):
    repository: ModelRepositorySchema | None = None


# Push requests (bentoml 1.1.11 and 1.4 send the same shapes; validated leniently so a newer
# client's extra keys are ignored, not refused).


class CreateRepositorySchema(RequestModel):
    name: str
    description: str = ""


class CreateArtifactSchema(RequestModel):
    """`POST …/bentos` and `POST …/models`: a new version, its manifest and labels."""

    version: str
    description: str = ""
    build_at: datetime | None = None
    manifest: dict[str, Any] | None = None
    labels: list[LabelItem] | None = None


class UpdateArtifactSchema(RequestModel):
    description: str | None = None
    manifest: dict[str, Any] | None = None
    labels: list[LabelItem] | None = None


class FinishUploadSchema(RequestModel):
    status: UploadStatus | None = None
    reason: str | None = None


# --------------------------------------------------------------------------- target config


class HPAMetric(RequestModel):
    type: HPAMetricType
    value: Any = None


class HPAPolicy(RequestModel):
    metrics: list[HPAMetric] | None = None
    scale_down_behavior: HPAScaleBehavior | None = None
    scale_up_behavior: HPAScaleBehavior | None = None


class DeploymentTargetHPAConf(RequestModel):
    cpu: int | None = None
    gpu: int | None = None
    memory: str | None = None
    qps: int | None = None
    min_replicas: int | None = Field(default=None, ge=0)
    max_replicas: int | None = Field(default=None, ge=0)
    policy: HPAPolicy | None = None

    @model_validator(mode="after")
    def _min_not_above_max(self) -> DeploymentTargetHPAConf:
        if (
            self.min_replicas is not None
            and self.max_replicas is not None
            and self.min_replicas > self.max_replicas
        ):
            raise ValueError(
                f"min_replicas ({self.min_replicas}) must not exceed max_replicas "
                f"({self.max_replicas})"
            )
        return self


class BentoDeploymentOverrides(RequestModel):
    monitor_exporter: dict[str, Any] | None = Field(default=None, alias="monitorExporter")
    extra_pod_metadata: dict[str, Any] | None = Field(default=None, alias="extraPodMetadata")
    extra_pod_spec: dict[str, Any] | None = Field(default=None, alias="extraPodSpec")


class BentoRequestOverrides(RequestModel):
    image_build_timeout: int | None = Field(default=None, alias="imageBuildTimeout")
    image_builder_extra_pod_metadata: dict[str, Any] | None = Field(
        default=None, alias="imageBuilderExtraPodMetadata"
    )
    image_builder_extra_pod_spec: dict[str, Any] | None = Field(
        default=None, alias="imageBuilderExtraPodSpec"
    )
    image_builder_extra_container_env: list[Any] | None = Field(
        default=None, alias="imageBuilderExtraContainerEnv"
    )
    image_builder_container_resources: dict[str, Any] | None = Field(
        default=None, alias="imageBuilderContainerResources"
    )
    docker_config_json_secret_name: str | None = Field(
        default=None, alias="dockerConfigJsonSecretName"
    )
    downloader_container_env_from: list[Any] | None = Field(
        default=None, alias="downloaderContainerEnvFrom"
    )


class RequestQueueConfig(RequestModel):
    enabled: bool | None = None
    max_consume_concurrency: int | None = Field(default=None, ge=1)


GO_DURATION = re.compile(r"^(\d+(\.\d+)?(h|m|s|ms))+$|^\d+(\.\d+)?$")


class TrafficControlConfig(RequestModel):
    timeout: str | None = Field(default=None, description='a Go duration, e.g. "30s" or "1m0s"')
    request_queue: RequestQueueConfig | None = None

    @field_validator("timeout")
    @classmethod
    def _timeout_is_a_duration(cls, value: str | None) -> str | None:
        if value is not None and not GO_DURATION.match(value):
            raise ValueError(f'{value!r} is not a duration like "30s", "1m0s" or "1500ms"')
        return value


class _TargetConfigCommon(RequestModel):
    """Fields shared by the API-server target config and each runner's config."""

    resource_instance: str | None = None
    resources: DeploymentTargetResources | None = None
    hpa_conf: DeploymentTargetHPAConf | None = None
    envs: list[LabelItem] | None = None
    enable_stealing_traffic_debug_mode: bool | None = None
    enable_debug_mode: bool | None = None
    enable_debug_pod_receive_production_traffic: bool | None = None
    deployment_strategy: DeploymentStrategy | None = None
    traffic_control: TrafficControlConfig | None = None
    deployment_cold_start_wait_timeout: int | None = None

    @field_validator("envs")
    @classmethod
    def _env_keys_unique(cls, envs: list[LabelItem] | None) -> list[LabelItem] | None:
        if envs:
            seen: set[str] = set()
            for item in envs:
                if not item.key:
                    raise ValueError("environment variable names must not be empty")
                if item.key in seen:
                    raise ValueError(f"environment variable {item.key!r} is set twice")
                seen.add(item.key)
        return envs


class DeploymentTargetRunnerConfig(_TargetConfigCommon):
    bento_deployment_overrides: BentoDeploymentOverrides | None = None


class DeploymentTargetConfig(_TargetConfigCommon):
    kube_resource_uid: str | None = Field(default=None, alias="kubeResourceUid")
    kube_resource_version: str | None = Field(default=None, alias="kubeResourceVersion")
    runners: dict[str, DeploymentTargetRunnerConfig] | None = None
    access_control: str | None = None
    enable_ingress: bool | None = None
    bento_deployment_overrides: BentoDeploymentOverrides | None = None
    bento_request_overrides: BentoRequestOverrides | None = None


class DeploymentTargetCanaryRule(RequestModel):
    type: CanaryRuleType
    weight: int | None = None
    header: str | None = None
    cookie: str | None = None
    header_value: str | None = None


# --------------------------------------------------------------------------- requests


class CreateDeploymentTargetSchema(RequestModel):
    type: DeploymentTargetType = DeploymentTargetType.STABLE
    bento_repository: str = Field(min_length=1)
    bento: str = Field(min_length=1, description="the bento version")
    config: DeploymentTargetConfig | None = None
    canary_rules: list[DeploymentTargetCanaryRule] | None = None

    @property
    def bento_tag(self) -> str:
        return f"{self.bento_repository}:{self.bento}"


class UpdateDeploymentSchema(RequestModel):
    """PATCH body.  The 1.1 client also sends `name`, `kube_namespace` and `cluster_name`
    (from a file); they are accepted and ignored by the server."""

    targets: list[CreateDeploymentTargetSchema] = Field(min_length=1)
    mode: DeploymentMode | None = None
    labels: list[LabelItem] | None = None
    description: str | None = None
    do_not_deploy: bool | None = None
    name: str | None = None
    kube_namespace: str | None = None
    cluster_name: str | None = None


class CreateDeploymentSchema(UpdateDeploymentSchema):
    name: str

    @field_validator("name")
    @classmethod
    def _name_is_dns_1035(cls, name: str) -> str:
        error = dns_1035_error(name)
        if error:
            raise ValueError(error)
        return name

    @field_validator("kube_namespace")
    @classmethod
    def _namespace_is_dns_1035(cls, namespace: str | None) -> str | None:
        if namespace:
            error = dns_1035_error(namespace)
            if error:
                raise ValueError(error)
        return namespace


class FullDeploymentSchema(CreateDeploymentSchema):
    """The `bentoml deployment create --file` JSON format."""


# --------------------------------------------------------------------------- deployments


class DeploymentTargetSchema(ResourceSchema):
    creator: UserSchema | None = None
    type: DeploymentTargetType = DeploymentTargetType.STABLE
    bento: BentoFullSchema
    config: DeploymentTargetConfig = Field(default_factory=DeploymentTargetConfig)
    canary_rules: list[DeploymentTargetCanaryRule] | None = None

    @field_serializer("config")
    def _config_without_nulls(self, config: DeploymentTargetConfig) -> dict[str, Any]:
        # The 1.1 client structures `resources` and the kube fields as non-optional attrs
        # fields, so they must be objects/strings, never null; everything else unset is left out.
        wire = config.to_wire()
        resources = wire.get("resources") or {}
        wire["resources"] = {"requests": resources.get("requests"), "limits": resources.get("limits")}
        wire.setdefault("kubeResourceUid", "")
        wire.setdefault("kubeResourceVersion", "")
        return wire

    @property
    def bento_tag(self) -> str:
        repo = self.bento.repository.name if self.bento.repository else "?"
        return f"{repo}:{self.bento.name}"


class DeploymentRevisionSchema(ResourceSchema):
    creator: UserSchema | None = None
    status: DeploymentRevisionStatus
    targets: list[DeploymentTargetSchema] = Field(default_factory=list)


class ReplicaCounts(WireModel):
    """Extension (local control plane): API-server replicas ready / wanted right now."""

    ready: int = 0
    desired: int = 0


class DeploymentSchema(ResourceSchema):
    creator: UserSchema | None = None
    cluster: ClusterSchema
    status: DeploymentStatus
    kube_namespace: str
    latest_revision: DeploymentRevisionSchema | None = None
    mode: DeploymentMode | None = None
    urls: list[str] = Field(default_factory=list)
    description: str | None = None
    replicas: ReplicaCounts | None = None  # extension

    @property
    def target(self) -> DeploymentTargetSchema | None:
        """The stable target of the active revision, if any."""
        if not self.latest_revision or not self.latest_revision.targets:
            return None
        return self.latest_revision.targets[0]

    @property
    def bento_tag(self) -> str:
        target = self.target
        return target.bento_tag if target else ""

    def to_file_document(self) -> FullDeploymentSchema:
        """This deployment as the `--file` JSON that would recreate it."""
        targets = []
        if self.latest_revision:
            for t in self.latest_revision.targets:
                repo = t.bento.repository.name if t.bento.repository else ""
                config = t.config.model_copy()
                config.kube_resource_uid = None
                config.kube_resource_version = None
                targets.append(
                    CreateDeploymentTargetSchema(
                        type=t.type,
                        bento_repository=repo,
                        bento=t.bento.name,
                        config=config,
                        canary_rules=t.canary_rules,
                    )
                )
        return FullDeploymentSchema(
            name=self.name,
            cluster_name=self.cluster.name,
            description=self.description,
            mode=self.mode,
            targets=targets,
        )


# --------------------------------------------------------------------------- replicas, events


class KubeObjectReference(WireModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    kind: str = ""
    name: str = ""
    namespace: str | None = None
    uid: str | None = None
    field_path: str | None = Field(default=None, alias="fieldPath")


class KubeEventMetadata(WireModel):
    name: str = ""
    namespace: str | None = None
    uid: str | None = None
    resource_version: str | None = Field(default=None, alias="resourceVersion")
    creation_timestamp: datetime | None = Field(default=None, alias="creationTimestamp")


class KubeEventSource(WireModel):
    component: str | None = None
    host: str | None = None


class KubeEvent(WireModel):
    """A Kubernetes `Event` (core/v1), as the kube_events socket sends it."""

    metadata: KubeEventMetadata = Field(default_factory=KubeEventMetadata)
    involved_object: KubeObjectReference = Field(
        default_factory=KubeObjectReference, alias="involvedObject"
    )
    reason: str = ""
    message: str = ""
    type: Literal["Normal", "Warning"] | str = "Normal"
    count: int | None = None
    first_timestamp: datetime | None = Field(default=None, alias="firstTimestamp")
    last_timestamp: datetime | None = Field(default=None, alias="lastTimestamp")
    event_time: datetime | None = Field(default=None, alias="eventTime")
    source: KubeEventSource | None = None

    @property
    def display_time(self) -> datetime | None:
        return self.event_time or self.last_timestamp or self.first_timestamp

    @property
    def is_warning(self) -> bool:
        return self.type == "Warning"


class KubePodStatusSchema(WireModel):
    phase: str = "Pending"
    ready: bool = False
    start_time: datetime | None = None
    is_old: bool = False
    is_canary: bool = False
    host_ip: str | None = None


class PodStatusSummary(WireModel):
    status: str = "Pending"  # Pending | Running | Succeeded | Failed | Unknown | Terminating
    phase: str | None = None
    reason: str | None = None
    container_states: list[Any] = Field(default_factory=list)


class ReplicaUsage(WireModel):
    """Extension (local control plane): OS-level facts of a replica process."""

    pid: int | None = None
    port: int | None = None
    cpu_percent: float | None = None
    memory_bytes: int | None = None


class KubePodSchema(WireModel):
    """A replica."""

    name: str
    namespace: str = ""
    annotations: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    node_name: str = ""
    runner_name: str | None = None
    deployment_target: DeploymentTargetSchema | None = None
    commit_id: str = ""
    status: KubePodStatusSchema = Field(default_factory=KubePodStatusSchema)
    raw_status: dict[str, Any] | None = None
    pod_status: PodStatusSummary = Field(default_factory=PodStatusSummary)
    warnings: list[KubeEvent] = Field(default_factory=list)
    usage: ReplicaUsage | None = None  # extension

    @property
    def restart_count(self) -> int:
        statuses = (self.raw_status or {}).get("containerStatuses") or []
        return sum(int(s.get("restartCount") or 0) for s in statuses)

    @property
    def component(self) -> str:
        return self.runner_name or "api-server"


class AuditEventSchema(BaseSchema):
    """An entry of `GET /api/v1/current_org/events`."""

    resource: dict[str, Any] | None = None
    name: str = ""
    status: AuditEventStatus = AuditEventStatus.SUCCESS
    operation_name: str = ""
    api_token_name: str | None = None
    creator: UserSchema | None = None
    resource_deleted: bool = False


# --------------------------------------------------------------------------- exited replicas (extension)


class ExitedReplicaSchema(WireModel):
    """Extension route `GET …/deployments/{name}/exited_pods`: a replica that is gone but
    whose log is kept (the tail websocket accepts its name)."""

    name: str
    component: str = "api-server"  # "api-server" | "runner" | "image-builder"
    exited_at: datetime
    log_bytes: int = 0


class ReplicaRestartSchema(WireModel):
    """Extension route `POST …/deployments/{name}/pods/{pod}/restart`: the replica stopped
    and the one that replaces it."""

    replaced: str
    by: str


# --------------------------------------------------------------------------- metrics (extension)


class MetricPoint(WireModel):
    t: datetime
    value: float


class ReplicaMetrics(WireModel):
    replica: str
    runner_name: str | None = None
    cpu_percent: list[MetricPoint] = Field(default_factory=list)
    memory_bytes: list[MetricPoint] = Field(default_factory=list)


class DeploymentMetricsSchema(WireModel):
    """Extension route `GET …/deployments/{name}/metrics` of the local control plane."""

    interval_seconds: float = 1.0
    replicas: list[ReplicaMetrics] = Field(default_factory=list)
    requests: list[MetricPoint] = Field(default_factory=list)  # requests per second
    errors: list[MetricPoint] = Field(default_factory=list)  # 5xx per second
    latency_p50_ms: list[MetricPoint] = Field(default_factory=list)
    latency_p95_ms: list[MetricPoint] = Field(default_factory=list)
    replica_count: list[MetricPoint] = Field(default_factory=list)


# --------------------------------------------------------------------------- websockets


class WsServerMessage(WireModel):
    type: Literal["success", "error", "heartbeat"]
    message: str = ""
    payload: Any = None


class WsClientMessage(RequestModel):
    type: Literal["data", "heartbeat"]
    payload: Any = None


class TailRequest(RequestModel):
    id: str
    tail_lines: int | None = Field(default=50, ge=0)
    container_name: str | None = "main"
    since_time: datetime | None = None
    follow: bool = True


class TailPayload(WireModel):
    req_id: str
    type: Literal["replace", "append"]
    items: list[str] = Field(default_factory=list)


class SubscriptionRequest(RequestModel):
    action: Literal["subscribe", "unsubscribe"]
    resource_type: Literal["deployment", "bento", "model"] = "deployment"
    resource_uids: list[str] = Field(default_factory=list)
    # Extension: subscribe to every deployment of a cluster (hears creations and deletions).
    cluster_name: str | None = None


class SubscriptionPush(WireModel):
    resource_type: str
    payload: dict[str, Any]
    # Extension: "created" | "updated" | "deleted"; absent from Yatai's pushes.
    event: str | None = None


# --------------------------------------------------------------------------- helpers

M = TypeVar("M", bound=BaseModel)

# Concrete, not `ListSchema[...]`: see ListEnvelope (start-up time).


class DeploymentListSchema(ListEnvelope):
    items: list[DeploymentSchema] = Field(default_factory=list)


class ClusterListSchema(ListEnvelope):
    items: list[ClusterSchema] = Field(default_factory=list)


class DeploymentRevisionListSchema(ListEnvelope):
    items: list[DeploymentRevisionSchema] = Field(default_factory=list)


class BentoRepositoryListSchema(ListEnvelope):
    items: list[BentoRepositorySchema] = Field(default_factory=list)


class BentoWithRepositoryListSchema(ListEnvelope):
    items: list[BentoWithRepositorySchema] = Field(default_factory=list)


class AuditEventListSchema(ListEnvelope):
    items: list[AuditEventSchema] = Field(default_factory=list)


def parse_response(model: type[M], data: Any) -> M:
    """Validate a server response tolerantly (unknown keys ignored at every level)."""
    return model.model_validate(data, context={"lenient": True})


def format_location(loc: tuple[int | str, ...]) -> str:
    """`("targets", 0, "config")` -> `targets[0].config`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(document)"


def describe_validation_error(error: ValidationError) -> list[str]:
    """One line per problem, each starting with the field path: fit to show a user."""
    lines = []
    for item in error.errors(include_url=False):
        loc = tuple(p for p in item["loc"] if not _is_union_tag(p))
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        lines.append(f"{format_location(loc)}: {message}")
    return lines


def _is_union_tag(part: int | str) -> bool:
    # pydantic puts the tried member of a union into loc ("int", "str", "function-after[...]")
    return isinstance(part, str) and (
        part in {"int", "str", "float", "bool", "none"} or "[" in part
    )


def parse_deployment_file(text: str) -> FullDeploymentSchema:
    """Parse the `--file` JSON strictly; raises DocumentError with line/column or field paths."""
    import json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            [f"line {exc.lineno}, column {exc.colno}: {exc.msg}"], line=exc.lineno, column=exc.colno
        ) from None
    except RecursionError:
        raise DocumentError(["(document): nested too deeply to read"]) from None
    if not isinstance(data, dict):
        raise DocumentError(["(document): expected a JSON object"])
    try:
        return FullDeploymentSchema.model_validate(data)
    except ValidationError as exc:
        raise DocumentError(describe_validation_error(exc)) from None


class DocumentError(ValueError):
    """A deployment document that is not valid JSON or not a valid deployment."""

    def __init__(self, problems: list[str], line: int | None = None, column: int | None = None):
        super().__init__("; ".join(problems))
        self.problems = problems
        self.line = line
        self.column = column
