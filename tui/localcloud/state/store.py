"""SQLite persistence of the local control plane.

Every mutation runs in one transaction (`with self._tx()`), in WAL mode, so a `kill -9` at any
moment leaves either the whole change or none of it: never a revision without its deployment
or a deployment without its active revision.  Rows are returned as small dataclasses; turning
them into API schemas is `views.py`'s job.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bento_repositories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bentos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    repository_id INTEGER NOT NULL REFERENCES bento_repositories(id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    manifest TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (repository_id, version)
);
CREATE TABLE IF NOT EXISTS deployments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    cluster TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    mode TEXT NOT NULL,
    labels TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL,
    desired TEXT NOT NULL,            -- 'running' | 'terminated'
    creator TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,   -- bumped by every write: keys the render cache
    UNIQUE (cluster, namespace, name)
);
CREATE INDEX IF NOT EXISTS deployments_cluster ON deployments(cluster, id);
CREATE TABLE IF NOT EXISTS revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    deployment_id INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    status TEXT NOT NULL,             -- 'active' | 'inactive'
    targets TEXT NOT NULL,            -- JSON list of CreateDeploymentTargetSchema wire dicts
    creator TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS revisions_deployment ON revisions(deployment_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS revisions_one_active
    ON revisions(deployment_id) WHERE status = 'active';
CREATE TABLE IF NOT EXISTS kube_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- doubles as resourceVersion
    uid TEXT NOT NULL UNIQUE,
    deployment_id INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    message TEXT NOT NULL,
    type TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS kube_events_deployment ON kube_events(deployment_id, id);
CREATE TABLE IF NOT EXISTS audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    resource_type TEXT NOT NULL,
    resource_uid TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    operation_name TEXT NOT NULL,
    creator TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS model_repositories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS models (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    repository_id INTEGER NOT NULL REFERENCES model_repositories(id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    manifest TEXT NOT NULL,
    labels TEXT NOT NULL DEFAULT '[]',
    upload_status TEXT NOT NULL DEFAULT 'pending',
    upload_finished_reason TEXT NOT NULL DEFAULT '',
    upload_started_at TEXT,
    upload_finished_at TEXT,
    build_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (repository_id, version)
);
"""

# Columns added after the first release: (table, column, definition).  `CREATE TABLE IF NOT
# EXISTS` leaves an older database's tables as they were, so these are added on open.
ADDED_COLUMNS = [
    ("deployments", "version", "INTEGER NOT NULL DEFAULT 0"),
    # registry writes (issue 14): pushed bentos and their upload state; samples keep the defaults
    ("bentos", "origin", "TEXT NOT NULL DEFAULT 'sample'"),
    ("bentos", "labels", "TEXT NOT NULL DEFAULT '[]'"),
    ("bentos", "upload_status", "TEXT NOT NULL DEFAULT 'success'"),
    ("bentos", "upload_finished_reason", "TEXT NOT NULL DEFAULT ''"),
    ("bentos", "upload_started_at", "TEXT"),
    ("bentos", "upload_finished_at", "TEXT"),
    ("bentos", "build_at", "TEXT"),
    ("bentos", "image_build_status", "TEXT NOT NULL DEFAULT 'success'"),
]

# Events kept per deployment; older ones are pruned so a crash-looping replica cannot grow the
# database without bound.
MAX_EVENTS_PER_DEPLOYMENT = 2000


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _maybe_iso(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def new_uid() -> str:
    return uuid.uuid4().hex[:20]


class Conflict(Exception):
    """A mutation that the current state forbids (duplicate name, not terminated, ...)."""


class NotFound(Exception):
    """The record does not exist."""


class StorageError(Exception):
    """SQLite could not do what was asked (disk full, I/O error, a corrupt file).  Nothing of
    the transaction was kept; `full` says the disk or the database is full (HTTP 507)."""

    def __init__(self, message: str, full: bool = False) -> None:
        super().__init__(message)
        self.full = full


def storage_error(exc: BaseException) -> StorageError:
    """The StorageError for a sqlite3 (or decoding) error, saying what went wrong."""
    full = isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorname", "") in (
        "SQLITE_FULL", "SQLITE_IOERR_WRITE") or "full" in str(exc)
    text = str(exc)
    if isinstance(exc, UnicodeDecodeError) or "decode to UTF-8" in text:
        column = re.search(r"column '([A-Za-z_]+)'", text)
        where = f" (column {column.group(1)})" if column else ""
        return StorageError(f"the database holds text that is not UTF-8{where}")
    # SQLite's message may quote stored bytes: shown escaped, never raw
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return StorageError(f"storage error: {text}", full=full)


@dataclass
class BentoRow:
    id: int
    uid: str
    repository: str
    repository_uid: str
    repository_description: str
    repository_created_at: datetime
    version: str
    description: str
    manifest: dict[str, Any]
    path: str
    created_at: datetime
    updated_at: datetime
    origin: str = "sample"  # 'sample' (shipped, runnable) | 'push' (bentoml push)
    labels: list[dict[str, str]] = field(default_factory=list)
    upload_status: str = "success"
    upload_finished_reason: str = ""
    upload_started_at: datetime | None = None
    upload_finished_at: datetime | None = None
    build_at: datetime | None = None
    image_build_status: str = "success"


@dataclass
class RevisionRow:
    id: int
    uid: str
    deployment_id: int
    status: str
    targets: list[dict[str, Any]]
    creator: str
    created_at: datetime
    updated_at: datetime


@dataclass
class DeploymentRow:
    id: int
    uid: str
    cluster: str
    namespace: str
    name: str
    description: str | None
    mode: str
    labels: list[dict[str, str]]
    status: str
    desired: str
    creator: str
    created_at: datetime
    updated_at: datetime
    version: int = 0
    active_revision: RevisionRow | None = field(default=None)


@dataclass
class EventRow:
    id: int
    uid: str
    deployment_id: int
    reason: str
    message: str
    type: str
    object_kind: str
    object_name: str
    created_at: datetime


@dataclass
class AuditRow:
    id: int
    uid: str
    resource_type: str
    resource_uid: str
    resource_name: str
    operation_name: str
    creator: str
    created_at: datetime


@dataclass
class DeploymentQuery:
    """A parsed deployments list query (`start`, `count`, `search`, Yatai's `q`)."""

    cluster: str | None = None
    start: int = 0
    count: int | None = None
    search: str | None = None
    statuses: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    bento_repository: str | None = None
    bento: str | None = None  # repo:version
    creator: str | None = None
    sort_field: str = "id"
    sort_desc: bool = True


class Store:
    """One SQLite connection, used from the event-loop thread (calls are sub-millisecond)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        # Bumped by every committed transaction that may change a deployment (all but event
        # inserts): a rendered list page stays valid while it and the replica counts stand still.
        self.generation = 0
        try:
            self._open()
        except StorageError:
            self._conn.close()
            raise
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            self._conn.close()
            raise storage_error(exc) from exc

    def _open(self) -> None:
        self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against a process crash (kill -9) in WAL mode; only power loss can
        # drop the last transactions.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(SCHEMA)
        self._add_missing_columns()
        self._set_meta_default("schema_version", str(SCHEMA_VERSION))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _add_missing_columns(self) -> None:
        with self._tx() as c:
            for table, column, definition in ADDED_COLUMNS:
                present = {row[1] for row in c.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    c.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    @contextmanager
    def _tx(self, deployments: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction; `deployments=False` promises it leaves the deployments table alone."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise storage_error(exc) from exc
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as exc:
                # SQLite may have rolled back already (SQLITE_FULL does): never leave a
                # transaction open, or every later BEGIN fails and the server is wedged.
                if self._conn.in_transaction:
                    try:
                        self._conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        log.exception("rollback failed")
                if isinstance(exc, (sqlite3.Error, UnicodeDecodeError)):
                    raise storage_error(exc) from exc
                raise
            finally:
                if deployments:
                    self.generation += 1

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._conn.execute(sql, args).fetchall()
            except (sqlite3.Error, UnicodeDecodeError) as exc:
                raise storage_error(exc) from exc

    def verify(self) -> None:
        """Check the file before serving from it: SQLite's own quick check, then every row the
        start-up reads.  Raises StorageError saying what is wrong."""
        rows = self._query("PRAGMA quick_check(5)")
        problems = [r[0] for r in rows if r[0] != "ok"]
        if problems:
            raise StorageError("the database is damaged: " + "; ".join(problems))
        self.all_deployments()
        self.list_bentos()

    # ------------------------------------------------------------------ meta

    def _set_meta_default(self, key: str, value: str) -> str:
        with self._tx() as c:
            c.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (key, value))
            return c.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    def meta(self, key: str, default: str) -> str:
        """A persistent value, created with `default` on first read (uids, creation times)."""
        return self._set_meta_default(key, default)

    # ------------------------------------------------------------------ bentos

    def upsert_bento(
        self,
        repository: str,
        version: str,
        description: str,
        manifest: dict[str, Any],
        path: str,
        repository_description: str = "",
    ) -> BentoRow:
        ts = iso(now())
        with self._tx() as c:
            c.execute(
                "INSERT OR IGNORE INTO bento_repositories(uid, name, description, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?)",
                (new_uid(), repository, repository_description, ts, ts),
            )
            repo_id = c.execute(
                "SELECT id FROM bento_repositories WHERE name = ?", (repository,)
            ).fetchone()[0]
            existing = c.execute(
                "SELECT id FROM bentos WHERE repository_id = ? AND version = ?", (repo_id, version)
            ).fetchone()
            if existing:
                c.execute(
                    "UPDATE bentos SET manifest = ?, path = ?, description = ? WHERE id = ?",
                    (json.dumps(manifest), path, description, existing[0]),
                )
            else:
                c.execute(
                    "INSERT INTO bentos(uid, repository_id, version, description, manifest, path, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (new_uid(), repo_id, version, description, json.dumps(manifest), path, ts, ts),
                )
                c.execute(
                    "UPDATE bento_repositories SET updated_at = ? WHERE id = ?", (ts, repo_id)
                )
        bento = self.get_bento(repository, version)
        assert bento is not None
        return bento

    _BENTO_SELECT = (
        "SELECT b.*, r.name AS repository, r.uid AS repository_uid, "
        "r.description AS repository_description, r.created_at AS repository_created_at "
        "FROM bentos b JOIN bento_repositories r ON r.id = b.repository_id "
    )

    @staticmethod
    def _bento(row: sqlite3.Row) -> BentoRow:
        return BentoRow(
            id=row["id"],
            uid=row["uid"],
            repository=row["repository"],
            repository_uid=row["repository_uid"],
            repository_description=row["repository_description"],
            repository_created_at=parse_iso(row["repository_created_at"]),
            version=row["version"],
            description=row["description"],
            manifest=json.loads(row["manifest"]),
            path=row["path"],
            created_at=parse_iso(row["created_at"]),
            updated_at=parse_iso(row["updated_at"]),
            origin=row["origin"],
            labels=json.loads(row["labels"]),
            upload_status=row["upload_status"],
            upload_finished_reason=row["upload_finished_reason"],
            upload_started_at=_maybe_iso(row["upload_started_at"]),
            upload_finished_at=_maybe_iso(row["upload_finished_at"]),
            build_at=_maybe_iso(row["build_at"]),
            image_build_status=row["image_build_status"],
        )

    def get_bento(self, repository: str, version: str) -> BentoRow | None:
        rows = self._query(
            self._BENTO_SELECT + "WHERE r.name = ? AND b.version = ?", (repository, version)
        )
        return self._bento(rows[0]) if rows else None

    def list_bentos(self, repository: str | None = None) -> list[BentoRow]:
        if repository is None:
            rows = self._query(self._BENTO_SELECT + "ORDER BY b.id DESC")
        else:
            rows = self._query(
                self._BENTO_SELECT + "WHERE r.name = ? ORDER BY b.id DESC", (repository,)
            )
        return [self._bento(r) for r in rows]

    def list_repositories(self) -> list[str]:
        return [r[0] for r in self._query("SELECT name FROM bento_repositories ORDER BY id DESC")]

    def count_deployments_of_repository(self, repository: str) -> int:
        # Counted in Python over the active revisions: targets are stored as JSON.
        count = 0
        for row in self._query("SELECT targets FROM revisions WHERE status = 'active'"):
            if any(t.get("bento_repository") == repository for t in json.loads(row[0])):
                count += 1
        return count

    # ------------------------------------------------------------------ deployments

    @staticmethod
    def _deployment(row: sqlite3.Row) -> DeploymentRow:
        return DeploymentRow(
            id=row["id"],
            uid=row["uid"],
            cluster=row["cluster"],
            namespace=row["namespace"],
            name=row["name"],
            description=row["description"],
            mode=row["mode"],
            labels=json.loads(row["labels"]),
            status=row["status"],
            desired=row["desired"],
            creator=row["creator"],
            created_at=parse_iso(row["created_at"]),
            updated_at=parse_iso(row["updated_at"]),
            version=row["version"],
        )

    @staticmethod
    def _revision(row: sqlite3.Row) -> RevisionRow:
        return RevisionRow(
            id=row["id"],
            uid=row["uid"],
            deployment_id=row["deployment_id"],
            status=row["status"],
            targets=json.loads(row["targets"]),
            creator=row["creator"],
            created_at=parse_iso(row["created_at"]),
            updated_at=parse_iso(row["updated_at"]),
        )

    def _attach_active(self, deployments: list[DeploymentRow]) -> list[DeploymentRow]:
        if not deployments:
            return deployments
        by_id = {d.id: d for d in deployments}
        placeholders = ",".join("?" * len(by_id))
        rows = self._query(
            f"SELECT * FROM revisions WHERE status = 'active' AND deployment_id IN ({placeholders})",
            tuple(by_id),
        )
        for row in rows:
            by_id[row["deployment_id"]].active_revision = self._revision(row)
        return deployments

    def create_deployment(
        self,
        *,
        cluster: str,
        namespace: str,
        name: str,
        description: str | None,
        mode: str,
        labels: list[dict[str, str]],
        targets: list[dict[str, Any]],
        creator: str,
        status: str,
        desired: str,
    ) -> DeploymentRow:
        ts = iso(now())
        uid = new_uid()
        with self._tx() as c:
            dup = c.execute(
                "SELECT 1 FROM deployments WHERE cluster = ? AND namespace = ? AND name = ?",
                (cluster, namespace, name),
            ).fetchone()
            if dup:
                raise Conflict(f"deployment {name} already exists")
            cur = c.execute(
                "INSERT INTO deployments(uid, cluster, namespace, name, description, mode, labels, "
                "status, desired, creator, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (uid, cluster, namespace, name, description, mode, json.dumps(labels), status,
                 desired, creator, ts, ts),
            )
            deployment_id = cur.lastrowid
            assert deployment_id is not None  # always set after an INSERT
            self._insert_revision(c, deployment_id, targets, creator, ts)
            self._insert_audit(c, "deployment", uid, name, "created", creator, ts)
        row = self.get_deployment_by_uid(uid)
        assert row is not None
        return row

    @staticmethod
    def _insert_revision(
        c: sqlite3.Connection, deployment_id: int, targets: list[dict[str, Any]], creator: str,
        ts: str,
    ) -> None:
        c.execute(
            "UPDATE revisions SET status = 'inactive', updated_at = ? "
            "WHERE deployment_id = ? AND status = 'active'",
            (ts, deployment_id),
        )
        c.execute(
            "INSERT INTO revisions(uid, deployment_id, status, targets, creator, created_at, "
            "updated_at) VALUES (?, ?, 'active', ?, ?, ?, ?)",
            (new_uid(), deployment_id, json.dumps(targets), creator, ts, ts),
        )

    @staticmethod
    def _insert_audit(
        c: sqlite3.Connection, resource_type: str, resource_uid: str, resource_name: str,
        operation: str, creator: str, ts: str,
    ) -> None:
        c.execute(
            "INSERT INTO audit_events(uid, resource_type, resource_uid, resource_name, "
            "operation_name, creator, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (new_uid(), resource_type, resource_uid, resource_name, operation, creator, ts),
        )

    def update_deployment(
        self,
        uid: str,
        *,
        targets: list[dict[str, Any]],
        creator: str,
        mode: str | None = None,
        description: str | None = None,
        labels: list[dict[str, str]] | None = None,
        status: str | None = None,
        desired: str | None = None,
        operation: str = "updated",
    ) -> DeploymentRow:
        """A new active revision (the old one becomes inactive) plus the changed fields."""
        ts = iso(now())
        with self._tx() as c:
            row = c.execute("SELECT id, name FROM deployments WHERE uid = ?", (uid,)).fetchone()
            if row is None:
                raise NotFound(f"get deployment {uid}: record not found")
            sets, args = ["updated_at = ?", "version = version + 1"], [ts]
            for column, value in (
                ("mode", mode), ("description", description), ("status", status),
                ("desired", desired),
                ("labels", json.dumps(labels) if labels is not None else None),
            ):
                if value is not None:
                    sets.append(f"{column} = ?")
                    args.append(value)
            c.execute(f"UPDATE deployments SET {', '.join(sets)} WHERE id = ?", (*args, row["id"]))
            self._insert_revision(c, row["id"], targets, creator, ts)
            self._insert_audit(c, "deployment", uid, row["name"], operation, creator, ts)
        result = self.get_deployment_by_uid(uid)
        assert result is not None
        return result

    def set_state(
        self, uid: str, *, status: str | None = None, desired: str | None = None,
        audit: tuple[str, str] | None = None, touch: bool = True,
    ) -> DeploymentRow | None:
        """Change status and/or desired state; returns None if the deployment is gone.

        `audit` is (operation, creator) to record with the change in the same transaction.
        `touch=False` keeps updated_at (a restart moves the status, nobody changed anything).
        """
        ts = iso(now())
        with self._tx() as c:
            row = c.execute(
                "SELECT id, name, status, desired FROM deployments WHERE uid = ?", (uid,)
            ).fetchone()
            if row is None:
                return None
            new_status = status or row["status"]
            new_desired = desired or row["desired"]
            if (new_status, new_desired) != (row["status"], row["desired"]) or audit:
                c.execute(
                    "UPDATE deployments SET status = ?, desired = ?, "
                    "updated_at = CASE WHEN ? THEN ? ELSE updated_at END, "
                    "version = version + 1 WHERE id = ?",
                    (new_status, new_desired, touch, ts, row["id"]),
                )
            if audit:
                self._insert_audit(c, "deployment", uid, row["name"], audit[0], audit[1], ts)
        return self.get_deployment_by_uid(uid)

    def delete_deployment(self, uid: str, creator: str) -> None:
        ts = iso(now())
        with self._tx() as c:
            row = c.execute("SELECT id, name FROM deployments WHERE uid = ?", (uid,)).fetchone()
            if row is None:
                raise NotFound(f"get deployment {uid}: record not found")
            c.execute("DELETE FROM deployments WHERE id = ?", (row["id"],))
            self._insert_audit(c, "deployment", uid, row["name"], "deleted", creator, ts)

    def get_deployment(self, cluster: str, namespace: str | None, name: str) -> DeploymentRow | None:
        if namespace is None:
            rows = self._query(
                "SELECT * FROM deployments WHERE cluster = ? AND name = ?", (cluster, name)
            )
        else:
            rows = self._query(
                "SELECT * FROM deployments WHERE cluster = ? AND namespace = ? AND name = ?",
                (cluster, namespace, name),
            )
        return self._attach_active([self._deployment(rows[0])])[0] if rows else None

    def get_deployment_by_uid(self, uid: str) -> DeploymentRow | None:
        rows = self._query("SELECT * FROM deployments WHERE uid = ?", (uid,))
        return self._attach_active([self._deployment(rows[0])])[0] if rows else None

    def _list_sql(self, query: DeploymentQuery) -> tuple[str, list[Any], str]:
        """(FROM ... WHERE ... clause, its arguments, ORDER BY clause) of a list query."""
        where, args = [], []
        if query.cluster:
            where.append("d.cluster = ?")
            args.append(query.cluster)
        if query.statuses:
            where.append(f"d.status IN ({','.join('?' * len(query.statuses))})")
            args.extend(query.statuses)
        if query.search:
            where.append("d.name LIKE ? ESCAPE '\\'")
            args.append("%" + _like_escape(query.search) + "%")
        for word in query.keywords:
            where.append("(d.name LIKE ? ESCAPE '\\' OR IFNULL(d.description, '') LIKE ? ESCAPE '\\')")
            pattern = "%" + _like_escape(word) + "%"
            args.extend([pattern, pattern])
        if query.creator:
            where.append("d.creator = ?")
            args.append(query.creator)
        join = ""
        if query.bento_repository or query.bento:
            join = "JOIN revisions r ON r.deployment_id = d.id AND r.status = 'active' "
            if query.bento_repository:
                where.append("r.targets LIKE ?")
                args.append(f'%"bento_repository": "{query.bento_repository}"%')
            if query.bento:
                repo, _, version = query.bento.partition(":")
                where.append("r.targets LIKE ? AND r.targets LIKE ?")
                args.extend([f'%"bento_repository": "{repo}"%', f'%"bento": "{version}"%'])
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        column = {"created_at": "d.id", "updated_at": "d.updated_at", "name": "d.name"}.get(
            query.sort_field, "d.id"
        )
        direction = "DESC" if query.sort_desc else "ASC"
        return f"FROM deployments d {join}{clause}", args, f"ORDER BY {column} {direction}, d.id {direction}"

    def list_deployments(self, query: DeploymentQuery) -> tuple[int, list[DeploymentRow]]:
        """(total matching, the requested page)."""
        source, args, order = self._list_sql(query)
        total = self._query(f"SELECT COUNT(*) {source}", tuple(args))[0][0]
        limit = -1 if query.count is None else query.count
        rows = self._query(f"SELECT d.* {source} {order} LIMIT ? OFFSET ?", (*args, limit, query.start))
        return total, self._attach_active([self._deployment(r) for r in rows])

    def list_deployment_versions(self, query: DeploymentQuery) -> tuple[int, list[tuple[str, int]]]:
        """(total matching, [(uid, version)] of the page): enough to serve a list from cache."""
        source, args, order = self._list_sql(query)
        total = self._query(f"SELECT COUNT(*) {source}", tuple(args))[0][0]
        limit = -1 if query.count is None else query.count
        rows = self._query(f"SELECT d.uid, d.version {source} {order} LIMIT ? OFFSET ?",
                           (*args, limit, query.start))
        return total, [(r[0], r[1]) for r in rows]

    def get_deployments_by_uids(self, uids: list[str]) -> dict[str, DeploymentRow]:
        found: dict[str, DeploymentRow] = {}
        for start in range(0, len(uids), 500):
            chunk = uids[start:start + 500]
            rows = self._query(
                f"SELECT * FROM deployments WHERE uid IN ({','.join('?' * len(chunk))})", tuple(chunk))
            for row in self._attach_active([self._deployment(r) for r in rows]):
                found[row.uid] = row
        return found

    def deployments_to_run(self) -> list[DeploymentRow]:
        rows = self._query("SELECT * FROM deployments WHERE desired = 'running' ORDER BY id")
        return self._attach_active([self._deployment(r) for r in rows])

    def all_deployments(self) -> list[DeploymentRow]:
        return self._attach_active(
            [self._deployment(r) for r in self._query("SELECT * FROM deployments ORDER BY id")]
        )

    # ------------------------------------------------------------------ revisions

    def list_revisions(self, deployment_id: int, start: int, count: int) -> tuple[int, list[RevisionRow]]:
        total = self._query(
            "SELECT COUNT(*) FROM revisions WHERE deployment_id = ?", (deployment_id,)
        )[0][0]
        rows = self._query(
            "SELECT * FROM revisions WHERE deployment_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (deployment_id, count, start),
        )
        return total, [self._revision(r) for r in rows]

    def get_revision(self, deployment_id: int, uid: str) -> RevisionRow | None:
        rows = self._query(
            "SELECT * FROM revisions WHERE deployment_id = ? AND uid = ?", (deployment_id, uid)
        )
        return self._revision(rows[0]) if rows else None

    # ------------------------------------------------------------------ events

    def add_event(
        self, deployment_uid: str, reason: str, message: str, type_: str, object_kind: str,
        object_name: str,
    ) -> EventRow | None:
        ts = iso(now())
        with self._tx(deployments=False) as c:
            row = c.execute("SELECT id FROM deployments WHERE uid = ?", (deployment_uid,)).fetchone()
            if row is None:
                return None
            cur = c.execute(
                "INSERT INTO kube_events(uid, deployment_id, reason, message, type, object_kind, "
                "object_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (new_uid(), row["id"], reason, message, type_, object_kind, object_name, ts),
            )
            event_id = cur.lastrowid
            assert event_id is not None  # always set after an INSERT
            if event_id % 100 == 0:
                c.execute(
                    "DELETE FROM kube_events WHERE deployment_id = ? AND id <= ("
                    " SELECT id FROM kube_events WHERE deployment_id = ? "
                    " ORDER BY id DESC LIMIT 1 OFFSET ?)",
                    (row["id"], row["id"], MAX_EVENTS_PER_DEPLOYMENT),
                )
            event = c.execute("SELECT * FROM kube_events WHERE id = ?", (event_id,)).fetchone()
        return self._event(event)

    def add_events(self, deployment_uid: str, events: Sequence[tuple[str, str, str, str, str]]) -> int:
        """Many (reason, message, type, object_kind, object_name) events in one transaction
        (the bench's event source); returns how many were written."""
        ts = iso(now())
        with self._tx(deployments=False) as c:
            row = c.execute("SELECT id FROM deployments WHERE uid = ?", (deployment_uid,)).fetchone()
            if row is None:
                return 0
            c.executemany(
                "INSERT INTO kube_events(uid, deployment_id, reason, message, type, object_kind, "
                "object_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(new_uid(), row["id"], *event, ts) for event in events],
            )
            c.execute(
                "DELETE FROM kube_events WHERE deployment_id = ? AND id <= ("
                " SELECT id FROM kube_events WHERE deployment_id = ? "
                " ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (row["id"], row["id"], MAX_EVENTS_PER_DEPLOYMENT),
            )
        return len(events)

    @staticmethod
    def _event(row: sqlite3.Row) -> EventRow:
        return EventRow(
            id=row["id"],
            uid=row["uid"],
            deployment_id=row["deployment_id"],
            reason=row["reason"],
            message=row["message"],
            type=row["type"],
            object_kind=row["object_kind"],
            object_name=row["object_name"],
            created_at=parse_iso(row["created_at"]),
        )

    def list_events(
        self, deployment_id: int, after_id: int = 0, limit: int = 500, object_name: str | None = None
    ) -> list[EventRow]:
        """Events in resourceVersion order; the newest `limit` when `after_id` is 0."""
        name_clause = " AND object_name = ?" if object_name else ""
        args: tuple[Any, ...] = (deployment_id, after_id) + ((object_name,) if object_name else ())
        rows = self._query(
            "SELECT * FROM (SELECT * FROM kube_events WHERE deployment_id = ? AND id > ?"
            f"{name_clause} ORDER BY id DESC LIMIT ?) ORDER BY id",
            (*args, limit),
        )
        return [self._event(r) for r in rows]

    def list_audit_events(self, start: int, count: int, resource_type: str | None = None,
                          desc: bool = True) -> tuple[int, list[AuditRow]]:
        clause = "WHERE resource_type = ?" if resource_type else ""
        args: tuple[Any, ...] = (resource_type,) if resource_type else ()
        total = self._query(f"SELECT COUNT(*) FROM audit_events {clause}", args)[0][0]
        rows = self._query(
            f"SELECT * FROM audit_events {clause} ORDER BY id {'DESC' if desc else 'ASC'} "
            "LIMIT ? OFFSET ?",
            (*args, count, start),
        )
        return total, [
            AuditRow(
                id=r["id"], uid=r["uid"], resource_type=r["resource_type"],
                resource_uid=r["resource_uid"], resource_name=r["resource_name"],
                operation_name=r["operation_name"], creator=r["creator"],
                created_at=parse_iso(r["created_at"]),
            )
            for r in rows
        ]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
