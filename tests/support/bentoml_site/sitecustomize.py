"""Imported at start-up by the bentoml CLIs that the tests run (it is on their PYTHONPATH, see
tests/support/bentoml_cli.py): `bentoml deploy` checks the deployment's status every 0.5 s
instead of every 10 s.

Only the pause between its checks changes; what the CLI sends and the statuses it waits for are
bentoml's own.  The local control plane has a deployment running within seconds, so with the
10 s default each waiting `deploy` sat idle for most of 10 s.  bentoml is not imported here (every
python start of the venv would pay for it): the default is changed when bentoml loads the module.
"""

from __future__ import annotations

import importlib.machinery
import inspect
import sys

TARGET = "bentoml._internal.cloud.deployment"
CHECK_INTERVAL_S = 0.5


def _shorten(module) -> None:
    wait = getattr(getattr(module, "Deployment", None), "wait_until_ready", None)
    if wait is None or not wait.__defaults__:
        return  # another bentoml: leave it as it is (only slower)
    names = [p.name for p in inspect.signature(wait).parameters.values() if p.default is not p.empty]
    if "check_interval" in names and len(names) == len(wait.__defaults__):
        defaults = list(wait.__defaults__)
        defaults[names.index("check_interval")] = CHECK_INTERVAL_S
        wait.__defaults__ = tuple(defaults)


class _ShortenOnLoad:
    """A meta path finder that finds only TARGET, the usual way, and patches it once loaded."""

    @staticmethod
    def find_spec(name, path, target=None):
        if name != TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        load = spec.loader.exec_module

        def exec_module(module) -> None:
            load(module)
            _shorten(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


sys.meta_path.insert(0, _ShortenOnLoad())
