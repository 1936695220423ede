"""Where the recorded requests of the real bentoml CLI are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# shared/ sits beside the project's checkout (in CI too: a fresh clone with shared/ beside it).
FIXTURES = ROOT.parent / "shared" / "fixtures" / "bentoml-1.1.11"
if not FIXTURES.is_dir():  # a copy kept in the repo for checkouts without shared/
    FIXTURES = ROOT / "tests" / "fixtures" / "bentoml-1.1.11"
