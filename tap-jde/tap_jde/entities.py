"""Customers and vendors: address book entries assembled with their contact data.

The rules, per address number:

- Name, search type, tax id: F0101 (`ALPH` is "Last, First" for persons).
- Primary email: the F01151 row with `IDLN = 0`, `RCK7 = 1` and `ETP = 'E'` (reference B4).
- Main phone: the F0115 row of the entity itself (`IDLN = 0`) with a blank phone type
  (`PHTP`, blank = business), lowest `RCK7`.
- Address: the F0116 row effective today: the latest `EFTB` not after today.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass, field, replace
from itertools import islice

from tap_jde.client import JdeStream
from tap_jde.dataservice import TableQuery, condition
from tap_jde.dates import changed_at
from tap_jde.schemas import REPLICATION_KEY
from tap_jde.tables import F0115, F01151, F0116

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context

    from tap_jde.dates import Since

Row = dict[str, t.Any]
DateReader = t.Callable[[t.Any], dt.date | None]
T = t.TypeVar("T")
# Address numbers per `LIST` condition, and so entities assembled at a time. Oracle
# documents no limit on LIST values (reference B2); 1,000 stays within the 1,000
# expressions Oracle Database allows in an IN list (ORA-01795), which a LIST may become
# on the database side (inferred). Two full pages of members per group.
ADDRESS_NUMBERS_PER_QUERY = 1000


def groups_of(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of `size` (the last one shorter), read lazily."""
    iterator = iter(items)
    while group := list(islice(iterator, size)):
        yield group


def of_numbers(query: TableQuery, numbers: list[int]) -> TableQuery:
    """The query narrowed to `AN8 LIST (…)`."""
    return query.where(condition(query.table.control_id("AN8"), "LIST", *numbers))


def text(value: t.Any) -> str | None:
    """A string column trimmed (JD Edwards pads some, e.g. `MCU`); blank is None."""
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None


def number(value: t.Any) -> int:
    """A whole-number column (`IDLN`, `RCK7`) as an int; blank is 0."""
    return int(value or 0)


def primary_email(rows: list[Row]) -> str | None:
    """`IDLN = 0 AND RCK7 = 1 AND ETP = 'E'`: the entity's own first electronic address.

    An entity whose line 1 is a website (`ETP = 'I'`) has no primary email by this rule.
    """
    for row in rows:
        line = (number(row.get("IDLN")), number(row.get("RCK7")), text(row.get("ETP")))
        if line == (0, 1, "E"):
            return text(row.get("EMAL"))
    return None


def main_phone(rows: list[Row]) -> Row | None:
    """The entity's own business phone (blank `PHTP`) with the lowest line number."""
    business = [
        row for row in rows if number(row.get("IDLN")) == 0 and text(row.get("PHTP")) is None
    ]
    return min(business, key=lambda row: number(row.get("RCK7")), default=None)


def current_address(rows: list[Row], today: dt.date, date_of: DateReader) -> Row | None:
    """The address in effect today: latest `EFTB` not after today (blank = always)."""
    effective = [(date_of(row.get("EFTB")) or dt.date.min, row) for row in rows]
    in_effect = [(day, row) for day, row in effective if day <= today]
    return max(in_effect, key=lambda pair: pair[0], default=(None, None))[1]


def person_names(alpha_name: str | None, person_code: str | None) -> tuple[str | None, ...]:
    """(first, last) of a person (`TAXC = 'I'`), from JD Edwards' "Last, First" alpha name."""
    if person_code != "I" or not alpha_name or "," not in alpha_name:
        return None, None
    last, _, first = alpha_name.partition(",")
    return text(first), text(last)


@dataclass
class AddressBookEntry:
    """Every row of one address number that the customer and vendor records draw on."""

    address_book: Row
    customer: Row | None = None
    emails: list[Row] = field(default_factory=list)
    phones: list[Row] = field(default_factory=list)
    addresses: list[Row] = field(default_factory=list)

    def rows(self) -> list[Row]:
        """All of them: the entity changed when any of them did."""
        own = [self.address_book] + ([self.customer] if self.customer else [])
        return own + self.emails + self.phones + self.addresses

    def record(self, *, today: dt.date, date_of: DateReader) -> Row:
        """The fields customers and vendors share (without `last_changed_at`)."""
        book = self.address_book
        name = text(book.get("ALPH"))
        person_code = text(book.get("TAXC"))
        first_name, last_name = person_names(name, person_code)
        phone = main_phone(self.phones) or {}
        prefix, phone_number = text(phone.get("AR1")), text(phone.get("PH1"))
        address = current_address(self.addresses, today, date_of) or {}
        effective = date_of(address.get("EFTB")) if address else None
        return {
            "address_number": number(book.get("AN8")),
            "long_address_number": text(book.get("ALKY")),
            "name": name,
            "first_name": first_name,
            "last_name": last_name,
            "search_type": text(book.get("AT1")),
            "person_corporation_code": person_code,
            "tax_id": text(book.get("TAX")),
            "language": text(book.get("LNGP")),
            "business_unit": text(book.get("MCU")),
            "address_book_category_codes": {
                alias: text(book.get(alias)) for alias in ("AC01", "AC02")
            },
            "email": primary_email(self.emails),
            "phone": " ".join(part for part in (prefix, phone_number) if part) or None,
            "phone_prefix": prefix,
            "phone_number": phone_number,
            "address_line_1": text(address.get("ADD1")),
            "address_line_2": text(address.get("ADD2")),
            "address_line_3": text(address.get("ADD3")),
            "address_line_4": text(address.get("ADD4")),
            "city": text(address.get("CTY1")),
            "county": text(address.get("COUN")),
            "state": text(address.get("ADDS")),
            "postal_code": text(address.get("ADDZ")),
            "country": text(address.get("CTR")),
            "address_effective_date": effective.isoformat() if effective else None,
        }


class AddressBookEntityStream(JdeStream):
    """Address book entries with their contact data, re-emitted when any of it changes."""

    primary_keys: t.ClassVar[list[str]] = ["address_number"]
    replication_key = REPLICATION_KEY

    def members(self) -> TableQuery:
        """The rows that make an address number a member of the stream (in key order)."""
        raise NotImplementedError

    def watched(self) -> list[TableQuery]:
        """Every query whose changed rows re-emit their address number."""
        return [self.members(), TableQuery(F01151), TableQuery(F0115), TableQuery(F0116)]

    def entries_of(self, members: list[Row], context: Context | None) -> list[AddressBookEntry]:
        """The entries of member rows (read by `members()`), with their address book row."""
        raise NotImplementedError

    def finish(self, entry: AddressBookEntry, record: Row) -> Row:
        """Add the stream's own fields."""
        return record

    def request_records(self, context: Context | None) -> Iterator[Row]:
        """Assemble the entities a group of address numbers at a time, in key order."""
        today = dt.datetime.now(self.zone).date()
        for entries in self.entry_groups(self.since(context), context):
            for entry in self.with_contacts(entries, context):
                record = self.finish(entry, entry.record(today=today, date_of=self.date_of))
                record[REPLICATION_KEY] = self.last_change(entry)
                yield record

    def entry_groups(
        self, since: Since | None, context: Context | None
    ) -> Iterator[list[AddressBookEntry]]:
        """The entries to emit, `ADDRESS_NUMBERS_PER_QUERY` at a time.

        Without a bookmark every member is emitted: the members query is read in full
        pages and each group of members joined with its other rows, so a first load reads
        each table about once and holds one group. With a bookmark, the address numbers
        changed in any watched table are found first, then read in `LIST` groups.
        """
        if since is None:
            members = self.read_rows(self.members(), context)
            for group in groups_of(members, ADDRESS_NUMBERS_PER_QUERY):
                yield self.entries_of(group, context)
            return
        numbers = sorted(self.changed_numbers(since, context))
        self.logger.info("Stream '%s': %d address numbers to read", self.name, len(numbers))
        for group in groups_of(numbers, ADDRESS_NUMBERS_PER_QUERY):
            members = self.read_rows(of_numbers(self.members(), group), context)
            yield self.entries_of(list(members), context)

    def changed_numbers(self, since: Since, context: Context | None) -> set[int]:
        """Address numbers with a row changed since the bookmark in any watched table."""
        numbers: set[int] = set()
        for query in self.watched():
            scan = replace(query, columns=(*query.table.key, "UPMJ", "UPMT"))
            numbers.update(int(row["AN8"]) for row in self.changed_rows(scan, since, context))
        return numbers

    def with_contacts(
        self, entries: list[AddressBookEntry], context: Context | None
    ) -> list[AddressBookEntry]:
        """Fill in every F01151, F0115 and F0116 row of the entries."""
        by_number = {int(entry.address_book["AN8"]): entry for entry in entries}
        if not by_number:
            return []
        for table, attribute in ((F01151, "emails"), (F0115, "phones"), (F0116, "addresses")):
            for row in self.read_rows(of_numbers(TableQuery(table), list(by_number)), context):
                getattr(by_number[int(row["AN8"])], attribute).append(row)
        return [by_number[number] for number in sorted(by_number)]

    def last_change(self, entry: AddressBookEntry) -> str | None:
        """The latest change among the entry's rows, in UTC."""
        moments = [
            changed_at(self.date_of(row.get("UPMJ")), row.get("UPMT"), self.zone)
            for row in entry.rows()
        ]
        latest = max((moment for moment in moments if moment), default=None)
        return latest.isoformat() if latest else None
