"""Rows as Exact Online writes them: OData v2 verbose JSON, or Atom XML.

JSON (``Accept: application/json``): ``{"d": {"results": [...], "__next": "<URL>"}}`` for
collections and ``{"d": {...}}`` for one entity (reference C7). Each entity carries
``__metadata`` (``uri``, ``type``); a navigation property not expanded is
``{"__deferred": {"uri": …}}``, an expanded one ``{"results": [...]}``. Values follow
their Edm type: ``Edm.DateTime`` → ``"\\/Date(<wall-clock ms>)\\/"``, ``Edm.Int64`` → a
string (OData v2 verbose JSON; configurable), ``Edm.Double`` → a number, ``Edm.Guid`` → a
lowercase string.

Anything else gets Atom (reference C7): ``feed/entry/content/m:properties/d:*``, typed with
``m:type`` and ``m:null="true"``, dates as wall-clock ISO text, the next page as
``<link rel="next">``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from erp_sandbox.exact.entities import ENTITY_SETS, EntitySet
from erp_sandbox.exact.odata import Query, literal
from erp_sandbox.exact.wallclock import iso_wall_clock, odata_date

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
ATOM_FEED_CONTENT_TYPE = "application/atom+xml;type=feed;charset=utf-8"
ATOM_ENTRY_CONTENT_TYPE = "application/atom+xml;type=entry;charset=utf-8"
ATOM_NS = "http://www.w3.org/2005/Atom"
DATA_NS = "http://schemas.microsoft.com/ado/2007/08/dataservices"
METADATA_NS = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
SCHEME_NS = "http://schemas.microsoft.com/ado/2007/08/dataservices/scheme"
RELATED_NS = "http://schemas.microsoft.com/ado/2007/08/dataservices/related/"
INTEGERS = ("Edm.Byte", "Edm.Int16", "Edm.Int32")
FLOATS = ("Edm.Double", "Edm.Decimal", "Edm.Single")

Row = dict[str, Any]


def encode_json(document: Any) -> bytes:
    """Compact UTF-8 JSON with WCF's escaped date slashes (``"\\/Date(…)\\/"``)."""
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    text = text.replace('"/Date(', '"\\/Date(').replace(')/"', ')\\/"')
    return text.encode("utf-8")


def wants_json(accept: str, query: Query | None = None) -> bool:
    """JSON only when asked for (``Accept: application/json`` or ``$format=json``)."""
    if query is not None and query.format is not None:
        return query.format == "json"
    return "application/json" in accept.lower()


@dataclass
class Renderer:
    """Renders rows of one entity set for one request."""

    entity: EntitySet
    query: Query
    zone: ZoneInfo
    #: ``http://host:port/api/v1/<division>/`` (``…/api/v1/current/`` for ``Me``).
    service_base: str
    int64_as_string: bool = True

    # --- which fields -------------------------------------------------------------------

    def fields(self, entity: EntitySet, selected: list[str] | None) -> list[str]:
        """Fields to show, in the order the reference declares them."""
        wanted = set(entity.fields if selected is None else selected)
        return [name for name in entity.spec.fields if name in wanted]

    def entity_uri(self, entity: EntitySet, row: Row) -> str:
        key = literal(entity.edm_type(entity.key), row.get(entity.key), self.zone)
        return f"{self.service_base}{entity.path}({key})"

    # --- values -------------------------------------------------------------------------

    def json_value(self, edm: str, value: Any) -> Any:
        """A stored value as Exact's JSON writes it."""
        if value is None or edm == "Edm.Binary":
            return None
        if edm == "Edm.DateTime":
            return odata_date(value, self.zone)
        if edm == "Edm.Int64":
            return str(int(value)) if self.int64_as_string else int(value)
        if edm in INTEGERS:
            return int(value)
        if edm in FLOATS:
            return float(value)
        if edm == "Edm.Boolean":
            return bool(value)
        return str(value)

    def xml_text(self, edm: str, value: Any) -> str:
        """A stored value as Atom ``d:*`` element text."""
        if edm == "Edm.DateTime":
            return iso_wall_clock(value, self.zone)
        if edm == "Edm.Boolean":
            return "true" if value else "false"
        if edm in FLOATS:
            return repr(float(value))
        return str(value)

    # --- JSON ---------------------------------------------------------------------------

    def json_entity(self, row: Row, entity: EntitySet | None = None, nested: bool = False) -> Row:
        """One entity with ``__metadata``; navigations deferred unless expanded."""
        entity = entity or self.entity
        selected = self.query.select
        if nested:
            selected = self.query.nested_select.get(entity_name(entity))
        uri = self.entity_uri(entity, row)
        result: Row = {"__metadata": {"uri": uri, "type": entity.type_name}}
        for name in self.fields(entity, selected):
            edm = entity.edm_type(name)
            if edm.startswith("Edm."):
                result[name] = self.json_value(edm, row.get(name))
            elif not nested and name in self.query.expand and name in entity.navigation:
                target = ENTITY_SETS[entity.navigation[name].lower()]
                result[name] = {
                    "results": [self.json_entity(r, target, nested=True) for r in row[name]]
                }
            else:
                result[name] = {"__deferred": {"uri": f"{uri}/{name}"}}
        return result

    def json_collection(self, rows: list[Row], next_url: str | None, count: int | None) -> bytes:
        """``{"d": {"results": [...], "__next": …}}``."""
        body: Row = {}
        if count is not None:
            body["__count"] = str(count)
        body["results"] = [self.json_entity(row) for row in rows]
        if next_url:
            body["__next"] = next_url
        return encode_json({"d": body})

    def json_single(self, row: Row) -> bytes:
        """``{"d": {...}}``."""
        return encode_json({"d": self.json_entity(row)})

    # --- Atom ---------------------------------------------------------------------------

    def xml_entry(self, row: Row, entity: EntitySet | None = None, nested: bool = False) -> str:
        """One ``<entry>`` (without namespace declarations)."""
        entity = entity or self.entity
        selected = self.query.select
        if nested:
            selected = self.query.nested_select.get(entity_name(entity))
        uri = self.entity_uri(entity, row)
        relative = uri.removeprefix(self.service_base).split("/")[-1]
        links, properties = [], []
        for name in self.fields(entity, selected):
            edm = entity.edm_type(name)
            if not edm.startswith("Edm."):
                inline = ""
                if not nested and name in self.query.expand and name in entity.navigation:
                    target = ENTITY_SETS[entity.navigation[name].lower()]
                    entries = "".join(self.xml_entry(r, target, nested=True) for r in row[name])
                    inline = (
                        f'<m:inline><feed><title type="text">{name}</title>'
                        f"<id>{escape(uri)}/{name}</id>{entries}</feed></m:inline>"
                    )
                links.append(
                    f'<link rel="{RELATED_NS}{name}" type="application/atom+xml;type=feed" '
                    f'title="{name}" href={quoteattr(f"{relative}/{name}")}>{inline}</link>'
                )
                continue
            value = row.get(name)
            type_attr = "" if edm == "Edm.String" else f' m:type="{edm}"'
            if value is None:
                properties.append(f'<d:{name}{type_attr} m:null="true" />')
            else:
                text = escape(self.xml_text(edm, value))
                properties.append(f"<d:{name}{type_attr}>{text}</d:{name}>")
        return (
            f"<entry><id>{escape(uri)}</id>"
            f'<category term="{entity.type_name}" scheme="{SCHEME_NS}" />'
            f'<link rel="edit" title="{entity.entity_set_name}" href={quoteattr(relative)} />'
            f"{''.join(links)}<title /><updated>{_now()}</updated><author><name /></author>"
            f'<content type="application/xml"><m:properties>{"".join(properties)}'
            "</m:properties></content></entry>"
        )

    def xml_collection(self, rows: list[Row], next_url: str | None, count: int | None) -> bytes:
        """An Atom ``<feed>``."""
        name = self.entity.entity_set_name
        entries = "".join(self.xml_entry(row) for row in rows)
        count_element = f"<m:count>{count}</m:count>" if count is not None else ""
        next_element = f'<link rel="next" href={quoteattr(next_url)} />' if next_url else ""
        return (
            '<?xml version="1.0" encoding="utf-8" standalone="yes"?>'
            f'<feed xml:base={quoteattr(self.service_base)} xmlns="{ATOM_NS}" '
            f'xmlns:d="{DATA_NS}" xmlns:m="{METADATA_NS}">'
            f'<title type="text">{name}</title>'
            f"<id>{escape(self.service_base + self.entity.path)}</id>"
            f'<updated>{_now()}</updated><link rel="self" title="{name}" href="{name}" />'
            f"{count_element}{entries}{next_element}</feed>"
        ).encode()

    def xml_single(self, row: Row) -> bytes:
        """An Atom ``<entry>`` document."""
        entry = self.xml_entry(row)
        head = (
            f'<entry xml:base={quoteattr(self.service_base)} xmlns="{ATOM_NS}" '
            f'xmlns:d="{DATA_NS}" xmlns:m="{METADATA_NS}">'
        )
        return (
            '<?xml version="1.0" encoding="utf-8" standalone="yes"?>'
            + head
            + entry.removeprefix("<entry>")
        ).encode("utf-8")


def entity_name(entity: EntitySet) -> str:
    """The navigation name an entity set is reached by (its entity set name)."""
    return entity.entity_set_name


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
