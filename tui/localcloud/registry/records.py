"""Registry rows: pushed bentos (in the store's `bentos` table) and models (`models`).

The store owns the SQLite connection and its transaction discipline; this module only adds the
statements the push protocol needs, so the store itself stays about deployments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.localcloud.state.store import BentoRow, Store, iso, new_uid, now, parse_iso

KINDS = ("bento", "model")


@dataclass
class RepositoryRow:
    id: int
    uid: str
    name: str
    description: str
    created_at: datetime
    updated_at: datetime


@dataclass
class ModelRow:
    id: int
    uid: str
    repository: RepositoryRow
    version: str
    description: str
    manifest: dict[str, Any]
    labels: list[dict[str, str]]
    upload_status: str
    upload_finished_reason: str
    upload_started_at: datetime | None
    upload_finished_at: datetime | None
    build_at: datetime | None
    created_at: datetime
    updated_at: datetime


def _dt(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


class Records:
    """Registry statements over the control plane's store (one transaction each)."""

    def __init__(self, store: Store):
        self.store = store

    # ------------------------------------------------------------------ repositories

    @staticmethod
    def _table(kind: str) -> str:
        assert kind in KINDS
        return "bento_repositories" if kind == "bento" else "model_repositories"

    def repository(self, kind: str, name: str) -> RepositoryRow | None:
        rows = self.store._query(f"SELECT * FROM {self._table(kind)} WHERE name = ?", (name,))
        return self._repository(rows[0]) if rows else None

    def repositories(self, kind: str) -> list[RepositoryRow]:
        rows = self.store._query(f"SELECT * FROM {self._table(kind)} ORDER BY id DESC")
        return [self._repository(r) for r in rows]

    def create_repository(self, kind: str, name: str, description: str) -> RepositoryRow:
        """Creates it, or returns the existing one (a push retried after a crash is no error)."""
        ts = iso(now())
        with self.store._tx(deployments=False) as c:
            c.execute(
                f"INSERT OR IGNORE INTO {self._table(kind)}(uid, name, description, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?)", (new_uid(), name, description, ts, ts))
        found = self.repository(kind, name)
        assert found is not None
        return found

    @staticmethod
    def _repository(row: Any) -> RepositoryRow:
        return RepositoryRow(row["id"], row["uid"], row["name"], row["description"],
                             parse_iso(row["created_at"]), parse_iso(row["updated_at"]))

    # ------------------------------------------------------------------ bentos

    def create_bento(self, repository: RepositoryRow, version: str, description: str,
                     manifest: dict[str, Any], labels: list[dict[str, str]],
                     build_at: datetime | None, path: str) -> BentoRow:
        ts = iso(now())
        with self.store._tx() as c:
            c.execute(
                "INSERT INTO bentos(uid, repository_id, version, description, manifest, path, "
                "created_at, updated_at, origin, labels, upload_status, build_at, "
                "image_build_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'push', ?, 'pending', ?, "
                "'pending')",
                (new_uid(), repository.id, version, description, json.dumps(manifest), path, ts,
                 ts, json.dumps(labels), iso(build_at) if build_at else ts))
            c.execute("UPDATE bento_repositories SET updated_at = ? WHERE id = ?",
                      (ts, repository.id))
        row = self.store.get_bento(repository.name, version)
        assert row is not None
        return row

    def update_bento(self, row: BentoRow, **changes: Any) -> BentoRow:
        """Sets columns of a pushed bento (`manifest`/`labels` as Python values)."""
        self._update("bentos", row.id, changes)
        updated = self.store.get_bento(row.repository, row.version)
        assert updated is not None
        return updated

    # ------------------------------------------------------------------ models

    _MODEL_SELECT = (
        "SELECT m.*, r.id AS r_id, r.uid AS r_uid, r.name AS r_name, "
        "r.description AS r_description, r.created_at AS r_created_at, "
        "r.updated_at AS r_updated_at FROM models m "
        "JOIN model_repositories r ON r.id = m.repository_id ")

    def model(self, repository: str, version: str) -> ModelRow | None:
        rows = self.store._query(self._MODEL_SELECT + "WHERE r.name = ? AND m.version = ?",
                                 (repository, version))
        return self._model(rows[0]) if rows else None

    def models(self, repository: str | None = None) -> list[ModelRow]:
        if repository is None:
            rows = self.store._query(self._MODEL_SELECT + "ORDER BY m.id DESC")
        else:
            rows = self.store._query(self._MODEL_SELECT + "WHERE r.name = ? ORDER BY m.id DESC",
                                     (repository,))
        return [self._model(r) for r in rows]

    def create_model(self, repository: RepositoryRow, version: str, description: str,
                     manifest: dict[str, Any], labels: list[dict[str, str]],
                     build_at: datetime | None) -> ModelRow:
        ts = iso(now())
        with self.store._tx(deployments=False) as c:
            c.execute(
                "INSERT INTO models(uid, repository_id, version, description, manifest, labels, "
                "build_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (new_uid(), repository.id, version, description, json.dumps(manifest),
                 json.dumps(labels), iso(build_at) if build_at else ts, ts, ts))
            c.execute("UPDATE model_repositories SET updated_at = ? WHERE id = ?",
                      (ts, repository.id))
        row = self.model(repository.name, version)
        assert row is not None
        return row

    def update_model(self, row: ModelRow, **changes: Any) -> ModelRow:
        self._update("models", row.id, changes)
        updated = self.model(row.repository.name, row.version)
        assert updated is not None
        return updated

    @staticmethod
    def _model(row: Any) -> ModelRow:
        repository = RepositoryRow(row["r_id"], row["r_uid"], row["r_name"], row["r_description"],
                                   parse_iso(row["r_created_at"]), parse_iso(row["r_updated_at"]))
        return ModelRow(
            id=row["id"], uid=row["uid"], repository=repository, version=row["version"],
            description=row["description"], manifest=json.loads(row["manifest"]),
            labels=json.loads(row["labels"]), upload_status=row["upload_status"],
            upload_finished_reason=row["upload_finished_reason"],
            upload_started_at=_dt(row["upload_started_at"]),
            upload_finished_at=_dt(row["upload_finished_at"]),
            build_at=_dt(row["build_at"]), created_at=parse_iso(row["created_at"]),
            updated_at=parse_iso(row["updated_at"]))

    # ------------------------------------------------------------------ shared

    UPDATABLE = {"description", "manifest", "labels", "upload_status", "upload_finished_reason",
                 "upload_started_at", "upload_finished_at", "image_build_status"}

    def _update(self, table: str, row_id: int, changes: dict[str, Any]) -> None:
        unknown = set(changes) - self.UPDATABLE
        assert not unknown, unknown
        if table == "models":
            changes.pop("image_build_status", None)
        columns, values = [], []
        for key, value in changes.items():
            if key in ("manifest", "labels"):
                value = json.dumps(value)
            elif isinstance(value, datetime):
                value = iso(value)
            columns.append(f"{key} = ?")
            values.append(value)
        columns.append("updated_at = ?")
        values.append(iso(now()))
        with self.store._tx(deployments=table == "bentos") as c:
            c.execute(f"UPDATE {table} SET {', '.join(columns)} WHERE id = ?", (*values, row_id))

    def fail_interrupted(self, reason: str) -> int:
        """Marks uploads left `uploading` by a stopped control plane as failed; returns how many."""
        ts = iso(now())
        count = 0
        with self.store._tx() as c:
            for table in ("bentos", "models"):
                cur = c.execute(
                    f"UPDATE {table} SET upload_status = 'failed', upload_finished_reason = ?, "
                    "upload_finished_at = ?, updated_at = ? WHERE upload_status = 'uploading'",
                    (reason, ts, ts))
                count += cur.rowcount
        return count
