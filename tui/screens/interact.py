"""Talk to a deployment's endpoint: its URL, a ready curl command, and a request pane.

The token is masked on screen; `c` copies curl with $BENTO_CLOUD_API_KEY in its place, `C` with
the real token.  `ctrl+s` sends the body to `<url><route>` (routes from the bento manifest's
`apis`) and shows status, time and the response, indented when it is JSON and wrapped to the
pane.  Focus starts in the body; a body that is not JSON is refused with where it breaks,
unless the route takes text (`Text()` input), which is then sent as typed.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Label, Select, Static, TextArea

from tui.api import models as m
from tui.api.endpoint import TOKEN_ENV, EndpointResult, call_endpoint, curl_command, endpoint_url, json_problem
from tui.api.errors import ApiError
from tui.screens.breakpoints import apply_horizontal_breakpoints
from tui.screens.stylesheets import STYLES
from tui.widgets.context_bar import ContextBar
from tui.widgets.footer import KeysFooter
from tui.widgets.safe_inputs import SafeTextArea
from tui.widgets.safe_text import clean_block, escape_json, safe, safe_block, sanitize
from tui.widgets.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from tui.app import BentoTUI


def takes_text(api: m.BentoApiSchema | None) -> bool:
    """A `Text()` input: the body is sent as typed (text/plain), not checked as JSON."""
    return bool(api and (api.input or "").startswith("Text"))


def doc_example(doc: str | None) -> str | None:
    """The first JSON object or array written in an API's doc (`POST {"text": "..."}`)."""
    decoder = json.JSONDecoder()
    text = doc or ""
    for start, char in enumerate(text):
        if char not in "{[":
            continue
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if value:
            return json.dumps(value, ensure_ascii=False)
    return None


def sample_body(api: m.BentoApiSchema | None) -> str:
    """A valid request for the API as a starting point: shaped like its declared input (an
    ndarray's width), else the example its doc shows, else an empty object."""
    spec = (api.input or "") if api else ""
    shape = re.search(r"shape=\(\s*-1\s*,\s*(\d+)\s*\)", spec)
    if "NumpyNdarray" in spec or "PandasDataFrame" in spec:
        width = int(shape.group(1)) if shape else 1
        return "[[" + ", ".join(["0.0"] * width) + "]]"
    if takes_text(api):
        return "hello"
    return doc_example(api.doc if api else None) or "{}"


class InteractScreen(ReportsWorkerErrors, Screen[None]):
    CSS_PATH = STYLES / "interact.tcss"  # read when first shown (tui/screens/stylesheets.py)

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="interact.send"),
        Binding("c", "copy_curl", "Copy curl", id="interact.copy_curl"),
        Binding("C", "copy_curl(True)", "Copy with token", id="interact.copy_curl_token"),
        Binding("escape", "close", "Back", id="interact.close"),
    ]

    HELP = ("ctrl+s sends the body to the chosen route with your API token as a bearer token; "
            "a body that is not valid JSON is not sent (the line and column are shown), except "
            "for routes that take text.  tab moves between the body, the route and the response.  "
            "c copies the curl command with $BENTO_CLOUD_API_KEY for the token (set it in "
            "the shell you paste into); C copies it with the real token (outside the body).  "
            "esc goes back to the deployment, from anywhere on this screen.")

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
        apply_horizontal_breakpoints(self, self.app.size.width)
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
                    # tab_behavior="focus": esc is not taken by the text box, so one esc closes
                    yield SafeTextArea.code_editor("{}", language="json", tab_behavior="focus",
                                               id="interact-body")
                with Vertical(id="interact-response-pane"):
                    yield Static("Response", classes="pane-title", id="interact-status")
                    yield SafeTextArea.code_editor("", language="json", read_only=True, soft_wrap=True,
                                               tab_behavior="focus", id="interact-response")
        yield KeysFooter()

    def on_mount(self) -> None:
        url = Text("URL  ", style="dim")
        url.append(self.url or "none: the deployment has no URL (is it running?)",
                   style="bold" if self.url else "bold red")
        self.query_one("#interact-url", Static).update(sanitize(url))
        self._paint_curl()
        self.query_one("#interact-body", TextArea).focus()
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
                select.set_options([(safe(f"{route}  ({api.input or 'any'} → {api.output or 'any'})"), route)
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
        doc.update(safe_block(api.doc, style="dim italic", limit=2000) if api and api.doc else "")
        body = self.query_one("#interact-body", TextArea)
        if fill_body or body.text.strip() in ("", "{}"):
            body.load_text(sample_body(api))
        as_text = takes_text(api)
        body.language = None if as_text else "json"
        title = self.query_one("#interact-request .pane-title", Static)
        title.update("Request body (text, sent as typed)" if as_text else "Request body (JSON)")
        self._paint_curl()

    @on(TextArea.Changed, "#interact-body")
    def _body_changed(self) -> None:
        self._paint_curl()

    def _paint_curl(self) -> None:
        curl = self.query_one("#interact-curl", Static)
        if not self.url:
            curl.update("")
            return
        curl.update(safe_block(curl_command(self.url, self.route, self.body, self.token, masked=True)))

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
        if not self.url:
            return
        problem = None if takes_text(self.apis.get(self.route)) else json_problem(self.body)
        if problem is not None:
            line = Text("Response · ")
            line.append(f"not sent: the body is not valid JSON ({problem})", style="bold red")
            self.query_one("#interact-status", Static).update(line)
            self.notify(f"Not sent: the body is not valid JSON ({problem}).", severity="error")
            return
        self.send(self.route, self.body)

    @work(exclusive=True, group="interact-send", exit_on_error=False)
    async def send(self, route: str, body: str) -> None:
        status = self.query_one("#interact-status", Static)
        self._sending = True
        self.refresh_bindings()
        status.update(safe(f"Response · sending POST {endpoint_url(self.url, route)} …", style="bold"))
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
        status.update(sanitize(line))
        response = self.query_one("#interact-response", TextArea)
        response.language = "json" if result.is_json else None
        # A replica's answer is untrusted: a TextArea writes its characters as they are.
        shown = result.pretty() if result.status is not None else (result.error or "")
        response.load_text(escape_json(shown) if result.is_json else clean_block(shown))
