"""Read-only mode's refusals, shared by the screens' key handling and the flows."""

from __future__ import annotations

from typing import Any

READ_ONLY_MESSAGE = "read-only: {what} is disabled ({why})"
# The actions a read-only app refuses: every mutation, and `i`, whose POST can cold-start a
# function (and whatever the endpoint does with it).
READ_ONLY_ACTIONS = frozenset({"mutate", "rollback", "interact"})


def refused_read_only(app: Any, what: str) -> bool:
    """True (and a warning) when the app is read-only."""
    if getattr(app, "read_only", False):
        why = getattr(app, "read_only_reason", "") or "started read-only"
        app.notify(READ_ONLY_MESSAGE.format(what=what, why=why), title="Read-only",
                   severity="warning")
        return True
    return False
