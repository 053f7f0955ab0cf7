"""UPI at the counter (docs/DESIGN.md "UPI"): the shop's UPI IDs and the NPCI pay link.

Everything here works offline: a UPI QR is a `upi://pay?…` link drawn as a QR code, which
the customer's phone reads and pays; no gateway is asked anything. This module checks the
shop's UPI IDs (VPAs) and payee name, keeps them in the settings (the UPI IDs as JSON in
`upi_ids`), builds the link by the NPCI UPI linking specification (`pa`, `pn`, `am`, `cu`,
`tn`, `tr`; values percent-encoded as UTF-8, a space as %20, never "+"), draws it as SVG or
PNG, makes the till's bill reference (`tr` before the invoice number exists) and checks the
reference the cashier types when the money arrives (a 12-digit UTR, or up to 35 letters
and digits).
"""

from __future__ import annotations

import io
import json
import re
import secrets
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M
from sqlalchemy.orm import Session

from posapp.errors import Conflict, ValidationError
from posapp.i18n import _
from posapp.services import shop_settings
from posapp.services.settings import ShopSettings
from posapp.vocabulary import form_flag

AUDIT_ACTION = "settings.upi"
# The form's fields besides the rows of UPI IDs (upi_vpa_N, upi_label_N, upi_default = N).
FORM_FIELDS = ("upi_payee_name", "upi_qr_on_documents")
# The settings keys this page owns (the settings API reads and writes the same).
SETTING_KEYS = ("upi_ids", "upi_payee_name", "upi_qr_on_documents")
MAX_IDS = 5  # a shop has a few (a bank's, a PhonePe or Paytm business ID), never dozens
LABEL_LENGTH = 30
# The linking specification carries the payee name as shown to the payer; apps cut long
# ones, so a name the payer can read whole.
PAYEE_LENGTH = 50
NOTE_LENGTH = 50  # `tn`: a short note the payer's app shows beside the amount
TR_LENGTH = 35  # `tr`: the payee's transaction reference, at most 35 characters
REFERENCE_LENGTH = 35  # what the cashier types: a UTR (12 digits) or a reference
# A VPA is `name@handle`: the name of letters, digits, dot, hyphen and underscore, the
# handle (the payment app's or bank's) of letters and digits. Kept lower-case: VPAs are
# not case-sensitive and the payer's app shows them lower-case.
_VPA = re.compile(r"([a-z0-9][a-z0-9._-]{1,63})@([a-z][a-z0-9]{1,63})")
_TR = re.compile(r"[A-Za-z0-9]{1,35}")
_UTR = re.compile(r"[0-9]{12}")
_REFERENCE = re.compile(r"[A-Z0-9]{1,35}")
# Payee names: letters and digits of any script, spaces and the marks shop names carry.
_PAYEE_MARKS = frozenset(" .&'-(),/")
# Percent-encoding of a value: everything but RFC 3986's unreserved characters, so a space
# is %20 (some UPI apps show a "+" as it is) and "&", "=", "#" can never end a value.
# The VPA keeps its "@" (a query may carry it as it is, and apps expect name@handle).
_SAFE_VALUE = ""
_SAFE_VPA = "@"


class NotSet(Conflict):
    """The shop has no UPI ID: the till takes UPI without a QR (409 `upi_not_set`)."""

    code = "upi_not_set"


@dataclass(frozen=True)
class UpiId:
    """One of the shop's UPI IDs, with the label the settings page shows beside it."""

    vpa: str
    label: str = ""
    default: bool = False


@dataclass(frozen=True)
class Payee:
    """Who a UPI QR pays: the default UPI ID and the payee name (None: no UPI ID set)."""

    vpa: str
    name: str
    label: str = ""


def normalise_vpa(raw: object, field: str = "vpa") -> str:
    """A UPI ID as stored (trimmed, lower-case); ValidationError naming `field` if not valid."""
    text = str(raw if raw is not None else "").strip().lower()
    if not text:
        raise ValidationError(_("Type the UPI ID, like shopname@okaxis."), field=field)
    if len(text) > 128 or not _VPA.fullmatch(text):
        raise ValidationError(
            _(
                "“%(text)s” is not a UPI ID: write name@handle, the name of letters, digits, "
                "dots, hyphens or underscores, the handle of letters and digits "
                "(shopname@okaxis).",
                text=text[:40],
            ),
            field=field,
        )
    return text


def _letter_or_digit(c: str) -> bool:
    # Letters, digits and the vowel signs Indian scripts write with them (category M).
    return unicodedata.category(c)[0] in "LNM"


def normalise_payee(raw: object, field: str = "upi_payee_name") -> str:
    """The payee name as stored (spaces collapsed); ValidationError if not a name."""
    text = " ".join(str(raw if raw is not None else "").split())
    if not text:
        raise ValidationError(_("Type the payee name the customer's app shows."), field=field)
    if len(text) > PAYEE_LENGTH:
        raise ValidationError(
            _("The payee name has at most %(count)s characters.", count=PAYEE_LENGTH), field=field
        )
    bad = sorted({c for c in text if not (_letter_or_digit(c) or c in _PAYEE_MARKS)})
    if bad:
        raise ValidationError(
            _(
                "The payee name takes letters, digits, spaces and . & ' - ( ) , / only "
                "(not %(marks)s).",
                marks=" ".join(bad[:5]),
            ),
            field=field,
        )
    return text


def read_ids(stored: str) -> list[UpiId]:
    """The UPI IDs stored in the setting `upi_ids` (a hand-edited bad value reads as none).

    Exactly one is the default when there are any: the first marked so, else the first.
    """
    try:
        raw = json.loads(stored) if stored else []
    except ValueError:
        return []
    if not isinstance(raw, list):
        return []
    ids: list[UpiId] = []
    for item in raw[:MAX_IDS]:
        if not isinstance(item, Mapping):
            continue
        try:
            vpa = normalise_vpa(item.get("vpa"))
        except ValidationError:
            continue
        label = str(item.get("label") or "")[:LABEL_LENGTH]
        ids.append(UpiId(vpa, label, item.get("default") is True))
    default = next((i for i, u in enumerate(ids) if u.default), 0)
    return [UpiId(u.vpa, u.label, i == default) for i, u in enumerate(ids)]


def write_ids(ids: list[UpiId]) -> str:
    """The setting's text for these UPI IDs (compact JSON, in the page's order)."""
    if not ids:
        return ""
    return json.dumps(
        [{"vpa": u.vpa, "label": u.label, "default": u.default} for u in ids],
        separators=(",", ":"),
        ensure_ascii=False,
    )


def payee_of(settings: ShopSettings) -> Payee | None:
    """The default UPI ID and the payee name (the shop's name when none is set), or None."""
    ids = read_ids(settings.upi_ids)
    if not ids:
        return None
    chosen = next(u for u in ids if u.default)
    try:
        name = normalise_payee(settings.upi_payee_name or settings.shop_name)
    except ValidationError:
        # A shop name with marks a payee name may not carry: keep what it may.
        kept = "".join(c for c in settings.shop_name if _letter_or_digit(c) or c in _PAYEE_MARKS)
        name = " ".join(kept.split())[:PAYEE_LENGTH] or "Shop"
    return Payee(chosen.vpa, name, chosen.label)


def amount_text(paise: int) -> str:
    """`am`: rupees with exactly two decimals from integer paise ("149.50"), never a float."""
    if paise <= 0:
        raise ValueError("a UPI amount is more than zero")
    return f"{paise // 100}.{paise % 100:02d}"


def reference_of(number: str) -> str:
    """A `tr` from a document number: its letters and digits ("INV2026-000123" ->
    "INV2026000123"), as NPCI asks for references without special characters."""
    return "".join(c for c in number if c.isascii() and c.isalnum())[:TR_LENGTH]


def new_bill_reference(now: datetime) -> str:
    """The till's `tr` for a bill that has no invoice number yet: "TB", the local time to
    the second and 6 random letters/digits (20 characters, e.g. "TB261206143005K7QX2M")."""
    alphabet = string.ascii_uppercase + string.digits
    return f"TB{now:%y%m%d%H%M%S}" + "".join(secrets.choice(alphabet) for _ in range(6))


def khata_link(payee: Payee, customer_id: int, amount: int, day: date) -> str:
    """The pay link for what a customer owes on their account (the khata reminder and the
    statement): `tr` is "KH", the customer's id, "D" and the day ("KH42D261206")."""
    return pay_link(payee, amount, note="Khata payment", reference=f"KH{customer_id}D{day:%y%m%d}")


@dataclass(frozen=True)
class TillQr:
    """The QR the till (and the customer display) shows for one UPI amount of a bill."""

    payee: Payee
    amount: int  # paise
    tr: str
    link: str

    @property
    def svg(self) -> str:
        """The QR as SVG."""
        return qr_svg(self.link)


def till_qr(
    settings: ShopSettings, amount: int, tr: str = "", now: datetime | None = None
) -> TillQr:
    """The QR for `amount` paise of a bill whose reference is `tr` (a new one when ""):
    the link pays the default UPI ID with the note "Bill <tr>". Raises NotSet when the shop
    has no UPI ID, ValidationError for an amount of 0 or less or a bad `tr`."""
    payee = payee_of(settings)
    if payee is None:
        raise NotSet(_("No UPI ID is set: an admin adds the shop's UPI ID on Settings → UPI."))
    if amount <= 0:
        raise ValidationError(_("Amount must be more than zero."), field="amount")
    tr = check_tr(tr, field="tr") if tr else new_bill_reference(now or datetime.now())
    return TillQr(payee, amount, tr, pay_link(payee, amount, note=f"Bill {tr}", reference=tr))


def check_tr(raw: object, field: str = "upi_tr") -> str:
    """A `tr` sent back by the till: 1–35 letters and digits; ValidationError if not."""
    text = str(raw if raw is not None else "").strip()
    if not isinstance(raw, str) or not _TR.fullmatch(text):
        raise ValidationError(
            _("The UPI bill reference is 1 to %(count)s letters and digits.", count=TR_LENGTH),
            field=field,
        )
    return text


def check_reference(raw: object, field: str = "reference") -> str:
    """The reference the cashier typed, as stored ("" for none): upper-case, spaces removed.

    Digits only must be a 12-digit UTR (a shorter or longer run of digits is a mistyped
    UTR); anything else is up to 35 letters and digits (a card slip's or an app's reference).
    """
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValidationError(_("The reference must be text."), field=field)
    text = "".join(raw.split()).upper()
    if not text:
        return ""
    if text.isdigit():
        if not _UTR.fullmatch(text):
            raise ValidationError(
                _("A UTR has 12 digits; this one has %(count)s.", count=len(text)), field=field
            )
        return text
    if not _REFERENCE.fullmatch(text):
        raise ValidationError(
            _(
                "A reference is a 12-digit UTR or up to %(count)s letters and digits.",
                count=REFERENCE_LENGTH,
            ),
            field=field,
        )
    return text


def pay_link(
    payee: Payee, amount: int | None = None, *, note: str = "", reference: str = ""
) -> str:
    """The NPCI UPI deep link `upi://pay?pa=…&pn=…&am=…&cu=INR&tn=…&tr=…`.

    `amount` in paise (None: a static QR, the payer types the amount, and no `cu`/`tr`);
    `note` is cut to 50 characters and `reference` must be letters and digits.
    """
    parts = [("pa", payee.vpa, _SAFE_VPA), ("pn", payee.name, _SAFE_VALUE)]
    if amount is not None:
        parts.append(("am", amount_text(amount), _SAFE_VALUE))
        parts.append(("cu", "INR", _SAFE_VALUE))
    note = " ".join(note.split())[:NOTE_LENGTH]
    if note:
        parts.append(("tn", note, _SAFE_VALUE))
    if reference:
        parts.append(("tr", check_tr(reference), _SAFE_VALUE))
    query = "&".join(f"{key}={quote(value, safe=safe)}" for key, value, safe in parts)
    return f"upi://pay?{query}"


def _qr(link: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    qr.add_data(link)
    qr.make(fit=True)
    return qr


def qr_svg(link: str) -> str:
    """The link as an SVG QR code (black modules, the 4-module quiet zone white), sized by
    its viewBox so the page sets its size."""
    qr = _qr(link)
    image = qr.make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    svg = image.to_string(encoding="unicode")
    # Drop the fixed size in mm (the till and the display size it to their screens) and the
    # path's fixed id (two QRs on one page); crisp edges keep modules from blurring together.
    svg = re.sub(r'\s(width|height)="[^"]*"', "", svg, count=2).replace(' id="qr-path"', "")
    return svg.replace("<svg ", '<svg shape-rendering="crispEdges" ', 1)


def qr_png(link: str, box_size: int = 8) -> bytes:
    """The link as a PNG QR code (for the PDFs)."""
    image = _qr(link).make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------- the settings page


def form_values(settings: ShopSettings) -> dict[str, str]:
    """The form as the page shows it: each saved UPI ID's row, then one empty row."""
    ids = read_ids(settings.upi_ids)
    values: dict[str, str] = {
        "upi_payee_name": settings.upi_payee_name or settings.shop_name,
        "upi_qr_on_documents": "1" if settings.upi_qr_on_documents else "",
        "upi_default": str(next((i for i, u in enumerate(ids) if u.default), 0)),
    }
    for i, upi_id in enumerate(ids):
        values[f"upi_vpa_{i}"] = upi_id.vpa
        values[f"upi_label_{i}"] = upi_id.label
    return values


def row_count(values: Mapping[str, Any]) -> int:
    """How many rows the page shows: every row with a value, and one empty one to add to."""
    used = [i for i in range(MAX_IDS) if str(values.get(f"upi_vpa_{i}") or "").strip()]
    return min(MAX_IDS, (max(used) + 2) if used else 1)


def validate_form(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check the UPI settings form; return the settings to save or raise with every error.

    Rows whose UPI ID is empty are dropped (that is how one is removed); the same UPI ID
    twice is refused; the default is the chosen row, or the first when that row is empty.
    """
    errors: dict[str, str] = {}
    ids: list[UpiId] = []
    seen: set[str] = set()
    chosen = str(data.get("upi_default") or "0")
    default_vpa = ""
    for i in range(MAX_IDS):
        raw_vpa = data.get(f"upi_vpa_{i}")
        label = " ".join(str(data.get(f"upi_label_{i}") or "").split())
        if not str(raw_vpa or "").strip():
            continue
        try:
            vpa = normalise_vpa(raw_vpa, field=f"upi_vpa_{i}")
        except ValidationError as exc:
            errors[f"upi_vpa_{i}"] = exc.message
            continue
        if vpa in seen:
            errors[f"upi_vpa_{i}"] = _("%(vpa)s is already in the list.", vpa=vpa)
            continue
        if len(label) > LABEL_LENGTH:
            errors[f"upi_label_{i}"] = _(
                "A label has at most %(count)s characters.", count=LABEL_LENGTH
            )
            continue
        seen.add(vpa)
        ids.append(UpiId(vpa, label))
        if chosen == str(i):
            default_vpa = vpa
    if not default_vpa and ids:
        default_vpa = ids[0].vpa
    ids = [UpiId(u.vpa, u.label, u.vpa == default_vpa) for u in ids]
    values: dict[str, Any] = {"upi_ids": write_ids(ids)}
    payee = data.get("upi_payee_name")
    if ids or str(payee or "").strip():
        try:
            values["upi_payee_name"] = normalise_payee(payee)
        except ValidationError as exc:
            errors["upi_payee_name"] = exc.message
    else:
        values["upi_payee_name"] = ""
    values["upi_qr_on_documents"] = form_flag(data, "upi_qr_on_documents", errors)
    if values["upi_qr_on_documents"] and not ids and "upi_qr_on_documents" not in errors:
        errors["upi_qr_on_documents"] = _("Add a UPI ID first: the QR pays it.")
    if errors:
        raise ValidationError(_("Some UPI settings need fixing; nothing was saved."), fields=errors)
    return values


def update_settings(session: Session, data: Mapping[str, Any], user_id: int | None) -> bool:
    """Check the UPI settings form and save it audited (`settings.upi`); True if changed."""
    values = validate_form(data)
    return bool(shop_settings.save_changes(session, values, AUDIT_ACTION, user_id))


def api_value(settings: ShopSettings) -> list[dict[str, Any]]:
    """The UPI IDs as the settings API shows them."""
    return [
        {"vpa": u.vpa, "label": u.label, "default": u.default} for u in read_ids(settings.upi_ids)
    ]


def form_from_api(raw: object, form: dict[str, Any], errors: dict[str, str]) -> None:
    """Lay the API's `upi_ids` (a list of {vpa, label, default}) over the page's form."""
    if not isinstance(raw, list) or len(raw) > MAX_IDS:
        errors["upi_ids"] = _(
            "upi_ids is a list of at most %(count)s {vpa, label, default}.", count=MAX_IDS
        )
        return
    for i in range(MAX_IDS):
        form.pop(f"upi_vpa_{i}", None)
        form.pop(f"upi_label_{i}", None)
    form["upi_default"] = "0"
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping) or not isinstance(item.get("vpa"), str):
            errors[f"upi_ids.{i}"] = _("Each UPI ID is an object with a vpa.")
            continue
        label = item.get("label")
        if label is not None and not isinstance(label, str):
            errors[f"upi_ids.{i}.label"] = _("The label must be text.")
            continue
        default = item.get("default", False)
        if not isinstance(default, bool):
            errors[f"upi_ids.{i}.default"] = _("default must be true or false.")
            continue
        form[f"upi_vpa_{i}"] = item["vpa"]
        form[f"upi_label_{i}"] = label or ""
        if default:
            form["upi_default"] = str(i)
