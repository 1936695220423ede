"""A sparkline on a fixed scale: zero at the bottom, at least `floor` at the top.

Textual's own Sparkline stretches min..max of the data over the full height, so CPU noise of
0.01%..0.03% draws full bars beside a value of "0.0%".  Here a bar's height is value / top,
with top = max(floor, largest value): 0.03% of one core stays a flat line.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual.widgets import Sparkline

BARS = "▁▂▃▄▅▆▇█"


def bar_heights(data: Sequence[float], width: int, floor: float) -> list[float]:
    """One ratio in [0, 1] per column: the largest value of the points that column covers."""
    if not data or width <= 0:
        return []
    top = max(floor, max(data), 1e-12)
    count = len(data)
    columns = []
    for column in range(width):
        start = column * count // width
        end = max((column + 1) * count // width, start + 1)
        columns.append(max(0.0, min(1.0, max(data[start:end]) / top)))
    return columns


class ScaledSparkline(Sparkline):
    """A one-line sparkline whose scale starts at 0 and reaches at least `floor`."""

    floor: reactive[float] = reactive(0.0)

    def __init__(self, data: Sequence[float] | None = None, *, floor: float = 0.0,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(data, id=id, classes=classes)
        self.set_reactive(ScaledSparkline.floor, floor)

    def render(self) -> RenderResult:
        data = list(self.data or [])
        width = self.size.width
        _, base = self.background_colors
        low = base + self.get_component_styles("sparkline--min-color").color
        high = base + self.get_component_styles("sparkline--max-color").color
        text = Text(no_wrap=True)
        if not data:
            text.append("▁" * width, style=Style(color=low.rich_color))
            return text
        ansi = low.ansi is not None or high.ansi is not None  # 16 colours: no blends
        for ratio in bar_heights(data, width, self.floor):
            color = (high if ratio >= 0.5 else low) if ansi else low.blend(high, ratio)
            text.append(BARS[min(int(ratio * len(BARS)), len(BARS) - 1)],
                        style=Style(color=color.rich_color))
        return text
