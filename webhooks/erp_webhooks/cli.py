"""`erp-webhooks serve --config webhooks.yml` and `erp-webhooks check-config`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
import uvicorn

from erp_webhooks.app import build_app
from erp_webhooks.config import ConfigError, ServiceConfig, load_config
from erp_webhooks.jobs import JobRunner
from erp_webhooks.logs import configure_logging

LOGGER = logging.getLogger("erp_webhooks")
CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("webhooks.yml"),
    show_default=True,
    help="The service's YAML configuration.",
)


def _load(config_path: Path) -> ServiceConfig:
    try:
        return load_config(config_path)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


@click.group()
def main() -> None:
    """Receive ERP and Mailchimp notifications and run the matching Meltano jobs."""


@main.command()
@CONFIG_OPTION
@click.option("--host", help="Listen address (overrides listen.host).")
@click.option("--port", type=int, help="Listen port (overrides listen.port).")
@click.option("--log-level", default="INFO", show_default=True)
def serve(config_path: Path, host: str | None, port: int | None, log_level: str) -> None:
    """Serve until SIGTERM or SIGINT; running jobs then get 60 s to finish."""
    config = _load(config_path)
    configure_logging(config.secrets, log_level.upper())
    runner = JobRunner(
        config.command,
        config.project_dir,
        debounce_seconds=config.debounce_seconds,
        environment=config.environment,
    )
    app = build_app(config, runner)
    LOGGER.info(
        "service starting",
        extra={
            "fields": {
                "host": host or config.host,
                "port": port if port is not None else config.port,
                "project_dir": str(config.project_dir),
                "jobs": sorted(config.jobs),
            }
        },
    )
    uvicorn.run(
        app,
        host=host or config.host,
        port=port if port is not None else config.port,
        log_config=None,  # keep our JSON handler
        access_log=False,  # our own request log redacts URL secrets; uvicorn's would not
        proxy_headers=False,  # trusted_proxies decides whom to believe
        limit_concurrency=200,
    )


@main.command("check-config")
@CONFIG_OPTION
def check_config(config_path: Path) -> None:
    """Load the configuration and say what it would serve."""
    config = _load(config_path)
    for name in ("netsuite", "exact", "mailchimp"):
        receiver = getattr(config, name)
        if receiver is not None:
            jobs = sorted({receiver.job} if name == "mailchimp" else set(receiver.jobs.values()))
            path = f"/{name}/<secret>" if receiver.path_secret else f"/{name}"
            click.echo(f"{name}: {path} → {', '.join(j for j in jobs if j) or 'no job'}")
    click.echo(f"project: {config.project_dir}; command: {' '.join(config.command)}")


if __name__ == "__main__":
    sys.exit(main())
