"""``GET …/<resource>/describe``: the ADF metadata document of a resource.

Shape (Oracle's "Access Metadata" pages; recorded Fusion describes)::

    {"Resources": {"<resource>": {"discrColumnType": false, "title", "titlePlural",
        "attributes": [{"name", "type", "updatable", "mandatory", "queryable",
                        "precision"?, "title", "maxLength"?}],
        "collection": {"rangeSize", "finders": [...], "links": [...], "actions": [...]},
        "item": {"links": [...], "actions": [...]},
        "children": {"<child>": {…the same, without "links"…}},
        "links": [{"rel": "self", …, "kind": "describe"}]}}}
"""

from __future__ import annotations

from typing import Any

from erp_sandbox.fusion.representation import COLLECTION_MEDIA_TYPE, ITEM_MEDIA_TYPE
from erp_sandbox.fusion.resources import INTEGER, NUMBER, STRING, Attribute, Shape

#: Digits of Fusion's NUMBER(18) ids and amounts.
NUMBER_PRECISION = 18


def describe_attribute(attribute: Attribute) -> dict[str, Any]:
    """One attribute's metadata."""
    described: dict[str, Any] = {
        "name": attribute.name,
        "type": attribute.type,
        "updatable": attribute.updatable,
        "mandatory": attribute.mandatory,
        "queryable": attribute.queryable,
    }
    if attribute.type == STRING and attribute.length:
        described["precision"] = attribute.length
    elif attribute.type in (INTEGER, NUMBER):
        described["precision"] = NUMBER_PRECISION
    described["title"] = attribute.title
    if attribute.type == STRING and attribute.length:
        # ADF renders maxLength as a string.
        described["maxLength"] = str(attribute.length)
    return described


def _describe_shape(shape: Shape, collection_href: str, page_size: int) -> dict[str, Any]:
    described: dict[str, Any] = {
        "discrColumnType": False,
        "title": shape.title,
        "titlePlural": shape.title_plural,
        "attributes": [describe_attribute(a) for a in shape.attributes],
        "collection": {
            "rangeSize": page_size,
            "finders": [
                {
                    "name": finder.name,
                    "title": finder.title,
                    "attributes": [
                        describe_attribute(shape.by_name[variable]) for variable in finder.variables
                    ],
                }
                for finder in shape.finders
            ],
            "links": [
                {"rel": "self", "href": collection_href, "name": "self", "kind": "collection"}
            ],
            "actions": [
                {
                    "name": "get",
                    "method": "GET",
                    "responseType": ["application/json", COLLECTION_MEDIA_TYPE],
                }
            ],
        },
        "item": {
            "links": [
                {
                    "rel": "self",
                    "href": f"{collection_href}/{{id}}",
                    "name": "self",
                    "kind": "item",
                }
            ],
            "actions": [
                {
                    "name": "get",
                    "method": "GET",
                    "responseType": ["application/json", ITEM_MEDIA_TYPE],
                }
            ],
        },
    }
    if shape.children:
        described["children"] = {
            child.name: _describe_shape(
                child, f"{collection_href}/{{id}}/child/{child.name}", page_size
            )
            for child in shape.children
        }
    return described


def describe_document(shape: Shape, collection_href: str, page_size: int) -> dict[str, Any]:
    """The ``/describe`` document of a top-level resource."""
    described = _describe_shape(shape, collection_href, page_size)
    described["links"] = [
        {"rel": "self", "href": f"{collection_href}/describe", "name": "self", "kind": "describe"}
    ]
    return {"Resources": {shape.name: described}}
