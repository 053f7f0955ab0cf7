"""The admin's hand on the books: sub-accounts, bank accounts, manual entries, reversals.

Flask-free. Every change is one write transaction with its audit entry; bad input raises
`ValidationError` before anything is written. Standard accounts (those with a `system_key`)
can be renamed and can take sub-accounts, but never be archived or deleted: posting code
names them. An account with journal lines is never deleted (archive it instead).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from posapp.dates import parse_day
from posapp.errors import NotFound, ValidationError
from posapp.i18n import _
from posapp.models import Customer, Supplier
from posapp.models.base import write_transaction
from posapp.models.books import Account, JournalEntry, JournalLine
from posapp.money import parse_money
from posapp.services import audit, books

# The payment methods that settle into a bank account (cash always lands in the drawer).
BANK_METHODS = ("card", "upi", "bank")
MAX_LINES = 50
NARRATION_LENGTH = 300


def _code(raw: object) -> str:
    code = str(raw or "").strip()
    if not code.isascii() or not code.isdigit() or not 3 <= len(code) <= 8:
        raise ValidationError(_("An account code is 3 to 8 digits."), field="code")
    return code


def _name(raw: object) -> str:
    name = " ".join(str(raw or "").split())
    if not name:
        raise ValidationError(_("Give the account a name."), field="name")
    if len(name) > 120:
        raise ValidationError(_("An account name takes at most 120 characters."), field="name")
    return name


def _free_code(session: Session, code: str) -> str:
    if session.scalar(select(Account.id).where(Account.code == code)) is not None:
        raise ValidationError(
            _("Code %(code)s is taken by another account.", code=code), field="code"
        )
    return code


def _account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(_("No such account."))
    return account


def _methods(raw: Sequence[str] | str) -> list[str]:
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    methods = []
    for item in items:
        method = str(item).strip()
        if not method:
            continue
        if method not in BANK_METHODS:
            raise ValidationError(_("Methods are any of card, upi and bank."), field="methods")
        if method not in methods:
            methods.append(method)
    return methods


def _snapshot(account: Account) -> dict[str, Any]:
    return {
        "code": account.code,
        "name": account.name,
        "kind": account.kind,
        "parent_id": account.parent_id,
        "methods": account.methods,
        "archived": account.archived,
    }


def add_sub_account(session: Session, data: Mapping[str, Any], user_id: int | None) -> Account:
    """Add an account under a parent; it takes the parent's kind."""
    code, name = _code(data.get("code")), _name(data.get("name"))
    raw_parent = str(data.get("parent_id") or "").strip()
    if not raw_parent.isascii() or not raw_parent.isdigit():
        raise ValidationError(_("Choose the parent account."), field="parent_id")
    with write_transaction(session):
        parent = session.get(Account, int(raw_parent))
        if parent is None or parent.archived:
            raise ValidationError(_("Choose the parent account."), field="parent_id")
        _free_code(session, code)
        account = Account(code=code, name=name, kind=parent.kind, parent_id=parent.id)
        session.add(account)
        session.flush()
        audit.record(
            session, "books.account_create", user_id=user_id, entity="account",
            entity_id=account.id, after=_snapshot(account),
        )  # fmt: skip
    return account


def add_bank_account(session: Session, data: Mapping[str, Any], user_id: int | None) -> Account:
    """Add a further bank account; the methods it takes move to it from any other."""
    code, name = _code(data.get("code")), _name(data.get("name"))
    methods = _methods(data.get("methods") or "")
    with write_transaction(session):
        _free_code(session, code)
        account = Account(code=code, name=name, kind="bank")
        session.add(account)
        session.flush()
        _move_methods(session, account, methods)
        audit.record(
            session, "books.account_create", user_id=user_id, entity="account",
            entity_id=account.id, after=_snapshot(account),
        )  # fmt: skip
    return account


def _move_methods(session: Session, account: Account, methods: list[str]) -> None:
    """Give `account` these methods and take them from every other bank account, so each
    method settles into exactly one account."""
    for other in session.scalars(
        select(Account).where(Account.kind == "bank", Account.id != account.id)
    ):
        kept = [m for m in other.methods.split(",") if m and m not in methods]
        other.methods = ",".join(kept)
    account.methods = ",".join(methods)
    session.flush()


def set_methods(
    session: Session, account_id: int, raw: Sequence[str] | str, user_id: int | None
) -> Account:
    """Set which payment methods settle into a bank account."""
    methods = _methods(raw)
    with write_transaction(session):
        account = _account(session, account_id)
        if account.kind != "bank":
            raise ValidationError(_("Only a bank account takes payment methods."), field="methods")
        before = _snapshot(account)
        _move_methods(session, account, methods)
        audit.record(
            session, "books.account_update", user_id=user_id, entity="account",
            entity_id=account.id, before=before, after=_snapshot(account),
        )  # fmt: skip
    return account


def rename_account(session: Session, account_id: int, raw: object, user_id: int | None) -> Account:
    """Rename an account (its code and entries stay)."""
    name = _name(raw)
    with write_transaction(session):
        account = _account(session, account_id)
        before = _snapshot(account)
        account.name = name
        session.flush()
        audit.record(
            session, "books.account_update", user_id=user_id, entity="account",
            entity_id=account.id, before=before, after=_snapshot(account),
        )  # fmt: skip
    return account


def has_entries(session: Session, account_id: int) -> bool:
    """Tell whether any journal line names the account."""
    return bool(session.scalar(select(exists().where(JournalLine.account_id == account_id))))


def set_archived(session: Session, account_id: int, archived: bool, user_id: int | None) -> Account:
    """Archive an admin-added account (no new manual lines), or bring it back."""
    with write_transaction(session):
        account = _account(session, account_id)
        if account.system_key:
            raise ValidationError(_("A standard account cannot be archived."), field="archived")
        before = _snapshot(account)
        account.archived = archived
        if archived:
            account.methods = ""  # its methods fall back to the standard bank account
        session.flush()
        audit.record(
            session, "books.account_update", user_id=user_id, entity="account",
            entity_id=account.id, before=before, after=_snapshot(account),
        )  # fmt: skip
    return account


def delete_account(session: Session, account_id: int, user_id: int | None) -> None:
    """Delete an admin-added account that has no entries and no sub-accounts."""
    with write_transaction(session):
        account = _account(session, account_id)
        if account.system_key:
            raise ValidationError(_("A standard account cannot be deleted."))
        if has_entries(session, account.id):
            raise ValidationError(_("This account has entries: archive it instead."))
        if session.scalar(select(Account.id).where(Account.parent_id == account.id)):
            raise ValidationError(_("This account has sub-accounts: delete or move them first."))
        before = _snapshot(account)
        session.delete(account)
        session.flush()
        audit.record(
            session, "books.account_delete", user_id=user_id, entity="account",
            entity_id=account_id, before=before,
        )  # fmt: skip


def _party(session: Session, account: Account, raw: object, number: int) -> dict[str, int]:
    """The party a control-account line names ("c:ID" or "s:ID", or a bare id)."""
    text = str(raw or "").strip()
    prefix, _sep, party = text.rpartition(":")
    if account.kind not in ("receivable", "payable"):
        if text:
            raise ValidationError(
                _(
                    "Line %(number)s: only the customers' and suppliers' accounts take a party.",
                    number=number,
                ),
                field="lines",
            )
        return {}
    wanted = "c" if account.kind == "receivable" else "s"
    if not party.isascii() or not party.isdigit() or prefix not in ("", wanted):
        if wanted == "c":
            message = _(
                "Line %(number)s: choose the customer of %(account)s.",
                number=number,
                account=account.name,
            )
        else:
            message = _(
                "Line %(number)s: choose the supplier of %(account)s.",
                number=number,
                account=account.name,
            )
        raise ValidationError(message, field="lines")
    model = Customer if wanted == "c" else Supplier
    if len(party) > 12 or session.get(model, int(party)) is None:
        if wanted == "c":
            message = _("Line %(number)s: no such customer.", number=number)
        else:
            message = _("Line %(number)s: no such supplier.", number=number)
        raise ValidationError(message, field="lines")
    return {"customer_id" if wanted == "c" else "supplier_id": int(party)}


def manual_entry(session: Session, data: Mapping[str, Any], user_id: int | None) -> int:
    """Post an admin's entry: a day, a narration, 2+ lines of account, debit or credit.

    `data["lines"]` is a list of mappings with `account` (an id or a code), `debit`,
    `credit` and, on the control accounts, `party`. Blank lines are skipped. An entry that
    does not balance is refused with both totals and nothing is written.
    """
    day = parse_day(str(data.get("day") or ""), "day")
    narration = " ".join(str(data.get("narration") or "").split())
    if not narration:
        raise ValidationError(_("Say what the entry is for (narration)."), field="narration")
    if len(narration) > NARRATION_LENGTH:
        raise ValidationError(
            _("The narration takes at most %(most)s characters.", most=NARRATION_LENGTH),
            field="narration",
        )
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, list) or len(raw_lines) > MAX_LINES:
        raise ValidationError(_("Give 2 to %(most)s lines.", most=MAX_LINES), field="lines")
    with write_transaction(session):
        lines: list[books.Line] = []
        for number, raw in enumerate(raw_lines, start=1):
            if not isinstance(raw, Mapping):
                raise ValidationError(
                    _("Line %(number)s is not a line.", number=number), field="lines"
                )
            account_text = str(raw.get("account") or "").strip()
            debit_text = str(raw.get("debit") or "").strip()
            credit_text = str(raw.get("credit") or "").strip()
            if not (account_text or debit_text or credit_text):
                continue  # a blank row of the form
            account = _find_account(session, account_text, number)
            debit = parse_money(debit_text or "0", "lines")
            credit = parse_money(credit_text or "0", "lines")
            if (debit > 0) == (credit > 0):
                raise ValidationError(
                    _(
                        "Line %(number)s: enter a debit or a credit (one of the two).",
                        number=number,
                    ),
                    field="lines",
                )
            party = _party(session, account, raw.get("party"), number)
            lines.append(books.Line(account.id, debit, credit, **party))
        if len(lines) < 2:
            raise ValidationError(_("An entry takes at least 2 lines."), field="lines")
        debit_total = sum(line.debit for line in lines)
        credit_total = sum(line.credit for line in lines)
        if debit_total != credit_total:
            raise ValidationError(
                _(
                    "The entry does not balance: debits %(debits)s, credits %(credits)s "
                    "(a difference of %(difference)s).",
                    debits=_rupees(debit_total),
                    credits=_rupees(credit_total),
                    difference=_rupees(abs(debit_total - credit_total)),
                ),
                field="lines",
            )
        entry_id = books.post(
            session, day=day, source_kind="manual", source_id=None, lines=lines,
            narration=narration, user_id=user_id,
        )  # fmt: skip
        if entry_id is None:
            raise ValidationError(
                _("Every line cancels out: there is nothing to post."), field="lines"
            )
        audit.record(
            session, "books.entry", user_id=user_id, entity="journal_entry", entity_id=entry_id,
            after={"day": day.isoformat(), "narration": narration, "debit": debit_total},
        )  # fmt: skip
    return entry_id


def _rupees(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _find_account(session: Session, text: str, number: int) -> Account:
    if not text:
        raise ValidationError(
            _("Line %(number)s: choose an account.", number=number), field="lines"
        )
    account = None
    if text.isascii() and text.isdigit() and len(text) <= 12:
        account = session.get(Account, int(text))
    if account is None:
        account = session.scalar(select(Account).where(Account.code == text))
    if account is None:
        raise ValidationError(
            _("Line %(number)s: no account %(account)s.", number=number, account=text[:20]),
            field="lines",
        )
    if account.archived:
        raise ValidationError(
            _("Line %(number)s: %(account)s is archived.", number=number, account=account.name),
            field="lines",
        )
    return account


def reverse_entry(session: Session, entry_id: int, day: date, user_id: int | None) -> int:
    """Post the mirror of an entry on `day` (once: a reversed entry is not reversed again)."""
    with write_transaction(session):
        entry = session.get(JournalEntry, entry_id)
        if entry is None:
            raise NotFound(_("No such journal entry."))
        if entry.reverses_id is not None:
            raise ValidationError(_("This entry is itself a reversal; post a new entry instead."))
        if session.scalar(select(JournalEntry.id).where(JournalEntry.reverses_id == entry_id)):
            raise ValidationError(_("This entry has already been reversed."))
        reversal = books.reverse(
            session, entry_id, day=day, narration=f"Reversal of entry #{entry_id}",
            user_id=user_id,
        )  # fmt: skip
        if reversal is None:  # pragma: no cover - a stored entry always has lines
            raise ValidationError(_("This entry has nothing to reverse."))
        audit.record(
            session, "books.reverse", user_id=user_id, entity="journal_entry",
            entity_id=reversal, before={"entry": entry_id},
        )  # fmt: skip
    return reversal
