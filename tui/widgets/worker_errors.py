"""Worker failures go up to the app's one handler instead of being dropped.

Textual posts `Worker.StateChanged` only to the node that ran the worker (it does not bubble)
and every worker here runs with ``exit_on_error=False``, so a failure nobody handles vanishes.
Every screen mixes this in (tests/app/test_worker_errors.py checks): the failure becomes a
`WorkerFailed` message that the app turns into one readable, token-free notification.
"""

from __future__ import annotations

from textual.message_pump import MessagePump
from textual.worker import Worker, WorkerState

from tui.messages import WorkerFailed


class ReportsWorkerErrors:
    """Mixin for a screen or widget: its workers' errors reach `BentoTUI.on_worker_failed`."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        where = getattr(self, "deployment_name", None) or getattr(self, "title", None) \
            or type(self).__name__
        assert isinstance(self, MessagePump)  # a mixin of screens and widgets
        self.app.post_message(WorkerFailed(event.worker, str(where)))
