"""Command palette (`ctrl+p` or `:`): jump to deployments, a deployment, a context, a theme."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from tui.api.contexts import ContextError
from tui.screens.deployments import DeploymentsScreen
from tui.widgets.safe_text import clean, safe

if TYPE_CHECKING:
    from tui.app import BentoTUI


class BentoCommands(Provider):
    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        app = cast("BentoTUI", self.app)  # the only app this provider is registered on
        commands: list[tuple[str, Callable[[], Any], str]] = [
            ("Deployments", app.action_show_deployments, "the deployment list"),
            ("Alerts", app.action_alerts, "alerts on watched deployments (!)"),
            ("Quit", app.action_quit, "leave bentotui"),
        ]
        for screen in app.screen_stack:
            if isinstance(screen, DeploymentsScreen):
                commands.append(("Pulse", screen.action_pulse,
                                 "the whole fleet at a glance, troubled first (p)"))
                for d in screen.table.all_items():
                    commands.append((f"Open {d.name}", partial(app.open_deployment, d),
                                     f"{d.status.value} · {d.bento_tag}"))
                break
        try:
            for context in app.switchable_contexts():
                commands.append((f"Context: {context.name}",
                                 partial(app.run_switch_context, context),
                                 context.endpoint or "the local control plane"))
        except ContextError:
            pass
        if app.session:
            for cluster in app.session.clusters:
                commands.append((f"Cluster: {cluster}", partial(app.switch_cluster, cluster), ""))
        for theme in sorted(app.available_themes):
            commands.append((f"Theme: {theme}", partial(setattr, app, "theme", theme), ""))
        return commands

    async def discover(self) -> Hits:
        for title, callback, help_text in self._commands()[:12]:
            yield DiscoveryHit(safe(title), callback, text=clean(title), help=escape(clean(help_text)))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in self._commands():
            # Deployment names, statuses and endpoints come from servers and files: escaped,
            # and never read as markup (the matcher's highlight parses its candidate as markup).
            title = clean(title)
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(escape(title)), callback, text=title,
                          help=escape(clean(help_text)))
