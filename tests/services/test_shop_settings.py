"""posapp/services/shop_settings.py: whole-form validation, audited saves, the logo."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from posapp.errors import ValidationError
from posapp.models import AuditLog
from posapp.services import shop_settings as service
from posapp.services.settings import load_settings, save_settings

GOOD = {
    "shop_name": "Sharma General Store",
    "address": "12 MG Road, Pune",
    "phone": "98220 12345",
    "email": "shop@example.com",
    "tax_number": "27AAPFU0939F1ZV",  # the GST portal's published example (Maharashtra)
    "state_code": "27",
    "currency": "INR",
    "locale": "en_IN",
    "invoice_prefix": "SGS-",
    "fy_start_month": "4",
    "receipt_width_mm": "58",
    "invoice_layout": "a5",
    "discount_audit_percent": "15",
    "receipt_footer": "Visit again",
    "low_stock_default": "3",
    "prices_include_tax": "1",
    "split_tax": "1",
    "round_off": "",
    "stock_policy": "block",
    "cashier_max_line_discount_percent": "10",
    "cashier_max_bill_discount_percent": "5",
}


def errors_of(**changes: str) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        service.validate_form({**GOOD, **changes})
    assert caught.value.status == 422
    return caught.value.fields


def image_bytes(kind: str, size: tuple[int, int], mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "red").save(buffer, format=kind)
    return buffer.getvalue()


def test_a_good_form_gives_typed_values() -> None:
    values = service.validate_form(GOOD)
    assert values["fy_start_month"] == 4 and values["receipt_width_mm"] == 58
    assert values["prices_include_tax"] is True and values["round_off"] is False
    assert values["low_stock_default_milli"] == 3000 and values["invoice_prefix"] == "SGS-"
    assert values["invoice_layout"] == "a5" and values["discount_audit_percent"] == 15


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"invoice_layout": "letter"}, "invoice_layout"),
        ({"invoice_layout": ""}, "invoice_layout"),
        ({"discount_audit_percent": "101"}, "discount_audit_percent"),
        ({"discount_audit_percent": "-1"}, "discount_audit_percent"),
        ({"discount_audit_percent": "7.5"}, "discount_audit_percent"),
        ({"discount_audit_percent": "²"}, "discount_audit_percent"),
        ({"fy_start_month": "²"}, "fy_start_month"),  # a digit to isdigit(), not to int()
        ({"receipt_width_mm": "⁵⁸"}, "receipt_width_mm"),
    ],
)
def test_layout_and_discount_threshold_are_checked(changes: dict[str, str], field: str) -> None:
    assert field in errors_of(**changes)


def test_a_gstin_is_normalised_and_gives_the_state() -> None:
    values = service.validate_form({**GOOD, "tax_number": " 27aapfu0939f1zv ", "state_code": ""})
    assert (values["tax_number"], values["state_code"]) == ("27AAPFU0939F1ZV", "27")
    assert values["composition_scheme"] is False


@pytest.mark.parametrize(
    ("tax_number", "reason"),
    [
        ("hello", "15 characters"),
        ("27AAPFU0939F1ZW", "check character"),  # the last character mistyped
        ("27AAPFU9039F1ZV", "check character"),  # two neighbouring digits swapped
        ("40AAPFU0939F1ZV", "not a GST state code"),
        ("27AAPFU0939F1Z", "15 characters"),
    ],
)
def test_a_bad_gstin_is_refused_with_the_reason(tax_number: str, reason: str) -> None:
    assert reason in errors_of(tax_number=tax_number)["tax_number"]


def test_the_state_must_be_the_gstins() -> None:
    fields = errors_of(tax_number="29AAGCB7383J1Z4", state_code="27")
    assert "29 – Karnataka" in fields["state_code"]
    assert "state_code" in errors_of(state_code="40")


def test_without_a_gstin_any_state_or_none_is_allowed() -> None:
    assert service.validate_form({**GOOD, "tax_number": "", "state_code": ""})["state_code"] == ""
    assert service.validate_form({**GOOD, "tax_number": "", "state_code": "7"})["state_code"] == (
        "07"
    )


def test_the_composition_scheme_needs_the_gstin() -> None:
    assert service.validate_form({**GOOD, "composition_scheme": "1"})["composition_scheme"] is True
    assert "GSTIN" in errors_of(tax_number="", composition_scheme="1")["composition_scheme"]
    assert "composition_scheme" in errors_of(composition_scheme="perhaps")


def test_a_bad_gstin_saves_nothing(session, admin) -> None:  # type: ignore[no-untyped-def]
    form = {**service.form_values(load_settings(session)), "shop_name": "New", "tax_number": "hi"}
    with pytest.raises(ValidationError):
        service.update_shop_settings(session, form, admin.id)
    settings = load_settings(session)
    assert (settings.shop_name, settings.tax_number) == ("My Shop", "")
    assert session.scalars(select(AuditLog).where(AuditLog.action == "settings.change")).all() == []


def test_codes_are_normalised() -> None:
    values = service.validate_form(
        {**GOOD, "currency": "usd", "locale": "en-US", "invoice_prefix": "inv-"}
    )
    assert (values["currency"], values["locale"], values["invoice_prefix"]) == (
        "USD",
        "en_US",
        "INV-",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("shop_name", ""),
        ("shop_name", "x" * 121),
        ("email", "not-an-email"),
        ("currency", "XYZ"),
        ("currency", ""),
        ("locale", "xx_QQ"),
        ("locale", "!!"),
        ("invoice_prefix", ""),
        ("invoice_prefix", "ABCDEFGHIJK"),
        ("invoice_prefix", "IN V"),
        ("fy_start_month", "0"),
        ("fy_start_month", "13"),
        ("fy_start_month", "April"),
        ("receipt_width_mm", "70"),
        ("receipt_footer", "x" * 201),
        ("low_stock_default", "-1"),
        ("low_stock_default", "lots"),
        ("low_stock_default", "1.2345"),
        ("prices_include_tax", "maybe"),
        ("stock_policy", "2"),
        ("stock_policy", ""),
        ("cashier_max_line_discount_percent", "101"),
        ("cashier_max_bill_discount_percent", "-1"),
        ("cashier_max_bill_discount_percent", "5.5"),
    ],
)
def test_each_rule_names_its_field(field: str, value: str) -> None:
    assert field in errors_of(**{field: value})


def test_every_error_is_collected_at_once() -> None:
    fields = errors_of(
        shop_name="", email="x", currency="??", fy_start_month="0", receipt_width_mm="1"
    )
    assert {"shop_name", "email", "currency", "fy_start_month", "receipt_width_mm"} <= set(fields)


def test_an_invalid_form_writes_nothing(session, admin) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        service.update_shop_settings(session, {**GOOD, "locale": "xx"}, admin.id)
    assert load_settings(session).shop_name == "My Shop"
    assert session.scalars(select(AuditLog).where(AuditLog.action == "settings.change")).all() == []


def test_saving_audits_only_changed_keys(session, admin) -> None:  # type: ignore[no-untyped-def]
    form = {
        **service.form_values(load_settings(session)),
        "shop_name": "Sharma",
        "receipt_width_mm": "58",
    }
    changed = service.update_shop_settings(session, form, admin.id)
    assert set(changed) == {"shop_name", "receipt_width_mm"}
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "settings.change")).one()
    assert json.loads(entry.before) == {"shop_name": "My Shop", "receipt_width_mm": "80"}
    assert json.loads(entry.after) == {"shop_name": "Sharma", "receipt_width_mm": "58"}
    assert entry.user_id == admin.id
    # Saving the same form again changes nothing and audits nothing.
    assert service.update_shop_settings(session, form, admin.id) == {}
    assert (
        len(session.scalars(select(AuditLog).where(AuditLog.action == "settings.change")).all())
        == 1
    )


def test_money_example_follows_currency_and_locale() -> None:
    assert service.money_example("INR", "en_IN") == "₹1,23,456.50"
    assert service.money_example("USD", "en_US") == "$123,456.50"


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_a_logo_is_shrunk_to_fit_and_stored_as_png(
    session, admin, data_dir: Path, kind: str
) -> None:  # type: ignore[no-untyped-def]
    size = service.save_logo(session, data_dir, image_bytes(kind, (1000, 250)), admin.id)
    assert size == (400, 100)
    name = load_settings(session).logo
    path = service.logo_path(data_dir, name)
    assert path is not None and path.parent == data_dir / "logos"
    with Image.open(path) as stored:
        assert stored.format == "PNG" and stored.size == (400, 100)
    # Kept by content: the name is the start of the PNG's SHA-256; no temporary file stays.
    assert name == hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    assert [p.name for p in (data_dir / "logos").iterdir()] == [f"{name}.png"]
    uri = service.logo_data_uri(data_dir, name)
    assert uri and uri.startswith("data:image/png;base64,")


def test_a_tall_logo_keeps_its_aspect(session, admin, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert service.save_logo(
        session, data_dir, image_bytes("PNG", (300, 600), "RGBA"), admin.id
    ) == (100, 200)


def test_a_small_logo_is_kept_as_it_is(session, admin, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert service.save_logo(session, data_dir, image_bytes("PNG", (120, 60), "P"), admin.id) == (
        120,
        60,
    )


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"this is plain text, named logo.png",
        image_bytes("GIF", (10, 10), "P"),
        image_bytes("PNG", (40, 40))[:60],  # a truncated PNG
    ],
)
@pytest.mark.servers_first_case("reading the file is Python; the first case reaches the database")
def test_a_file_that_is_not_a_png_or_jpeg_is_refused(
    session, admin, data_dir: Path, content: bytes
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        service.save_logo(session, data_dir, content, admin.id)
    assert "logo" in caught.value.fields
    assert not (data_dir / "logos").exists()
    assert load_settings(session).logo == ""


def test_a_logo_over_2_mb_is_refused(session, admin, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    content = image_bytes("PNG", (20, 20)) + b"\0" * service.LOGO_MAX_BYTES
    with pytest.raises(ValidationError, match="2 MB"):
        service.save_logo(session, data_dir, content, admin.id)
    assert not (data_dir / "logos").exists()


def test_removing_the_logo_stops_new_documents_using_it_and_audits(
    session, admin, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    service.save_logo(session, data_dir, image_bytes("PNG", (50, 50)), admin.id)
    name = load_settings(session).logo
    assert service.remove_logo(session, data_dir, admin.id) is True
    assert load_settings(session).logo == ""
    # Documents issued with it still print it: the file stays.
    assert service.logo_data_uri(data_dir, name) is not None
    assert service.logo_data_uri(data_dir, "") is None
    entries = session.scalars(select(AuditLog).where(AuditLog.action == "settings.change")).all()
    assert json.loads(entries[-1].after) == {"logo": ""}
    assert json.loads(entries[-1].before)["logo"] == name
    assert service.remove_logo(session, data_dir, admin.id) is False


def test_a_new_logo_never_replaces_the_file_of_an_earlier_one(
    session, admin, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    service.save_logo(session, data_dir, image_bytes("PNG", (50, 50)), admin.id)
    first = load_settings(session).logo
    first_uri = service.logo_data_uri(data_dir, first)
    service.save_logo(session, data_dir, image_bytes("PNG", (60, 30)), admin.id)
    second = load_settings(session).logo
    assert second != first and service.logo_data_uri(data_dir, first) == first_uri
    assert sorted(p.name for p in (data_dir / "logos").iterdir()) == sorted(
        [f"{first}.png", f"{second}.png"]
    )


def test_the_logo_of_an_earlier_version_is_found_by_its_content(
    session, admin, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    png = image_bytes("PNG", (30, 30))
    (data_dir / "logo.png").write_bytes(png)
    name = hashlib.sha256(png).hexdigest()[:16]
    with session.begin():
        save_settings(session, logo=name)
    assert service.logo_data_uri(data_dir, name) is not None
    assert (data_dir / "logos" / f"{name}.png").read_bytes() == png
    assert service.logo_data_uri(data_dir, "0" * 16) is None


@pytest.mark.parametrize("name", ["../logo", "ABCDEF0123456789", "0123", "0123456789abcdef/.."])
@pytest.mark.servers_first_case("reading the file is Python; the first case reaches the database")
def test_a_logo_name_that_is_not_a_content_name_names_no_file(data_dir: Path, name: str) -> None:
    assert service.logo_path(data_dir, name) is None
    assert service.logo_data_uri(data_dir, name) is None


@pytest.mark.parametrize("prefix", ["GST/A", "A B", "INV?", "INV#", "Ä1", "INV.1"])
def test_an_invoice_prefix_must_work_in_urls_and_file_names(prefix: str) -> None:
    message = errors_of(invoice_prefix=prefix)["invoice_prefix"]
    assert "no /" in message and "A–Z" in message


def test_an_invoice_prefix_of_letters_digits_and_dashes_is_kept() -> None:
    assert service.validate_form({**GOOD, "invoice_prefix": "gst-a1"})["invoice_prefix"] == "GST-A1"


@pytest.mark.parametrize("names", ["a b", "evil.com/x", "x" * 300, "a,,b,under_score"])
def test_allowed_host_names_are_checked(names: str) -> None:
    assert "allowed_hosts" in errors_of(allowed_hosts=names)


def test_allowed_host_names_are_kept_lower_case() -> None:
    values = service.validate_form({**GOOD, "allowed_hosts": "Till.Lan,  10.0.0.5 ,::1"})
    assert values["allowed_hosts"] == "till.lan, 10.0.0.5, ::1"


def test_the_raw_accessors_read_and_write_the_same_table(app: Flask, tmp_path: Path) -> None:
    """Maintenance's raw sqlite3 path (no app engine) sees what the session saved, and back."""
    import sqlite3

    from posapp.extensions import db
    from posapp.maintenance.database import sqlite_file
    from posapp.models.base import write_transaction
    from posapp.services import settings

    db_file = sqlite_file(app)
    if db_file is None:
        pytest.skip("raw sqlite3 accessors are for the SQLite file")
    with write_transaction(db.session):
        settings.save_settings(db.session, offsite_backup_dir="/mnt/usb")
    assert settings.read_from_file(db_file, "offsite_backup_dir") == "/mnt/usb"
    settings.write_to_file(db_file, "offsite_last_copy", "2026-01-02T03:04:05")
    db.session.expire_all()
    assert settings.stored_value(db.session, "offsite_last_copy") == "2026-01-02T03:04:05"
    assert settings.stored_value(db.session, "never_saved") is None
    assert settings.read_from_file(db_file, "never_saved") == ""
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert settings.read_from_file(empty, "offsite_backup_dir") == ""  # no table yet: ""
