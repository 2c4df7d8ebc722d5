"""The emulators a benchmark runs against, and what each pipeline needs from its ERP's:
how to seed N customers and N orders, how to change a share of them, the API's page size.

The emulators run in this process (one background server each), so the benchmark reads
their call logs and changes their data directly, as the end-to-end tests do.
"""

from __future__ import annotations

import math
import os
import typing as t
from dataclasses import dataclass
from pathlib import Path

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from erp_sandbox.acumatica import AcumaticaEmulator
    from erp_sandbox.exact import ExactEmulator
    from erp_sandbox.fusion import FusionEmulator
    from erp_sandbox.jde import JdeEmulator
    from erp_sandbox.mailchimp import MailchimpEmulator
    from erp_sandbox.netsuite import NetSuiteEmulator

PROJECT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Pipeline:
    """One ERP → Mailchimp job and what the benchmark does to its ERP.

    `page_size` is the largest page the ERP's API allows (or, where the API documents no
    maximum, the page the tap asks for): the floor of ERP reads is ceil(rows / page_size)
    per collection read. `seed(emulator, n)` gives the ERP n customers and n orders (other
    entities keep the emulator's default counts); `change(emulator, share)` changes that
    share of customers and of orders in a field the mapping carries to Mailchimp, and
    returns how many records it changed.
    """

    name: str
    job: str
    emulator: str
    page_size: int
    seed: Callable[[t.Any, int], dict[str, int]]
    change: Callable[[t.Any, float], dict[str, int]]
    has_orders: bool = True
    #: Pages of child collections the tap reads beside its streams' records (NetSuite's
    #: order lines), from the emulator and the records per stream the tap emitted.
    child_pages: Callable[[t.Any, dict[str, int]], int] | None = None


def every(keys: list[t.Any], share: float) -> list[t.Any]:
    """An evenly spread `share` of `keys` (at least one when there are any)."""
    if not keys or share <= 0:
        return []
    step = max(1, round(1 / share))
    return keys[::step][: max(1, math.ceil(len(keys) * share))]


def _phone(index: int) -> str:
    return f"+1 555-01{index % 100:02d}-{index % 10_000:04d}"


NETSUITE_PAGE = 1000  # "default and maximum page size is 1000" (reference A1)


# NetSuite: SuiteQL tables `customer` and `transaction` (sales orders). ---------------------


def _seed_netsuite(emulator: NetSuiteEmulator, n: int) -> dict[str, int]:
    return emulator.seed(customers=n, sales_orders=n)


def _change_netsuite(emulator: NetSuiteEmulator, share: float) -> dict[str, int]:
    customers = [row[0] for row in emulator.db.fetch("SELECT id FROM customer ORDER BY id")]
    for index, key in enumerate(every(customers, share)):
        emulator.update_record("customer", key, phone=_phone(index))
    orders = [
        row[0]
        for row in emulator.db.fetch(
            "SELECT id FROM \"transaction\" WHERE type = 'SalesOrd' ORDER BY id"
        )
    ]
    changed_orders = every(orders, share)
    for key in changed_orders:
        total = emulator.record("transaction", key)["foreigntotal"] or 0
        emulator.update_record("transaction", key, foreigntotal=round(total + 1, 2))
    return {"customers": len(every(customers, share)), "orders": len(changed_orders)}


def _netsuite_line_pages(emulator: NetSuiteEmulator, tap_records: dict[str, int]) -> int:
    """Pages of `transactionline` the tap reads: one lines query per page of sales orders,
    each ceil(lines / 1000) pages. The tap reads orders in (lastmodifieddate, id) order
    from its bookmark, so a run that emitted k orders read the last k in that order."""
    orders = tap_records.get("sales_orders", 0)
    if not orders:
        return 0
    rows = emulator.db.fetch(
        'SELECT t.id, (SELECT count(*) FROM transactionline tl WHERE tl."transaction" = t.id'
        " AND tl.mainline = 'F' AND tl.taxline = 'F')"
        " FROM \"transaction\" t WHERE t.type = 'SalesOrd' ORDER BY t.lastmodifieddate, t.id"
    )
    lines = [count for _, count in rows[-orders:]]
    pages = [lines[start : start + NETSUITE_PAGE] for start in range(0, len(lines), NETSUITE_PAGE)]
    return sum(max(1, math.ceil(sum(page) / NETSUITE_PAGE)) for page in pages)


# Oracle Fusion: `accounts` and Order Hub `salesOrdersForOrderHub` with child `lines`. -----


def _seed_fusion(emulator: FusionEmulator, n: int) -> dict[str, int]:
    return emulator.seed(accounts=n, sales_orders=n)


def _change_fusion(emulator: FusionEmulator, share: float) -> dict[str, int]:
    store = emulator.store
    accounts = every([row["PartyNumber"] for row in store.rows("accounts")], share)
    for index, key in enumerate(accounts):
        emulator.update_record("accounts", key, PhoneNumber=_phone(index))
    orders = every(store.rows("salesOrdersForOrderHub"), share)
    changed = 0
    for order in orders:
        lines = store.children_of(order, "lines")
        if lines:
            line = lines[0]
            quantity = int(line["OrderedQuantity"] or 0) + 1
            emulator.update_record("lines", line["FulfillLineId"], OrderedQuantity=quantity)
            changed += 1
    return {"customers": len(accounts), "orders": changed}


# Acumatica: `Customer` and released `SalesInvoice` with `Details`. -----------------------


def _seed_acumatica(emulator: AcumaticaEmulator, n: int) -> dict[str, int]:
    return emulator.seed(customers=n, sales_invoices=n)


def _change_acumatica(emulator: AcumaticaEmulator, share: float) -> dict[str, int]:
    store = emulator.store
    customers = every([row["CustomerID"] for row in store.rows("Customer")], share)
    for index, key in enumerate(customers):
        emulator.update_record("Customer", key, CustomerName=f"Benchmark Renamed {index}")
    invoices = every(store.rows("SalesInvoice"), share)
    changed = 0
    for invoice in invoices:
        if invoice.get("Details"):
            line = invoice["Details"][0]
            key = f"{invoice['Type']}/{invoice['ReferenceNbr']}"
            emulator.update_line("SalesInvoice", key, line["LineNbr"], Qty=line["Qty"] + 1)
            changed += 1
    return {"customers": len(customers), "orders": changed}


# JD Edwards: customers are address book numbers with a customer master row (F03012). ------


def _seed_jde(emulator: JdeEmulator, n: int) -> dict[str, int]:
    return emulator.seed(customers=n)


def _change_jde(emulator: JdeEmulator, share: float) -> dict[str, int]:
    numbers = sorted({row["AN8"] for row in emulator.store.rows("F03012")})
    customers = every(numbers, share)
    for index, an8 in enumerate(customers):
        emulator.update_record("F0101", an8, ALPH=f"Benchmark Renamed {index}")
    return {"customers": len(customers), "orders": 0}


# Exact Online: `Accounts` and `SalesInvoices` with embedded `SalesInvoiceLines`. ---------


def _seed_exact(emulator: ExactEmulator, n: int) -> dict[str, int]:
    return emulator.seed(accounts=n, sales_invoices=n)


def _change_exact(emulator: ExactEmulator, share: float) -> dict[str, int]:
    store = emulator.store
    accounts = every([row["ID"] for row in store.rows("Accounts")], share)
    for index, key in enumerate(accounts):
        emulator.update_record("Accounts", key, Phone=_phone(index))
    invoices = every(store.rows("SalesInvoices"), share)
    changed = 0
    for invoice in invoices:
        lines = invoice.get("SalesInvoiceLines") or []
        if lines:
            line = lines[0]
            emulator.update_record(
                "SalesInvoices",
                invoice["InvoiceNumber"],
                SalesInvoiceLines={line["LineNumber"]: {"Quantity": line["Quantity"] + 1}},
            )
            changed += 1
    return {"customers": len(accounts), "orders": changed}


PIPELINES: dict[str, Pipeline] = {
    # NetSuite: "default and maximum page size is 1000" (reference A1).
    "netsuite": Pipeline(
        "netsuite",
        "netsuite-to-mailchimp",
        "netsuite",
        NETSUITE_PAGE,
        _seed_netsuite,
        _change_netsuite,
        child_pages=_netsuite_line_pages,
    ),
    # Fusion: "most resources cap near 500" (reference B2).
    "oracle-fusion": Pipeline(
        "oracle-fusion", "oracle-fusion-to-mailchimp", "fusion", 500, _seed_fusion, _change_fusion
    ),
    # Acumatica documents no maximum `$top`; the tap asks for 500.
    "acumatica": Pipeline(
        "acumatica", "acumatica-to-mailchimp", "acumatica", 500, _seed_acumatica, _change_acumatica
    ),
    # JD Edwards AIS: `maxPageSize` 500 in Oracle's examples (reference, AIS data service).
    "jde": Pipeline(
        "jde", "jde-to-mailchimp", "jde", 500, _seed_jde, _change_jde, has_orders=False
    ),
    # Exact Online sync endpoints: 1000 rows a page (reference C4).
    "exact": Pipeline("exact", "exact-to-mailchimp", "exact", 1000, _seed_exact, _change_exact),
}


class Emulators:
    """Every emulator, started in this process on free ports."""

    def __init__(self) -> None:
        from erp_sandbox.acumatica import AcumaticaEmulator
        from erp_sandbox.exact import ExactEmulator
        from erp_sandbox.fusion import FusionEmulator
        from erp_sandbox.jde import JdeEmulator
        from erp_sandbox.mailchimp import MailchimpEmulator
        from erp_sandbox.netsuite import NetSuiteEmulator

        # Contract checks cost CPU in this process, which shares the cores with the pipeline.
        self.mailchimp: MailchimpEmulator = MailchimpEmulator(port=0, contract_checks=False)
        self.netsuite: NetSuiteEmulator = NetSuiteEmulator(port=0)
        self.fusion: FusionEmulator = FusionEmulator(port=0)
        self.acumatica: AcumaticaEmulator = AcumaticaEmulator(port=0)
        self.jde: JdeEmulator = JdeEmulator(port=0)
        self.exact: ExactEmulator = ExactEmulator(port=0)

    def all(self) -> list[t.Any]:
        """Mailchimp first, then the ERPs."""
        return [self.mailchimp, self.netsuite, self.fusion, self.acumatica, self.jde, self.exact]

    def start(self) -> Emulators:
        """Serve every emulator."""
        for emulator in self.all():
            emulator.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        for emulator in self.all():
            emulator.stop()

    def erp(self, pipeline: Pipeline) -> t.Any:
        """The ERP emulator of a pipeline."""
        return getattr(self, pipeline.emulator)

    def meltano_env(self, workdir: Path) -> dict[str, str]:
        """Environment of `meltano --environment=sandbox run` against these emulators, with
        Meltano state and the target's audit store in `workdir` (one per pipeline and N,
        so its incremental runs see its own bookmarks)."""
        token_store = workdir / "exact-token"
        env = {
            **os.environ,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_DISABLE_TRACKING": "true",
            "TARGET_MAILCHIMP_BASE_URL": self.mailchimp.api_root,
            "TAP_NETSUITE_BASE_URL": self.netsuite.base_url,
            "TAP_ORACLE_FUSION_BASE_URL": self.fusion.base_url,
            "TAP_ORACLE_FUSION_TOKEN_URL": self.fusion.token_url,
            "TAP_ACUMATICA_BASE_URL": self.acumatica.base_url,
            "TAP_JDE_BASE_URL": self.jde.base_url,
            "TAP_EXACT_BASE_URL": self.exact.base_url,
            "TAP_EXACT_TOKEN_STORE_URL": str(token_store),
            "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
            "TARGET_MAILCHIMP_AUDIT_DATABASE_URL": f"sqlite:///{workdir / 'audit.db'}",
        }
        if not token_store.exists():
            env["TAP_EXACT_REFRESH_TOKEN"] = self.exact.issue_refresh_token()
        return env
