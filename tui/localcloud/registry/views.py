"""Registry rows as API schemas (models, and repositories that have no version yet)."""

from __future__ import annotations

from tui.api import models as m
from tui.localcloud.http.views import Identity
from tui.localcloud.registry.records import ModelRow, RepositoryRow


def model_repository(ident: Identity, repo: RepositoryRow, latest: ModelRow | None = None,
                     n_models: int | None = None) -> m.ModelRepositorySchema:
    return m.ModelRepositorySchema(
        uid=repo.uid, name=repo.name, resource_type=m.ResourceType.MODEL_REPOSITORY, labels=[],
        created_at=repo.created_at, updated_at=repo.updated_at, description=repo.description,
        latest_model=model(ident, latest) if latest else None, n_models=n_models,
        creator=ident.user)


def model(ident: Identity, row: ModelRow, with_repository: bool = False
          ) -> m.ModelWithRepositorySchema:
    return m.ModelWithRepositorySchema(
        uid=row.uid, name=row.version, version=row.version,
        resource_type=m.ResourceType.MODEL, labels=row.labels, created_at=row.created_at,
        updated_at=row.updated_at, description=row.description,
        # a model is stored, never built into an image: there is nothing to build
        image_build_status=m.ImageBuildStatus.SUCCESS,
        upload_status=m.UploadStatus(row.upload_status),
        upload_finished_reason=row.upload_finished_reason,
        transmission_strategy=m.TransmissionStrategy.PROXY,
        upload_started_at=row.upload_started_at, upload_finished_at=row.upload_finished_at,
        build_at=row.build_at, manifest=m.ModelManifestSchema.model_validate(row.manifest),
        creator=ident.user,
        repository=model_repository(ident, row.repository) if with_repository else None)


def empty_bento_repository(ident: Identity, repo: RepositoryRow) -> m.BentoRepositorySchema:
    """A bento repository created by a push that has not registered a version yet."""
    return m.BentoRepositorySchema(
        uid=repo.uid, name=repo.name, resource_type=m.ResourceType.BENTO_REPOSITORY, labels=[],
        created_at=repo.created_at, updated_at=repo.updated_at, description=repo.description,
        latest_bento=None, n_bentos=0, n_deployments=0, creator=ident.user)
