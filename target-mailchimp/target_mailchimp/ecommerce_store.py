"""The Mailchimp e-commerce store the target writes to, and what it holds."""

from __future__ import annotations

import logging
import typing as t

from target_mailchimp.client import MailchimpAPIError

if t.TYPE_CHECKING:
    from target_mailchimp.client import MailchimpClient

LOGGER = logging.getLogger("target_mailchimp.store")


class StoreConfigurationError(RuntimeError):
    """The store cannot be used as configured (e.g. it belongs to another audience)."""


class EcommerceStore:
    """One store: ensured before the first write, `is_syncing` during bulk loads."""

    def __init__(
        self,
        client: MailchimpClient,
        store_id: str,
        *,
        list_id: str,
        name: str,
        currency_code: str,
        domain: str | None = None,
        dry_run: bool = False,
    ) -> None:
        self.client = client
        self.store_id = store_id
        self.list_id = list_id
        self.name = name
        self.currency_code = currency_code.upper()
        self.domain = domain
        self.dry_run = dry_run
        self.path = f"/ecommerce/stores/{store_id}"
        self.created_this_run = False
        self._checked = False
        self._found: dict[str, t.Any] | None = None
        self._ensured = False
        self._syncing = False
        self._catalog: dict[str, set[str]] | None = None

    def check(self) -> None:
        """Read the store (if it exists) and refuse one that belongs to another audience.

        Only reads, so the target can run it before its first write.
        """
        if self._checked:
            return
        try:
            self._found = self.client.request(
                "GET", self.path, params={"fields": "id,list_id,is_syncing"}
            )
        except MailchimpAPIError as error:
            if error.status != 404:
                raise
            self._found = None
        if self._found is not None and self._found.get("list_id") != self.list_id:
            msg = (
                f"Mailchimp store {self.store_id!r} belongs to audience "
                f"{self._found.get('list_id')!r}, not to list_id {self.list_id!r}: a store's "
                "audience cannot change. Use another store_id, or the store's audience."
            )
            raise StoreConfigurationError(msg)
        self._checked = True

    def ensure(self) -> None:
        """Create the store when missing; refuse one that belongs to another audience."""
        if self._ensured:
            return
        self.check()
        if self._found is None:
            self._create()
        else:
            # A bulk load that died half-way left it syncing: this run unmarks it.
            self._syncing = bool(self._found.get("is_syncing"))
        self._ensured = True

    def _create(self) -> None:
        body = {
            "id": self.store_id,
            "list_id": self.list_id,
            "name": self.name,
            "currency_code": self.currency_code,
            # A new store means a historical import: no purchase automations.
            "is_syncing": True,
            **({"domain": self.domain} if self.domain else {}),
        }
        if self.dry_run:
            LOGGER.info(
                "Dry run: would create store %s on audience %s", self.store_id, self.list_id
            )
            self._catalog = {}
            return
        LOGGER.info("Creating store %s on audience %s", self.store_id, self.list_id)
        try:
            self.client.request("POST", "/ecommerce/stores", json=body)
        except MailchimpAPIError as error:
            if not (error.status == 400 and "already exists" in error.detail):
                raise
            # Created since `check`: by another run writing to the same account, or by
            # our own attempt that timed out after Mailchimp took it. Use it as found:
            # it may already hold customers and products.
            LOGGER.info("Store %s was created meanwhile: using it", self.store_id)
            self._checked = False
            self.check()
            if self._found is None:
                raise
            self._syncing = bool(self._found.get("is_syncing"))
            return
        self.created_this_run = True
        self._syncing = True
        self._catalog = {}

    def mark_syncing(self) -> None:
        """Suppress automations for the rest of this run (a bulk load)."""
        if self._syncing or self.dry_run:
            return
        LOGGER.info("Bulk load: marking store %s as syncing", self.store_id)
        self.client.request("PATCH", self.path, json={"is_syncing": True})
        self._syncing = True

    def finish(self) -> None:
        """End of the run: automations back on if this run (or a dead one) turned them off."""
        if self._syncing and not self.dry_run:
            LOGGER.info("Marking store %s as no longer syncing", self.store_id)
            self.client.request("PATCH", self.path, json={"is_syncing": False})
            self._syncing = False

    def customer_exists(self, customer_id: str) -> bool:
        """Whether Mailchimp holds this customer (a new store holds none)."""
        if self.created_this_run:
            return False
        try:
            self.client.request(
                "GET", f"{self.path}/customers/{customer_id}", params={"fields": "id"}
            )
        except MailchimpAPIError as error:
            if error.status == 404:
                return False
            raise
        return True

    def catalog(self) -> dict[str, set[str]]:
        """Variant ids per product id that Mailchimp holds (read once per run)."""
        if self._catalog is None:
            self._catalog = {
                product["id"]: {variant["id"] for variant in product.get("variants") or []}
                for product in self.client.paginate(
                    f"{self.path}/products",
                    "products",
                    params={"fields": "products.id,products.variants.id,total_items"},
                )
            }
        return self._catalog
