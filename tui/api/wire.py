"""The headers every request carries: standard library only, so the prefetch thread
(tui/api/prefetch.py) can start before pydantic, httpx or the models are imported."""

from __future__ import annotations

from tui import __version__

TOKEN_HEADER = "X-YATAI-API-TOKEN"
ORGANIZATION_HEADER = "X-Yatai-Organization"
USER_AGENT = f"bentotui/{__version__}"  # tui/__init__.py is where the package version is written
