"""Two-step login: time-based one-time codes (RFC 6238, offline) and printed recovery codes.

An enrolment starts with a fresh secret (shown once, as a QR code for the authenticator app),
and is enabled only when the user types a code from the app, proving it was scanned. Enabling
returns ten recovery codes, shown once and stored as SHA-256 hashes; each works once, in place
of a code, when the phone is lost. A code is accepted once: its time step is remembered.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
from datetime import UTC

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from posapp.errors import Conflict, NotFound, ValidationError
from posapp.i18n import _
from posapp.models import User
from posapp.models.base import utcnow, write_transaction
from posapp.services import audit
from posapp.services.settings import stored_value
from posapp.services.shop_settings import save_changes

ISSUER = "TillBook"
RECOVERY_CODES = 10
# One step either side: a phone clock 30 s off still works.
VALID_WINDOW = 1
# Recovery codes: 10 characters from an alphabet without look-alikes (0/O, 1/I/L).
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("There is no such user."))
    return user


def _hash_code(code: str) -> str:
    return hashlib.sha256(_normal(code).encode("ascii", "ignore")).hexdigest()


def _normal(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isascii() and ch.isalnum())


def required_for_admins(session: Session) -> bool:
    """Tell whether every admin must use two-step login (a shop setting)."""
    return stored_value(session, "admin_two_step_required") == "1"


def set_required_for_admins(session: Session, required: bool, by_user_id: int) -> None:
    """Require (or stop requiring) two-step login for every admin."""
    save_changes(
        session,
        {"admin_two_step_required": required},
        "settings.admin_two_step_required",
        by_user_id,
    )


def needs_enrolment(session: Session, user: User) -> bool:
    """Tell whether this user must set up two-step login before anything else."""
    return user.is_admin and not user.totp_enabled and required_for_admins(session)


def start_enrolment(session: Session, user_id: int) -> str:
    """Give the user a fresh secret to scan (not in use until confirmed); return it."""
    secret = pyotp.random_base32()
    with write_transaction(session):
        user = _user(session, user_id)
        if user.totp_enabled:
            raise Conflict(
                _("Two-step login is already on; turn it off first."), code="two_step_on"
            )
        user.totp_secret = secret
    return secret


def provisioning_uri(user: User, secret: str, shop_name: str) -> str:
    """Return the otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.username, issuer_name=f"{ISSUER} {shop_name}".strip()
    )


def qr_svg(uri: str) -> str:
    """Draw the URI as an SVG QR code (inline in the page: no image request, no file)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode("utf-8")
    return svg[svg.index("<svg") :]  # without the XML declaration


def _accept_totp(user: User, code: str) -> bool:
    """Check a 6-digit code against the user's secret; a time step is accepted once."""
    digits = _normal(code)
    if not user.totp_secret or len(digits) != 6 or not digits.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    # utcnow() is naive UTC; pyotp reads a naive time as local, so make it aware.
    step_now = totp.timecode(utcnow().replace(tzinfo=UTC))
    for step in range(step_now - VALID_WINDOW, step_now + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), digits):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False  # replayed (or older than one already used)
            user.totp_last_step = step
            return True
    return False


def confirm_enrolment(session: Session, user_id: int, code: str) -> list[str]:
    """Turn two-step login on when the code matches the scanned secret; return the recovery
    codes (shown once: only their hashes are kept)."""
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    with write_transaction(session):
        user = _user(session, user_id)
        if user.totp_enabled:
            raise Conflict(_("Two-step login is already on."), code="two_step_on")
        if not user.totp_secret:
            raise ValidationError(_("Start the set-up first."), field="code")
        if not _accept_totp(user, code):
            raise ValidationError(
                _("That code does not match. Type the 6 digits the app shows now."), field="code"
            )
        user.totp_enabled = True
        user.recovery_codes = json.dumps([_hash_code(c) for c in codes])
        audit.record(session, "user.two_step_on", user_id=user.id, entity="user", entity_id=user.id)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def verify(session: Session, user_id: int, code: str) -> bool:
    """Check the second step: a current code, or an unused recovery code (then used up)."""
    with write_transaction(session):
        user = _user(session, user_id)
        if not user.totp_enabled:
            return True
        if _accept_totp(user, code):
            return True
        hashes: list[str] = json.loads(user.recovery_codes or "[]")
        digest = _hash_code(code)
        if len(_normal(code)) == 10 and digest in hashes:
            hashes.remove(digest)
            user.recovery_codes = json.dumps(hashes)
            audit.record(
                session,
                "user.recovery_code_used",
                user_id=user.id,
                entity="user",
                entity_id=user.id,
                after={"codes_left": len(hashes)},
            )
            return True
    return False


def recovery_codes_left(user: User) -> int:
    """Return how many recovery codes the user has not used."""
    return len(json.loads(user.recovery_codes or "[]"))


def disable(session: Session, user_id: int, password: str) -> None:
    """Turn two-step login off; the user's password is required."""
    with write_transaction(session):
        user = _user(session, user_id)
        if not check_password_hash(user.password_hash, password or ""):
            raise ValidationError(_("The password is wrong."), field="password")
        user.totp_enabled = False
        user.totp_secret = None
        user.totp_last_step = None
        user.recovery_codes = None
        audit.record(
            session, "user.two_step_off", user_id=user.id, entity="user", entity_id=user.id
        )
