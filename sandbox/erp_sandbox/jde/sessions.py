"""AIS sessions (tokens) and the result sets they hold open for next-page calls.

* A token belongs to the ``deviceName`` it was requested with, or to the caller's IP
  address when none was given (Oracle, "Using a Token"); a request with the token from
  another device, or without the device, is refused with 444 like an unknown token.
* A session that nobody uses for ``session_timeout_seconds`` ends; so does one that is
  logged out. Its token then answers 444 and its open result sets die with it.
* ``tokenrequest/validate`` checks a token without touching it unless ``touch`` is true.
* Stateless calls (credentials instead of a token) get a temporary session that ends
  with the call, or when the result set it opened is finished or expires.
* A result set stays open ``result_set_timeout_seconds`` after it was last read (the
  HTML Server's ``resultSetTimeout``, 60 s by default; reference B2). The cursor lives
  on the server: every next call moves it, so repeating a link fetches the following
  page, not the same one.

Times come from the emulator clock, so tests freeze it and advance past the timeouts.
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from erp_sandbox.jde.errors import invalid_token, result_set_expired
from erp_sandbox.jde.settings import JdeSettings

Row = dict[str, Any]


def new_token(username: str, device: str | None, millis: int) -> str:
    """A token shaped like the AIS Server's (``044…=…``). Every token contains ``+``,
    ``/`` and ``=``, so a client that puts it in a URL without encoding it breaks at once
    rather than now and then."""
    chars = list(base64.b64encode(secrets.token_bytes(30)).decode())
    chars[7], chars[19] = "+", "/"
    tail = base64.b64encode(f"{millis}{username}{device or ''}".encode()).decode()
    return "044" + "".join(chars) + "=" + tail


@dataclass
class Session:
    """One signed-in session."""

    token: str
    username: str
    environment: str
    role: str
    #: The ``deviceName`` the token is bound to; None = bound to ``address``.
    device: str | None
    address: str
    created: float
    last_used: float
    cookie: str
    #: Opened by a stateless call (credentials in the request, no token).
    temporary: bool = False

    def to_json(self, now: float) -> dict[str, Any]:
        """The session for the inspection API (the token shortened)."""
        return {
            "token": self.token[:10] + "…",
            "username": self.username,
            "environment": self.environment,
            "role": self.role,
            "device": self.device,
            "address": self.address if self.device is None else None,
            "temporary": self.temporary,
            "idle_seconds": round(now - self.last_used, 3),
        }


@dataclass
class ResultSet:
    """An open data service query waiting for next calls."""

    rid: str
    token: str
    table: str
    #: Aliases of the columns the first request asked for.
    columns: list[str]
    #: Rows not yet delivered (a snapshot taken when the query ran).
    remaining: list[Row]
    page_size: int | None
    delivered: int
    last_used: float
    state_id: int = 1
    grid_id: int = 54
    stack_id: int = 1
    pages: int = 1

    def to_json(self, now: float) -> dict[str, Any]:
        """The result set for the inspection API."""
        return {
            "rid": self.rid,
            "table": self.table,
            "delivered": self.delivered,
            "remaining": len(self.remaining),
            "pages": self.pages,
            "idle_seconds": round(now - self.last_used, 3),
        }


class SessionRegistry:
    """Thread-safe sessions and result sets, with timeouts on the emulator clock."""

    def __init__(self, settings: JdeSettings, now: Callable[[], float]) -> None:
        self.settings = settings
        self.now = now
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._result_sets: dict[str, ResultSet] = {}
        self.logins = 0
        self.logouts = 0
        self.timed_out = 0
        self.expired_result_sets = 0

    # --- sessions -----------------------------------------------------------------------

    def open_session(
        self,
        *,
        username: str,
        environment: str,
        role: str,
        device: str | None,
        address: str,
        temporary: bool = False,
    ) -> Session:
        """Sign in: a new session and token."""
        now = self.now()
        token = new_token(username, device, int(now * 1000))
        session = Session(
            token=token,
            username=username,
            environment=environment,
            role=role,
            device=device,
            address=address,
            created=now,
            last_used=now,
            cookie=f"{secrets.token_urlsafe(24)}!{secrets.randbelow(10**9)}!{int(now * 1000)}",
            temporary=temporary,
        )
        with self._lock:
            self._prune(now)
            self._sessions[token] = session
            self.logins += 1
        return session

    def use(
        self,
        token: str | None,
        device: str | None,
        address: str,
        *,
        touch: bool = True,
        device_optional: bool = False,
    ) -> Session:
        """The live session of ``token`` used from ``device`` (or ``address``), touched
        unless ``touch`` is false; a 444 ``JdeError`` otherwise. ``device_optional``
        accepts a request that names no device (next links carry only the token)."""
        now = self.now()
        with self._lock:
            self._prune(now)
            session = self._sessions.get(token or "")
            if session is None:
                raise invalid_token(
                    "unknown, logged out or timed-out token" if token else "no token"
                )
            if not _bound_to(session, device, address, device_optional=device_optional):
                raise invalid_token(
                    f"token bound to device {session.device!r}, used from {device!r}"
                    if session.device is not None
                    else f"token bound to address {session.address}, used with device {device!r}"
                )
            if touch:
                session.last_used = now
            return session

    def logout(self, token: str) -> bool:
        """End a session and its result sets; False if the token was not live."""
        with self._lock:
            self._prune(self.now())
            if token not in self._sessions:
                return False
            self._end(token)
            self.logouts += 1
            return True

    def end_if_temporary(self, session: Session) -> None:
        """End a stateless call's session unless a result set still needs it."""
        with self._lock:
            if session.temporary and not self._holds_result_set(session.token):
                self._sessions.pop(session.token, None)

    def expire_sessions(self) -> int:
        """End every session as if it had timed out; returns how many."""
        with self._lock:
            count = len(self._sessions)
            for token in list(self._sessions):
                self._end(token)
            self.timed_out += count
            return count

    def open_count(self) -> int:
        """Live sessions."""
        with self._lock:
            self._prune(self.now())
            return len(self._sessions)

    # --- result sets --------------------------------------------------------------------

    def open_result_set(
        self,
        session: Session,
        *,
        table: str,
        columns: list[str],
        remaining: list[Row],
        page_size: int | None,
        delivered: int,
    ) -> ResultSet:
        """Keep the rest of a query open for next calls."""
        result_set = ResultSet(
            rid=secrets.token_hex(8),
            token=session.token,
            table=table,
            columns=columns,
            remaining=remaining,
            page_size=page_size,
            delivered=delivered,
            last_used=self.now(),
        )
        with self._lock:
            self._result_sets[result_set.rid] = result_set
        return result_set

    def next_page(self, session: Session, rid: str | None) -> tuple[ResultSet, list[Row], bool]:
        """The next rows of a result set (moving its cursor), and whether more remain;
        a finished result set is closed. A 500 :class:`JdeError` if it expired, ended or
        belongs to another session."""
        now = self.now()
        with self._lock:
            self._prune(now)
            result_set = self._result_sets.get(rid or "")
            if result_set is None or result_set.token != session.token:
                raise result_set_expired(
                    f"no open result set {rid!r} for this token (expired, finished or unknown)"
                )
            size = result_set.page_size or len(result_set.remaining)
            page, result_set.remaining = (
                result_set.remaining[:size],
                result_set.remaining[size:],
            )
            result_set.delivered += len(page)
            result_set.state_id += 1
            result_set.pages += 1
            result_set.last_used = now
            more = bool(result_set.remaining)
            if not more:
                self._close_result_set(rid or "")
            return result_set, page, more

    def expire_result_sets(self) -> int:
        """Expire every open result set as if it had timed out; returns how many."""
        with self._lock:
            rids = list(self._result_sets)
            for rid in rids:
                self._close_result_set(rid)
            self.expired_result_sets += len(rids)
            return len(rids)

    def result_set_count(self) -> int:
        """Open result sets."""
        with self._lock:
            self._prune(self.now())
            return len(self._result_sets)

    # --- bookkeeping --------------------------------------------------------------------

    def clear(self) -> None:
        """No sessions, result sets or counts."""
        with self._lock:
            self._sessions.clear()
            self._result_sets.clear()
            self.logins = self.logouts = self.timed_out = self.expired_result_sets = 0

    def to_json(self) -> dict[str, Any]:
        """Sessions and result sets for the inspection API."""
        now = self.now()
        with self._lock:
            self._prune(now)
            return {
                "open": len(self._sessions),
                "open_result_sets": len(self._result_sets),
                "logins": self.logins,
                "logouts": self.logouts,
                "timed_out": self.timed_out,
                "expired_result_sets": self.expired_result_sets,
                "sessions": [s.to_json(now) for s in self._sessions.values()],
                "result_sets": [r.to_json(now) for r in self._result_sets.values()],
            }

    def _prune(self, now: float) -> None:
        """Drop idle sessions and result sets (caller holds the lock)."""
        for token, session in list(self._sessions.items()):
            if now - session.last_used > self.settings.session_timeout_seconds:
                self._end(token)
                self.timed_out += 1
        for rid, result_set in list(self._result_sets.items()):
            if now - result_set.last_used > self.settings.result_set_timeout_seconds:
                self._close_result_set(rid)
                self.expired_result_sets += 1

    def _end(self, token: str) -> None:
        self._sessions.pop(token, None)
        for rid in [rid for rid, rs in self._result_sets.items() if rs.token == token]:
            del self._result_sets[rid]

    def _close_result_set(self, rid: str) -> None:
        result_set = self._result_sets.pop(rid, None)
        if result_set is None:
            return
        session = self._sessions.get(result_set.token)
        if session is not None and session.temporary and not self._holds_result_set(session.token):
            del self._sessions[session.token]

    def _holds_result_set(self, token: str) -> bool:
        return any(rs.token == token for rs in self._result_sets.values())


def _bound_to(session: Session, device: str | None, address: str, *, device_optional: bool) -> bool:
    """Whether a request from ``device``/``address`` may use the session's token."""
    if session.device is not None:
        return device == session.device or (device is None and device_optional)
    return device is None and address == session.address
