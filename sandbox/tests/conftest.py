"""Shared fixtures: one emulator per session, reset before each test, and a check after
each test that every request and response matched the OpenAPI contract."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest_plugins = ["erp_sandbox.pytest_fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sends_invalid_requests: the test sends requests that break the contract on purpose",
    )


@pytest.fixture(autouse=True)
def _no_contract_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test whose traffic broke the OpenAPI contract, unless it means to."""
    yield
    emulator = request.node.funcargs.get("mailchimp_emulator")
    if emulator is None or request.node.get_closest_marker("sends_invalid_requests"):
        return
    violations = emulator.contract_violations
    assert violations == [], "\n".join(
        f"{v.route} {v.part} {v.location}: {v.message}" for v in violations
    )
