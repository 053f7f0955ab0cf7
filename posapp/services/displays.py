"""Customer displays: one-time pairing codes, paired devices and revoking them.

A till shows a 6-digit code (one-time, 5 minutes); a screen facing the customer opens
`/display`, types the code and a name, and gets a long random token that the web layer keeps
in an HttpOnly cookie. Only the token's SHA-256 is stored (like API tokens), so a copy of the
database cannot be replayed as a display. A display is read-only: it mirrors the bill of the
till (user) whose code it took and nothing else, until an admin revokes it. Wrong codes count
in the login throttle (per address, and per address across everything), so guessing a code
is as slow as guessing a password.

Codes live in memory (`PairingCodes`): TillBook serves from one process, a code lives five
minutes, and a restart simply asks the cashier for a fresh one.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from posapp.errors import LockedOut, NotFound, ValidationError
from posapp.i18n import _, ngettext
from posapp.models import DisplayDevice, LoginAttempt, User
from posapp.models.base import utcnow, write_transaction
from posapp.services import audit
from posapp.services.users import ATTEMPT_KEY_LENGTH, throttle_wait

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=5)
NAME_LIMIT = 60
TOKEN_LIMIT = 200  # a token is 43 characters; anything far longer is not one of ours
# Wrong codes are counted in login_attempts under this key: '#' is not a character usernames
# take, so no user's own login throttle is touched by a display guessing codes.
THROTTLE_KEY = "#display-pairing"
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often
TICKET_PREFIX = "t-"  # tickets and 6-digit codes share one table and never look alike
TICKET_LIFETIME = timedelta(minutes=1)
DESKTOP_NAME = "Second screen of this computer"


@dataclass(frozen=True)
class PairingCode:
    """A code shown at a till: whose till it pairs with, and until when it works."""

    code: str
    user_id: int
    expires_at: datetime


class PairingCodes:
    """The live pairing codes of this process, one per till; each works once.

    Thread-safe: waitress answers the till and the displays on several threads.
    """

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, PairingCode] = {}

    def _purge(self, now: datetime) -> None:
        for code in [c for c, entry in self._codes.items() if entry.expires_at <= now]:
            del self._codes[code]

    def issue(self, user_id: int) -> PairingCode:
        """A fresh code for this till; the till's earlier code stops working."""
        with self._lock:
            now = self._clock()
            self._purge(now)
            for code in [c for c, entry in self._codes.items() if entry.user_id == user_id]:
                del self._codes[code]
            while True:  # at most one live code per till: a clash is about one in 10^5
                code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
                if code not in self._codes:
                    break
            entry = PairingCode(code, user_id, now + CODE_LIFETIME)
            self._codes[code] = entry
            return entry

    def take(self, code: str) -> int | None:
        """Use a code: the till (user id) it pairs with, or None (unknown, used or expired)."""
        with self._lock:
            self._purge(self._clock())
            entry = self._codes.pop(code, None)
            return entry.user_id if entry is not None else None

    def issue_ticket(self, user_id: int) -> str:
        """A long one-time ticket that pairs the desktop's own second window (1 minute).

        It travels in the new window's address, so the window pairs itself whether or not
        it shares cookies with the till's window; too long to guess, so it needs no throttle.
        """
        with self._lock:
            now = self._clock()
            self._purge(now)
            ticket = TICKET_PREFIX + secrets.token_urlsafe(24)
            self._codes[ticket] = PairingCode(ticket, user_id, now + TICKET_LIFETIME)
            return ticket


def hash_token(token: str) -> str:
    """The stored form of a display token (SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def clean_name(name: str) -> str:
    """A display's name, spaces folded; ValidationError when empty or too long."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Give this screen a name, e.g. “Counter 1”."), field="name")
    if len(name) > NAME_LIMIT:
        raise ValidationError(
            _("Names take at most %(count)s characters.", count=NAME_LIMIT), field="name"
        )
    return name


def clean_code(code: str) -> str:
    """The typed code as 6 ASCII digits (spaces allowed between); ValidationError otherwise."""
    text = "".join((code or "").split())
    if len(text) != CODE_DIGITS or not (text.isascii() and text.isdecimal()):
        raise ValidationError(_("Type the 6-digit code shown at the till."), field="code")
    return text


def _attempt_key(address: str) -> tuple[str, str]:
    return THROTTLE_KEY, (address or "?")[:ATTEMPT_KEY_LENGTH]


def pair(
    session: Session, codes: PairingCodes, code: str, name: str, address: str = "?"
) -> tuple[DisplayDevice, str]:
    """Pair a display with the till whose code this is; return it and its plain token.

    Refused while the address is throttled (429, before the code is even looked at, so a
    throttled guesser uses up nobody's code). A wrong, used or expired code is counted and
    audited and answers ValidationError on the `code` field.
    """
    name = clean_name(name)
    typed = clean_code(code)
    key, addr = _attempt_key(address)
    wait = throttle_wait(session, key, addr)
    if wait is not None:
        minutes = int(wait.total_seconds() // 60) + 1
        raise LockedOut(
            ngettext(
                "Too many wrong codes. Try again in %(num)s minute.",
                "Too many wrong codes. Try again in %(num)s minutes.",
                minutes,
            ),
            details={"retry_after": int(wait.total_seconds()) + 1},
        )
    user_id = codes.take(typed)
    till = session.get(User, user_id) if user_id is not None else None
    if till is None or not till.active:
        with write_transaction(session):
            session.add(LoginAttempt(username=key, address=addr, created_at=utcnow()))
            audit.record(
                session, "display.pair_failed", entity="display_device", after={"address": addr}
            )
        raise ValidationError(
            _("That code is wrong, used or expired. Ask at the till for a new one."), field="code"
        )
    with write_transaction(session):
        session.execute(
            delete(LoginAttempt).where(LoginAttempt.username == key, LoginAttempt.address == addr)
        )
    return _add_device(session, till, name, addr)


def pair_by_ticket(
    session: Session, codes: PairingCodes, ticket: str
) -> tuple[DisplayDevice, str] | None:
    """Pair the desktop's second window with the till that asked for the ticket; None when
    the ticket is unknown, used or expired (the window then shows the pairing form)."""
    if not ticket.startswith(TICKET_PREFIX) or len(ticket) > TOKEN_LIMIT:
        return None
    user_id = codes.take(ticket)
    till = session.get(User, user_id) if user_id is not None else None
    if till is None or not till.active:
        return None
    return _add_device(session, till, DESKTOP_NAME, "this computer")


def _add_device(session: Session, till: User, name: str, address: str) -> tuple[DisplayDevice, str]:
    token = secrets.token_urlsafe(32)
    with write_transaction(session):
        device = DisplayDevice(
            name=name, token_hash=hash_token(token), user_id=till.id, created_at=utcnow()
        )
        session.add(device)
        session.flush()
        audit.record(
            session,
            "display.pair",
            user_id=till.id,
            entity="display_device",
            entity_id=device.id,
            after={"name": name, "till": till.username, "address": address},
        )
    return device, token


def device_for_token(session: Session, token: str) -> DisplayDevice | None:
    """The live (not revoked) display holding this token, or None."""
    if not token or len(token) > TOKEN_LIMIT:
        return None
    device = session.scalar(
        select(DisplayDevice).where(
            DisplayDevice.token_hash == hash_token(token), DisplayDevice.revoked_at.is_(None)
        )
    )
    if device is None:
        return None
    now = utcnow()
    # A display asks every few seconds; writing last_seen_at each time would queue it behind
    # the till's sales for nothing, so at most once a minute.
    if device.last_seen_at is None or now - device.last_seen_at > SEEN_EVERY:
        with write_transaction(session):
            device.last_seen_at = now
    return device


def list_devices(session: Session) -> list[DisplayDevice]:
    """Every display ever paired, live ones first, newest first."""
    return list(
        session.scalars(
            select(DisplayDevice).order_by(
                DisplayDevice.revoked_at.is_not(None), DisplayDevice.id.desc()
            )
        )
    )


def revoke(session: Session, device_id: int, by_user_id: int) -> DisplayDevice:
    """End a display for good: its next request finds no pairing. Audited; twice is a no-op."""
    with write_transaction(session):
        device = session.get(DisplayDevice, device_id)
        if device is None:
            raise NotFound(_("No such customer display."))
        if device.revoked_at is None:
            device.revoked_at = utcnow()
            till = session.get(User, device.user_id)
            audit.record(
                session,
                "display.revoke",
                user_id=by_user_id,
                entity="display_device",
                entity_id=device.id,
                before={"name": device.name, "till": till.username if till else ""},
            )
    return device
