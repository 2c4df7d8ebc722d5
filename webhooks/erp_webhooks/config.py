"""The service's configuration: one YAML file, secrets taken from the environment.

Values written as `${NAME}` are read from the environment when the file loads, so the
file can be committed while the secrets stay in `.env` or the orchestrator's vault.
Every problem is reported as one sentence that says what to fix.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import yaml

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

DEFAULT_COMMAND = ("meltano", "run", "{job}")
NETSUITE_RECORD_TYPES = ("customer", "contact", "vendor", "salesorder", "invoice", "creditmemo")
EXACT_TOPICS = ("Accounts", "Contacts", "SalesInvoices")


class ConfigError(ValueError):
    """The configuration cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class NetSuiteReceiver:
    """Notifications posted by the shipped SuiteScript user-event script."""

    jobs: dict[str, str]  # record type → job
    path_secret: str | None = None
    allow_ips: tuple[Network, ...] = ()
    hmac_secret: str | None = None
    max_age_seconds: float | None = None


@dataclass(frozen=True)
class ExactReceiver:
    """Exact Online webhook notifications, signed with the app's webhook secret."""

    webhook_secret: str
    jobs: dict[str, str]  # topic → job
    path_secret: str | None = None
    max_age_seconds: float = 600.0
    time_zone: str = "Europe/Amsterdam"
    divisions: tuple[int, ...] = ()


@dataclass(frozen=True)
class MailchimpReceiver:
    """Mailchimp list webhooks (unsigned: the secret is in the URL)."""

    path_secret: str
    audit_database_url: str | None = None  # None: target-mailchimp's default in the project
    list_ids: tuple[str, ...] = ()
    job: str | None = None


@dataclass(frozen=True)
class ServiceConfig:
    """Everything the service needs."""

    project_dir: Path
    host: str = "127.0.0.1"
    port: int = 8090
    command: tuple[str, ...] = DEFAULT_COMMAND
    environment: str | None = None
    debounce_seconds: float = 2.0
    max_body_bytes: int = 64 * 1024
    trusted_proxies: tuple[Network, ...] = ()
    netsuite: NetSuiteReceiver | None = None
    exact: ExactReceiver | None = None
    mailchimp: MailchimpReceiver | None = None
    #: Every secret value (URL secrets, signing keys, the audit database URL, which may
    #: hold a password, and whatever came from ${…}): masked in every log line.
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def jobs(self) -> set[str]:
        """Every job some receiver can trigger."""
        jobs: set[str] = set()
        if self.netsuite:
            jobs.update(self.netsuite.jobs.values())
        if self.exact:
            jobs.update(self.exact.jobs.values())
        if self.mailchimp and self.mailchimp.job:
            jobs.add(self.mailchimp.job)
        return jobs


def load_config(path: Path, environ: t.Mapping[str, str] | None = None) -> ServiceConfig:
    """Read and check a configuration file."""
    environ = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"Cannot read the configuration file {path}: {exc.strerror}."
        raise ConfigError(msg) from exc
    secrets: list[str] = []

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if not environ.get(name):
            msg = f"The configuration refers to ${{{name}}}: set that environment variable."
            raise ConfigError(msg)
        secrets.append(environ[name])
        return environ[name]

    try:
        document = yaml.safe_load(_ENV_REFERENCE.sub(expand, text)) or {}
    except yaml.YAMLError as exc:
        msg = f"The configuration file {path} is not valid YAML: {exc}."
        raise ConfigError(msg) from exc
    if not isinstance(document, dict):
        raise ConfigError(f"The configuration file {path} must hold a mapping.")
    return parse_config(document, base_dir=path.parent, secrets=tuple(secrets))


def parse_config(
    document: dict[str, t.Any], *, base_dir: Path, secrets: tuple[str, ...] = ()
) -> ServiceConfig:
    """Build the configuration from a parsed document."""
    known = {
        "project_dir", "listen", "command", "environment", "debounce_seconds",
        "max_body_bytes", "trusted_proxies", "receivers",
    }  # fmt: skip
    _no_unknown(document, known, "the configuration")
    project_dir = (base_dir / str(document.get("project_dir", "."))).resolve()
    listen = document.get("listen") or {}
    receivers = document.get("receivers") or {}
    _no_unknown(receivers, {"netsuite", "exact", "mailchimp"}, "receivers")
    command = document.get("command", list(DEFAULT_COMMAND))
    if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
        raise ConfigError("command must be a list of strings, e.g. [meltano, run, '{job}'].")
    config = ServiceConfig(
        project_dir=project_dir,
        host=str(listen.get("host", "127.0.0.1")),
        port=int(listen.get("port", 8090)),
        command=tuple(command),
        environment=document.get("environment"),
        debounce_seconds=float(document.get("debounce_seconds", 2.0)),
        max_body_bytes=int(document.get("max_body_bytes", 64 * 1024)),
        trusted_proxies=_networks(document.get("trusted_proxies"), "trusted_proxies"),
        netsuite=_netsuite(receivers["netsuite"])
        if receivers.get("netsuite") is not None
        else None,
        exact=_exact(receivers["exact"]) if receivers.get("exact") is not None else None,
        mailchimp=(
            _mailchimp(receivers["mailchimp"]) if receivers.get("mailchimp") is not None else None
        ),
        secrets=tuple(s for s in secrets if s),
    )
    configured = (
        config.netsuite and (config.netsuite.path_secret, config.netsuite.hmac_secret),
        config.exact and (config.exact.webhook_secret, config.exact.path_secret),
        config.mailchimp and (config.mailchimp.path_secret, config.mailchimp.audit_database_url),
    )
    literal = tuple(value for pair in configured if pair for value in pair if value)
    config = dataclasses.replace(config, secrets=tuple(dict.fromkeys((*config.secrets, *literal))))
    if not (config.netsuite or config.exact or config.mailchimp):
        raise ConfigError(
            "Configure at least one receiver under receivers: netsuite, exact or mailchimp."
        )
    return config


def _netsuite(section: dict[str, t.Any]) -> NetSuiteReceiver:
    _no_unknown(
        section,
        {"path_secret", "allow_ips", "hmac_secret", "max_age_seconds", "job", "record_types"},
        "receivers.netsuite",
    )
    receiver = NetSuiteReceiver(
        jobs=_jobs(section, "record_types", NETSUITE_RECORD_TYPES, "netsuite-to-mailchimp"),
        path_secret=_secret(section.get("path_secret"), "receivers.netsuite.path_secret"),
        allow_ips=_networks(section.get("allow_ips"), "receivers.netsuite.allow_ips"),
        hmac_secret=_secret(section.get("hmac_secret"), "receivers.netsuite.hmac_secret"),
        max_age_seconds=(
            float(section["max_age_seconds"]) if section.get("max_age_seconds") else None
        ),
    )
    if not (receiver.path_secret or receiver.allow_ips or receiver.hmac_secret):
        raise ConfigError(
            "receivers.netsuite accepts anyone: set path_secret, allow_ips or hmac_secret "
            "(or several)."
        )
    return receiver


def _exact(section: dict[str, t.Any]) -> ExactReceiver:
    _no_unknown(
        section,
        {
            "webhook_secret",
            "path_secret",
            "max_age_seconds",
            "time_zone",
            "divisions",
            "job",
            "topics",
        },
        "receivers.exact",
    )
    secret = _secret(section.get("webhook_secret"), "receivers.exact.webhook_secret")
    if not secret:
        raise ConfigError(
            "receivers.exact.webhook_secret is missing: copy the webhook secret of your Exact "
            "app registration (it signs every notification)."
        )
    return ExactReceiver(
        webhook_secret=secret,
        jobs=_jobs(section, "topics", EXACT_TOPICS, "exact-to-mailchimp"),
        path_secret=_secret(section.get("path_secret"), "receivers.exact.path_secret"),
        max_age_seconds=float(section.get("max_age_seconds", 600)),
        time_zone=str(section.get("time_zone", "Europe/Amsterdam")),
        divisions=tuple(int(d) for d in section.get("divisions") or ()),
    )


def _mailchimp(section: dict[str, t.Any]) -> MailchimpReceiver:
    _no_unknown(
        section, {"path_secret", "audit_database_url", "list_ids", "job"}, "receivers.mailchimp"
    )
    secret = _secret(section.get("path_secret"), "receivers.mailchimp.path_secret")
    if not secret:
        raise ConfigError(
            "receivers.mailchimp.path_secret is missing: Mailchimp signs nothing, so the URL "
            "must carry a secret."
        )
    return MailchimpReceiver(
        path_secret=secret,
        audit_database_url=section.get("audit_database_url") or None,
        list_ids=tuple(str(i) for i in section.get("list_ids") or ()),
        job=section.get("job"),
    )


def _jobs(
    section: dict[str, t.Any], key: str, defaults: tuple[str, ...], default_job: str
) -> dict[str, str]:
    """`{kind: job}`: a mapping, or a list of kinds that all go to `job`."""
    job = str(section.get("job", default_job))
    kinds = section.get(key, list(defaults))
    if isinstance(kinds, dict):
        return {str(kind): str(value) for kind, value in kinds.items()}
    if isinstance(kinds, list) and kinds:
        return {str(kind): job for kind in kinds}
    msg = f"{key} must be a non-empty list or a mapping of {key[:-1]} to job."
    raise ConfigError(msg)


def _networks(value: t.Any, name: str) -> tuple[Network, ...]:
    if not value:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{name} must be a list of addresses or CIDR ranges.")
    try:
        return tuple(ipaddress.ip_network(str(item), strict=False) for item in value)
    except ValueError as exc:
        msg = f"{name} holds something that is not an address or CIDR range: {exc}."
        raise ConfigError(msg) from exc


def _secret(value: t.Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    secret = str(value)
    if len(secret) < 16:
        msg = f"{name} is too short to be a secret: use at least 16 random characters."
        raise ConfigError(msg)
    return secret


def _no_unknown(section: t.Any, known: set[str], where: str) -> None:
    if not isinstance(section, dict):
        raise ConfigError(f"{where} must be a mapping.")
    unknown = sorted(set(section) - known)
    if unknown:
        msg = f"Unknown setting {unknown[0]!r} in {where}; known: {', '.join(sorted(known))}."
        raise ConfigError(msg)
