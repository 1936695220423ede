"""One deployment view model that both API flavours map to, so screens never branch on JSON.

`from_v1` and `from_v2` are the only places that know the two shapes; a screen reads
`DeploymentView` (services with instance type, scaling and envs; status as the server said it,
`scaled-to-zero` included) whichever endpoint it talks to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from tui.api import flavours
from tui.api import models as m
from tui.api import models_v2 as v2
from tui.api.api_version import Flavour, v2_status  # noqa: F401 (importable from here, as before)


@dataclass(frozen=True)
class ServiceView:
    """One component: the API server or a runner (v1), one service (v2)."""

    name: str
    instance_type: str | None = None
    min_replicas: int | None = None
    max_replicas: int | None = None
    envs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DeploymentView:
    flavour: Flavour
    name: str
    cluster: str
    status: str
    bento: str  # "repository:version", "" when there is no active revision
    creator: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    urls: tuple[str, ...] = ()
    access_authorization: bool = False
    services: tuple[ServiceView, ...] = ()
    envs: tuple[tuple[str, str], ...] = ()  # deployment-wide (v2 only)
    secrets: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    description: str = ""
    replicas_ready: int | None = None
    replicas_desired: int | None = None
    revision_uid: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def scaled_to_zero(self) -> bool:
        return self.status == v2.SCALED_TO_ZERO

    @property
    def terminated(self) -> bool:
        return self.status == m.DeploymentStatus.TERMINATED.value


def revision_body_v2(d: m.DeploymentSchema,
                     revision: m.DeploymentRevisionSchema) -> v2.UpdateDeploymentV2 | None:
    """A revision as the v2 PUT body that redeploys it (its first target read as v2 services);
    None when the revision has no target."""
    document = d.model_copy(update={"latest_revision": revision}).to_file_document()
    if not document.targets:
        return None
    target = document.targets[0]
    manifest = d.target.bento.manifest if d.target else None
    config = flavours.v1_to_v2(target, list(d.labels) or None,
                               manifest.entry_service if manifest else None)
    return v2.UpdateDeploymentV2(bento=f"{target.bento_repository}:{target.bento}",
                                 **config.model_dump(exclude_none=True))


def _services(config: v2.DeploymentConfigV2) -> tuple[ServiceView, ...]:
    out = []
    for name, service in config.services.items():
        scaling = service.scaling
        out.append(ServiceView(
            name=name,
            instance_type=service.instance_type,
            min_replicas=scaling.min_replicas if scaling else None,
            max_replicas=scaling.max_replicas if scaling else None,
            envs=tuple((e.name, e.value) for e in service.envs or []),
        ))
    return tuple(out)


class _Common(TypedDict):
    """The `DeploymentView` fields both flavours fill the same way."""

    name: str
    cluster: str
    creator: str
    created_at: datetime | None
    updated_at: datetime | None
    labels: tuple[tuple[str, str], ...]
    replicas_ready: int | None
    replicas_desired: int | None
    revision_uid: str


def _common(d: m.DeploymentSchema | v2.DeploymentSchemaV2) -> _Common:
    return {
        "name": d.name,
        "cluster": d.cluster.name,
        "creator": d.creator.name if d.creator else "",
        "created_at": d.created_at,
        "updated_at": d.updated_at,
        "labels": tuple((label.key, label.value) for label in d.labels),
        "replicas_ready": d.replicas.ready if d.replicas else None,
        "replicas_desired": d.replicas.desired if d.replicas else None,
        "revision_uid": d.latest_revision.uid if d.latest_revision else "",
    }


def from_v1(d: m.DeploymentSchema) -> DeploymentView:
    """A v1 deployment; its target config read as v2 services (API server, then runners)."""
    target = d.target
    config = v2.DeploymentConfigV2()
    if target is not None:
        spec = m.CreateDeploymentTargetSchema(
            bento_repository=target.bento.repository.name if target.bento.repository else "?",
            bento=target.bento.name, config=target.config)
        entry = target.bento.manifest.entry_service if target.bento.manifest else None
        config = flavours.v1_to_v2(spec, None, entry)
    return DeploymentView(
        flavour="v1", status=d.status.value, bento=d.bento_tag, urls=tuple(d.urls),
        access_authorization=config.access_authorization, services=_services(config),
        description=d.description or "", **_common(d),
    )


def from_v2(d: v2.DeploymentSchemaV2) -> DeploymentView:
    target = d.target
    config = target.config if target and target.config else v2.DeploymentConfigV2()
    urls = tuple(d.urls) if isinstance(d, v2.DeploymentFullSchemaV2) else ()
    return DeploymentView(
        flavour="v2", status=d.status, bento=target.bento_tag if target else "", urls=urls,
        access_authorization=config.access_authorization, services=_services(config),
        envs=tuple((e.name, e.value) for e in config.envs or []),
        secrets=tuple(config.secrets or ()), **_common(d),
    )
