"""The run summary as singer-sdk metrics: one `METRIC: {json}` counter per stream and outcome.

Log platforms already parse the SDK's metric lines (and Meltano's structured logs carry
them as `metric_info`). The counter has its own name: the SDK's sinks already emit
`record_count` per stream for every record received, and the same name with an
`outcome` tag would make totals count each record twice.
"""

from __future__ import annotations

import enum
import typing as t

from singer_sdk import metrics

from target_mailchimp.audit import OUTCOMES

if t.TYPE_CHECKING:
    import logging
    from collections import Counter


class OutcomeMetric(enum.StrEnum):
    """target-mailchimp's metrics, alongside the SDK's `singer_sdk.metrics.Metric`."""

    RECORD_OUTCOME_COUNT = "record_outcome_count"


def log_outcome_counts(
    outcomes: dict[str, Counter[str]],
    *,
    run_id: str,
    dry_run: bool,
    logger: logging.Logger | None = None,
) -> None:
    """Log one counter per stream and outcome (zeros included) on the SDK's metrics logger."""
    logger = logger or metrics.get_metrics_logger()
    for stream, counts in sorted(outcomes.items()):
        for outcome in OUTCOMES:
            point = metrics.Point(
                "counter",
                OutcomeMetric.RECORD_OUTCOME_COUNT,  # type: ignore[arg-type]
                counts[outcome],
                tags={
                    metrics.Tag.STREAM: stream,
                    "outcome": outcome,
                    "run_id": run_id,
                    "dry_run": dry_run,
                },
            )
            metrics.log(logger, point)
