"""Bad ERP data, per pipeline: no bad record stops the others, every one is explained.

Each scenario runs the pipeline once on the seeded data, then inserts into the ERP (through
its emulator's record-changing facade) records with a missing, blank, malformed, fake-looking
or non-ASCII email, two records sharing one address, records full of nulls, and good
records with very long, right-to-left, emoji and combining-character values; a few good
records are deleted while the tap is between two pages of its read. The second run must
succeed, land every good record exactly as the ERP holds it, leave what the first run
wrote untouched, and give each bad record an outcome with a reason: in the target's audit
store (`audit_events`), or, for records the mapper leaves out, in the mapper's log.

Wrongly typed values are not something these APIs hand a tap: each types its fields
(SuiteQL columns, Fusion's describe, Acumatica's value types, Exact's OData, the AIS grid).
What they do carry is blank and null values, which these scenarios use instead.
"""

from __future__ import annotations

import contextlib
import typing as t
from dataclasses import dataclass, field

import pytest

from tests.conftest import members
from tests.reliability.conftest import PIPELINES, compare, mailchimp_state

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

#: Role addresses this account's Mailchimp refuses, as real audiences often do.
ROLE_LOCAL_PARTS = ["noreply", "no-reply"]

#: Good values that must arrive byte for byte.
ARABIC = ("مريم", "العلي")
HEBREW = ("שָׁלוֹם", "כהן")
EMOJI = ("Zoë 🎉", "Ng 🚀")
COMBINING = ("e\u0301mile", "Mu\u0308ller")
LONG = ("Bartholomew-" + "Ω" * 150, "Featherstonehaugh-" + "x" * 150)


@dataclass
class Person:
    """One ERP record, described without any ERP's field names."""

    email: str | None
    first: str | None = "Ada"
    last: str | None = "Lovelace"
    phone: str | None = "+44 20 7946 0000"
    city: str | None = "Leeds"


@dataclass
class Expected:
    """What must be recorded for one bad record."""

    what: str
    key: str  # the audit `record_key` (the lowercase address)
    outcomes: tuple[str, ...]
    reason: str  # a phrase the reason must contain


@dataclass
class BadInput:
    """The records one scenario put into the ERP and what each must lead to."""

    good: dict[str, dict[str, str]] = field(default_factory=dict)  # address → merge fields
    audited: list[Expected] = field(default_factory=list)
    mapper_skips: list[tuple[str, str]] = field(default_factory=list)  # (what, log line)
    deleted_mid_read: dict[str, Callable[[], object]] = field(default_factory=dict)


@dataclass
class Inserted:
    """One record in the ERP: how the mapper and the target name it, and its deletion."""

    label: str  # the mapper's, e.g. `id=1311`
    source_id: str  # the mapping's `source_id`, e.g. `netsuite:1311`
    delete: Callable[[], object]


class Erp:
    """How one ERP's emulator takes a `Person`, and where its tap pages."""

    domain: str
    page_size_env: t.ClassVar[dict[str, str]] = {}
    skip_reason: str  # the mapping's reason for a record without email
    blank_is_missing = False  # the tap trims text, so a blank address is no address

    def __init__(self, emulator: t.Any) -> None:
        self.emulator = emulator

    def insert(self, person: Person) -> Inserted:
        """Insert one record."""
        raise NotImplementedError

    def merge_fields(self, person: Person) -> dict[str, str]:
        """The merge fields Mailchimp must end up holding for a good record."""
        return {"FNAME": t.cast("str", person.first), "LNAME": t.cast("str", person.last)}

    def is_page(self, call: t.Any) -> bool:
        """Whether an emulator call serves a page of the stream the people are read from."""
        raise NotImplementedError

    def prepare_small_pages(self) -> None:
        """Make the second run page through the new records a few at a time."""


class NetSuite(Erp):
    domain = "keystone-optics.fr"
    page_size_env: t.ClassVar[dict[str, str]] = {"TAP_NETSUITE_PAGE_SIZE": "4"}
    skip_reason = "customer has no email address"

    def insert(self, person: Person) -> Inserted:
        row = self.emulator.insert_record(
            "customer",
            email=person.email,
            firstname=person.first,
            lastname=person.last,
            phone=person.phone,
            isperson="T",
            isinactive="F",
        )
        key = row["id"]
        return Inserted(
            f"id={key}", f"netsuite:{key}", lambda: self.emulator.delete_record("customer", key)
        )

    def is_page(self, call: t.Any) -> bool:
        return call.route == "POST /services/rest/query/v1/suiteql"


class Fusion(Erp):
    domain = "contoso-fabrics.com"
    page_size_env: t.ClassVar[dict[str, str]] = {"TAP_ORACLE_FUSION_PAGE_SIZE": "4"}
    skip_reason = "account has no email address"

    def insert(self, person: Person) -> Inserted:
        name = " ".join(part for part in (person.first, person.last) if part)
        row = self.emulator.insert_record(
            "accounts",
            PartyName=name or None,
            PartyType="PERSON",
            EmailAddress=person.email,
            PhoneNumber=person.phone,
            City=person.city,
            Status="A",
        )
        number, party = row["PartyNumber"], row["PartyId"]
        return Inserted(
            f"PartyId={party}",
            f"fusion:{party}",
            lambda: self.emulator.delete_record("accounts", number),
        )

    def merge_fields(self, person: Person) -> dict[str, str]:
        # The mapping splits a person's PartyName: the first word and the rest.
        first, _, rest = f"{person.first} {person.last}".partition(" ")
        return {"FNAME": first, "LNAME": rest}

    def is_page(self, call: t.Any) -> bool:
        return call.method == "GET" and call.path.endswith("/accounts")


class Acumatica(Erp):
    domain = "acme-distribution.com"
    page_size_env: t.ClassVar[dict[str, str]] = {"TAP_ACUMATICA_PAGE_SIZE": "4"}
    skip_reason = "contact has no email address"

    def insert(self, person: Person) -> Inserted:
        row = self.emulator.insert_record(
            "Contact",
            Email=person.email,
            FirstName=person.first,
            LastName=person.last,
            Phone1=person.phone,
            Active=True,
        )
        contact = row["ContactID"]
        return Inserted(
            f"ContactID={contact}",
            f"acumatica-contact:{contact}",
            lambda: self.emulator.delete_record("Contact", contact),
        )

    def is_page(self, call: t.Any) -> bool:
        return call.method == "GET" and call.path.endswith("/Contact")


class Jde(Erp):
    domain = "vantage-marine.co.uk"
    page_size_env: t.ClassVar[dict[str, str]] = {"TAP_JDE_PAGE_SIZE": "4"}
    skip_reason = "customer has no email address"
    blank_is_missing = True  # JD Edwards pads text columns: tap-jde trims them

    def insert(self, person: Person) -> Inserted:
        # A person's alpha name is "Last, First" (TAXC I).
        name = ", ".join(part for part in (person.last, person.first) if part)
        entry = self.emulator.insert_record("F0101", ALPH=name, AT1="C", TAXC="I")
        number = entry["AN8"]
        self.emulator.insert_record("F03012", AN8=number, CUSTS="0", CRCD="GBP")
        if person.email is not None:
            self.emulator.insert_record("F01151", AN8=number, ETP="E", EMAL=person.email)
        return Inserted(
            f"address_number={number}",
            f"jde:{number}",
            lambda: self.emulator.delete_record("F0101", number),
        )

    def merge_fields(self, person: Person) -> dict[str, str]:
        return {
            **super().merge_fields(person),
            "COMPANY": f"{person.last}, {person.first}",
        }

    def is_page(self, call: t.Any) -> bool:
        return call.route == "POST /jderest/v2/dataservice"


class Exact(Erp):
    domain = "tidewater-foods.nl"
    skip_reason = "account has no email address"

    def insert(self, person: Person) -> Inserted:
        name = " ".join(part for part in (person.first, person.last) if part)
        row = self.emulator.insert_record(
            "Accounts",
            Name=name or "(no name)",
            Email=person.email,
            Phone=person.phone,
            City=person.city,
            Status="C",
        )
        account = row["ID"]
        return Inserted(
            f"ID={account}",
            f"exact:{account}",
            lambda: self.emulator.delete_record("Accounts", account),
        )

    def merge_fields(self, person: Person) -> dict[str, str]:
        return {"COMPANY": f"{person.first} {person.last}"}

    def is_page(self, call: t.Any) -> bool:
        return call.method == "GET" and call.path.endswith("/sync/CRM/Accounts")

    def prepare_small_pages(self) -> None:
        self.emulator.configure(sync_page_size=4)


ERPS: dict[str, type[Erp]] = {
    "netsuite": NetSuite,
    "oracle-fusion": Fusion,
    "acumatica": Acumatica,
    "jde": Jde,
    "exact": Exact,
}


def insert_bad_input(erp: Erp) -> BadInput:
    """Good and bad records, in an order that spreads them over pages of four."""
    domain = erp.domain
    bad = BadInput()

    def good(local: str, first: str, last: str) -> None:
        person = Person(f"{local}@{domain}", first, last)
        erp.insert(person)
        bad.good[t.cast("str", person.email)] = erp.merge_fields(person)

    def audited(what: str, email: str, outcomes: tuple[str, ...], reason: str) -> None:
        inserted = erp.insert(Person(email))
        # A record without an address is known by its ERP key.
        key = email.strip().lower() or f"source:{inserted.source_id}"
        bad.audited.append(Expected(what, key, outcomes, reason))

    # The first page: three good records and one deleted once the page was read.
    good("arabic", *ARABIC)
    bad.deleted_mid_read["read, then deleted"] = erp.insert(
        Person(f"deleted.after.reading@{domain}")
    ).delete
    good("hebrew", *HEBREW)
    good("emoji", *EMOJI)
    # The first row of the second page: the one a plain offset skips after the deletion.
    good("page.two", "Grace", "Hopper")
    # Bad addresses, each with its own outcome.
    label = erp.insert(Person(None, "No", "Email")).label
    bad.mapper_skips.append(("no email", f"record {label} skipped ({erp.skip_reason})"))
    if erp.blank_is_missing:
        label = erp.insert(Person("   ")).label
        bad.mapper_skips.append(("blank email", f"record {label} skipped ({erp.skip_reason})"))
    else:
        audited("blank email", "   ", ("failed",), "missing email_address")
    audited("not an email", "not-an-email", ("failed",), "not a valid email address")
    audited("no dot in the domain", "a@b", ("failed",), "not a valid email address")
    audited("fake-looking", "test@test.com", ("failed",), "looks fake or invalid")
    audited("role address", f"noreply@{domain}", ("failed",), "looks fake or invalid")
    audited("non-ASCII address", "josé@café.fr", ("failed",), "valid email address")
    audited("254+ characters", "l" * 250 + f"@{domain}", ("failed",), "valid email address")
    # Two records, one address (differently cased): one member, the other superseded.
    shared = f"shared.inbox@{domain}"
    erp.insert(Person(shared.upper(), "Older", "Record"))
    later = Person(shared, "Newer", "Record")
    erp.insert(later)
    bad.good[shared] = erp.merge_fields(later)
    bad.audited.append(Expected("same address twice", shared, ("skipped",), "superseded"))
    # Deleted before the tap reaches its page: never read, nothing to write.
    bad.deleted_mid_read["deleted before reading"] = erp.insert(
        Person(f"deleted.before.reading@{domain}")
    ).delete
    good("combining", *COMBINING)
    good("long.values", *LONG)
    # Nothing but an address: lands with no merge fields.
    nulls = Person(f"nulls.only@{domain}", None, None, None, None)
    erp.insert(nulls)
    bad.good[t.cast("str", nulls.email)] = {}
    # Blank names (a space where the ERP wanted a value): the address still lands.
    blank = Person(f"blank.names@{domain}", " ", " ")
    erp.insert(blank)
    bad.good[t.cast("str", blank.email)] = {}
    good("last.page", "Katherine", "Johnson")
    return bad


@contextlib.contextmanager
def deleting_between_pages(
    erp: Erp, deletions: dict[str, Callable[[], object]]
) -> Iterator[dict[str, bool]]:
    """Delete records while the tap is between pages: the first one after the first page
    was served, the second after the second (synchronously, before the next request)."""
    emulator = erp.emulator
    original = emulator.calls.record
    steps = list(deletions.items())
    done: dict[str, bool] = {}

    def record(call: t.Any) -> None:
        original(call)
        if steps and erp.is_page(call):
            what, delete = steps.pop(0)
            delete()
            done[what] = True

    emulator.calls.record = record
    try:
        yield done
    finally:
        emulator.calls.record = original


def run_with_bad_input(
    pipeline: str,
    request: pytest.FixtureRequest,
    meltano: t.Callable[..., t.Any],
    mailchimp: t.Any,
    tmp_path: Path,
    report_row: t.Callable[..., t.Any],
) -> None:
    job, fixture = PIPELINES[pipeline]
    erp = ERPS[pipeline](request.getfixturevalue(fixture))
    mailchimp.configure(fake_emails={"local_parts": ROLE_LOCAL_PARTS})
    meltano("run", job)
    before = mailchimp_state(mailchimp)

    bad = insert_bad_input(erp)
    erp.prepare_small_pages()
    with deleting_between_pages(erp, bad.deleted_mid_read) as deleted:
        result = meltano("run", job, env=erp.page_size_env)  # exit status 0
    after = mailchimp_state(mailchimp)
    landed = members(mailchimp)

    # What the first run wrote is untouched; every good record landed as the ERP holds it.
    comparison = compare(before, after)
    wrong = {
        email: {tag: landed[email].merge_fields.get(tag) for tag in fields}
        for email, fields in bad.good.items()
        if email not in landed
        or any(landed[email].merge_fields.get(tag) != value for tag, value in fields.items())
    }
    # Nothing but the good records is new (e-commerce customers of good records included).
    allowed = set(bad.good) | {f"deleted.after.reading@{erp.domain}"}
    unexpected = [
        key
        for key in sorted(set(after) - set(before))
        if not (
            (key.startswith("member:") and key.removeprefix("member:") in allowed)
            or (
                key.startswith("customer:")
                and str(after[key].get("email_address")).lower() in allowed
            )
        )
    ]
    # Every bad record has an outcome with a reason, in this run's audit events.
    events = run_events(tmp_path)
    unexplained = [
        f"{expected.what} ({expected.key[:40]}): {events.get(expected.key)}"
        for expected in bad.audited
        if not any(
            outcome in expected.outcomes and expected.reason in (reason or "")
            for outcome, reason in events.get(expected.key, [])
        )
    ]
    unexplained += [
        f"{what}: no log line {line!r}"
        for what, line in bad.mapper_skips
        if line not in result.output
    ]
    report_row(
        pipeline=pipeline,
        scenario="bad input",
        runs=2,
        faults=len(bad.audited) + len(bad.mapper_skips) + len(deleted),
        expected=comparison.expected + len(bad.good),
        landed=comparison.landed + len(bad.good) - len(wrong),
        duplicates=len(unexpected),
        lost=len(comparison.lost) + len(wrong),
        notes=f"{len(bad.audited) + len(bad.mapper_skips)} bad records explained, "
        f"{len(deleted)} deleted between pages"
        + (f"; unexplained: {len(unexplained)}" if unexplained else ""),
    )
    assert set(deleted) == set(bad.deleted_mid_read), "the run read fewer pages than planned"
    assert not comparison.lost, f"changed or lost: {comparison.lost[:10]}"
    assert not wrong, f"good records missing or changed: {wrong}"
    assert not unexpected, f"written for bad records: {[(k, after[k]) for k in unexpected]}"
    assert not unexplained, "\n".join(unexplained)
    assert f"deleted.before.reading@{erp.domain}" not in landed


def run_events(tmp_path: Path) -> dict[str, list[tuple[str, str | None]]]:
    """(outcome, reason) per record key, of the last run's `members` events."""
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    with engine.connect() as connection:
        last_run = connection.execute(
            sa.text("SELECT run_id FROM audit_events ORDER BY id DESC LIMIT 1")
        ).scalar_one()
        rows = connection.execute(
            sa.text(
                "SELECT record_key, outcome, reason FROM audit_events "
                "WHERE run_id = :run AND stream = 'members' ORDER BY id"
            ),
            {"run": last_run},
        ).all()
    engine.dispose()
    events: dict[str, list[tuple[str, str | None]]] = {}
    for key, outcome, reason in rows:
        events.setdefault(key, []).append((outcome, reason))
    return events


@pytest.mark.parametrize(
    "pipeline",
    [
        "netsuite",
        "acumatica",
        pytest.param("oracle-fusion", marks=pytest.mark.full_only),
        pytest.param("jde", marks=pytest.mark.full_only),
        pytest.param("exact", marks=pytest.mark.full_only),
    ],
)
def test_bad_records_are_explained_and_never_stop_the_good_ones(
    pipeline, request, meltano, mailchimp_emulator, tmp_path, report_row
) -> None:
    run_with_bad_input(pipeline, request, meltano, mailchimp_emulator, tmp_path, report_row)
