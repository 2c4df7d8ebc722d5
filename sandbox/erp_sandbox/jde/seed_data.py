"""A deterministic, realistic JD Edwards address book: F0101 entries (customers, vendors,
employees and the company itself), F03012 customer master rows, F01151 electronic
addresses, F0115 phone numbers and F0116 effective-dated addresses.

Same :class:`SeedSize` → same rows. Dates are stored as CYYDDD numbers and times as
HHMMSS numbers, in the server's local time. Change stamps (UPMJ, UPMT) come from a pool
smaller than the number of rows, so many rows share a second; a "mass update" (02:00:00
on one night late in the range, UPMT 20000) stamps a share of every table, and a
"legacy" share was last touched in 1997-1999 (C=0, e.g. ``98365``).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from erp_sandbox.jde.dates import hhmmss_of, julian_of
from erp_sandbox.netsuite.seed_data import (
    CITIES,
    COMPANY_KINDS,
    COMPANY_SUFFIXES,
    COMPANY_TLDS,
    COMPANY_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    MAILBOX_DOMAINS,
    STREETS,
)

Row = dict[str, Any]
# Names, companies, places and mailbox providers are NetSuite's seed vocabulary, shared by
# every ERP emulator; none of the email domains is a fake or reserved one.

#: The company that owns the address book: Oracle's token example shows address number 1,
#: "Financial/Distribution Company".
COMPANY_AN8 = 1
COMPANY_NAME = "Financial/Distribution Company"
COMPANY_DOMAIN = "findistco.com"
#: Business unit per country (JD Edwards right-justifies MCU in 12 characters).
BUSINESS_UNITS = {
    "US": "30",
    "CA": "40",
    "GB": "50",
    "DE": "50",
    "FR": "50",
    "NL": "50",
    "AU": "60",
}
CURRENCIES = {
    "US": "USD",
    "CA": "CAD",
    "GB": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "NL": "EUR",
    "AU": "AUD",
}
LANGUAGES = {"FR": "F", "DE": "G", "NL": "D"}
AREA_CODES = {
    "GB": ("020", "0161"),
    "DE": ("030", "089"),
    "FR": ("01",),
    "NL": ("020",),
    "AU": ("02",),
}
REGIONS = ("NE", "SE", "MW", "W", "INT")
SALES_REPS = ("SLS01", "SLS02", "SLS03", "SLS04", "SLS05")
PAYMENT_TERMS = ("N30", "N30", "N15", "N45", "COD")
CUSTOMER_CLASSES = ("WHL", "RTL", "DST", "OEM")
USERS = ("JDE", "SMITHJ", "GARCIAM", "INTEGRATE", "BATCHUSR")
PROGRAMS = {
    "F0101": ("P01012", "P01012", "R01840", "EP01012"),
    "F03012": ("P03013", "P03013", "R03B802"),
    "F01151": ("P01111", "P01111", "P0111"),
    "F0115": ("P0115", "P0111"),
    "F0116": ("P01012", "P0116"),
}
WORKSTATIONS = ("DENWS0142", "DENWS0217", "DENENT01", "CHIWS0033")


@dataclass(frozen=True)
class SeedSize:
    """How much data to generate, and from which seed."""

    customers: int = 150
    vendors: int = 60
    employees: int = 8
    #: Share of each table stamped by one "mass update" (same UPMJ and UPMT).
    mass_update_share: float = 0.1
    #: Share of each table last changed in 1997-1999 (C=0 dates).
    legacy_share: float = 0.06
    seed: int = 17
    #: Local dates the change stamps span (besides the legacy years).
    start: str = "2016-01-01"
    end: str = "2026-10-31"

    def __post_init__(self) -> None:
        for name in ("customers", "vendors", "employees"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("mass_update_share", "legacy_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if date.fromisoformat(self.end) < date.fromisoformat(self.start):
            raise ValueError("end must not be before start")

    def to_json(self) -> dict[str, Any]:
        """The sizes as a JSON-ready dict."""
        return asdict(self)


@dataclass
class _Entity:
    an8: int
    kind: str  # C, V, E, O
    name: str
    first: str
    last: str
    company: bool
    domain: str | None
    country: str
    state: str | None
    city: str
    postal: str
    created: date


class _Generator:
    """Draws every row from one seeded RNG, in a fixed order."""

    def __init__(self, size: SeedSize) -> None:
        self.size = size
        self.rng = random.Random(size.seed)  # noqa: S311 - test data, not crypto
        self.start = datetime.fromisoformat(size.start)
        self.end = datetime.fromisoformat(size.end) + timedelta(days=1, seconds=-1)
        self.mass_update = (self.start + (self.end - self.start) * 0.9).replace(
            hour=2, minute=0, second=0, microsecond=0
        )
        entities = size.customers + size.vendors + size.employees + 1
        # About one stamp per three rows (each entity has ~4 rows over all tables).
        self.pool = sorted(self._moment() for _ in range(max(1, entities * 4 // 3)))

    # --- primitives ---------------------------------------------------------------------

    def chance(self, share: float) -> bool:
        return self.rng.random() < share

    def _moment(self, low: datetime | None = None, high: datetime | None = None) -> datetime:
        low, high = low or self.start, high or self.end
        return low + timedelta(seconds=self.rng.randint(0, int((high - low).total_seconds())))

    def stamp(self, table: str) -> Row:
        """UPMJ/UPMT and the other audit columns of a row."""
        if self.chance(self.size.mass_update_share):
            moment, user, program = self.mass_update, "BATCHUSR", "R0008P"
        else:
            if self.chance(self.size.legacy_share):
                moment = self._moment(datetime(1997, 1, 1), datetime(1999, 12, 31, 23, 59, 59))
            else:
                moment = self.rng.choice(self.pool)
            user, program = self.rng.choice(USERS), self.rng.choice(PROGRAMS[table])
        return {
            "USER": user,
            "PID": program,
            "JOBN": self.rng.choice(WORKSTATIONS),
            "UPMJ": julian_of(moment.date()),
            "UPMT": hhmmss_of(moment),
        }

    def company_name(self, used: set[str]) -> tuple[str, str]:
        """A company name and its domain, unique. Once the word lists run short (large
        seeds), a branch number keeps names apart: ``Harbor Tools 12 LLC``."""
        attempt = 0
        while True:
            first, second = self.rng.choice(COMPANY_WORDS), self.rng.choice(COMPANY_KINDS)
            suffix = self.rng.choice(COMPANY_SUFFIXES)
            stem = f"{first} {second}" + (f" {len(used)}" if attempt >= 20 else "")
            name = stem + (f" {suffix}" if suffix else "")
            attempt += 1
            if name not in used:
                used.add(name)
                domain = "".join(stem.split()).lower()
                return name, f"{domain}.{self.rng.choice(COMPANY_TLDS)}"

    def mailbox(self, first: str, last: str, domain: str | None) -> str:
        first, last = _letters(first), _letters(last)
        local = self.rng.choice(
            (f"{first}.{last}", f"{first[0]}{last}", f"{first}{last[0]}", f"{last}.{first}")
        )
        if domain is None:
            domain = self.rng.choice(MAILBOX_DOMAINS)
            local += str(self.rng.randint(1, 99)) if self.chance(0.4) else ""
        return f"{local}@{domain}"

    def phone(self, country: str) -> tuple[str, str]:
        if country in ("US", "CA"):
            return str(
                self.rng.randint(201, 989)
            ), f"{self.rng.randint(200, 999)}-{self.rng.randint(1000, 9999)}"
        prefix = self.rng.choice(AREA_CODES.get(country, ("01",)))
        return prefix, f"{self.rng.randint(1000, 9999)} {self.rng.randint(1000, 9999)}"

    # --- entities -----------------------------------------------------------------------

    def entities(self) -> list[_Entity]:
        kinds = (
            ["C"] * self.size.customers + ["V"] * self.size.vendors + ["E"] * self.size.employees
        )
        self.rng.shuffle(kinds)
        used: set[str] = set()
        country, state, city, postal = CITIES[2]
        entities = [
            _Entity(
                an8=COMPANY_AN8,
                kind="O",
                name=COMPANY_NAME,
                first="Maria",
                last="Lopez",
                company=True,
                domain=COMPANY_DOMAIN,
                country=country,
                state=state,
                city=city,
                postal=postal,
                created=date(1996, 3, 1),
            )
        ]
        an8 = 1000
        for kind in kinds:
            an8 += self.rng.randint(1, 6)
            is_company = (kind == "V" and self.chance(0.95)) or (kind == "C" and self.chance(0.7))
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            if is_company:
                name, domain = self.company_name(used)
            else:
                name = f"{last}, {first}"  # JD Edwards' alpha name for persons
                domain = COMPANY_DOMAIN if kind == "E" else None
            country, state, city, postal = self.rng.choice(CITIES)
            if kind == "E":
                country, state, city, postal = CITIES[2]
            if self.chance(0.15):
                created = self._moment(datetime(1995, 1, 1), datetime(1999, 12, 31)).date()
            else:
                created = self._moment(datetime(2004, 1, 1), self.end).date()
            entities.append(
                _Entity(
                    an8=an8,
                    kind=kind,
                    name=name,
                    first=first,
                    last=last,
                    company=is_company,
                    domain=domain,
                    country=country,
                    state=state or None,
                    city=city,
                    postal=postal,
                    created=created,
                )
            )
        return entities

    def address_book(self, entity: _Entity) -> Row:
        tax = ""
        if entity.company and entity.country == "US":
            tax = f"{self.rng.randint(10, 99)}-{self.rng.randint(1000000, 9999999)}"
        elif entity.company and entity.country in ("GB", "DE", "FR", "NL"):
            tax = f"{entity.country}{self.rng.randint(100000000, 999999999)}"
        return {
            "AN8": entity.an8,
            "ALKY": f"{entity.kind}{entity.an8 + 70000}" if self.chance(0.3) else "",
            "TAX": tax,
            "ALPH": entity.name,
            "DC": "".join(ch for ch in entity.name.upper() if ch.isalnum())[:40],
            "MCU": BUSINESS_UNITS.get(entity.country, "30").rjust(12),
            "AT1": entity.kind,
            "TAXC": "C" if entity.company else "I",
            "LNGP": LANGUAGES.get(entity.country, ""),
            "AC01": self.rng.choice(REGIONS) if entity.kind in "CV" else "",
            "AC02": self.rng.choice(SALES_REPS) if entity.kind == "C" else "",
            **self.stamp("F0101"),
        }

    def customer_master(self, entity: _Entity) -> list[Row]:
        companies = ["00000"] + (["00200"] if self.chance(0.1) else [])
        rows = []
        for company in companies:
            status = "1" if self.chance(0.08) else ("" if self.chance(0.1) else "0")
            rows.append(
                {
                    "AN8": entity.an8,
                    "CO": company,
                    "CUSTS": status,
                    "CRCD": CURRENCIES.get(entity.country, "USD"),
                    "TRAR": self.rng.choice(PAYMENT_TERMS),
                    "ACL": self.rng.choice((0, 5000, 10000, 25000, 50000, 100000)),
                    "HDAR": "Y" if self.chance(0.05) else "N",
                    "TXA1": (entity.state or entity.country)
                    if entity.country in ("US", "CA")
                    else "",
                    "AC01": self.rng.choice(REGIONS),
                    "AC02": self.rng.choice(SALES_REPS),
                    "AC03": self.rng.choice(CUSTOMER_CLASSES),
                    "AC04": "KEY" if self.chance(0.1) else "",
                    "AC05": "",
                    **self.stamp("F03012"),
                }
            )
        return rows

    def electronic_addresses(self, entity: _Entity) -> list[Row]:
        def row(idln: int, rck7: int, kind: str, address: str, messaging: int = 0) -> Row:
            return {
                "AN8": entity.an8,
                "IDLN": idln,
                "RCK7": rck7,
                "ETP": kind,
                "EMAL": address,
                "EHIER": messaging,
                **self.stamp("F01151"),
            }

        if entity.kind != "O" and self.chance(0.12):
            return []  # no email at all
        domain = entity.domain
        if entity.company and domain:
            primary = self.rng.choice(
                (
                    f"accounts@{domain}",
                    f"orders@{domain}",
                    f"info@{domain}",
                    self.mailbox(entity.first, entity.last, domain),
                )
            )
        else:
            primary = self.mailbox(entity.first, entity.last, domain)
        website = f"www.{domain}" if entity.company and domain else None
        if website and self.chance(0.04):
            # The website holds line 1: there is no primary email by the usual rule.
            return [row(0, 1, "I", website), row(0, 2, "E", primary)]
        rows = [row(0, 1, "E", primary, 1)]
        if self.chance(0.2):
            extras = [
                f"billing@{domain}" if domain else self.mailbox(entity.first, entity.last, None)
            ]
            if website:
                extras.append(website)
            for number, address in enumerate(extras[: self.rng.randint(1, 2)], start=2):
                rows.append(row(0, number, "I" if address.startswith("www.") else "E", address))
        if entity.company and domain and self.chance(0.1):
            contact_first, contact_last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            rows.append(row(1, 1, "E", self.mailbox(contact_first, contact_last, domain)))
        return rows

    def phones(self, entity: _Entity) -> list[Row]:
        rows: list[Row] = []
        kinds = []
        if self.chance(0.8):
            kinds.append("")
        if entity.company and self.chance(0.25):
            kinds.append("FAX")
        if self.chance(0.1):
            kinds.append("CAR")
        for number, kind in enumerate(kinds, start=1):
            prefix, phone = self.phone(entity.country)
            rows.append(
                {
                    "AN8": entity.an8,
                    "IDLN": 0,
                    "RCK7": number,
                    "PHTP": kind,
                    "AR1": prefix,
                    "PH1": phone,
                    **self.stamp("F0115"),
                }
            )
        return rows

    def addresses(self, entity: _Entity) -> list[Row]:
        count = 1 if self.chance(0.6) else (2 if self.chance(0.75) else 3)
        effective = entity.created
        country, state, city, postal = entity.country, entity.state, entity.city, entity.postal
        rows = []
        for index in range(count):
            if index:
                # A later address: the customer moved (within the country, mostly).
                candidates = [c for c in CITIES if c[0] == entity.country] or list(CITIES)
                country, state, city, postal = self.rng.choice(candidates)
                if index == count - 1 and self.chance(0.15):
                    # Future-dated: not yet the current address.
                    effective = self.end.date() + timedelta(days=self.rng.randint(30, 400))
                else:
                    span = max(1, (self.end.date() - effective).days)
                    effective = effective + timedelta(days=self.rng.randint(1, span))
            rows.append(
                {
                    "AN8": entity.an8,
                    "EFTB": julian_of(effective),
                    "ADD1": f"{self.rng.randint(10, 9999)} {self.rng.choice(STREETS)}",
                    "ADD2": f"Suite {self.rng.randint(100, 900)}" if self.chance(0.2) else "",
                    "ADD3": "Attn: Accounts Payable"
                    if entity.kind == "C" and self.chance(0.05)
                    else "",
                    "ADD4": "",
                    "ADDZ": "" if self.chance(0.03) else postal,
                    "CTY1": city,
                    "COUN": "",
                    "ADDS": state or "",
                    "CTR": country,
                    **self.stamp("F0116"),
                }
            )
        return rows


def _letters(name: str) -> str:
    """A name as it appears in an email address (``O'Brien`` → ``obrien``)."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def generate(size: SeedSize) -> dict[str, list[Row]]:
    """Every table's rows, in key order."""
    generator = _Generator(size)
    tables: dict[str, list[Row]] = {
        name: [] for name in ("F0101", "F03012", "F01151", "F0115", "F0116")
    }
    for entity in generator.entities():
        tables["F0101"].append(generator.address_book(entity))
        if entity.kind == "C":
            tables["F03012"].extend(generator.customer_master(entity))
        tables["F01151"].extend(generator.electronic_addresses(entity))
        tables["F0115"].extend(generator.phones(entity))
        tables["F0116"].extend(generator.addresses(entity))
    return tables
