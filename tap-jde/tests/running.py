"""Run the tap in-process, as Meltano would, and read its Singer output."""

from __future__ import annotations

import contextlib
import io
import json
import typing as t

from tap_jde.tap import TapJde

Message = dict[str, t.Any]


def selecting(config: dict[str, t.Any], *streams: str) -> dict[str, t.Any]:
    """The discovered catalog with only `streams` selected."""
    catalog = TapJde(config=config).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def make_tap(
    config: dict[str, t.Any], *streams: str, state: dict[str, t.Any] | None = None
) -> TapJde:
    """A tap that syncs `streams` (every stream when none is named)."""
    catalog = selecting(config, *streams) if streams else None
    return TapJde(config=config, catalog=catalog, state=state)


def sync(tap: TapJde) -> list[Message]:
    """Run the whole sync (sign-in, streams, logout) and parse stdout."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        tap.sync_all()
    return [json.loads(line) for line in output.getvalue().splitlines()]


def run(
    config: dict[str, t.Any], *streams: str, state: dict[str, t.Any] | None = None
) -> list[Message]:
    """`sync(make_tap(...))`."""
    return sync(make_tap(config, *streams, state=state))


def records(messages: list[Message], stream: str) -> list[dict[str, t.Any]]:
    """The stream's records, in order."""
    return [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream]


def final_state(messages: list[Message]) -> dict[str, t.Any]:
    """The last STATE message's value."""
    return [m["value"] for m in messages if m["type"] == "STATE"][-1]
