"""One instance of each sub-object that many deployments of a list repeat.

Every deployment of a list carries its own copy of the same creator (up to four times), the
cluster, and the whole bento of each target (manifest and repository included): with 10,000
deployments that is ~25 KB each, most of it repeated.  `SharedParts` swaps each such part for
an equal one it has seen before, so a list keeps one copy of each distinct part (10,000
deployments of a few bentos: ~250 MB -> well under half).

A part is identified by its type, uid and `updated_at` (the API moves `updated_at` whenever a
resource changes; a bento's build and upload states are part of the key too); a part without
`updated_at` is compared field by field instead.  A changed part therefore arrives as a new key
and is shown as it is.  Parsed models are never mutated in place by the app, which is what makes
sharing them safe.
"""

from __future__ import annotations

from typing import Any

from tui.api import models as m

MAX_PARTS = 4096  # distinct parts remembered; beyond that new ones are simply not shared


class SharedParts:
    def __init__(self) -> None:
        # (type, uid or name, updated_at, image_build_status, upload_status)
        self._parts: dict[tuple[type, str, Any, Any, Any], Any] = {}

    def _one(self, part: Any) -> Any:
        if part is None:
            return None
        updated = getattr(part, "updated_at", None)
        key = (type(part), getattr(part, "uid", None) or getattr(part, "name", "") or "", updated,
               getattr(part, "image_build_status", None), getattr(part, "upload_status", None))
        have = self._parts.get(key)
        if have is part:
            return part
        if have is not None and (updated is not None or have == part):
            return have
        if len(self._parts) < MAX_PARTS:
            self._parts[key] = part
        return part

    def deployment(self, d: m.DeploymentSchema) -> m.DeploymentSchema:
        """`d` with its repeated parts replaced by shared equal ones (in place; returns it)."""
        one = self._one
        d.creator = one(d.creator)
        d.cluster = one(d.cluster)
        revision = d.latest_revision
        if revision is not None:
            revision.creator = one(revision.creator)
            for target in revision.targets:
                target.creator = one(target.creator)
                target.bento = one(target.bento)
        return d
