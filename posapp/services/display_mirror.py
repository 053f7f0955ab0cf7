"""The live bill of each till, as its customer displays show it (in memory, one process).

The till publishes its state on every change; a display long-polls for the next version.
The state lives in this process's memory, not in the database: TillBook serves from one
process (waitress with a few threads), the state is a view of a bill that is not yet a sale,
and after a restart every till publishes again on its next change. Nothing here is money
of record; amounts are integer paise and quantities integer thousandths all the same.

A display's long poll holds one of waitress's request threads while it waits, so at most
`max_waiting` polls wait at once; more get `DisplaysBusy` (503) at once and the page falls
back to asking every few seconds without waiting, so displays can never starve the tills.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from posapp.errors import DomainError, ValidationError
from posapp.i18n import _
from posapp.services.limits import MAX_CART_LINES, PRODUCT_TEXT_LENGTHS

MAX_WAIT_SECONDS = 25.0  # under the 30 s after which proxies and browsers give up on a request
DEFAULT_MAX_WAITING = 3  # of waitress's 6 threads: the other 3 always serve the tills
STAGES = ("idle", "billing", "upi", "paid")
TENDERS = ("cash", "card", "upi", "credit")
MAX_MINOR = 10**13  # ₹10^11: far past any bill, inside a double's exact integers for the page
MAX_MILLI = 10**12
UNIT_LENGTH = 12
INVOICE_LENGTH = 40
UPI_LINK_LENGTH = 1000
SLICE_SECONDS = 0.5  # how often a waiting poll checks whether it should stop early
# A till stamps each state with its clock (ms). One sent earlier that arrives later (the paid
# picture, sent as the receipt opens, overtaken by the next bill's first scan) is dropped when
# it is older by less than this; a bigger gap is a clock that was set back, and counts.
REORDER_MS = 10_000
MAX_AT = 2**53


class DisplaysBusy(DomainError):
    """More displays wait at once than the server lets wait (503): ask again without waiting."""

    status = 503
    code = "displays_busy"


@dataclass(frozen=True)
class Published:
    """One till's state as last published: its version and when the server took it."""

    version: int
    state: dict[str, Any]
    published_at: float = 0.0  # time.time() at the server, for measuring latency

    def answer(self) -> dict[str, Any]:
        return {"version": self.version, "published_at": self.published_at, "state": self.state}


IDLE: dict[str, Any] = {
    "stage": "idle",
    "lines": [],
    "total": 0,
    "discount": 0,
    "tax": 0,
    "tenders": dict.fromkeys(TENDERS, 0),
    "change": None,
    "upi": None,
    "invoice": None,
    "at": None,
}
NOTHING_YET = Published(0, IDLE)

_BOARDS: weakref.WeakSet[MirrorBoard] = weakref.WeakSet()


@dataclass
class MirrorBoard:
    """The latest state per till with one version counter for the process."""

    max_waiting: int = DEFAULT_MAX_WAITING
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _states: dict[int, Published] = field(default_factory=dict)
    _version: int = 0
    _waiting: int = 0
    _closed: bool = False

    def __post_init__(self) -> None:
        _BOARDS.add(self)

    def __hash__(self) -> int:  # kept in a WeakSet: identity, not the (mutable) fields
        return id(self)

    def publish(self, till: int, state: dict[str, Any]) -> int:
        """Store a till's new state (already parsed) and wake its displays; its version.

        A state stamped (`at`) up to REORDER_MS before the one already stored arrived out
        of order and is dropped: the answer is then the stored version.
        """
        with self._cond:
            current = self._states.get(till)
            late = (
                current is not None
                and state.get("at")
                and current.state.get("at")
                and 0 < current.state["at"] - state["at"] < REORDER_MS
            )
            if late:
                assert current is not None
                return current.version
            self._version += 1
            self._states[till] = Published(self._version, state, time.time())
            self._cond.notify_all()
            return self._version

    def latest(self, till: int) -> Published:
        """The till's last state (version 0, idle, before it ever published)."""
        with self._cond:
            return self._states.get(till, NOTHING_YET)

    @property
    def waiting(self) -> int:
        with self._cond:
            return self._waiting

    def wait(
        self,
        till: int,
        after: int,
        timeout: float = MAX_WAIT_SECONDS,
        stop: Callable[[], bool] = lambda: False,
    ) -> Published:
        """The till's state once its version differs from `after`, or as it is at `timeout`.

        A display that already has another version (or a server restarted since: versions
        start again at 0) gets the state at once. DisplaysBusy when `max_waiting` polls wait
        already. `stop()` is asked every half second (a restore closing the request gate).
        """
        timeout = max(0.0, min(timeout, MAX_WAIT_SECONDS))
        with self._cond:
            current = self._states.get(till, NOTHING_YET)
            if current.version != after or self._closed or timeout == 0:
                return current
            if self._waiting >= self.max_waiting:
                raise DisplaysBusy(
                    _(
                        "Too many customer displays are connected; this one will refresh every "
                        "few seconds instead of at once."
                    ),
                    details={"retry_after": 3},
                )
            self._waiting += 1
            try:
                deadline = time.monotonic() + timeout
                while True:
                    current = self._states.get(till, NOTHING_YET)
                    remaining = deadline - time.monotonic()
                    if current.version != after or self._closed or remaining <= 0 or stop():
                        return current
                    self._cond.wait(min(remaining, SLICE_SECONDS))
            finally:
                self._waiting -= 1

    def close(self) -> None:
        """Answer every waiting poll now and every later one at once (the server stops)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()


def close_all_boards() -> None:
    """Close every board of this process: a stopping server must not wait 25 s for polls."""
    for board in list(_BOARDS):
        board.close()


# --- the state a till publishes: hostile input, checked field by field -----------------------


def _int(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or len(value) > limit:
        return None
    return value


def parse_state(payload: Any) -> dict[str, Any]:
    """Check a published till state; return it normalised, or ValidationError naming fields.

    Amounts are integer minor units, quantities integer thousandths (JSON numbers with a
    fraction are refused); texts are bounded; a UPI link must be a `upi://pay?` link.
    """
    if not isinstance(payload, dict):
        raise ValidationError(_("The display state must be a JSON object."))
    errors: dict[str, str] = {}
    stage = payload.get("stage")
    if stage not in STAGES:
        errors["stage"] = _("stage must be one of %(stages)s.", stages=", ".join(STAGES))
    money_fields: dict[str, int] = {}
    for name, low in (("total", 0), ("discount", 0), ("tax", 0)):
        value = _int(payload.get(name, 0), low, MAX_MINOR)
        if value is None:
            errors[name] = _("%(field)s must be a whole number of paise.", field=name)
        else:
            money_fields[name] = value
    lines: list[dict[str, Any]] = []
    raw_lines = payload.get("lines", [])
    if not isinstance(raw_lines, list) or len(raw_lines) > MAX_CART_LINES:
        errors["lines"] = _(
            "lines must be a list of at most %(count)s lines.", count=MAX_CART_LINES
        )
        raw_lines = []
    for index, raw in enumerate(raw_lines):
        if not isinstance(raw, dict):
            errors[f"lines.{index}"] = _("A line must be an object.")
            continue
        line: dict[str, Any] = {
            "name": _text(raw.get("name"), PRODUCT_TEXT_LENGTHS["name"]),
            "qty": _int(raw.get("qty"), 0, MAX_MILLI),
            "unit": _text(raw.get("unit"), UNIT_LENGTH),
            "amount": _int(raw.get("amount"), -MAX_MINOR, MAX_MINOR),
        }
        unpriced = raw.get("amount") is None  # not priced yet: the display shows "…"
        for key, value in line.items():
            if value is None and not (key == "amount" and unpriced):
                errors[f"lines.{index}.{key}"] = _(
                    "%(field)s is missing or out of range.", field=key
                )
        lines.append(line)
    tenders: dict[str, int] = {}
    raw_tenders = payload.get("tenders", {})
    if raw_tenders is None:
        raw_tenders = {}
    if not isinstance(raw_tenders, dict):
        errors["tenders"] = _("tenders must be an object.")
        raw_tenders = {}
    for method in TENDERS:
        value = _int(raw_tenders.get(method, 0), 0, MAX_MINOR)
        if value is None:
            errors[f"tenders.{method}"] = _(
                "%(field)s must be a whole number of paise.", field=method
            )
        else:
            tenders[method] = value
    change = payload.get("change")
    if change is not None and _int(change, 0, MAX_MINOR) is None:
        errors["change"] = _("change must be a whole number of paise or null.")
    upi = payload.get("upi")
    if upi is not None:
        upi = _parse_upi(upi, errors)
    at = payload.get("at")
    if at is not None and _int(at, 0, MAX_AT) is None:
        errors["at"] = _("at must be the till's time in milliseconds, or null.")
    invoice = payload.get("invoice")
    if invoice is not None and not _text(invoice, INVOICE_LENGTH):
        errors["invoice"] = _(
            "invoice must be a number of at most %(count)s characters.", count=INVOICE_LENGTH
        )
    if errors:
        raise ValidationError(_("The display state is not valid."), fields=errors)
    return {
        "stage": stage,
        "lines": lines,
        **money_fields,
        "tenders": tenders,
        "change": change,
        "upi": upi,
        "invoice": invoice,
        "at": at,
    }


def _parse_upi(upi: Any, errors: dict[str, str]) -> dict[str, Any] | None:
    if not isinstance(upi, dict):
        errors["upi"] = _("upi must be an object or null.")
        return None
    amount = _int(upi.get("amount"), 0, MAX_MINOR)
    if amount is None:
        errors["upi.amount"] = _("amount must be a whole number of paise.")
    link = upi.get("link")
    if link is not None:
        text = _text(link, UPI_LINK_LENGTH)
        if text is None or not text.startswith("upi://pay?") or not text.isprintable():
            errors["upi.link"] = _("link must be a upi://pay? link.")
            link = None
    return {"amount": amount, "link": link}
