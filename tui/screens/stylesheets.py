"""Where styles/*.tcss live, in a wheel or a source checkout.

Each screen names its own file in `CSS_PATH`, so Textual reads it when the screen is first
shown; the app reads only app.tcss at start-up (the other files cost ~20 ms before the list
could paint, for screens the list does not show)."""

from __future__ import annotations

from pathlib import Path

_TUI = Path(__file__).resolve().parent.parent
STYLES = _TUI / "styles" if (_TUI / "styles").is_dir() else _TUI.parent / "styles"
