"""Keys typed ahead reach the widget they were typed for.

Textual hands a key to the focused widget and runs a binding for it (the widget's, its
screen's or the App's) only after the key has bubbled back up through every ancestor's
message queue; by then the App has already handed the keys typed after it to the widget that
was focused before.  And a binding that moves the focus (`/` opens the filter box) does so a
turn later (`Widget.focus` defers itself with `call_later`).  So `/` then `ry` in one burst
(typed while the list was still loading, or arriving together over a slow link) sent `r` and
`y` to the table: `r` opened "restore this deployment?" and `y` answered it, instead of
filtering for "ry".

`KeyOrder` runs a key's binding in the App's own turn, before the next key is handed on,
whenever the focused widget does not take typed text (a table, a list, a button, no focus at
all), and for tab / shift+tab from a text field (`iris`, tab, `iris_classifier:v1` put it
all in the name box), and for a ctrl key a screen binds (`ctrl+f` from the name box): the
binding Textual would have run after the bubble (the same lookup, `active_bindings`:
focused widget first, then its ancestors, the screen and the App).  The keys that arrive
while what that binding started is still pending (a deferred focus) wait until it is done
and are then handled in order; so do the keys after an action the list holds while its
first rows are the slim ones (`n` then a name typed while it starts: the name went to the
list, whose `e`, `d` and `p` then opened an editor, a detail and the pulse as well), and the
keys after a flow's key until the flow has opened its screen (`n` opens the editor from a
worker; a name typed at once went to the list).  Text
fields are left to Textual (their own keys keep their order through `KeysInOrder`,
tui/widgets/safe_inputs.py).
"""

from __future__ import annotations

import time
from typing import Any

from textual import events
from textual.app import App
from textual.screen import Screen
from textual.worker import Worker

# From a text field only the keys that move the focus out of it are run here: the field's own
# keys stay in order with its characters through KeysInOrder, and a field may handle others
# itself (a TextArea's enter is a line break, whatever the screen binds to enter).
FOCUS_KEYS = ("tab", "shift+tab")
# Nor does a field insert a ctrl key: one bound by the screen (the editor's ctrl+f opens the
# bento picker) runs here too, so that `ctrl+f`, Enter, Enter at once reach the picker rather
# than the name box the picker is opened from.  A field's own ctrl keys (ctrl+a, ...) stay its.
SCREEN_KEYS = "ctrl+"


SETTLE_POLL_S = 0.01
# A flow (tui/actions.py) opens its screen from a worker, after imports or a request: keys wait
# for that screen at most this long, so a flow that opens none never stalls the keyboard.
FLOW_SCREEN_WAIT_S = 1.0
# Nor does anything else hold the keys longer (a first read that hangs): after this they are
# handled as they come, as before.  ctrl+q (a priority binding) never waits.
MAX_WAIT_S = 2.0


def holds_keys(screen: Any) -> bool:
    """Whether `screen` holds actions until it can run them (the list while its first rows are
    the slim ones: DeploymentsScreen.holding_keys); the keys typed after them wait as well."""
    return bool(getattr(screen, "holding_keys", False))


def takes_text(widget: Any) -> bool:
    """Whether `widget` consumes typed characters (an Input, a TextArea, an open Select)."""
    return widget is not None and bool(widget.check_consume_key("a", "a"))


def as_enter(event: events.Key) -> None:
    """A line feed read from the terminal is an Enter typed before the app took the terminal
    over: the terminal's cooked mode turns Enter's CR into LF (ICRNL), so `bentotui` and a
    second Enter at once (or an Enter pressed while it starts) arrived as ctrl+j, which
    nothing binds, and the deployment under the cursor was not opened.  Readline, too, takes
    ctrl+j as Enter."""
    event.key = "enter"
    event.character = "\r"


class KeyOrder:
    """The App's key handling in typing order (see above); one per App."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self._settling = False
        self._waiting: list[events.Key] = []
        # The keys that waited, posted back to the App's queue, in order; keys the terminal had
        # queued there meanwhile (typed after them, but ahead of them in the queue) go behind.
        self._replaying: list[events.Key] = []
        self._behind: list[events.Key] = []
        self._replayed_at = 0.0
        self._flow: tuple[Screen[Any], Worker[Any], float] | None = None
        self._since = 0.0  # when the keys began to wait
        self._gave_up: Screen[Any] | None = None  # a screen whose held actions took too long

    def flow_started(self, worker: Worker[Any]) -> None:
        """A key started a flow that may open a screen: the keys after it wait for that screen
        (`n` then a name typed at once: the name went to the list, its `c` copied the URL)."""
        self._flow = (self.app.screen, worker, time.monotonic() + FLOW_SCREEN_WAIT_S)
        self._settle()

    def _busy(self) -> bool:
        """Keys must wait: the screen holds actions, is being made, or a flow is opening one."""
        screen = self.app.screen
        if self._settling and time.monotonic() - self._since > MAX_WAIT_S:
            self._flow = None
            self._gave_up = screen  # its holding no longer makes the keys wait
            return False
        if (holds_keys(screen) and screen is not self._gave_up) or not screen.is_mounted:
            return True
        if self._flow is not None:
            before, worker, deadline = self._flow
            if screen is before and not worker.is_finished and time.monotonic() < deadline:
                return True
            self._flow = None
        return False

    async def handle(self, event: events.Key) -> bool:
        """True when `event` was taken here (run, or kept for later); False: Textual's turn."""
        if event.is_forwarded:
            return False  # on its way back up: Textual runs the bindings as ever
        if event.key == "ctrl+j":
            as_enter(event)
        if self._replaying and time.monotonic() - self._replayed_at > MAX_WAIT_S:
            self._replaying.clear()  # never came back (cannot happen, but never a dead keyboard)
            self._replay_behind()
        active = self.app.active_bindings.get(event.key)  # (walks the focus chain: once a key)
        priority = active is not None and active.binding.priority
        if self._replaying and not priority:
            if event is not self._replaying[0]:
                self._behind.append(event)  # typed after the keys on their way back
                return True
            self._replaying.pop(0)
            if not self._replaying:
                self.app.call_later(self._replay_behind)
        if (self._settling or self._busy()) and not priority:
            self._waiting.append(event)
            self._settle()
            return True
        focused = self.app.focused
        text_field = takes_text(focused)
        if text_field and event.key not in FOCUS_KEYS and not event.key.startswith(SCREEN_KEYS):
            return False
        # priority bindings are the App's to run as ever; a disabled one, or a key no binding
        # wants, goes on to the focused widget as before
        if active is None or priority or not active.enabled:
            return False
        if text_field and active.node is focused:
            return False  # the field's own (KeysInOrder runs it in order with its characters)
        self._settle()
        return await self.app.run_action(active.binding.action, active.node)

    def _settle(self) -> None:
        """Keys wait from now until what the last binding started is done."""
        if not self._settling:
            self._settling = True
            self._since = time.monotonic()
            self.app.call_later(self._settled)  # after what the binding queued (a focus change)

    def _settled(self) -> None:
        if self._busy():
            self.app.set_timer(SETTLE_POLL_S, self._settled)
            return
        # after what the screen queued: its held actions, its focus
        self.app.screen.call_after_refresh(self._release)

    def _release(self) -> None:
        if self._busy():
            self._settled()  # the screen changed again meanwhile
            return
        self._settling = False
        waiting, self._waiting = self._waiting, []
        self._replay(waiting)

    def _replay(self, keys: list[events.Key]) -> None:
        """`keys` back into the App's queue, in order, to be handled afresh (after what their
        wait was for: a focus given, a screen opened); see `_replaying`."""
        self._replayed_at = time.monotonic()
        for event in keys:
            if self.app.post_message(event):  # (not when the app is closing: never waited for)
                self._replaying.append(event)

    def _replay_behind(self) -> None:
        """The keys that arrived while others were on their way back: next, in order (behind
        the keys still waiting, if one of those started a new wait)."""
        behind, self._behind = self._behind, []
        if not behind:
            return
        if self._settling or self._replaying:
            self._waiting.extend(behind)
            self._settle()
        else:
            self._replay(behind)
