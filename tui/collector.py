"""The cyclic garbage collector, paused while a whole list is read.

Reading 10,000 deployments makes millions of long-lived, acyclic objects in a second or two;
with the collector on, its passes walk all of them again and again as they pile up (measured:
a 10,000-deployment list parsed in 6.4 s with it on, 1.8 s with it off).  A bulk load therefore
runs with the collector paused; what it made is then frozen out of later passes
(`BentoTUI.list_loaded`) and the collector resumes.  `bentotui` itself starts with it off
(tui/cli.py) until the first paint: `enable` respects a pause in progress, so the two nest.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_pauses = 0
_enable_after = False  # whether the collector goes back on when the last pause ends


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside; afterwards the collector is as it was (or as `enable` said)."""
    global _pauses, _enable_after
    if _pauses == 0:
        _enable_after = gc.isenabled()
    _pauses += 1
    gc.disable()
    try:
        yield
    finally:
        _pauses -= 1
        if _pauses == 0 and _enable_after:
            gc.enable()


def enabled() -> bool:
    """Whether the collector is on, or goes back on when the pause in progress ends."""
    return _enable_after if _pauses else gc.isenabled()


def enable() -> None:
    """Turn the collector on: now, or when the pause in progress ends."""
    global _enable_after
    if _pauses:
        _enable_after = True
    else:
        gc.enable()
