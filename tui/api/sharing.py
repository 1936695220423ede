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

`parse_deployment_list` shares before building: a page's JSON is decoded, each repeated part
is validated once per distinct value (compared as decoded JSON, so only an equal part is
shared) and the rest of each deployment around it.  Building every bento only to drop it for
the shared copy cost ~40% more (a page of 500 deployments: ~70 ms against ~110 ms).
"""

from __future__ import annotations

from typing import Any

from pydantic_core import from_json

from tui.api import models as m

MAX_PARTS = 4096  # distinct parts remembered; beyond that new ones are simply not shared


class SharedParts:
    def __init__(self) -> None:
        # (type, uid or name, updated_at, image_build_status, upload_status)
        self._parts: dict[tuple[type, str, Any, Any, Any], Any] = {}
        self._raw: dict[tuple[type, object, object], tuple[dict[str, Any], Any]] = {}

    def parse_deployment_list(self, content: bytes) -> m.DeploymentListSchema:
        """A list page's JSON as the model `DeploymentListSchema.model_validate_json` gives, its
        repeated parts shared.  Raises ValueError or ValidationError as that would."""
        data = from_json(content, cache_strings="keys")
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            raw = self._raw_part
            for d in data["items"]:
                if not isinstance(d, dict):
                    continue
                raw(d, "creator", m.UserSchema)
                raw(d, "cluster", m.ClusterSchema)
                revision = d.get("latest_revision")
                if isinstance(revision, dict):
                    raw(revision, "creator", m.UserSchema)
                    targets = revision.get("targets")
                    for target in targets if isinstance(targets, list) else ():
                        if isinstance(target, dict):
                            raw(target, "creator", m.UserSchema)
                            raw(target, "bento", m.BentoFullSchema)
        return m.DeploymentListSchema.model_validate(data, context={"lenient": True})

    def _raw_part(self, owner: dict[str, Any], field: str, model: type[Any]) -> None:
        """Replace `owner[field]` (decoded JSON) by the model validated from an equal value
        before; a value that does not validate is left for the whole page's validation to
        report where it is."""
        value = owner.get(field)
        if not isinstance(value, dict):
            return
        key = (model, value.get("uid") or value.get("name"), value.get("updated_at"))
        try:
            have = self._raw.get(key)
        except TypeError:  # a uid or time made of lists: not shared, the validation says why
            return
        if have is not None and have[0] == value:
            owner[field] = have[1]
            return
        try:
            parsed = model.model_validate(value, context={"lenient": True})
        except ValueError:  # pydantic's ValidationError is one
            return
        if have is None and len(self._raw) < MAX_PARTS:
            self._raw[key] = (value, parsed)  # a different value under a known key: not shared
        owner[field] = parsed

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
