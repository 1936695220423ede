"""Talk to a deployment's endpoint: its URL, a ready curl command, and a request pane.

The token is masked on screen; `c` copies curl with $BENTO_CLOUD_API_KEY in its place, `C` with
the real token.  `ctrl+s` sends the body to `<url><route>` (routes from the bento manifest's
`apis`) and shows status, time and the response, indented when it is JSON.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, Select, Static, TextArea

from tui.api import models as m
from tui.api.endpoint import TOKEN_ENV, EndpointResult, call_endpoint, curl_command, endpoint_url
from tui.api.errors import ApiError
from tui.widgets.context_bar import ContextBar

if TYPE_CHECKING:
    from tui.app import BentoTUI


def sample_body(api: m.BentoApiSchema | None) -> str:
    """A body shaped like the API's input, as a starting point."""
    spec = (api.input or "") if api else ""
    shape = re.search(r"shape=\(\s*-1\s*,\s*(\d+)\s*\)", spec)
    if "NumpyNdarray" in spec or "PandasDataFrame" in spec:
        width = int(shape.group(1)) if shape else 1
        return "[[" + ", ".join(["0.0"] * width) + "]]"
    if spec.startswith("Text"):
        return '"hello"'
    return "{}"


class InteractScreen(Screen[None]):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="interact.send"),
        Binding("c", "copy_curl", "Copy curl", id="interact.copy_curl"),
        Binding("C", "copy_curl(True)", "Copy with token", id="interact.copy_curl_token"),
        Binding("escape", "close", "Back", id="interact.close"),
    ]

    HELP = ("ctrl+s sends the body to the chosen route with your API token as a bearer token.  "
            "c copies the curl command with $BENTO_CLOUD_API_KEY for the token (set it in "
            "the shell you paste into); C copies it with the real token.  "
            "esc in the body leaves it; esc again goes back.")

    app: BentoTUI

    def __init__(self, deployment: m.DeploymentSchema) -> None:
        super().__init__()
        self.deployment = deployment
        self.apis: dict[str, m.BentoApiSchema] = {}
        self.result: EndpointResult | None = None
        self._sending = False

    @property
    def url(self) -> str:
        return self.deployment.urls[0] if self.deployment.urls else ""

    @property
    def token(self) -> str:
        session = self.app.session
        return session.token if session else ""

    @property
    def route(self) -> str:
        value = self.query_one("#interact-route", Select).value
        return value if isinstance(value, str) else "/"

    @property
    def body(self) -> str:
        return self.query_one("#interact-body", TextArea).text

    def compose(self) -> ComposeResult:
        yield ContextBar()
        yield Static(Text(f"Interact with {self.deployment.name}", style="bold"), id="interact-title")
        with Vertical(id="interact-body-pane"):
            yield Static(id="interact-url")
            yield Static(id="interact-curl")
            with Horizontal(id="interact-route-row"):
                yield Label("Route")
                yield Select([("/", "/")], allow_blank=False, value="/", id="interact-route")
            yield Static(id="interact-api-doc")
            with Horizontal(id="interact-io"):
                with Vertical(id="interact-request"):
                    yield Static("Request body (JSON)", classes="pane-title")
                    yield TextArea.code_editor("{}", language="json", id="interact-body")
                with Vertical(id="interact-response-pane"):
                    yield Static("Response", classes="pane-title", id="interact-status")
                    yield TextArea.code_editor("", language="json", read_only=True, id="interact-response")
        yield Footer()

    def on_mount(self) -> None:
        url = Text("URL  ", style="dim")
        url.append(self.url or "none: the deployment has no URL (is it running?)",
                   style="bold" if self.url else "bold red")
        self.query_one("#interact-url", Static).update(url)
        self._paint_curl()
        self.query_one("#interact-route", Select).focus()
        self.load_apis()

    # ------------------------------------------------------------------ routes

    @work(exclusive=True, group="interact-apis", exit_on_error=False)
    async def load_apis(self) -> None:
        target = self.deployment.target
        manifest = target.bento.manifest if target else None
        if manifest is None and target is not None and target.bento.repository is not None:
            session = self.app.session
            if session is not None:
                try:
                    bento = await session.client.get_bento(target.bento.repository.name, target.bento.name)
                    manifest = bento.manifest
                except ApiError as exc:
                    self.notify(f"cannot read the bento's APIs: {exc.message}", severity="warning")
        self.apis = {}
        for name, api in (manifest.apis if manifest else {}).items():
            route = api.route or f"/{name}"
            self.apis[route if route.startswith("/") else "/" + route] = api
        select = self.query_one("#interact-route", Select)
        if self.apis:
            with self.prevent(Select.Changed):
                select.set_options([(f"{route}  ({api.input or 'any'} → {api.output or 'any'})", route)
                                    for route, api in self.apis.items()])
                select.value = next(iter(self.apis))
            self._route_chosen(select.value if isinstance(select.value, str) else "/", fill_body=True)

    @on(Select.Changed, "#interact-route")
    def _route_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value in self.apis:  # not the placeholder "/"
            self._route_chosen(event.value, fill_body=False)

    def _route_chosen(self, route: str, fill_body: bool) -> None:
        api = self.apis.get(route)
        doc = self.query_one("#interact-api-doc", Static)
        doc.update(Text(api.doc or "", style="dim italic") if api and api.doc else "")
        body = self.query_one("#interact-body", TextArea)
        if fill_body or body.text.strip() in ("", "{}"):
            body.load_text(sample_body(api))
        self._paint_curl()

    @on(TextArea.Changed, "#interact-body")
    def _body_changed(self) -> None:
        self._paint_curl()

    def _paint_curl(self) -> None:
        curl = self.query_one("#interact-curl", Static)
        if not self.url:
            curl.update("")
            return
        curl.update(Text(curl_command(self.url, self.route, self.body, self.token, masked=True)))

    # ------------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send":
            if not self.url:
                return False
            return None if self._sending else True
        if action == "copy_curl":
            return bool(self.url)
        return True

    def action_copy_curl(self, with_token: bool = False) -> None:
        """`c`: the token as $BENTO_CLOUD_API_KEY, safe in any clipboard; `C`: the real one."""
        # The command is on screen already: the message says only what went where.
        if with_token:
            text = curl_command(self.url, self.route, self.body, self.token)
            self.app.copy_text(text, what="curl command", shown="",
                               warning="It contains your API token: paste it with care.")
        else:
            text = curl_command(self.url, self.route, self.body, self.token, from_env=True)
            self.app.copy_text(text, what=f"curl command (token: ${TOKEN_ENV})",
                               shown=f"Set ${TOKEN_ENV} where you paste it; C copies the real token.")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_send(self) -> None:
        if self.url:
            self.send(self.route, self.body)

    @work(exclusive=True, group="interact-send", exit_on_error=False)
    async def send(self, route: str, body: str) -> None:
        status = self.query_one("#interact-status", Static)
        self._sending = True
        self.refresh_bindings()
        status.update(Text(f"Response · sending POST {endpoint_url(self.url, route)} …", style="bold"))
        try:
            result = await call_endpoint(self.url, route, body, self.token)
        finally:
            self._sending = False
            self.refresh_bindings()
        self.result = result
        line = Text("Response · ")
        line.append(result.summary, style="bold green" if result.ok else "bold red")
        if result.content_type:
            line.append(f" · {result.content_type.split(';')[0]}", style="dim")
        status.update(line)
        response = self.query_one("#interact-response", TextArea)
        response.language = "json" if result.is_json else None
        response.load_text(result.pretty() if result.status is not None else (result.error or ""))
