"""Carry out e-commerce writes: customers, products and orders of one store."""

from __future__ import annotations

import logging
import typing as t
from collections import Counter
from dataclasses import dataclass

from target_mailchimp.audit import AuditEvent, AuditStore
from target_mailchimp.ecommerce import (
    InvalidRecordError,
    LineProduct,
    Operation,
    content_hash,
    customer_body,
    line_products,
    order_body,
    order_customer,
    plain,
    product_body,
    without_id,
)
from target_mailchimp.members import (
    NEVER_RESUBSCRIBED,
    RunWrites,
    json_safe,
    parse_timestamp,
    supersedes,
)
from target_mailchimp.validation import validation_error

if t.TYPE_CHECKING:
    import datetime as dt

    from target_mailchimp.audience_snapshot import AudienceSnapshot
    from target_mailchimp.ecommerce_store import EcommerceStore
    from target_mailchimp.operations import BatchOperations, DirectCalls, OperationResult

LOGGER = logging.getLogger("target_mailchimp.ecommerce")

# The ledger kind of each input stream.
KINDS = {"customers": "customer", "products": "product", "orders": "order"}
# Ledger kind of customers Mailchimp was found not to hold. The target owns its store, so
# one it did not create stays absent until the target writes it (then it is a "customer").
ABSENT_CUSTOMER = "absent-customer"


@dataclass
class _Write:
    """One record on its way to Mailchimp."""

    record_id: str
    payload: dict[str, t.Any]
    content_hash: str
    operation: Operation


class EcommerceSync:
    """Writes `customers`, `products` and `orders` records to one store.

    A drain with at most `direct_write_limit` writes is written with direct calls,
    a larger one through one batch operation: a batch costs one POST and a few polls
    whatever its size, but adds the polling latency, which a few writes are not worth.
    Once the orders stream has brought `historical_load_threshold` records in this
    run, the load counts as historical and the store is marked `is_syncing`.
    """

    def __init__(
        self,
        store: EcommerceStore,
        audit: AuditStore,
        snapshot: AudienceSnapshot,
        *,
        direct: DirectCalls,
        batches: BatchOperations,
        direct_write_limit: int = 20,
        historical_load_threshold: int = 500,
        skip_unchanged: bool = True,
        dry_run: bool = False,
    ) -> None:
        self.store = store
        self.audit = audit
        self.snapshot = snapshot
        self.direct = direct
        self.batches = batches
        self.direct_write_limit = direct_write_limit
        self.historical_load_threshold = historical_load_threshold
        self.skip_unchanged = skip_unchanged
        self.dry_run = dry_run
        self._received: Counter[str] = Counter()
        self._written = RunWrites()

    def sync(self, stream: str, raw_records: list[dict[str, t.Any]]) -> list[AuditEvent]:
        """Write one drained batch of a stream; one audit event per record."""
        self.store.ensure()
        events: list[AuditEvent] = []
        records = self._latest_per_id(stream, raw_records, events)
        self._received[stream] += len(raw_records)
        writes = self._plan(stream, records, events)
        if not writes:
            return events
        if self.dry_run:
            return events + [self._dry_run_event(stream, write) for write in writes]
        if stream == "orders" and self._received[stream] >= self.historical_load_threshold:
            # Imported history must not fire order automations (reference section 3).
            self.store.mark_syncing()
        if stream == "orders":
            self._ensure_line_products([write.payload for write in writes])
        results = self._run([write.operation for write in writes])
        events.extend(self._record(stream, writes, results))
        return events

    # Deciding -------------------------------------------------------------------

    def _latest_per_id(
        self, stream: str, raw_records: list[dict[str, t.Any]], events: list[AuditEvent]
    ) -> dict[str, dict[str, t.Any]]:
        latest: dict[str, dict[str, t.Any]] = {}
        for raw in raw_records:
            record = plain(raw)
            record_id = record.get("id")
            if record_id is None or not str(record_id).strip():
                events.append(self._failed(stream, "(no id)", f"{stream} record has no id", raw))
                continue
            violation = validation_error(record)
            if violation:
                events.append(self._failed(stream, str(record_id), violation, raw))
                continue
            record_id = str(record_id)
            held = latest.get(record_id)
            if held is None or supersedes(_updated_at(record), _updated_at(held)):
                latest[record_id] = record
        kept = {}
        for record_id, record in latest.items():
            if self._written.older_than_written(f"{stream}|{record_id}", _updated_at(record)):
                continue  # an older version of something this run already wrote
            kept[record_id] = record
            self._written.remember(f"{stream}|{record_id}", _updated_at(record))
        return kept

    def _plan(
        self, stream: str, records: dict[str, dict[str, t.Any]], events: list[AuditEvent]
    ) -> list[_Write]:
        kind = KINDS[stream]
        known = self.audit.ecommerce_hashes(self.store.store_id, kind, records)
        opt_in_allowed = self._opt_in_allowed(stream, records.values())
        known_customers = self._known_customers(records.values()) if stream == "orders" else {}
        writes = []
        for record_id, record in records.items():
            try:
                write = self._write_for(
                    stream,
                    record_id,
                    record,
                    record_id in known,
                    opt_in_allowed,
                    known_customers,
                )
            except InvalidRecordError as error:
                events.append(self._failed(stream, record_id, str(error), record))
                continue
            if self.skip_unchanged and known.get(record_id) == write.content_hash:
                events.append(
                    AuditEvent(
                        stream=stream,
                        record_key=record_id,
                        source_id=record_id,
                        outcome="unchanged",
                        reason="same content as the last successful write",
                        payload_hash=write.content_hash,
                    )
                )
            else:
                writes.append(write)
        return writes

    def _known_customers(self, orders: t.Iterable[dict[str, t.Any]]) -> dict[str, str | None]:
        """Order customers Mailchimp holds: from the ledger, else asked once (only those
        orders bring no email for, since those could not create them)."""
        store_id = self.store.store_id
        ids = {str((order.get("customer") or {}).get("id")) for order in orders}
        known = self.audit.ecommerce_hashes(store_id, "customer", ids)
        anonymous = {
            str(customer.get("id"))
            for order in orders
            if not (customer := order.get("customer") or {}).get("email_address")
        } - set(known)
        absent = set(self.audit.ecommerce_hashes(store_id, ABSENT_CUSTOMER, anonymous))
        found: dict[str, str | None] = {}
        missing: dict[str, str | None] = {}
        for customer_id in sorted(anonymous - absent):
            held = self.store.customer_exists(customer_id)
            (found if held else missing)[customer_id] = None
        self.audit.save_ecommerce_hashes(store_id, "customer", found)
        self.audit.save_ecommerce_hashes(store_id, ABSENT_CUSTOMER, missing)
        return {**known, **found}

    def _opt_in_allowed(self, stream: str, records: t.Iterable[dict[str, t.Any]]) -> set[str]:
        """Addresses that may be opted in: not held as unsubscribed, cleaned or deleted."""
        if stream == "products":
            return set()
        people = [r if stream == "customers" else (r.get("customer") or {}) for r in records]
        emails = {str(p["email_address"]).lower() for p in people if p.get("email_address")}
        statuses = self.snapshot.statuses(emails) if emails else {}
        return {email for email in emails if statuses.get(email) not in NEVER_RESUBSCRIBED}

    def _write_for(
        self,
        stream: str,
        record_id: str,
        record: dict[str, t.Any],
        exists: bool,
        opt_in_allowed: set[str],
        known_customers: dict[str, str | None],
    ) -> _Write:
        path = f"{self.store.path}/{stream}"
        if stream == "customers":
            email = str(record.get("email_address") or "").lower()
            body = customer_body(record, may_opt_in=email in opt_in_allowed)
            operation = Operation(record_id, "PUT", f"{path}/{record_id}", body, created=not exists)
            return _Write(record_id, record, content_hash(body), operation)
        if stream == "products":
            body = product_body(record)
        else:
            customer = record.get("customer") or {}
            email = str(customer.get("email_address") or "").lower()
            body = order_body(
                record,
                currency_code=self.store.currency_code,
                customer=order_customer(
                    record,
                    known=str(customer.get("id")) in known_customers,
                    may_opt_in=email in opt_in_allowed,
                ),
            )
        # An order's hash covers its own customer, not how much of it is sent.
        digest = content_hash(
            {**body, "customer": record.get("customer")} if stream == "orders" else body
        )
        update = Operation(record_id, "PATCH", f"{path}/{record_id}", without_id(body))
        if exists:
            return _Write(record_id, record, digest, update)
        create = Operation(record_id, "POST", path, body, if_exists=update, created=True)
        return _Write(record_id, record, digest, create)

    # Writing ------------------------------------------------------------------

    def _executor(self, operations: list[Operation]) -> DirectCalls | BatchOperations:
        """Direct calls for a few operations, one batch operation for more."""
        return self.batches if len(operations) > self.direct_write_limit else self.direct

    def _run(self, operations: list[Operation]) -> list[tuple[Operation, OperationResult]]:
        """Run operations; creations that hit "already exists" are retried as updates."""
        results = list(zip(operations, self._executor(operations).execute(operations), strict=True))
        retry = [
            index
            for index, (operation, result) in enumerate(results)
            if result.already_exists and operation.if_exists
        ]
        updates = [t.cast("Operation", results[index][0].if_exists) for index in retry]
        retried = self._executor(updates).execute(updates)
        for index, update, result in zip(retry, updates, retried, strict=True):
            results[index] = (update, result)
        return results

    def _ensure_line_products(self, orders: list[dict[str, t.Any]]) -> None:
        """Create the products and variants order lines use that Mailchimp lacks.

        What this target wrote is in its ledger; anything else is looked up in the
        store's catalog, read at most once per run and only when needed.
        """
        store_id = self.store.store_id
        wanted: dict[str, LineProduct] = {}
        for order in orders:
            for product in line_products(order):
                held = wanted.setdefault(product.product_id, product)
                for variant_id, variant in product.variants.items():
                    held.variants.setdefault(variant_id, variant)
        known_pairs = set(
            self.audit.ecommerce_hashes(
                store_id,
                "variant",
                [f"{pid}/{vid}" for pid, product in wanted.items() for vid in product.variants],
            )
        )
        missing = {
            pid: [v for vid, v in product.variants.items() if f"{pid}/{vid}" not in known_pairs]
            for pid, product in wanted.items()
        }
        missing = {pid: variants for pid, variants in missing.items() if variants}
        if not missing:
            return
        known_products = set(self.audit.ecommerce_hashes(store_id, "product", missing))
        if not known_products >= set(missing):
            # Mailchimp may hold what the ledger does not (a lost audit store, another
            # tool): its existing variants are never overwritten with line data.
            catalog = self.store.catalog()
            known_products |= set(catalog) & set(missing)
            existing = {f"{pid}/{vid}": None for pid in missing for vid in catalog.get(pid, set())}
            self.audit.save_ecommerce_hashes(store_id, "variant", existing)
            missing = {
                pid: [v for v in variants if v["id"] not in catalog.get(pid, set())]
                for pid, variants in missing.items()
            }
            missing = {pid: variants for pid, variants in missing.items() if variants}
        path = f"{self.store.path}/products"
        operations = []
        for pid, variants in missing.items():
            if pid in known_products:  # PUT upserts each variant
                operations += [
                    Operation(pid, "PUT", f"{path}/{pid}/variants/{v['id']}", v) for v in variants
                ]
            else:
                body = {"id": pid, "title": wanted[pid].title, "variants": variants}
                operations.append(Operation(pid, "POST", path, body, created=True))
        products: dict[str, str | None] = {}
        pairs: dict[str, str | None] = {}
        for operation, result in self._run(operations):
            if not result.ok:
                LOGGER.warning(
                    "Product %s for order lines not written: %s",
                    operation.record_key,
                    result.detail,
                )
                continue
            variants = (operation.body or {}).get("variants") or [operation.body or {}]
            pairs.update({f"{operation.record_key}/{v['id']}": None for v in variants})
            if operation.method == "POST":
                products[operation.record_key] = None
        self.audit.save_ecommerce_hashes(store_id, "product", products)
        self.audit.save_ecommerce_hashes(store_id, "variant", pairs)

    # Bookkeeping ----------------------------------------------------------------

    def _record(
        self, stream: str, writes: list[_Write], results: list[tuple[Operation, OperationResult]]
    ) -> list[AuditEvent]:
        store_id = self.store.store_id
        written: dict[str, str | None] = {}
        variants: dict[str, str | None] = {}
        customers: dict[str, str | None] = {}
        events = []
        for write, (operation, result) in zip(writes, results, strict=True):
            if (
                stream == "customers"
                and result.status == 400
                and "may not be changed" in (result.detail)
            ):
                # Mailchimp never changes a customer's address (mailchimp/mc-magento#17):
                # settled, so it is not retried on every run; the member moved already.
                written[write.record_id] = write.content_hash
                events.append(
                    AuditEvent(
                        stream=stream,
                        record_key=write.record_id,
                        source_id=write.record_id,
                        outcome="skipped",
                        payload_hash=write.content_hash,
                        response_code=result.status,
                        reason="Mailchimp keeps a customer's first email address; the audience "
                        "member's address was changed instead",
                    )
                )
                continue
            if not result.ok:
                events.append(
                    self._failed(
                        stream,
                        write.record_id,
                        result.detail,
                        write.payload,
                        response_code=result.status,
                        payload_hash=write.content_hash,
                    )
                )
                continue
            written[write.record_id] = write.content_hash
            body = write.operation.body or {}
            if stream == "products":
                variants.update(
                    {f"{write.record_id}/{variant['id']}": None for variant in body["variants"]}
                )
            if stream == "orders":
                customers[str(body["customer"]["id"])] = None
            events.append(
                AuditEvent(
                    stream=stream,
                    record_key=write.record_id,
                    source_id=write.record_id,
                    outcome="created" if operation.created else "updated",
                    reason=None if operation is write.operation else "existed: updated",
                    payload_hash=write.content_hash,
                    response_code=result.status,
                )
            )
        self.audit.save_ecommerce_hashes(store_id, KINDS[stream], written)
        self.audit.save_ecommerce_hashes(store_id, "variant", variants)
        known = self.audit.ecommerce_hashes(store_id, "customer", customers)
        self.audit.save_ecommerce_hashes(
            store_id, "customer", {key: None for key in customers if key not in known}
        )
        return events

    def _dry_run_event(self, stream: str, write: _Write) -> AuditEvent:
        operation = write.operation
        return AuditEvent(
            stream=stream,
            record_key=write.record_id,
            source_id=write.record_id,
            outcome="created" if operation.created else "updated",
            reason=f"dry run: would {operation.method} {operation.path}",
            payload_hash=write.content_hash,
        )

    @staticmethod
    def _failed(
        stream: str,
        record_id: str,
        reason: str,
        payload: dict[str, t.Any],
        *,
        response_code: int | None = None,
        payload_hash: str | None = None,
    ) -> AuditEvent:
        return AuditEvent(
            stream=stream,
            record_key=record_id,
            source_id=record_id,
            outcome="failed",
            reason=reason,
            payload=json_safe(payload),
            response_code=response_code,
            payload_hash=payload_hash,
        )


def _updated_at(record: dict[str, t.Any]) -> dt.datetime | None:
    return parse_timestamp(record.get("updated_at") or record.get("updated_at_foreign"))
