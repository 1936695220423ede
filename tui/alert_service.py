"""The app's ear on watched deployments: it listens whatever screen is showing.

Why on the app and not on a screen: an alert must come while the user reads logs, edits a
deployment or has help open.  The same `FleetMonitor` as `bentotui watch` follows only the
watched deployments; a change that `alert_reason` calls bad rings the bell, notifies, is kept
in the history (`!`) and, with `alerts.desktop = true`, goes to the desktop by OSC 9 / 777.
The error-rate alert polls the metrics route (only the local control plane has one) every
`METRICS_INTERVAL` seconds, only while a threshold is configured and something is watched.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from textual.worker import Worker

from tui.alerts import Alert, AlertHistory, desktop_sequences
from tui.api.errors import ApiError
from tui.monitor import FleetMonitor, alert_reason
from tui.watchlist import load_watched, save_watched
from tui.widgets.textual_compat import write_to_terminal

if TYPE_CHECKING:
    from tui.app import BentoTUI
    from tui.session import Session

METRICS_INTERVAL = 5.0
METRICS_WINDOW_S = 30  # seconds of metrics the error rate is computed over
# One crash is several changes (unhealthy, backing off, restarted): all go to the history,
# but the bell and the notification come once per deployment in this many seconds.
QUIET_S = 10.0


class AlertService:
    def __init__(self, app: BentoTUI) -> None:
        self.app = app
        self.history = AlertHistory()
        self.watched: set[str] = set()
        self._worker: Worker[None] | None = None
        self._over_threshold: set[str] = set()  # error rate above it: alert once per crossing
        self._last_rung: dict[str, float] = {}  # name -> monotonic time of its last bell

    # ------------------------------------------------------------------ the watched set

    def session_opened(self, session: Session) -> None:
        """A (new) connection: its watched set, and listening to it."""
        self.watched = load_watched(session.endpoint, session.cluster)
        self._restart()

    def is_watched(self, name: str) -> bool:
        return name in self.watched

    def toggle(self, name: str) -> bool:
        """Watch or stop watching `name`; True when it is watched now."""
        session = self.app.session
        if session is None:
            return False
        if name in self.watched:
            self.watched.discard(name)
        else:
            self.watched.add(name)
        try:
            save_watched(session.endpoint, session.cluster, self.watched)
        except OSError as exc:
            self.app.notify(f"could not save the watch list: {exc}", severity="warning")
        self._restart()
        return name in self.watched

    # ------------------------------------------------------------------ listening

    def _restart(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        if self.watched and self.app.session is not None:
            self._worker = self.app.run_worker(self._listen(self.app.session, set(self.watched)),
                                               group="alerts", exit_on_error=False)

    async def _listen(self, session: Session, names: set[str]) -> None:

        monitor = FleetMonitor(session.client, session.cluster, names,
                               cluster_push=session.has_extension("subscription_cluster"))
        poller = None
        try:
            try:
                await monitor.start()
            except ApiError:
                return  # not connected: the next session (or a toggle) starts again
            if self.app.settings.alert_error_rate is not None:
                poller = asyncio.create_task(self._poll_error_rates(session, names))
            async for change in monitor.changes():
                reason = alert_reason(change)
                if reason is not None:
                    self.raise_alert(change.snapshot.name, reason)
        finally:
            if poller is not None:
                poller.cancel()
            await monitor.aclose()

    async def _poll_error_rates(self, session: Session, names: set[str]) -> None:

        threshold = self.app.settings.alert_error_rate
        assert threshold is not None
        while True:
            for name in sorted(names):
                with contextlib.suppress(ApiError):
                    metrics = await session.client.deployment_metrics(
                        session.cluster, name, since_seconds=METRICS_WINDOW_S)
                    if metrics is None:
                        return  # the server provides no metrics: no such alert here
                    requests = sum(p.value for p in metrics.requests)
                    errors = sum(p.value for p in metrics.errors)
                    rate = errors / requests if requests else 0.0
                    if rate > threshold and name not in self._over_threshold:
                        self._over_threshold.add(name)
                        self.raise_alert(name, f"error rate {rate:.0%} is above "
                                               f"{threshold:.0%}")
                    elif rate <= threshold:
                        self._over_threshold.discard(name)
            await asyncio.sleep(METRICS_INTERVAL)

    def raise_alert(self, name: str, reason: str) -> None:
        alert = Alert(name, reason)
        self.history.add(alert)
        from tui.screens.alerts import AlertsScreen  # deferred: start-up time

        if isinstance(self.app.screen, AlertsScreen):
            self.app.screen.refresh_list()
        now = time.monotonic()
        if now - self._last_rung.get(name, -QUIET_S) < QUIET_S:
            return  # the same trouble, still unfolding: recorded, not rung again
        self._last_rung[name] = now
        self.app.bell()
        self.app.notify(alert.text, title="Alert", severity="error", timeout=10)
        if self.app.settings.alert_desktop:
            self._desktop(alert)

    def _desktop(self, alert: Alert) -> None:
        with contextlib.suppress(Exception):
            write_to_terminal(self.app, desktop_sequences(f"bentotui: {alert.name}", alert.reason))
