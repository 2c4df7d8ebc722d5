"""Framework version 1 ``q``: query by example.

``q=expression1;expression2`` where every expression is an attribute followed by one or
more conditions, ``;`` meaning "and" (Oracle's parameter reference: ``?q=Deptno>=10 and
<= 30;Loc!=NY``; the ADF guide: ``?q=Dname SA*;Loc BOSTON``). A condition is an
operator (``=``, ``!=``, ``<>``, ``>``, ``>=``, ``<``, ``<=``; whitespace alone means
``=``) and a value, bare or in single or double quotes. Further conditions on the same
attribute follow with ``and``/``or`` (left to right). ``*`` or ``%`` in a value with
``=`` (``!=``) makes it a (negated) LIKE. Parentheses and conditions naming other
attributes after ``and``/``or`` are version 2 syntax and are refused.
"""

from __future__ import annotations

import re

from erp_sandbox.fusion.predicates import AllOf, AnyOf, Comparison, Condition

_ATTRIBUTE = re.compile(r"\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)")
_OPERATOR = re.compile(r"\s*(>=|<=|<>|!=|=|>|<)")
#: ``and``/``or`` continuing the same attribute: it must be followed by an operator.
_CONTINUATION = re.compile(r"\s+(and|or)\s*(?=[<>=!])", re.IGNORECASE)


class QbeSyntaxError(ValueError):
    """The text is not query-by-example syntax."""


def _split_expressions(text: str) -> list[str]:
    """``text`` split on ``;`` outside quotes."""
    parts, current, quote = [], [], ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == ";":
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quote:
        raise QbeSyntaxError("unterminated quote")
    parts.append("".join(current))
    return parts


def _value(rest: str) -> tuple[str, str]:
    """The value at the start of ``rest`` and what follows it."""
    stripped = rest.lstrip()
    if stripped[:1] in ("'", '"'):
        quote, chars, index = stripped[0], [], 1
        while index < len(stripped):
            char = stripped[index]
            if char == quote:
                if stripped[index + 1 : index + 2] == quote:  # doubled quote
                    chars.append(quote)
                    index += 2
                    continue
                return "".join(chars), stripped[index + 1 :]
            chars.append(char)
            index += 1
        raise QbeSyntaxError("unterminated quote")
    found = _CONTINUATION.search(stripped)
    value = stripped[: found.start()] if found else stripped
    value = value.strip()
    if not value:
        raise QbeSyntaxError("a condition needs a value")
    return value, stripped[len(value) :] if found is None else stripped[found.start() :]


def _comparison(attribute: str, op: str, value: str) -> Comparison:
    wildcard = "*" in value or "%" in value
    if op == "=" and wildcard:
        return Comparison(attribute, "like", (value,))
    if op in ("!=", "<>") and wildcard:
        return Comparison(attribute, "like", (value,), negated=True)
    return Comparison(attribute, "!=" if op == "<>" else op, (value,))


def _expression(text: str) -> Condition:
    found = _ATTRIBUTE.match(text)
    if not found:
        raise QbeSyntaxError(f"no attribute at the start of {text!r}")
    attribute, rest = found.group(1), text[found.end() :]
    result: Condition | None = None
    joiner = ""
    while True:
        op_found = _OPERATOR.match(rest)
        if op_found:
            op, rest = op_found.group(1), rest[op_found.end() :]
        elif result is None and rest[:1].isspace():
            op = "="  # "Dname SA*": the value follows after whitespace
        else:
            raise QbeSyntaxError(f"expected an operator after {attribute}")
        value, rest = _value(rest)
        condition = _comparison(attribute, op, value)
        if result is None:
            result = condition
        elif joiner == "and":
            result = AllOf((result, condition))
        else:
            result = AnyOf((result, condition))
        if not rest.strip():
            return result
        continued = _CONTINUATION.match(rest)
        if not continued:
            raise QbeSyntaxError(f"unexpected text {rest.strip()!r}")
        joiner, rest = continued.group(1).lower(), rest[continued.end() :]


def parse_qbe(text: str) -> Condition:
    """The condition of a version 1 ``q``; raises :class:`QbeSyntaxError`."""
    expressions = [e for e in _split_expressions(text) if e.strip()]
    if not expressions:
        raise QbeSyntaxError("empty query")
    conditions = tuple(_expression(e) for e in expressions)
    return conditions[0] if len(conditions) == 1 else AllOf(conditions)
