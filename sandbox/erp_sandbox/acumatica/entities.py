"""The entities the emulator serves: keys, timestamps, forms, custom fields.

Which fields each version returns is not declared here: records hold a superset and the
version's endpoint definition decides (``spec.py``). This module says what the records
are keyed by and which of their fields carry the last-modified time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from erp_sandbox.acumatica.spec import EndpointSpec


@dataclass(frozen=True)
class EntityDef:
    """One top-level entity of the ``Default`` endpoint."""

    name: str
    #: Key fields in URL order (``GET …/SalesInvoice/Invoice/INV000123``).
    keys: tuple[str, ...]
    #: Fields stamped with the clock when the record changes; each version returns those
    #: its definition has (``SalesInvoice``: none in 22, ``LastModifiedDateTime`` from 23,
    #: ``LastModifiedDate`` too in 24).
    last_modified: tuple[str, ...]
    #: Fields stamped once, on insert.
    created: tuple[str, ...] = ()
    #: Graph and primary view of the form, for the ``files:put`` link.
    graph: str = ""
    primary_view: str = ""
    #: ``{view: {field: custom type}}``: fields outside the contract, read with ``$custom``.
    custom_fields: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Detail collection whose lines carry ``LineNbr`` (changing a line moves the header).
    lines: str | None = None

    def last_modified_fields(self, spec: EndpointSpec) -> list[str]:
        """The last-modified fields version ``spec`` returns for this entity."""
        declared = spec.fields(self.name)
        return [name for name in self.last_modified if name in declared]


ENTITIES: dict[str, EntityDef] = {
    entity.name: entity
    for entity in (
        EntityDef(
            "Customer",
            keys=("CustomerID",),
            last_modified=("LastModifiedDateTime",),
            created=("CreatedDateTime",),
            graph="PX.Objects.AR.CustomerMaint",
            primary_view="BAccount",
            custom_fields={
                "CurrentCustomer": {"UsrLoyaltyTier": "CustomStringField"},
                "DefContact": {"UsrMarketingOptIn": "CustomBooleanField"},
            },
        ),
        EntityDef(
            "Contact",
            keys=("ContactID",),
            last_modified=("LastModifiedDateTime",),
            graph="PX.Objects.CR.ContactMaint",
            primary_view="Contact",
            custom_fields={"ContactCurrent": {"UsrPreferredChannel": "CustomStringField"}},
        ),
        EntityDef(
            "SalesInvoice",
            keys=("Type", "ReferenceNbr"),
            last_modified=("LastModifiedDateTime", "LastModifiedDate"),
            created=("CreatedDate",),
            graph="PX.Objects.SO.SOInvoiceEntry",
            primary_view="Document",
            custom_fields={"Document": {"UsrExternalOrderRef": "CustomStringField"}},
            lines="Details",
        ),
        EntityDef(
            "StockItem",
            keys=("InventoryID",),
            last_modified=("LastModified", "LastModifiedDateTime"),
            graph="PX.Objects.IN.InventoryItemMaint",
            primary_view="Item",
            custom_fields={"ItemSettings": {"UsrRepairItemType": "CustomStringField"}},
        ),
        EntityDef(
            "SalesOrder",
            keys=("OrderType", "OrderNbr"),
            last_modified=("LastModified",),
            created=("CreatedDate",),
            graph="PX.Objects.SO.SOOrderEntry",
            primary_view="Document",
            lines="Details",
        ),
    )
}
