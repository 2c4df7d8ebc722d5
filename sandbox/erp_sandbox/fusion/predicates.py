"""Conditions parsed from ``q`` and ``finder``, compiled into row predicates.

Both query grammars (query-by-example under framework version 1, row-match
expressions from version 2, see :mod:`~erp_sandbox.fusion.qbe` and
:mod:`~erp_sandbox.fusion.rowmatch`) produce the same small tree, checked against
the resource's attributes when compiled.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from erp_sandbox.fusion.resources import STRING, Attribute, Shape
from erp_sandbox.fusion.values import literal_value, render_value

Row = dict[str, Any]
RowPredicate = Callable[[Row], bool]
#: ``children_of(row, child_name)`` → the row's child rows.
ChildRows = Callable[[Row, str], list[Row]]


class QueryError(ValueError):
    """A query parameter the framework refuses (400); ``parameter`` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Comparison:
    """``attribute <operator> values``. Operators: ``=``, ``!=``, ``<``, ``<=``, ``>``,
    ``>=``, ``like``, ``between``, ``in``, ``is null``; ``negated`` makes ``not like``,
    ``not between``, ``not in``, ``is not null``. ``function`` (``upper``/``lower``)
    applies to the attribute's value. ``attribute`` may name a child attribute as
    ``child.Attribute``: true when any child row matches."""

    attribute: str
    operator: str
    values: tuple[Any, ...] = ()
    negated: bool = False
    function: str | None = None


@dataclass(frozen=True)
class AllOf:
    """Every part holds."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one part holds."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Negation:
    """The part does not hold."""

    part: Condition


Condition = Comparison | AllOf | AnyOf | Negation

_ORDERING = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def like_pattern(pattern: str) -> re.Pattern[str]:
    """A LIKE pattern as a regex: ``%`` and ``*`` match any run, ``_`` one character;
    the match is case-sensitive and covers the whole value."""
    parts = []
    for char in pattern:
        if char in "%*":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def _resolve(shape: Shape, name: str, parameter: str) -> tuple[str | None, Attribute]:
    child_name, _, attribute_name = name.rpartition(".")
    owner = shape
    if child_name:
        child = shape.child(child_name)
        if child is None:
            raise QueryError(parameter, f"The child {child_name} of {shape.name} does not exist.")
        owner = child
    attribute = owner.attribute(attribute_name)
    if attribute is None:
        raise QueryError(
            parameter, f"The attribute {attribute_name} is not valid for the resource {owner.name}."
        )
    if not attribute.queryable:
        raise QueryError(parameter, f"The attribute {attribute_name} is not queryable.")
    return child_name or None, attribute


def _value_test(comparison: Comparison, attribute: Attribute, parameter: str) -> RowPredicate:
    """A test of one value (not a row) for ``comparison``."""
    op = comparison.operator
    if op == "is null":
        return (lambda v: v is not None) if comparison.negated else (lambda v: v is None)
    function = {"upper": str.upper, "lower": str.lower}.get(comparison.function or "")
    if function is not None and attribute.type != STRING:
        raise QueryError(parameter, f"{comparison.function} needs a text attribute.")

    def adjust(value: Any) -> Any:
        return function(value) if function is not None else value

    if op == "like":
        pattern = like_pattern(str(comparison.values[0]))

        def text(value: Any) -> str:
            return adjust(
                value if attribute.type == STRING else str(render_value(attribute, value))
            )

        test: RowPredicate = lambda v: pattern.fullmatch(text(v)) is not None  # noqa: E731
    else:
        try:
            literals = [literal_value(attribute, v) for v in comparison.values]
        except ValueError:
            shown = ", ".join(str(v) for v in comparison.values)
            raise QueryError(
                parameter, f"The value {shown} is not valid for the attribute {attribute.name}."
            ) from None
        if op == "between":
            low, high = literals
            test = lambda v: low <= adjust(v) <= high  # noqa: E731
        elif op == "in":
            options = set(literals)
            test = lambda v: adjust(v) in options  # noqa: E731
        else:
            compare, (literal,) = _ORDERING[op], literals
            test = lambda v: compare(adjust(v), literal)  # noqa: E731
    if comparison.negated:
        # SQL: a NULL value satisfies neither a condition nor its negation.
        return lambda v: v is not None and not test(v)
    return lambda v: v is not None and test(v)


def compile_condition(
    condition: Condition, shape: Shape, children_of: ChildRows, parameter: str = "q"
) -> RowPredicate:
    """A predicate over ``shape``'s rows; raises :class:`QueryError` for unknown or
    non-queryable attributes and literals of the wrong type."""
    if isinstance(condition, AllOf):
        parts = [compile_condition(p, shape, children_of, parameter) for p in condition.parts]
        return lambda row: all(part(row) for part in parts)
    if isinstance(condition, AnyOf):
        parts = [compile_condition(p, shape, children_of, parameter) for p in condition.parts]
        return lambda row: any(part(row) for part in parts)
    if isinstance(condition, Negation):
        inner = compile_condition(condition.part, shape, children_of, parameter)
        return lambda row: not inner(row)
    child, attribute = _resolve(shape, condition.attribute, parameter)
    test = _value_test(condition, attribute, parameter)
    name = attribute.name
    if child is None:
        return lambda row: test(row.get(name))
    return lambda row: any(test(item.get(name)) for item in children_of(row, child))
