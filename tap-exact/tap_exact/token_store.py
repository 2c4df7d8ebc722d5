"""Where Exact Online's rotating token pair lives between runs and across machines.

Exact refresh tokens are single-use: every refresh returns a new one, and the old
one dies once the new one is used. Losing the new token means re-authorizing by
hand; two runs spending the same token means one of them fails. So the pair is

- kept encrypted (Fernet) in a file or a database (SQLAlchemy URL),
- written atomically before the new token is first used,
- read and refreshed under an exclusive lock, so concurrent runs take turns.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import typing as t
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

if t.TYPE_CHECKING:
    from collections.abc import Iterator


class TokenStoreError(RuntimeError):
    """The store cannot be read with the configured key, or is unusable."""


@dataclass
class TokenPair:
    """The current tokens, and when they were obtained (epoch seconds)."""

    refresh_token: str
    access_token: str | None = None
    expires_at: float = 0.0
    refreshed_at: float = 0.0


class TokenStore:
    """Encrypted storage of one token pair, with an exclusive lock."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except ValueError:
            msg = (
                "`token_encryption_key` is not a Fernet key (generate one with "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`)."
            )
            raise TokenStoreError(msg) from None

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """Hold the store exclusively (across processes and, for databases, machines)."""
        raise NotImplementedError

    def read(self) -> TokenPair | None:
        """The stored pair, or None when the store is empty."""
        raw = self._read_raw()
        if raw is None:
            return None
        try:
            return TokenPair(**json.loads(self._fernet.decrypt(raw)))
        except InvalidToken:
            msg = "The token store cannot be decrypted with `token_encryption_key`."
            raise TokenStoreError(msg) from None

    def write(self, pair: TokenPair) -> None:
        """Replace the stored pair atomically."""
        self._write_raw(self._fernet.encrypt(json.dumps(asdict(pair)).encode()))

    def _read_raw(self) -> bytes | None:
        raise NotImplementedError

    def _write_raw(self, data: bytes) -> None:
        raise NotImplementedError


class FileTokenStore(TokenStore):
    """A file, replaced atomically; a lock file serialises processes on one machine."""

    def __init__(self, path: Path, key: str) -> None:
        super().__init__(key)
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """An exclusive `flock` on `<path>.lock`."""
        with open(f"{self.path}.lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read_raw(self) -> bytes | None:
        return self.path.read_bytes() if self.path.exists() else None

    def _write_raw(self, data: bytes) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".token-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


_metadata = sa.MetaData()
_tokens = sa.Table(
    "exact_token_store",
    _metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("ciphertext", sa.LargeBinary),
)


class SqlTokenStore(TokenStore):
    """A row in a database shared by every worker; the lock is a row lock held in a transaction.

    Touching the row first (an UPDATE) takes PostgreSQL's row lock and SQLite's write
    lock, so a second run waits until the first has stored the new pair.
    """

    def __init__(self, url: str, key: str, name: str = "default") -> None:
        super().__init__(key)
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]  # psycopg 3, the extra's driver
        connect_args = {"timeout": 120} if url.startswith("sqlite") else {}
        self.engine = sa.create_engine(url, connect_args=connect_args)
        self.name = name
        self._connection: sa.Connection | None = None
        self._create_row()

    def _create_row(self) -> None:
        """The table and an empty row, so that there is always a row to lock.

        Two runs starting at once on a fresh database may both try: the loser's error
        is harmless, so each step is retried once after it.
        """
        try:
            _metadata.create_all(self.engine)
        except sa.exc.DBAPIError:
            _metadata.create_all(self.engine)  # the other run created it meanwhile
        exists = sa.select(_tokens.c.name).where(_tokens.c.name == self.name)
        try:
            with self.engine.begin() as connection:
                if connection.execute(exists).first() is None:
                    connection.execute(_tokens.insert().values(name=self.name, ciphertext=None))
        except sa.exc.IntegrityError:
            pass  # the other run inserted it

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """A transaction that starts by locking the row (an UPDATE of it)."""
        with self.engine.connect() as connection, connection.begin():
            connection.execute(
                _tokens.update().where(_tokens.c.name == self.name).values(name=self.name)
            )
            self._connection = connection
            try:
                yield
            finally:
                self._connection = None

    def _read_raw(self) -> bytes | None:
        with self._using() as connection:
            return connection.execute(
                sa.select(_tokens.c.ciphertext).where(_tokens.c.name == self.name)
            ).scalar_one_or_none()

    def _write_raw(self, data: bytes) -> None:
        with self._using() as connection:
            updated = connection.execute(
                _tokens.update().where(_tokens.c.name == self.name).values(ciphertext=data)
            ).rowcount
            if not updated:
                connection.execute(_tokens.insert().values(name=self.name, ciphertext=data))
            if self._connection is None:
                connection.commit()

    @contextlib.contextmanager
    def _using(self) -> Iterator[sa.Connection]:
        if self._connection is not None:
            yield self._connection  # inside `locked()`: the write commits with it
            return
        with self.engine.connect() as connection:
            yield connection


def open_token_store(url: str, key: str) -> TokenStore:
    """A store from `token_store_url`: a SQLAlchemy URL, or else a file path."""
    if "://" in url:
        return SqlTokenStore(url, key)
    return FileTokenStore(Path(url).expanduser(), key)
