"""Deployment documents as the bentoml CLI takes them (`--file` / `-f`), without any UI.

`v1` is the document of `bentoml deployment create --file` (BentoML 1.1, `targets`); the
screens and widgets build on these functions and never on raw JSON themselves.
"""
