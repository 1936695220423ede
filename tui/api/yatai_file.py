"""The models of bentoml's `$BENTOML_HOME/.yatai.yaml` (pydantic): loaded only when there is such
a file to read, so a start without one imports no pydantic before its first paint."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class YataiContext(BaseModel):
    """One entry of `contexts` in `.yatai.yaml`."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)  # start-up time

    name: str
    endpoint: str
    api_token: str = Field(repr=False)
    email: str | None = None


class YataiConfig(BaseModel):
    """The whole `.yatai.yaml` (bentoml's `CloudClientConfig`)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)  # start-up time

    contexts: list[YataiContext] = Field(default_factory=list)
    current_context_name: str | None = None

    def get(self, name: str) -> YataiContext | None:
        return next((c for c in self.contexts if c.name == name), None)
