"""The Overview tab: what the deployment is, and the live state of each of its components.

Components are the API server and each runner (the bento manifest's runners and the target
config's `runners`); each gets a status light derived from its live replicas (the pods
stream), so it changes without a key press.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.api import models as m
from tui.api.deployment_view import DeploymentView, from_v1, v2_status
from tui.widgets.humanize import when
from tui.widgets.safe_text import safe, safe_block
from tui.widgets.status import mode_title, status_text, v2_status_text

API_SERVER = "api-server"

Config = m.DeploymentTargetConfig | m.DeploymentTargetRunnerConfig


def resources_text(config: Config | None,
                   runner: m.BentoRunnerSchema | None = None) -> str:
    """Instance type and/or requests/limits; a runner falls back to its bento resource config."""
    parts: list[str] = []
    if config is not None and config.resource_instance:
        parts.append(config.resource_instance)
    resources = config.resources if config is not None else None
    for label, item in (("req", resources.requests if resources else None),
                        ("lim", resources.limits if resources else None)):
        if item is None:
            continue
        fields = [f"{k} {v}" for k, v in (("cpu", item.cpu), ("mem", item.memory), ("gpu", item.gpu)) if v]
        fields += [f"{k} {v}" for k, v in (item.custom or {}).items()]
        if fields:
            parts.append(f"{label} " + ", ".join(fields))
    if not parts and runner is not None and runner.resource_config is not None:
        rc = runner.resource_config
        fields = [f"{k} {v:g}" for k, v in (("cpu", rc.cpu), ("gpu", rc.nvidia_gpu)) if v is not None]
        if fields:
            parts.append("bento: " + ", ".join(fields))
    return " · ".join(parts) or "default"


def hpa_text(config: Config | None) -> str:
    hpa = config.hpa_conf if config is not None else None
    if hpa is None or (hpa.min_replicas is None and hpa.max_replicas is None):
        return "—"
    low = "?" if hpa.min_replicas is None else str(hpa.min_replicas)
    high = "?" if hpa.max_replicas is None else str(hpa.max_replicas)
    return f"min {low} · max {high}"


def pod_ready(pod: m.KubePodSchema) -> bool:
    return bool(pod.status.ready)


def pod_failed(pod: m.KubePodSchema) -> bool:
    return (pod.pod_status.status or "").lower() == "failed" or (pod.status.phase or "").lower() == "failed"


@dataclass
class Component:
    name: str
    kind: str  # "API server" | "runner"
    resources: str
    scaling: str
    pods: list[m.KubePodSchema]

    @property
    def ready(self) -> int:
        return sum(1 for p in self.pods if pod_ready(p))

    def light(self, deployment: m.DeploymentSchema, live: bool) -> Text:
        """A symbol + colour for this component, from its live replicas."""
        total, ready = len(self.pods), self.ready
        if not live:
            return Text("… waiting for replicas", style="bright_black")
        if any(pod_failed(p) for p in self.pods):
            return Text(f"✖ failed ({ready}/{total} ready)", style="red")
        if total and ready == total:
            return Text(f"● ready {ready}/{total}", style="green")
        if ready:
            return Text(f"◐ ready {ready}/{total}", style="yellow")
        if total:
            return Text(f"◌ starting 0/{total}", style="cyan")
        status = deployment.status
        if status in (m.DeploymentStatus.TERMINATED, m.DeploymentStatus.TERMINATING):
            return Text("○ stopped", style="bright_black")
        if deployment.mode == m.DeploymentMode.FUNCTION:
            return Text("○ scaled to zero", style="bright_black")
        return Text("○ no replicas", style="yellow")


def components(deployment: m.DeploymentSchema, pods: list[m.KubePodSchema] | None) -> list[Component]:
    target = deployment.target
    config = target.config if target else None
    manifest = target.bento.manifest if target else None
    by_component: dict[str, list[m.KubePodSchema]] = {}
    for pod in pods or []:
        by_component.setdefault(pod.component, []).append(pod)
    out = [Component(API_SERVER, "API server", resources_text(config), hpa_text(config),
                     by_component.pop(API_SERVER, []))]
    manifest_runners = {r.name: r for r in (manifest.runners if manifest else [])}
    runner_configs = (config.runners if config else None) or {}
    names = list(manifest_runners) + [n for n in runner_configs if n not in manifest_runners]
    names += [n for n in by_component if n not in names]  # replicas of a runner we were not told of
    for name in names:
        runner_config = runner_configs.get(name)
        out.append(Component(name, "runner", resources_text(runner_config, manifest_runners.get(name)),
                             hpa_text(runner_config), by_component.get(name, [])))
    return out


def replicas_line(deployment: m.DeploymentSchema) -> Text:
    target = deployment.target
    config = target.config if target else None
    text = Text()
    if deployment.replicas is not None:
        ready, desired = deployment.replicas.ready, deployment.replicas.desired
        style = "green" if desired and ready >= desired else ("yellow" if desired else "bright_black")
        text.append(f"{ready}/{desired} ready", style=style)
        text.append("  ")
    text.append(hpa_text(config))
    return text


BUILD_STATES = (m.DeploymentStatus.IMAGE_BUILDING, m.DeploymentStatus.IMAGE_BUILD_FAILED)


def build_text(deployment: m.DeploymentSchema, last_line: str | None, failure: str | None) -> Text:
    """The image build while it matters: its last log line, or why it failed."""
    if deployment.status == m.DeploymentStatus.IMAGE_BUILD_FAILED:
        text = Text("failed: ", style="bold red")
        text.append_text(safe_block(failure or "no reason received yet (see the Events tab)",
                                    limit=2_000))
        return text
    text = Text("building", style="yellow")
    if last_line:
        text.append(" · ", style="bright_black")
        text.append_text(safe(last_line))
    return text


def info_table(deployment: m.DeploymentSchema, deleted: bool = False,
               build: tuple[str | None, str | None] = (None, None), v2: bool = False) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True, min_width=10)
    grid.add_column(overflow="fold")
    target = deployment.target
    config = target.config if target else None
    if deleted:
        status = Text("✖ deleted", style="red")
    else:
        status = v2_status_text(v2_status(deployment)) if v2 else status_text(deployment.status)
    grid.add_row("Status", status)
    if not deleted and deployment.status in BUILD_STATES:
        grid.add_row("Build", build_text(deployment, *build))
    # Every value below may come from another person or a server: shown with safe(), which
    # escapes control characters and never reads markup (a plain str cell would be markup).
    grid.add_row("Mode", safe(mode_title(deployment.mode)))
    url = safe(deployment.urls[0], style="underline") if deployment.urls else Text("—", style="bright_black")
    grid.add_row("URL", url)
    for extra in deployment.urls[1:]:
        grid.add_row("", safe(extra, style="underline"))
    creator = deployment.creator.display_name if deployment.creator else "—"
    grid.add_row("Creator", safe(creator))
    grid.add_row("Created", safe(when(deployment.created_at)))
    grid.add_row("Updated", safe(when(deployment.updated_at or deployment.created_at)))
    grid.add_row("Cluster", safe(f"{deployment.cluster.name} / {deployment.kube_namespace}"))
    grid.add_row("Bento", safe(deployment.bento_tag or "—"))
    grid.add_row("Replicas", replicas_line(deployment))
    grid.add_row("Resources", safe(resources_text(config)))
    envs = (config.envs if config else None) or []
    if envs:
        env_text = Text()
        for i, item in enumerate(envs):
            if i:
                env_text.append(", ")
            env_text.append_text(safe(item.key, style="bold"))
            value = str(item.value)
            value = value if len(value) <= 40 else value[:39] + "…"
            env_text.append_text(safe(f"={value}"))
        grid.add_row("Envs", env_text)
    else:
        grid.add_row("Envs", Text("none", style="bright_black"))
    if deployment.description:
        grid.add_row("About", safe_block(deployment.description, limit=20_000))
    return grid


def components_table(deployment: m.DeploymentSchema, pods: list[m.KubePodSchema] | None) -> Table:
    table = Table(box=None, pad_edge=False, expand=True, header_style="bold", padding=(0, 1))
    table.add_column("COMPONENT", no_wrap=True, ratio=2)
    table.add_column("INSTANCE / RESOURCES", ratio=3, overflow="fold")
    table.add_column("SCALING", no_wrap=True)
    table.add_column("STATUS", no_wrap=True)
    live = pods is not None
    for component in components(deployment, pods):
        name = safe(component.name, style="bold")
        if component.kind == "runner":
            name.append(" runner", style="bright_black")
        table.add_row(name, safe(component.resources), safe(component.scaling), component.light(deployment, live))
    return table


def services_table(view: DeploymentView) -> Table:
    """v2: each service with its instance type and scaling, as `bentoml deployment get` has them."""
    table = Table(box=None, pad_edge=False, expand=True, header_style="bold", padding=(0, 1))
    table.add_column("SERVICE", no_wrap=True, ratio=2)
    table.add_column("INSTANCE TYPE", ratio=2, overflow="fold")
    table.add_column("SCALING", no_wrap=True)
    table.add_column("ENVS", ratio=2, overflow="fold")
    for service in view.services:
        low = "?" if service.min_replicas is None else service.min_replicas
        high = "?" if service.max_replicas is None else service.max_replicas
        envs = ", ".join(k for k, _ in service.envs) or "—"
        table.add_row(safe(service.name or "(entry)", style="bold"),
                      safe(service.instance_type or "cluster default"), safe(f"{low}–{high}"), safe(envs))
    return table


class OverviewPanel(VerticalScroll):
    """Scrollable; focusable so arrows and page keys move it."""

    DEFAULT_CSS = """
    OverviewPanel { height: 1fr; padding: 0 1; }
    OverviewPanel > #overview-info { height: auto; }
    OverviewPanel > #overview-components-title { height: 1; margin-top: 1; text-style: bold; color: $text-accent; }
    OverviewPanel > #overview-components { height: auto; }
    """

    # (last line of the image build's log, why the build failed), given by the detail screen
    build: tuple[str | None, str | None] = (None, None)

    def compose(self) -> ComposeResult:
        yield Static("Loading…", id="overview-info")
        yield Static("Components", id="overview-components-title")
        yield Static("", id="overview-components")

    def show(self, deployment: m.DeploymentSchema, pods: list[m.KubePodSchema] | None,
             deleted: bool = False) -> None:
        session = getattr(self.app, "session", None)
        v2 = session is not None and session.flavour == "v2"
        self.query_one("#overview-info", Static).update(info_table(deployment, deleted, self.build, v2))
        if v2:  # the v2 view of the same deployment: services, not targets
            self.query_one("#overview-components-title", Static).update("Services")
            self.query_one("#overview-components", Static).update(
                Group(services_table(from_v1(deployment)), components_table(deployment, pods)))
            return
        self.query_one("#overview-components", Static).update(Group(components_table(deployment, pods)))

