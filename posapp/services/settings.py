"""The settings store: the one module that reads and writes the key/value settings table.

Typed `ShopSettings` through the app's session (`load_settings`, `save_settings`, one raw
`stored_value`), and, for the moments the app's engine is not there (start-up before the app,
a restore that swaps the file, the numbers carried forward after it), the same table through
raw sqlite3 (`read_from_file`, `write_to_file`, `read_in`, `write_in`). Audited saves from the
pages go through `shop_settings.save_changes`, which writes through here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, fields
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from posapp.i18n import lazy
from posapp.models import Setting
from posapp.vocabulary import is_yes
from posapp.winfs import sqlite_ro_uri

# What a sale does when stock is short (the setting `stock_policy`), with the choice's label.
STOCK_POLICIES = {
    "block": "Block the sale (an admin can approve it with their PIN)",
    "warn": "Warn and sell (stock goes negative)",
}


# The footer of a new shop's receipts, in the documents' language until the shop writes its
# own (issued.py looks the stored text up in the catalogs; a shop's own words stay as they are).
DEFAULT_RECEIPT_FOOTER = lazy("Thank you! Visit again.")


@dataclass
class ShopSettings:
    """Every shop setting with its default (docs/DESIGN.md §3)."""

    shop_name: str = "My Shop"
    address: str = ""
    phone: str = ""
    email: str = ""
    tax_number: str = ""  # the shop's GSTIN ("" = not registered for GST)
    # The shop's two-digit GST state code (the GSTIN's first two digits when one is set): a
    # sale to a customer in another state is inter-state (IGST).
    state_code: str = ""
    # Registered under the composition scheme: bills are a "Bill of Supply" with no tax.
    composition_scheme: bool = False
    logo: str = ""  # the logo's content name: <data dir>/logos/<logo>.png, "" for none
    currency: str = "INR"
    locale: str = "en_IN"
    invoice_prefix: str = "INV"
    fy_start_month: int = 4
    prices_include_tax: bool = True
    split_tax: bool = True
    round_off: bool = False
    receipt_width_mm: int = 80
    receipt_footer: str = str(DEFAULT_RECEIPT_FOOTER.message)
    low_stock_default_milli: int = 5000
    # When a sale needs more than is in stock: "block" asks for an admin's approval at the
    # till, "warn" sells (stock goes negative) and tells the cashier.
    stock_policy: str = "block"
    expiry_warning_days: int = 30
    dead_stock_days: int = 60
    # Weighing-scale labels (services/scale_labels.py): the EAN-13 prefixes the scales print
    # ("20-29", "21,22"; an old "2" reads as 20-29), the digits of the item's scale PLU, what
    # the label carries (weight in grams, or price in minor units) and whether a price check
    # digit stands before it.
    scale_prefix: str = "20-29"
    scale_item_digits: int = 5
    scale_value: str = "weight"
    scale_price_check: bool = False
    phone_region: str = "IN"  # how phone numbers typed without a country code are read
    label_sheet: str = "a4-3x8"  # a key of services.labels.SHEET_FORMATS
    # Idle minutes before a logged-in session ends (0 = never). 8 hours covers a shop's
    # working shift, where the till sits idle between customers, yet still ends a session
    # left open overnight on a shared counter computer.
    session_timeout_minutes: int = 480
    # Days a token from an API login lives after its last use (it slides on with each use).
    api_token_days: int = 30
    # Every admin must use two-step login (an admin without it is sent to set it up).
    admin_two_step_required: bool = False
    # A cash sale or cash refund needs the cashier's open drawer session (cash sessions).
    cash_session_required: bool = False
    # Share on the local network: the desktop app then listens on every interface at lan_port
    # (as `serve --lan` does), so the shop's other tills, tablets and phones can open it.
    lan_sharing: bool = False
    lan_port: int = 8000
    # HTTPS for the same devices (browsers give the camera only to secure origins), with a
    # certificate from the shop's own CA (services/tls.py).
    lan_https_port: int = 8443
    offsite_backup_dir: str = ""  # a folder (USB stick, network share) every backup is copied to
    offsite_last_copy: str = ""  # ISO time (UTC) of the last successful off-site copy
    # Host names besides 127.0.0.1/localhost the app answers to, comma-separated (a name the
    # shop gave the till on its network, or a proxy's public name).
    allowed_hosts: str = ""
    # Which template the invoice PDF uses: "a4" (classic), "a5" (compact) or "receipt"
    # (the 58/80 mm receipt as a PDF, at receipt_width_mm).
    invoice_layout: str = "a4"
    # The language of issued documents (invoices, receipts, statements, the khata reminder):
    # "en", "hi" or "bilingual" ("Total / कुल"); posapp.i18n.DOCUMENT_LANGUAGES.
    documents_language: str = "en"
    # Amounts, quantities and dates shown in Hindi or Marathi (screens in that language, documents
    # issued in Hindi) are written with Devanagari digits, ₹१,२५,०००.००; the grouping stays
    # the locale's. English screens, form fields, CSV files and the API keep 0-9.
    devanagari_digits: bool = False
    # A sale whose line or bill discount exceeds this percentage is audit-logged (issue 9).
    discount_audit_percent: int = 10
    # The credit limit (minor units) every new customer gets unless an admin gives one, so
    # udhaar works at once for a customer added at the till; with new_customer_no_credit_limit
    # they get no limit at all (docs/DESIGN.md, credit).
    new_customer_credit_limit: int = 200_000
    new_customer_no_credit_limit: bool = False
    # The largest discount a cashier may give without an admin's PIN (services/approvals.py).
    cashier_max_line_discount_percent: int = 10
    cashier_max_bill_discount_percent: int = 5
    # The ESC/POS receipt printer: none, usb (vendor/product id as 4 hex digits), network
    # (host, port) or windows (a printer by name, on Windows only).
    printer_kind: str = "none"
    printer_usb_vendor: str = ""
    printer_usb_product: str = ""
    printer_host: str = ""
    printer_port: int = 9100
    printer_windows_name: str = ""
    printer_auto_print: bool = False  # print the receipt on the printer after each sale
    printer_open_drawer: bool = False  # kick the cash drawer (through the printer) on cash sales
    # Print every receipt line as an image, not only those the printer's code page lacks
    # (Devanagari, ₹): one font throughout, for printers that garble even Latin text.
    printer_as_image: bool = False
    # UPI (services/upi.py): the shop's UPI IDs as JSON ([{"vpa", "label", "default"}]),
    # the payee name the customer's app shows ("" = the shop's name), and whether receipts
    # and A4 invoices carry a UPI QR for the balance due.
    upi_ids: str = ""
    upi_payee_name: str = ""
    upi_qr_on_documents: bool = False
    # The admin dashboard's "Getting started" checklist, hidden for good by an admin
    # (services/getting_started.py); the settings page shows it again.
    getting_started_hidden: bool = False
    # The shop part of the documents issued before snapshots existed, frozen once by the
    # migration c18e5a7f3b42 (services/issued.py); never written by any page.
    issued_legacy_base: str = ""

    @property
    def allow_negative_stock(self) -> bool:
        """Whether a short sale may sell without approval (the stock policy "warn")."""
        return self.stock_policy == "warn"


def _decode(kind: type, raw: str) -> object:
    if kind is bool:
        return is_yes(raw)
    if kind is int:
        return int(raw)
    return raw


def _encode(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


# Built once: every sale reads the settings, and Core skips the ORM's per-query work.
_ALL_SETTINGS = select(Setting.__table__.c.key, Setting.__table__.c.value)


def load_settings(session: Session) -> ShopSettings:
    """Return the shop settings, defaults filled in for keys never saved."""
    stored: dict[str, str] = dict(session.connection().execute(_ALL_SETTINGS).all())
    result = ShopSettings()
    for f in fields(ShopSettings):
        if f.name in stored:
            kind = type(getattr(result, f.name))
            try:
                setattr(result, f.name, _decode(kind, stored[f.name]))
            except ValueError:
                continue  # a hand-edited bad value falls back to the default
    return result


def save_settings(session: Session, **values: object) -> dict[str, tuple[str, str]]:
    """Store the given settings (caller commits); return {key: (old, new)} of what changed."""
    known = {f.name for f in fields(ShopSettings)}
    current = load_settings(session)
    changed: dict[str, tuple[str, str]] = {}
    for key, value in values.items():
        if key not in known:
            raise KeyError(key)
        old = _encode(getattr(current, key))
        new = _encode(value)
        if old == new and session.get(Setting, key) is not None:
            continue
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=new))
        else:
            row.value = new
        if old != new:
            changed[key] = (old, new)
    return changed


def stored_value(session: Session, key: str) -> str | None:
    """One stored value as text, or None when never saved (any key, typed or not).

    For the settings read on every request (one row, not the whole table).
    """
    row = session.get(Setting, key)
    return row.value if row is not None else None


def store_value(session: Session, key: str, value: str) -> None:
    """Store one untyped value (a marker such as "books opened"), in the caller's transaction."""
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


# Raw sqlite3: the SQL that knows the table lives here and nowhere else.
_SELECT = "SELECT value FROM settings WHERE key = ?"
_UPSERT = (
    "INSERT INTO settings (key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)


def read_in(connection: sqlite3.Connection, key: str) -> str | None:
    """One stored value through an open sqlite3 connection (inside the caller's transaction)."""
    row = connection.execute(_SELECT, (key,)).fetchone()
    return str(row[0]) if row else None


def write_in(connection: sqlite3.Connection, key: str, value: str) -> None:
    """Store one value through an open sqlite3 connection (the caller commits)."""
    connection.execute(_UPSERT, (key, value))


def read_from_file(path: Path, key: str) -> str:
    """Read one setting straight from a database file, "" if missing (works before migrations)."""
    connection = sqlite3.connect(sqlite_ro_uri(path), uri=True, timeout=15)
    try:
        value = read_in(connection, key)
    except sqlite3.DatabaseError:
        return ""
    finally:
        connection.close()
    return value or ""


def write_to_file(path: Path, key: str, value: str) -> None:
    """Store one setting straight into a database file, committed (sqlite3.Error on failure)."""
    connection = sqlite3.connect(str(path), timeout=15)
    try:
        with connection:
            write_in(connection, key, value)
    finally:
        connection.close()


# ---------------------------------------------------------------- the link to an HQ

# Kept apart from ShopSettings on purpose: the credential is a secret, so these keys are not
# in the API's settings answer, the settings pages or any export; only services/hq_client.py
# and the Admin -> HQ page (which shows the credential's last characters) read them.
HQ_KEYS = (
    *("hq_url", "hq_shop_id", "hq_credential", "hq_acked_seq"),
    *("hq_last_sync", "hq_last_error", "hq_last_attempt", "hq_recheck_ack"),
)


@dataclass
class HqLink:
    """The shop's enrolment at an HQ and the state of its push (issue 24)."""

    url: str = ""  # HQ's base URL, e.g. https://hq.example.in
    shop_id: str = ""  # this shop's UUID at HQ; "" = not enrolled
    credential: str = ""  # the secret HQ gave at enrolment (Bearer)
    acked_seq: int = 0  # the highest outbox seq HQ confirmed it holds
    last_sync: str = ""  # ISO time (UTC) of the last push HQ answered 200
    last_error: str = ""  # why the last push failed, in words ("" = it did not)
    # ISO time (UTC) the last push ended, whichever way: "Sync now" shows when it has run.
    last_attempt: str = ""
    # Set by a restore (services/sync_outbox.py carry_forward): HQ may hold numbers beyond
    # what this copy knows it sent, so the next push asks HQ's ack before sending anything.
    recheck_ack: bool = False

    @property
    def enrolled(self) -> bool:
        """Whether the shop is enrolled (and so writes changesets)."""
        return bool(self.shop_id)

    @property
    def credential_hint(self) -> str:
        """The credential as a page may show it: its last four characters only."""
        return "…" + self.credential[-4:] if self.credential else ""


def load_hq(session: Session) -> HqLink:
    """Return the shop's HQ link (one query)."""
    stored = dict(
        session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(HQ_KEYS))).all()
    )
    try:
        acked = int(stored.get("hq_acked_seq") or 0)
    except ValueError:
        acked = 0  # a hand-edited value: HQ's own ack is asked for again
    return HqLink(
        url=stored.get("hq_url", ""),
        shop_id=stored.get("hq_shop_id", ""),
        credential=stored.get("hq_credential", ""),
        acked_seq=acked,
        last_sync=stored.get("hq_last_sync", ""),
        last_error=stored.get("hq_last_error", ""),
        last_attempt=stored.get("hq_last_attempt", ""),
        recheck_ack=stored.get("hq_recheck_ack") == "1",
    )


_HQ_SHOP_ID = select(Setting.__table__.c.value).where(Setting.__table__.c.key == "hq_shop_id")


def enrolled_in(connection: Connection) -> bool:
    """Whether the shop is enrolled at an HQ, read on a connection (the outbox's commit hook)."""
    return bool(connection.execute(_HQ_SHOP_ID).scalar())


def save_hq(session: Session, **values: str | int | bool) -> None:
    """Store HQ link values by field name of HqLink (caller's transaction)."""
    known = {f.name for f in fields(HqLink)}
    for name, value in values.items():
        if name not in known:
            raise KeyError(name)
        if isinstance(value, bool):
            value = "1" if value else ""
        store_value(session, f"hq_{name}", str(value))
