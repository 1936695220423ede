"""Quick scale: the min/max replicas of each component, read from and written into the bodies
that restore and roll back already send (v1: the `--file` document, v2: the PUT body).

No Textual here; `tui/screens/scale.py` shows these and `actions.scale_deployment` sends them.
Only `min_replicas` and `max_replicas` change: every other field of the body is kept.
"""

from __future__ import annotations

from typing import NamedTuple

from tui.api import models as m
from tui.api import models_v2 as v2

API_SERVER = "api-server"  # the v1 target's own hpa_conf (the overview's name for it)


class Replicas(NamedTuple):
    """One component's scaling bounds (None: the server's default)."""

    component: str
    min_replicas: int | None
    max_replicas: int | None


Wanted = dict[str, tuple[int, int]]  # component → (min, max), as typed


def replicas_v1(document: m.FullDeploymentSchema) -> list[Replicas]:
    """The API server's hpa_conf, then each runner's, of the document's first target."""
    if not document.targets:
        return []
    config = document.targets[0].config
    out = [_of_hpa(API_SERVER, config.hpa_conf if config else None)]
    for name, runner in sorted(((config.runners or {}) if config else {}).items()):
        out.append(_of_hpa(name, runner.hpa_conf))
    return out


def _of_hpa(component: str, hpa: m.DeploymentTargetHPAConf | None) -> Replicas:
    return Replicas(component, hpa.min_replicas if hpa else None, hpa.max_replicas if hpa else None)


def scaled_v1(document: m.FullDeploymentSchema, wanted: Wanted) -> m.FullDeploymentSchema:
    """A copy of `document` whose first target has the wanted bounds (a valid PATCH body)."""
    document = document.model_copy(deep=True)
    target = document.targets[0]
    config = target.config or m.DeploymentTargetConfig()
    if API_SERVER in wanted:
        config.hpa_conf = _with_bounds(config.hpa_conf, wanted[API_SERVER])
    for name, runner in (config.runners or {}).items():
        if name in wanted:
            runner.hpa_conf = _with_bounds(runner.hpa_conf, wanted[name])
    target.config = config
    return document


def _with_bounds(hpa: m.DeploymentTargetHPAConf | None,
                 bounds: tuple[int, int]) -> m.DeploymentTargetHPAConf:
    low, high = bounds
    if hpa is None:
        return m.DeploymentTargetHPAConf(min_replicas=low, max_replicas=high)
    return hpa.model_copy(update={"min_replicas": low, "max_replicas": high})


def replicas_v2(body: v2.UpdateDeploymentV2) -> list[Replicas]:
    """Each service's `scaling`, in the order of the body."""
    return [Replicas(name, s.scaling.min_replicas if s.scaling else None,
                     s.scaling.max_replicas if s.scaling else None)
            for name, s in body.services.items()]


def scaled_v2(body: v2.UpdateDeploymentV2, wanted: Wanted) -> v2.UpdateDeploymentV2:
    """A copy of the PUT body whose services have the wanted `scaling` bounds."""
    body = body.model_copy(deep=True)
    for name, service in body.services.items():
        if name not in wanted:
            continue
        low, high = wanted[name]
        scaling = service.scaling or v2.Scaling()
        service.scaling = scaling.model_copy(update={"min_replicas": low, "max_replicas": high})
    return body


def parse_bounds(component: str, low: str, high: str) -> tuple[int, int] | None:
    """Typed text → (min, max), or None when both are empty (leave that component as it is);
    ValueError with a message fit to show when it is not whole numbers or min is above max."""
    if not low.strip() and not high.strip():
        return None
    values = []
    for label, text in (("min", low), ("max", high)):
        text = text.strip()
        if not text.isdigit() or not text.isascii():
            raise ValueError(f"{component}: {label} replicas must be a whole number ≥ 0, "
                             f"not {text!r}" if text else
                             f"{component}: type the {label} replicas too (a whole number ≥ 0)")
        values.append(int(text))
    if values[0] > values[1]:
        raise ValueError(f"{component}: min replicas ({values[0]}) must not exceed max "
                         f"replicas ({values[1]})")
    return values[0], values[1]
