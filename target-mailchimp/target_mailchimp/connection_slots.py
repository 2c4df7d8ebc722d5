"""Mailchimp's 10 simultaneous connections belong to the API key, not to one run.

Every run that uses the same key and the same database takes a slot from the
`mailchimp_connection_slots` table before each request and gives it back after, so all
of them together stay within the limit, across processes and machines (Mailchimp
answers 429 to the eleventh connection; API fundamentals, and the batch guide says the
limit is per API key).

A slot is a row with a lease. A background thread renews the leases this process holds,
so a long request keeps its slot, and a run that dies without giving its slots back
(SIGKILL, a lost machine) loses them when their lease runs out.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import random
import threading
import time
import typing as t
import uuid

import sqlalchemy as sa

if t.TYPE_CHECKING:
    from collections.abc import Iterator

LOGGER = logging.getLogger("target_mailchimp.connection_slots")

metadata = sa.MetaData()

connection_slots = sa.Table(
    "mailchimp_connection_slots",
    metadata,
    # A hash of the API key (or OAuth token): the key itself is never stored.
    sa.Column("account", sa.String(64), primary_key=True),
    sa.Column("slot", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("holder", sa.String(32)),
    # Epoch seconds of the holder's clock: plain numbers compare the same way in every
    # database, and leases are long enough for ordinary clock differences between workers.
    sa.Column("leased_until", sa.Float),
)

#: How long a slot stays taken after its holder last renewed it.
DEFAULT_LEASE_SECONDS = 30.0
#: A run waiting longer than this for a slot says so (once), then keeps waiting.
WAIT_WARNING_SECONDS = 30.0


def account_key(credential: str) -> str:
    """The table's name for an account: a hash of its credential."""
    return hashlib.sha256(credential.encode()).hexdigest()


class AccountConnectionSlots:
    """At most `limit` requests in flight for one Mailchimp account, across processes."""

    def __init__(
        self,
        engine: sa.Engine,
        account: str,
        limit: int,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        poll_seconds: float = 0.02,
    ) -> None:
        self.engine = engine
        self.account = account
        self.limit = limit
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self._held: dict[int, str] = {}
        self._held_lock = threading.Lock()
        self._closed = threading.Event()
        self._create_slots()
        self._renewer = threading.Thread(
            target=self._renew_leases, name="mailchimp-slot-leases", daemon=True
        )
        self._renewer.start()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the account's connection slots for the duration of a request."""
        number, holder = self._acquire()
        try:
            yield
        finally:
            self._release(number, holder)

    def close(self) -> None:
        """Give back every slot still held and stop renewing."""
        self._closed.set()
        with self._held_lock:
            held = dict(self._held)
        for number, holder in held.items():
            self._release(number, holder)

    # Slots ---------------------------------------------------------------------

    def _create_slots(self) -> None:
        """The table and this account's rows; runs starting together may race to add them."""
        with contextlib.suppress(sa.exc.DBAPIError):
            metadata.create_all(self.engine)
        metadata.create_all(self.engine)  # a no-op unless the race above lost
        table = connection_slots
        with self.engine.begin() as connection:
            existing = set(
                connection.execute(
                    sa.select(table.c.slot).where(table.c.account == self.account)
                ).scalars()
            )
        for number in set(range(self.limit)) - existing:
            with contextlib.suppress(sa.exc.IntegrityError), self.engine.begin() as connection:
                connection.execute(table.insert().values(account=self.account, slot=number))

    def _acquire(self) -> tuple[int, str]:
        holder = uuid.uuid4().hex
        started = time.monotonic()
        delay = self.poll_seconds
        warned = False
        while True:
            number = self._try_take_any(holder)
            if number is not None:
                with self._held_lock:
                    self._held[number] = holder
                return number, holder
            if not warned and time.monotonic() - started > WAIT_WARNING_SECONDS:
                LOGGER.warning(
                    "Waiting for a Mailchimp connection: other runs on this account hold "
                    "all %d slots (account_connection_limit).",
                    self.limit,
                )
                warned = True
            time.sleep(random.uniform(0, delay))  # noqa: S311 - jitter, not cryptography
            delay = min(delay * 2, 0.5)

    def _try_take_any(self, holder: str) -> int | None:
        """Take a free (or expired) slot, trying them in random order to spread contention."""
        table = connection_slots
        now = time.time()
        with self.engine.begin() as connection:
            for number in random.sample(range(self.limit), self.limit):
                taken = connection.execute(
                    table.update()
                    .where(
                        table.c.account == self.account,
                        table.c.slot == number,
                        sa.or_(table.c.holder.is_(None), table.c.leased_until < now),
                    )
                    .values(holder=holder, leased_until=now + self.lease_seconds)
                ).rowcount
                if taken:
                    return number
        return None

    def _release(self, number: int, holder: str) -> None:
        table = connection_slots
        with self._held_lock:
            if self._held.get(number) == holder:
                del self._held[number]
        with self.engine.begin() as connection:
            connection.execute(
                table.update()
                .where(
                    table.c.account == self.account,
                    table.c.slot == number,
                    table.c.holder == holder,
                )
                .values(holder=None, leased_until=None)
            )

    def _renew_leases(self) -> None:
        table = connection_slots
        while not self._closed.wait(self.lease_seconds / 3):
            with self._held_lock:
                holders = list(self._held.values())
            if not holders:
                continue
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        table.update()
                        .where(table.c.account == self.account, table.c.holder.in_(holders))
                        .values(leased_until=time.time() + self.lease_seconds)
                    )
            except sa.exc.DBAPIError as error:  # the next renewal tries again
                LOGGER.warning("Could not renew Mailchimp connection leases: %s", error)
