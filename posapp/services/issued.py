"""What a document was issued with: the snapshot stored in `issued_as` (docs/DESIGN.md §3).

An invoice or credit note is printed from the seller, buyer, place of supply, title and layout
it was issued with, never from today's settings or customer record: `snapshot` takes them at
issue (inside the sale's or return's transaction), `dumps`/`loads` store them as versioned JSON
text, and `read` gives the renderers a typed view. Flask-free.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from posapp.gst import STATES
from posapp.services import upi
from posapp.services.document_language import translate
from posapp.services.settings import ShopSettings

VERSION = 1
KINDS = ("invoice", "credit_note")
# Rule 5(1)(g) of the CGST Rules: the words a composition taxpayer's bill of supply carries.
COMPOSITION_DECLARATION = "Composition taxable person, not eligible to collect tax on supplies"
LOGO_NAME = re.compile(r"[0-9a-f]{16}")
# Documents issued before snapshots existed were frozen by a migration as
# {"v": 1, "base": "legacy", "kind", "tax_split", "place_of_supply" (the code), "buyer"}: the
# shop part, the same for all of them, is stored once in the setting `issued_legacy_base`.
LEGACY = "legacy"
LEGACY_BASE_KEY = "issued_legacy_base"


class BuyerRecord(Protocol):
    """What a snapshot copies of a customer (a row of `customers`)."""

    name: str
    legal_name: str
    gstin: str
    address: str
    phone: str
    state_code: str


class IssuedDocument(Protocol):
    """An invoice or credit note: what `for_document` reads."""

    issued_as: str | None
    tax_split: str
    place_of_supply: str


def titles(settings: ShopSettings, kind: str) -> tuple[str, str, str]:
    """(document title, receipt title, declaration) by the rules of docs/DESIGN.md §3."""
    if kind == "credit_note":
        return "CREDIT NOTE", "CREDIT NOTE", ""
    if settings.composition_scheme:
        return "BILL OF SUPPLY", "BILL OF SUPPLY", COMPOSITION_DECLARATION
    if settings.tax_number:
        return "TAX INVOICE", "TAX INVOICE", ""
    return "INVOICE", "RECEIPT", ""


def _state(code: str) -> dict[str, str] | None:
    return {"code": code, "name": STATES.get(code, "")} if code else None


def legacy_base(settings: ShopSettings) -> dict[str, Any]:
    """The shop part of a snapshot (no kind, buyer, split or place): what the migration
    freezes once for every earlier document."""
    data = snapshot(settings, None, kind="invoice", tax_split="", place_of_supply="")
    for key in ("kind", "buyer", "tax_split", "place_of_supply"):
        del data[key]
    return data


def snapshot(
    settings: ShopSettings,
    customer: BuyerRecord | None,
    *,
    kind: str,
    tax_split: str,
    place_of_supply: str,
    due_after: int | None = None,
    upi_due: int = 0,
) -> dict[str, Any]:
    """The snapshot of a document about to be issued (JSON-ready, version `VERSION`).

    `due_after`: on a credit sale, the customer's whole balance right after it (minor units),
    which the receipt prints as "Total due after this bill"; reprints show this, not today's.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    title, receipt_title, declaration = titles(settings, kind)
    buyer = None
    if customer is not None:
        buyer = {
            "name": customer.name,
            "legal_name": customer.legal_name,
            "gstin": customer.gstin,
            "address": customer.address,
            "phone": customer.phone,
            "state_code": customer.state_code,
            "state": STATES.get(customer.state_code, ""),
        }
    data: dict[str, Any] = {
        "v": VERSION,
        "kind": kind,
        "seller": {
            "name": settings.shop_name,
            "address": settings.address,
            "phone": settings.phone,
            "email": settings.email,
            "gstin": settings.tax_number,
            "state_code": settings.state_code,
            "state": STATES.get(settings.state_code, ""),
            "logo": settings.logo if LOGO_NAME.fullmatch(settings.logo) else "",
            "composition": settings.composition_scheme,
        },
        "buyer": buyer,
        "place_of_supply": _state(place_of_supply),
        "tax_split": tax_split,
        "title": title,
        "receipt_title": receipt_title,
        "declaration": declaration,
        "layout": {
            "invoice_layout": settings.invoice_layout,
            "receipt_width_mm": settings.receipt_width_mm,
            "receipt_footer": translate(settings.documents_language, settings.receipt_footer),
            "split_tax": settings.split_tax,
            "currency": settings.currency,
            "locale": settings.locale,
            "prices_include_tax": settings.prices_include_tax,
            "language": settings.documents_language,
            "devanagari_digits": settings.devanagari_digits,
        },
    }
    if due_after is not None:
        data["due_after"] = due_after  # left out otherwise: older snapshots have no such key
    payee = upi.payee_of(settings) if settings.upi_qr_on_documents else None
    if kind == "invoice" and upi_due > 0 and payee is not None:
        # The documents' UPI QR asks for the balance due at issue, to the UPI ID of that day:
        # a reprint shows the same QR (docs/DESIGN.md "UPI"). Left out otherwise.
        data["upi"] = {"vpa": payee.vpa, "name": payee.name, "amount": upi_due}
    return data


def dumps(data: dict[str, Any]) -> str:
    """The snapshot as the text stored in `issued_as` (sorted keys: equal snapshots, equal text)."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def loads(text: str) -> dict[str, Any]:
    """A stored snapshot back as a dict; refuses a version this code does not know."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise ValueError("unknown issued_as snapshot version")
    return data


@dataclass(frozen=True)
class Seller:
    """The shop as it issued the document."""

    name: str
    address: str
    phone: str
    email: str
    gstin: str
    state_code: str
    state: str
    logo: str  # a logo's content name (16 hex digits), "" for none
    composition: bool


@dataclass(frozen=True)
class Buyer:
    """The customer as billed."""

    name: str
    legal_name: str
    gstin: str
    address: str
    phone: str
    state_code: str
    state: str


@dataclass(frozen=True)
class Place:
    """A GST state: code and name ("27", "Maharashtra")."""

    code: str
    name: str


@dataclass(frozen=True)
class Layout:
    """The print settings the document was issued with."""

    invoice_layout: str
    receipt_width_mm: int
    receipt_footer: str
    split_tax: bool
    currency: str
    locale: str
    prices_include_tax: bool
    # The documents' language at issue ("en", "hi", "bilingual"): a reprint speaks it too.
    # Snapshots taken before documents were translated have none: English.
    language: str = "en"
    # Numbers written ०-९ in a Hindi document (the setting `devanagari_digits` at issue);
    # older snapshots have none: 0-9.
    devanagari_digits: bool = False


@dataclass(frozen=True)
class Issued:
    """A typed view of a snapshot, what every renderer reads."""

    kind: str
    seller: Seller
    buyer: Buyer | None
    place_of_supply: Place | None
    tax_split: str
    title: str
    receipt_title: str
    declaration: str
    layout: Layout
    # A credit sale's customer balance right after it (minor units); None: not a credit sale.
    due_after: int | None = None
    # The UPI QR the documents print: {"vpa", "name", "amount"} (the balance due at issue).
    upi: dict[str, Any] | None = None

    def upi_link(self, number: str) -> str | None:
        """The UPI pay link for the balance due at issue of document `number` (its letters
        and digits are the `tr`), or None when the document carries no UPI QR."""
        if not self.upi:
            return None
        payee = upi.Payee(str(self.upi["vpa"]), str(self.upi["name"]))
        return upi.pay_link(
            payee,
            int(self.upi["amount"]),
            note=f"Bill {number}",
            reference=upi.reference_of(number),
        )

    @property
    def tax_heads(self) -> str:
        """Which tax columns print: "none" (bill of supply), "igst", "cgst_sgst" or "tax"."""
        if self.seller.composition:
            return "none"
        if not self.seller.gstin:
            return "tax"
        if self.tax_split == "igst":
            return "igst"
        if self.tax_split == "cgst_sgst" and self.layout.split_tax:
            return "cgst_sgst"
        return "tax"

    @property
    def tax_label(self) -> str:
        """ "GSTIN" for an Indian shop, else the neutral "Tax No."."""
        return "GSTIN" if self.layout.currency == "INR" else "Tax No."


def is_legacy(text: str) -> bool:
    """Whether a stored snapshot is one the data migration froze (it needs the shop base)."""
    return loads(text).get("base") == LEGACY


def _from_legacy(data: dict[str, Any], legacy_base: str) -> dict[str, Any]:
    """A frozen earlier document: the shop base stored once, plus its own buyer and split."""
    if not legacy_base:
        raise ValueError("a frozen document needs the issued_legacy_base setting")
    merged = loads(legacy_base)
    kind = data["kind"]
    merged.update(
        kind=kind,
        buyer=data["buyer"],
        tax_split=data["tax_split"],
        place_of_supply=_state(data["place_of_supply"] or ""),
    )
    if kind == "credit_note":
        merged.update(title="CREDIT NOTE", receipt_title="CREDIT NOTE", declaration="")
    return merged


def read(text: str, legacy_base: str = "") -> Issued:
    """Parse a stored snapshot into the renderers' typed view (`legacy_base`: the setting
    `issued_legacy_base`, needed only for documents the data migration froze)."""
    data = loads(text)
    if data.get("base") == LEGACY:
        data = _from_legacy(data, legacy_base)
    place = data.get("place_of_supply")
    buyer = data.get("buyer")
    return Issued(
        kind=data["kind"],
        seller=Seller(**data["seller"]),
        buyer=Buyer(**buyer) if buyer else None,
        place_of_supply=Place(**place) if place else None,
        tax_split=data["tax_split"],
        title=data["title"],
        receipt_title=data["receipt_title"],
        declaration=data["declaration"],
        layout=Layout(**data["layout"]),
        due_after=data.get("due_after"),
        upi=data.get("upi"),
    )


def for_document(
    document: IssuedDocument,
    settings: ShopSettings,
    customer: BuyerRecord | None,
    kind: str,
) -> Issued:
    """The document's own snapshot; for a row written without one (only rows inserted outside
    the app: the data migration froze every earlier document), one taken from `settings`."""
    if document.issued_as:
        return read(document.issued_as, settings.issued_legacy_base)
    return read(
        dumps(
            snapshot(
                settings,
                customer,
                kind=kind,
                tax_split=document.tax_split,
                place_of_supply=document.place_of_supply,
            )
        )
    )
