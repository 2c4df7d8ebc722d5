"""SuiteQL → SQLite: parse with sqlglot's Oracle dialect, check every table and field
against the schema (with NetSuite's error messages), rewrite NetSuite's built-ins, and
produce the SQL for one page and for the total count.

Supported: SELECT with aliases and ``*``, joins, subqueries, WHERE with the usual
operators, GROUP BY/HAVING, ORDER BY, ``TOP n``/``FETCH FIRST``, and the functions
TO_CHAR, TO_TIMESTAMP, TO_DATE, TO_NUMBER, TRUNC, BUILTIN.DF, SYSDATE, CURRENT_DATE and
what SQLite shares with Oracle (NVL, COALESCE, UPPER, LOWER, ABS, ROUND, SUBSTR, …).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.optimizer.scope import Scope, traverse_scope

from erp_sandbox.netsuite.date_formats import (
    DateFormatError,
    parse_with_pattern,
    preference_pattern,
    stored,
)
from erp_sandbox.netsuite.errors import NetSuiteError, search_error, unsupported_search
from erp_sandbox.netsuite.schema import DATE_KINDS, TABLES, Labels, Lookup, Status
from erp_sandbox.netsuite.settings import NetSuiteSettings

#: Stored metadata on checked Column nodes.
TABLE_META = "ns_table"
KIND_META = "ns_kind"
#: Functions the translation turns into ours; any other unknown function is refused.
KNOWN_ANONYMOUS = {"TRUNC", "NVL"}
AGGREGATES = (exp.AggFunc,)


@dataclass(frozen=True)
class OutputColumn:
    """One column of the result: its name in ``items`` and whether it is a bare date."""

    name: str
    is_date: bool


@dataclass
class Translation:
    """A checked, rewritten SuiteQL query, ready to page through."""

    tree: exp.Select
    columns: list[OutputColumn]
    #: Table aliases whose rowids identify a result row (for the shuffle of ties);
    #: empty when rows are grouped, distinct or limited by the query itself.
    row_sources: list[str]
    own_limit: bool

    def count_sql(self) -> str:
        """``SELECT COUNT(*)`` over the whole result."""
        inner = self.tree.copy()
        if not self.own_limit:
            inner.set("order", None)
            if self.row_sources:  # plain rows: what they contain does not change the count
                inner.set("expressions", [exp.Literal.number(1)])
                _drop_lookup_joins(inner)
        return f"SELECT COUNT(*) FROM ({_sqlite(inner)})"  # noqa: S608

    def page_sql(self, limit: int, offset: int, shuffle_salt: int | None) -> str:
        """The rows of one page; with a salt, ties of the ORDER BY are shuffled by it."""
        if self.own_limit:
            inner = _sqlite(self.tree)
            return f"SELECT * FROM ({inner}) LIMIT {int(limit)} OFFSET {int(offset)}"  # noqa: S608
        tree = self.tree.copy()
        if shuffle_salt is not None and self.row_sources:
            order = tree.args.get("order") or exp.Order(expressions=[])
            rowids = [exp.column("rowid", table=alias) for alias in self.row_sources]
            shuffle = exp.Anonymous(
                this="ns_tiebreak", expressions=[exp.Literal.number(shuffle_salt), *rowids]
            )
            order.append("expressions", exp.Ordered(this=shuffle, nulls_first=True))
            tree.set("order", order)
        return _sqlite(tree.limit(int(limit)).offset(int(offset)))


def _sqlite(tree: exp.Expression) -> str:
    """SQLite text with every identifier quoted (``transaction`` is a keyword there)."""
    return tree.sql(dialect="sqlite", identify=True)


def translate(query: str, settings: NetSuiteSettings, now: datetime) -> Translation:
    """Check and rewrite one SuiteQL query; raises :class:`NetSuiteError` as NetSuite would."""
    tree = _parse(query)
    _lowercase_identifiers(tree)
    _rownum_to_limit(tree)
    _check_tables(tree, settings)
    scopes = {id(scope.expression): scope for scope in traverse_scope(tree)}
    _expand_stars(tree, scopes)
    for column in list(tree.find_all(exp.Column)):
        _resolve(column, scopes)
    columns = _output_columns(tree)
    _check_functions(tree)
    tree = _rewrite(tree, settings, now)
    own_limit = bool(tree.args.get("limit") or tree.args.get("offset"))
    grouped = bool(
        tree.args.get("group")
        or tree.args.get("distinct")
        or any(e.find(*AGGREGATES) for e in tree.expressions)
    )
    row_sources = [] if grouped or own_limit else _table_aliases(tree)
    _order_without_needless_nulls_clauses(tree)
    return Translation(tree=tree, columns=columns, row_sources=row_sources, own_limit=own_limit)


# --- parsing and checking ---------------------------------------------------------------


def _parse(query: str) -> exp.Select:
    if not query or not query.strip():
        raise unsupported_search()
    try:
        statements = sqlglot.parse(query, read="oracle")
    except (ParseError, TokenError):
        raise unsupported_search() from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Select):
        raise unsupported_search()
    return statements[0]


def _lowercase_identifiers(tree: exp.Expression) -> None:
    """SuiteQL names are case-insensitive; results use lowercase names."""
    for identifier in tree.find_all(exp.Identifier):
        identifier.set("this", identifier.this.lower())
        identifier.set("quoted", False)


def _check_tables(tree: exp.Expression, settings: NetSuiteSettings) -> None:
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        name = table.name
        if table.args.get("db") or table.args.get("catalog"):
            raise unsupported_search()
        if name in ctes:
            continue
        if name not in TABLES:
            raise search_error(f"Invalid search type: {name}.")
        if name in {t.lower() for t in settings.hidden_tables}:
            raise search_error(f"Search error occurred: Record '{name}' was not found.")
        if name in {t.lower() for t in settings.permission_denied_tables}:
            raise NetSuiteError(
                403,
                "INSUFFICIENT_PERMISSION",
                f"Permission Violation: You need the permission for the "
                f"'{TABLES[name].record}' record to access this search. "
                "Please contact your account administrator.",
            )


def _expand_stars(tree: exp.Expression, scopes: dict[int, Scope]) -> None:
    """``*`` and ``alias.*`` become the columns of the tables, in schema order."""
    for select in list(tree.find_all(exp.Select)):
        scope = scopes.get(id(select))
        if scope is None or not any(_is_star(e) for e in select.expressions):
            continue
        expanded: list[exp.Expression] = []
        for expression in select.expressions:
            if not _is_star(expression):
                expanded.append(expression)
                continue
            wanted = expression.table if isinstance(expression, exp.Column) else None
            for alias, source in scope.sources.items():
                if wanted and alias != wanted:
                    continue
                expanded.extend(exp.column(name, table=alias) for name in _source_columns(source))
            if wanted and wanted not in scope.sources:
                raise _unknown_identifier(f"{wanted}.*", scope)
        select.set("expressions", expanded)


def _is_star(expression: exp.Expression) -> bool:
    return isinstance(expression, exp.Star) or (
        isinstance(expression, exp.Column) and isinstance(expression.this, exp.Star)
    )


def _source_columns(source: exp.Expression | Scope) -> list[str]:
    if isinstance(source, exp.Table):
        spec = TABLES.get(source.name)
        return list(spec.columns) if spec else []
    if isinstance(source, Scope) and isinstance(source.expression, exp.Select):
        return list(source.expression.named_selects)
    return []


def _available(scope: Scope) -> str:
    pairs = []
    for alias, source in scope.sources.items():
        name = source.name if isinstance(source, exp.Table) else alias
        pairs.append(f"{alias}={name}")
    return "{" + ", ".join(pairs) + "}"


def _unknown_identifier(name: str, scope: Scope) -> NetSuiteError:
    return search_error(
        f"Search error occurred: Unknown identifier '{name}'. "
        f"Available identifiers are: {_available(scope)}."
    )


def _enclosing_scope(column: exp.Column, scopes: dict[int, Scope]) -> Scope | None:
    node: exp.Expression | None = column.parent
    while node is not None:
        if id(node) in scopes:
            return scopes[id(node)]
        node = node.parent
    return None


def _refers_to_select_alias(column: exp.Column, scope: Scope) -> bool:
    """Unqualified ORDER BY names may be output aliases."""
    select = scope.expression
    order = column.find_ancestor(exp.Order)
    return (
        order is not None
        and order.parent is select
        and isinstance(select, exp.Select)
        and column.name in {e.alias for e in select.expressions if isinstance(e, exp.Alias)}
    )


def _resolve(column: exp.Column, scopes: dict[int, Scope]) -> None:
    """Check that a column exists; qualify it with its table alias; note its kind."""
    if isinstance(column.this, exp.Star):
        return
    scope = _enclosing_scope(column, scopes)
    if scope is None:
        raise unsupported_search()
    name, qualifier = column.name, column.table
    if qualifier:
        current: Scope | None = scope
        while current is not None:
            if qualifier in current.sources:
                _check_field(column, current.sources[qualifier])
                return
            current = current.parent
        raise _unknown_identifier(f"{qualifier}.{name}", scope)
    if _refers_to_select_alias(column, scope):
        return
    current = scope
    while current is not None:
        for alias, source in current.sources.items():
            if name in _source_columns(source):
                column.set("table", exp.to_identifier(alias))
                _check_field(column, source)
                return
        current = current.parent
    raise _unknown_identifier(name, scope)


def _check_field(column: exp.Column, source: exp.Expression | Scope) -> None:
    name = column.name
    if isinstance(source, exp.Table) and source.name in TABLES:
        spec = TABLES[source.name]
        if name not in spec.columns:
            raise search_error(
                f"Search error occurred: Field '{name}' for record '{spec.record}' was not found."
            )
        column.meta[TABLE_META] = spec.name
        column.meta[KIND_META] = spec.columns[name].kind
        return
    if name not in _source_columns(source):
        record = source.name if isinstance(source, exp.Table) else column.table
        raise search_error(
            f"Search error occurred: Field '{name}' for record '{record}' was not found."
        )


def _output_columns(tree: exp.Select) -> list[OutputColumn]:
    """Names as NetSuite returns them: the alias, the column name, else ``exprN``."""
    columns = []
    unnamed = itertools.count(1)
    for expression in tree.expressions:
        if isinstance(expression, exp.Alias):
            name = expression.alias
        elif isinstance(expression, exp.Column):
            name = expression.name
        else:
            name = f"expr{next(unnamed)}"
        columns.append(OutputColumn(name=name, is_date=_is_date(expression)))
    return columns


def _is_date(expression: exp.Expression) -> bool:
    """Whether a select expression yields a bare date/time (rendered as a date)."""
    if isinstance(expression, exp.Alias):
        return _is_date(expression.this)
    if expression.meta.get(KIND_META) in DATE_KINDS:
        return True  # a date column, or a rewritten SYSDATE/TO_TIMESTAMP
    if isinstance(expression, exp.StrToTime | exp.StrToDate | exp.CurrentTimestamp):
        return True
    if isinstance(expression, exp.CurrentDate):
        return True
    if isinstance(expression, exp.Coalesce | exp.Max | exp.Min | exp.Add | exp.Sub):
        return _is_date(expression.this)
    if isinstance(expression, exp.Anonymous) and expression.name.upper() == "TRUNC":
        return bool(expression.expressions) and _is_date(expression.expressions[0])
    return False


def _check_functions(tree: exp.Expression) -> None:
    for function in tree.find_all(exp.Anonymous):
        parent = function.parent
        if isinstance(parent, exp.Dot) and _is_builtin_df(parent):
            continue
        if function.name.upper() not in KNOWN_ANONYMOUS:
            raise unsupported_search()
    for dot in tree.find_all(exp.Dot):
        if not _is_builtin_df(dot):
            raise unsupported_search()


def _is_builtin_df(node: exp.Dot) -> bool:
    return (
        isinstance(node.this, exp.Identifier)
        and node.this.name == "builtin"
        and isinstance(node.expression, exp.Anonymous)
        and node.expression.name.upper() == "DF"
        and len(node.expression.expressions) == 1
    )


def _rownum_to_limit(tree: exp.Select) -> None:
    """``WHERE … AND ROWNUM <= n`` (Oracle's row limit) becomes ``LIMIT n``."""
    where = tree.args.get("where")
    if where is None or not any(c.name == "rownum" for c in where.find_all(exp.Column)):
        return
    conjuncts = list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]
    kept, limit = [], None
    for conjunct in conjuncts:
        column, bound = conjunct.this, conjunct.expression if conjunct.args else None
        is_rownum = isinstance(column, exp.Column) and column.name == "rownum" and not column.table
        if is_rownum and isinstance(bound, exp.Literal) and not bound.is_string:
            value = int(float(bound.name))
            if isinstance(conjunct, exp.LTE) or (isinstance(conjunct, exp.EQ) and value == 1):
                limit = value
                continue
            if isinstance(conjunct, exp.LT):
                limit = value - 1
                continue
        kept.append(conjunct)
    if limit is None:
        raise unsupported_search()
    tree.set("where", exp.Where(this=exp.and_(*kept)) if kept else None)
    tree.set("limit", exp.Limit(expression=exp.Literal.number(max(0, limit))))


# --- rewriting --------------------------------------------------------------------------


def _rewrite(tree: exp.Select, settings: NetSuiteSettings, now: datetime) -> exp.Select:
    lookups = itertools.count(1)

    def rewrite(node: exp.Expression) -> exp.Expression:
        replacement = rewrite_one(node)
        if replacement is not node and _is_date(node):
            replacement.meta[KIND_META] = "datetime"
        return replacement

    def rewrite_one(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Dot) and _is_builtin_df(node):
            return _display_value(node.expression.expressions[0], next(lookups))
        if isinstance(node, exp.ToChar):
            model = node.args.get("format")
            return exp.Anonymous(this="ns_to_char", expressions=[node.this, model or exp.null()])
        if isinstance(node, exp.StrToTime | exp.StrToDate):
            return _to_timestamp(node, settings)
        if isinstance(node, exp.CurrentTimestamp):
            return exp.Literal.string(stored(now))
        if isinstance(node, exp.CurrentDate):
            return exp.Literal.string(stored(now.replace(hour=0, minute=0, second=0)))
        if isinstance(node, exp.ToNumber):
            return exp.Cast(this=node.this, to=exp.DataType.build("REAL"))
        if isinstance(node, exp.Anonymous) and node.name.upper() == "TRUNC":
            return exp.Anonymous(this="ns_trunc", expressions=node.expressions)
        if isinstance(node, exp.Add | exp.Sub) and _is_date(node.this):
            days = node.expression if isinstance(node, exp.Add) else exp.Neg(this=node.expression)
            return exp.Anonymous(this="ns_add_days", expressions=[node.this, days])
        if isinstance(node, exp.Anonymous) and node.name.upper() == "NVL":
            return exp.Coalesce(this=node.expressions[0], expressions=node.expressions[1:])
        return node

    # Children first, so a built-in inside another (TO_CHAR(BUILTIN.DF(…))) is rewritten too.
    for node in reversed(list(tree.dfs())):
        if node is tree:
            continue
        replacement = rewrite(node)
        if replacement is not node:
            node.replace(replacement)
    return tree


def _to_timestamp(node: exp.Expression, settings: NetSuiteSettings) -> exp.Expression:
    """TO_TIMESTAMP/TO_DATE: literals are evaluated now, in the account zone's wall time."""
    model = node.args.get("format")
    pattern = model.name if isinstance(model, exp.Literal) else None
    value = node.this
    if isinstance(value, exp.Literal) and value.is_string:
        try:
            moment = parse_with_pattern(
                value.name, pattern or preference_pattern(settings.date_format)
            )
        except DateFormatError:
            raise search_error("Search error occurred: Invalid or unsupported search.") from None
        return exp.Literal.string(stored(moment))
    return exp.Anonymous(
        this="ns_to_timestamp",
        expressions=[value, exp.Literal.string(pattern) if pattern else exp.null()],
    )


def _display_value(argument: exp.Expression, number: int) -> exp.Expression:
    """BUILTIN.DF: the display text of a reference, status or coded value."""
    if not isinstance(argument, exp.Column):
        return argument
    table = TABLES.get(argument.meta.get(TABLE_META, ""))
    rule = table.columns[argument.name].display if table else None
    if isinstance(rule, Status):
        kind = exp.column("type", table=argument.table)
        return exp.Anonymous(this="ns_df_status", expressions=[kind, argument.copy()])
    if isinstance(rule, Labels):
        case = exp.Case(this=argument.copy())
        for code, label in rule.labels.items():
            case = case.when(exp.Literal.string(code), exp.Literal.string(label))
        return case.else_(argument.copy())
    if isinstance(rule, Lookup):
        alias = f"ns_df{number}"
        target = TABLES[rule.table]
        expression = sqlglot.parse_one(rule.expression.format(t=alias), read="sqlite")
        lookup = (
            exp.select(expression)
            .from_(exp.table_(target.name, alias=alias))
            .where(exp.column(target.key, table=alias).eq(argument.copy()))
        )
        return exp.Subquery(this=lookup)
    return argument


def _table_aliases(tree: exp.Select) -> list[str]:
    from_ = tree.args.get("from_") or tree.args.get("from")
    sources = [from_.this] if from_ is not None else []
    sources += [join.this for join in tree.args.get("joins") or []]
    return [
        source.alias_or_name
        for source in sources
        if isinstance(source, exp.Table) and source.name in TABLES
    ]


def _drop_lookup_joins(select: exp.Select) -> None:
    """Remove ``LEFT JOIN t ON t.<key> = …`` joins nothing else uses: they cannot change
    the number of rows, and counting is much faster without them."""
    for join in list(select.args.get("joins") or []):
        table, on = join.this, join.args.get("on")
        if (
            join.side != "LEFT"
            or not isinstance(table, exp.Table)
            or table.name not in TABLES
            or table.name == "deletedrecord"  # its key is not declared unique
            or not isinstance(on, exp.EQ)
        ):
            continue
        alias, key = table.alias_or_name, TABLES[table.name].key
        sides = [on.this, on.expression]
        keyed = [
            s for s in sides if isinstance(s, exp.Column) and (s.table, s.name) == (alias, key)
        ]
        others = [s for s in sides if not any(s is k for k in keyed)]
        if len(keyed) != 1 or any(c.table == alias for c in others[0].find_all(exp.Column)):
            continue
        joins = select.args["joins"]
        remaining = [j for j in joins if j is not join]
        select.set("joins", remaining)
        if any(c.table == alias for c in select.find_all(exp.Column)):
            select.set("joins", joins)


def _order_without_needless_nulls_clauses(tree: exp.Select) -> None:
    """Oracle sorts NULLs last; sqlglot spells that out for SQLite (``NULLS LAST``), which
    stops SQLite from walking an index in order. Keys and record dates are never NULL,
    so SQLite's own default is used for them."""
    order = tree.args.get("order")
    if order is None:
        return
    for ordered in order.expressions:
        column = ordered.this
        if not isinstance(column, exp.Column):
            continue
        table = TABLES.get(column.meta.get(TABLE_META, ""))
        if table and column.name in {table.key, table.modified, table.created}:
            ordered.set("nulls_first", not ordered.args.get("desc"))
