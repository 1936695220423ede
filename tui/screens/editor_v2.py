"""Create or update a deployment through the v2 API: the v2 form beside the document bentoml
1.4 takes with `bentoml deploy -f` / `bentoml deployment apply -f`.

The editing machinery (JSON pane as the truth, debounced validation with field paths, paused
form while the text does not parse, files, $EDITOR) is the v1 editor's; this screen swaps in
the v2 document (`tui.documents.v2`), the v2 form, the cluster's instance types
(`GET /api/v1/instance_types`) and the v2 calls (POST, PUT).  Files may be JSON or YAML
(`.yaml` / `.yml`), loaded and saved by extension; the pane always shows JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual import on

from tui.api import models as m
from tui.api import models_v2 as v2
from tui.documents import v2 as doc
from tui.screens.editor import EditorScreen
from tui.widgets.deployment_form_v2 import DeploymentFormV2

YAML_SUFFIXES = (".yaml", ".yml")


class EditorV2Screen(EditorScreen):
    """The editor for endpoints used through the v2 API."""

    PANE_TITLE = "JSON · the deploy -f document (v2)"
    FIRST_UPDATE_FIELD = "#f-bento"
    HELP = ("The v2 form (left/top) and the `bentoml deploy -f` document (right/bottom) always "
            "show the same deployment; edit either.  ctrl+o / ctrl+t load and save JSON or "
            "YAML (by the file's extension).  ctrl+s submits when the status line says ✓ valid.")

    def __init__(self, data: dict[str, Any], *, cluster: str,
                 deployment: m.DeploymentSchema | None = None) -> None:
        super().__init__(data, cluster=cluster, deployment=deployment)

    @classmethod
    def for_create(cls, cluster: str) -> EditorV2Screen:
        return cls(doc.create_template(), cluster=cluster)

    @classmethod
    def for_update_v2(cls, deployment: m.DeploymentSchema,
                      current: v2.DeploymentSchemaV2) -> EditorV2Screen:
        """`deployment` as the list knows it, `current` its v2 config."""
        return cls(doc.edit_document(current), cluster=deployment.cluster.name, deployment=deployment)

    def _make_form(self) -> Any:
        return DeploymentFormV2(creating=self.creating, cluster=self.cluster, clusters=self._clusters())

    def _read(self, data: dict[str, Any]) -> Any:
        return doc.read_form_values(data)

    def _apply(self, data: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
        return doc.apply_field(data, name, value)

    def _shown_value(self, values: Any, name: str) -> Any:
        return doc.field_of(values, name)

    def _check_text(self, text: str) -> Any:
        """The document's check, plus the form's envs/labels lines that do not read: the
        document does not have them yet, so submitting now would drop what was typed."""
        check = doc.check_document(text, editing=self.deployment.name if self.deployment else None)
        forms = self.query(DeploymentFormV2)
        if forms and check.data is not None:
            check.problems.extend(forms.first().unread_lines())
        return check

    @on(DeploymentFormV2.LinesUnread)
    def _lines_unread(self, event: DeploymentFormV2.LinesUnread) -> None:
        event.stop()
        self._schedule_validation()

    def _problem_rank(self, problem: str) -> int:
        order = ("name:", "bento:", "access_authorization:", "secrets", "labels", "envs of", "services")
        return next((i for i, prefix in enumerate(order) if problem.startswith(prefix)), len(order))

    def _status_target(self, document: Any) -> tuple[str, str]:
        name = document.name or (self.deployment.name if self.deployment else "")
        return name, self.cluster

    async def _fetch_instances(self, cluster: str) -> list[Any]:
        session = self.app.session
        assert session is not None
        return await session.v2.instance_types(cluster)

    def _offer_instances(self, instances: list[Any]) -> None:
        self.form.set_instances(instances)

    def _current_bento(self) -> tuple[str, str]:
        repo, _, version = self._read(self._data).bento.partition(":")
        return repo, version

    def _bento_picked(self, repo: str, version: str) -> None:
        self.form.set_bento(repo, version)
        self._form_edited({"bento": f"{repo}:{version}"})

    def _default_file_name(self) -> str:
        return super()._default_file_name()  # name.json; type name.yaml to save YAML

    def _text_from_file(self, path: Path, text: str) -> str:
        """YAML files become the JSON the pane holds; text that does not parse stays as is
        (the status line says where it breaks)."""
        check = doc.load_text(text)
        if check.data is None or path.suffix.lower() not in YAML_SUFFIXES:
            return text
        return doc.dump_document(check.data)

    def _text_for_file(self, path: Path) -> str:
        text = self.text
        if path.suffix.lower() in YAML_SUFFIXES:
            try:
                return doc.dump_document(json.loads(text), yaml_form=True)
            except (json.JSONDecodeError, RecursionError):
                pass  # not JSON yet: saved as typed, so nothing is lost
        return text if text.endswith("\n") else text + "\n"

    async def _send(self, session: Any, document: Any) -> m.DeploymentSchema:
        if self.deployment is None:
            created = await session.v2.create(document, cluster=self.cluster)
            name = created.name
        else:
            name = self.deployment.name
            await session.v2.update(name, doc.body_for_update(document), cluster=self.cluster)
        return await session.client.get_deployment(self.cluster, name)
