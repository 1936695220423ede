"""The events list renders an event only when one of its lines is painted; the line counts it
uses meanwhile must agree with the rendered events, or lines would be cut or doubled."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from textual.app import App, ComposeResult

from tests.support.app import until
from tui.api import models as m
from tui.widgets.event_log import MAX_EVENTS, EventList

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def event(i: int, message: str, count: int = 1) -> m.KubeEvent:
    return m.KubeEvent.model_validate({
        "metadata": {"name": f"e{i}", "uid": f"uid-{i}"},
        "reason": "Storm" if i % 2 else "AVeryLongReasonIndeed",
        "message": message, "type": "Warning" if i % 5 == 0 else "Normal", "count": count,
        "involvedObject": {"kind": "Pod" if i % 3 else "BentoDeployment", "name": f"dep-{i % 4}"},
        "lastTimestamp": (T0 + timedelta(seconds=i)).isoformat(),
    })


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield EventList(id="events")


async def test_line_counts_agree_with_renders() -> None:
    rng = random.Random(3)
    words = ["replica", "ready", "x" * 70, "probe", "failed:", "\tindented", "line\nbreak", "ünïcødé", "宽字符"]
    for size in ((80, 24), (50, 20), (140, 40)):
        app = ListApp()
        async with app.run_test(size=size) as pilot:
            events_list = app.query_one(EventList)
            events_list.deployment_name = "dep-0"
            batch = [event(i, " ".join(rng.choice(words) for _ in range(rng.randrange(0, 14))),
                           count=rng.choice([1, 1, 3])) for i in range(300)]
            events_list.add(batch)
            await until(lambda: events_list._shown and events_list.virtual_size.height
                        == events_list._total_lines > 0, 10, pilot, "the batch shown")
            width = max(events_list.scrollable_content_region.width, 20)
            total = 0
            for seq, ev in events_list._shown:
                rendered = events_list._render_event(ev, width)
                assert events_list._line_count(seq, ev, width) == len(rendered), ev.message
                total += len(rendered)
            assert events_list._total_lines == total == events_list.virtual_size.height
            # painted lines are the rendered events' lines, newest first
            first = events_list._render_event(events_list._shown[0][1], width)
            assert events_list.render_line(0).text == first[0].text
            events_list.set_filter("probe")
            await until(lambda: events_list._shown and all(
                "probe" in e.message for _, e in events_list._shown), 10, pilot, "the filter shown")
            assert len(events_list._shown) == sum("probe" in e.message for e in batch)


async def test_the_list_stays_bounded() -> None:
    app = ListApp()
    async with app.run_test(size=(80, 24)) as pilot:
        events_list = app.query_one(EventList)
        for start in range(0, 3000, 250):
            events_list.add([event(i, f"message {i}") for i in range(start, start + 250)])
        await until(lambda: events_list._shown and events_list._shown[0][1].message == "message 2999",
                    10, pilot, "the storm shown")  # at most 10 times a second
        assert len(events_list.events) == MAX_EVENTS
        assert len(events_list._counts) <= MAX_EVENTS and len(events_list._cache) <= MAX_EVENTS
        assert events_list._shown[0][1].message == "message 2999"
