"""Server-driven paging: rows in sort order, a page after the ``$skiptoken``.

Rows come in key order (or ``$orderby`` then key); a full page's ``__next`` carries the
last row's sort values as the skip token. The sorted rows of each source are kept until
the store changes, so a page costs a binary search and the rows it walks: sorting (and,
for the sync invoices, flattening) 100,000 rows for every 1,000-row page made reading
them quadratic.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from erp_sandbox.exact.entities import EntitySet
from erp_sandbox.exact.odata import Query, comparable

Row = dict[str, Any]
SortKeys = tuple[tuple[str, bool], ...]
Sorted = list[tuple[list[Any], Row]]

# Sort orders kept per store generation; the taps ask for one or two per entity set.
KEPT_SORT_ORDERS = 32


def sort_keys(entity: EntitySet, query: Query) -> SortKeys:
    """``$orderby`` keys followed by the entity key (ascending)."""
    return (*query.orderby, (entity.key, False))


def compare(a: Sequence[Any], b: Sequence[Any], descending: Sequence[bool]) -> int:
    for left, right, desc in zip(a, b, descending, strict=True):
        if left == right:
            continue
        # SQL Server puts NULL first in ascending order.
        if left is None:
            result = -1
        elif right is None:
            result = 1
        else:
            result = -1 if left < right else 1
        return -result if desc else result
    return 0


def sort_rows(rows: list[Row], entity: EntitySet, keys: SortKeys, zone: ZoneInfo) -> Sorted:
    """Each row with its comparable sort values, in sort order."""
    descending = [desc for _, desc in keys]
    decorated = [
        ([comparable(entity.edm_type(name), row.get(name), zone) for name, _ in keys], row)
        for row in rows
    ]
    decorated.sort(key=functools.cmp_to_key(lambda x, y: compare(x[0], y[0], descending)))
    return decorated


def page(
    ordered: Sorted, entity: EntitySet, query: Query, keys: SortKeys, zone: ZoneInfo, limit: int
) -> list[Row]:
    """Up to `limit` rows matching ``$filter``, after ``$skiptoken`` (or ``$skip``); `ordered`
    is sorted by `keys`."""
    descending = [desc for _, desc in keys]
    start, skip = 0, query.skip
    if query.skiptoken is not None:
        token = [
            comparable(entity.edm_type(name), value, zone)
            for (name, _), value in zip(keys, query.skiptoken, strict=True)
        ]
        order = functools.cmp_to_key(lambda x, y: compare(x, y, descending))
        start = bisect.bisect_right(ordered, order(token), key=lambda item: order(item[0]))
        skip = 0
    rows: list[Row] = []
    for _, row in itertools.islice(ordered, start, None):
        if query.predicate is not None and not query.predicate(row):
            continue
        if skip:
            skip -= 1
            continue
        rows.append(row)
        if len(rows) == limit:
            break
    return rows


class SortedRows:
    """The sorted rows of each store source, sort order and time zone, until the store
    changes (its ``generation`` moves)."""

    def __init__(self) -> None:
        self._generation: int | None = None
        self._sorted: dict[tuple[str, SortKeys, str], Sorted] = {}

    def get(
        self,
        source: str,
        generation: int,
        rows: Callable[[], list[Row]],
        entity: EntitySet,
        keys: SortKeys,
        zone: ZoneInfo,
    ) -> Sorted:
        if generation != self._generation:
            self._sorted.clear()
            self._generation = generation
        cache_key = (source, keys, str(zone))
        cached = self._sorted.get(cache_key)
        if cached is None:
            if len(self._sorted) >= KEPT_SORT_ORDERS:
                self._sorted.clear()
            cached = self._sorted[cache_key] = sort_rows(rows(), entity, keys, zone)
        return cached
