"""Export the journal of a date range for the shop's accountant: Tally XML and plain CSV.

The XML follows Tally's published import format: one `ENVELOPE` whose `IMPORTDATA` carries
first a `LEDGER` master for every ledger the range's vouchers name (accounts under Tally's
predefined groups, each customer under Sundry Debtors and each supplier under Sundry
Creditors), then one `VOUCHER` per journal entry. In a voucher a debit has ISDEEMEDPOSITIVE
Yes and a negative AMOUNT, a credit No and a positive one, so a voucher's amounts sum to
zero. Amounts are written from integer paise by `money_str`, never through a float.

Tally knows a ledger by its name, case-insensitively, across accounts and parties alike, so
names that would collide (two customers called "Ramesh", a supplier named like an account)
get a stable suffix: the account's code, or the party's id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp.dates import parse_day
from posapp.errors import ValidationError
from posapp.i18n import _
from posapp.models import Customer, Supplier
from posapp.models.books import Account, JournalEntry, JournalLine
from posapp.money import money_str
from posapp.services.csv_io import csv_text, safe_rows
from posapp.services.exports import record_export

# Tally's predefined groups by the account's system key; the rest go by kind (below).
GROUP_BY_KEY = {
    "sales": "Sales Accounts",
    "sales_returns": "Sales Accounts",
    # Cost of goods sold is what the goods sold cost: Tally's trading account shows it with
    # the purchases, above gross profit.
    "cogs": "Purchase Accounts",
    "capital": "Capital Account",
    "drawings": "Capital Account",
    "opening": "Capital Account",
}
TAX_KEY = re.compile(r"^(input|output)_(cgst|sgst|igst|cess)$")
GROUP_BY_KIND = {
    "cash": "Cash-in-Hand",
    "bank": "Bank Accounts",
    "receivable": "Sundry Debtors",
    "payable": "Sundry Creditors",
    # Tally's Stock-in-Hand ledgers take no vouchers (their balance is typed on the ledger),
    # and the books move inventory with every sale and purchase: a current asset, at cost.
    "inventory": "Current Assets",
    "asset": "Current Assets",
    "liability": "Current Liabilities",
    "equity": "Capital Account",
    "income": "Indirect Incomes",
    "expense": "Indirect Expenses",
}
# Source kinds whose voucher type is fixed; the others are Receipt, Payment, Contra or
# Journal by how they move cash and bank (Tally keeps cash and bank out of journals).
FIXED_TYPES = {
    "sale": "Sales",
    "void": "Credit Note",
    "return": "Credit Note",
    "purchase": "Purchase",
    "debit_note": "Debit Note",
}
MONEY_KINDS = frozenset({"cash", "bank"})
# Every voucher is entered as ledger amounts, not as an item invoice (the books carry no items).
VIEW = "Accounting Voucher View"
# Characters XML 1.0 cannot carry at all (not even escaped): dropped from names and text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
CSV_HEADER = [
    "date",
    "voucher_type",
    "voucher_number",
    "narration",
    "account_code",
    "account_name",
    "party",
    "debit",
    "credit",
]
BATCH = 500  # entries read at a time, so a year's export never holds every line at once


class Entry(NamedTuple):
    """The columns of a journal entry the export writes (plain rows: a year is many)."""

    id: int
    day: date
    source_kind: str
    reference: str
    narration: str


class Line(NamedTuple):
    """The columns of a journal line the export writes."""

    id: int
    account_id: int
    debit: int
    credit: int
    customer_id: int | None
    supplier_id: int | None


@dataclass(frozen=True)
class Ledger:
    """One Tally ledger master: its unique name and its group."""

    name: str
    group: str


def parse_range(start: str | None, end: str | None) -> tuple[date, date]:
    """Read the from/to days (YYYY-MM-DD, both needed, from ≤ to) or refuse them."""
    fields: dict[str, str] = {}
    days: dict[str, date] = {}
    for field, text in (("from", start), ("to", end)):
        if not (text or "").strip():
            fields[field] = _("Give a day (YYYY-MM-DD).")
            continue
        try:
            days[field] = parse_day(str(text), field)
        except ValidationError as exc:
            fields[field] = exc.message
    if fields:
        raise ValidationError(next(iter(fields.values())), fields=fields)
    if days["from"] > days["to"]:
        raise ValidationError(
            _("The first day is after the last."), fields={"to": _("On or after the first day.")}
        )
    return days["from"], days["to"]


def xml_text(text: str) -> str:
    """Escape text for an XML element or a double-quoted attribute; drop what XML cannot hold."""
    clean = _NOT_XML.sub("", text)
    return (
        clean.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def account_group(account: Account) -> str:
    """The Tally group an account's ledger goes under."""
    key = account.system_key or ""
    if key in GROUP_BY_KEY:
        return GROUP_BY_KEY[key]
    if TAX_KEY.match(key):
        return "Duties & Taxes"
    return GROUP_BY_KIND.get(account.kind, "Suspense A/c")


class Ledgers:
    """The ledger name of every account and party, unique the way Tally compares names."""

    def __init__(self, session: Session) -> None:
        self.accounts = {a.id: a for a in session.scalars(select(Account))}
        customers: dict[int, str] = {
            int(i): str(n) for i, n in session.execute(select(Customer.id, Customer.name))
        }
        suppliers: dict[int, str] = {
            int(i): str(n) for i, n in session.execute(select(Supplier.id, Supplier.name))
        }
        # Every name in the database counts, not only this range's: a ledger keeps its name
        # from one export to the next, and the accountant's Tally never gets two of it.
        wanted: list[tuple[tuple[str, int], str, str]] = []
        wanted += [(("a", i), _plain(a.name), f" ({a.code})") for i, a in self.accounts.items()]
        wanted += [(("c", i), _plain(n), f" (customer {i})") for i, n in customers.items()]
        wanted += [(("s", i), _plain(n), f" (supplier {i})") for i, n in suppliers.items()]
        seen: dict[str, int] = {}
        for _key, name, _suffix in wanted:
            seen[name.casefold()] = seen.get(name.casefold(), 0) + 1
        # Names used once keep them; the others take their suffix, and a number on top in
        # the rare case that the suffixed name is someone's real name too.
        taken = {name.casefold() for _k, name, _s in wanted if name and seen[name.casefold()] == 1}
        self.names: dict[tuple[str, int], str] = {}
        for key, name, suffix in wanted:
            if name and seen[name.casefold()] == 1:
                self.names[key] = name
                continue
            unique, n = (name + suffix).strip(), 1
            while unique.casefold() in taken:
                n += 1
                unique = f"{(name + suffix).strip()} {n}"
            taken.add(unique.casefold())
            self.names[key] = unique

    def of_line(self, line: Line) -> Ledger:
        """The ledger a journal line posts to: its party's on the control accounts."""
        return self.ledger(line.account_id, line.customer_id, line.supplier_id)

    def ledger(self, account_id: int, customer_id: int | None, supplier_id: int | None) -> Ledger:
        """The ledger of an account, or of the party a control account's line names."""
        account = self.accounts[account_id]
        if account.kind == "receivable" and customer_id is not None:
            return Ledger(self.names[("c", customer_id)], "Sundry Debtors")
        if account.kind == "payable" and supplier_id is not None:
            return Ledger(self.names[("s", supplier_id)], "Sundry Creditors")
        return Ledger(self.names[("a", account.id)], account_group(account))

    def party(self, line: Line) -> str:
        """The customer's or supplier's ledger name a line names ("" for none)."""
        if line.customer_id is not None:
            return self.names[("c", line.customer_id)]
        if line.supplier_id is not None:
            return self.names[("s", line.supplier_id)]
        return ""


def _plain(name: str) -> str:
    # Tally trims names and a ledger name is one line.
    return " ".join(_NOT_XML.sub("", name).split())


def voucher_type(entry: Entry, lines: list[Line], accounts: dict[int, Account]) -> str:
    """The Tally voucher type of an entry: by what posted it, else by its cash and bank."""
    fixed = FIXED_TYPES.get(entry.source_kind)
    if fixed:
        return fixed
    money = [line for line in lines if accounts[line.account_id].kind in MONEY_KINDS]
    if not money:
        return "Journal"
    if len(money) == len(lines):
        return "Contra"
    net = sum(line.debit - line.credit for line in money)
    return "Receipt" if net > 0 else "Payment"


def voucher_number(entry: Entry) -> str:
    """The document's number, or a journal voucher number made from the entry's id."""
    return entry.reference or f"JV/{entry.id}"


def _entries(session: Session, start: date, end: date) -> Iterator[tuple[Entry, list[Line]]]:
    """The range's entries in day order with their lines, a batch at a time (plain rows)."""
    e, j = JournalEntry, JournalLine
    after: tuple[date, int] | None = None
    while True:
        query = select(e.id, e.day, e.source_kind, e.reference, e.narration).where(
            e.day >= start, e.day <= end
        )
        if after is not None:
            query = query.where((e.day > after[0]) | ((e.day == after[0]) & (e.id > after[1])))
        batch = [Entry(*row) for row in session.execute(query.order_by(e.day, e.id).limit(BATCH))]
        if not batch:
            return
        lines: dict[int, list[Line]] = {entry.id: [] for entry in batch}
        for entry_id, line_id, account_id, debit, credit, customer, supplier in session.execute(
            select(j.entry_id, j.id, j.account_id, j.debit, j.credit, j.customer_id, j.supplier_id)
            .where(j.entry_id.in_(list(lines)))
            .order_by(j.id)
        ):
            lines[entry_id].append(Line(line_id, account_id, debit, credit, customer, supplier))
        for entry in batch:
            # Debits first, as Tally shows a voucher.
            yield entry, sorted(lines[entry.id], key=lambda x: (x.debit == 0, x.id))
        after = (batch[-1].day, batch[-1].id)


def _used_ledgers(session: Session, start: date, end: date, ledgers: Ledgers) -> list[Ledger]:
    """Every ledger a voucher of the range names, once each, by group then name."""
    rows = session.execute(
        select(JournalLine.account_id, JournalLine.customer_id, JournalLine.supplier_id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.day >= start, JournalEntry.day <= end)
        .group_by(JournalLine.account_id, JournalLine.customer_id, JournalLine.supplier_id)
    ).all()
    found = {ledgers.ledger(a, c, s) for a, c, s in rows}
    return sorted(found, key=lambda x: (x.group, x.name.casefold()))


def _amount(line: Line) -> str:
    # Tally's sign: a debit is negative, a credit positive.
    return money_str(line.credit - line.debit)


def tally_xml(session: Session, start: date, end: date, company: str = "") -> Iterator[str]:
    """The range as a Tally import file, in chunks of text (UTF-8 when encoded)."""
    ledgers = Ledgers(session)
    company_xml = xml_text(_plain(company))
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield "<ENVELOPE>\n <HEADER>\n  <TALLYREQUEST>Import Data</TALLYREQUEST>\n </HEADER>\n"
    yield " <BODY>\n  <IMPORTDATA>\n   <REQUESTDESC>\n    <REPORTNAME>Vouchers</REPORTNAME>\n"
    yield "    <STATICVARIABLES>\n"
    yield f"     <SVCURRENTCOMPANY>{company_xml}</SVCURRENTCOMPANY>\n"
    yield "    </STATICVARIABLES>\n   </REQUESTDESC>\n   <REQUESTDATA>\n"
    for ledger in _used_ledgers(session, start, end, ledgers):
        name = xml_text(ledger.name)
        yield (
            '    <TALLYMESSAGE xmlns:UDF="TallyUDF">\n'
            f'     <LEDGER NAME="{name}" ACTION="Create">\n'
            '      <NAME.LIST TYPE="String">\n'
            f"       <NAME>{name}</NAME>\n"
            "      </NAME.LIST>\n"
            f"      <PARENT>{xml_text(ledger.group)}</PARENT>\n"
            "      <ISBILLWISEON>No</ISBILLWISEON>\n"
            "     </LEDGER>\n"
            "    </TALLYMESSAGE>\n"
        )
    for entry, lines in _entries(session, start, end):
        yield _voucher(entry, lines, ledgers)
    yield "   </REQUESTDATA>\n  </IMPORTDATA>\n </BODY>\n</ENVELOPE>\n"


def _voucher(entry: Entry, lines: list[Line], ledgers: Ledgers) -> str:
    kind = voucher_type(entry, lines, ledgers.accounts)
    party = next((ledgers.party(line) for line in lines if ledgers.party(line)), "")
    parts = [
        '    <TALLYMESSAGE xmlns:UDF="TallyUDF">\n',
        f'     <VOUCHER VCHTYPE="{kind}" ACTION="Create" OBJVIEW="{VIEW}">\n',
        f"      <DATE>{entry.day:%Y%m%d}</DATE>\n",
        f"      <EFFECTIVEDATE>{entry.day:%Y%m%d}</EFFECTIVEDATE>\n",
        f"      <VOUCHERTYPENAME>{kind}</VOUCHERTYPENAME>\n",
        f"      <VOUCHERNUMBER>{xml_text(voucher_number(entry))}</VOUCHERNUMBER>\n",
    ]
    if party:
        parts.append(f"      <PARTYLEDGERNAME>{xml_text(party)}</PARTYLEDGERNAME>\n")
    parts.append(f"      <PERSISTEDVIEW>{VIEW}</PERSISTEDVIEW>\n")
    parts.append(f"      <NARRATION>{xml_text(entry.narration)}</NARRATION>\n")
    for line in lines:
        parts.append(
            "      <ALLLEDGERENTRIES.LIST>\n"
            f"       <LEDGERNAME>{xml_text(ledgers.of_line(line).name)}</LEDGERNAME>\n"
            f"       <ISDEEMEDPOSITIVE>{'Yes' if line.debit else 'No'}</ISDEEMEDPOSITIVE>\n"
            f"       <AMOUNT>{_amount(line)}</AMOUNT>\n"
            "      </ALLLEDGERENTRIES.LIST>\n"
        )
    parts.append("     </VOUCHER>\n    </TALLYMESSAGE>\n")
    return "".join(parts)


def csv_rows(session: Session, start: date, end: date) -> Iterator[list[str]]:
    """The range one journal line a row (header first), amounts in rupees with 2 decimals."""
    ledgers = Ledgers(session)
    yield CSV_HEADER
    for entry, lines in _entries(session, start, end):
        kind = voucher_type(entry, lines, ledgers.accounts)
        for line in lines:
            account = ledgers.accounts[line.account_id]
            yield [
                entry.day.isoformat(),
                kind,
                voucher_number(entry),
                entry.narration,
                account.code,
                account.name,
                ledgers.party(line),
                money_str(line.debit) if line.debit else "",
                money_str(line.credit) if line.credit else "",
            ]


def csv_chunks(session: Session, start: date, end: date) -> Iterator[str]:
    """The CSV as text chunks (BOM first, cells neutralised against formulas)."""
    return csv_text(safe_rows(csv_rows(session, start, end)))


def count_entries(session: Session, start: date, end: date) -> int:
    """How many entries the range holds (the page tells before downloading)."""
    query = select(func.count()).select_from(JournalEntry)
    return int(session.scalar(query.where(JournalEntry.day >= start, JournalEntry.day <= end)) or 0)


# Download formats: media type and file name stem.
FORMATS = {"xml": ("application/xml", "tally"), "csv": ("text/csv", "journal")}


def download(
    session: Session, kind: str, start: date, end: date, company: str, user_id: int | None
) -> tuple[Iterator[bytes], str, str]:
    """Audit-log the export, then return its UTF-8 chunks, media type and file name."""
    mimetype, stem = FORMATS[kind]
    record_export(session, user_id, f"books {stem}.{kind}", f"{start}..{end}")
    if kind == "xml":
        chunks = tally_xml(session, start, end, company)
    else:
        chunks = csv_chunks(session, start, end)
    name = f"{stem}-{start:%Y%m%d}-{end:%Y%m%d}.{kind}"
    return (chunk.encode("utf-8") for chunk in chunks), mimetype, name
