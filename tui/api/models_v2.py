"""Pydantic v2 models of the BentoCloud v2 deployment API (bentoml 1.2+ / 1.4).

Bodies follow bentoml 1.4.40's `schemas/schemasv2.py` and `modelschemas.py`: requests are
strict about types but, like the real server, ignore keys they do not know (1.4 documents carry
`cluster` and `distributed`, which its own server ignores).  `null` means "not set".  The v1 ⇄
v2 mapping used by the local control plane (one store, two APIs) lives in `tui.api.flavours`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tui.api import models as m
from tui.api.api_version import SCALED_TO_ZERO

TAG_PART = re.compile(r"[a-z0-9]([-._a-z0-9]*[a-z0-9])?")  # bentoml's tag_fmt
TAG_MAX_LENGTH = 63

# Every status a v2 server reports: v1's plus `scaled-to-zero` (never sent to v1 clients).
V2_STATUSES = tuple(s.value for s in m.DeploymentStatus) + (SCALED_TO_ZERO,)


class V2Request(BaseModel):
    """Request-side v2 model: types are checked, unknown keys are ignored (as 1.4's attrs do)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    def to_wire(self) -> dict[str, Any]:
        """The body as the 1.4 client sends it: unset values left out."""
        return self.model_dump(mode="json", exclude_none=True)


class EnvItem(V2Request):
    """A v2 environment variable: `name` (v1 says `key`)."""

    name: str
    value: str = ""


class HPAMetricV2(V2Request):
    type: str
    value: Any = None


class HPAPolicyV2(V2Request):
    metrics: list[HPAMetricV2] | None = None
    scale_down_behavior: str | None = None
    scale_up_behavior: str | None = None
    scale_down_stabilization_window: int | None = None
    scale_up_stabilization_window: int | None = None


class Scaling(V2Request):
    """`services[s].scaling`: v1's `hpa_conf` without the metric shortcuts."""

    min_replicas: int | None = Field(default=None, ge=0)
    max_replicas: int | None = Field(default=None, ge=0)
    policy: HPAPolicyV2 | None = None

    @model_validator(mode="after")
    def _min_not_above_max(self) -> Scaling:
        if (self.min_replicas is not None and self.max_replicas is not None
                and self.min_replicas > self.max_replicas):
            raise ValueError(f"min_replicas ({self.min_replicas}) must not exceed max_replicas "
                             f"({self.max_replicas})")
        return self


def _unique_envs(envs: list[EnvItem] | None) -> list[EnvItem] | None:
    seen: set[str] = set()
    for item in envs or []:
        if not item.name:
            raise ValueError("environment variable names must not be empty")
        if item.name in seen:
            raise ValueError(f"environment variable {item.name!r} is set twice")
        seen.add(item.name)
    return envs


class ServiceConfig(V2Request):
    """One service of a v2 deployment (a bento component)."""

    instance_type: str | None = None
    scaling: Scaling | None = None
    envs: list[EnvItem] | None = None
    deployment_strategy: str | None = None
    extras: dict[str, Any] | None = None
    cold_start_timeout: int | None = Field(default=None, ge=0)
    config_overrides: dict[str, Any] | None = None

    @field_validator("envs")
    @classmethod
    def _envs_unique(cls, envs: list[EnvItem] | None) -> list[EnvItem] | None:
        return _unique_envs(envs)


class Canary(V2Request):
    route_type: Literal["random", "header", "query"] | None = None
    route_by: str | None = None
    versions: dict[str, Any] | None = None


class DeploymentConfigV2(V2Request):
    """What a v2 deployment is configured with: the body minus `bento`, `name`, `dev`."""

    access_authorization: bool = False
    envs: list[EnvItem] | None = None
    labels: list[m.LabelItem] | None = None
    secrets: list[str] | None = None
    services: dict[str, ServiceConfig] = Field(default_factory=dict)
    canary: Canary | None = None

    @field_validator("envs")
    @classmethod
    def _envs_unique(cls, envs: list[EnvItem] | None) -> list[EnvItem] | None:
        return _unique_envs(envs)


class UpdateDeploymentV2(DeploymentConfigV2):
    """PUT /api/v2/deployments/{name}: the whole new config (it replaces the old one)."""

    bento: str = Field(min_length=1, description='"repository:version"')

    @field_validator("bento")
    @classmethod
    def _bento_is_a_tag(cls, bento: str) -> str:
        """BentoML's own tag rule (bentoml/_internal/tag.py), so the form says at once what
        `bentoml deploy` would refuse: each part at most 63 lowercase alphanumerics, `_`, `-`,
        `.`, starting and ending alphanumeric."""
        repo, sep, version = bento.partition(":")
        if not repo or (sep and not version):
            raise ValueError(f'bento {bento!r} is not "repository:version"')
        for part in (repo, version) if sep else (repo,):
            if len(part) > TAG_MAX_LENGTH or not TAG_PART.fullmatch(part.lower()):
                raise ValueError(f"bento {bento!r} is not a BentoML tag: {part!r} must be at most "
                                 f"{TAG_MAX_LENGTH} lowercase letters, digits, '_', '-' or '.', "
                                 "starting and ending with a letter or digit")
        return bento

    @property
    def bento_repository(self) -> str:
        return self.bento.partition(":")[0]

    @property
    def bento_version(self) -> str:
        return self.bento.partition(":")[2]


class CreateDeploymentV2(UpdateDeploymentV2):
    """POST /api/v2/deployments; also the `deploy -f` / `apply -f` document."""

    name: str | None = None
    dev: bool = False

    @field_validator("name")
    @classmethod
    def _name_is_dns_1035(cls, name: str | None) -> str | None:
        if name:
            problem = m.dns_1035_error(name)
            if problem:
                raise ValueError(problem)
        return name


# --------------------------------------------------------------------------- responses


class DeploymentTargetV2(m.ResourceSchema):
    creator: m.UserSchema | None = None
    config: DeploymentConfigV2 | None = None
    bento: m.BentoFullSchema | None = None
    kube_resource_uid: str | None = None
    kube_resource_version: str | None = None

    @property
    def bento_tag(self) -> str:
        if self.bento is None:
            return ""
        repo = self.bento.repository.name if self.bento.repository else "?"
        return f"{repo}:{self.bento.version}"


class DeploymentRevisionV2(m.ResourceSchema):
    creator: m.UserSchema | None = None
    status: str
    targets: list[DeploymentTargetV2 | None] = Field(default_factory=list)


class RoutingManifest(m.WireModel):
    route_type: str | None = None
    route_by: str | None = None
    weights: dict[str, int] | None = None


class DeploymentManifestV2(m.WireModel):
    dev: bool = False
    routing: RoutingManifest | None = None


class DeploymentSchemaV2(m.ResourceSchema):
    status: str
    kube_namespace: str
    creator: m.UserSchema | None = None
    cluster: m.ClusterSchema
    latest_revision: DeploymentRevisionV2 | None = None
    manifest: DeploymentManifestV2 | None = None
    replicas: m.ReplicaCounts | None = None  # extension (local control plane)

    @property
    def target(self) -> DeploymentTargetV2 | None:
        if not self.latest_revision:
            return None
        return next((t for t in self.latest_revision.targets if t is not None), None)


class DeploymentFullSchemaV2(DeploymentSchemaV2):
    urls: list[str] = Field(default_factory=list)


class DeploymentListV2(m.ListEnvelope):
    """GET /api/v2/deployments (concrete, not `ListSchema[...]`: start-up time, see ListEnvelope)."""

    items: list[DeploymentFullSchemaV2] = Field(default_factory=list)


class GPUConfig(m.WireModel):
    type: str = ""
    memory: str = ""


class InstanceTypeConfig(m.ResourceInstanceConfig):
    gpu_config: GPUConfig | None = None


class InstanceTypeSchema(m.ResourceInstanceSchema):
    """GET /api/v1/instance_types?cluster= answers a bare array of these."""

    config: InstanceTypeConfig = Field(default_factory=InstanceTypeConfig)
