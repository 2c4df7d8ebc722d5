"""No secret in clear: after a pipeline runs through a token expiry and then fails on 401s
from the ERP (and, in the full scope, on refused credentials or 403s), none of the sandbox
credentials, nor any token the emulators issued, is found in anything the runs leave behind.

Scanned: the complete stdout and stderr of every Meltano command (`--log-level=debug`),
`meltano state get`, every file of the test's directory as raw bytes (the audit store, the
Meltano state database, the Exact token store) and every table of both databases, and the
files of `.meltano/run` and `.meltano/logs` written during the test. A secret counts as
found in clear as itself, URL-encoded, base64-encoded at any offset (HTTP Basic carries
`user:password` so), or, when longer than 16 characters, by a 12-character piece of its
middle.
"""

from __future__ import annotations

import base64
import contextlib
import re
import stat
import time
import typing as t
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from secrets import token_urlsafe

import pytest
import sqlalchemy as sa
import yaml

from tests.conftest import PROJECT, tokens_revoked_after
from tests.reliability.conftest import PIPELINES, mailchimp_state

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from tests.conftest import MeltanoResult

#: Meltano's plugin names per pipeline.
PLUGINS = {
    "netsuite": "tap-netsuite",
    "oracle-fusion": "tap-oracle-fusion",
    "acumatica": "tap-acumatica",
    "jde": "tap-jde",
    "exact": "tap-exact",
}
TARGET = "target-mailchimp"

#: Credentials that must be flagged `sensitive: true` in meltano.yml (and `secret=True` in
#: the plugin), whether or not the sandbox sets them.
CREDENTIALS = {
    "tap-netsuite": {"private_key", "consumer_key", "consumer_secret", "token_id", "token_secret"},
    "tap-oracle-fusion": {"client_secret", "password"},
    "tap-acumatica": {"client_secret", "password", "refresh_token"},
    "tap-jde": {"password"},
    "tap-exact": {"client_secret", "refresh_token", "token_encryption_key"},
    "target-mailchimp": {"api_key", "access_token"},
}

#: Where each ERP serves data (not tokens): the glob the error run's 401s match.
DATA_PATHS = {
    "netsuite": "/services/rest/query/*",
    "oracle-fusion": "/fscmRestApi/*",
    "acumatica": "/entity/*/*",  # paths below the site (`/AcumaticaERP`)
    "jde": "/jderest/v2/dataservice*",
    "exact": "/api/v1/*",
}

#: Meltano's debug log names every plugin config file it writes and deletes.
CONFIG_FILE = re.compile(r"Created configuration at (\S+\.config\.json)")


def meltano_project() -> dict[str, t.Any]:
    return yaml.safe_load((PROJECT / "meltano.yml").read_text())


def plugin_definitions() -> dict[str, dict[str, t.Any]]:
    """Every plugin of meltano.yml by name."""
    plugins = meltano_project()["plugins"]
    return {plugin["name"]: plugin for kind in plugins.values() for plugin in kind}


def sensitive_settings(plugin: dict[str, t.Any]) -> set[str]:
    return {
        setting["name"]
        for setting in plugin.get("settings", [])
        if setting.get("sensitive") or setting.get("kind") == "password"
    }


def sandbox_config(plugin_name: str) -> dict[str, t.Any]:
    [sandbox] = [env for env in meltano_project()["environments"] if env["name"] == "sandbox"]
    for kind in sandbox["config"]["plugins"].values():
        for plugin in kind:
            if plugin["name"] == plugin_name:
                return plugin.get("config", {})
    return {}


def pem_body_lines(path: Path) -> list[str]:
    """The base64 lines of a PEM file: any one of them in clear gives the key away."""
    return [
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("-----")
    ]


def sandbox_secrets(plugin_name: str) -> dict[str, str]:
    """The sandbox's values of the plugin's sensitive settings, and the private key's body."""
    plugin = plugin_definitions()[plugin_name]
    config = sandbox_config(plugin_name)
    secrets = {
        f"{plugin_name}.{name}": str(config[name])
        for name in sensitive_settings(plugin)
        if config.get(name)
    }
    if config.get("private_key_path"):
        for number, line in enumerate(pem_body_lines(PROJECT / config["private_key_path"])):
            secrets[f"{plugin_name}.private_key_path (PEM line {number + 1})"] = line
    return secrets


def basic_auth_pairs(plugin_name: str) -> dict[str, str]:
    """`user:password` strings that go out base64-encoded as HTTP Basic credentials."""
    config = sandbox_config(plugin_name)
    pairs = {}
    for user, password in (("client_id", "client_secret"), ("username", "password")):
        if config.get(user) and config.get(password):
            pairs[f"{plugin_name}.{user}:{password}"] = f"{config[user]}:{config[password]}"
    return pairs


def clear_forms(secret: str) -> set[str]:
    """What the secret looks like in clear: itself or URL-encoded (and, when longer than 16
    characters, a 12-character piece of the middle of either), or base64-encoded at each of
    the three offsets (without the edge characters that depend on neighbouring bytes)."""
    forms = set()
    for text in {
        secret,
        urllib.parse.quote(secret),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
    }:
        forms.add(text)
        if len(text) > 16:
            middle = len(text) // 2
            forms.add(text[middle - 6 : middle + 6])
    raw = secret.encode()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        core = encoded[4 if offset else 0 : -4]
        forms.add(core)
        forms.add(core.replace("+", "-").replace("/", "_"))  # base64url
    return {form for form in forms if len(form) >= 8}


@dataclass
class SecretScan:
    """Secrets by name, and where each was found in clear."""

    secrets: dict[str, str]
    found: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._forms = {name: clear_forms(value) for name, value in self.secrets.items()}

    def add(self, name: str, value: str) -> None:
        self.secrets[name] = value
        self._forms[name] = clear_forms(value)

    def scan(self, where: str, content: bytes | str) -> None:
        data = content.encode() if isinstance(content, str) else content
        for name, forms in self._forms.items():
            if any(form.encode() in data for form in forms):
                self.found.setdefault(name, set()).add(where)

    def summary(self) -> str:
        return (
            f"{len(self.secrets)} secret values looked for in every command's output, the "
            "audit and state databases, the token store, .meltano/run and .meltano/logs"
        )

    def report(self) -> str:
        return "; ".join(
            f"{name} in {', '.join(sorted(places))}" for name, places in sorted(self.found.items())
        )


def database_dump(path: Path) -> str:
    """Every row of every table of a SQLite database, as text."""
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return "\n".join(
                repr(tuple(row))
                for table in metadata.sorted_tables
                for row in connection.execute(sa.select(table))
            )
    finally:
        engine.dispose()


class IssuedTokens:
    """Every token an emulator hands out during the test, recorded as it is issued."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.tokens: list[str] = []
        self.grants = 0  # tokens are issued in grants: access and refresh, token and cookie

    def record(self, owner: object, method: str, tokens: Callable[[t.Any], Iterable[str]]) -> None:
        issue = getattr(owner, method)

        def recording(*args: t.Any, **kwargs: t.Any) -> t.Any:
            result = issue(*args, **kwargs)
            self.grants += 1
            self.tokens.extend(token for token in tokens(result) if token)
            return result

        self.monkeypatch.setattr(owner, method, recording)


def record_issued_tokens(pipeline: str, erp: t.Any, issued: IssuedTokens) -> None:
    """Hook the ERP emulator's token issuers (bearer JWTs, OAuth grants, AIS sessions)."""
    ctx = erp.ctx
    if pipeline in ("netsuite", "oracle-fusion"):
        issued.record(ctx.tokens, "issue", lambda token: [token])
    elif pipeline == "acumatica":
        issued.record(
            ctx.sessions,
            "_issue",
            lambda grant: [grant.access.token, grant.refresh.token if grant.refresh else ""],
        )
        issued.record(ctx.sessions, "login", lambda session: [session.ticket or ""])
    elif pipeline == "jde":
        issued.record(ctx.sessions, "open_session", lambda session: [session.token, session.cookie])
    elif pipeline == "exact":
        issued.record(ctx.oauth, "_tokens", lambda pair: [pair.access_token, pair.refresh_token])


def expire_tokens(pipeline: str, erp: t.Any) -> Callable[[], object]:
    """How the ERP's access tokens die mid-run."""
    if pipeline == "jde":
        return erp.expire_tokens
    if pipeline == "exact":
        return erp.expire_access_tokens
    return erp.revoke_tokens


def run_files_written_since(started: float) -> list[Path]:
    """Files of `.meltano/run` and `.meltano/logs` written since `started`."""
    written = []
    for folder in ("run", "logs"):
        for path in (PROJECT / ".meltano" / folder).rglob("*"):
            try:
                if path.is_file() and path.stat().st_mtime >= started:
                    written.append(path)
            except FileNotFoundError:
                continue  # a concurrent run's file, deleted meanwhile
    return written


def test_the_scan_finds_a_secret_in_each_form_it_can_leak_in() -> None:
    password = "sandbox-password"
    basic = "Basic " + base64.b64encode(f"JDE:{password}".encode()).decode()
    leaks = {
        "clear": f"login failed for JDE/{password}",
        "url-encoded": "token=" + urllib.parse.quote("Gcp7!IAAAA/x+y=z-abcdefgh"),
        "basic auth": f"Authorization: {basic}",
        "middle piece": "…" + "0123456789abcdef0123456789abcdef-us21"[10:30] + "…",
    }
    for name, text in leaks.items():
        scan = SecretScan(
            {
                "password": password,
                "token": "Gcp7!IAAAA/x+y=z-abcdefgh",
                "api key": "0123456789abcdef0123456789abcdef-us21",
            }
        )
        scan.scan(name, text)
        assert scan.found, name
    clean = SecretScan({"password": password})
    clean.scan("log", "password=(redacted) sandbox user JDE")
    assert not clean.found


def test_every_credential_is_sensitive_in_meltano_yml_and_secret_in_the_plugin() -> None:
    from tap_acumatica.tap import TapAcumatica
    from tap_exact.tap import TapExact
    from tap_jde.tap import TapJde
    from tap_netsuite.tap import TapNetSuite
    from tap_oracle_fusion.tap import TapOracleFusion
    from target_mailchimp.target import TargetMailchimp

    classes = {
        "tap-netsuite": TapNetSuite,
        "tap-oracle-fusion": TapOracleFusion,
        "tap-acumatica": TapAcumatica,
        "tap-jde": TapJde,
        "tap-exact": TapExact,
        "target-mailchimp": TargetMailchimp,
    }
    definitions = plugin_definitions()
    for plugin, credentials in CREDENTIALS.items():
        assert credentials <= sensitive_settings(definitions[plugin]), plugin
        properties = classes[plugin].config_jsonschema["properties"]
        unflagged = {name for name in credentials if not properties[name].get("secret")}
        assert not unflagged, f"{plugin}: {unflagged} lack secret=True"


@dataclass
class PipelineRuns:
    """The Meltano commands of one test (all at debug level), everything they printed, and
    every token the ERP's emulator issued meanwhile."""

    pipeline: str
    erp: t.Any
    meltano: Callable[..., MeltanoResult]
    issued: IssuedTokens
    #: File times are coarse on some file systems: a second of slack.
    started: float = field(default_factory=lambda: time.time() - 1)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def job(self) -> str:
        return PIPELINES[self.pipeline][0]

    def command(self, label: str, *args: str, check: bool = True, **kwargs: t.Any) -> MeltanoResult:
        """`meltano --log-level=debug …`, its output kept under `label`."""
        result = self.meltano("--log-level=debug", *args, check=check, **kwargs)
        self.outputs[label] = result.output
        return result

    def keep_state(self, *, check: bool = True) -> None:
        """`meltano state get` of the job's state, as one more output to scan."""
        state_id = f"sandbox:{PLUGINS[self.pipeline]}-to-{TARGET}"  # `meltano run`'s naming
        self.command("state get", "state", "get", state_id, check=check)

    def scan(self, sandbox_env: dict[str, str], tmp_path: Path, **more: str) -> SecretScan:
        """Every secret, looked for in everything the commands printed and left behind."""
        plugin = PLUGINS[self.pipeline]
        secrets = {**sandbox_secrets(plugin), **sandbox_secrets(TARGET), **basic_auth_pairs(plugin)}
        secrets.update(more)
        for number, token in enumerate(self.issued.tokens):
            secrets[f"{self.pipeline} emulator token {number + 1}"] = token
        if self.pipeline == "exact":
            secrets["tap-exact.refresh_token (seeded)"] = sandbox_env["TAP_EXACT_REFRESH_TOKEN"]
            for grant in self.erp.oauth_state()["grants"]:
                for number, refresh in enumerate(grant["refresh_tokens"]):
                    secrets[f"exact refresh token {grant['grant_id']}/{number}"] = refresh["token"]
        scan = SecretScan(secrets)

        for label, output in self.outputs.items():
            scan.scan(f"output of {label}", output)
        for path in sorted(tmp_path.rglob("*")):  # audit.db, meltano.db, the token store, …
            if path.is_file():
                scan.scan(path.name, path.read_bytes())
        for database in ("audit.db", "meltano.db"):
            if (tmp_path / database).exists():
                scan.scan(f"{database} tables", database_dump(tmp_path / database))

        # Meltano writes each plugin's config (secrets included) beside it for the plugin's
        # lifetime: ours must be gone. Others' belong to runs of other tests.
        ours = {
            Path(name) for output in self.outputs.values() for name in CONFIG_FILE.findall(output)
        }
        assert ours, "no `Created configuration at` in Meltano's debug log"
        assert not [path for path in ours if path.exists()], "a plugin config file was left"
        for path in run_files_written_since(self.started):
            if path.name.endswith(".config.json") and path not in ours:
                continue
            with contextlib.suppress(FileNotFoundError):  # a concurrent run's, deleted meanwhile
                scan.scan(str(path.relative_to(PROJECT)), path.read_bytes())
        return scan


@pytest.fixture
def runs(
    pipeline: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    mailchimp_emulator: t.Any,
    meltano: Callable[..., MeltanoResult],
) -> PipelineRuns:
    """The pipeline's commands, with its ERP emulator's token issuers recorded."""
    erp = request.getfixturevalue(PIPELINES[pipeline][1])
    issued = IssuedTokens(monkeypatch)
    record_issued_tokens(pipeline, erp, issued)
    if pipeline == "exact":
        # Exact's 570 s between two tokens would hold a renewal for minutes.
        erp.configure(min_token_interval_seconds=0)
    return PipelineRuns(pipeline, erp, meltano, issued)


@pytest.mark.parametrize("pipeline", list(PIPELINES))
def test_no_secret_in_clear_after_a_token_expiry_and_an_erp_error(
    pipeline: str,
    runs: PipelineRuns,
    mailchimp_emulator: t.Any,
    sandbox_env: dict[str, str],
    tmp_path: Path,
    report_row: Callable[..., t.Any],
) -> None:
    erp = runs.erp
    # 1. A complete run during which the ERP's access tokens die (the tap renews them).
    with tokens_revoked_after(erp, None, 3, revoke=expire_tokens(pipeline, erp)):
        runs.command("run through a token expiry", "run", runs.job)
    landed = len(mailchimp_state(mailchimp_emulator))
    assert runs.issued.grants >= 2, "no renewal: the token did not die mid-run"

    # 2. A run that fails: the ERP refuses every data request with 401, renewal or not.
    erp.faults.enqueue(path=DATA_PATHS[pipeline], status=401, times=1000)
    failed = runs.command("run failing on a 401", "run", runs.job, check=False)
    assert failed.returncode != 0
    runs.keep_state()

    scan = runs.scan(sandbox_env, tmp_path)
    if pipeline == "exact":
        check_exact_token_store(Path(sandbox_env["TAP_EXACT_TOKEN_STORE_URL"]), erp)
    report_row(
        pipeline=pipeline,
        scenario="secrets in clear: token expiry, then 401s from the ERP",
        runs=2,
        faults=erp.faults.injected + 1,
        expected=landed,
        landed=landed,
        duplicates=0,
        lost=0,
        secrets_found=len(scan.found),
        notes=scan.summary() + "; expected = landed = objects in Mailchimp after the first "
        "run (no fault-free comparison here)",
    )
    assert not scan.found, scan.report()


def wrong_credentials(pipeline: str, tmp_path: Path) -> dict[str, str]:
    """Environment that gives the tap a credential the ERP refuses: a fresh random secret
    (a private key for NetSuite, inline this time), as secret as the right one."""
    if pipeline == "netsuite":
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {"TAP_NETSUITE_PRIVATE_KEY": pem}
    variable = {
        "oracle-fusion": "TAP_ORACLE_FUSION_CLIENT_SECRET",
        "acumatica": "TAP_ACUMATICA_PASSWORD",
        "jde": "TAP_JDE_PASSWORD",
        "exact": "TAP_EXACT_CLIENT_SECRET",
    }[pipeline]
    return {variable: f"wrong-{token_urlsafe(16)}"}


def as_secrets(environment: dict[str, str]) -> dict[str, str]:
    """The wrong credentials as named secrets (a PEM by its lines)."""
    found = {}
    for variable, value in environment.items():
        lines = [line for line in value.splitlines() if line and not line.startswith("-----")]
        for number, line in enumerate(lines):
            found[f"{variable} (line {number + 1})" if len(lines) > 1 else variable] = line
    return found


@pytest.mark.full_only
@pytest.mark.parametrize("scenario", ["refused credentials", "403s from the ERP"])
@pytest.mark.parametrize("pipeline", list(PIPELINES))
def test_no_secret_in_clear_when_the_erp_refuses_or_fails(
    pipeline: str,
    scenario: str,
    runs: PipelineRuns,
    sandbox_env: dict[str, str],
    tmp_path: Path,
    report_row: Callable[..., t.Any],
) -> None:
    environment: dict[str, str] = {}
    if scenario == "refused credentials":
        environment = wrong_credentials(pipeline, tmp_path)
    else:  # fatal at once; 5xx end the same way, after minutes of retries
        runs.erp.faults.enqueue(path=DATA_PATHS[pipeline], status=403, times=1000)
    failed = runs.command(scenario, "run", runs.job, check=False, env=environment)
    assert failed.returncode != 0
    runs.keep_state(check=False)  # a first run that failed may leave no state

    scan = runs.scan(sandbox_env, tmp_path, **as_secrets(environment))
    report_row(
        pipeline=pipeline,
        scenario=f"secrets in clear: {scenario}",
        runs=1,
        faults=runs.erp.faults.injected,
        expected=0,
        landed=0,
        duplicates=0,
        lost=0,
        secrets_found=len(scan.found),
        notes=scan.summary(),
    )
    assert not scan.found, scan.report()


def check_exact_token_store(path: Path, exact: t.Any) -> None:
    """The store the run created holds the current token pair, encrypted: owner-only, its
    bytes without the tokens, unreadable with another key."""
    from cryptography.fernet import Fernet
    from tap_exact.token_store import FileTokenStore, TokenStoreError

    assert stat.S_IMODE(path.stat().st_mode) == 0o600, oct(path.stat().st_mode)
    pair = FileTokenStore(path, sandbox_config("tap-exact")["token_encryption_key"]).read()
    assert pair is not None
    assert pair.access_token
    current = {grant["current_refresh_token"] for grant in exact.oauth_state()["grants"]}
    assert pair.refresh_token in current
    raw = path.read_bytes()
    assert pair.refresh_token.encode() not in raw
    assert pair.access_token.encode() not in raw
    with pytest.raises(TokenStoreError, match="cannot be decrypted with `token_encryption_key`"):
        FileTokenStore(path, Fernet.generate_key().decode()).read()
