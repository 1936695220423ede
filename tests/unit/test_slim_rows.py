"""The slim rows of the first paint (tui/api/slim_rows.py): a real page reads as the models read
it, and anything unexpected gives up (None: the normal path) instead of guessing or raising."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.harness import LocalCloud
from tests.support.app import create
from tui.api import models as m
from tui.api.slim_rows import MAX_ROWS, MAX_TEXT, SlimDeployment, slim_page
from tui.widgets.deployment_table import SORTS, haystack, replicas_text

PAGE = "/api/v1/clusters/default/deployments"


@pytest.fixture(scope="module")
def page_body(cloud: LocalCloud) -> bytes:
    with cloud.client() as http:
        create(http, "slim-online", deploy=False)
        create(http, "slim-function", repo="sentiment", mode="function", deploy=False)
        create(http, "slim-bounded", deploy=False, hpa_conf={"min_replicas": 2, "max_replicas": 4})
        answer = http.get(PAGE, params={"start": 0, "count": 500})
    assert answer.status_code == 200
    return answer.content


def full_rows(body: bytes) -> list[m.DeploymentSchema]:
    return m.parse_response(m.DeploymentListSchema, json.loads(body)).items


def without_replica_counts(body: bytes) -> bytes:
    """The page as BentoCloud sends it: no `replicas` (the local control plane's extension)."""
    data = json.loads(body)
    for item in data["items"]:
        item.pop("replicas", None)
    return json.dumps(data).encode()


@pytest.mark.parametrize("bentocloud", [False, True], ids=["local", "bentocloud-shape"])
def test_a_real_page_reads_as_the_models_read_it(page_body: bytes, bentocloud: bool) -> None:
    if bentocloud:
        page_body = without_replica_counts(page_body)
    page = slim_page(page_body, "default", v2=True)
    assert page is not None and page.cluster == "default" and page.v2
    full = full_rows(page_body)
    assert len(page.rows) == len(full) >= 3 and page.total == json.loads(page_body)["total"]
    for slim, model in zip(page.rows, full, strict=True):
        for field in ("uid", "name", "status", "mode", "description", "created_at", "updated_at",
                      "bento_tag"):
            assert getattr(slim, field) == getattr(model, field), field
        assert list(slim.urls) == model.urls
        # what the table derives from them: the cells, the filter's text, every sort key
        assert replicas_text(slim) == replicas_text(model)
        assert haystack(slim) == haystack(model)
        for key, sort in SORTS.items():
            assert sort(slim) == sort(model), key
    if bentocloud:  # the scaling bounds stand in for the counts
        assert [replicas_text(r) for r in page.rows if r.name == "slim-bounded"] == ["2-4"]


def edited(body: bytes, change: Any) -> bytes:
    data = json.loads(body)
    change(data)
    return json.dumps(data).encode()


def first_item(key: str, value: Any) -> Any:
    return lambda data: data["items"][0].__setitem__(key, value)


UNEXPECTED = {
    "not json": lambda body: b"{not json",
    "a list": lambda body: b"[]",
    "items not a list": lambda body: edited(body, lambda d: d.__setitem__("items", {})),
    "total a string": lambda body: edited(body, lambda d: d.__setitem__("total", "3")),
    "total a bool": lambda body: edited(body, lambda d: d.__setitem__("total", True)),
    "unknown status": lambda body: edited(body, first_item("status", "exploded")),
    "unknown mode": lambda body: edited(body, first_item("mode", "batch")),
    "name a number": lambda body: edited(body, first_item("name", 7)),
    "no uid": lambda body: edited(body, lambda d: d["items"][0].pop("uid")),
    "a date in words": lambda body: edited(body, first_item("created_at", "yesterday")),
    "a date as a number": lambda body: edited(body, first_item("created_at", 1700000000)),
    "no such day": lambda body: edited(body, first_item("created_at", "2024-02-30T00:00:00Z")),
    "replicas as text": lambda body: edited(body, first_item("replicas", {"ready": "1", "desired": 1})),
    "a huge name": lambda body: edited(body, first_item("name", "x" * (MAX_TEXT + 1))),
    "a huge description": lambda body: edited(body, first_item("description", "y" * 10**6)),
    "urls not strings": lambda body: edited(body, first_item("urls", [{"u": 1}])),
    "targets not a list": lambda body: edited(
        body, lambda d: d["items"][0]["latest_revision"].__setitem__("targets", "t")),
    "the same uid twice": lambda body: edited(body, lambda d: d["items"].append(d["items"][0])),
    "too many rows": lambda body: edited(body, lambda d: d.__setitem__("items", d["items"] * (MAX_ROWS + 1))),
    "nested too deep": lambda body: b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("case", list(UNEXPECTED))
def test_anything_unexpected_leaves_the_page_to_the_models(page_body: bytes, case: str) -> None:
    assert slim_page(page_body, "default", v2=False) is not None  # the untouched page reads
    assert slim_page(UNEXPECTED[case](page_body), "default", v2=False) is None


def test_control_characters_and_markup_are_kept_as_data(page_body: bytes) -> None:
    """Kept as sent (they are data): the table shows them through safe(), escaped (tested on
    the screen in tests/app/test_first_paint.py)."""
    hostile = "evil[/]\x1b]52;c;UFdORUQ=\x07\u202e"
    page = slim_page(edited(page_body, first_item("name", hostile)), "default", v2=False)
    assert page is not None
    row = page.rows[0]
    assert isinstance(row, SlimDeployment) and row.name == hostile


def test_an_answer_the_server_did_not_give_cannot_be_smuggled(http: httpx.Client) -> None:
    """The other first requests are not list pages: read as one, they give up."""
    clusters = http.get("/api/v1/clusters", params={"start": 0, "count": 100}).content
    assert slim_page(clusters, "default", v2=False) is None
