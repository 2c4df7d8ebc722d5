"""Bad configuration, per pipeline: the run stops, writes nothing, and says what to fix.

Settings are overridden the way an operator would get them wrong, through Meltano's
environment variables: refused or missing credentials, a base URL nobody listens on, an
Acumatica endpoint version the instance lacks, an Exact refresh token that expired, a
Mailchimp audience that does not exist, a store that belongs to another audience. Each
run must exit non-zero, make no write call to Mailchimp, and print one sentence naming
the setting to check, as a log line of its own and not only inside a traceback.
"""

from __future__ import annotations

import re
import socket
import typing as t
from dataclasses import dataclass

import pytest

from tests.reliability.conftest import PIPELINES

#: A line of a Python traceback (frames, source, the exception line, rich's panels),
#: after Meltano's prefix (`… [info     ] tap-x `), if any.
TRACEBACK_LINE = re.compile(
    r"^(\S+ \[\w+ *\] [\w-]+ +)?\s*(File \"|│|╭|╰|\^|Traceback|[\w.]+(Error|Exception): )"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def closed_port() -> str:
    """`http://127.0.0.1:<port>` with nothing listening on the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


Setup = t.Callable[[t.Any, t.Any], dict[str, str]]  # (ERP, Mailchimp emulator) → env


@dataclass
class Case:
    """One misconfiguration and what its message must say."""

    pipeline: str
    name: str
    setup: Setup  # prepares the emulators, returns the environment overrides
    phrase: str  # a phrase the message must contain
    setting: str  # the setting (or command) the message must name
    quick: bool = False


def env(**overrides: str) -> Setup:
    """Only environment overrides."""
    return lambda _erp, _mailchimp: overrides


def unreachable_erp(pipeline: str) -> Setup:
    """The ERP's base URL on a closed port (Fusion: the pod; its identity domain works)."""
    variable, path = {
        "netsuite": ("TAP_NETSUITE_BASE_URL", ""),
        "oracle-fusion": ("TAP_ORACLE_FUSION_BASE_URL", ""),
        "acumatica": ("TAP_ACUMATICA_BASE_URL", "/AcumaticaERP"),
        "jde": ("TAP_JDE_BASE_URL", ""),
        "exact": ("TAP_EXACT_BASE_URL", ""),
    }[pipeline]
    return lambda _erp, _mailchimp: {variable: closed_port() + path}


def acumatica_without_22(acumatica: t.Any, _mailchimp: t.Any) -> dict[str, str]:
    acumatica.configure(endpoint_versions=["23.200.001", "24.200.001"])
    return {"TAP_ACUMATICA_ENDPOINT_VERSION": "22.200.001"}


def store_on_another_audience(_erp: t.Any, mailchimp: t.Any) -> dict[str, str]:
    mailchimp.seed(
        {
            "lists": [{"id": "otherlist", "name": "Another brand"}],
            "ecommerce": {"stores": [{"id": "erp-sandbox-store", "list_id": "otherlist"}]},
        }
    )
    return {}


def unreachable_mailchimp(_erp: t.Any, _mailchimp: t.Any) -> dict[str, str]:
    return {"TARGET_MAILCHIMP_BASE_URL": f"{closed_port()}/3.0"}


WRONG_API_KEY = "fedcba9876543210fedcba9876543210-us21"


def cases() -> list[Case]:
    """Every misconfiguration of every pipeline; `quick` ones run in `make test`."""
    found = [
        Case(
            "netsuite",
            "wrong client id",
            env(TAP_NETSUITE_CLIENT_ID="not-the-integration"),
            "NetSuite refused the token request (401 invalid_client",
            "`client_id`",
            quick=True,
        ),
        Case(
            "oracle-fusion",
            "wrong client secret",
            env(TAP_ORACLE_FUSION_CLIENT_SECRET="not-the-secret"),
            "The Oracle identity domain refused the token request (401 invalid_client",
            "`client_secret`",
            quick=True,
        ),
        Case(
            "acumatica",
            "wrong endpoint version",
            acumatica_without_22,
            "does not offer endpoint Default 22.200.001",
            "`endpoint_version`",
            quick=True,
        ),
        Case(
            "acumatica",
            "wrong password",
            env(TAP_ACUMATICA_PASSWORD="not-the-password"),
            "Acumatica refused the token request (400 invalid_grant",
            "`password`",
        ),
        Case(
            "jde",
            "wrong password",
            env(TAP_JDE_PASSWORD="not-the-password"),
            "JD Edwards sign-in failed: the AIS Server refused the sign-in",
            "`password`",
            quick=True,
        ),
        Case(
            "exact",
            "expired refresh token",
            env(TAP_EXACT_REFRESH_TOKEN="refresh-token-that-expired"),
            "Exact refused the refresh token (The refresh token is not valid.)",
            "`tap-exact authorize`",
            quick=True,
        ),
        Case(
            "exact",
            "wrong client secret",
            env(TAP_EXACT_CLIENT_SECRET="not-the-secret"),
            "Exact refused the app's credentials (Unknown client or wrong secret.)",
            "`client_secret`",
        ),
    ]
    phrases = {
        "netsuite": "Cannot reach NetSuite at http://127.0.0.1:",
        "oracle-fusion": "Cannot reach Oracle Fusion at http://127.0.0.1:",
        "acumatica": "Cannot reach Acumatica at http://127.0.0.1:",
        "jde": "Cannot reach the JD Edwards AIS Server at http://127.0.0.1:",
        "exact": "Cannot reach Exact Online at http://127.0.0.1:",
    }
    for pipeline, phrase in phrases.items():
        found.append(
            Case(pipeline, "unreachable base URL", unreachable_erp(pipeline), phrase, "`base_url`")
        )
    # target-mailchimp behind every pipeline (two of them in the quick scope).
    for pipeline in PIPELINES:
        found += [
            Case(
                pipeline,
                "audience that does not exist",
                env(TARGET_MAILCHIMP_LIST_ID="nosuchlist"),
                "Mailchimp has no audience with list_id 'nosuchlist'",
                "`list_id`",
                quick=pipeline == "jde",
            ),
            Case(
                pipeline,
                "store on another audience",
                store_on_another_audience,
                "Mailchimp store 'erp-sandbox-store' belongs to audience 'otherlist'",
                "store_id",
                quick=pipeline == "oracle-fusion",
            ),
            Case(
                pipeline,
                "wrong API key",
                env(TARGET_MAILCHIMP_API_KEY=WRONG_API_KEY),
                "Mailchimp refused the credentials (401 API Key Invalid",
                "`api_key`",
            ),
            Case(
                pipeline,
                "missing API key",
                env(TARGET_MAILCHIMP_API_KEY=""),
                "Set either `api_key` or `access_token`",
                "`api_key`",
            ),
            Case(
                pipeline,
                "unreachable Mailchimp",
                unreachable_mailchimp,
                "Cannot reach Mailchimp at http://127.0.0.1:",
                "`base_url`",
            ),
        ]
    return found


CASES = cases()


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=f"{case.pipeline}-{case.name.replace(' ', '-')}",
            marks=() if case.quick else pytest.mark.full_only,
        )
        for case in CASES
    ],
)
def test_a_misconfigured_run_stops_writes_nothing_and_says_what_to_fix(
    case, request, meltano, mailchimp_emulator, report_row
) -> None:
    job, fixture = PIPELINES[case.pipeline]
    overrides = case.setup(request.getfixturevalue(fixture), mailchimp_emulator)

    result = meltano("run", job, check=False, env=overrides)

    writes = [call.route for call in mailchimp_emulator.calls if call.method != "GET"]
    explained = [
        line
        for line in ANSI.sub("", result.output).splitlines()
        if case.phrase in line and not TRACEBACK_LINE.match(line)
    ]
    report_row(
        pipeline=case.pipeline,
        scenario=f"bad config: {case.name}",
        runs=1,
        faults=1,
        expected=0,
        landed=0,
        duplicates=0,
        lost=0,
        notes=f"exit {result.returncode}, {len(writes)} writes; "
        + (
            f"says: {' '.join(explained[0].split('] ', 1)[-1].split())}"
            if explained
            else "unexplained"
        ),
    )
    assert result.returncode != 0
    assert writes == []
    assert explained, f"no line says {case.phrase!r}:\n{result.output[-3000:]}"
    assert any(case.setting in line for line in explained), explained
