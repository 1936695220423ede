"""Copying text out of the app, and saying honestly what became of it.

Two ways out: the system clipboard through pyperclip (it knows when that worked), and OSC 52,
an escape sequence the terminal may act on or drop without a word (over SSH it is the only
way).  So the message says "copied" only for the first; for OSC 52 it says the text was sent,
and under tmux, whose default drops OSC 52 from programs, how to let it through.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Protocol

OSC52_SENT = "sent to the terminal (OSC 52) — your terminal may ignore it"
TMUX_HINT = "tmux passes it on only with `set -g set-clipboard on` (in ~/.tmux.conf)"


class _Terminal(Protocol):
    def copy_to_clipboard(self, text: str) -> None: ...


def tmux_clipboard_setting() -> str | None:
    """tmux's `set-clipboard` ("on", "external", "off") when running inside tmux, else None;
    "" when it cannot be asked."""
    if not os.environ.get("TMUX"):
        return None
    tmux = shutil.which("tmux")
    if tmux is None:
        return ""
    try:
        answer = subprocess.run([tmux, "show-options", "-gv", "set-clipboard"],
                                capture_output=True, text=True, timeout=2)
    except (OSError, subprocess.SubprocessError):
        return ""
    return answer.stdout.strip() if answer.returncode == 0 else ""


def copy(terminal: _Terminal, text: str) -> tuple[bool, str]:
    """Copy `text` both ways.  (True, how) when the system clipboard took it; (False, how)
    when it was only sent to the terminal, `how` saying so (and what to do under tmux)."""
    terminal.copy_to_clipboard(text)  # OSC 52: works over SSH, if the terminal allows it
    try:
        import pyperclip

        pyperclip.copy(text)
        return True, "copied to the system clipboard"
    except Exception:  # no clipboard here (SSH, no display, no xclip): OSC 52 is all there is
        pass
    how = OSC52_SENT
    if tmux_clipboard_setting() not in (None, "on"):
        how += f"; {TMUX_HINT}"
    return False, how
