"""Store rows rendered as v2 API schemas (tui.api.models_v2), beside views.py's v1 ones.

The v1 rendering is the base (same uids, bento, cluster, urls); only the target config (v2
`services`), the status (`scaled-to-zero` exists only here) and the manifest differ.
"""

from __future__ import annotations

from typing import Any

from tui.api import flavours
from tui.api import models as m
from tui.api import models_v2 as v2
from tui.localcloud.http import views
from tui.localcloud.state.store import BentoRow, DeploymentRow


def v2_status(row: DeploymentRow, ready: int, desired: int) -> str:
    """`scaled-to-zero`: a running scale-to-zero deployment with no replica wanted right now."""
    if row.status == m.DeploymentStatus.RUNNING.value and row.mode == m.DeploymentMode.FUNCTION.value \
            and desired == 0 and ready == 0:
        return v2.SCALED_TO_ZERO
    return row.status


def entry_service(bentos: dict[tuple[str, str], BentoRow], repository: str, version: str) -> str:
    row = bentos.get((repository, version))
    return str((row.manifest or {}).get("entry_service") or "") if row else ""


def runner_names(bento: BentoRow | None) -> list[str]:
    if bento is None:
        return []
    return [r["name"] for r in bento.manifest.get("runners") or [] if isinstance(r, dict)]


def deployment(ident: views.Identity, row: DeploymentRow, bentos: dict[tuple[str, str], BentoRow],
               gateway_base: str, ready: int, desired: int) -> v2.DeploymentFullSchemaV2:
    base = views.deployment(ident, row, bentos, gateway_base)
    latest = None
    if base.latest_revision is not None and row.active_revision is not None:
        targets = []
        for stored, target in zip(row.active_revision.targets, base.latest_revision.targets, strict=False):
            repo = target.bento.repository.name if target.bento.repository else ""
            config = flavours.stored_config_v2(stored, base.labels,
                                               entry_service(bentos, repo, target.bento.version))
            targets.append(v2.DeploymentTargetV2(
                uid=target.uid, name=target.name, resource_type=target.resource_type, labels=[],
                created_at=target.created_at, updated_at=target.updated_at, creator=target.creator,
                config=config, bento=target.bento, kube_resource_uid="", kube_resource_version="",
            ))
        rev = base.latest_revision
        latest = v2.DeploymentRevisionV2(
            uid=rev.uid, name=rev.name, resource_type=rev.resource_type, labels=[],
            created_at=rev.created_at, updated_at=rev.updated_at, creator=rev.creator,
            status=rev.status.value, targets=targets,
        )
    return v2.DeploymentFullSchemaV2(
        uid=base.uid, name=base.name, resource_type=base.resource_type, labels=base.labels,
        created_at=base.created_at, updated_at=base.updated_at, creator=base.creator,
        cluster=m.ClusterSchema.model_validate(ident.cluster.model_dump()),
        status=v2_status(row, ready, desired), kube_namespace=base.kube_namespace,
        latest_revision=latest, manifest=v2.DeploymentManifestV2(dev=False), urls=base.urls,
        replicas=m.ReplicaCounts(ready=ready, desired=desired),
    )


def dump(model: Any) -> bytes:
    return model.model_dump_json(by_alias=True, exclude={"cluster": {"organization", "config",
                                                                      "resource_instances"}}).encode()


def instance_types(ident: views.Identity) -> list[v2.InstanceTypeSchema]:
    """The cluster's resource instances, as `GET /api/v1/instance_types` lists them."""
    return [v2.InstanceTypeSchema.model_validate(r.model_dump()) for r in ident.cluster.resource_instances]
