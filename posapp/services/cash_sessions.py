"""Cash sessions (shifts): open with a float, pay in/out, close with a blind count, the Z-report.

The drawer's expected cash is computed from rows tagged with the session id, in SQL:

    expected = opening float
             + Σ cash payments of the session (till cash net of change, cash account payments,
               cash refunds as negative rows), except those of invoices voided since
             + Σ pay-ins − Σ pay-outs

A voided sale's cash is taken to have gone back to the customer, so it leaves the drawer
figure. Every payment, invoice and credit note a cashier books while their session is open
carries its id (see `open_session_id`); closing reads only those indexed rows, so it costs a
few aggregate queries whatever the number of invoices, and writes one row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session, aliased

from posapp.errors import Conflict, NotFound, ValidationError
from posapp.i18n import _, lazy
from posapp.models import (
    MOVEMENT_KINDS,
    AuditLog,
    CashMovement,
    CashSession,
    CreditNote,
    Invoice,
    InvoiceLine,
    Payment,
    User,
)
from posapp.models.base import local_midnight_utc, table, utcnow, write_transaction
from posapp.money import parse_money
from posapp.services import audit, books_stock, shop_settings
from posapp.services.pricing import TaxRow, summarise_tax
from posapp.services.report_framework import Column, Report, title_key
from posapp.services.settings import ShopSettings, load_settings
from posapp.vocabulary import audit_names

REASON_LIMIT = 200
# Notes and coins (in whole currency units) the close form can count; "coins" is a lump sum.
DENOMINATIONS = (2000, 500, 200, 100, 50, 20, 10, 5, 2, 1)
MAX_PIECES = 1_000_000
REQUIRED_MESSAGE = lazy("Open the cash drawer session first.")


_DRAWERS = table(CashSession)
# Built once: every cash sale asks it (a Core statement, no ORM work per sale).
_OPEN_SESSION = select(_DRAWERS.c.id).where(
    _DRAWERS.c.user_id == bindparam("user_id"), _DRAWERS.c.closed_at.is_(None)
)


def open_session_id(session: Session, user_id: int) -> int | None:
    """Return the id of the user's open cash session, if any."""
    return session.connection().execute(_OPEN_SESSION, {"user_id": user_id}).scalar()


def session_for_cash(
    session: Session, user_id: int, moves_cash: bool, settings: ShopSettings | None = None
) -> int | None:
    """Return the user's open session id; refuse (409) cash without one when it is required.

    Checkout passes the settings it already read, saving a query per sale.
    """
    current = open_session_id(session, user_id)
    if current is None and moves_cash:
        settings = settings or load_settings(session)
        if settings.cash_session_required:
            raise Conflict(str(REQUIRED_MESSAGE), code="cash_session_required")
    return current


def current_session(session: Session, user: User) -> CashSession | None:
    """Return the user's open cash session, if any."""
    current = open_session_id(session, user.id)
    return session.get(CashSession, current) if current is not None else None


def load_session(session: Session, session_id: int, user: User) -> CashSession:
    """Load a cash session the user may see: admins all, cashiers their own."""
    found = session.get(CashSession, session_id)
    if found is None or (not user.is_admin and found.user_id != user.id):
        raise NotFound(_("No such cash session."))
    return found


def list_sessions(session: Session, limit: int = 200) -> list[CashSession]:
    """Return the latest cash sessions, newest first (the admin's list)."""
    return list(session.scalars(select(CashSession).order_by(CashSession.id.desc()).limit(limit)))


def _reason(payload: Mapping[str, Any]) -> str:
    raw = payload.get("reason")
    reason = raw.strip() if isinstance(raw, str) else ""
    if not reason:
        raise ValidationError(_("Give a reason."), field="reason")
    if len(reason) > REASON_LIMIT:
        raise ValidationError(
            _("At most %(limit)s characters.", limit=REASON_LIMIT), field="reason"
        )
    return reason


def open_session(session: Session, payload: Mapping[str, Any], user: User) -> CashSession:
    """Open the user's drawer session with an opening float (≥ 0); one open per user."""
    opening = parse_money(payload.get("opening_float"), field="opening_float")
    with write_transaction(session):
        if open_session_id(session, user.id) is not None:
            raise Conflict(_("You already have an open cash session."), code="session_open")
        now = utcnow()
        cash = CashSession(
            user_id=user.id, opened_at=now, opened_by_id=user.id, opening_float=opening
        )
        session.add(cash)
        session.flush()
        audit.record(
            session,
            "cash_session.open",
            user_id=user.id,
            entity="cash_session",
            entity_id=cash.id,
            after={"opening_float": opening},
        )
    return cash


def _locked_open(session: Session, session_id: int, user: User) -> CashSession:
    cash = session.get(CashSession, session_id, populate_existing=True)
    if cash is None or (not user.is_admin and cash.user_id != user.id):
        raise NotFound(_("No such cash session."))
    if cash.closed_at is not None:
        raise Conflict(_("This cash session is closed."), code="session_closed")
    return cash


def add_movement(
    session: Session, session_id: int, payload: Mapping[str, Any], user: User
) -> CashMovement:
    """Record a pay-in or pay-out ({kind, amount > 0, reason}) on an open session."""
    kind = payload.get("kind")
    errors: dict[str, str] = {}
    if kind not in MOVEMENT_KINDS:
        errors["kind"] = _("Choose pay in or pay out.")
    amount = 0
    try:
        amount = parse_money(payload.get("amount"), field="amount", allow_zero=False)
    except ValidationError as exc:
        errors["amount"] = exc.message
    reason = ""
    try:
        reason = _reason(payload)
    except ValidationError as exc:
        errors["reason"] = exc.message
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    with write_transaction(session):
        cash = _locked_open(session, session_id, user)
        movement = CashMovement(
            cash_session_id=cash.id,
            kind=str(kind),
            amount=amount,
            reason=reason,
            user_id=user.id,
            created_at=utcnow(),
        )
        session.add(movement)
        session.flush()
        books_stock.post_cash_movement(session, movement)
        audit.record(
            session,
            f"cash_session.{kind}",
            user_id=user.id,
            entity="cash_session",
            entity_id=cash.id,
            after={"amount": amount, "reason": reason, "movement_id": movement.id},
        )
    return movement


def _pieces(value: object, field_name: str) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    try:
        count = int(str(value).strip())
    except ValueError:
        raise ValidationError(_("Count whole pieces."), field=field_name) from None
    if count < 0 or count > MAX_PIECES:
        raise ValidationError(_("Count must be 0 or more."), field=field_name)
    return count


def parse_count(payload: Mapping[str, Any]) -> tuple[int, dict[str, int] | None]:
    """Read the blind count: {counted} or per-denomination {d2000..d1, coins}; minor units."""
    by_denomination = payload.get("mode") == "denominations"
    if not by_denomination:
        return parse_money(payload.get("counted"), field="counted"), None
    errors: dict[str, str] = {}
    counts: dict[str, int] = {}
    total = 0
    for value in DENOMINATIONS:
        name = f"d{value}"
        try:
            pieces = _pieces(payload.get(name), name)
        except ValidationError as exc:
            errors[name] = exc.message
            continue
        if pieces:
            counts[str(value)] = pieces
            total += pieces * value * 100
    try:
        coins = parse_money(payload.get("coins") or "0", field="coins")
    except ValidationError as exc:
        errors["coins"] = exc.message
        coins = 0
    if coins:
        counts["coins"] = coins
        total += coins
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return total, counts


def expected_cash(session: Session, session_id: int) -> int:
    """Return the cash the drawer should hold now (see the module docstring)."""
    opening = session.scalar(select(CashSession.opening_float).where(CashSession.id == session_id))
    if opening is None:
        raise NotFound(_("No such cash session."))
    received = session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0))
        .select_from(Payment)
        .outerjoin(Invoice, Invoice.id == Payment.invoice_id)
        .where(
            Payment.cash_session_id == session_id,
            Payment.method == "cash",
            (Invoice.id.is_(None)) | (Invoice.status != "void"),
        )
    )
    moved = session.scalar(
        select(
            func.coalesce(
                func.sum(
                    case(
                        (CashMovement.kind == "pay_in", CashMovement.amount),
                        else_=-CashMovement.amount,
                    )
                ),
                0,
            )
        ).where(CashMovement.cash_session_id == session_id)
    )
    return int(opening) + int(received or 0) + int(moved or 0)


def open_drawers_total(session: Session) -> int:
    """Return the expected cash of every open session together (the dashboard's drawer)."""
    ids = session.scalars(select(CashSession.id).where(CashSession.closed_at.is_(None))).all()
    return sum(expected_cash(session, i) for i in ids)


def open_count(session: Session) -> int:
    """Return how many cash sessions are open now."""
    return int(
        session.scalar(
            select(func.count()).select_from(CashSession).where(CashSession.closed_at.is_(None))
        )
        or 0
    )


def close_session(
    session: Session, session_id: int, payload: Mapping[str, Any], user: User
) -> CashSession:
    """Close with the blind count; only now is the expected cash computed and over/short fixed."""
    counted, counts = parse_count(payload)
    note = payload.get("note")
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > REASON_LIMIT:
        raise ValidationError(_("At most %(limit)s characters.", limit=REASON_LIMIT), field="note")
    with write_transaction(session):
        cash = _locked_open(session, session_id, user)
        expected = expected_cash(session, cash.id)
        cash.closed_at = utcnow()
        cash.closed_by_id = user.id
        cash.counted = counted
        cash.denominations = json.dumps(counts) if counts is not None else None
        cash.expected = expected
        cash.over_short = counted - expected
        cash.note = note
        books_stock.post_over_short(session, cash)
        audit.record(
            session,
            "cash_session.close",
            user_id=user.id,
            entity="cash_session",
            entity_id=cash.id,
            after={"counted": counted, "expected": expected, "over_short": counted - expected},
        )
    audit.write_anchor(session)  # the Z closes the day's books: the log is anchored here too
    return cash


@dataclass(frozen=True)
class _RateSum:
    tax_rate_bp: int
    taxable: int
    tax: int
    cgst: int
    sgst: int
    igst: int
    cess: int


@dataclass
class ZReport:
    """Everything the Z-report prints for one session (minor units)."""

    cash: CashSession
    sales_count: int = 0
    sales_total: int = 0
    returns_count: int = 0
    returns_total: int = 0
    voids_count: int = 0
    voids_total: int = 0
    taxes: list[TaxRow] = field(default_factory=list)
    methods: dict[str, int] = field(default_factory=dict)
    pay_ins: int = 0
    pay_outs: int = 0
    cash_received: int = 0
    expected: int = 0
    first_invoice: str | None = None
    last_invoice: str | None = None
    audit_entry: int | None = None  # the close's audit entry: the paper copy anchors the log
    audit_hash: str = ""

    @property
    def denominations(self) -> dict[str, int]:
        return json.loads(self.cash.denominations) if self.cash.denominations else {}


def z_report(session: Session, cash: CashSession) -> ZReport:
    """Gather the Z-report of a session with a handful of aggregate queries."""
    sid = cash.id
    report = ZReport(cash=cash)
    # Grouped by status, folded here: PostgreSQL refuses GROUP BY a comparison with a parameter.
    for status, count, total in session.execute(
        select(Invoice.status, func.count(), func.coalesce(func.sum(Invoice.total), 0))
        .where(Invoice.cash_session_id == sid)
        .group_by(Invoice.status)
    ):
        if status == "void":
            report.voids_count += int(count)
            report.voids_total += int(total)
        else:
            report.sales_count += int(count)
            report.sales_total += int(total)
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(CreditNote.total), 0)).where(
            CreditNote.cash_session_id == sid
        )
    ).one()
    report.returns_count, report.returns_total = int(count), int(total)
    rows = session.execute(
        select(
            InvoiceLine.tax_rate_bp,
            func.sum(InvoiceLine.taxable),
            func.sum(InvoiceLine.tax),
            func.sum(InvoiceLine.cgst),
            func.sum(InvoiceLine.sgst),
            func.sum(InvoiceLine.igst),
            func.sum(InvoiceLine.cess),
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.cash_session_id == sid, Invoice.status != "void")
        .group_by(InvoiceLine.tax_rate_bp)
    )
    # The Z-report prints tax per rate only; the heads are the stored ones.
    report.taxes = summarise_tax(_RateSum(*(int(v) for v in row)) for row in rows)
    for method, total in session.execute(
        select(Payment.method, func.sum(Payment.amount))
        .outerjoin(Invoice, Invoice.id == Payment.invoice_id)
        .where(
            Payment.cash_session_id == sid,
            (Invoice.id.is_(None)) | (Invoice.status != "void"),
        )
        .group_by(Payment.method)
        .order_by(Payment.method)
    ):
        report.methods[str(method)] = int(total or 0)
    report.cash_received = report.methods.get("cash", 0)
    for kind, total in session.execute(
        select(CashMovement.kind, func.sum(CashMovement.amount))
        .where(CashMovement.cash_session_id == sid)
        .group_by(CashMovement.kind)
    ):
        if kind == "pay_in":
            report.pay_ins = int(total)
        else:
            report.pay_outs = int(total)
    report.expected = cash.expected if cash.expected is not None else expected_cash(session, sid)
    first, last = session.execute(
        select(func.min(Invoice.id), func.max(Invoice.id)).where(Invoice.cash_session_id == sid)
    ).one()
    if first is not None:
        report.first_invoice = session.scalar(select(Invoice.number).where(Invoice.id == first))
        report.last_invoice = session.scalar(select(Invoice.number).where(Invoice.id == last))
    closing = session.execute(
        select(AuditLog.id, AuditLog.hash)
        .where(
            AuditLog.action.in_(audit_names("cash_session.close")),
            AuditLog.entity == "cash_session",
            AuditLog.entity_id == sid,
        )
        .order_by(AuditLog.id.desc())
        .limit(1)
    ).first()
    if closing is not None:
        report.audit_entry, report.audit_hash = int(closing[0]), str(closing[1])
    return report


def set_required(session: Session, required: bool, user: User) -> None:
    """Turn the "cash sales need an open session" setting on or off (audited)."""
    shop_settings.save_changes(
        session, {"cash_session_required": required}, "settings.cash", user.id
    )


REPORT_METHODS = ("cash", "card", "upi")


def sessions_report(session: Session, start: date, end: date) -> Report:
    """Cash sessions opened between two local days: who, float, expected, counted, over/short,
    and the session's bills and takings by method (void bills excluded; cash net of change
    and refunds, as the drawer holds it). An open session shows what it should hold now.
    """
    opener, closer = aliased(User), aliased(User)
    found = session.execute(
        select(CashSession, opener.username, closer.username)
        .join(opener, opener.id == CashSession.opened_by_id)
        .outerjoin(closer, closer.id == CashSession.closed_by_id)
        .where(
            CashSession.opened_at >= local_midnight_utc(start),
            CashSession.opened_at < local_midnight_utc(end + timedelta(days=1)),
        )
        .order_by(CashSession.opened_at, CashSession.id)
    ).all()
    ids = [cash.id for cash, _, _ in found]
    # Keyed by the nullable cash_session_id column; the IN (...) filter leaves no None.
    bills: dict[int | None, tuple[int, int]] = {}
    taken: dict[tuple[int | None, str], int] = {}
    for chunk in range(0, len(ids), 500):  # SQLite's bound-parameter limit
        part = ids[chunk : chunk + 500]
        for sid, count, total in session.execute(
            select(Invoice.cash_session_id, func.count(), func.sum(Invoice.total))
            .where(Invoice.cash_session_id.in_(part), Invoice.status != "void")
            .group_by(Invoice.cash_session_id)
        ):
            bills[sid] = (int(count), int(total))
        for sid, method, amount in session.execute(
            select(Payment.cash_session_id, Payment.method, func.sum(Payment.amount))
            .outerjoin(Invoice, Invoice.id == Payment.invoice_id)
            .where(
                Payment.cash_session_id.in_(part),
                (Invoice.id.is_(None)) | (Invoice.status != "void"),
            )
            .group_by(Payment.cash_session_id, Payment.method)
        ):
            taken[(sid, str(method))] = int(amount)
    rows: list[list[Any]] = []
    for cash, opened_by, closed_by in found:
        expected = cash.expected if cash.closed_at else expected_cash(session, cash.id)
        count, sales = bills.get(cash.id, (0, 0))
        rows.append(
            [
                cash.opened_at,
                opened_by,
                cash.closed_at,
                closed_by or _("(open)"),
                cash.opening_float,
                expected,
                cash.counted,
                cash.over_short,
                count,
                sales,
                *(taken.get((cash.id, m), 0) for m in REPORT_METHODS),
            ]
        )
    columns: list[Column] = [
        (lazy("Opened"), "time"),
        (lazy("Opened by"), "text"),
        (lazy("Closed"), "time"),
        (lazy("Closed by"), "text"),
        (lazy("Float"), "money"),
        (lazy("Expected"), "money"),
        (lazy("Counted"), "money"),
        (lazy("Over/short"), "money"),
        (lazy("Bills"), "number"),
        (lazy("Sales"), "money"),
        (lazy("Cash"), "money"),
        (lazy("Card"), "money"),
        (lazy("UPI"), "money"),
    ]
    totals = {
        title: sum(r[i] for r in rows if r[i] is not None)
        for i, (title, kind) in enumerate(columns)
        if kind in ("money", "number") and title_key(title) not in ("Float", "Expected")
    }
    return Report(lazy("Cash sessions"), columns, rows, totals)
