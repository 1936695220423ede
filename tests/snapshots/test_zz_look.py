"""Scratch: dump screens as text (not committed)."""
import os
from pathlib import Path
from rich.console import Console
import io
from tests.snapshots.conftest import RUNNING, list_shown, settle

OUT = Path("/tmp/ux2look")

def dump(app, name):
    svg = app.export_screenshot()
    (OUT / f"{name}.svg").write_text(svg)
    w, h = app.size
    console = Console(width=w, height=h, file=io.StringIO(), force_terminal=True, color_system="truecolor", record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    (OUT / f"{name}.txt").write_text(console.export_text(styles=False))

SIZES = [(80, 24), (60, 20)]

async def test_look(snapshot_cloud):
    from tui.screens.detail import DetailScreen
    for size in SIZES:
        tag = f"{size[0]}x{size[1]}"
        app = snapshot_cloud.app()
        if os.environ.get("LOOK_THEME"):
            app._requested_theme = os.environ["LOOK_THEME"]
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot, list_shown)
            dump(app, f"list-{tag}")
            await pilot.press("G", "t")
            await pilot.pause(0.5)
            await pilot.press(*"iris")
            await pilot.press("enter")
            await pilot.pause(0.3)
            dump(app, f"confirm-{tag}")
            await pilot.press("escape")
            await pilot.press("enter")
            await pilot.pause(2)
            dump(app, f"detail-{tag}")
            for k in "23456":
                await pilot.press(k)
                await pilot.pause(1)
                dump(app, f"detail{k}-{tag}")
            await pilot.press("1", "i")
            await pilot.pause(2)
            dump(app, f"interact-{tag}")
            await pilot.press("escape")
            await pilot.pause(0.3)
            dump(app, f"interact-esc1-{tag}")
            await pilot.press("escape", "escape")
            await pilot.pause(0.3)
            await pilot.press("n")
            await pilot.pause(0.05)
            dump(app, f"editor0-{tag}")
            await pilot.pause(1.5)
            dump(app, f"editor-{tag}")
            await pilot.press(*"Bad_Name")
            await pilot.pause(1)
            dump(app, f"editor-bad-{tag}")
