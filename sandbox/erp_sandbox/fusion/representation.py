"""JSON shapes of ADF resources: items with ``links``, collections with their paging
envelope, and children inline (an array up to framework version 2, a collection
object from version 3, as Oracle's "Set the REST Framework Version" pages say)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from erp_sandbox.fusion.collection_query import ItemParameters
from erp_sandbox.fusion.predicates import ChildRows
from erp_sandbox.fusion.resources import Shape
from erp_sandbox.fusion.values import render_value

Row = dict[str, Any]

COLLECTION_MEDIA_TYPE = "application/vnd.oracle.adf.resourcecollection+json"
ITEM_MEDIA_TYPE = "application/vnd.oracle.adf.resourceitem+json"
DESCRIBE_MEDIA_TYPE = "application/vnd.oracle.adf.description+json"


def item_href(collection_href: str, shape: Shape, row: Row) -> str:
    """The URL of one item: its collection URL and its key."""
    return f"{collection_href}/{quote(str(row[shape.key]), safe=':')}"


def change_indicator(row: Row) -> str:
    """An opaque version of the row that changes whenever it does."""
    stamp = str(row.get("LastUpdateDate"))
    return hashlib.sha1(stamp.encode(), usedforsecurity=False).hexdigest().upper()


def collection_link(href: str, name: str) -> dict[str, str]:
    """The ``self`` link of a collection."""
    return {"rel": "self", "href": href, "name": name, "kind": "collection"}


class Renderer:
    """Renders rows of one request (framework version, ``onlyData``, children)."""

    def __init__(
        self,
        *,
        version: int,
        parameters: ItemParameters,
        children_of: ChildRows,
        child_page_size: int,
    ) -> None:
        self.version = version
        self.parameters = parameters
        self.children_of = children_of
        self.child_page_size = child_page_size

    def item(
        self,
        shape: Shape,
        row: Row,
        href: str,
        *,
        attributes: Sequence[str] | None,
        children: dict[str, tuple[str, ...] | None],
        parent: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """One item: attributes (all, or those selected), children inline, links."""
        wanted = None if attributes is None else set(attributes)
        body: dict[str, Any] = {
            a.name: render_value(a, row.get(a.name))
            for a in shape.attributes
            if wanted is None or a.name in wanted
        }
        for child_name, child_attributes in children.items():
            child = shape.child(child_name)
            assert child is not None  # noqa: S101 - checked when parsed
            child_href = f"{href}/child/{child.name}"
            rows = self.children_of(row, child.name)
            if self.version >= 3:
                page = rows[: self.child_page_size]
                body[child.name] = self.envelope(
                    child,
                    page,
                    child_href,
                    attributes=child_attributes,
                    limit=self.child_page_size,
                    offset=0,
                    total=len(rows),
                    parent=(href, shape.name),
                )
            else:
                body[child.name] = [
                    self.item(
                        child,
                        child_row,
                        item_href(child_href, child, child_row),
                        attributes=child_attributes,
                        children={},
                        parent=(href, shape.name),
                    )
                    for child_row in rows
                ]
        if not self.parameters.only_data:
            body["links"] = self._item_links(shape, row, href, parent)
        return body

    def _item_links(
        self, shape: Shape, row: Row, href: str, parent: tuple[str, str] | None
    ) -> list[dict[str, Any]]:
        links: list[dict[str, Any]] = [
            {
                "rel": "self",
                "href": href,
                "name": shape.name,
                "kind": "item",
                "properties": {"changeIndicator": change_indicator(row)},
            },
            {"rel": "canonical", "href": href, "name": shape.name, "kind": "item"},
        ]
        if parent is not None:
            links.append({"rel": "parent", "href": parent[0], "name": parent[1], "kind": "item"})
        links.extend(
            {
                "rel": "child",
                "href": f"{href}/child/{child.name}",
                "name": child.name,
                "kind": "collection",
            }
            for child in shape.children
        )
        return links

    def envelope(
        self,
        shape: Shape,
        page: Sequence[Row],
        href: str,
        *,
        attributes: Sequence[str] | None,
        limit: int,
        offset: int,
        total: int,
        include_total: bool = False,
        children: dict[str, tuple[str, ...] | None] | None = None,
        parent: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """A collection page: ``items``, ``totalResults`` (when asked), ``count``,
        ``hasMore``, ``limit``, ``offset``, ``links``."""
        body: dict[str, Any] = {
            "items": [
                self.item(
                    shape,
                    row,
                    item_href(href, shape, row),
                    attributes=attributes,
                    children=children or {},
                    parent=parent,
                )
                for row in page
            ]
        }
        if include_total:
            body["totalResults"] = total
        body.update(
            count=len(page),
            hasMore=offset + len(page) < total,
            limit=limit,
            offset=offset,
            links=[collection_link(href, shape.name)],
        )
        return body
