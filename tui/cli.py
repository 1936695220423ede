"""Command line: `bentotui` (the TUI) and `bentotui local ...` (the local control plane)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from tui import __version__

if TYPE_CHECKING:
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bentotui",
        description="A keyboard-first terminal UI for BentoCloud Deployments. Without a "
        "BentoCloud login it runs on a local control plane, started in the background.",
    )
    parser.add_argument("--version", action="version", version=f"bentotui {__version__}")
    add_connection_flags(parser)
    ui = parser.add_argument_group("interface")
    ui.add_argument("--read-only", action="store_true", help="hide and refuse every mutation")
    ui.add_argument("--theme", metavar="NAME", help="colour theme (e.g. ansi-dark for 16 colours)")
    ui.add_argument("--mouse", action="store_true", help="enable the mouse (off by default)")

    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    local = sub.add_parser("local", help="manage the local control plane")
    local_sub = local.add_subparsers(dest="local_command", metavar="ACTION", required=True)
    start = local_sub.add_parser("start", help="start it (idempotent); prints the endpoint")
    start.add_argument("--port", type=int, help="port to listen on (default: the last one used, else 38510; "
                       "when that is taken, a free one, and it says so)")
    start.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default 127.0.0.1: loopback only)")
    start.add_argument("--foreground", action="store_true", help="run in this terminal")
    local_sub.add_parser("stop", help="stop it and its replicas")
    local_sub.add_parser("status", help="print its status as JSON")
    local_sub.add_parser("token", help="print its API token")
    watch = sub.add_parser("watch", help="no UI: one line per status or replica change")
    watch.add_argument("names", nargs="*", metavar="NAME", help="only these deployments")
    watch.add_argument("--json", action="store_true", help="one JSON object per line")
    add_connection_flags(watch, inner=True)
    return parser


def add_connection_flags(parser: argparse.ArgumentParser, inner: bool = False) -> None:
    """`--local`, `--context`, ... on the main parser and again after a subcommand
    (`inner`: without defaults, so they do not undo the same flags given before it)."""
    keep: dict[str, Any] = {"default": argparse.SUPPRESS} if inner else {}
    where = parser.add_argument_group("where to connect")
    where.add_argument("--local", action="store_true", help="use the local control plane", **keep)
    where.add_argument("--context", metavar="NAME", help="a bentoml login context (.yatai.yaml)",
                       **keep)
    where.add_argument("--endpoint", metavar="URL", help="a BentoCloud / Yatai endpoint", **keep)
    where.add_argument("--api-token", metavar="TOKEN", help="the API token for --endpoint", **keep)
    where.add_argument("--api-version", choices=("v1", "v2", "auto"),
                       **(keep or {"default": None}),
                       help="the deployment API to speak (default: detected once per endpoint, "
                       "or config.toml [api_version])")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "local":
        try:
            return _local(args)
        except BrokenPipeError:
            return _reader_gone()
    if args.command == "watch":
        from tui.watch_cli import run_watch  # deferred: start-up time

        return run_watch(args)
    try:
        return _run_tui(args)
    except KeyboardInterrupt:  # ctrl+c before the app has the terminal (then it is a key)
        return 130  # as a shell reports SIGINT, without a traceback of whatever was importing


def _reader_gone() -> int:
    """`bentotui local token | head -c 5`: the reader left; say nothing, as cat would.

    stdout goes to /dev/null so the interpreter's last flush at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


def _local(args: argparse.Namespace) -> int:
    from tui.localcloud import daemon  # deferred: start-up time (only `local` commands need these)
    from tui.localcloud.limits import LimitError
    from tui.localcloud.paths import read_or_create_token
    from tui.localcloud.state import resume

    paths = daemon.state_paths()
    try:
        if args.local_command == "start":
            if args.foreground:
                daemon.serve_foreground(paths, host=args.host, port=args.port)
                return 0
            if args.host != "127.0.0.1":
                print("--host needs --foreground", file=sys.stderr)
                return 2
            state = daemon.ensure_running(paths, port=args.port)
            print(f"endpoint: {state.endpoint}")
            print(f"token:    {state.token_file}  (print it with: bentotui local token)")
            moved = resume.read(paths).get("moved")
            if moved:
                print(f"note:     {moved}")
            return 0
        if args.local_command == "stop":
            stopped = daemon.stop(paths)
            print("stopped" if stopped else "not running")
            return 0
        if args.local_command == "status":
            print(json.dumps(daemon.status(paths).to_json(), indent=2))
            return 0
        if args.local_command == "token":
            print(read_or_create_token(paths))
            return 0
    except (daemon.DaemonError, LimitError) as exc:
        print(f"bentotui: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


def _early_target(args: argparse.Namespace) -> tuple[str, str] | None:
    """(endpoint, token) where resolve_context will connect, when that is known from the command
    line, the environment and the local control plane's files alone (no YAML, no pydantic), so
    the first requests go out before anything else is imported.  The same precedence as
    resolve_context: --local, then --endpoint/--api-token, then BENTO_CLOUD_API_KEY, then (no
    bentoml login file) the local control plane when it is up.  A bentoml login file
    (.yatai.yaml) may name the current context: that takes YAML and the models to read, so then
    the requests go out after resolving, as do a named --context's."""
    # deferred: start-up time (the module is cheap now, but `local` commands never need it)
    from tui.api.contexts import DEFAULT_CLOUD_ENDPOINT, ENV_API_KEY, ENV_ENDPOINT, no_login_file

    if args.local:
        return _running_local()
    if args.endpoint is not None or args.api_token is not None:
        if not args.api_token:
            return None  # resolve_context says what is wrong
        return args.endpoint or os.environ.get(ENV_ENDPOINT) or DEFAULT_CLOUD_ENDPOINT, args.api_token
    if args.context is not None:
        return None
    if os.environ.get(ENV_API_KEY):
        return os.environ.get(ENV_ENDPOINT) or DEFAULT_CLOUD_ENDPOINT, os.environ[ENV_API_KEY]
    return _running_local() if no_login_file() else None


def _running_local() -> tuple[str, str] | None:
    """The local control plane's endpoint and token when it is up (its files say so), else None:
    the app starts it, and asks then."""
    from tui.localcloud.paths import StatePaths, bentotui_home  # deferred: start-up time (stdlib only)
    from tui.localcloud.running import running_endpoint

    return running_endpoint(StatePaths(bentotui_home()))


def _run_tui(args: argparse.Namespace) -> int:
    # The first requests go out now, before anything else is imported (tui/api/prefetch.py):
    # they travel while Python loads pydantic and Textual.
    from tui.api.prefetch import Prefetch  # deferred: start-up time (standard library only)

    early = _early_target(args)
    prefetch = Prefetch.start_for(*early) if early else None
    # No cyclic garbage collection while starting: imports and the first page allocate a lot
    # and almost nothing of it is garbage, and the collector's passes over it cost ~10% of the
    # start.  The app turns it back on (after freezing what start-up made) once the list is
    # painted: BentoTUI.startup_finished.
    import gc

    gc.disable()
    from tui.api.contexts import ContextError, resolve_context  # deferred: start-up time (after gc.disable)

    try:
        context = resolve_context(
            endpoint=args.endpoint,
            api_token=args.api_token,
            context_name=args.context,
            force_local=args.local,
        )
    except ContextError as exc:
        from tui.widgets.safe_text import clean_block  # deferred: start-up time; the message may quote a context file

        print(f"bentotui: {clean_block(exc)}", file=sys.stderr)
        return 2
    from tui.config import with_api_version  # deferred: start-up time

    context = with_api_version(context, args.api_version)
    if early is None:
        endpoint, token = context.endpoint, context.api_token
        if context.is_local and not endpoint:  # a local control plane that is already up
            endpoint, token = _running_local() or (None, None)
        prefetch = Prefetch.start_for(endpoint, token)
    from tui.app import run_app  # deferred: start-up time: Textual loads while the prefetch runs

    return run_app(context, read_only=args.read_only, theme=args.theme, mouse=args.mouse,
                   prefetch=prefetch)


if __name__ == "__main__":
    sys.exit(main())
