"""``$filter``: the OData v3 subset Acumatica documents, parsed and run over records.

Grammar (operators and keywords lowercase, as OData spells them)::

    expr       := or
    or         := and ("or" and)*
    and        := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | comparison | function
    comparison := operand ("eq"|"ne"|"gt"|"ge"|"lt"|"le") operand
    operand    := field path (MainContact/Address/City) | literal | function
                | cf.<Type>(f='<View>.<Field>')
    function   := substringof(string, field) | startswith(field, string)
                | endswith(field, string)
    literal    := 'text' ('' escapes a quote) | datetimeoffset'…' | datetime'…' | date'…'
                | guid'…' | 12 | 12.5 | 12.5m | true | false | null

Strings compare case-insensitively (SQL Server's default collation). ``datetimeoffset``
values compare as instants; ``datetime`` literals without an offset and date-only fields
are read in the instance time zone; ``date'…'`` compares calendar dates there. Literal
contents are percent-decoded once more, so values encoded as the documentation asks
(``datetimeoffset'2024-07-15T10%3A31%3A28.402%2B03%3A00'``) work whether or not the client
encodes the whole query again; a ``+`` sent unencoded arrives as a space and fails.
Errors read like Microsoft.Data.OData's.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from erp_sandbox.acumatica.spec import EndpointSpec

COMPARISONS = {
    "eq": "Equal",
    "ne": "NotEqual",
    "gt": "GreaterThan",
    "ge": "GreaterThanOrEqual",
    "lt": "LessThan",
    "le": "LessThanOrEqual",
}
EDM_TYPES = {
    "StringValue": "Edm.String",
    "DecimalValue": "Edm.Decimal",
    "DoubleValue": "Edm.Double",
    "IntValue": "Edm.Int32",
    "ShortValue": "Edm.Int16",
    "LongValue": "Edm.Int64",
    "ByteValue": "Edm.Byte",
    "BooleanValue": "Edm.Boolean",
    "DateTimeValue": "Edm.DateTimeOffset",
    "GuidValue": "Edm.Guid",
}
#: Edm type → comparison family; operands of different families cannot be compared.
FAMILIES = {
    "Edm.String": "string",
    "Edm.Decimal": "number",
    "Edm.Double": "number",
    "Edm.Int32": "number",
    "Edm.Int16": "number",
    "Edm.Int64": "number",
    "Edm.Byte": "number",
    "Edm.Boolean": "boolean",
    "Edm.DateTimeOffset": "moment",
    "Edm.DateTime": "moment",
    "Edm.Date": "moment",
    "Edm.Guid": "guid",
}
#: ``cf.<Type>(…)`` type names (``String`` …) → Edm type.
CUSTOM_EDM = {
    "String": "Edm.String",
    "Decimal": "Edm.Decimal",
    "Double": "Edm.Double",
    "Int": "Edm.Int32",
    "Short": "Edm.Int16",
    "Long": "Edm.Int64",
    "Byte": "Edm.Byte",
    "Boolean": "Edm.Boolean",
    "DateTime": "Edm.DateTimeOffset",
    "Guid": "Edm.Guid",
}
BOOLEAN_FUNCTIONS = ("substringof", "startswith", "endswith")

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<typed>(?:datetimeoffset|datetime|date|guid|time)'(?:[^']|'')*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>-?\d+(?:\.\d+)?[mMdDfFlL]?)
  | (?P<punct>[(),=])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:[./][A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)


class FilterError(ValueError):
    """A ``$filter`` Acumatica would refuse; the message is the exception text."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int


@dataclass(frozen=True)
class Operand:
    """A value source: ``read(record)`` gives the Python value; ``edm`` its type."""

    edm: str
    read: Callable[[dict[str, Any]], Any]
    is_literal: bool = False


Predicate = Callable[[dict[str, Any]], bool]


class FilterParser:
    """Parses one ``$filter`` for one entity of one endpoint version."""

    def __init__(
        self,
        text: str,
        entity: str,
        spec: EndpointSpec,
        zone: ZoneInfo,
        custom_fields: dict[str, dict[str, str]],
    ) -> None:
        self.text = text
        self.entity = entity
        self.spec = spec
        self.zone = zone
        self.custom_fields = custom_fields
        self.tokens = self._tokenize(text)
        self.index = 0

    # --- tokens -------------------------------------------------------------------------

    def _tokenize(self, text: str) -> list[Token]:
        tokens, position = [], 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise self._syntax(position)
            kind = match.lastgroup or ""
            if kind != "space":
                tokens.append(Token(kind, match.group(), position))
            position = match.end()
        return tokens

    def _syntax(self, position: int) -> FilterError:
        return FilterError(f"Syntax error at position {position} in '{self.text}'.")

    def _peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _next(self) -> Token:
        token = self._peek()
        if token is None:
            raise self._syntax(len(self.text))
        self.index += 1
        return token

    def _expect(self, text: str) -> None:
        token = self._next()
        if token.text != text:
            raise self._syntax(token.position)

    def _keyword(self, word: str) -> bool:
        token = self._peek()
        if token is not None and token.kind == "name" and token.text == word:
            self.index += 1
            return True
        return False

    # --- grammar ------------------------------------------------------------------------

    def parse(self) -> Predicate:
        """The whole filter as a predicate over stored records."""
        predicate = self._or()
        token = self._peek()
        if token is not None:
            raise self._syntax(token.position)
        return predicate

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._keyword("or"):
            parts.append(self._and())
        if len(parts) == 1:
            return parts[0]
        return lambda record: any(part(record) for part in parts)

    def _and(self) -> Predicate:
        parts = [self._unary()]
        while self._keyword("and"):
            parts.append(self._unary())
        if len(parts) == 1:
            return parts[0]
        return lambda record: all(part(record) for part in parts)

    def _unary(self) -> Predicate:
        if self._keyword("not"):
            inner = self._unary()
            return lambda record: not inner(record)
        token = self._peek()
        if token is not None and token.text == "(":
            self.index += 1
            inner = self._or()
            self._expect(")")
            return inner
        left = self._operand()
        token = self._peek()
        if token is not None and token.kind == "name" and token.text in COMPARISONS:
            self.index += 1
            right = self._operand()
            return self._comparison(token, left, right)
        if left.edm == "Edm.Boolean":
            return lambda record: left.read(record) is True
        raise self._syntax(token.position if token else len(self.text))

    def _operand(self) -> Operand:
        token = self._next()
        if token.kind == "typed":
            return self._typed_literal(token)
        if token.kind == "string":
            value = token.text[1:-1].replace("''", "'")
            return Operand("Edm.String", lambda _r: value, is_literal=True)
        if token.kind == "number":
            number = float(token.text.rstrip("mMdDfFlL"))
            return Operand("Edm.Decimal", lambda _r: number, is_literal=True)
        if token.kind != "name":
            raise self._syntax(token.position)
        if token.text in ("true", "false"):
            flag = token.text == "true"
            return Operand("Edm.Boolean", lambda _r: flag, is_literal=True)
        if token.text == "null":
            return Operand("null", lambda _r: None, is_literal=True)
        following = self._peek()
        if following is not None and following.text == "(":
            return self._function(token)
        return self._field(token)

    def _typed_literal(self, token: Token) -> Operand:
        prefix, _, rest = token.text.partition("'")
        raw = rest[:-1].replace("''", "'")
        content = unquote(raw) if "%" in raw else raw
        edm = {
            "datetimeoffset": "Edm.DateTimeOffset",
            "datetime": "Edm.DateTime",
            "date": "Edm.Date",
            "guid": "Edm.Guid",
            "time": "Edm.Time",
        }[prefix]
        try:
            if prefix == "datetimeoffset":
                moment = datetime.fromisoformat(content)
                if moment.tzinfo is None:
                    raise ValueError("no offset")
                return Operand(edm, lambda _r: moment, is_literal=True)
            if prefix == "datetime":
                local = datetime.fromisoformat(content)
                if local.tzinfo is None:
                    local = local.replace(tzinfo=self.zone)
                return Operand(edm, lambda _r: local, is_literal=True)
            if prefix == "date":
                day = date.fromisoformat(content)
                return Operand(edm, lambda _r: day, is_literal=True)
            if prefix == "guid":
                value = str(uuid.UUID(content))
                return Operand(edm, lambda _r: value, is_literal=True)
        except ValueError:
            pass
        raise FilterError(
            f"Unrecognized '{edm}' literal '{token.text}' at '{token.position}' in '{self.text}'."
        )

    def _field(self, token: Token) -> Operand:
        path = token.text.split("/")
        current = self.entity
        steps: list[tuple[str, str]] = []  # (name, kind)
        value_type = ""
        for position, name in enumerate(path):
            spec = self.spec.fields(current).get(name)
            if spec is None or (spec.kind == "value" and position < len(path) - 1):
                raise FilterError(f"Could not find a property named '{name}' on type '{current}'.")
            steps.append((name, spec.kind))
            current = spec.type
            value_type = spec.type
        if steps[-1][1] != "value":
            raise FilterError(
                f"The property '{steps[-1][0]}' cannot be used in $filter: it is not a value."
            )

        def read(record: dict[str, Any]) -> Any:
            return _walk(record, steps)

        return Operand(EDM_TYPES.get(value_type, "Edm.String"), read)

    def _function(self, token: Token) -> Operand:
        name = token.text
        self._expect("(")
        if name.startswith("cf."):
            return self._custom_field(token)
        if name not in BOOLEAN_FUNCTIONS:
            raise FilterError(
                f"Unknown function '{name}' at position {token.position} in '{self.text}'."
            )
        first = self._operand()
        self._expect(",")
        second = self._operand()
        self._expect(")")
        for argument in (first, second):
            if argument.edm not in ("Edm.String", "null"):
                raise FilterError(
                    f"No function signature for the function with name '{name}' matches the "
                    f"specified arguments. The function signatures considered are: "
                    f"{name}(Edm.String Nullable=true, Edm.String Nullable=true)."
                )
        haystack, needle = (second, first) if name == "substringof" else (first, second)

        def test(record: dict[str, Any]) -> bool:
            text, part = haystack.read(record), needle.read(record)
            if text is None or part is None:
                return False
            text, part = str(text).casefold(), str(part).casefold()
            if name == "startswith":
                return text.startswith(part)
            if name == "endswith":
                return text.endswith(part)
            return part in text

        return Operand("Edm.Boolean", test)

    def _custom_field(self, token: Token) -> Operand:
        type_name = token.text.removeprefix("cf.")
        argument = self._next()
        if argument.text != "f":
            raise self._syntax(argument.position)
        self._expect("=")
        target = self._next()
        self._expect(")")
        if target.kind != "string" or type_name not in CUSTOM_EDM:
            raise self._syntax(target.position)
        view, _, field_name = target.text[1:-1].partition(".")
        declared = self.custom_fields.get(view, {}).get(field_name)
        if declared is None:
            raise FilterError(f"The custom field '{view}.{field_name}' is not found.")
        declared_short = declared.removeprefix("Custom").removesuffix("Field")
        if CUSTOM_EDM[type_name] != CUSTOM_EDM.get(declared_short):
            raise FilterError(
                f"The custom field '{view}.{field_name}' is not of the type '{type_name}'."
            )

        def read(record: dict[str, Any]) -> Any:
            return (record.get("custom") or {}).get(view, {}).get(field_name)

        return Operand(CUSTOM_EDM[type_name], read)

    def _comparison(self, operator: Token, left: Operand, right: Operand) -> Predicate:
        kind = COMPARISONS[operator.text]
        families = {FAMILIES.get(left.edm, left.edm), FAMILIES.get(right.edm, right.edm)}
        families.discard("null")
        if len(families) > 1:
            raise FilterError(
                "A binary operator with incompatible types was detected. Found operand types "
                f"'{left.edm}' and '{right.edm}' for operator kind '{kind}'."
            )
        family = next(iter(families), "null")
        zone = self.zone
        date_only = "Edm.Date" in (left.edm, right.edm)

        def normalize(value: Any) -> Any:
            if value is None:
                return None
            if family == "string":
                return str(value).casefold()
            if family == "guid":
                return str(value).lower()
            if family == "number":
                return float(value)
            if family == "moment":
                return _moment(value, zone, date_only)
            return value

        operation = operator.text

        def compare(record: dict[str, Any]) -> bool:
            a, b = normalize(left.read(record)), normalize(right.read(record))
            if operation == "eq":
                return a == b
            if operation == "ne":
                return a != b
            if a is None or b is None:
                return False
            if operation == "gt":
                return a > b
            if operation == "ge":
                return a >= b
            if operation == "lt":
                return a < b
            return a <= b

        return compare


def _walk(record: dict[str, Any], steps: list[tuple[str, str]]) -> Any:
    """The value at a field path; through a detail collection, the first line's value
    (Acumatica: results of filters on detail records "cannot be predicted")."""
    current: Any = record
    for name, _kind in steps:
        if isinstance(current, list):
            current = current[0] if current else None
        if not isinstance(current, dict):
            return None
        current = current.get(name)
    return current


def _moment(value: Any, zone: ZoneInfo, date_only: bool) -> Any:
    """Dates and datetimes on one scale: aware datetimes, or local dates for ``date'…'``."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=zone)
        return moment.astimezone(zone).date() if date_only else moment
    if isinstance(value, date):
        return value if date_only else datetime.combine(value, time(), tzinfo=zone)
    return value


def compile_filter(
    text: str,
    entity: str,
    spec: EndpointSpec,
    zone: ZoneInfo,
    custom_fields: dict[str, dict[str, str]],
) -> Predicate:
    """A predicate for ``$filter=text`` on ``entity`` in ``spec``'s version."""
    if not text.strip():
        return lambda _record: True
    return FilterParser(text, entity, spec, zone, custom_fields).parse()
