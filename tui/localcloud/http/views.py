"""Store rows and replica states rendered as API schemas (tui.api.models).

The server answers with exactly these objects, so every field the reference marks required is
present with the enum values the real clients accept.
"""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tui.api import models as m
from tui.api.flavours import split_target
from tui.localcloud.state.store import AuditRow, BentoRow, DeploymentRow, EventRow, RevisionRow, new_uid

BENTOML_VERSION = "1.1.11"


@dataclass
class Identity:
    """The single user, organization and cluster of a local control plane."""

    user: m.UserSchema
    organization: m.OrganizationSchema
    cluster: m.ClusterFullSchema
    node_name: str

    @property
    def cluster_name(self) -> str:
        return self.cluster.name

    @property
    def namespace(self) -> str:
        return self.cluster.config.default_deployment_kube_namespace


def build_identity(meta: Any) -> Identity:
    """`meta(key, default)` returns persistent values, so uids survive restarts."""
    created = datetime.fromisoformat(meta("created_at", datetime.now(timezone.utc).isoformat()))
    login = _login_name()
    user = m.UserSchema(
        uid=meta("user_uid", _uid()),
        name=login,
        email=f"{login}@localhost",
        first_name=login,
        last_name="",
        resource_type=m.ResourceType.USER,
        labels=[],
        created_at=created,
        updated_at=created,
    )
    org = m.OrganizationSchema(
        uid=meta("org_uid", _uid()),
        name="local",
        resource_type=m.ResourceType.ORGANIZATION,
        labels=[],
        created_at=created,
        updated_at=created,
        description="The organization of this machine's local control plane",
        creator=user,
    )
    cluster = m.ClusterFullSchema(
        uid=meta("cluster_uid", _uid()),
        name="default",
        resource_type=m.ResourceType.CLUSTER,
        labels=[],
        created_at=created,
        updated_at=created,
        description="Replicas run as processes on this machine",
        creator=user,
        organization_name=org.name,
        organization=org,
        kube_config="",
        config=m.ClusterConfigSchema(default_deployment_kube_namespace="yatai"),
        grafana_root_path="",
        resource_instances=[
            _instance(created, "cpu.small", "Small CPU", "500m", "1Gi"),
            _instance(created, "cpu.medium", "Medium CPU", "1000m", "2Gi"),
            _instance(created, "cpu.large", "Large CPU", "2000m", "4Gi"),
        ],
    )
    return Identity(user=user, organization=org, cluster=cluster, node_name=socket.gethostname())


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "admin"


def _uid() -> str:
    return new_uid()


def _instance(created: datetime, name: str, title: str, cpu: str, memory: str) -> m.ResourceInstanceSchema:
    resources = m.DeploymentTargetResources(
        requests=m.ResourceItem(cpu=cpu, memory=memory), limits=m.ResourceItem(cpu=cpu, memory=memory)
    )
    return m.ResourceInstanceSchema(
        uid=name.replace(".", "-"),
        name=name,
        resource_type=m.ResourceType.RESOURCE_INSTANCE,
        labels=[],
        created_at=created,
        updated_at=created,
        display_name=title,
        description=f"{cpu} CPU, {memory} memory",
        config=m.ResourceInstanceConfig(group="cpu", resources=resources, price=""),
    )


# ----------------------------------------------------------------------------- bentos


def bento_repository(ident: Identity, row: BentoRow, latest: BentoRow | None = None,
                     n_bentos: int | None = None, n_deployments: int | None = None
                     ) -> m.BentoRepositorySchema:
    return m.BentoRepositorySchema(
        uid=row.repository_uid,
        name=row.repository,
        resource_type=m.ResourceType.BENTO_REPOSITORY,
        labels=[],
        created_at=row.repository_created_at,
        updated_at=row.repository_created_at,
        description=row.repository_description,
        latest_bento=bento(ident, latest) if latest else None,
        n_bentos=n_bentos,
        n_deployments=n_deployments,
        creator=ident.user,
    )


def bento(ident: Identity, row: BentoRow) -> m.BentoFullSchema:
    return m.BentoFullSchema(
        uid=row.uid,
        name=row.version,
        version=row.version,
        resource_type=m.ResourceType.BENTO,
        labels=row.labels,
        created_at=row.created_at,
        updated_at=row.updated_at,
        description=row.description,
        # samples carry the defaults (built in, nothing uploaded); pushed bentos their real state
        image_build_status=m.ImageBuildStatus(row.image_build_status),
        upload_status=m.UploadStatus(row.upload_status),
        upload_finished_reason=row.upload_finished_reason,
        presigned_upload_url="",
        presigned_download_url="",
        transmission_strategy=m.TransmissionStrategy.PROXY,
        upload_started_at=row.created_at if row.origin == "sample" else row.upload_started_at,
        upload_finished_at=row.created_at if row.origin == "sample" else row.upload_finished_at,
        build_at=row.build_at or row.created_at,
        manifest=_manifest(row),
        creator=ident.user,
        repository=bento_repository(ident, row),
        models=[],
    )


def _manifest(row: BentoRow) -> m.BentoManifestSchema:
    """The stored manifest with the repository `name` bentoml 1.4 builds its tag from."""
    manifest = m.BentoManifestSchema.model_validate(row.manifest)
    if not manifest.name:
        manifest.name = row.repository
    return manifest


# ----------------------------------------------------------------------------- deployments


def revision(ident: Identity, row: RevisionRow, bentos: dict[tuple[str, str], BentoRow]) -> m.DeploymentRevisionSchema:
    targets = []
    for index, target in enumerate(row.targets):
        spec = m.CreateDeploymentTargetSchema.model_validate(split_target(target)[0])
        bento_row = bentos.get((spec.bento_repository, spec.bento))
        if bento_row is None:  # the bento was removed from the registry after deploying
            bento_schema = _missing_bento(ident, spec, row.created_at)
        else:
            bento_schema = bento(ident, bento_row)
        targets.append(
            m.DeploymentTargetSchema(
                uid=f"{row.uid}-{index}",
                name=f"{row.uid}-{index}",
                # Yatai uses this resource type for targets; the 1.1 client rejects any other.
                resource_type=m.ResourceType.DEPLOYMENT_REVISION,
                labels=[],
                created_at=row.created_at,
                updated_at=row.updated_at,
                creator=ident.user,
                type=spec.type,
                bento=bento_schema,
                config=spec.config or m.DeploymentTargetConfig(),
                canary_rules=spec.canary_rules,
            )
        )
    return m.DeploymentRevisionSchema(
        uid=row.uid,
        name=row.uid,
        resource_type=m.ResourceType.DEPLOYMENT_REVISION,
        labels=[],
        created_at=row.created_at,
        updated_at=row.updated_at,
        creator=ident.user,
        status=m.DeploymentRevisionStatus(row.status),
        targets=targets,
    )


def _missing_bento(ident: Identity, spec: m.CreateDeploymentTargetSchema, at: datetime) -> m.BentoFullSchema:
    return m.BentoFullSchema(
        uid="",
        name=spec.bento,
        version=spec.bento,
        resource_type=m.ResourceType.BENTO,
        labels=[],
        created_at=at,
        description="(no longer in the registry)",
        manifest=m.BentoManifestSchema(service="", bentoml_version="", size_bytes=0),
        repository=m.BentoRepositorySchema(
            uid="", name=spec.bento_repository, resource_type=m.ResourceType.BENTO_REPOSITORY,
            labels=[], created_at=at, description="",
        ),
    )


def deployment(ident: Identity, row: DeploymentRow, bentos: dict[tuple[str, str], BentoRow],
               gateway_base: str) -> m.DeploymentSchema:
    latest = revision(ident, row.active_revision, bentos) if row.active_revision else None
    return m.DeploymentSchema(
        uid=row.uid,
        name=row.name,
        resource_type=m.ResourceType.DEPLOYMENT,
        labels=[m.LabelItem.model_validate(x) for x in row.labels],
        created_at=row.created_at,
        updated_at=row.updated_at,
        creator=ident.user,
        cluster=ident.cluster,
        status=m.DeploymentStatus(row.status),
        kube_namespace=row.namespace,
        latest_revision=latest,
        mode=m.DeploymentMode(row.mode),
        urls=[f"{gateway_base}/gw/{row.cluster}/{row.name}"],
        description=row.description,
    )


# ----------------------------------------------------------------------------- events


def kube_event(ident: Identity, row: EventRow, deployment_name: str, namespace: str) -> m.KubeEvent:
    return m.KubeEvent(
        metadata=m.KubeEventMetadata(
            name=f"{row.object_name}.{row.id:x}",
            namespace=namespace,
            uid=row.uid,
            resource_version=str(row.id),
            creation_timestamp=row.created_at,
        ),
        involved_object=m.KubeObjectReference(
            kind=row.object_kind, name=row.object_name, namespace=namespace,
            uid=f"{deployment_name}/{row.object_name}",
        ),
        reason=row.reason,
        message=row.message,
        type=row.type,
        count=1,
        first_timestamp=row.created_at,
        last_timestamp=row.created_at,
        event_time=row.created_at,
        source=m.KubeEventSource(component="bentotui-localcloud", host=ident.node_name),
    )


def audit_event(ident: Identity, row: AuditRow) -> m.AuditEventSchema:
    return m.AuditEventSchema(
        uid=row.uid,
        created_at=row.created_at,
        updated_at=row.created_at,
        resource={"uid": row.resource_uid, "name": row.resource_name,
                  "resource_type": row.resource_type},
        name=row.resource_name,
        status=m.AuditEventStatus.SUCCESS,
        operation_name=row.operation_name,
        creator=ident.user,
        resource_deleted=row.operation_name == "deleted",
    )


# ----------------------------------------------------------------------------- replicas


def pod(ident: Identity, deployment_row: DeploymentRow, replica: Any,
        warnings: list[m.KubeEvent]) -> m.KubePodSchema:
    """A runtime ReplicaInfo as Yatai's KubePodSchema."""
    component = "runner" if replica.runner_name else "api-server"
    phase = replica.phase
    if replica.terminating:
        summary = "Terminating"
    elif phase == "Running" and not replica.ready:
        summary = "Pending"
    else:
        summary = phase
    labels = {
        "yatai.ai/bento-deployment": deployment_row.name,
        "yatai.ai/bento-deployment-component-type": component,
        "yatai.ai/bento-deployment-target-type": "stable",
    }
    if replica.runner_name:
        labels["yatai.ai/bento-deployment-component-name"] = replica.runner_name
    if deployment_row.active_revision and deployment_row.active_revision.targets:
        target = deployment_row.active_revision.targets[0]
        labels["yatai.ai/bento-repository"] = target.get("bento_repository", "")
        labels["yatai.ai/bento"] = target.get("bento", "")
    start = replica.start_time
    container_state: dict[str, Any]
    if phase == "Running":
        container_state = {"running": {"startedAt": _ts(start)}}
    elif phase == "Failed":
        container_state = {"waiting": {"reason": "CrashLoopBackOff",
                                        "message": f"exit code {replica.last_exit_code}"}}
    else:
        container_state = {"waiting": {"reason": "ContainerCreating"}}
    raw_status = {
        "phase": phase,
        "hostIP": "127.0.0.1",
        "podIP": "127.0.0.1",
        "startTime": _ts(replica.created_at),
        "conditions": [
            {"type": "Ready", "status": "True" if replica.ready else "False"},
        ],
        "containerStatuses": [
            {
                "name": "main",
                "image": f"{labels.get('yatai.ai/bento-repository', '')}:{labels.get('yatai.ai/bento', '')}",
                "ready": replica.ready,
                "started": phase == "Running",
                "restartCount": replica.restart_count,
                "containerID": f"pid://{replica.pid}" if replica.pid else "",
                "state": container_state,
                "lastState": (
                    {"terminated": {"exitCode": replica.last_exit_code}}
                    if replica.last_exit_code is not None else {}
                ),
            }
        ],
    }
    return m.KubePodSchema(
        name=replica.name,
        namespace=deployment_row.namespace,
        annotations={},
        labels=labels,
        node_name=ident.node_name,
        runner_name=replica.runner_name,
        commit_id="",
        status=m.KubePodStatusSchema(
            phase=phase, ready=replica.ready, start_time=start,
            is_old=replica.revision_uid != (deployment_row.active_revision.uid
                                            if deployment_row.active_revision else None),
            is_canary=False, host_ip="127.0.0.1",
        ),
        raw_status=raw_status,
        pod_status=m.PodStatusSummary(status=summary, phase=phase),
        warnings=warnings,
        usage=m.ReplicaUsage(pid=replica.pid, port=replica.port,
                             cpu_percent=replica.cpu_percent, memory_bytes=replica.memory_bytes),
    )


def _ts(dt: datetime | None) -> str | None:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None
