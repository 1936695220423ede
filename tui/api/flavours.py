"""v1 ⇄ v2 deployment configuration, so one store (and one screen) can serve both API flavours.

BentoCloud keeps one deployment whichever API wrote it; so does the local control plane.  v1
stores a list of targets whose config has `hpa_conf`, `resource_instance`, `access_control`,
envs `{key, value}` and a `runners` map; v2 has `services` with `scaling`, `instance_type`,
`access_authorization`, envs `{name, value}`.  One service per bento component: the API server
(the bento's entry service, or `apiserver` / `""` for a 1.1 bento) and one per runner.

A v2 write also keeps the v2 document it came from beside the v1 target (key `V2_KEY`), so what
v2 wrote reads back exactly (secrets, policy, config_overrides have no v1 field).  A v1 write
makes new targets without it, and v2 then derives its view from the v1 config.
"""

from __future__ import annotations

from typing import Any

from tui.api import models as m
from tui.api import models_v2 as v2

V2_KEY = "x_v2_config"
API_SERVER_SERVICE = "apiserver"  # what 1.4 calls a bento's API server when it has no entry service
# v1 `access_control` values that mean "no token needed" (anything else asks for one).
PUBLIC_ACCESS = ("", "public", "none", "false")
PROTECTED_ACCESS = "protected"


class MappingError(ValueError):
    """A v2 document that cannot be applied to this bento (unknown service, say)."""


def split_target(stored: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(the v1 target, the v2 config it was written as, if a v2 client wrote it)."""
    if V2_KEY not in stored:
        return stored, None
    v1 = {k: v for k, v in stored.items() if k != V2_KEY}
    return v1, stored[V2_KEY]


def api_service_name(entry_service: str | None) -> str:
    return entry_service or API_SERVER_SERVICE


def canonical_services(config: v2.DeploymentConfigV2, entry_service: str | None,
                       runner_names: list[str]) -> dict[str, v2.ServiceConfig]:
    """The services keyed by component: `""`, `apiserver` and the entry service are one (1.4
    sends `""` on create and `apiserver` on update for the same 1.1 bento), merged in that order."""
    api = api_service_name(entry_service)
    aliases = ["", API_SERVER_SERVICE, api]
    merged: dict[str, Any] = {}
    out: dict[str, v2.ServiceConfig] = {}
    for key in sorted(config.services, key=lambda k: aliases.index(k) if k in aliases else 99):
        service = config.services[key]
        if key in aliases:
            merged = _deep_merge(merged, service.model_dump(exclude_none=True))
        elif key in runner_names:
            out[key] = service
        else:
            known = ", ".join([api, *runner_names])
            raise MappingError(f"services.{key}: the bento has no service named {key!r} "
                               f"(its services: {known})")
    return {api: v2.ServiceConfig.model_validate(merged), **out}


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _v1_envs(top: list[v2.EnvItem] | None, own: list[v2.EnvItem] | None) -> list[m.LabelItem] | None:
    """Deployment-wide envs, then the service's own (which win), as v1 `{key, value}`."""
    merged: dict[str, str] = {e.name: e.value for e in top or []}
    merged.update({e.name: e.value for e in own or []})
    return [m.LabelItem(key=k, value=v) for k, v in merged.items()] or None


def _strategy(value: str | None) -> m.DeploymentStrategy | None:
    try:
        return m.DeploymentStrategy(value) if value else None
    except ValueError:
        return None  # a v2 strategy v1 has no name for: kept in the v2 document only


def _component_v1(service: v2.ServiceConfig, top_envs: list[v2.EnvItem] | None) -> dict[str, Any]:
    scaling = service.scaling
    hpa = None
    if scaling is not None and (scaling.min_replicas is not None or scaling.max_replicas is not None):
        hpa = m.DeploymentTargetHPAConf(min_replicas=scaling.min_replicas,
                                        max_replicas=scaling.max_replicas)
    return {
        "resource_instance": service.instance_type,
        "hpa_conf": hpa,
        "envs": _v1_envs(top_envs, service.envs),
        "deployment_strategy": _strategy(service.deployment_strategy),
        "deployment_cold_start_wait_timeout": service.cold_start_timeout,
    }


def v2_to_v1(body: v2.UpdateDeploymentV2, entry_service: str | None, runner_names: list[str]
             ) -> tuple[m.UpdateDeploymentSchema, dict[str, Any]]:
    """A v2 create/update body as the v1 update the store keeps, and the canonical v2 config
    to keep beside it (`V2_KEY`)."""
    services = canonical_services(body, entry_service, runner_names)
    api_name = api_service_name(entry_service)
    api = services[api_name]
    config = m.DeploymentTargetConfig(
        **_component_v1(api, body.envs),
        access_control=PROTECTED_ACCESS if body.access_authorization else None,
        runners={name: m.DeploymentTargetRunnerConfig(**_component_v1(s, body.envs))
                 for name, s in services.items() if name != api_name} or None,
    )
    target = m.CreateDeploymentTargetSchema(
        bento_repository=body.bento_repository, bento=body.bento_version, config=config)
    min_replicas = api.scaling.min_replicas if api.scaling else None
    update = m.UpdateDeploymentSchema(
        targets=[target],
        labels=body.labels or [],
        mode=m.DeploymentMode.FUNCTION if min_replicas == 0 else m.DeploymentMode.DEPLOYMENT,
    )
    canonical = v2.DeploymentConfigV2(
        access_authorization=body.access_authorization, envs=body.envs, labels=body.labels,
        secrets=body.secrets, services=services, canary=body.canary,
    )
    return update, canonical.to_wire()


def _service_v2(config: m._TargetConfigCommon) -> v2.ServiceConfig:
    hpa = config.hpa_conf
    return v2.ServiceConfig(
        instance_type=config.resource_instance,
        scaling=v2.Scaling(min_replicas=hpa.min_replicas, max_replicas=hpa.max_replicas)
        if hpa else None,
        envs=[v2.EnvItem(name=e.key, value=e.value) for e in config.envs] if config.envs else None,
        deployment_strategy=config.deployment_strategy.value if config.deployment_strategy else None,
        cold_start_timeout=config.deployment_cold_start_wait_timeout,
    )


def v1_to_v2(target: m.CreateDeploymentTargetSchema, labels: list[m.LabelItem] | None,
             entry_service: str | None) -> v2.DeploymentConfigV2:
    """A v1 target (and the deployment's labels) as the v2 config a v2 client reads."""
    config = target.config or m.DeploymentTargetConfig()
    services = {api_service_name(entry_service): _service_v2(config)}
    for name, runner in (config.runners or {}).items():
        services[name] = _service_v2(runner)
    access = (config.access_control or "").lower()
    return v2.DeploymentConfigV2(
        access_authorization=access not in PUBLIC_ACCESS,
        labels=labels or None,
        services=services,
    )


def stored_config_v2(stored: dict[str, Any], labels: list[m.LabelItem] | None,
                     entry_service: str | None) -> v2.DeploymentConfigV2:
    """The v2 config of a stored target: as v2 wrote it, or derived from what v1 wrote."""
    v1, kept = split_target(stored)
    if kept is not None:
        return v2.DeploymentConfigV2.model_validate(kept)
    return v1_to_v2(m.CreateDeploymentTargetSchema.model_validate(v1), labels, entry_service)
