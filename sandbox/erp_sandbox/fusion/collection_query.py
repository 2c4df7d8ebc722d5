"""ADF collection parameters: ``limit``, ``offset``, ``totalResults``, ``onlyData``,
``fields``, ``orderBy``, ``expand``, ``finder`` and ``q``, read, checked against the
resource, and applied to its rows (filter, order, page)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from erp_sandbox.fusion.predicates import (
    AllOf,
    ChildRows,
    Comparison,
    Condition,
    QueryError,
    RowPredicate,
    compile_condition,
)
from erp_sandbox.fusion.qbe import QbeSyntaxError, parse_qbe
from erp_sandbox.fusion.resources import Shape
from erp_sandbox.fusion.rowmatch import RowMatchSyntaxError, parse_rowmatch
from erp_sandbox.fusion.settings import FusionSettings

Row = dict[str, Any]


@dataclass(frozen=True)
class FieldSelection:
    """``fields=A,B;child:C,D``: the parent's attributes and, per child named, the
    child's attributes (children named are included, as with ``expand``)."""

    attributes: tuple[str, ...]
    children: dict[str, tuple[str, ...]]


@dataclass
class ItemParameters:
    """What shapes each item: ``fields``, ``expand`` and ``onlyData``."""

    only_data: bool = False
    fields: FieldSelection | None = None
    expand: tuple[str, ...] = ()

    def children(self) -> dict[str, tuple[str, ...] | None]:
        """Children to include inline, with their attributes (None = all). ``fields``
        wins over ``expand`` when both are given (Oracle's parameter reference)."""
        if self.fields is not None:
            return dict(self.fields.children)
        return dict.fromkeys(self.expand)


@dataclass
class ListParameters(ItemParameters):
    """Everything a collection request asked for."""

    limit: int = 25
    offset: int = 0
    total_results: bool = False
    order_by: tuple[tuple[str, bool], ...] = ()
    predicate: RowPredicate | None = None
    conditions: list[Condition] = field(default_factory=list)


def _flag(params: Mapping[str, str], name: str) -> bool:
    raw = params.get(name)
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise QueryError(name, f"The value {raw} of the URL parameter {name} is not valid.")
    return raw.lower() == "true"


def _integer(params: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise QueryError(name, f"The value {raw} of the URL parameter {name} is not valid.")
    return value


def _attribute_names(shape: Shape, names: str, parameter: str) -> tuple[str, ...]:
    selected = tuple(n.strip() for n in names.split(",") if n.strip())
    for name in selected:
        if shape.attribute(name) is None:
            raise QueryError(
                parameter, f"The attribute {name} is not valid for the resource {shape.name}."
            )
    return selected


def _child(shape: Shape, name: str, parameter: str) -> Shape:
    child = shape.child(name)
    if child is None:
        raise QueryError(parameter, f"The child {name} of {shape.name} does not exist.")
    return child


def parse_fields(shape: Shape, raw: str) -> FieldSelection:
    """``A,B`` (parent attributes), then ``;child:C,D`` segments. A segment with no
    attributes selects none (only links); a ``fields`` naming only children selects no
    parent attribute, as Oracle's ``fields=;Employees:…`` equivalence says."""
    attributes: tuple[str, ...] = ()
    children: dict[str, tuple[str, ...]] = {}
    for index, segment in enumerate(raw.split(";")):
        child_name, colon, names = segment.partition(":")
        if index and not segment.strip():
            continue
        if not colon:
            if index:
                raise QueryError("fields", f"The fields segment {segment} names no child.")
            attributes = _attribute_names(shape, segment, "fields")
            continue
        child = _child(shape, child_name.strip(), "fields")
        children[child.name] = _attribute_names(child, names, "fields")
    return FieldSelection(attributes, children)


def parse_expand(shape: Shape, raw: str) -> tuple[str, ...]:
    """``all`` or a comma list of child names."""
    if raw.strip().lower() == "all":
        return tuple(child.name for child in shape.children)
    return tuple(_child(shape, n.strip(), "expand").name for n in raw.split(",") if n.strip())


def parse_order_by(shape: Shape, raw: str) -> tuple[tuple[str, bool], ...]:
    """``Attr:asc,Attr2:desc`` → ``((name, descending), …)``."""
    order = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        name, _, direction = part.partition(":")
        if shape.attribute(name.strip()) is None:
            raise QueryError(
                "orderBy",
                f"The attribute {name.strip()} is not valid for the resource {shape.name}.",
            )
        direction = direction.strip().lower() or "asc"
        if direction not in ("asc", "desc"):
            raise QueryError("orderBy", f"The sort direction {direction} is not valid.")
        order.append((name.strip(), direction == "desc"))
    return tuple(order)


def parse_finder(shape: Shape, raw: str) -> Condition | None:
    """``Name;var=value,var2=value2``: equality on each variable given (variables left
    out do not filter)."""
    name, _, assignments = raw.partition(";")
    finder = shape.finder(name.strip())
    if finder is None:
        raise QueryError("finder", f"The finder {name.strip()} is not defined for {shape.name}.")
    conditions: list[Condition] = []
    for assignment in (a for a in assignments.split(",") if a.strip()):
        variable, equals, value = assignment.partition("=")
        variable = variable.strip()
        if not equals or variable not in finder.variables:
            raise QueryError(
                "finder", f"The finder variable {variable} is not valid for {finder.name}."
            )
        conditions.append(Comparison(variable, "=", (value,)))
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else AllOf(tuple(conditions))


def parse_q(raw: str, version: int) -> Condition:
    """Query by example under framework version 1, row-match expressions from 2."""
    try:
        return parse_qbe(raw) if version < 2 else parse_rowmatch(raw)
    except (QbeSyntaxError, RowMatchSyntaxError):
        raise QueryError(
            "q", f"The query parameter was provided but it could not be processed. Query: {raw}"
        ) from None


def parse_item_parameters(params: Mapping[str, str], shape: Shape) -> ItemParameters:
    """``onlyData``, ``fields`` and ``expand`` of an item request."""
    fields = params.get("fields")
    expand = params.get("expand")
    return ItemParameters(
        only_data=_flag(params, "onlyData"),
        fields=parse_fields(shape, fields) if fields is not None else None,
        expand=parse_expand(shape, expand) if expand else (),
    )


def parse_list_parameters(
    params: Mapping[str, str],
    shape: Shape,
    *,
    version: int,
    settings: FusionSettings,
    children_of: ChildRows,
) -> ListParameters:
    """All collection parameters, checked; raises :class:`QueryError`."""
    item = parse_item_parameters(params, shape)
    limit = _integer(params, "limit", settings.default_page_size, 1)
    parsed = ListParameters(
        only_data=item.only_data,
        fields=item.fields,
        expand=item.expand,
        # Larger limits are clamped silently, as most Fusion resources do (reference B2).
        limit=min(limit, settings.max_page_size),
        offset=_integer(params, "offset", 0, 0),
        total_results=_flag(params, "totalResults"),
        order_by=parse_order_by(shape, params.get("orderBy", "")),
    )
    finder = params.get("finder")
    if finder:
        condition = parse_finder(shape, finder)
        if condition is not None:
            compile_condition(condition, shape, children_of, "finder")  # check its values
            parsed.conditions.append(condition)
    q = params.get("q")
    if q is not None and q.strip():
        parsed.conditions.append(parse_q(q, version))
    if parsed.conditions:
        combined = parsed.conditions[0]
        if len(parsed.conditions) > 1:
            combined = AllOf(tuple(parsed.conditions))
        parsed.predicate = compile_condition(combined, shape, children_of)
    return parsed


def _tie_breaker(offset: int, limit: int, key: Any) -> bytes:
    """A per-page order for rows that tie on every ``orderBy`` attribute."""
    return hashlib.blake2b(f"{offset}:{limit}:{key}".encode(), digest_size=8).digest()


def select_page(
    rows: Sequence[Row], params: ListParameters, *, key: str, shuffle_ties: bool
) -> tuple[list[Row], int, bool]:
    """``(page, total matching, hasMore)``. Without ``orderBy`` rows keep their key
    order; with it, rows that tie on every attribute are ordered by page (when
    ``shuffle_ties``), as a database gives ties no order. Nulls sort last ascending and
    first descending (Oracle's default)."""
    matched = [row for row in rows if params.predicate(row)] if params.predicate else list(rows)
    if params.order_by:
        if shuffle_ties:
            matched.sort(key=lambda row: _tie_breaker(params.offset, params.limit, row[key]))
        for name, descending in reversed(params.order_by):
            matched.sort(
                key=lambda row, n=name: (row.get(n) is None, row.get(n)), reverse=descending
            )
    page = matched[params.offset : params.offset + params.limit]
    return page, len(matched), params.offset + len(page) < len(matched)
