"""Deployment documents as the bentoml CLI takes them (`--file` / `-f`), without any UI.

`v1` is the document of `bentoml deployment create --file` (BentoML 1.1, `targets`); `v2` the
one of `bentoml deploy -f` / `deployment apply -f` (BentoML 1.4, `services`, JSON or YAML).
The editor's forms and screens build on these functions and never on raw JSON themselves.
"""
