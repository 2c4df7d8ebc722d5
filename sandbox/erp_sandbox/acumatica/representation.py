"""Records as the contract-based REST API returns them, and the query options that shape
them (``$select``, ``$expand``, ``$custom``, ``$top``, ``$skip``).

Shape (reference A2; [ACU-DOC] IS__con_REST_Entity_Representation_in_JSON)::

    {"id": "<guid>", "rowNumber": 1, "note": {"value": ""},
     "CustomerID": {"value": "C000001"}, …, "Description": {},
     "MainContact": {"id": …, "rowNumber": 1, "Email": {"value": …}, …, "custom": {}},
     "custom": {"CurrentCustomer": {"UsrLoyaltyTier": {"type": "CustomStringField",
                                                       "value": "Gold"}}},
     "_links": {"self": "…/entity/Default/24.200.001/Customer/<guid>", "files:put": …}}

A field is rendered in version V only if V's definition declares it, wrapped as the
definition says (``DecimalValue`` → number, ``DateTimeValue`` → ISO 8601 with the
instance's offset, …); an empty value is ``{}``. Linked and detail entities appear only
when ``$expand`` names them, each level explicitly (``MainContact,MainContact/Address``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from erp_sandbox.acumatica.entities import EntityDef
from erp_sandbox.acumatica.errors import bad_request
from erp_sandbox.acumatica.spec import CUSTOM_FIELD_TYPES, VALUE_TYPES, EndpointSpec

Record = dict[str, Any]


@dataclass(frozen=True)
class CustomRequest:
    """One ``$custom`` item: ``[<entity path>/]<View>.<Field>``."""

    path: str  # "" for the top-level entity, "Details" for a detail entity
    view: str
    field: str


@dataclass
class QueryOptions:
    """The parsed query options of one GET."""

    select: set[str] | None = None
    expand: set[str] = field(default_factory=set)
    custom: list[CustomRequest] = field(default_factory=list)
    top: int | None = None
    skip: int = 0
    filter: str = ""


def _paths(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _count(name: str, raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise bad_request(f"The value '{raw}' of the {name} parameter is not a valid integer.")
    return value


def parse_options(params: dict[str, str], entity: EntityDef, spec: EndpointSpec) -> QueryOptions:
    """Check and parse ``$select``, ``$expand``, ``$custom``, ``$top``, ``$skip`` against
    the entity's definition in this version; unknown names are a 500 (inferred)."""
    options = QueryOptions(
        top=_count("$top", params.get("$top")),
        skip=_count("$skip", params.get("$skip")) or 0,
        filter=params.get("$filter", ""),
    )
    for path in _paths(params.get("$expand")):
        if path == "files" or path.endswith("/files"):
            options.expand.add(path)
            continue
        found = spec.field(entity.name, path)
        if found is None or found.kind == "value":
            raise bad_request(
                f"The entity '{entity.name}' has no linked or detail entity '{path}'."
            )
        options.expand.add(path)
    if "$select" in params:
        options.select = set()
        for path in _paths(params.get("$select")):
            if spec.field(entity.name, path) is None:
                raise bad_request(f"The field '{path}' is not found in the entity '{entity.name}'.")
            options.select.add(path)
    for item in _paths(params.get("$custom")):
        prefix, _, view_field = item.rpartition("/")
        view, _, name = view_field.partition(".")
        if not view or not name:
            raise bad_request(f"The custom field '{item}' is not in the <View>.<Field> format.")
        if prefix and spec.field(entity.name, prefix) is None:
            raise bad_request(
                f"The entity '{entity.name}' has no linked or detail entity '{prefix}'."
            )
        if not prefix and name not in entity.custom_fields.get(view, {}):
            raise bad_request(f"The custom field '{view}.{name}' is not found.")
        options.custom.append(CustomRequest(prefix, view, name))
    return options


class Renderer:
    """Renders stored records for one version, entity and set of query options."""

    def __init__(
        self,
        spec: EndpointSpec,
        entity: EntityDef,
        options: QueryOptions,
        zone: ZoneInfo,
        links_base: str,
    ) -> None:
        self.spec = spec
        self.entity = entity
        self.options = options
        self.zone = zone
        self.links_base = links_base

    def top_level(self, record: Record, row_number: int) -> Record:
        """One top-level record, with ``_links``."""
        rendered = self._entity(record, self.entity.name, "", row_number)
        rendered["note"] = {"value": record.get("note") or ""}
        keys = "/".join(str(record.get(name)) for name in self.entity.keys)
        rendered["_links"] = {
            "self": f"{self.links_base}/{self.entity.name}/{record['id']}",
            "files:put": f"{self.links_base}/files/{self.entity.graph}/"
            f"{self.entity.primary_view}/{keys}/{{filename}}",
        }
        return _ordered(rendered)

    def _entity(self, record: Record, schema: str, prefix: str, row_number: int) -> Record:
        rendered: Record = {"id": record.get("id"), "rowNumber": row_number}
        declared = self.spec.fields(schema)
        for name, value in record.items():
            spec = declared.get(name)
            if spec is None:
                continue
            path = prefix + name
            if spec.kind == "value":
                if self._selected(path):
                    rendered[name] = self._wrap(value, spec.type)
            elif path in self.options.expand and self._selected(path, container=True):
                if spec.kind == "linked":
                    rendered[name] = _ordered(self._entity(value or {}, spec.type, path + "/", 1))
                else:
                    rendered[name] = [
                        _ordered(self._entity(line, spec.type, path + "/", number))
                        for number, line in enumerate(value or [], start=1)
                    ]
        rendered["custom"] = self._custom(record, prefix.rstrip("/"))
        if prefix + "files" in self.options.expand:
            rendered["files"] = []
        return rendered

    def _selected(self, path: str, *, container: bool = False) -> bool:
        """Whether ``$select`` keeps ``path``: it, or a linked entity above it, is named;
        a linked or detail entity also shows when one of its fields is named."""
        select = self.options.select
        if select is None:
            return True
        parts = path.split("/")
        if any("/".join(parts[:end]) in select for end in range(1, len(parts) + 1)):
            return True
        return container and any(item.startswith(path + "/") for item in select)

    def _custom(self, record: Record, path: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        definitions = self.entity.custom_fields if path == "" else {}
        for wanted in self.options.custom:
            if wanted.path != path:
                continue
            custom_type = definitions.get(wanted.view, {}).get(wanted.field, "CustomStringField")
            value = (record.get("custom") or {}).get(wanted.view, {}).get(wanted.field)
            entry: dict[str, Any] = {"type": custom_type}
            if value is not None:
                entry["value"] = self._plain(value, CUSTOM_FIELD_TYPES[custom_type])
            found.setdefault(wanted.view, {})[wanted.field] = entry
        return found

    def _wrap(self, value: Any, value_type: str) -> dict[str, Any]:
        if value is None:
            return {}
        return {"value": self._plain(value, VALUE_TYPES.get(value_type, "string"))}

    def _plain(self, value: Any, kind: str) -> Any:
        if kind == "datetime":
            return format_moment(value, self.zone)
        if kind == "number":
            return float(value)
        if kind == "integer":
            return int(value)
        if kind == "boolean":
            return bool(value)
        return str(value)


def format_moment(value: Any, zone: ZoneInfo) -> str:
    """A DateTimeValue: ISO 8601 with milliseconds (when not zero) and the instance's
    offset; date-only fields are midnight there (``2025-03-04T00:00:00-05:00``)."""
    if isinstance(value, datetime):
        moment = (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(zone)
    elif isinstance(value, date):
        moment = datetime.combine(value, time(), tzinfo=zone)
    else:
        return str(value)
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


def _ordered(rendered: Record) -> Record:
    """``id``, ``rowNumber``, ``note``, fields by name, ``custom``, ``files``, ``_links``."""
    head = [k for k in ("id", "rowNumber", "note") if k in rendered]
    tail = [k for k in ("custom", "files", "_links") if k in rendered]
    middle = sorted(k for k in rendered if k not in head and k not in tail)
    return {k: rendered[k] for k in (*head, *middle, *tail)}
