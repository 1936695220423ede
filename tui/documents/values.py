"""How a document's values read in a form field: shared by the v1 and v2 documents."""

from __future__ import annotations

import json
from typing import Any


def form_text(value: Any) -> str:
    """A JSON value as a form field shows it (`""` for null, JSON for objects and lists)."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_dict(value: Any) -> dict[str, Any]:
    """`value` when it is an object, else an empty one (a document may hold anything)."""
    return value if isinstance(value, dict) else {}
