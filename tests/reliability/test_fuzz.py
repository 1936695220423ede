"""Item 5: fuzz the control plane from its own OpenAPI document (schemathesis), over HTTP.

Every operation of `/openapi.json` gets generated requests, valid by the document (positive)
and invalid (negative), once with generated path parameters (mostly unknown records) and once
aimed at a real deployment.  Each response must not be a 5xx and must conform to the document:
declared status code, content type, body schema; invalid input must be refused with a 4xx; a
request without the token must be refused.

Not checked, on purpose: `positive_data_acceptance` (a request valid by the schema may still
name a bento or deployment that does not exist: 400/404 is right) and `unsupported_method`
(Yatai answers 404 `not found this router with method X` for a wrong method, not 405;
reference §9.3, kept for the bentoml client).

Examples per operation and mode: BENTOTUI_FUZZ_EXAMPLES (default 3; the note's figures use 100).
"""

from __future__ import annotations

import time

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.harness import LocalCloud
from tests.support.reliability import CREATE, NS, body, env_number, latest_version, report

CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance,
               response_headers_conformance, response_schema_conformance, ignored_auth]
CHECKS = {
    GenerationMode.POSITIVE: CONFORMANCE,
    GenerationMode.NEGATIVE: [*CONFORMANCE, negative_data_rejection],
}
REAL = {"cluster": "default", "namespace": "yatai", "name": "fuzz-target"}


def examples() -> int:
    return int(env_number("BENTOTUI_FUZZ_EXAMPLES", 3))


@pytest.mark.slow
def test_fuzz_every_operation_from_the_openapi_document(cloud: LocalCloud, http: httpx.Client) -> None:
    version = latest_version(http)
    seeded = http.post(CREATE, json=body(version, REAL["name"], deploy=False))
    assert seeded.status_code == 200, seeded.text
    schema = schemathesis.openapi.from_url(f"{cloud.endpoint}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    failures: list[str] = []
    calls = skipped = 0
    started = time.monotonic()

    for operation in operations:
        params = {p: REAL[p] for p in REAL if "{" + p + "}" in operation.path}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for path_parameters in ({}, params) if params else ({},):
                strategy = operation.as_strategy(generation_mode=mode, headers=cloud.headers,
                                                 path_parameters=path_parameters or None)

                @given(case=strategy)
                @settings(max_examples=examples(), deadline=None, database=None,
                          derandomize=True, suppress_health_check=list(HealthCheck))
                def run(case: schemathesis.Case) -> None:
                    nonlocal calls
                    calls += 1
                    case.call_and_validate(base_url=cloud.endpoint, headers=cloud.headers,
                                           checks=CHECKS[mode], timeout=30)

                try:
                    run()
                except Unsatisfiable:
                    skipped += 1  # nothing to negate (no parameters, or only free strings)
                except BaseException as exc:  # schemathesis raises a BaseExceptionGroup
                    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                        raise
                    failures.append(f"{operation.label} [{mode.value}, "
                                    f"{'real' if path_parameters else 'generated'} path]:\n{exc}")
                # The fuzzer may terminate or delete the target: put it back for the next one.
                if http.get(f"{NS}/{REAL['name']}").status_code == 404:
                    http.post(CREATE, json=body(version, REAL["name"], deploy=False))

    report("fuzz", operations=len(operations), calls=calls, unsatisfiable=skipped, failures=len(failures),
           seconds=round(time.monotonic() - started, 1), examples_per_mode=examples())
    assert http.get("/api/v1/auth/current").status_code == 200  # the server is unaffected
    assert not failures, "\n\n".join(failures)
