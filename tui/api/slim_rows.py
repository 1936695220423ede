"""The first page of the list, painted before pydantic and the models are imported.

On loopback the prefetch (tui/api/prefetch.py) holds the first page's bytes long before the app
could parse them with the models (pydantic and `tui.api.models` cost ~85 ms of a ~0.4 s start).
`first_page` reads them with `json.loads` into `SlimDeployment`s: immutable, slotted, every field
type-checked, every string and count bounded.  Anything it does not expect makes it give up
(None), never raise: the app then takes the normal path, and loses nothing but the head start.
Right after the paint the app parses the same bytes with the full models and replaces these
rows by uid (tui/screens/deployments.py), so everything else only ever sees the full models.

The table reads either through `ListedDeployment`, the part of `DeploymentSchema` it shows,
sorts and filters by.  Strings are kept as sent: they are data, and the table shows them through
`safe()` like the full model's (control characters escaped, never markup).  No Textual here.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from tui.api.enums import DeploymentMode, DeploymentStatus

if TYPE_CHECKING:
    from tui.api.prefetch import Prefetch

MAX_TEXT = 4096  # characters of any one string: more is odd enough to leave to the full models
MAX_URLS = 16
MAX_ROWS = 500  # tui.api.prefetch.FIRST_PAGE: no first page is longer
MAX_BODY = 8 * 1024 * 1024  # bytes; a 500-row page is ~2 MB
WAIT_S = 1.0  # how long the first paint waits for the prefetched answers before the normal path
# RFC 3339 as servers send it; what pydantic reads the same way (other forms: the full models)
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?")
STATUSES = {s.value: s for s in DeploymentStatus}
MODES = {m.value: m for m in DeploymentMode}


# ------------------------------------------------------------------ what the table reads


class HpaBounds(Protocol):
    @property
    def min_replicas(self) -> int | None: ...
    @property
    def max_replicas(self) -> int | None: ...


class TargetConfig(Protocol):
    @property
    def hpa_conf(self) -> HpaBounds | None: ...


class Target(Protocol):
    @property
    def config(self) -> TargetConfig: ...


class Replicas(Protocol):
    @property
    def ready(self) -> int: ...
    @property
    def desired(self) -> int: ...


class ListedDeployment(Protocol):
    """What the list shows, sorts and filters by: `DeploymentSchema` and `SlimDeployment` both."""

    @property
    def uid(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def status(self) -> DeploymentStatus: ...
    @property
    def mode(self) -> DeploymentMode | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def urls(self) -> Sequence[str]: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime | None: ...
    @property
    def bento_tag(self) -> str: ...
    @property
    def replicas(self) -> Replicas | None: ...
    @property
    def target(self) -> Target | None: ...


# ------------------------------------------------------------------ the slim rows
# NamedTuples: immutable and without a __dict__ like frozen slotted dataclasses, and ~1 ms to
# define where six dataclasses cost ~7 ms of the start (each execs its generated methods).


class SlimHpa(NamedTuple):
    min_replicas: int | None
    max_replicas: int | None


class SlimConfig(NamedTuple):
    hpa_conf: SlimHpa | None


class SlimTarget(NamedTuple):
    config: SlimConfig


class SlimReplicas(NamedTuple):
    ready: int
    desired: int


class SlimDeployment(NamedTuple):
    """One row of the first paint; replaced by its `DeploymentSchema` right after."""

    uid: str
    name: str
    status: DeploymentStatus
    mode: DeploymentMode | None
    description: str | None
    urls: tuple[str, ...]
    created_at: datetime
    updated_at: datetime | None
    bento_tag: str
    replicas: SlimReplicas | None
    target: SlimTarget | None


class SlimPage(NamedTuple):
    rows: tuple[SlimDeployment, ...]
    total: int  # how many the server says the list holds
    cluster: str
    v2: bool  # the server speaks the v2 API: the table shows `scaled-to-zero`


class Unexpected(Exception):
    """Something the slim reader does not vouch for: the full models read it instead."""


def _text(value: object, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise Unexpected
    return value


def _count(value: object, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if type(value) is not int or not 0 <= value < 2**31:  # not bool, not "3"
        raise Unexpected
    return value


def _stamp(value: object, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not STAMP.fullmatch(value):
        raise Unexpected
    try:
        return datetime.fromisoformat(value)
    except ValueError:  # 2024-02-30 and the like
        raise Unexpected from None


def _mapping(value: object, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, dict):
        raise Unexpected
    return value


def _target(revision: dict[str, Any] | None) -> tuple[str, SlimTarget | None]:
    """The bento tag and the scaling bounds of the active revision's first target."""
    if revision is None:
        return "", None
    targets = revision.get("targets", [])
    if not isinstance(targets, list):
        raise Unexpected
    if not targets:
        return "", None
    target = _mapping(targets[0])
    bento = _mapping(target.get("bento"))
    repository = _mapping(bento.get("repository"), optional=True)
    repo = _text(repository.get("name")) if repository is not None else "?"
    tag = f"{repo}:{_text(bento.get('name'))}"
    config = _mapping(target.get("config"), optional=True) or {}
    hpa = _mapping(config.get("hpa_conf"), optional=True)
    bounds = None if hpa is None else SlimHpa(_count(hpa.get("min_replicas"), optional=True),
                                              _count(hpa.get("max_replicas"), optional=True))
    return tag, SlimTarget(SlimConfig(bounds))


def slim_row(item: object) -> SlimDeployment:
    """One deployment of a list page, or `Unexpected`."""
    d = _mapping(item)
    status = STATUSES.get(_text(d.get("status")))
    if status is None:
        raise Unexpected
    mode_value = _text(d.get("mode"), optional=True)
    mode = None if mode_value is None else MODES.get(mode_value)
    if mode_value is not None and mode is None:
        raise Unexpected
    urls = d.get("urls", [])
    if not isinstance(urls, list) or len(urls) > MAX_URLS:
        raise Unexpected
    counts = _mapping(d.get("replicas"), optional=True)
    replicas = None if counts is None else SlimReplicas(_count(counts.get("ready", 0)),
                                                        _count(counts.get("desired", 0)))
    tag, target = _target(_mapping(d.get("latest_revision"), optional=True))
    return SlimDeployment(
        uid=_text(d.get("uid")),
        name=_text(d.get("name")),
        status=status,
        mode=mode,
        description=_text(d.get("description"), optional=True),
        urls=tuple(_text(u) for u in urls),
        created_at=_stamp(d.get("created_at")),
        updated_at=_stamp(d.get("updated_at"), optional=True),
        bento_tag=tag,
        replicas=replicas,
        target=target,
    )


def slim_page(body: bytes, cluster: str, v2: bool) -> SlimPage | None:
    """A list page's rows, or None when anything in it is unexpected (the full models then
    read it, and say what is wrong if something is)."""
    if len(body) > MAX_BODY:
        return None
    try:
        data = json.loads(body)
        page = _mapping(data)
        items, total = page.get("items"), _count(page.get("total"))
        if not isinstance(items, list) or len(items) > MAX_ROWS:
            return None
        rows = tuple(slim_row(item) for item in items)
    except (Unexpected, ValueError, RecursionError):
        return None
    if len({row.uid for row in rows}) != len(rows):
        return None  # the same uid twice: left to the full path
    return SlimPage(rows=rows, total=max(total, len(rows)), cluster=cluster, v2=v2)


def first_cluster(body: bytes | None) -> str | None:
    """The cluster the session will open (the first listed; "default" when none is), or None."""
    if body is None:
        return None
    try:
        items = _mapping(json.loads(body)).get("items")
        if not isinstance(items, list):
            return None
        if not items:
            return "default"
        return str(_text(_mapping(items[0]).get("name")))
    except (Unexpected, ValueError, RecursionError):
        return None


def first_page_now(prefetch: Prefetch, api_version: str | None) -> SlimPage | None:
    """`first_page` when the prefetch holds every answer it needs already (on loopback, by the
    time Textual is imported), else None: no waiting, so the app knows before composing."""
    from tui.api.prefetch import CLUSTERS_KEY, FLAVOUR_KEY, first_page_key  # deferred: a cycle

    cluster = first_cluster(prefetch.answer_now(CLUSTERS_KEY))
    if cluster is None:
        return None
    body = prefetch.answer_now(first_page_key(cluster))
    if body is None or (api_version is None and not prefetch.answered(FLAVOUR_KEY)):
        return None
    v2 = api_version == "v2" or (api_version is None and prefetch.answer_now(FLAVOUR_KEY) is not None)
    return slim_page(body, cluster, v2)


async def first_page(prefetch: Prefetch, api_version: str | None) -> SlimPage | None:
    """The prefetched first page as slim rows, waited for up to WAIT_S, without taking the
    answers (the session's client takes them, as it would have); None where that is not sure
    to be the page the session will show (another API forced, an answer missing or odd)."""
    from tui.api.prefetch import CLUSTERS_KEY, FLAVOUR_KEY, first_page_key  # deferred: a cycle

    try:
        async with asyncio.timeout(WAIT_S):
            cluster = first_cluster(await prefetch.peek(CLUSTERS_KEY))
            if cluster is None:
                return None
            body = await prefetch.peek(first_page_key(cluster))
            # as api_flavour decides: forced, else a 200 to the v2 question (a failed question
            # shows v1 words now; the session's own answer repaints them, if it differs)
            v2 = api_version == "v2" or (api_version is None and await prefetch.peek(FLAVOUR_KEY) is not None)
    except TimeoutError:
        return None
    if body is None:
        return None
    return slim_page(body, cluster, v2)
