"""The mutation flows (and the screens around them), callable from any screen.

Every flow takes the app and the `DeploymentSchema` captured when the key was pressed, so a
refresh that moves the cursor cannot change the target.  Each is a coroutine:

* inside a worker, ``await actions.terminate_deployment(app, dep)`` runs it and returns the
  server's answer (or None when refused, cancelled or failed);
* anywhere else (a plain action method, the palette), ``actions.run(app,
  actions.terminate_deployment, dep)`` starts it in a worker on the app (group
  ``"mutations"``), which survives the screen that asked for it.  Calling a flow outside a
  worker does the same thing by itself, because confirmations need `push_screen_wait`.

Mutations refuse in read-only mode with a warning.  API errors are shown with the server's
own message; nothing raises out of a flow.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import SystemCommand
from textual.markup import escape as escape_markup
from textual.worker import NoActiveWorker, Worker, get_current_worker

from tui.api import models as m
from tui.api.client import BentoCloudClient
from tui.api.errors import ApiError
from tui.documents.v1 import document_of_revision
from tui.messages import Flow
from tui.read_only import READ_ONLY_ACTIONS, READ_ONLY_MESSAGE, refused_read_only  # noqa: F401 (kept importable from here)
from tui.screens.confirm import ConfirmByName, ConfirmScreen
from tui.session import Session, SessionError
from tui.widgets.humanize import revision_label
from tui.widgets.safe_text import clean

if TYPE_CHECKING:
    from textual.screen import Screen

    from tui.app import BentoTUI

log = logging.getLogger(__name__)

R = TypeVar("R")

MUTATION_GROUP = "mutations"
TERMINATED = {m.DeploymentStatus.TERMINATED, m.DeploymentStatus.TERMINATING}


# --------------------------------------------------------------------------- plumbing


def client_of(app: BentoTUI) -> BentoCloudClient | None:
    session = getattr(app, "session", None)
    if session is None:
        app.notify("not connected yet", severity="warning")
        return None
    return session.client


def session_of(app: BentoTUI) -> Session:
    """The open session: the flows that need one start from screens shown only with one."""
    if app.session is None:
        raise SessionError("not connected yet")
    return app.session


def _in_worker() -> bool:
    try:
        get_current_worker()
    except NoActiveWorker:
        return False
    return True


def run(app: BentoTUI, flow: Callable[..., Awaitable[Any]], *args: Any) -> Worker[Any]:
    """Start `flow(app, *args)` in a worker on the app (group "mutations")."""
    return app.run_worker(
        flow(app, *args),
        group=MUTATION_GROUP,
        name=getattr(flow, "__name__", "mutation"),
        description=f"{getattr(flow, '__name__', 'mutation')}",
        exit_on_error=False,
    )


def flow(title: str) -> Callable[[Callable[..., Awaitable[R]]], Callable[..., Awaitable[R | None]]]:
    """Make a flow safe to call from anywhere: errors become notifications titled `title`,
    and outside a worker the flow re-launches itself in one (returning None at once)."""

    def decorate(func: Callable[..., Awaitable[R]]) -> Callable[..., Awaitable[R | None]]:
        @functools.wraps(func)
        async def wrapper(app: BentoTUI, *args: Any) -> R | None:
            if not _in_worker():
                run(app, wrapper, *args)
                return None
            try:
                return await func(app, *args)
            except ApiError as exc:
                app.notify(exc.message, title=f"{title} failed", severity="error", timeout=10)
            except Exception as exc:  # a bug must not take the app down with it
                log.exception("%s failed", title)
                app.notify(f"{type(exc).__name__}: {exc}", title=f"{title} failed",
                           severity="error", timeout=10)
            return None

        return wrapper

    return decorate


async def fresh(app: BentoTUI, dep: m.DeploymentSchema) -> m.DeploymentSchema:
    """`dep` with its latest revision; fetched again only when the captured copy lacks it."""
    if dep.latest_revision is not None and dep.latest_revision.targets:
        return dep
    client = client_of(app)
    if client is None:
        return dep
    return await client.get_deployment(dep.cluster.name, dep.name, dep.kube_namespace)


async def _revision(app: BentoTUI, dep: m.DeploymentSchema,
                    revision: m.DeploymentRevisionSchema | str) -> m.DeploymentRevisionSchema:
    if isinstance(revision, m.DeploymentRevisionSchema):
        return revision
    client = client_of(app)
    assert client is not None
    return await client.get_revision(dep.cluster.name, dep.name, revision, dep.kube_namespace)


def show_deployment(app: BentoTUI, dep: m.DeploymentSchema) -> None:
    """Open the detail screen of `dep`, unless the screen on top already shows it.

    A screen that shows one deployment may define ``shows_deployment(name) -> bool``, or a
    ``deployment_name`` attribute (the detail screen has one)."""
    screen = app.screen
    shows = getattr(screen, "shows_deployment", None)
    if callable(shows) and shows(dep.name):
        return
    if getattr(screen, "deployment_name", None) == dep.name:
        return
    app.open_deployment(dep)


# --------------------------------------------------------------------------- flows


@flow("New deployment")
async def new_deployment(app: BentoTUI) -> None:
    """Open the editor on an empty deployment of the current cluster."""
    if refused_read_only(app, "creating deployments"):
        return
    if client_of(app) is None:
        return
    if on_v2(app):
        from tui.screens.editor_v2 import EditorV2Screen  # deferred: start-up time

        await app.push_screen(EditorV2Screen.for_create(session_of(app).cluster))
        return
    from tui.screens.editor import EditorScreen  # deferred: start-up time

    await app.push_screen(EditorScreen.for_create(session_of(app).cluster))


@flow("Edit")
async def edit_deployment(app: BentoTUI, dep: m.DeploymentSchema) -> None:
    """Open the editor on `dep`'s active revision; submitting makes a new revision."""
    if refused_read_only(app, "editing deployments"):
        return
    from tui.screens.editor import EditorScreen  # deferred: start-up time

    dep = await fresh(app, dep)
    if on_v2(app):
        from tui.screens.editor_v2 import EditorV2Screen  # deferred: start-up time

        current = await session_of(app).v2.get(dep.name, dep.cluster.name)
        await app.push_screen(EditorV2Screen.for_update_v2(dep, current))
        return
    await app.push_screen(EditorScreen.for_update(dep))


@flow("Terminate")
async def terminate_deployment(app: BentoTUI, dep: m.DeploymentSchema) -> m.DeploymentSchema | None:
    """Type-the-name confirm, then terminate (revisions are kept; `r` restores)."""
    if refused_read_only(app, "terminate"):
        return None
    if dep.status in TERMINATED:
        app.notify(f"{dep.name} is already {dep.status.value}", severity="warning")
        return None
    client = client_of(app)
    if client is None:
        return None

    if not await app.push_screen_wait(ConfirmByName("Terminate", dep.name, dep.cluster.name)):
        return None
    if on_v2(app):
        await session_of(app).v2.terminate(dep.name, dep.cluster.name)
        result = await client.get_deployment(dep.cluster.name, dep.name, dep.kube_namespace)
    else:
        result = await client.terminate_deployment(dep.cluster.name, dep.name, dep.kube_namespace)
    app.notify(f"Terminating {dep.name} on {dep.cluster.name}.  Press r to restore it later.",
               title="Terminate")
    return result


@flow("Delete")
async def delete_deployment(app: BentoTUI, dep: m.DeploymentSchema) -> m.DeploymentSchema | None:
    """Type-the-name confirm, then delete; refused unless terminated (or terminating)."""
    if refused_read_only(app, "delete"):
        return None
    if dep.status not in TERMINATED:
        app.notify(f"{dep.name} is {dep.status.value}: only a terminated deployment can be "
                   "deleted — terminate it first with t", title="Delete", severity="warning", timeout=8)
        return None
    client = client_of(app)
    if client is None:
        return None

    if not await app.push_screen_wait(ConfirmByName("Delete", dep.name, dep.cluster.name)):
        return None
    if on_v2(app):
        await session_of(app).v2.delete(dep.name, dep.cluster.name)
        result = dep
    else:
        result = await client.delete_deployment(dep.cluster.name, dep.name, dep.kube_namespace)
    app.notify(f"Deleted {dep.name} and its revisions from {dep.cluster.name}", title="Delete")
    from tui.screens.detail import DetailScreen  # deferred: start-up time

    screen = app.screen
    if isinstance(screen, DetailScreen) and screen.deployment_name == dep.name:
        app.pop_screen()  # nothing left to show: back to the list
    return result


@flow("Restore")
async def restore_deployment(app: BentoTUI, dep: m.DeploymentSchema) -> m.DeploymentSchema | None:
    """y/n confirm, then PATCH with the active revision's targets (a new revision)."""
    if refused_read_only(app, "restore"):
        return None
    if dep.status != m.DeploymentStatus.TERMINATED:
        hint = " (wait until it is terminated)" if dep.status == m.DeploymentStatus.TERMINATING else ""
        app.notify(f"{dep.name} is {dep.status.value}: only a terminated deployment can be "
                   f"restored{hint}", title="Restore", severity="warning")
        return None
    client = client_of(app)
    if client is None:
        return None
    dep = await fresh(app, dep)
    if on_v2(app):
        return await _start_v2(app, client, dep)
    document = dep.to_file_document()
    if not document.targets:
        app.notify(f"{dep.name} has no revision to restore from", title="Restore", severity="error")
        return None
    bento = ", ".join(t.bento_tag for t in document.targets)
    question = (f"Restore {dep.name} on {dep.cluster.name}?\n\nIt is deployed again with its "
                f"last configuration ({bento}) as a new revision.")
    result = await _confirm_and_redeploy(app, client, dep, document, "Restore deployment",
                                         question, yes="Restore")
    if result is not None:
        app.notify(f"Restoring {dep.name}", title="Restore")
    return result


def on_v2(app: BentoTUI) -> bool:
    """Whether the session uses the v2 deployment API (`--api-version v2`)."""
    return app.session is not None and app.session.flavour == "v2"


async def _start_v2(app: BentoTUI, client: BentoCloudClient,
                    dep: m.DeploymentSchema) -> m.DeploymentSchema | None:
    """1.4's `deployment start`: a y/n confirm, then an update with the current config."""
    question = (f"Start {dep.name} on {dep.cluster.name} again?\n\nIt is deployed with its "
                "current configuration (`bentoml deployment start`).")
    if not await app.push_screen_wait(ConfirmScreen("Start deployment", question, yes="Start")):
        return None
    await session_of(app).v2.start(dep.name, dep.cluster.name)
    app.notify(f"Starting {dep.name}", title="Restore")
    return await client.get_deployment(dep.cluster.name, dep.name, dep.kube_namespace)


async def _rollback_v2(app: BentoTUI, client: BentoCloudClient, dep: m.DeploymentSchema,
                       revision: m.DeploymentRevisionSchema) -> m.DeploymentSchema | None:
    """v2: PUT the revision's config (bento and services) as the whole new config."""
    from tui.api.deployment_view import revision_body_v2  # deferred: start-up time (v2 models)

    body = revision_body_v2(dep, revision)
    if body is None:
        app.notify("that revision has no targets", title="Roll back", severity="error")
        return None
    question = (f"Roll {dep.name} back to revision {revision_label(revision)}?\n\n"
                f"Its configuration ({body.bento}) is sent as the whole new config (PUT).")
    if not await app.push_screen_wait(ConfirmScreen("Roll back", question, yes="Roll back")):
        return None
    await session_of(app).v2.update(dep.name, body, dep.cluster.name)
    app.notify(f"Rolled {dep.name} back to {revision.name or revision.uid[:8]}", title="Roll back")
    return await client.get_deployment(dep.cluster.name, dep.name, dep.kube_namespace)


@flow("Roll back")
async def rollback_to_revision(app: BentoTUI, dep: m.DeploymentSchema,
                               revision: m.DeploymentRevisionSchema | str) -> m.DeploymentSchema | None:
    """y/n confirm, then PATCH with `revision`'s targets (which makes a new revision)."""
    if refused_read_only(app, "roll back"):
        return None
    client = client_of(app)
    if client is None:
        return None
    revision = await _revision(app, dep, revision)
    if on_v2(app):
        return await _rollback_v2(app, client, dep, revision)
    document = document_of_revision(dep, revision)
    if not document.targets:
        app.notify("that revision has no targets", title="Roll back", severity="error")
        return None
    bento = ", ".join(t.bento_tag for t in document.targets)
    question = (f"Roll {dep.name} back to revision {revision_label(revision)}?\n\n"
                f"Its targets ({bento}) are deployed as a new revision; the history is kept.")
    result = await _confirm_and_redeploy(app, client, dep, document, "Roll back", question,
                                         yes="Roll back")
    if result is not None:
        app.notify(f"Rolled {dep.name} back to {revision.name or revision.uid[:8]} "
                   "(a new revision)", title="Roll back")
    return result


async def _confirm_and_redeploy(app: BentoTUI, client: BentoCloudClient, dep: m.DeploymentSchema,
                                document: m.FullDeploymentSchema, title: str, question: str,
                                yes: str) -> m.DeploymentSchema | None:
    """Restore and roll back alike: a y/n confirm, then PATCH `document` (a new revision)."""

    if not await app.push_screen_wait(ConfirmScreen(title, question, yes=yes)):
        return None
    # The `--file` document is a valid PATCH body (name and cluster_name are ignored there).
    return await client.update_deployment(dep.cluster.name, dep.name, document, dep.kube_namespace)


@flow("Scale")
async def scale_deployment(app: BentoTUI, dep: m.DeploymentSchema) -> m.DeploymentSchema | None:
    """The scale dialog: min / max replicas per component, sent as a new revision (v1: PATCH
    with the current targets, v2: PUT with the current config).  A refusal stays in the dialog
    with what was typed; success closes it."""
    from tui.api.deployment_view import revision_body_v2  # deferred: start-up time (v2 models)
    from tui.documents.scaling import Wanted, replicas_v1, replicas_v2, scaled_v1, scaled_v2  # deferred: start-up time
    from tui.screens.scale import ScaleScreen  # deferred: start-up time

    if refused_read_only(app, "scaling"):
        return None
    if dep.status in TERMINATED:
        app.notify(f"{dep.name} is {dep.status.value}: restore it (r) before scaling it",
                   title="Scale", severity="warning")
        return None
    client = client_of(app)
    if client is None:
        return None
    dep = await fresh(app, dep)
    revision = dep.latest_revision
    send: Callable[[Wanted], Awaitable[object]]
    if on_v2(app):
        body = revision_body_v2(dep, revision) if revision is not None else None
        if body is None:
            app.notify(f"{dep.name} has no revision to scale", title="Scale", severity="error")
            return None
        components = replicas_v2(body)

        async def send(wanted: Wanted) -> object:
            return await session_of(app).v2.update(
                dep.name, scaled_v2(body, wanted), dep.cluster.name)
    else:
        document = dep.to_file_document()
        if not document.targets:
            app.notify(f"{dep.name} has no revision to scale", title="Scale", severity="error")
            return None
        components = replicas_v1(document)

        async def send(wanted: Wanted) -> object:
            return await client.update_deployment(dep.cluster.name, dep.name,
                                                  scaled_v1(document, wanted), dep.kube_namespace)

    async def submit(wanted: Wanted) -> str | None:
        try:
            await send(wanted)
        except ApiError as exc:
            return exc.message
        except ValueError as exc:  # the models' own checks (pydantic's ValidationError)
            return str(exc)
        return None

    if not await app.push_screen_wait(ScaleScreen(dep.name, components, submit)):
        return None
    app.notify(f"Scaling {dep.name} (a new revision)", title="Scale")
    return await client.get_deployment(dep.cluster.name, dep.name, dep.kube_namespace)


@flow("Interact")
async def open_interact(app: BentoTUI, dep: m.DeploymentSchema) -> None:
    """The endpoint's URL, a ready curl command and a request pane.

    Refused in read-only mode: a request is a POST that can cold-start a function and do
    whatever the endpoint does."""
    if refused_read_only(app, "sending requests"):
        return
    from tui.screens.interact import InteractScreen  # deferred: start-up time

    await app.push_screen(InteractScreen(dep))


@flow("Diff")
async def diff_revisions(app: BentoTUI, dep: m.DeploymentSchema,
                         rev_a: m.DeploymentRevisionSchema | str,
                         rev_b: m.DeploymentRevisionSchema | str) -> None:
    """A unified diff of two revisions' targets (older first); `R` there rolls back."""

    from tui.screens.revision_diff import RevisionDiffScreen  # deferred: start-up time (v2 models)

    a = await _revision(app, dep, rev_a)
    b = await _revision(app, dep, rev_b)
    await app.push_screen(RevisionDiffScreen(dep, a, b, v2=on_v2(app)))


NO_RESTART = ("Restarting a replica is not available on this server (the local control plane "
              "offers it; on BentoCloud scale or update the deployment instead).")


@flow("Restart replica")
async def restart_replica(app: BentoTUI, dep: m.DeploymentSchema, pod_name: str) -> str | None:
    """y/n confirm, then ask the server to replace that replica (an extension route of the
    local control plane; elsewhere the app says it is not available)."""
    if refused_read_only(app, "restarting replicas"):
        return None
    client = client_of(app)
    if client is None:
        return None
    session = getattr(app, "session", None)
    if session is not None and not session.has_extension("pod_restart"):
        app.notify(NO_RESTART, title="Restart replica", severity="warning")
        return None
    question = (f"Restart replica {pod_name} of {dep.name}?  It is stopped and a fresh replica "
                "of the same component takes its place.")
    if not await app.push_screen_wait(ConfirmScreen("Restart replica", question, yes="Restart")):
        return None
    fresh = await client.restart_replica(dep.cluster.name, dep.name, pod_name, dep.kube_namespace)
    if fresh is None:
        app.notify(NO_RESTART, title="Restart replica", severity="warning")
        return None
    app.notify(f"Restarting {pod_name}: {fresh} replaces it.", title="Restart replica")
    return fresh


# --------------------------------------------------------------------------- routing

# What a screen's `FlowRequested` names (tui/messages.py), to the flow that runs it.
FLOWS: dict[Flow, Callable[..., Awaitable[Any]]] = {
    "new": new_deployment,
    "edit": edit_deployment,
    "terminate": terminate_deployment,
    "delete": delete_deployment,
    "restore": restore_deployment,
    "interact": open_interact,
    "rollback": rollback_to_revision,
    "diff": diff_revisions,
    "restart_replica": restart_replica,
    "scale": scale_deployment,
}


def requested(app: BentoTUI, flow: Flow, dep: m.DeploymentSchema | None, args: tuple[Any, ...],
              done: Callable[[Any], object] | None = None) -> Worker[Any]:
    """Run the flow a screen asked for in a worker on the app; `done(result)` after it."""
    func = FLOWS[flow]
    params = args if dep is None else (dep, *args)
    if done is None:
        return run(app, func, *params)

    async def then(app: BentoTUI, *params: Any) -> Any:
        result = await func(app, *params)
        done(result)
        return result

    then.__name__ = getattr(func, "__name__", "mutation")
    return run(app, then, *params)


# --------------------------------------------------------------------------- palette


def target_of(screen: Screen[Any]) -> m.DeploymentSchema | None:
    """The deployment a screen is about (its cursor row, or the one it shows), if any."""
    getter = getattr(screen, "current_deployment", None)
    value = getter() if callable(getter) else getter
    if isinstance(value, m.DeploymentSchema):
        return value
    table = getattr(screen, "table", None)
    current = getattr(table, "current", None)
    if isinstance(current, m.DeploymentSchema):
        return current
    value = getattr(screen, "deployment", None)
    return value if isinstance(value, m.DeploymentSchema) else None


def palette_commands(app: BentoTUI, screen: Screen[Any]) -> Iterable[SystemCommand]:
    """Palette entries for the flows (in read-only mode they say so when chosen)."""
    if getattr(app, "session", None) is None:
        return
    yield SystemCommand("New deployment", "open the deployment editor",
                        functools.partial(run, app, new_deployment))
    dep = target_of(screen)
    if dep is None:
        return
    # Textual's system-commands provider reads titles as markup: the name is server text.
    name = escape_markup(clean(dep.name))
    yield SystemCommand(f"Edit {name}", "a new revision from the editor",
                        functools.partial(run, app, edit_deployment, dep))
    if dep.status not in TERMINATED:
        yield SystemCommand(f"Scale {name}", "min / max replicas per component",
                            functools.partial(run, app, scale_deployment, dep))
    yield SystemCommand(f"Interact with {name}", "URL, curl command, send a request",
                        functools.partial(run, app, open_interact, dep))
    if dep.status == m.DeploymentStatus.TERMINATED:
        yield SystemCommand(f"Restore {name}", "deploy its last configuration again",
                            functools.partial(run, app, restore_deployment, dep))
    if dep.status in TERMINATED:
        yield SystemCommand(f"Delete {name}", "irreversible: the deployment and its revisions",
                            functools.partial(run, app, delete_deployment, dep))
    else:
        yield SystemCommand(f"Terminate {name}", "stop it; revisions are kept",
                            functools.partial(run, app, terminate_deployment, dep))
