"""Alerts on watched deployments: the record kept in the history, and the desktop
notification sequences (OSC 9, OSC 777) a terminal turns into a system notification.

No Textual: what counts as an alert is `tui.monitor.alert_reason`; the app rings, shows and
records (tui/alert_service.py).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

from tui.widgets.safe_text import clean

HISTORY_SIZE = 500
DESKTOP_TEXT_LIMIT = 200


@dataclass(frozen=True)
class Alert:
    name: str
    reason: str
    time: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def text(self) -> str:
        return f"{self.name}: {self.reason}"


class AlertHistory:
    """The latest alerts, newest last, bounded."""

    def __init__(self, size: int = HISTORY_SIZE) -> None:
        self._items: deque[Alert] = deque(maxlen=size)

    def add(self, alert: Alert) -> None:
        self._items.append(alert)

    def __iter__(self) -> Iterator[Alert]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def _desktop_text(value: str) -> str:
    """Printable text only: an ESC or BEL would end the sequence early and let the rest drive
    the terminal; `;` separates OSC 777's fields."""
    return clean(value, limit=DESKTOP_TEXT_LIMIT).replace("\\", "/").replace(";", ",")


def desktop_sequences(title: str, body: str) -> str:
    """OSC 777 (urxvt, foot, kitty, WezTerm, VTE) then OSC 9 (iTerm2, Windows Terminal,
    ConEmu): terminals ignore the one they do not know."""
    t, b = _desktop_text(title), _desktop_text(body)
    return f"\x1b]777;notify;{t};{b}\x1b\\\x1b]9;{t}: {b}\x1b\\"
