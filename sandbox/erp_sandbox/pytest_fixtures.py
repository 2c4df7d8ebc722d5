"""pytest fixtures for testing against the emulators over real HTTP.

Enable them in a ``conftest.py`` with::

    pytest_plugins = ["erp_sandbox.pytest_fixtures"]

One emulator of each kind serves the whole session; ``mailchimp_emulator``,
``netsuite_emulator``, ``fusion_emulator``, ``acumatica_emulator``, ``jde_emulator`` and
``exact_emulator`` reset theirs (state, call log, faults, …) before each test.
``mailchimp_api`` is a ``requests.Session`` whose relative URLs start at ``…/3.0`` and
that sends the API key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import requests

    from erp_sandbox.acumatica import AcumaticaEmulator
    from erp_sandbox.exact import ExactEmulator
    from erp_sandbox.fusion import FusionEmulator
    from erp_sandbox.jde import JdeEmulator
    from erp_sandbox.mailchimp import MailchimpEmulator
    from erp_sandbox.netsuite import NetSuiteEmulator


def api_session(base: str, auth: tuple[str, str] | None = None) -> requests.Session:
    """A ``requests.Session`` that prefixes relative URLs (``"/lists"``) with ``base``."""
    import requests

    class PrefixedSession(requests.Session):
        def request(
            self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
        ) -> requests.Response:
            if isinstance(url, str) and url.startswith("/"):
                url = base + url
            return super().request(method, url, *args, **kwargs)

    session = PrefixedSession()
    if auth is not None:
        session.auth = auth
    return session


@pytest.fixture(scope="session")
def mailchimp_emulator_server() -> Iterator[MailchimpEmulator]:
    """One Mailchimp emulator for the whole test session, on a free port."""
    from erp_sandbox.mailchimp import MailchimpEmulator

    emulator = MailchimpEmulator(port=0).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def mailchimp_emulator(mailchimp_emulator_server: MailchimpEmulator) -> MailchimpEmulator:
    """The session's emulator, reset to its starting state (settings included)."""
    mailchimp_emulator_server.reset(restore_settings=True)
    return mailchimp_emulator_server


@pytest.fixture
def mailchimp_api(mailchimp_emulator: MailchimpEmulator) -> Iterator[requests.Session]:
    """A session authenticated with the default API key; URLs relative to ``/3.0``."""
    session = api_session(mailchimp_emulator.api_root, mailchimp_emulator.auth)
    try:
        yield session
    finally:
        session.close()


@pytest.fixture(scope="session")
def netsuite_emulator_server() -> Iterator[NetSuiteEmulator]:
    """One NetSuite emulator (default seed) for the whole test session, on a free port."""
    from erp_sandbox.netsuite import NetSuiteEmulator

    emulator = NetSuiteEmulator(port=0).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def netsuite_emulator(netsuite_emulator_server: NetSuiteEmulator) -> NetSuiteEmulator:
    """The session's NetSuite emulator, back to its starting data and settings: no calls,
    faults or tokens, clock unfrozen."""
    netsuite_emulator_server.reset(restore_settings=True)
    return netsuite_emulator_server


@pytest.fixture(scope="session")
def fusion_emulator_server() -> Iterator[FusionEmulator]:
    """One Oracle Fusion emulator (default seed) for the whole test session, on a free
    port."""
    from erp_sandbox.fusion import FusionEmulator

    emulator = FusionEmulator(port=0).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def fusion_emulator(fusion_emulator_server: FusionEmulator) -> FusionEmulator:
    """The session's Fusion emulator, back to its starting data and settings: no calls,
    faults or tokens, clock unfrozen."""
    fusion_emulator_server.reset(restore_settings=True)
    return fusion_emulator_server


@pytest.fixture(scope="session")
def acumatica_emulator_server() -> Iterator[AcumaticaEmulator]:
    """One Acumatica emulator (default seed) for the whole test session, on a free port."""
    from erp_sandbox.acumatica import AcumaticaEmulator

    emulator = AcumaticaEmulator(port=0).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def acumatica_emulator(acumatica_emulator_server: AcumaticaEmulator) -> AcumaticaEmulator:
    """The session's Acumatica emulator, back to its starting data and settings: no calls,
    faults, sessions or tokens, clock unfrozen."""
    acumatica_emulator_server.reset(restore_settings=True)
    return acumatica_emulator_server


@pytest.fixture(scope="session")
def jde_emulator_server() -> Iterator[JdeEmulator]:
    """One JD Edwards AIS emulator (default seed) for the whole test session, on a free
    port."""
    from erp_sandbox.jde import JdeEmulator

    emulator = JdeEmulator(port=0).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def jde_emulator(jde_emulator_server: JdeEmulator) -> JdeEmulator:
    """The session's JD Edwards emulator, back to its starting data and settings: no
    calls, faults, sessions or result sets, clock unfrozen."""
    jde_emulator_server.reset(restore_settings=True)
    return jde_emulator_server


@pytest.fixture(scope="session")
def exact_emulator_server() -> Iterator[ExactEmulator]:
    """One Exact Online emulator (default seed) for the whole test session, on a free
    port."""
    from erp_sandbox.exact import ExactEmulator

    emulator = ExactEmulator(port=0).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def exact_emulator(exact_emulator_server: ExactEmulator) -> ExactEmulator:
    """The session's Exact Online emulator, back to its starting data and settings: no
    calls, faults, codes, tokens, rate-limit counters or subscriptions, clock unfrozen."""
    exact_emulator_server.reset(restore_settings=True)
    return exact_emulator_server
