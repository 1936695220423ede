"""One connection of the app: a resolved context, its client, its clusters.

No Textual here: screens ask the session for a client and for what the server can do
(`has_extension`), and stay ignorant of how the local control plane is started.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.api.api_version import Flavour, api_flavour
from tui.api.client import BentoCloudClient
from tui.api.contexts import Context
from tui.api.errors import ApiError, ConnectionFailed, UnauthorizedError
from tui.api.prefetch import Prefetch

if TYPE_CHECKING:
    from tui.api.client_v2 import DeploymentsV2

# Once the clusters are in, how long the first screen still waits for the flavour's answer;
# after that it opens on v1 (which every BentoCloud still serves) rather than paint late.
DETECT_GRACE_S = 2.0


class SessionError(Exception):
    """The context could not be opened; the message says why.

    `answered` tells a server that answered wrongly (HTML from a proxy, a refused token) from
    one that could not be reached: the user's next step differs.  `refused`: the server said
    the token is not good (401/403); asking again with the same token cannot help.
    """

    def __init__(self, message: str, *, answered: bool = False, refused: bool = False) -> None:
        super().__init__(message)
        self.answered = answered
        self.refused = refused


@dataclass
class Session:
    context: Context
    client: BentoCloudClient
    clusters: list[str] = field(default_factory=list)
    cluster: str = "default"
    info: dict[str, Any] = field(default_factory=dict)
    # The deployment API the screens use: forced by the context (--api-version, config.toml
    # [api_version]) or detected once per endpoint ("auto", the default).
    flavour: Flavour = "v1"
    # Why the screens fell back to v1 when detection could not answer ("" when it did).
    flavour_note: str = ""

    @property
    def v2(self) -> DeploymentsV2:
        """The v2 deployment calls, on the same connection as `client`."""
        from tui.api.client_v2 import DeploymentsV2  # deferred: start-up time (v2 models load when used)

        return DeploymentsV2(self.client)

    @property
    def endpoint(self) -> str:
        return self.client.endpoint

    @property
    def is_local(self) -> bool:
        return self.context.is_local

    def has_extension(self, name: str) -> bool:
        """Whether the server offers one of the local control plane's extensions."""
        return name in (self.info.get("extensions") or [])

    @property
    def token(self) -> str:
        """For the `curl` command the user copies; never rendered unmasked on screen."""
        return self.context.api_token or ""

    async def close(self) -> None:
        await self.client.aclose()


async def start_local_control_plane() -> Context:
    """The local context with its endpoint, starting the daemon in the background if needed."""
    from tui.api.contexts import local_context  # deferred: start-up time (only the local context needs the daemon)
    from tui.localcloud import daemon
    from tui.localcloud.paths import read_or_create_token

    paths = daemon.state_paths()
    try:
        status = await asyncio.to_thread(daemon.ensure_running, paths)
    except daemon.DaemonError as exc:
        raise SessionError(str(exc)) from None
    token = await asyncio.to_thread(read_or_create_token, paths)
    assert status.endpoint is not None
    return local_context().with_endpoint(status.endpoint, token)


def refused_advice(context: Context) -> str:
    """What to do about a refused token, for where this context's token comes from."""
    if context.is_local:
        return ("the local control plane's token is in $BENTOTUI_HOME/token "
                "(`bentotui local token` prints it)")
    if context.source == "bentoml":
        return (f"log in again: `bentoml cloud login --endpoint {context.endpoint} "
                "--api-token NEW_TOKEN` (it updates this context)")
    if context.source == "env":
        return "set BENTO_CLOUD_API_KEY to a valid token, or `bentoml cloud login`"
    return ("start again with a valid `--api-token` (`bentotui local token` prints the local "
            "control plane's), or log in with `bentoml cloud login`")


async def open_session(context: Context, cluster: str | None = None,
                       prefetch: Prefetch | None = None) -> Session:
    """Connect: start the local control plane when needed, learn the clusters and extensions.
    `prefetch` answers the first requests if it was started for this same endpoint."""
    if context.is_local and not context.endpoint:
        forced = context.api_version  # the endpoint is found below; the override stays
        if prefetch is not None and await prefetch.server_answered():
            # found up by `bentotui` itself (tui.localcloud.running.running_endpoint), and it answered
            from tui.api.contexts import local_context  # deferred: start-up time

            context = local_context().with_endpoint(prefetch.endpoint, prefetch.token)
        else:
            context = await start_local_control_plane()
        context = context.model_copy(update={"api_version": forced})
    if not context.endpoint or not context.api_token:
        raise SessionError(f"context {context.name!r} has no endpoint or API token")
    if prefetch is not None and prefetch.endpoint != context.endpoint.rstrip("/"):
        prefetch = None
    client = BentoCloudClient(context.endpoint, context.api_token, prefetch=prefetch)
    session = Session(context=context, client=client)
    # Asked beside the first requests, so detection adds no round trip to the first paint.
    detection = asyncio.ensure_future(api_flavour(client, context.api_version))
    try:
        session.info = await client.server_info() or {}
        clusters = await client.list_clusters()
        session.clusters = [c.name for c in clusters.items]
        session.flavour, session.flavour_note = await _detected_flavour(detection)
    except ApiError as exc:
        detection.cancel()
        detection.add_done_callback(_quiet)
        await client.aclose()
        raise SessionError(exc.message, answered=not isinstance(exc, ConnectionFailed),
                           refused=isinstance(exc, UnauthorizedError)) from None
    if cluster and cluster in session.clusters:
        session.cluster = cluster
    elif session.clusters:
        session.cluster = session.clusters[0]
    return session


async def _detected_flavour(detection: asyncio.Future[Flavour]) -> tuple[Flavour, str]:
    """The flavour detection found, or v1 with the reason when it failed or was slow.  A failed
    detection is not remembered: the next connection to the endpoint asks again."""
    try:
        return await asyncio.wait_for(detection, DETECT_GRACE_S), ""
    except ApiError as exc:
        reason = exc.message
    except TimeoutError:
        reason = f"no answer within {DETECT_GRACE_S:.0f} s"
    return "v1", (f"Could not tell which deployment API the server speaks ({reason}); "
                  "using v1. Reconnect (x) to ask again, or set --api-version.")


def _quiet(future: asyncio.Future[Flavour]) -> None:
    """The detection's outcome when the session failed anyway: read, so it is not reported."""
    if not future.cancelled():
        future.exception()
