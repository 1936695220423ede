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
        self._parts: dict[tuple[type, str], Any] = {}

    def _one(self, part: Any) -> Any:
        if part is None:
            return None
        # Read from __dict__, not getattr: a model without one of these fields answers getattr
        # through pydantic's __getattr__ and an AttributeError (~10 us; 50,000 times a list).
        fields = part.__dict__
        updated = fields.get("updated_at")
        key = (type(part), fields.get("uid") or fields.get("name") or "", updated,
               fields.get("image_build_status"), fields.get("upload_status"))
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
        _swap(d, "creator", one(d.creator))
        _swap(d, "cluster", one(d.cluster))
        revision = d.latest_revision
        if revision is not None:
            _swap(revision, "creator", one(revision.creator))
            for target in revision.targets:
                _swap(target, "creator", one(target.creator))
                _swap(target, "bento", one(target.bento))
        return d


def _swap(model: Any, field: str, value: Any) -> None:
    """Set a field already set by validation to an equal value: straight into the instance's
    __dict__ (what pydantic's __setattr__ does without validate_assignment, minus ~6 us of its
    handler lookup a call)."""
    fields = model.__dict__
    if fields.get(field) is not value:
        fields[field] = value
