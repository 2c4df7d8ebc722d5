"""A declarative ERP → Mailchimp mapping file, and how records go through it.

A mapping file names, per source stream, the target streams it feeds and, per
target field, an expression over the source record:

```yaml
lookups:                      # named tables for lookup('name', key, default)
  financial_status: {Billed: paid, Cancelled: cancelled}
streams:
  customers:                  # the tap's stream
    - target: members         # one of target-mailchimp's input streams
      enabled: true           # false keeps a rule in the file without running it
      skip_when: not email    # records to leave out, counted with the reason below
      skip_reason: customer has no email address
      fields:
        email_address: email              # a plain expression
        merge_fields:                     # a nested object of expressions
          FNAME: firstname
        lines:                            # a list built from a source list
          each: lines
          where: item is not None         # optional: which items to keep
          fields: {id: str(id)}
        variants:                         # a literal list of objects
          - {id: str(id), title: displayname}
```

Expressions are Python expressions evaluated by `simpleeval` over the record's
fields (and `record` itself); inside `each`, over the item's fields and `parent`.
"""

from __future__ import annotations

import ast
import datetime as dt
import logging
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from simpleeval import EvalWithCompoundTypes

if t.TYPE_CHECKING:
    from collections.abc import Iterator

LOGGER = logging.getLogger("erp_mailchimp_mapper")
TARGET_STREAMS = ("members", "customers", "products", "orders", "member_tags")
# Skips are expected (customers without an email): each is logged with its key up to
# this many per rule and run, then only counted, so a first load does not flood the log.
LOGGED_SKIPS_PER_RULE = 100


class MappingError(ValueError):
    """A mapping file that cannot be used, or an expression that failed on a record."""


def _after(text: t.Any, separator: str) -> t.Any:
    """The part of `text` after the last `separator` (`Sales Order : Billed` → `Billed`)."""
    return text.rsplit(separator, 1)[-1].strip() if isinstance(text, str) else text


def _datetime(value: t.Any) -> str | None:
    """A date or datetime as an ISO 8601 datetime (dates at midnight UTC)."""
    if value in (None, ""):
        return None
    text = str(value)
    if len(text) == len("YYYY-MM-DD"):
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).isoformat()
    return text


FUNCTIONS: dict[str, t.Callable[..., t.Any]] = {
    "str": lambda value: None if value is None else str(value),
    "int": int,
    "float": float,
    "bool": bool,
    "len": len,
    "lower": lambda value: value.lower() if isinstance(value, str) else value,
    "upper": lambda value: value.upper() if isinstance(value, str) else value,
    "strip": lambda value: value.strip() if isinstance(value, str) else value,
    "after": _after,
    "datetime": _datetime,
    "coalesce": lambda *values: next((v for v in values if v not in (None, "")), None),
    "join": lambda separator, values: separator.join(str(v) for v in values if v),
    "split": lambda text, separator=None: text.split(separator) if isinstance(text, str) else [],
    "sum": lambda values: sum(value or 0 for value in values),
    "round": round,
    "abs": lambda value: None if value is None else abs(value),
    "min": min,
    "max": max,
}


@dataclass
class Rule:
    """One source stream feeding one target stream."""

    source: str
    target: str
    fields: dict[str, t.Any]
    skip_when: str | None = None
    skip_reason: str = "skipped by the mapping"
    skipped: int = 0
    written: int = 0
    failed: int = 0


@dataclass
class Mapping:
    """A whole mapping file."""

    rules: dict[str, list[Rule]]
    lookups: dict[str, dict[str, t.Any]] = field(default_factory=dict)
    # One evaluator for every expression, each parsed once: building an evaluator and
    # parsing its expression per field and record was most of the mapper's CPU time.
    _evaluator: EvalWithCompoundTypes = field(init=False, repr=False)
    _parsed: dict[str, ast.AST] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._evaluator = EvalWithCompoundTypes(functions={**FUNCTIONS, "lookup": self._lookup})

    @classmethod
    def load(cls, path: str | Path) -> Mapping:
        """Read and check a mapping file."""
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        rules: dict[str, list[Rule]] = {}
        for source, entries in (document.get("streams") or {}).items():
            for entry in entries:
                if entry.get("enabled", True) is False:
                    continue  # kept in the file as a documented alternative
                target = entry.get("target")
                if target not in TARGET_STREAMS:
                    msg = (
                        f"{path}: stream {source!r} maps to {target!r}, which is not one of "
                        f"{', '.join(TARGET_STREAMS)}"
                    )
                    raise MappingError(msg)
                rules.setdefault(source, []).append(
                    Rule(
                        source=source,
                        target=target,
                        fields=entry.get("fields") or {},
                        skip_when=entry.get("skip_when"),
                        skip_reason=entry.get("skip_reason") or "skipped by the mapping",
                    )
                )
        return cls(rules=rules, lookups=document.get("lookups") or {})

    def check(self, source: str, schema: dict[str, t.Any]) -> None:
        """Refuse expressions that name fields the source stream's schema does not have."""
        known = set(schema.get("properties") or {})
        unknown: set[str] = set()
        for rule in self.rules.get(source, []):
            if rule.skip_when:
                unknown |= _names(rule.skip_when) - known
            unknown |= _unknown_names(rule.fields, schema)
        if unknown:
            msg = (
                f"the mapping for stream {source!r} uses field(s) {', '.join(sorted(unknown))} "
                f"that the stream does not have (it has: {', '.join(sorted(known))})"
            )
            raise MappingError(msg)

    def apply(
        self, source: str, record: dict[str, t.Any], label: str = ""
    ) -> Iterator[tuple[Rule, dict]]:
        """The target records one source record becomes (none when skipped).

        `label` names the record in the log (e.g. `id=42`): every record left out is
        logged with it, so a user can find the ERP record and see why.
        """
        for rule in self.rules.get(source, []):
            names = {**record, "record": record}
            try:
                if rule.skip_when and self._evaluate(rule.skip_when, names, rule):
                    rule.skipped += 1
                    if rule.skipped <= LOGGED_SKIPS_PER_RULE:
                        LOGGER.info(
                            "%s → %s: record %s skipped (%s)",
                            rule.source,
                            rule.target,
                            label or "without key",
                            rule.skip_reason,
                        )
                    continue
                built = self._build(rule.fields, names, rule)
            except MappingError as error:
                # One record the mapping cannot handle must not stop the others.
                rule.failed += 1
                LOGGER.warning("record %s left out: %s", label or "without key", error)
                continue
            rule.written += 1
            yield rule, built

    def _build(self, spec: t.Any, names: dict[str, t.Any], rule: Rule) -> t.Any:
        if isinstance(spec, dict) and "each" in spec:
            items = [
                {**item, "parent": names}
                for item in self._evaluate(spec["each"], names, rule) or []
            ]
            if spec.get("where"):
                items = [item for item in items if self._evaluate(spec["where"], item, rule)]
            return [self._build(spec.get("fields") or {}, item, rule) for item in items]
        if isinstance(spec, dict):
            return {key: self._build(value, names, rule) for key, value in spec.items()}
        if isinstance(spec, list):
            return [self._build(item, names, rule) for item in spec]
        if isinstance(spec, str):
            return self._evaluate(spec, names, rule)
        return spec  # numbers, booleans and null are constants

    def _evaluate(self, expression: str, names: dict[str, t.Any], rule: Rule) -> t.Any:
        evaluator = self._evaluator
        try:
            parsed = self._parsed.get(expression)
            if parsed is None:
                parsed = self._parsed[expression] = evaluator.parse(expression)
            evaluator.names = names
            return evaluator.eval(expression, previously_parsed=parsed)
        except Exception as error:
            msg = f"{rule.source} → {rule.target}: `{expression}` failed: {error}"
            raise MappingError(msg) from error

    def _lookup(self, table: str, key: t.Any, default: t.Any = None) -> t.Any:
        if table not in self.lookups:
            msg = f"lookup table {table!r} is not defined in the mapping"
            raise MappingError(msg)
        return self.lookups[table].get(key, default)


BUILT_IN_NAMES = {"record", "parent", "None", "True", "False", *FUNCTIONS, "lookup"}


def _names(expression: str) -> set[str]:
    """The free names an expression uses, built-ins and comprehension variables aside."""
    tree = ast.parse(expression, mode="eval")
    bound = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.comprehension)
        for target in ast.walk(node.target)
        if isinstance(target, ast.Name)
    }
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return used - bound - BUILT_IN_NAMES


def _unknown_names(spec: t.Any, schema: dict[str, t.Any]) -> set[str]:
    """Names in a field spec that `schema` (an object schema) does not define."""
    known = set(schema.get("properties") or {})
    if isinstance(spec, dict) and "each" in spec:
        unknown = _names(spec["each"]) - known
        items: dict[str, t.Any] = {}
        for name in _names(spec["each"]) & known:
            items = schema["properties"][name].get("items") or {}
        if spec.get("where"):
            unknown |= _names(spec["where"]) - set(items.get("properties") or {})
        return unknown | _unknown_names(spec.get("fields") or {}, items)
    if isinstance(spec, dict):
        return set().union(*(_unknown_names(value, schema) for value in spec.values()))
    if isinstance(spec, list):
        return set().union(*(_unknown_names(item, schema) for item in spec))
    if isinstance(spec, str):
        return _names(spec) - known
    return set()
