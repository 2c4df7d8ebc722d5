"""``erp-sandbox``: serve the emulators, summarise what landed in them, reset them."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from erp_sandbox.server import ServedApp, serve_until_signalled

DEFAULT_MAILCHIMP_URL = os.environ.get("ERP_SANDBOX_MAILCHIMP_URL", "http://127.0.0.1:8080")
DEFAULT_NETSUITE_URL = os.environ.get("ERP_SANDBOX_NETSUITE_URL", "http://127.0.0.1:8081")
DEFAULT_FUSION_URL = os.environ.get("ERP_SANDBOX_FUSION_URL", "http://127.0.0.1:8082")
DEFAULT_ACUMATICA_URL = os.environ.get(
    "ERP_SANDBOX_ACUMATICA_URL", "http://127.0.0.1:8083/AcumaticaERP"
)
DEFAULT_JDE_URL = os.environ.get("ERP_SANDBOX_JDE_URL", "http://127.0.0.1:8084")
DEFAULT_EXACT_URL = os.environ.get("ERP_SANDBOX_EXACT_URL", "http://127.0.0.1:8085")
SAMPLE_SIZE = 5


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="erp-sandbox",
        description="Serve the API emulators, summarise what landed in them, reset them.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve every emulator until SIGTERM/SIGINT")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    serve.add_argument(
        "--mailchimp-port",
        type=int,
        default=8080,
        help="port of the Mailchimp emulator (default %(default)s; 0 = any)",
    )
    serve.add_argument(
        "--netsuite-port",
        type=int,
        default=8081,
        help="port of the NetSuite emulator (default %(default)s; 0 = any)",
    )
    serve.add_argument(
        "--fusion-port",
        type=int,
        default=8082,
        help="port of the Oracle Fusion emulator (default %(default)s; 0 = any)",
    )
    serve.add_argument(
        "--acumatica-port",
        type=int,
        default=8083,
        help="port of the Acumatica emulator (default %(default)s; 0 = any)",
    )
    serve.add_argument(
        "--jde-port",
        type=int,
        default=8084,
        help="port of the JD Edwards AIS emulator (default %(default)s; 0 = any)",
    )
    serve.add_argument(
        "--exact-port",
        type=int,
        default=8085,
        help="port of the Exact Online emulator (default %(default)s; 0 = any)",
    )
    serve.add_argument(
        "--seed-file", type=Path, help="JSON seed document applied at start and after every reset"
    )
    serve.add_argument(
        "--mailchimp-api-key",
        action="append",
        dest="api_keys",
        help="accepted API key (repeatable; default the sandbox key)",
    )
    serve.add_argument(
        "--mailchimp-oauth-token",
        action="append",
        dest="oauth_tokens",
        help="accepted OAuth token (repeatable; default sandbox-oauth-token)",
    )
    serve.add_argument(
        "--no-contract-checks",
        action="store_true",
        help="do not check traffic against the OpenAPI spec (benchmarks)",
    )
    serve.add_argument("--fault-seed", type=int, help="seed of the fault-rate RNG")

    for name, text in (
        ("summary", "print what landed in the emulated Mailchimp"),
        ("reset", "reset the emulated Mailchimp to its starting state"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument(
            "--mailchimp-url",
            default=DEFAULT_MAILCHIMP_URL,
            help="base URL of the Mailchimp emulator (default %(default)s; "
            "env ERP_SANDBOX_MAILCHIMP_URL)",
        )
        if name == "summary":
            command.add_argument("--json", action="store_true", help="print the raw state")
            command.add_argument(
                "--netsuite-url",
                default=DEFAULT_NETSUITE_URL,
                help="base URL of the NetSuite emulator (default %(default)s; "
                "env ERP_SANDBOX_NETSUITE_URL)",
            )
            command.add_argument(
                "--fusion-url",
                default=DEFAULT_FUSION_URL,
                help="base URL of the Oracle Fusion emulator (default %(default)s; "
                "env ERP_SANDBOX_FUSION_URL)",
            )
            command.add_argument(
                "--acumatica-url",
                default=DEFAULT_ACUMATICA_URL,
                help="instance URL of the Acumatica emulator (default %(default)s; "
                "env ERP_SANDBOX_ACUMATICA_URL)",
            )
            command.add_argument(
                "--jde-url",
                default=DEFAULT_JDE_URL,
                help="AIS Server URL of the JD Edwards emulator (default %(default)s; "
                "env ERP_SANDBOX_JDE_URL)",
            )
            command.add_argument(
                "--exact-url",
                default=DEFAULT_EXACT_URL,
                help="base URL of the Exact Online emulator (default %(default)s; "
                "env ERP_SANDBOX_EXACT_URL)",
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``erp-sandbox`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    try:
        if args.command == "summary":
            status = _summary(args.mailchimp_url, as_json=args.json)
            if not args.json:
                print(netsuite_summary_line(args.netsuite_url))
                print(fusion_summary_line(args.fusion_url))
                print(acumatica_summary_line(args.acumatica_url))
                print(jde_summary_line(args.jde_url))
                print(exact_summary_line(args.exact_url))
            return status
        return _reset(args.mailchimp_url)
    except (urllib.error.URLError, OSError) as exc:
        print(f"erp-sandbox: cannot reach {args.mailchimp_url}: {exc}", file=sys.stderr)
        return 2


def _serve(args: argparse.Namespace) -> int:
    from erp_sandbox.acumatica import AcumaticaEmulator
    from erp_sandbox.exact import ExactEmulator
    from erp_sandbox.fusion import FusionEmulator
    from erp_sandbox.jde import JdeEmulator
    from erp_sandbox.mailchimp import MailchimpEmulator
    from erp_sandbox.netsuite import NetSuiteEmulator

    seed = json.loads(args.seed_file.read_text(encoding="utf-8")) if args.seed_file else None
    mailchimp = MailchimpEmulator(
        host=args.host,
        port=args.mailchimp_port,
        api_keys=args.api_keys,
        oauth_tokens=args.oauth_tokens,
        contract_checks=not args.no_contract_checks,
        seed=seed,
        fault_seed=args.fault_seed,
    )

    netsuite = NetSuiteEmulator(host=args.host, port=args.netsuite_port, fault_seed=args.fault_seed)
    fusion = FusionEmulator(host=args.host, port=args.fusion_port, fault_seed=args.fault_seed)
    acumatica = AcumaticaEmulator(
        host=args.host, port=args.acumatica_port, fault_seed=args.fault_seed
    )
    jde = JdeEmulator(host=args.host, port=args.jde_port, fault_seed=args.fault_seed)
    exact = ExactEmulator(host=args.host, port=args.exact_port, fault_seed=args.fault_seed)

    def ready(bound: list[tuple[ServedApp, int]]) -> None:
        for served, port in bound:
            base = f"http://{args.host}:{port}"
            if served.name == "netsuite":
                print(
                    f"erp-sandbox: netsuite ready at {base} (account {netsuite.account_id}, "
                    f"client id {netsuite.client_id}, certificates {netsuite.rsa_certificate_id}"
                    f"/{netsuite.ec_certificate_id}, TBA {netsuite.consumer_key}/"
                    f"{netsuite.token_id}, inspection {base}/_sandbox/state)",
                    flush=True,
                )
                continue
            if served.name == "acumatica":
                site = f"{base}{acumatica.settings.site_path}"
                print(
                    f"erp-sandbox: acumatica ready at {site} (tenant {acumatica.tenant}, "
                    f"user {acumatica.username}, client id {acumatica.client_id}, "
                    f"endpoints Default/{','.join(acumatica.settings.endpoint_versions)}, "
                    f"inspection {base}/_sandbox/state)",
                    flush=True,
                )
                continue
            if served.name == "exact":
                exact.settings.public_base_url = base
                print(
                    f"erp-sandbox: exact ready at {base} (division {exact.division}, "
                    f"client id {exact.client_id}, token URL {base}/api/oauth2/token, "
                    f"inspection {base}/_sandbox/state)",
                    flush=True,
                )
                continue
            if served.name == "jde":
                print(
                    f"erp-sandbox: jde ready at {base} (AIS Server; user {jde.username}, "
                    f"environment {jde.environment}, role {jde.role}, "
                    f"inspection {base}/_sandbox/state)",
                    flush=True,
                )
                continue
            if served.name == "fusion":
                print(
                    f"erp-sandbox: fusion ready at {base} (token URL {base}/oauth2/v1/token, "
                    f"client {fusion.client_id}, user {fusion.username}, "
                    f"inspection {base}/_sandbox/state)",
                    flush=True,
                )
                continue
            print(
                f"erp-sandbox: {served.name} ready at {base} (API root {base}/3.0, "
                f"list {mailchimp.default_list_id}, API key {mailchimp.api_key}, "
                f"OAuth token {mailchimp.oauth_token}, inspection {base}/_sandbox/state)",
                flush=True,
            )
        print("erp-sandbox: ready; stop with Ctrl-C or SIGTERM", flush=True)

    serve_until_signalled(
        [
            ServedApp("mailchimp", mailchimp.app, args.host, args.mailchimp_port),
            ServedApp("netsuite", netsuite.app, args.host, args.netsuite_port),
            ServedApp("fusion", fusion.app, args.host, args.fusion_port),
            ServedApp("acumatica", acumatica.app, args.host, args.acumatica_port),
            ServedApp("jde", jde.app, args.host, args.jde_port),
            ServedApp("exact", exact.app, args.host, args.exact_port),
        ],
        ready,
    )
    print("erp-sandbox: stopped", flush=True)
    return 0


def _fetch(url: str, method: str = "GET") -> Any:
    if not url.startswith(("http://", "https://")):
        raise urllib.error.URLError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        method=method,
        data=b"{}" if method == "POST" else None,
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def netsuite_summary_line(base_url: str) -> str:
    """One line about the emulated NetSuite account, or why there is none."""
    base = base_url.rstrip("/")
    try:
        state = _fetch(base + "/_sandbox/state")
        calls = _fetch(base + "/_sandbox/calls")
    except (urllib.error.URLError, OSError, ValueError):
        return f"NetSuite sandbox at {base}: not reachable"
    counts = state["counts"]
    return (
        f"NetSuite sandbox at {base} (account {state['account_id']}): "
        f"{counts['customer']} customers, {counts['item']} items, "
        f"{counts['transaction']} transactions, {counts['deletedrecord']} deleted records; "
        f"API calls {calls['total']}"
    )


def fusion_summary_line(base_url: str) -> str:
    """One line about the emulated Oracle Fusion pod, or why there is none."""
    base = base_url.rstrip("/")
    try:
        state = _fetch(base + "/_sandbox/state")
        calls = _fetch(base + "/_sandbox/calls")
    except (urllib.error.URLError, OSError, ValueError):
        return f"Oracle Fusion sandbox at {base}: not reachable"
    counts = state["counts"]
    return (
        f"Oracle Fusion sandbox at {base}: {counts['accounts']} accounts, "
        f"{counts['salesOrdersForOrderHub']} sales orders ({counts['lines']} lines), "
        f"{counts['receivablesInvoices']} invoices; API calls {calls['total']}"
    )


def acumatica_summary_line(base_url: str) -> str:
    """One line about the emulated Acumatica instance, or why there is none."""
    base = base_url.rstrip("/")
    try:
        state = _fetch(base + "/_sandbox/state")
        calls = _fetch(base + "/_sandbox/calls")
    except (urllib.error.URLError, OSError, ValueError):
        return f"Acumatica sandbox at {base}: not reachable"
    counts = state["counts"]
    return (
        f"Acumatica sandbox at {base} (tenant {state['tenant']}): "
        f"{counts['Customer']} customers, {counts['Contact']} contacts, "
        f"{counts['StockItem']} stock items, {counts['SalesOrder']} sales orders, "
        f"{counts['SalesInvoice']} sales invoices; open sessions {state['sessions']['open']}; "
        f"API calls {calls['total']}"
    )


def jde_summary_line(base_url: str) -> str:
    """One line about the emulated JD Edwards AIS Server, or why there is none."""
    base = base_url.rstrip("/")
    try:
        state = _fetch(base + "/_sandbox/state")
        calls = _fetch(base + "/_sandbox/calls")
    except (urllib.error.URLError, OSError, ValueError):
        return f"JD Edwards AIS sandbox at {base}: not reachable"
    counts = state["counts"]
    customers = state.get("seed", {}).get("customers")
    return (
        f"JD Edwards AIS sandbox at {base} (environment {state['environments'][0]}): "
        f"{counts['F0101']} address book rows ({customers} customers), "
        f"{counts['F03012']} customer master rows, {counts['F01151']} electronic addresses, "
        f"{counts['F0115']} phones, {counts['F0116']} addresses; "
        f"open sessions {state['sessions']['open']}, "
        f"open result sets {state['sessions']['open_result_sets']}; API calls {calls['total']}"
    )


def exact_summary_line(base_url: str) -> str:
    """One line about the emulated Exact Online division, or why there is none."""
    base = base_url.rstrip("/")
    try:
        state = _fetch(base + "/_sandbox/state")
        calls = _fetch(base + "/_sandbox/calls")
    except (urllib.error.URLError, OSError, ValueError):
        return f"Exact Online sandbox at {base}: not reachable"
    counts = state["counts"]
    return (
        f"Exact Online sandbox at {base} (division {state['division']}): "
        f"{counts['Accounts']} accounts, {counts['Contacts']} contacts, "
        f"{counts['Costcenters']} cost centers, {counts['SalesInvoices']} sales invoices "
        f"({counts['SalesInvoiceLines']} lines), {counts['Deleted']} deletions; "
        f"webhook subscriptions {state['webhooks']['subscriptions']}; API calls {calls['total']}"
    )


def _reset(base_url: str) -> int:
    _fetch(base_url.rstrip("/") + "/_sandbox/reset", "POST")
    print(f"erp-sandbox: reset {base_url}")
    return 0


def _order_line(order: dict[str, Any]) -> str:
    """One order and its lines, for the summary."""
    items = ", ".join(
        f"{line['quantity']} x {line['product_id']}/{line['product_variant_id']} @ {line['price']}"
        for line in order.get("lines", [])
    )
    status = order.get("financial_status") or "-"
    return (
        f"    order {order['id']:<10} {order.get('currency_code', '')} "
        f"{order.get('order_total')} {status:<9} customer {order['customer']['id']}: {items}"
    )


def _summary(base_url: str, *, as_json: bool) -> int:
    base = base_url.rstrip("/")
    state = _fetch(base + "/_sandbox/state")
    if as_json:
        print(json.dumps(state, indent=2))
        return 0
    calls = _fetch(base + "/_sandbox/calls")
    violations = _fetch(base + "/_sandbox/contract-violations")
    print("\n".join(summary_lines(base, state, calls, violations)))
    return 0


def summary_lines(
    base: str, state: dict[str, Any], calls: dict[str, Any], violations: dict[str, Any]
) -> list[str]:
    """A readable account of the emulated Mailchimp, for demos."""
    lines = [f"Mailchimp sandbox at {base}"]
    for lst in state["lists"]:
        members = lst["members"]
        statuses = Counter(m["status"] for m in members)
        lines.append(f'\nList {lst["id"]} "{lst["name"]}": {len(members)} members')
        lines.append(
            "  by status: "
            + (
                ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))
                or "none"
            )
        )
        tags = [s for s in lst["segments"] if s["type"] == "static"]
        lines.append(
            "  tags: "
            + (", ".join(f"{s['name']} ({len(s['member_emails'])})" for s in tags) or "none")
        )
        lines.append(
            "  merge fields: "
            + ", ".join(
                f"{f['tag']} ({f['type']}{', required' if f['required'] else ''})"
                for f in lst["merge_fields"]
            )
        )
        if lst["forgotten"]:
            lines.append(f"  permanently deleted: {len(lst['forgotten'])}")
        if members:
            lines.append(f"  sample (first {min(SAMPLE_SIZE, len(members))}):")
        for member in members[:SAMPLE_SIZE]:
            values = " ".join(
                f"{tag}={_short(value)}" for tag, value in member["merge_fields"].items() if value
            )
            member_tags = ",".join(t["name"] for t in member["tags"])
            lines.append(
                f"    {member['email_address']:<32} {member['status']:<13} "
                f"{values}{'  tags=' + member_tags if member_tags else ''}"
            )
    ecommerce = state.get("ecommerce") or {}
    stores = ecommerce.get("stores", [])
    if stores:
        lines.append("")
        for store in stores:
            variants = sum(len(p.get("variants", [])) for p in store.get("products", []))
            lines.append(
                f"E-commerce store {store['id']} (list {store['list_id']}, "
                f"syncing {store.get('is_syncing', False)}): "
                f"{len(store.get('customers', []))} customers, "
                f"{len(store.get('products', []))} products ({variants} variants), "
                f"{len(store.get('orders', []))} orders"
            )
            lines.extend(_order_line(order) for order in store.get("orders", [])[:SAMPLE_SIZE])
    else:
        lines.append("\nE-commerce: no stores")
    lines.append(
        f"Opt-in emails sent: {len(state['opt_in_emails'])}; "
        f"automations fired: {len(state['automations'])}"
    )
    batches = state.get("batches", [])
    if batches:
        statuses = Counter(b["status"] for b in batches)
        lines.append(
            f"Batches: {len(batches)} ("
            + ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))
            + f"); operations {sum(b['finished_operations'] for b in batches)} run, "
            f"{sum(b['errored_operations'] for b in batches)} errored"
        )
    lines.extend(_counted(f"API calls: {calls['total']}", calls["counts"]))
    operations = calls.get("batch_operations")
    if operations and operations["total"]:
        lines.extend(
            _counted(f"Operations inside batches: {operations['total']}", operations["counts"])
        )
    lines.append(
        f"Contract violations: {violations['count']}"
        + ("" if violations["enabled"] else " (checks off)")
    )
    return lines


def _counted(title: str, counts: dict[str, int]) -> list[str]:
    """A title, then one line per route, most called first."""
    ordered = sorted(counts.items(), key=lambda kv: -kv[1])
    return [title, *(f"  {count:>6}  {route}" for route, count in ordered)]


def _short(value: Any) -> str:
    if isinstance(value, dict):
        value = ", ".join(str(v) for v in value.values() if v)
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."


if __name__ == "__main__":
    sys.exit(main())
