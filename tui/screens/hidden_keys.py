"""Keys whose binding the footer hides (for room, or for the row) still get an answer."""

from __future__ import annotations

import inspect
from typing import Any

from textual.actions import parse
from textual.binding import Binding
from textual.screen import Screen

from tui.read_only import READ_ONLY_ACTIONS, refused_read_only


async def answer_hidden_key(screen: Screen[Any], key: str, live: frozenset[str]) -> bool:
    """Run the action of a hidden binding of `key` (see `hidden_key`) directly: Textual's
    `run_action` would ask `check_action` again, which hid it.  True when one ran."""
    action = hidden_key(screen, key, live)
    if action is None:
        return False
    _, name, parameters = parse(action)
    result = getattr(screen, f"action_{name}")(*parameters)
    if inspect.isawaitable(result):
        await result
    return True


def hidden_key(screen: Screen[Any], key: str, live: frozenset[str]) -> str | None:
    """For a key that reached `screen` (on its way to the bindings): the action to run for
    it when its binding is hidden, or None.

    `check_action` hides a binding from the footer (and so from Textual's key handling) when
    the footer has no room for it or the row does not allow it; the actions named in `live`
    still deserve an answer.  In read-only mode a refused action gets "read-only: ... is
    disabled" (and None comes back); otherwise the action runs, and its flow says why not
    when the row does not allow it ("only a terminated deployment can be restored")."""
    app = screen.app
    settings = getattr(app, "settings", None)
    keymap = getattr(settings, "keymap", {}) or {}
    for binding in type(screen).BINDINGS:
        if not isinstance(binding, Binding):
            continue  # a (key, action) tuple has no id to remap and no description to show
        name = binding.action.split("(")[0]
        if name not in live and name not in READ_ONLY_ACTIONS:
            continue
        keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
        if key not in (k.strip() for k in keys.split(",")):
            continue
        if key in screen.active_bindings:  # (asked only now: it costs every check_action)
            return None  # a shown binding has it: Textual runs that one after this key bubbles
        if name in READ_ONLY_ACTIONS and refused_read_only(app, f"{binding.description.lower()} ({key})"):
            return None
        return binding.action if name in live else None
    return None
