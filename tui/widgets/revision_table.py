"""The Revisions tab: every revision of the deployment, newest first, the active one marked."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text

from tui.api import models as m
from tui.widgets.humanize import short_stamp
from tui.widgets.keyed_table import Cell, KeyedTable
from tui.widgets.safe_text import safe

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def revision_bento(revision: m.DeploymentRevisionSchema) -> str:
    return ", ".join(t.bento_tag for t in revision.targets) or "—"


MARKER = "◆"  # the revision marked with space for a diff: a character, not only a colour


def revision_cells(revision: m.DeploymentRevisionSchema, marked: bool = False) -> list[Cell]:
    active = revision.status == m.DeploymentRevisionStatus.ACTIVE
    uid = safe(revision.uid[:10], style="bold" if active or marked else "")
    if marked:
        uid.append(f" {MARKER}", style="bold reverse")
    return [
        Text("● yes", style="green") if active else Text("○ no", style="bright_black"),
        uid,
        revision.creator.display_name if revision.creator else "—",
        short_stamp(revision.created_at),
        revision_bento(revision),
    ]


class RevisionTable(KeyedTable):
    COLUMNS = (
        ("status", "ACTIVE"),
        ("revision", "REVISION"),
        ("creator", "CREATOR"),
        ("created", "CREATED"),
        ("bento", "BENTO"),
    )
    UNIQUE_COLUMN = "revision"

    _revisions: list[m.DeploymentRevisionSchema] = []
    marked: str | None = None

    def show(self, revisions: list[m.DeploymentRevisionSchema]) -> None:
        self._revisions = sorted(revisions, key=lambda r: r.created_at or EPOCH, reverse=True)
        self.sync([(r.uid, revision_cells(r, r.uid == self.marked)) for r in self._revisions])

    def mark(self, uid: str | None) -> None:
        """Show `uid` (or none) as the marked revision."""
        self.marked = uid
        self.show(self._revisions)
