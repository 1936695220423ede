"""SVG snapshots of the main screens (baselines in __snapshots__/test_snapshots/*.svg).

Update them deliberately after a visual change: `pytest tests/snapshots --snapshot-update`,
then look at the SVGs before committing.
"""

from __future__ import annotations

from syrupy.assertion import SnapshotAssertion

from tests.support.snapshots import RUNNING, SnapshotCloud, list_shown, settle
from tui.screens.help import HelpScreen
from tui.screens.json_view import JsonScreen


async def test_list_80x24(snapshot_cloud: SnapshotCloud, svg_snapshot: SnapshotAssertion) -> None:
    app = snapshot_cloud.app()
    async with app.run_test(size=(80, 24)) as pilot:
        svg = await settle(app, pilot, list_shown)
        assert snapshot_cloud.normalize(svg) == svg_snapshot


async def test_list_16_colours_80x24(snapshot_cloud: SnapshotCloud, svg_snapshot: SnapshotAssertion) -> None:
    """ansi-dark, the theme the app picks on a 16-colour terminal: the cursor row (on the green
    running one) in reverse video."""
    app = snapshot_cloud.app(theme="ansi-dark")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, list_shown)
        await pilot.press("G")
        svg = await settle(app, pilot, list_shown)
        assert snapshot_cloud.normalize(svg) == svg_snapshot


async def test_list_60x20(snapshot_cloud: SnapshotCloud, svg_snapshot: SnapshotAssertion) -> None:
    app = snapshot_cloud.app()
    async with app.run_test(size=(60, 20)) as pilot:
        svg = await settle(app, pilot, list_shown)
        assert snapshot_cloud.normalize(svg) == svg_snapshot


async def test_list_120x36(snapshot_cloud: SnapshotCloud, svg_snapshot: SnapshotAssertion) -> None:
    app = snapshot_cloud.app()
    async with app.run_test(size=(120, 36)) as pilot:
        svg = await settle(app, pilot, list_shown)
        assert snapshot_cloud.normalize(svg) == svg_snapshot


async def test_help_80x24(snapshot_cloud: SnapshotCloud, svg_snapshot: SnapshotAssertion) -> None:
    app = snapshot_cloud.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, list_shown)
        await pilot.press("question_mark")
        svg = await settle(app, pilot, lambda app: isinstance(app.screen, HelpScreen))
        assert snapshot_cloud.normalize(svg) == svg_snapshot


async def test_json_view_80x24(snapshot_cloud: SnapshotCloud, svg_snapshot: SnapshotAssertion) -> None:
    app = snapshot_cloud.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, list_shown)
        await pilot.press("y")  # the row under the cursor: the newest, iris-staging
        svg = await settle(app, pilot, lambda app: isinstance(app.screen, JsonScreen))
        assert '"name": "iris-staging"' in app.screen.text
        assert snapshot_cloud.normalize(svg) == svg_snapshot


async def test_detail_80x24(snapshot_cloud: SnapshotCloud, svg_snapshot: SnapshotAssertion) -> None:
    """The Overview tab of the running deployment (`enter` on its row)."""
    from tui.screens.detail import DetailScreen

    app = snapshot_cloud.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, list_shown)
        await pilot.press("G")  # the oldest row, at the bottom: the running one
        await pilot.press("enter")

        def overview_shown(app) -> bool:
            screen = app.screen
            return (isinstance(screen, DetailScreen) and screen.deployment_name == RUNNING
                    and bool(screen.pods) and all(pod.status.ready for pod in screen.pods))
        svg = await settle(app, pilot, overview_shown)
        assert snapshot_cloud.normalize(svg) == svg_snapshot


async def test_detail_60x20(snapshot_cloud: SnapshotCloud, svg_snapshot: SnapshotAssertion) -> None:
    """The Overview at 60x20: connection state, `? Help` and `6 Logs` still on screen."""
    from tui.screens.detail import DetailScreen

    app = snapshot_cloud.app()
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(app, pilot, list_shown)
        await pilot.press("G")
        await pilot.press("enter")

        def overview_shown(app) -> bool:
            screen = app.screen
            return (isinstance(screen, DetailScreen) and screen.deployment_name == RUNNING
                    and bool(screen.pods) and all(pod.status.ready for pod in screen.pods))
        svg = await settle(app, pilot, overview_shown)
        assert snapshot_cloud.normalize(svg) == svg_snapshot


async def test_editor_80x24(snapshot_cloud: SnapshotCloud, svg_snapshot: SnapshotAssertion) -> None:
    """`n` on the v1 API (`--api-version v1`): the create form above the --file JSON (stacked
    below 100 columns), with its checks."""
    from tui.screens.editor import EditorScreen

    app = snapshot_cloud.app(api_version="v1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, list_shown)
        await pilot.press("n")
        await settle(app, pilot, lambda app: isinstance(app.screen, EditorScreen))
        await pilot.press(*"new-model")
        svg = await settle(app, pilot, lambda app: "new-model" in app.screen.query_one("#f-name").value)
        assert snapshot_cloud.normalize(svg) == svg_snapshot


async def test_editor_v2_80x24(snapshot_cloud: SnapshotCloud, svg_snapshot: SnapshotAssertion) -> None:
    """`n` in the default mode (auto → v2 against the control plane): the v2 form (bento,
    access, secrets, labels, the entry service's instance type and scaling) above the
    `deploy -f` JSON."""
    from tui.screens.editor_v2 import EditorV2Screen

    app = snapshot_cloud.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, list_shown)
        await pilot.press("n")
        await settle(app, pilot, lambda app: isinstance(app.screen, EditorV2Screen))
        await pilot.press(*"new-model")
        svg = await settle(app, pilot, lambda app: "new-model" in app.screen.query_one("#f-name").value)
        assert snapshot_cloud.normalize(svg) == svg_snapshot


async def test_terminate_confirm_80x24(snapshot_cloud: SnapshotCloud, svg_snapshot: SnapshotAssertion) -> None:
    """`t`: type the name to confirm; the button stays disabled until it matches."""
    from tui.screens.confirm import ConfirmByName

    app = snapshot_cloud.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, list_shown)
        await pilot.press("G", "t")  # the running deployment
        await settle(app, pilot, lambda app: isinstance(app.screen, ConfirmByName))
        await pilot.press(*RUNNING[:-1])  # all but the last letter: still disabled
        svg = await settle(app, pilot, lambda app: isinstance(app.screen, ConfirmByName))
        assert snapshot_cloud.normalize(svg) == svg_snapshot


async def test_scale_80x24(snapshot_cloud: SnapshotCloud, svg_snapshot: SnapshotAssertion) -> None:
    """`s`: min / max replicas per component; a wrong value is said under the boxes."""
    from tui.screens.scale import ScaleScreen

    app = snapshot_cloud.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, list_shown)
        await pilot.press("G", "s")  # the running deployment
        await settle(app, pilot, lambda app: isinstance(app.screen, ScaleScreen))
        await pilot.press("3", "tab", "2")  # min above max
        svg = await settle(app, pilot, lambda app: isinstance(app.screen, ScaleScreen))
        assert snapshot_cloud.normalize(svg) == svg_snapshot


async def test_alerts_80x24(snapshot_cloud: SnapshotCloud, svg_snapshot: SnapshotAssertion) -> None:
    """The alert history (`!`), newest first; a server's control characters shown escaped."""
    from datetime import datetime

    from tui.alerts import Alert
    from tui.screens.alerts import AlertsScreen

    app = snapshot_cloud.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, list_shown)
        noon = datetime(2026, 1, 1, 12, 0, 0).astimezone()  # local: the same 12:00 everywhere
        app.alerts.history.add(Alert(RUNNING, "turned unhealthy", noon))
        app.alerts.history.add(Alert(RUNNING, "replica restarted (1 more, 1 in all)",
                                     noon.replace(second=3)))
        app.alerts.history.add(Alert("evil\x1b[2Jname", "turned failed\x07", noon.replace(second=9)))
        await pilot.press("exclamation_mark")
        svg = await settle(app, pilot, lambda app: isinstance(app.screen, AlertsScreen))
        assert snapshot_cloud.normalize(svg) == svg_snapshot


async def test_pulse_80x24(snapshot_cloud: SnapshotCloud, svg_snapshot: SnapshotAssertion) -> None:
    """`p` on the list: the fleet at a glance; the running deployment's (idle) rates drawn."""
    from tui.screens.pulse import PulseScreen

    app = snapshot_cloud.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, list_shown)
        await pilot.press("p")

        def measured(app) -> bool:  # type: ignore[no-untyped-def]
            screen = app.screen
            return isinstance(screen, PulseScreen) and screen.metrics_supported is True and any(
                series[0] for series in screen.metrics.values())  # a measured interval, drawn

        svg = await settle(app, pilot, measured)
        assert snapshot_cloud.normalize(svg) == svg_snapshot
