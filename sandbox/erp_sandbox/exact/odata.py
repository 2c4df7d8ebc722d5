"""OData v2/v3 query options as Exact Online (WCF Data Services) reads them.

``$filter`` grammar (keywords lowercase)::

    expr       := or
    or         := and ("or" and)*
    and        := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | comparison | boolean function
    comparison := operand ("eq"|"ne"|"gt"|"ge"|"lt"|"le") operand
    operand    := property | literal | function(operand, …)

Literals: ``'text'`` (``''`` escapes a quote), ``123``, ``123L``, ``1.5``, ``1.5M``,
``2.5d``, ``true``/``false``, ``null``, ``datetime'2024-01-01T00:00:00'`` (a CET/CEST wall
clock reading, reference C4), ``guid'…'``, ``datetimeoffset'…'``. Functions:
``substringof``, ``startswith``, ``endswith``, ``tolower``, ``toupper``, ``trim``,
``length``, ``year``, ``month``, ``day``, ``hour``, ``minute``, ``second``. Operands of
different families are refused as WCF does ("Operator 'eq' incompatible with operand
types 'System.Guid' and 'System.Int32' at position 3.", quoted in Exact's docs); string
comparisons ignore case and trailing spaces, as SQL Server's collation does, but leading
spaces count (``Code`` needs its padding).

Paging is server-driven: rows come in key order (or ``$orderby`` then key), and a full
page carries ``__next``: the request URL with ``$skiptoken`` set to the last row's sort
values and key, written as literals (``guid'…'``, ``8412906113L``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, unquote_plus
from zoneinfo import ZoneInfo

from erp_sandbox.exact.entities import ENTITY_SETS, EntitySet
from erp_sandbox.exact.errors import bad_request
from erp_sandbox.exact.wallclock import parse_literal, wall_clock

Row = dict[str, Any]
Predicate = Callable[[Row], bool]
DOTNET_NAMES = {
    "Edm.String": "System.String",
    "Edm.Guid": "System.Guid",
    "Edm.Boolean": "System.Boolean",
    "Edm.Byte": "System.Byte",
    "Edm.Int16": "System.Int16",
    "Edm.Int32": "System.Int32",
    "Edm.Int64": "System.Int64",
    "Edm.Single": "System.Single",
    "Edm.Double": "System.Double",
    "Edm.Decimal": "System.Decimal",
    "Edm.DateTime": "System.DateTime",
    "Edm.DateTimeOffset": "System.DateTimeOffset",
    "Edm.Binary": "System.Byte[]",
}
NUMERIC = frozenset(
    {"Edm.Byte", "Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Single", "Edm.Double", "Edm.Decimal"}
)
COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
#: name → (argument families, result type); "string"/"datetime" are families.
FUNCTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "substringof": (("string", "string"), "Edm.Boolean"),
    "startswith": (("string", "string"), "Edm.Boolean"),
    "endswith": (("string", "string"), "Edm.Boolean"),
    "tolower": (("string",), "Edm.String"),
    "toupper": (("string",), "Edm.String"),
    "trim": (("string",), "Edm.String"),
    "length": (("string",), "Edm.Int32"),
    **{
        part: (("datetime",), "Edm.Int32")
        for part in ("year", "month", "day", "hour", "minute", "second")
    },
}
SYSTEM_OPTIONS = (
    "$filter",
    "$select",
    "$expand",
    "$orderby",
    "$top",
    "$skip",
    "$skiptoken",
    "$inlinecount",
    "$format",
)

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<typed>(?:datetimeoffset|datetime|guid|time|binary|X)'(?:[^']|'')*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?)
  | (?P<punct>[(),])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int


@dataclass(frozen=True)
class Operand:
    """A value source: ``read(row)`` gives a comparable value; ``edm`` its type."""

    edm: str
    read: Callable[[Row], Any]
    position: int


def family(edm: str) -> str:
    """The comparison family of an Edm type."""
    if edm in NUMERIC:
        return "number"
    return {
        "Edm.String": "string",
        "Edm.Guid": "guid",
        "Edm.Boolean": "boolean",
        "Edm.DateTime": "datetime",
        "Edm.DateTimeOffset": "datetimeoffset",
        "null": "null",
    }.get(edm, edm)


def comparable(edm: str, value: Any, zone: ZoneInfo) -> Any:
    """A stored value on the scale filters and sort orders use: wall-clock datetimes,
    lowercase GUIDs, case- and trailing-space-insensitive strings."""
    if value is None:
        return None
    if edm == "Edm.DateTime" and isinstance(value, date):
        if isinstance(value, datetime) and value.tzinfo is None:
            return value  # already a wall-clock reading (a literal)
        return wall_clock(value, zone)
    if edm == "Edm.Guid":
        return str(value).lower()
    if edm == "Edm.String":
        return str(value).rstrip(" ").casefold()
    return value


class FilterParser:
    """Parses one ``$filter`` for one entity set into a row predicate."""

    def __init__(
        self,
        text: str,
        entity: EntitySet,
        zone: ZoneInfo,
        allowed: frozenset[str] | None = None,
    ) -> None:
        self.text = text
        self.entity = entity
        self.zone = zone
        self.allowed = allowed
        self.tokens = self._tokenize(text)
        self.index = 0

    # --- tokens -------------------------------------------------------------------------

    def _tokenize(self, text: str) -> list[Token]:
        tokens, position = [], 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise bad_request(f"Syntax error at position {position}.")
            kind = match.lastgroup or ""
            if kind != "space":
                tokens.append(Token(kind, match.group(), position))
            position = match.end()
        return tokens

    def _peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _next(self) -> Token:
        token = self._peek()
        if token is None:
            raise bad_request(f"Expression expected at position {len(self.text)}.")
        self.index += 1
        return token

    def _expect(self, text: str) -> None:
        token = self._next()
        if token.text != text:
            raise bad_request(f"'{text}' expected at position {token.position}.")

    def _keyword(self, word: str) -> bool:
        token = self._peek()
        if token is not None and token.kind == "name" and token.text == word:
            self.index += 1
            return True
        return False

    # --- grammar ------------------------------------------------------------------------

    def parse(self) -> Predicate:
        """The whole filter as a predicate."""
        predicate = self._or()
        token = self._peek()
        if token is not None:
            raise bad_request(f"Syntax error at position {token.position}.")
        return predicate

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._keyword("or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else lambda row: any(p(row) for p in parts)

    def _and(self) -> Predicate:
        parts = [self._unary()]
        while self._keyword("and"):
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else lambda row: all(p(row) for p in parts)

    def _unary(self) -> Predicate:
        if self._keyword("not"):
            inner = self._unary()
            return lambda row: not inner(row)
        token = self._peek()
        if token is not None and token.text == "(":
            self.index += 1
            inner = self._or()
            self._expect(")")
            return self._maybe_compare_boolean(inner)
        left = self._operand()
        operator = self._peek()
        if operator is not None and operator.kind == "name" and operator.text in COMPARISONS:
            self.index += 1
            right = self._operand()
            return self._comparison(operator, left, right)
        if left.edm == "Edm.Boolean":
            return lambda row: left.read(row) is True
        position = operator.position if operator else len(self.text)
        raise bad_request(f"Expression of type 'System.Boolean' expected at position {position}.")

    def _maybe_compare_boolean(self, inner: Predicate) -> Predicate:
        operator = self._peek()
        if operator is None or operator.text not in ("eq", "ne"):
            return inner
        self.index += 1
        right = self._operand()
        boolean = Operand("Edm.Boolean", inner, operator.position)
        return self._comparison(operator, boolean, right)

    def _operand(self) -> Operand:
        token = self._next()
        if token.kind == "typed":
            return self._typed_literal(token)
        if token.kind == "string":
            text = comparable("Edm.String", token.text[1:-1].replace("''", "'"), self.zone)
            return Operand("Edm.String", lambda _r: text, token.position)
        if token.kind == "number":
            return self._number(token)
        if token.kind == "punct" and token.text == "(":
            inner = self._or()
            self._expect(")")
            return Operand("Edm.Boolean", inner, token.position)
        if token.kind != "name":
            raise bad_request(f"Expression expected at position {token.position}.")
        if token.text in ("true", "false"):
            flag = token.text == "true"
            return Operand("Edm.Boolean", lambda _r: flag, token.position)
        if token.text == "null":
            return Operand("null", lambda _r: None, token.position)
        following = self._peek()
        if following is not None and following.text == "(":
            return self._function(token)
        return self._property(token)

    def _number(self, token: Token) -> Operand:
        text = token.text
        suffix = text[-1].lower() if text[-1].isalpha() and text[-1] not in "eE" else ""
        digits = text[:-1] if suffix else text
        if suffix == "l":
            edm, value = "Edm.Int64", int(digits)
        elif suffix == "m":
            edm, value = "Edm.Decimal", float(digits)
        elif suffix in ("d", "f") or "e" in digits.lower():
            edm, value = "Edm.Double", float(digits)
        elif "." in digits:
            edm, value = "Edm.Decimal", float(digits)
        else:
            number = int(digits)
            edm, value = ("Edm.Int32" if -(2**31) <= number < 2**31 else "Edm.Int64"), number
        return Operand(edm, lambda _r: value, token.position)

    def _typed_literal(self, token: Token) -> Operand:
        prefix, _, rest = token.text.partition("'")
        content = rest[:-1].replace("''", "'")
        edm = {
            "datetime": "Edm.DateTime",
            "datetimeoffset": "Edm.DateTimeOffset",
            "guid": "Edm.Guid",
            "time": "Edm.Time",
        }.get(prefix, "Edm.Binary")
        try:
            if prefix == "datetime":
                local = parse_literal(content)
                return Operand(edm, lambda _r: local, token.position)
            if prefix == "datetimeoffset":
                moment = datetime.fromisoformat(content)
                if moment.tzinfo is None:
                    raise ValueError("no offset")
                return Operand(edm, lambda _r: moment, token.position)
            if prefix == "guid":
                value = str(uuid.UUID(content)).lower()
                return Operand(edm, lambda _r: value, token.position)
        except ValueError:
            pass
        raise bad_request(
            f"Unrecognized '{edm}' literal '{token.text}' at '{token.position}' in '{self.text}'."
        )

    def _property(self, token: Token) -> Operand:
        name = token.text
        if "/" in name or not self.entity.declares(name):
            raise bad_request(
                f"No property '{name.split('/')[0]}' exists in type '{self.entity.type_name}' "
                f"at position {token.position}."
            )
        if self.allowed is not None and name not in self.allowed:
            raise bad_request(
                f"Only {', '.join(sorted(self.allowed))} may be used in $filter on this "
                f"endpoint, not '{name}'."
            )
        edm = self.entity.edm_type(name)
        if not edm.startswith("Edm."):
            raise bad_request(
                f"The navigation property '{name}' cannot be used in $filter (position "
                f"{token.position})."
            )
        zone = self.zone
        return Operand(edm, lambda row: comparable(edm, row.get(name), zone), token.position)

    def _function(self, token: Token) -> Operand:
        name = token.text
        signature = FUNCTIONS.get(name)
        if signature is None:
            raise bad_request(f"Unknown function '{name}' at position {token.position}.")
        self._expect("(")
        arguments = [self._operand()]
        while (separator := self._peek()) is not None and separator.text == ",":
            self.index += 1
            arguments.append(self._operand())
        self._expect(")")
        families, result = signature
        if len(arguments) != len(families) or any(
            family(a.edm) not in (f, "null") for a, f in zip(arguments, families, strict=False)
        ):
            types = ", ".join(DOTNET_NAMES.get(a.edm, a.edm) for a in arguments)
            raise bad_request(
                f"No applicable function found for '{name}' at position {token.position} "
                f"with the specified arguments. The functions considered are: {name}({types})."
            )
        reads = [a.read for a in arguments]

        def call(row: Row) -> Any:
            values = [read(row) for read in reads]
            if any(v is None for v in values):
                return None
            return _apply(name, values)

        return Operand(result, call, token.position)

    def _comparison(self, operator: Token, left: Operand, right: Operand) -> Predicate:
        families = {family(left.edm), family(right.edm)} - {"null"}
        if len(families) > 1:
            raise bad_request(
                f"Operator '{operator.text}' incompatible with operand types "
                f"'{DOTNET_NAMES.get(left.edm, left.edm)}' and "
                f"'{DOTNET_NAMES.get(right.edm, right.edm)}' at position {operator.position}."
            )
        if "datetimeoffset" in families:
            raise bad_request(
                f"Operator '{operator.text}' incompatible with operand types "
                f"'System.DateTimeOffset' at position {operator.position}."
            )
        op = operator.text

        def compare(row: Row) -> bool:
            a, b = left.read(row), right.read(row)
            if op == "eq":
                return a == b
            if op == "ne":
                return a != b
            if a is None or b is None:
                return False
            if op == "gt":
                return a > b
            if op == "ge":
                return a >= b
            if op == "lt":
                return a < b
            return a <= b

        return compare


def _apply(name: str, values: list[Any]) -> Any:
    """Evaluate a filter function on non-null, already comparable values."""
    first = values[0]
    if name == "substringof":
        return str(values[0]) in str(values[1])
    if name == "startswith":
        return str(first).startswith(str(values[1]))
    if name == "endswith":
        return str(first).endswith(str(values[1]))
    if name in ("tolower", "toupper"):
        return str(first)  # strings are compared without case anyway
    if name == "trim":
        return str(first).strip()
    if name == "length":
        return len(str(first))
    return getattr(first, name)


@dataclass
class Query:
    """The query options of one request, validated against its entity set."""

    select: list[str] | None = None
    #: Selected fields of expanded navigations: ``{"SalesInvoiceLines": [...]}``.
    nested_select: dict[str, list[str] | None] = field(default_factory=dict)
    expand: list[str] = field(default_factory=list)
    predicate: Predicate | None = None
    orderby: list[tuple[str, bool]] = field(default_factory=list)
    top: int | None = None
    skip: int = 0
    skiptoken: list[Any] | None = None
    inlinecount: bool = False
    #: ``json``/``atom`` from ``$format``; None = decided by ``Accept``.
    format: str | None = None
    #: The query string's pairs as received (still encoded), for ``__next``.
    raw_pairs: list[tuple[str, str]] = field(default_factory=list)


def parse_query(
    raw_query: str,
    entity: EntitySet,
    zone: ZoneInfo,
    *,
    sync: bool = False,
) -> Query:
    """Parse and check the ``$`` options of a request (others are ignored)."""
    raw_pairs = [
        (key, value)
        for key, _, value in (pair.partition("=") for pair in raw_query.split("&") if pair)
    ]
    options: dict[str, str] = {}
    for key, value in raw_pairs:
        name = unquote_plus(key)
        if name.startswith("$"):
            if name not in SYSTEM_OPTIONS:
                raise bad_request(
                    f"The query parameter '{name}' begins with a system-reserved '$' character "
                    "but is not recognized."
                )
            if name in options:
                raise bad_request(
                    f"Query parameter '{name}' is specified, but it should be "
                    "specified exactly once."
                )
            options[name] = unquote_plus(value)
    query = Query(raw_pairs=raw_pairs)
    if sync:
        refused = sorted(set(options) & {"$orderby", "$expand", "$skip"})
        if refused:
            raise bad_request(
                f"{refused[0]} is not supported on sync endpoints: only Timestamp may be used "
                "as a parameter."
            )
        if not options.get("$select", "").strip():
            raise bad_request("$select is mandatory for this endpoint.")
    if "$select" in options:
        query.select, query.nested_select = _select(options["$select"], entity)
    if "$expand" in options:
        query.expand = _expand(options["$expand"], entity)
    if "$filter" in options and options["$filter"].strip():
        allowed = frozenset({"Timestamp"}) if sync else None
        query.predicate = FilterParser(options["$filter"], entity, zone, allowed).parse()
    if "$orderby" in options:
        query.orderby = _orderby(options["$orderby"], entity)
    query.top = _count_option("$top", options)
    query.skip = _count_option("$skip", options) or 0
    if "$skiptoken" in options:
        query.skiptoken = parse_skiptoken(options["$skiptoken"], entity, zone)
        if len(query.skiptoken) != len(query.orderby) + 1:
            raise bad_request(f"The skip token value '{options['$skiptoken']}' is not valid.")
    inlinecount = options.get("$inlinecount", "none")
    if inlinecount not in ("allpages", "none"):
        raise bad_request(f"Invalid value '{inlinecount}' for $inlinecount.")
    query.inlinecount = inlinecount == "allpages"
    if "$format" in options:
        fmt = options["$format"].lower()
        if fmt not in ("json", "atom", "xml"):
            raise bad_request(f"The $format value '{options['$format']}' is not supported.")
        query.format = "json" if fmt == "json" else "atom"
    return query


def _select(text: str, entity: EntitySet) -> tuple[list[str] | None, dict[str, list[str] | None]]:
    names: list[str] = []
    nested: dict[str, list[str] | None] = {}
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            raise bad_request("Syntax error in $select: empty item.")
        if raw == "*":
            names.extend(entity.fields)
            continue
        head, _, tail = raw.partition("/")
        if not entity.declares(head):
            raise bad_request(
                f"No property '{head}' exists in type '{entity.type_name}' at position 0."
            )
        names.append(head)
        if entity.spec.is_navigation(head):
            served = entity.navigation.get(head)
            target = ENTITY_SETS[served.lower()] if served else None
            if not tail or tail == "*" or target is None:
                nested[head] = None
            else:
                if not target.declares(tail):
                    raise bad_request(
                        f"No property '{tail}' exists in type '{target.type_name}' at position 0."
                    )
                selected = nested.setdefault(head, [])
                if selected is not None:
                    selected.append(tail)
        elif tail:
            raise bad_request(f"'{head}' is not a navigation property of '{entity.type_name}'.")
    return list(dict.fromkeys(names)), nested


def _expand(text: str, entity: EntitySet) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    for name in names:
        if not entity.declares(name):
            raise bad_request(
                f"No property '{name}' exists in type '{entity.type_name}' at position 0."
            )
        if name not in entity.navigation:
            raise bad_request(
                f"Property '{name}' on type '{entity.type_name}' is not a navigation property."
            )
    return names


def _orderby(text: str, entity: EntitySet) -> list[tuple[str, bool]]:
    keys = []
    for part in (p.strip() for p in text.split(",")):
        name, _, direction = part.partition(" ")
        direction = direction.strip().lower() or "asc"
        if direction not in ("asc", "desc"):
            raise bad_request(f"Syntax error in $orderby at '{part}'.")
        if not entity.declares(name):
            raise bad_request(
                f"No property '{name}' exists in type '{entity.type_name}' at position 0."
            )
        if entity.spec.is_navigation(name):
            raise bad_request(f"The navigation property '{name}' cannot be used in $orderby.")
        keys.append((name, direction == "desc"))
    return keys


def _count_option(name: str, options: dict[str, str]) -> int | None:
    if name not in options:
        return None
    text = options[name].strip()
    if not text.isdigit():
        raise bad_request(f"Incorrect format for {name} argument '{options[name]}'.")
    return int(text)


def literal(edm: str, value: Any, zone: ZoneInfo) -> str:
    """A value written as an OData literal (for ``$skiptoken`` and entity URIs)."""
    if value is None:
        return "null"
    if edm == "Edm.Guid":
        return f"guid'{value}'"
    if edm == "Edm.Int64":
        return f"{int(value)}L"
    if edm == "Edm.DateTime":
        local = wall_clock(value, zone)
        return f"datetime'{local.isoformat(timespec='milliseconds')}'"
    if edm == "Edm.Boolean":
        return "true" if value else "false"
    if edm in NUMERIC:
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def parse_skiptoken(text: str, entity: EntitySet, zone: ZoneInfo) -> list[Any]:
    """The literals of a ``$skiptoken`` as stored-like values."""
    tokens = FilterParser(text, entity, zone).tokens
    values: list[Any] = []
    expect_value = True
    for token in tokens:
        if token.text == ",":
            if expect_value:
                break
            expect_value = True
            continue
        if not expect_value or token.kind not in ("typed", "string", "number", "name"):
            raise bad_request(f"The skip token value '{text}' is not valid.")
        values.append(_token_value(token, text))
        expect_value = False
    if expect_value:
        raise bad_request(f"The skip token value '{text}' is not valid.")
    return values


def _token_value(token: Token, text: str) -> Any:
    try:
        if token.kind == "typed":
            prefix, _, rest = token.text.partition("'")
            content = rest[:-1].replace("''", "'")
            if prefix == "guid":
                return str(uuid.UUID(content))
            if prefix == "datetime":
                return parse_literal(content)
        elif token.kind == "string":
            return token.text[1:-1].replace("''", "'")
        elif token.kind == "number":
            digits = token.text.rstrip("lLmMdDfF")
            return float(digits) if "." in digits or "e" in digits.lower() else int(digits)
        elif token.text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[token.text]
    except ValueError:
        pass
    raise bad_request(f"The skip token value '{text}' is not valid.")


def next_link(base: str, query: Query, token: str, next_top: int | None) -> str:
    """``__next``: the request URL with ``$skiptoken`` (and ``$top``) replaced."""
    pairs = [
        (key, value)
        for key, value in query.raw_pairs
        if unquote_plus(key) not in ("$skiptoken", "$skip", "$top")
    ]
    if next_top is not None:
        pairs.append(("$top", str(next_top)))
    pairs.append(("$skiptoken", quote(token, safe="'(),:-._")))
    return base + "?" + "&".join(f"{key}={value}" for key, value in pairs)
