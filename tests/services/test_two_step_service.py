"""services/two_step.py on every backend: confirm, verify once per step, recovery codes."""

from __future__ import annotations

from datetime import UTC

import pyotp
import pytest
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.models import User
from posapp.models.base import utcnow
from posapp.services import two_step
from tests.factories import PASSWORD, make_user


def code(secret: str, ahead: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(utcnow().replace(tzinfo=UTC)) + ahead)


def test_enrol_verify_once_and_recover(session: Session) -> None:
    user = make_user(session, "owner", "admin")
    secret = two_step.start_enrolment(session, user.id)
    with pytest.raises(ValidationError):
        two_step.confirm_enrolment(session, user.id, "123")
    codes = two_step.confirm_enrolment(session, user.id, code(secret))
    assert len(codes) == len(set(codes)) == 10
    assert not two_step.verify(session, user.id, code(secret))  # that step was just used
    assert two_step.verify(session, user.id, code(secret, 1))
    assert not two_step.verify(session, user.id, "000000")
    assert two_step.verify(session, user.id, codes[0])
    assert not two_step.verify(session, user.id, codes[0])
    stored = session.get(User, user.id)
    assert stored is not None and two_step.recovery_codes_left(stored) == 9
    with pytest.raises(ValidationError):
        two_step.disable(session, user.id, "wrong-password")
    two_step.disable(session, user.id, PASSWORD)
    stored = session.get(User, user.id)
    assert stored is not None and not stored.totp_enabled and stored.totp_secret is None


def test_the_requirement_is_a_setting_for_admins_only(session: Session) -> None:
    admin = make_user(session, "owner", "admin")
    cashier = make_user(session, "till1", "cashier")
    assert not two_step.needs_enrolment(session, admin)
    two_step.set_required_for_admins(session, True, admin.id)
    assert two_step.needs_enrolment(session, admin)
    assert not two_step.needs_enrolment(session, cashier)
