"""API calls of one run, by endpoint, against the issue's floors.

Floors (issue 11): member writes of a first load at most ceil(N/500)+5 calls, of an
incremental run ceil(changes/500)+5, of a run with no changes none; e-commerce (customers,
products, orders, batch operations and their polling) at most N/100+20 calls for N orders;
ERP reads ceil(rows/page size) per collection the tap reads, pages never repeated;
concurrency never above 10.
"""

from __future__ import annotations

import math
import typing as t
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

if t.TYPE_CHECKING:
    from erp_sandbox.inspection import Call

MEMBERS_PER_CALL = 500  # batch-subscribe limit (reference: Mailchimp section 3)
MAILCHIMP_CONCURRENCY = 10  # simultaneous connections per API key

#: ERP routes that carry no records: sign-in, tokens, metadata, sign-out.
_ERP_OVERHEAD = ("token", "/auth/", "login", "logout", "describe", "/current/Me")


def is_overhead(route: str) -> bool:
    """An ERP call that carries no records (Acumatica's `GET /entity/` lists endpoints)."""
    return route.endswith("/entity/") or any(word in route for word in _ERP_OVERHEAD)


def member_write_floor(members: int) -> int:
    """Most member write calls allowed for `members` records: ceil(members/500)+5, or 0
    when nothing changed."""
    return math.ceil(members / MEMBERS_PER_CALL) + 5 if members else 0


def ecommerce_floor(orders: int) -> int:
    """Most e-commerce calls allowed for `orders` orders (products included): N/100+20
    (a run with no changes may still read the store; the no-writes check covers it)."""
    return math.floor(orders / 100) + 20


def erp_read_floor(records_per_stream: dict[str, int], page_size: int) -> int:
    """Pages needed at the API's largest page: ceil(records/page) per stream, at least one
    page per stream read."""
    return sum(max(1, math.ceil(count / page_size)) for count in records_per_stream.values())


def max_concurrency(calls: list[Call]) -> int:
    """Most calls in flight at once, from each call's start and duration."""
    edges: list[tuple[float, int]] = []
    for call in calls:
        start = datetime.fromisoformat(call.started_at).timestamp()
        edges.append((start, 1))
        edges.append((start + call.duration_ms / 1000, -1))
    edges.sort(key=lambda edge: (edge[0], edge[1]))
    peak = current = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


@dataclass
class MailchimpCalls:
    """The target's calls to Mailchimp in one run."""

    by_route: dict[str, int]
    member_writes: int
    ecommerce: int
    writes: int
    total: int
    concurrency: int
    batch_operations: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, calls: list[Call], batch_operations: list[Call]) -> MailchimpCalls:
        """Classify the calls: members are `/lists/…`; e-commerce is `/ecommerce/…` and
        `/batches…` (the target sends only e-commerce writes through batch operations,
        which `batch_operations` shows)."""
        by_route = Counter(call.route for call in calls)
        writes = [call for call in calls if call.method != "GET"]
        member_writes = sum(
            1 for call in writes if call.route.split(" ")[1].startswith("/3.0/lists")
        )
        ecommerce = sum(
            1
            for call in calls
            if call.route.split(" ")[1].startswith(("/3.0/ecommerce", "/3.0/batches"))
        )
        return cls(
            by_route=dict(sorted(by_route.items())),
            member_writes=member_writes,
            ecommerce=ecommerce,
            writes=len(writes),
            total=len(calls),
            concurrency=max_concurrency(calls),
            batch_operations=dict(sorted(Counter(c.route for c in batch_operations).items())),
        )


@dataclass
class ErpCalls:
    """The tap's calls to its ERP in one run."""

    by_route: dict[str, int]
    reads: int
    overhead: int
    repeated_pages: int | None
    concurrency: int

    @classmethod
    def of(cls, calls: list[Call]) -> ErpCalls:
        """Reads are the calls that return records; `repeated_pages` counts GETs of a page
        already read in this run (None where pages are requested in a POST body, which the
        call log does not keep)."""
        by_route = Counter(call.route for call in calls)
        reads = [call for call in calls if not is_overhead(call.route)]
        gets = [call for call in reads if call.method == "GET"]
        repeated = None
        if len(gets) == len(reads):
            seen = Counter((call.path, call.query) for call in gets)
            repeated = sum(count - 1 for count in seen.values())
        return cls(
            by_route=dict(sorted(by_route.items())),
            reads=len(reads),
            overhead=len(calls) - len(reads),
            repeated_pages=repeated,
            concurrency=max_concurrency(calls),
        )
