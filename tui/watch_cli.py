"""`bentotui watch [NAME...] [--json]`: deployment changes as lines, for tmux panes and scripts.

No UI: one line per status or replica change, flushed as it happens (pipes see it at once),
from the same streams the TUI lives on.  Server text is escaped (`clean`), so a hostile name
or reason cannot drive the terminal the lines are printed to.  Exit 0 on ctrl+c / SIGTERM,
2 when the endpoint cannot be used (refused token, unreachable).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import TYPE_CHECKING, TextIO

from tui.monitor import Change, FleetMonitor
from tui.widgets.safe_text import clean

if TYPE_CHECKING:
    from tui.api.contexts import Context


def format_line(change: Change, as_json: bool) -> str:
    s = change.snapshot
    if as_json:
        record = {
            "time": change.time.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "name": s.name, "status": s.status, "event": change.event, "reason": change.reason,
            "replicas_ready": s.replicas_ready, "replicas_desired": s.replicas_desired,
            "restarts": s.restarts,
        }
        return json.dumps(record, ensure_ascii=True)  # \\u escapes: no control character out
    ready = "?" if s.replicas_ready is None else s.replicas_ready
    desired = "?" if s.replicas_desired is None else s.replicas_desired
    when = change.time.astimezone().strftime("%H:%M:%S")
    return (f"{when}  {clean(s.name)}  {clean(s.status)}  {ready}/{desired}  "
            f"{clean(change.reason)}")


def run_watch(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    from tui.api.contexts import ContextError, resolve_context  # deferred: start-up time
    from tui.config import with_api_version  # deferred: start-up time

    try:
        context = resolve_context(endpoint=args.endpoint, api_token=args.api_token,
                                  context_name=args.context, force_local=args.local)
    except ContextError as exc:
        print(f"bentotui: {clean(exc)}", file=err)
        return 2
    context = with_api_version(context, args.api_version)
    try:
        return asyncio.run(_watch(context, args.names, args.json, out, err))
    except KeyboardInterrupt:
        return 0


class _Connection:
    """Says on stderr when the stream drops and when it is back (once each, not per retry):
    a pane that stays quiet must not look like a fleet where nothing happens."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.down = False

    def changed(self, state: str, error: str | None) -> None:
        if state == "reconnecting" and not self.down:
            self.down = True
            print(f"bentotui: connection lost ({clean(error or 'no reason given')}); "
                  "reconnecting", file=self.err, flush=True)
        elif state == "connected" and self.down:
            self.down = False
            print("bentotui: connected again", file=self.err, flush=True)


async def _watch(context: Context, names: list[str], as_json: bool, out: TextIO, err: TextIO) -> int:
    from tui.api.errors import ApiError, UnauthorizedError  # deferred: start-up time
    from tui.session import SessionError, open_session, refused_advice  # deferred: start-up time

    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, main.cancel)
    session = None
    monitor = None
    try:
        try:
            session = await open_session(context)
        except SessionError as exc:
            advice = f" ({refused_advice(context)})" if exc.refused else ""
            print(f"bentotui: {context.endpoint or context.name}: {clean(exc)}{advice}", file=err)
            return 2
        monitor = FleetMonitor(session.client, session.cluster, names,
                               cluster_push=session.has_extension("subscription_cluster"),
                               on_connection=_Connection(err).changed)
        try:
            unknown = await monitor.start()
        except ApiError as exc:
            print(f"bentotui: {clean(exc.message)}", file=err)
            return 2
        later = " (its creation will show)" if monitor.cluster_push else ""
        for name in unknown:
            print(f"bentotui: no deployment named {clean(name)} in cluster "
                  f"{clean(session.cluster)}{later}", file=err, flush=True)
        try:
            async for change in monitor.changes():
                out.write(format_line(change, as_json) + "\n")
                out.flush()
        except UnauthorizedError as exc:
            print(f"bentotui: token refused: {clean(exc.message)} ({refused_advice(context)})",
                  file=err)
            return 2
        except BrokenPipeError:
            return 0  # the reader went away (`| head`): done
    except asyncio.CancelledError:
        return 0
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        if monitor is not None:
            await monitor.aclose()
        if session is not None:
            await session.close()
    return 0
