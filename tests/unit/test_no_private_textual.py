"""No module in `tui/` uses private Textual API but the shim `tui/widgets/textual_compat.py`:
private names change without notice on a Textual upgrade (the check: tests/support/textual_private.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.support.textual_private import SHIM, private_uses, scan_tui


def test_tui_uses_no_private_textual_api() -> None:
    found = scan_tui()
    assert not found, "private Textual API outside tui/widgets/textual_compat.py:\n" + "\n".join(map(str, found))


def test_the_shim_is_where_the_private_uses_are() -> None:
    """Control: the same check run on the shim finds what it isolates."""
    from tui.widgets import textual_compat

    found = private_uses(SHIM, SHIM.read_text(encoding="utf-8"), textual_compat)
    assert {u.what for u in found} == {"._scroll_update (Textual's)", "._driver (Textual's)"}


PLANTED = textwrap.dedent(
    """
    from textual.widgets import Input, RadioButton
    from textual.widgets._footer import FooterKey


    class Box(Input):
        def _watch_value(self, value: str) -> None:
            super()._watch_value(value)


    class Choice(RadioButton):
        def render(self):
            return self._button


    def write(app) -> None:
        app._driver.write("x")
    """
)


def test_the_check_notices_each_kind_of_private_use(tmp_path: Path) -> None:
    """Control: an import from a private module, an override of a private method, a call into
    one through super() and self, and a private attribute of another object are all reported."""
    from tests.support.textual_private import load

    planted = tmp_path / "planted_private.py"
    planted.write_text(PLANTED, encoding="utf-8")
    found = {(u.line, u.what) for u in private_uses(planted, PLANTED, load(planted))}
    assert found == {
        (3, "imports from textual.widgets._footer"),
        (7, "Box._watch_value overrides Textual's"),
        (8, "Box uses Textual's _watch_value"),
        (13, "Choice uses Textual's _button"),
        (17, "._driver (Textual's)"),
    }
