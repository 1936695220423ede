"""Pure `--file` document logic shared by the editor, the revision diff and the flows.

No Textual here (tests/unit/test_layering.py checks): it is data in, data out.
"""

from __future__ import annotations

from typing import Any

from tui.api import models as m


def drop_empty_objects(value: Any) -> Any:
    """`value` without the empty objects (`"resources": {}`) the server fills in."""
    if isinstance(value, dict):
        cleaned = {k: drop_empty_objects(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v != {}}
    if isinstance(value, list):
        return [drop_empty_objects(v) for v in value]
    return value


def document_of_revision(dep: m.DeploymentSchema, revision: m.DeploymentRevisionSchema) -> m.FullDeploymentSchema:
    """The `--file` document that redeploys `revision`'s targets with `dep`'s mode and description."""
    return dep.model_copy(update={"latest_revision": revision}).to_file_document()
