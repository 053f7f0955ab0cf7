"""The books' statements: trial balance, P&L, balance sheet, day book, ledgers and registers.

Read-only and Flask-free. Balances at a date and totals of a period come from `account_days`
(one row per account and business day), so the trial balance and balance sheet of a shop with
a million journal lines sum a few thousand rows; only the day book, the account books and the
registers read journal lines, and only those of their period.

Every statement answers a `Statement`: columns, rows (each with a depth, so sub-accounts show
indented under their parent) and the figures the API returns. Sub-accounts (`parent_id`) roll
up into their parent: a parent's row is its own balance plus all of its sub-accounts'.

A statement's words (title, period, column titles, the labels of its total rows) are in the
language of the request that builds it, so its page, CSV and PDF read alike; account names,
parties and narrations are data and stay as stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from posapp.i18n import _, lazy
from posapp.models import CreditNote, Customer, DebitNote, Invoice, Purchase, Supplier
from posapp.models.books import DEBIT_KINDS, Account, AccountDay, JournalEntry, JournalLine
from posapp.services.csv_io import neutralise
from posapp.services.report_framework import Column, csv_cell

GST_HEADS = ("cgst", "sgst", "igst", "cess")
# Entries the registers list, and the tables their `source_id` names (for the party).
SALES_KINDS = ("sale", "void", "return")
PURCHASE_KINDS = ("purchase", "debit_note")
# What posted an entry, in words (the day book and ledgers when an entry has no narration, the
# registers' kind column): the English is the kind itself, spaced.
SOURCE_LABELS = {
    "sale": lazy("sale"),
    "void": lazy("void"),
    "return": lazy("return"),
    "payment": lazy("payment"),
    "ledger": lazy("ledger"),
    "purchase": lazy("purchase"),
    "supplier_payment": lazy("supplier payment"),
    "supplier_opening": lazy("supplier opening"),
    "debit_note": lazy("debit note"),
    "expense": lazy("expense"),
    "stock": lazy("stock"),
    "cash_move": lazy("cash move"),
    "over_short": lazy("over short"),
    "manual": lazy("manual"),
    "reversal": lazy("reversal"),
    "history": lazy("history"),
}


def source_label(kind: str) -> str:
    """What posted an entry, in the reader's language (an unknown kind as itself)."""
    label = SOURCE_LABELS.get(kind)
    return str(label) if label is not None else kind.replace("_", " ")


@dataclass
class Row:
    """One row of a statement; `depth` indents a sub-account, `strong` marks a total."""

    cells: list[Any]
    depth: int = 0
    strong: bool = False
    entry_id: int | None = None  # day book: the entry the row opens (for "Reverse")


@dataclass
class Statement:
    """A statement ready for a page, a CSV or a PDF, plus its key figures by name."""

    title: str
    subtitle: str
    columns: list[Column]
    rows: list[Row]
    figures: dict[str, Any] = field(default_factory=dict)


def statement_csv(statement: Statement) -> Iterator[list[str]]:
    """The statement as CSV rows: header then rows, a sub-account's name indented."""
    yield [title for title, _ in statement.columns]
    for row in statement.rows:
        cells = []
        for i, ((_title, kind), value) in enumerate(zip(statement.columns, row.cells, strict=True)):
            text = csv_cell(kind, value)
            if i == 1 and row.depth and kind == "text" and text:
                # Defused before the indent: a spreadsheet may trim the spaces off.
                text = "  " * row.depth + neutralise(text)
            cells.append(text)
        yield cells


# ---------------------------------------------------------------- the chart as a tree


@dataclass
class Node:
    """An account with its own debit−credit and its sub-accounts."""

    account: Account
    own: int = 0
    children: list[Node] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Debit − credit of the account and every sub-account under it."""
        return self.own + sum(child.total for child in self.children)

    @property
    def active(self) -> bool:
        """Whether the account or any sub-account under it has a balance to show."""
        return self.own != 0 or any(child.active for child in self.children)

    def walk(self, depth: int = 0) -> Iterator[tuple[Node, int]]:
        """This node then its sub-accounts, depth first, in code order."""
        yield self, depth
        for child in sorted(self.children, key=lambda node: node.account.code):
            yield from child.walk(depth + 1)


def chart_tree(session: Session, net: dict[int, int]) -> list[Node]:
    """The chart's top-level accounts (code order), each holding its sub-accounts and the
    own debit−credit given in `net` (account id → amount)."""
    accounts = list(session.scalars(select(Account).order_by(Account.code)))
    nodes = {account.id: Node(account, net.get(account.id, 0)) for account in accounts}
    roots = []
    for account in accounts:
        parent = nodes.get(account.parent_id) if account.parent_id else None
        if parent is not None:
            parent.children.append(nodes[account.id])
        else:
            roots.append(nodes[account.id])
    return roots


def _day_totals(
    session: Session, *, at: date | None = None, start: date | None = None
) -> dict[int, int]:
    """Per account: debit − credit of the day totals up to `at` (and from `start`)."""
    query = select(
        AccountDay.account_id, func.sum(AccountDay.debit) - func.sum(AccountDay.credit)
    ).group_by(AccountDay.account_id)
    if at is not None:
        query = query.where(AccountDay.day <= at)
    if start is not None:
        query = query.where(AccountDay.day >= start)
    return {int(account_id): int(amount or 0) for account_id, amount in session.execute(query)}


def balances(session: Session, at: date) -> list[tuple[Account, int, int]]:
    """Every account with its rolled-up balance at the end of `at` as (account, debit,
    credit): one of the two is zero. For the chart page and the API."""
    rows = []
    for root in chart_tree(session, _day_totals(session, at=at)):
        for node, _depth in root.walk():
            total = node.total
            rows.append((node.account, max(total, 0), max(-total, 0)))
    return rows


def _period(start: date, end: date) -> str:
    """A statement's period in words."""
    return _("%(start)s to %(end)s", start=start.isoformat(), end=end.isoformat())


def _sign(kind: str) -> int:
    """+1 for debit-normal kinds, −1 for credit-normal ones (shown positive when normal)."""
    return 1 if kind in DEBIT_KINDS else -1


# ---------------------------------------------------------------- trial balance


def trial_balance(session: Session, at: date) -> Statement:
    """Every account with a balance at the end of `at`, in a debit or a credit column.

    Totals add the top-level rows only (a parent's row already holds its sub-accounts), and
    agree whenever every entry balanced.
    """
    rows: list[Row] = []
    accounts: list[dict[str, Any]] = []
    total_debit = total_credit = 0
    for root in chart_tree(session, _day_totals(session, at=at)):
        for node, depth in root.walk():
            total = node.total
            if not node.active:
                continue
            debit, credit = max(total, 0), max(-total, 0)
            account = node.account
            rows.append(Row([account.code, account.name, debit or None, credit or None], depth))
            accounts.append(
                {
                    "code": account.code,
                    "name": account.name,
                    "kind": account.kind,
                    "depth": depth,
                    "debit": debit,
                    "credit": credit,
                }
            )
            if depth == 0:
                total_debit += debit
                total_credit += credit
    rows.append(Row(["", _("Total"), total_debit, total_credit], strong=True))
    return Statement(
        _("Trial balance"),
        _("As at the end of %(day)s", day=at.isoformat()),
        [
            (_("Code"), "text"),
            (_("Account"), "text"),
            (_("Debit"), "money"),
            (_("Credit"), "money"),
        ],
        rows,
        {"accounts": accounts, "total_debit": total_debit, "total_credit": total_credit},
    )


# ---------------------------------------------------------------- profit and loss


def _root_key(node: Node) -> str:
    return node.account.system_key or ""


def profit_and_loss(session: Session, start: date, end: date) -> Statement:
    """Income and expenses of a period: net sales, COGS, gross profit, the rest, net profit.

    Income shows as credit − debit, expenses as debit − credit. Sales returns are an income
    account with a debit balance, so they come off sales; round-off and cash over/short and
    any income account the admin adds are other income.
    """
    net = _day_totals(session, at=end, start=start)
    roots = [
        node for node in chart_tree(session, net) if node.account.kind in ("income", "expense")
    ]
    by_key = {_root_key(node): node for node in roots}

    def income(key: str) -> int:
        node = by_key.get(key)
        return -node.total if node else 0

    sales = income("sales")
    returns = -income("sales_returns")
    cogs = by_key["cogs"].total if "cogs" in by_key else 0
    net_sales = sales - returns
    gross = net_sales - cogs
    rows: list[Row] = []

    def add(node: Node, sign: int) -> None:
        for sub, depth in node.walk():
            if sub.active or depth == 0:
                rows.append(Row([sub.account.code, sub.account.name, sign * sub.total], depth))

    if "sales" in by_key:
        add(by_key["sales"], -1)
    if "sales_returns" in by_key:
        add(by_key["sales_returns"], 1)  # shown as what comes off sales
    rows.append(Row(["", _("Net sales"), net_sales], strong=True))
    if "cogs" in by_key:
        add(by_key["cogs"], 1)
    rows.append(Row(["", _("Gross profit"), gross], strong=True))
    main = {"sales", "sales_returns", "cogs"}
    other_income = 0
    for node in roots:
        if node.account.kind == "income" and _root_key(node) not in main and node.active:
            add(node, -1)
            other_income -= node.total
    rows.append(Row(["", _("Other income"), other_income], strong=True))
    expenses = 0
    for node in roots:
        if node.account.kind == "expense" and _root_key(node) not in main and node.active:
            add(node, 1)
            expenses += node.total
    rows.append(Row(["", _("Expenses"), expenses], strong=True))
    net_profit = gross + other_income - expenses
    net_title = _("Net profit") if net_profit >= 0 else _("Net loss")
    rows.append(Row(["", net_title, net_profit], strong=True))
    return Statement(
        _("Profit and loss"),
        _period(start, end),
        [(_("Code"), "text"), (_("Account"), "text"), (_("Amount"), "money")],
        rows,
        {
            "sales": sales,
            "sales_returns": returns,
            "net_sales": net_sales,
            "cogs": cogs,
            "gross_profit": gross,
            "other_income": other_income,
            "expenses": expenses,
            "net_profit": net_profit,
        },
    )


# ---------------------------------------------------------------- balance sheet


def _is_gst(node: Node) -> bool:
    key = _root_key(node)
    return key.startswith(("input_", "output_")) and key.split("_", 1)[1] in GST_HEADS


def balance_sheet(session: Session, at: date) -> Statement:
    """Assets, liabilities and equity at the end of `at`; balances by construction.

    GST shows as one liability, output tax less input tax (a negative figure is tax the shop
    may set off later). Equity carries the profit to date (income − expenses of every day up
    to `at`), as no period is ever closed into capital.
    """
    roots = chart_tree(session, _day_totals(session, at=at))
    rows: list[Row] = []

    def section(title: str, nodes: list[Node], sign: int) -> int:
        rows.append(Row(["", title, None], strong=True))
        total = 0
        for node in nodes:
            for sub, depth in node.walk():
                if sub.active:
                    rows.append(
                        Row([sub.account.code, sub.account.name, sign * sub.total], depth + 1)
                    )
            total += sign * node.total
        return total

    assets = [n for n in roots if n.account.kind in DEBIT_KINDS - {"expense"} and not _is_gst(n)]
    total_assets = section(_("Assets"), assets, 1)
    rows.append(Row(["", _("Total assets"), total_assets], strong=True))

    liabilities = [
        n for n in roots if n.account.kind in ("liability", "payable") and not _is_gst(n)
    ]
    total_liabilities = section(_("Liabilities"), liabilities, -1)
    gst_nodes = [n for n in roots if _is_gst(n)]
    gst = -sum(n.total for n in gst_nodes)
    rows.append(Row(["", _("GST payable (output − input)"), gst], 1))
    for node in gst_nodes:
        if node.total:
            rows.append(Row([node.account.code, node.account.name, -node.total], 2))
    total_liabilities += gst
    rows.append(Row(["", _("Total liabilities"), total_liabilities], strong=True))

    equity_nodes = [n for n in roots if n.account.kind == "equity"]
    total_equity = section(_("Equity"), equity_nodes, -1)
    profit = -sum(n.total for n in roots if n.account.kind in ("income", "expense"))
    rows.append(Row(["", _("Profit to date (retained)"), profit], 1))
    total_equity += profit
    rows.append(Row(["", _("Total equity"), total_equity], strong=True))
    rows.append(
        Row(["", _("Total liabilities and equity"), total_liabilities + total_equity], strong=True)
    )
    return Statement(
        _("Balance sheet"),
        _("As at the end of %(day)s", day=at.isoformat()),
        [(_("Code"), "text"), (_("Account"), "text"), (_("Amount"), "money")],
        rows,
        {
            "assets": total_assets,
            "liabilities": total_liabilities,
            "gst_payable": gst,
            "equity": total_equity,
            "retained_profit": profit,
        },
    )


# ---------------------------------------------------------------- day book and ledgers


def _names(session: Session) -> dict[int, tuple[str, str]]:
    return {a.id: (a.code, a.name) for a in session.scalars(select(Account))}


def _party_names(
    session: Session, customer_ids: Iterable[int], supplier_ids: Iterable[int]
) -> tuple[dict[int, str], dict[int, str]]:
    customers = set(customer_ids)
    suppliers = set(supplier_ids)
    found_c: dict[int, str] = {}
    found_s: dict[int, str] = {}
    if customers:
        query = select(Customer.id, Customer.name).where(Customer.id.in_(customers))
        found_c = {int(i): str(n) for i, n in session.execute(query)}
    if suppliers:
        query = select(Supplier.id, Supplier.name).where(Supplier.id.in_(suppliers))
        found_s = {int(i): str(n) for i, n in session.execute(query)}
    return found_c, found_s


def day_book(session: Session, start: date, end: date, *, limit: int | None = None) -> Statement:
    """Every entry of the days, oldest first, each followed by its lines.

    With `limit`, only that many entries are read (a page); `figures["entries"]` says how
    many there are in all.
    """
    query = (
        select(JournalEntry)
        .where(JournalEntry.day >= start, JournalEntry.day <= end)
        .order_by(JournalEntry.day, JournalEntry.id)
    )
    count = int(
        session.scalar(
            select(func.count(JournalEntry.id)).where(
                JournalEntry.day >= start, JournalEntry.day <= end
            )
        )
        or 0
    )
    if limit is not None:
        query = query.limit(limit)
    entries = list(session.scalars(query))
    ids = [entry.id for entry in entries]
    lines: dict[int, list[JournalLine]] = {entry_id: [] for entry_id in ids}
    for start_at in range(0, len(ids), 500):
        chunk = ids[start_at : start_at + 500]
        for line in session.scalars(
            select(JournalLine).where(JournalLine.entry_id.in_(chunk)).order_by(JournalLine.id)
        ):
            lines[line.entry_id].append(line)
    names = _names(session)
    customers, suppliers = _party_names(
        session,
        (line.customer_id for group in lines.values() for line in group if line.customer_id),
        (line.supplier_id for group in lines.values() for line in group if line.supplier_id),
    )
    rows: list[Row] = []
    total_debit = total_credit = 0
    for entry in entries:
        what = entry.narration or source_label(entry.source_kind)
        rows.append(
            Row(
                [entry.day, f"#{entry.id} {entry.reference}".strip(), what, None, None],
                strong=True,
                entry_id=entry.id,
            )
        )
        for line in lines[entry.id]:
            code, name = names.get(line.account_id, ("?", "?"))
            party = customers.get(line.customer_id or 0) or suppliers.get(line.supplier_id or 0)
            text = f"{code} {name}" + (f" — {party}" if party else "")
            rows.append(Row([None, "", text, line.debit or None, line.credit or None], 1))
            total_debit += line.debit
            total_credit += line.credit
    return Statement(
        _("Day book"),
        _period(start, end),
        [
            (_("Date"), "date"),
            (_("Entry"), "text"),
            (_("Account / narration"), "text"),
            (_("Debit"), "money"),
            (_("Credit"), "money"),
        ],
        rows,
        {"entries": count, "total_debit": total_debit, "total_credit": total_credit},
    )


def _subtree_ids(session: Session, account_id: int) -> list[int]:
    """The account and every sub-account under it."""
    children: dict[int, list[int]] = {}
    for child_id, parent_id in session.execute(
        select(Account.id, Account.parent_id).where(Account.parent_id.is_not(None))
    ):
        children.setdefault(int(parent_id or 0), []).append(int(child_id))
    found, todo = [], [account_id]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _ledger(
    session: Session,
    title: str,
    subtitle: str,
    account_ids: list[int],
    sign: int,
    start: date,
    end: date,
    *,
    customer_id: int | None = None,
    supplier_id: int | None = None,
) -> Statement:
    """Opening balance, each line of the period with a running balance, closing balance."""
    opening_query = (
        select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.account_id.in_(account_ids), JournalEntry.day < start)
    )
    lines_query = (
        select(JournalEntry, JournalLine)
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .where(
            JournalLine.account_id.in_(account_ids),
            JournalEntry.day >= start,
            JournalEntry.day <= end,
        )
        .order_by(JournalEntry.day, JournalEntry.id, JournalLine.id)
    )
    if customer_id is not None:
        opening_query = opening_query.where(JournalLine.customer_id == customer_id)
        lines_query = lines_query.where(JournalLine.customer_id == customer_id)
    if supplier_id is not None:
        opening_query = opening_query.where(JournalLine.supplier_id == supplier_id)
        lines_query = lines_query.where(JournalLine.supplier_id == supplier_id)
    if customer_id is None and supplier_id is None:
        # Without a party the day totals give the opening balance without reading lines.
        opening_query = select(
            func.coalesce(func.sum(AccountDay.debit - AccountDay.credit), 0)
        ).where(AccountDay.account_id.in_(account_ids), AccountDay.day < start)
    running = sign * int(session.scalar(opening_query) or 0)
    rows = [Row([start, "", _("Opening balance"), None, None, running], strong=True)]
    total_debit = total_credit = 0
    for entry, line in session.execute(lines_query):
        running += sign * (line.debit - line.credit)
        total_debit += line.debit
        total_credit += line.credit
        what = entry.narration or source_label(entry.source_kind)
        rows.append(
            Row(
                [entry.day, f"#{entry.id} {entry.reference}".strip(), what,
                 line.debit or None, line.credit or None, running],
                entry_id=entry.id,
            )
        )  # fmt: skip
    rows.append(
        Row([end, "", _("Closing balance"), total_debit, total_credit, running], strong=True)
    )
    return Statement(
        title,
        subtitle,
        [
            (_("Date"), "date"),
            (_("Entry"), "text"),
            (_("Narration"), "text"),
            (_("Debit"), "money"),
            (_("Credit"), "money"),
            (_("Balance"), "money"),
        ],
        rows,
        {
            "opening": rows[0].cells[5],
            "closing": running,
            "debit": total_debit,
            "credit": total_credit,
        },
    )


def account_book(session: Session, account_id: int, start: date, end: date) -> Statement:
    """One account's ledger (with its sub-accounts) with a running balance, shown positive
    when it is the account's normal side: the cash book is the cash account's, each bank
    account's its bank book."""
    account = session.get(Account, account_id)
    if account is None:
        raise LookupError(f"no account {account_id}")
    return _ledger(
        session,
        f"{account.code} {account.name}",
        _period(start, end),
        _subtree_ids(session, account.id),
        _sign(account.kind),
        start,
        end,
    )


def party_ledger(
    session: Session,
    *,
    customer_id: int | None = None,
    supplier_id: int | None = None,
    start: date,
    end: date,
) -> Statement:
    """A customer's lines on the receivable account (what they owe, positive) or a
    supplier's on the payable account (what the shop owes them, positive)."""
    kind = "receivable" if customer_id is not None else "payable"
    ids = [int(i) for i in session.scalars(select(Account.id).where(Account.kind == kind))]
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise LookupError(f"no customer {customer_id}")
        title = _("Customer ledger: %(name)s", name=customer.name)
    else:
        supplier = session.get(Supplier, supplier_id)
        if supplier is None:
            raise LookupError(f"no supplier {supplier_id}")
        title = _("Supplier ledger: %(name)s", name=supplier.name)
    return _ledger(
        session,
        title,
        _period(start, end),
        ids,
        1 if customer_id is not None else -1,
        start,
        end,
        customer_id=customer_id,
        supplier_id=supplier_id,
    )


# ---------------------------------------------------------------- registers and GST


def _keyed_ids(session: Session, keys: Iterable[str]) -> dict[int, str]:
    """Account id → the system key of its top-level ancestor, for the accounts under `keys`."""
    wanted = set(keys)
    accounts = {a.id: a for a in session.scalars(select(Account))}
    found: dict[int, str] = {}
    for account in accounts.values():
        top = account
        while top.parent_id and top.parent_id in accounts:
            top = accounts[top.parent_id]
        if top.system_key in wanted:
            found[account.id] = str(top.system_key)
    return found


def _register(
    session: Session,
    title: str,
    kinds: tuple[str, ...],
    taxable_keys: tuple[str, ...],
    tax_side: str,
    start: date,
    end: date,
) -> Statement:
    """One row per entry of `kinds`: taxable value, each tax head, total (signed so a
    void, return or debit note counts against the period)."""
    keyed = _keyed_ids(
        session, (*taxable_keys, *(f"{tax_side}_{h}" for h in GST_HEADS), "round_off")
    )
    # Sales-side accounts are credit-normal, the purchase side's (inventory, input tax) debit.
    sign = -1 if tax_side == "output" else 1
    # An admin's reversal of one of these entries (the day book's "Reverse") counts too, as
    # the mirror of the row it undoes, so the register agrees with the books.
    original = aliased(JournalEntry)
    query = (
        select(
            JournalEntry.id,
            JournalEntry.day,
            JournalEntry.reference,
            JournalEntry.source_kind,
            JournalEntry.source_id,
            original.source_kind,
            original.source_id,
            JournalLine.account_id,
            func.sum(JournalLine.debit - JournalLine.credit),
        )
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .outerjoin(original, original.id == JournalEntry.reverses_id)
        .where(
            or_(
                JournalEntry.source_kind.in_(kinds),
                and_(JournalEntry.source_kind == "reversal", original.source_kind.in_(kinds)),
            ),
            JournalEntry.day >= start,
            JournalEntry.day <= end,
            JournalLine.account_id.in_(list(keyed)),
        )
        .group_by(
            JournalEntry.id,
            JournalEntry.day,
            JournalEntry.reference,
            JournalEntry.source_kind,
            JournalEntry.source_id,
            original.source_kind,
            original.source_id,
            JournalLine.account_id,
        )
        .order_by(JournalEntry.day, JournalEntry.id)
    )
    entries: dict[int, dict[str, Any]] = {}
    for (
        entry_id, day, reference, source_kind, source_id, original_kind, original_source,
        account_id, amount,
    ) in session.execute(query):  # fmt: skip
        reversal = source_kind == "reversal"
        row = entries.setdefault(
            entry_id,
            {"day": day, "reference": reference, "kind": source_kind,
             "party_kind": original_kind if reversal else source_kind,
             "source": original_source if reversal else source_id,
             "taxable": 0, "round_off": 0, **dict.fromkeys(GST_HEADS, 0)},
        )  # fmt: skip
        key = keyed[account_id]
        value = sign * int(amount or 0)
        if key in taxable_keys:
            row["taxable"] += value
        elif key == "round_off":
            row["round_off"] += value
        else:
            row[key.split("_", 1)[1]] += value
    parties = _register_parties(session, entries.values())
    rows: list[Row] = []
    totals = {"taxable": 0, **dict.fromkeys(GST_HEADS, 0), "total": 0}
    for entry_id, row in entries.items():
        total = row["taxable"] + sum(row[h] for h in GST_HEADS) + row["round_off"]
        rows.append(
            Row(
                [row["day"], row["reference"] or f"#{entry_id}", source_label(row["kind"]),
                 parties.get((row["party_kind"], row["source"]), ""), row["taxable"],
                 *(row[h] for h in GST_HEADS), total],
                entry_id=entry_id,
            )
        )  # fmt: skip
        totals["taxable"] += row["taxable"]
        for head in GST_HEADS:
            totals[head] += row[head]
        totals["total"] += total
    rows.append(
        Row(
            [None, "", "", _("Total"), totals["taxable"], *(totals[h] for h in GST_HEADS),
             totals["total"]],
            strong=True,
        )
    )  # fmt: skip
    return Statement(
        title,
        _period(start, end),
        [
            (_("Date"), "date"),
            (_("Number"), "text"),
            (_("Kind"), "text"),
            (_("Party"), "text"),
            (_("Taxable"), "money"),
            ("CGST", "money"),
            ("SGST", "money"),
            ("IGST", "money"),
            (_("Cess"), "money"),
            (_("Total"), "money"),
        ],
        rows,
        totals,
    )


def _register_parties(
    session: Session, rows: Iterable[dict[str, Any]]
) -> dict[tuple[str, int | None], str]:
    """(source_kind, source_id) → the customer's or supplier's name of each register row."""
    wanted: dict[str, set[int]] = {}
    for row in rows:
        if row["source"] is not None:
            wanted.setdefault(row["party_kind"], set()).add(int(row["source"]))
    found: dict[tuple[str, int | None], str] = {}
    sources: dict[str, Any] = {
        "sale": (Invoice.id, Invoice.customer_id, Customer),
        "void": (Invoice.id, Invoice.customer_id, Customer),
        "return": (CreditNote.id, CreditNote.customer_id, Customer),
        "purchase": (Purchase.id, Purchase.supplier_id, Supplier),
        "debit_note": (DebitNote.id, DebitNote.supplier_id, Supplier),
    }
    for kind, ids in wanted.items():
        id_column, party_column, party = sources[kind]
        listed = sorted(ids)
        for at in range(0, len(listed), 500):
            for source_id, name in session.execute(
                select(id_column, party.name)
                .join(party, party.id == party_column)
                .where(id_column.in_(listed[at : at + 500]))
            ):
                found[(kind, int(source_id))] = str(name)
    return found


def sales_register(session: Session, start: date, end: date) -> Statement:
    """Sales, voids and returns of the period from the journal: taxable, tax heads, total."""
    return _register(
        session, _("Sales register"), SALES_KINDS, ("sales", "sales_returns"), "output", start, end
    )


def purchase_register(session: Session, start: date, end: date) -> Statement:
    """Purchases and debit notes of the period from the journal (taxable = stock taken in)."""
    return _register(
        session, _("Purchase register"), PURCHASE_KINDS, ("inventory",), "input", start, end
    )


def gst_ledger(session: Session, start: date, end: date) -> Statement:
    """Per month: output tax (credit − debit) and input tax (debit − credit) by head, and the
    net payable (output − input) from the day totals."""
    keyed = _keyed_ids(session, [f"{side}_{h}" for side in ("output", "input") for h in GST_HEADS])
    months: dict[str, dict[str, int]] = {}
    for account_id, day, debit, credit in session.execute(
        select(AccountDay.account_id, AccountDay.day, AccountDay.debit, AccountDay.credit).where(
            AccountDay.account_id.in_(list(keyed)), AccountDay.day >= start, AccountDay.day <= end
        )
    ):
        bucket = months.setdefault(day.strftime("%Y-%m"), {})
        key = keyed[account_id]
        amount = (credit - debit) if key.startswith("output") else (debit - credit)
        bucket[key] = bucket.get(key, 0) + int(amount)
    heads = [f"{side}_{h}" for side in ("output", "input") for h in GST_HEADS]
    rows = []
    totals = dict.fromkeys([*heads, "net"], 0)
    for month in sorted(months):
        values = [months[month].get(head, 0) for head in heads]
        net = sum(values[:4]) - sum(values[4:])
        rows.append(Row([month, *values, net]))
        for head, value in zip(heads, values, strict=True):
            totals[head] += value
        totals["net"] += net
    rows.append(Row([_("Total"), *(totals[h] for h in heads), totals["net"]], strong=True))
    columns: list[Column] = [(_("Month"), "text")]
    columns += [
        (_("Output %(head)s", head=h.upper()) if h != "cess" else _("Output cess"), "money")
        for h in GST_HEADS
    ]
    columns += [
        (_("Input %(head)s", head=h.upper()) if h != "cess" else _("Input cess"), "money")
        for h in GST_HEADS
    ]
    columns.append((_("Net payable"), "money"))
    return Statement(_("GST ledger"), _period(start, end), columns, rows, totals)
