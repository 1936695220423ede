"""Keys that the terminal itself must deliver: the installed `bentotui` in a pty (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_pty import BENTOTUI, Terminal, control_plane_cleanup, env  # noqa: F401 (fixtures)


@pytest.mark.timeout(90)
def test_ctrl_p_opens_the_palette_and_read_only_shows(tmp_path: Path, env: dict[str, str],  # noqa: F811
                                                        control_plane_cleanup: list[int]) -> None:  # noqa: F811
    term = Terminal([str(BENTOTUI), "--read-only"], env, cwd=tmp_path)
    try:
        term.wait_for(lambda s: "NAME" in s and "0 deployments" in s, "the empty list", timeout=40)
        term.press("\x10")  # ctrl+p
        term.wait_for_text("Search for commands")
        term.press("\x1b")
        term.wait_for(lambda s: "Search for commands" not in s, "the palette to close")
        term.wait_for(lambda s: "READ-ONLY" in s.splitlines()[0], "READ-ONLY in the top bar")
        term.press("n")  # a mutation key in read-only mode says why it does nothing
        term.wait_for_text("read-only")
        term.press("q")
        assert term.wait_exit() == 0
    except BaseException:
        print(f"the screen when the test failed:\n{term.dump()}")
        raise
    finally:
        term.close()
