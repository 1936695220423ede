"""tui.api.paging: pages after the first are fetched a few at a time, yet every item arrives
exactly once and in order, whatever order the answers come in; a capped server, a list that
grows, and a page that fails mid-way.  `fetch` here is the function under test's input (a list
in memory with chosen delays), not a server: the same paging over the real local control plane
is tested in tests/app/test_big_list.py."""

from __future__ import annotations

import asyncio
import random

import pytest

from tui import collector
from tui.api import paging


class Source:
    """A list behind `fetch(start, count)`, answering after random delays, that records how
    many requests were in flight at once."""

    def __init__(self, n: int, cap: int | None = None, seed: int = 1) -> None:
        self.items = list(range(n))
        self.cap = cap
        self.rng = random.Random(seed)
        self.in_flight = 0
        self.most_in_flight = 0
        self.asked: list[tuple[int, int]] = []
        self.fail_at: int | None = None
        self.cancelled = 0

    async def fetch(self, start: int, count: int) -> tuple[int, list[int]]:
        self.asked.append((start, count))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.rng.random() * 0.01)
            if self.fail_at is not None and start >= self.fail_at:
                raise RuntimeError(f"page at {start} failed")
            n = count if self.cap is None else min(count, self.cap)
            return len(self.items), self.items[start:start + n]
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1


async def read_all(source: Source, first: int, size: int, parallel: int = 3) -> list[list[int]]:
    return [list(items) async for _total, items in paging.pages(source.fetch, first, size, parallel)]


@pytest.mark.parametrize("n", [0, 1, 499, 500, 501, 2500, 10_007])
async def test_every_item_once_in_order_with_pages_in_parallel(n: int) -> None:
    source = Source(n)
    pages = await read_all(source, 500, 1000)
    assert [i for page in pages for i in page] == list(range(n))
    if n > 2500:
        assert source.most_in_flight == 3  # the pages after the first overlapped
    assert source.asked[0] == (0, 500)
    assert all(count == 1000 for _, count in source.asked[1:])


async def test_a_capped_server_is_read_to_the_end() -> None:
    """A server that gives at most 100 a page, whatever is asked."""
    source = Source(1234, cap=100)
    pages = await read_all(source, 500, 1000)
    assert [i for page in pages for i in page] == list(range(1234))


async def test_a_server_capping_later_pages_only_is_re_planned() -> None:
    source = Source(3000, cap=None)
    original = source.fetch

    async def capped_after_first(start: int, count: int) -> tuple[int, list[int]]:
        total, items = await original(start, count)
        return total, items[:300] if start else items

    source.fetch = capped_after_first  # type: ignore[method-assign]
    pages = await read_all(source, 500, 1000)
    assert [i for page in pages for i in page] == list(range(3000))


async def test_a_list_that_grew_is_read_past_the_first_total() -> None:
    source = Source(1500)

    original = source.fetch

    async def growing(start: int, count: int) -> tuple[int, list[int]]:
        if start:  # after the first page, 700 more were created
            source.items = list(range(2200))
        return await original(start, count)

    source.fetch = growing  # type: ignore[method-assign]
    pages = await read_all(source, 500, 1000)
    assert [i for page in pages for i in page] == list(range(2200))


async def test_a_page_failing_mid_way_raises_after_the_pages_before_it() -> None:
    source = Source(5000)
    source.fail_at = 2500
    got: list[int] = []
    with pytest.raises(RuntimeError, match="page at 2500 failed"):
        async for _total, items in paging.pages(source.fetch, 500, 1000):
            got.extend(items)
    assert got == list(range(2500))  # the pages before the failed one, all of them
    await asyncio.sleep(0.05)
    assert source.in_flight == 0  # nothing left running


async def test_closing_early_cancels_the_pages_in_flight() -> None:
    source = Source(10_000)
    pages = paging.pages(source.fetch, 500, 1000)
    async for _total, _items in pages:
        break
    await pages.aclose()
    assert source.in_flight == 0


def test_collector_pause_nests_with_enable() -> None:
    import gc

    was = gc.isenabled()
    try:
        gc.disable()  # as `bentotui` starts
        with collector.paused():
            assert not gc.isenabled() and not collector.enabled()
            collector.enable()  # the first paint, while the list is still being read
            assert not gc.isenabled() and collector.enabled()
            with collector.paused():
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
