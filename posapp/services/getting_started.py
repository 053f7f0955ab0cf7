"""The admin dashboard's "Getting started" checklist: what a new shop still has to set up.

Nothing here is stored but whether an admin hid the list: every step is read from the data
each time the dashboard is shown, so a step ticks itself the moment the shop does the thing
(on whichever page, through the API or the command line). The reads are cheap: the settings
row the request has already loaded, and three EXISTS (products, customers, users) that stop
at the first row an index gives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, false, func, select, true
from sqlalchemy.orm import Session

from posapp.models import Customer, Product, User
from posapp.services import shop_settings
from posapp.services.receipt_printer import PRINTER_KINDS
from posapp.services.settings import ShopSettings, load_settings

# The hide and show buttons save the flag as a shop setting, audited like the settings page.
AUDIT_ACTION = shop_settings.AUDIT_ACTION
HIDDEN_KEY = "getting_started_hidden"


@dataclass(frozen=True)
class Step:
    """One thing a new shop sets up, whether it is done, and the page where it is done."""

    key: str
    title: str
    done: bool
    detail: str  # what to do, shown while the step is not done
    endpoint: str  # the Flask endpoint of the page where it is done
    fragment: str = ""  # the part of that page, as "#printer"


def _any(session: Session, query: Select[Any]) -> bool:
    """Whether the query has a row: an EXISTS, which stops at the first one."""
    return bool(session.scalar(select(query.exists())))


def _shop_details_done(settings: ShopSettings) -> bool:
    """The name and address typed in: a fresh shop has the default name and no address."""
    name = settings.shop_name.strip()
    return bool(name) and name != ShopSettings().shop_name and bool(settings.address.strip())


def _has_products(session: Session) -> bool:
    """Any product on sale (an archived one is no longer the shop's catalogue)."""
    # `= false`, not `IS 0`: the products' archived index answers it (models/catalog.py).
    return _any(session, select(Product.id).where(Product.archived == false()))


def _has_customers(session: Session) -> bool:
    """Any customer at all: a customer brought in with the dues they owe (an "opening" ledger
    entry) is one too, so this one EXISTS answers both (the ledger has no index on kind)."""
    return _any(session, select(Customer.id))


def _has_second_user(session: Session) -> bool:
    """An active login besides the first admin's (the one made when the shop was set up)."""
    first = select(func.min(User.id)).scalar_subquery()
    return _any(session, select(User.id).where(User.id > first, User.active == true()))


def _printer_done(settings: ShopSettings) -> bool:
    """A receipt printer chosen (a hand-edited unknown kind is no printer, as at the till)."""
    return settings.printer_kind in PRINTER_KINDS and settings.printer_kind != "none"


def steps(session: Session, settings: ShopSettings | None = None) -> list[Step]:
    """The checklist in the order a shop usually does it, each step read from the data now.

    `settings`: the shop settings the caller has already loaded (a page loads them once per
    request); read from the session when not given.
    """
    settings = settings if settings is not None else load_settings(session)
    return [
        Step(
            "shop",
            "Shop name and address",
            _shop_details_done(settings),
            "They head every bill and invoice.",
            "settings.index",
        ),
        Step(
            "gst",
            "GST registration",
            bool(settings.tax_number.strip()),
            "Type the GSTIN for Tax Invoices. Not registered? Leave it empty.",
            "settings.index",
        ),
        Step(
            "products",
            "Products",
            _has_products(session),
            "Import a list (CSV), or add them one by one.",
            "product_csv.upload",
        ),
        Step(
            "customers",
            "Customers and their dues",
            _has_customers(session),
            "Bring them from the old app or notebook with the udhaar they owe (CSV or Excel).",
            "switch_in.index",
        ),
        Step(
            "users",
            "A login for each cashier",
            _has_second_user(session),
            "Each person at the till gets their own login.",
            "users.index",
        ),
        Step(
            "backup",
            "Off-site backup folder",
            bool(settings.offsite_backup_dir.strip()),
            "A USB stick or drive that every backup is copied to.",
            "backups.index",
        ),
        Step(
            "printer",
            "Receipt printer",
            _printer_done(settings),
            "Print receipts without the browser's print dialog.",
            "settings.index",
            "#printer",
        ),
    ]


def visible_steps(session: Session, settings: ShopSettings) -> list[Step] | None:
    """The checklist to show on the dashboard, or None when there is none to show.

    None when an admin hid it, and when every step is done: a shop that has set everything
    up needs no list. Hidden, nothing else is read.
    """
    if settings.getting_started_hidden:
        return None
    found = steps(session, settings)
    return None if all(step.done for step in found) else found


def set_hidden(session: Session, hidden: bool, user_id: int | None) -> bool:
    """Hide the checklist for good (or show it again), audited; True if it changed."""
    changed = shop_settings.save_changes(session, {HIDDEN_KEY: hidden}, AUDIT_ACTION, user_id)
    return bool(changed)
