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

Most of a page's bytes are those repeated parts (a 2.4 MB page of 500 is ~4/5 bento, cluster and
creators), and decoding them only to find them equal to a part already held is most of its cost.
So the parts that repeat most are also remembered as the exact bytes the server sent for them
(`KnownBytes`); on later pages each of their occurrences is swapped, before decoding, for a short
placeholder naming the part.  This is exact, never a guess:
- a pattern is a complete JSON object whose first key starts with a letter or digit, so an
  occurrence that began inside a string would close that string and leave a bare word: the
  page would not decode (a raw `"` cannot occur inside a JSON string);
- the placeholder's key holds a random nonce of this process, so a server cannot send one;
- every placeholder must be found where a shared part belongs (a creator, cluster or bento),
  or inside such a part that is not known by its bytes (the known creator inside a bento first
  seen on this page: put back as the JSON it stands for), counted; anything else (or a page
  that does not decode) and the page is decoded as sent.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any, NamedTuple

from pydantic_core import from_json

from tui.api import models as m

MAX_PARTS = 4096  # distinct parts remembered; beyond that new ones are simply not shared
MAX_PATTERNS = 8  # parts also remembered as bytes: each costs a scan of every page (~0.5 ms)
MIN_REPEATS = 16  # times a part must occur in one page to be worth a pattern
MAX_TRIES = 32  # parts tried as patterns in one read of the list (a try scans a page once)
MAX_PATTERN_BYTES = 64 * 1024  # a bento is ~2.5 KB; a part far larger is not compiled into one


class KnownPart(NamedTuple):
    """A repeated part known by its bytes: what a placeholder for it stands for."""

    pattern: bytes  # its compact JSON, exactly as the server sent it
    parsed: Any  # the shared model
    decoded: dict[str, Any]  # its decoded JSON (put back where it sits inside an unknown part)


class KnownBytes:
    """The exact bytes of the parts that repeat most, swapped for placeholders before decoding."""

    def __init__(self) -> None:
        self.marker = "\x00bentotui-" + secrets.token_hex(8)  # a key no server can send
        self._key = json.dumps(self.marker).encode()  # as it is written in JSON
        self.patterns: list[KnownPart] = []  # longest first
        # All of them as one expression, a group each: one pass over a page (~3 ms for 2.4 MB,
        # where a split and join per pattern took ~10 ms).  "{" and '"' lead: the engine looks
        # for that pair, then tries the alternatives.
        self._finder: re.Pattern[bytes] | None = None
        self._placeholders: list[bytes] = []  # by group number: placeholder N is group N+1
        self.failed = False  # a page did not decode with placeholders: stop trying
        self.tries = 0

    def swap(self, content: bytes) -> tuple[bytes, int]:
        """`content` with each known part's occurrences replaced by its placeholder, and how
        many were replaced.  Longest first: a cluster goes whole before the creator inside it."""
        if self._finder is None:
            return content, 0
        placeholders = self._placeholders
        return self._finder.subn(lambda found: placeholders[found.lastindex or 0], content)

    def learn(self, content: bytes, candidates: list[tuple[dict[str, Any], Any]]) -> None:
        """Remember the parts of `candidates` (decoded value, parsed part; most repeated first)
        whose compact JSON occurs in `content` as sent, up to MAX_PATTERNS."""
        for value, parsed in candidates:
            if len(self.patterns) >= MAX_PATTERNS or self.tries >= MAX_TRIES:
                return
            if any(parsed is known.parsed for known in self.patterns):
                continue
            self.tries += 1
            try:
                pattern = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
            except (TypeError, ValueError, RecursionError):
                continue
            if (len(pattern) > MAX_PATTERN_BYTES or not (pattern[:2] == b'{"' and pattern[2:3].isalnum())
                    or content.count(pattern) < 2):
                continue  # the server writes it otherwise (spaces, escapes): not this way
            self.patterns.append(KnownPart(pattern, parsed, value))
            self.patterns.sort(key=lambda known: -len(known.pattern))
            # Alternatives are tried in order: the longest first, so a cluster is taken whole
            # before the creator inside it (two objects' bytes are nested or apart, never
            # overlapping, and one cannot be the start of another).
            self._finder = re.compile(b'\\{"(?:%s)' % b"|".join(
                b"(%s)" % re.escape(known.pattern[2:]) for known in self.patterns))
            self._placeholders = [b""] + [b"{%s:%d}" % (self._key, index)
                                          for index in range(len(self.patterns))]


class SharedParts:
    def __init__(self) -> None:
        # (type, uid or name, updated_at, image_build_status, upload_status)
        self._parts: dict[tuple[type, str, Any, Any, Any], Any] = {}
        self._raw: dict[tuple[type, object, object], tuple[dict[str, Any], Any]] = {}
        self._bytes = KnownBytes()
        self._placed: list[KnownPart] | None = None  # placeholder N stands for part N, while decoding
        self._found = 0  # placeholders found where a shared part belongs, this page
        self._seen: dict[tuple[type, object, object], int] = {}  # occurrences, this page

    def new_list_read(self) -> None:
        """The whole list is read again (a reload): its parts are learnt as bytes afresh, so the
        parts that changed since (a rebuilt bento) do not keep the places of those now repeated."""
        self._bytes = KnownBytes()

    def parse_deployment_list(self, content: bytes) -> m.DeploymentListSchema:
        """A list page's JSON as the model `DeploymentListSchema.model_validate_json` gives, its
        repeated parts shared.  Raises ValueError or ValidationError as that would."""
        known = self._bytes
        self._seen = {}
        data: Any = None
        if known.patterns and not known.failed:
            reduced, swapped = known.swap(content)
            if swapped:
                self._placed = known.patterns
                self._found = 0
                try:
                    data = self._decode(reduced)
                except ValueError:
                    data = None
                finally:
                    self._placed = None
                if data is None or self._found != swapped:
                    known.failed = True  # never again for this list: decode the page as sent
                    self._seen, data = {}, None
        if data is None:
            data = self._decode(content)
        if len(known.patterns) < MAX_PATTERNS and known.tries < MAX_TRIES and not known.failed:
            seen = self._seen
            often = sorted((key for key, n in seen.items() if n >= MIN_REPEATS and key in self._raw),
                           key=seen.__getitem__, reverse=True)
            known.learn(content, [self._raw[key] for key in often])
        return m.DeploymentListSchema.model_validate(data, context={"lenient": True})

    def _decode(self, content: bytes) -> Any:
        """The page decoded, each repeated part replaced by its parsed, shared model."""
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
        return data

    def _raw_part(self, owner: dict[str, Any], field: str, model: type[Any]) -> None:
        """Replace `owner[field]` (decoded JSON) by the model validated from an equal value
        before; a value that does not validate is left for the whole page's validation to
        report where it is."""
        value = owner.get(field)
        if not isinstance(value, dict):
            return
        if self._placed is not None:
            known = self._placed_part(value)
            if known is not None and isinstance(known.parsed, model):
                owner[field] = known.parsed
                self._found += 1
                return
            # A part not known by its bytes (a bento first seen on this page) holds known ones
            # (its creator): those go back to the JSON they stand for, as if decoded as sent.
            self._put_back(value)
        key = (model, value.get("uid") or value.get("name"), value.get("updated_at"))
        try:
            have = self._raw.get(key)
        except TypeError:  # a uid or time made of lists: not shared, the validation says why
            return
        self._seen[key] = self._seen.get(key, 0) + 1
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

    def _placed_part(self, value: dict[str, Any]) -> KnownPart | None:
        """The known part a placeholder (`value`) stands for on this page, or None."""
        if self._placed is None or len(value) != 1:
            return None
        index = value.get(self._bytes.marker)
        if isinstance(index, int) and 0 <= index < len(self._placed):
            return self._placed[index]
        return None

    def _put_back(self, value: dict[str, Any] | list[Any]) -> None:
        """Replace, in place, each placeholder inside `value` by the decoded JSON of its part."""
        for key, inner in value.items() if isinstance(value, dict) else enumerate(value):
            known = self._placed_part(inner) if isinstance(inner, dict) else None
            if known is not None:
                value[key] = known.decoded  # type: ignore[index]
                self._found += 1
            elif isinstance(inner, (dict, list)):
                self._put_back(inner)

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
