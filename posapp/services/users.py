"""User accounts: creation, password checks throttled per client address, sessions that
can be ended (a per-user session version), and API tokens that expire."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, text, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from posapp.errors import AuthError, Conflict, Forbidden, LockedOut, NotFound, ValidationError
from posapp.i18n import LANGUAGES, _, ngettext
from posapp.models import ROLES, ApiToken, LoginAttempt, User
from posapp.models.base import affected, utcnow, write_transaction
from posapp.services import audit, shop_settings
from posapp.services.settings import (
    STOCK_POLICIES,
    ShopSettings,
    load_settings,
    save_settings,
    stored_value,
)
from posapp.services.shop_settings import save_changes

MIN_PASSWORD_LENGTH = 8
# Throttling of failed logins. By (username, address): after FREE_FAILURES the next try
# waits FIRST_DELAY, doubling with each further failure up to MAX_DELAY. By address, across
# all usernames: ADDRESS_FAILURES within ADDRESS_WINDOW. Keyed on the address, so failures
# from another device never stop the shop laptop (or anyone else) from logging in.
FREE_FAILURES = 5
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(minutes=15)
ADDRESS_FAILURES = 30
ADDRESS_WINDOW = timedelta(minutes=15)
# Failures older than this no longer count, and are pruned.
ATTEMPT_MEMORY = timedelta(hours=24)
# Stored keys are cut to the column sizes (longer usernames cannot exist anyway).
ATTEMPT_KEY_LENGTH = 64
TOKEN_DAYS_CHOICES = (30, 90, 365)  # named tokens; 0 = never
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
# How new passwords and PINs are hashed: scrypt at werkzeug's work factor (a tenth of a second
# a hash is the point). Only the test suite changes it, to a cheap cost (tests/conftest.py):
# its thousands of users and logins would spend minutes hashing; one test keeps this value.
HASH_METHOD = "scrypt"
# Checked when the user does not exist, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method=HASH_METHOD)


def has_users(session: Session) -> bool:
    """Tell whether any user exists (the first-run setup is open only when none does)."""
    return (session.scalar(select(func.count()).select_from(User)) or 0) > 0


def validate_password(password: str, confirm: str | None = None) -> None:
    """Check password rules; raise ValidationError with a clear message."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            _("The password needs at least %(num)s characters.", num=MIN_PASSWORD_LENGTH),
            field="password",
        )
    if len(password) > 256:
        raise ValidationError(_("The password is too long."), field="password")
    if confirm is not None and password != confirm:
        raise ValidationError(_("The two passwords do not match."), field="confirm")


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    confirm: str | None = None,
    by_user_id: int | None = None,
    first_admin: bool = False,
) -> User:
    """Create a user in its own write transaction; usernames are unique, case-insensitively.

    With first_admin, refuse (409 setup_done) when any user exists, checked inside the same
    write transaction that creates the user, so racing setup requests create exactly one.
    """
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise ValidationError(
            _("Usernames are 2-64 letters, digits, dots, dashes or underscores."), field="username"
        )
    if role not in ROLES:
        raise ValidationError(_("Role must be admin or cashier."), field="role")
    validate_password(password, confirm)
    password_hash = generate_password_hash(password, method=HASH_METHOD)
    with write_transaction(session):
        if first_admin:
            _lock_for_setup(session)
            if has_users(session):
                raise Conflict(_("Setup is already done; log in instead."), code="setup_done")
        taken = session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
        if taken:
            raise Conflict(
                _("The username %(name)s is taken.", name=repr(username)), code="duplicate"
            )
        user = User(username=username, password_hash=password_hash, role=role)
        session.add(user)
        session.flush()
        audit.record(
            session,
            "user.create",
            user_id=by_user_id or user.id,
            entity="user",
            entity_id=user.id,
            after={"username": username, "role": role},
        )
    return user


def _lock_for_setup(session: Session) -> None:
    """Serialise first-run setups. SQLite's BEGIN IMMEDIATE and MariaDB's writer_lock row
    (both taken by write_transaction) already do; PostgreSQL locks the writer_lock row here."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT id FROM writer_lock WHERE id = 1 FOR UPDATE"))


def create_first_admin(
    session: Session,
    username: str,
    password: str,
    confirm: str,
    shop_name: str = "",
    credit: Mapping[str, Any] | None = None,
    stock_policy: str = "block",
) -> User:
    """Create the first admin; refused once any user exists (also under racing requests).

    The shop's name, the credit limit for new customers (both optional) and the stock policy
    ("block" or "warn") typed on the setup page are saved once the admin exists (a bad limit or
    policy is refused before anything is), and an INR shop starts with rounding to the rupee on.
    """
    if has_users(session):
        raise Conflict(_("Setup is already done; log in instead."), code="setup_done")
    if stock_policy not in STOCK_POLICIES:
        raise ValidationError(_('Choose "block" or "warn".'), field="stock_policy")
    errors: dict[str, str] = {}
    values = shop_settings.credit_values(credit or {}, errors)
    if errors:
        raise ValidationError(
            _("Please correct the credit limit: %(problem)s", problem=next(iter(errors.values()))),
            fields=errors,
        )
    user = create_user(session, username, password, "admin", confirm=confirm, first_admin=True)
    values["stock_policy"] = stock_policy
    shop_name = shop_name.strip()[:120]
    if shop_name:
        values["shop_name"] = shop_name
    # A new rupee shop rounds its bills to the rupee, as Indian counters do; stored here, not
    # as the settings default, so a shop that never touched the setting keeps its bills as
    # they were.
    if stored_value(session, "round_off") is None and load_settings(session).currency == "INR":
        values["round_off"] = True
    if values:
        with write_transaction(session):
            save_settings(session, **values)
    return user


def _attempt_key(username: str, address: str) -> tuple[str, str]:
    return username.strip().lower()[:ATTEMPT_KEY_LENGTH], (address or "?")[:ATTEMPT_KEY_LENGTH]


def throttle_wait(session: Session, username: str, address: str) -> timedelta | None:
    """Return how long this (username, address) must wait before its next try, or None.

    The username need not exist: an unknown one is throttled exactly like a known one, so the
    answers do not tell which usernames exist.
    """
    name, addr = _attempt_key(username, address)
    now = utcnow()
    recent = list(
        session.scalars(
            select(LoginAttempt.created_at)
            .where(
                LoginAttempt.username == name,
                LoginAttempt.address == addr,
                LoginAttempt.created_at > now - ATTEMPT_MEMORY,
            )
            .order_by(LoginAttempt.created_at.desc())
            .limit(FREE_FAILURES + 10)  # enough to reach MAX_DELAY
        )
    )
    waits: list[timedelta] = []
    if len(recent) >= FREE_FAILURES:
        delay = min(FIRST_DELAY * 2 ** (len(recent) - FREE_FAILURES), MAX_DELAY)
        waits.append(recent[0] + delay - now)
    by_address = list(
        session.scalars(
            select(LoginAttempt.created_at)
            .where(LoginAttempt.address == addr, LoginAttempt.created_at > now - ADDRESS_WINDOW)
            .order_by(LoginAttempt.created_at.desc())
            .limit(ADDRESS_FAILURES)
        )
    )
    if len(by_address) >= ADDRESS_FAILURES:
        # Free again once the oldest of the last ADDRESS_FAILURES leaves the window.
        waits.append(by_address[-1] + ADDRESS_WINDOW - now)
    wait = max(waits, default=timedelta(0))
    return wait if wait > timedelta(0) else None


def _refuse_while_throttled(session: Session, key: str, address: str, pin: bool = False) -> None:
    """Raise LockedOut (429) while `key` from `address` must wait; `pin` names the failures
    wrong PINs instead of failed logins."""
    wait = throttle_wait(session, key, address)
    if wait is not None:
        minutes = int(wait.total_seconds() // 60) + 1
        # Whole sentences, one per kind of failure, so each language words them its own way.
        message = (
            ngettext(
                "Too many wrong PINs. Try again in %(num)s minute.",
                "Too many wrong PINs. Try again in %(num)s minutes.",
                minutes,
            )
            if pin
            else ngettext(
                "Too many failed logins. Try again in %(num)s minute.",
                "Too many failed logins. Try again in %(num)s minutes.",
                minutes,
            )
        )
        raise LockedOut(
            message,
            details={"retry_after": int(wait.total_seconds()) + 1},
        )


def _record_failure(
    session: Session, action: str, key: str, typed: str, address: str, user: User | None
) -> None:
    """Count a failed attempt for the throttle and audit it (in the caller's transaction)."""
    name, addr = _attempt_key(key, address)
    session.add(LoginAttempt(username=name, address=addr, created_at=utcnow()))
    audit.record(
        session,
        action,
        user_id=user.id if user is not None else None,
        entity="user",
        entity_id=user.id if user is not None else None,
        after={"username": typed[:ATTEMPT_KEY_LENGTH], "address": addr},
    )


def authenticate(session: Session, username: str, password: str, address: str = "?") -> User:
    """Check a password from a client address; throttle repeated failures (429).

    Failures count per (username, address) with growing delays, and per address across all
    usernames; a known user with a wrong password and an unknown username get the same answers
    in the same sequence, and both are audited as login.failed with the address.
    """
    username = (username or "").strip()
    _refuse_while_throttled(session, username, address)
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None or not user.active:
        # The same scrypt work as a real check, so timing does not tell either.
        check_password_hash(_DUMMY_HASH, password or "")
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password or "")
    name, addr = _attempt_key(username, address)
    now = utcnow()
    with write_transaction(session):
        if ok:
            assert user is not None
            user = session.get(User, user.id)
            assert user is not None
            user.last_login_at = now
            session.execute(
                delete(LoginAttempt).where(
                    LoginAttempt.username == name, LoginAttempt.address == addr
                )
            )
            audit.record(
                session,
                "login.ok",
                user_id=user.id,
                entity="user",
                entity_id=user.id,
                after={"address": addr},
            )
        else:
            _record_failure(session, "login.failed", username, username, address, user)
    if not ok:
        raise AuthError(_("Wrong username or password."), code="invalid_credentials")
    assert user is not None
    purge_expired(session)
    return user


def record_failed_step(session: Session, user: User, address: str) -> None:
    """Count a wrong two-step code like a wrong password (same throttle), and audit it."""
    name, addr = _attempt_key(user.username, address)
    with write_transaction(session):
        session.add(LoginAttempt(username=name, address=addr, created_at=utcnow()))
        audit.record(
            session,
            "login.two_step_failed",
            user_id=user.id,
            entity="user",
            entity_id=user.id,
            after={"address": addr},
        )


def purge_expired(session: Session) -> dict[str, int]:
    """Delete expired and revoked API tokens and forgotten login failures (at start, on login).

    Return how many of each went.
    """
    now = utcnow()
    with write_transaction(session):
        tokens = affected(
            session.execute(
                delete(ApiToken).where(or_(ApiToken.revoked.is_(True), ApiToken.expires_at <= now))
            )
        )
        attempts = affected(
            session.execute(
                delete(LoginAttempt).where(LoginAttempt.created_at <= now - ATTEMPT_MEMORY)
            )
        )
    return {"tokens": tokens or 0, "login_attempts": attempts or 0}


def bump_session_version(session: Session, user_id: int) -> int:
    """End every session of a user (logout); return the new version."""
    with write_transaction(session):
        user = _get(session, user_id)
        user.session_version += 1
        version = user.session_version
        audit.record(session, "login.logout", user_id=user.id, entity="user", entity_id=user.id)
    return version


def _end_sessions_and_tokens(session: Session, user: User) -> int:
    """Inside a write transaction: end the user's sessions and revoke every API token of
    theirs; return how many tokens were revoked."""
    user.session_version += 1
    return affected(
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
            .values(revoked=True)
        )
    )


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def api_token_days(session: Session) -> int:
    """Return the days a login token lives after its last use (a shop setting)."""
    value = stored_value(session, "api_token_days")
    default = ShopSettings.api_token_days
    try:
        return max(1, int(value)) if value is not None else default
    except ValueError:
        return default  # a hand-edited bad value falls back to the default


def set_api_token_days(session: Session, days: int, by_user_id: int) -> None:
    """Set the days a login token lives after its last use (1 to 365)."""
    if not 1 <= days <= 365:
        raise ValidationError(_("Login tokens live 1 to 365 days."), field="token_days")
    save_changes(session, {"api_token_days": days}, "settings.api_token_days", by_user_id)


def issue_token(session: Session, user: User, name: str = "login") -> str:
    """Create a login API token for a user (it expires after the shop's days without use);
    return the plain token (shown once, stored hashed)."""
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(days=api_token_days(session))
    with write_transaction(session):
        session.add(
            ApiToken(
                user_id=user.id,
                name=name[:80],
                token_hash=_hash_token(token),
                expires_at=expires_at,
                sliding=True,
            )
        )
    return token


# Built once: every API call comes here. The user and the token's bookkeeping in one query;
# the statement is not rebuilt per call.
_TOKEN_USER = (
    select(User, ApiToken.id, ApiToken.last_used_at, ApiToken.sliding)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked.is_(False),
        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > bindparam("now")),
    )
)
_TOKEN_USED = (
    update(ApiToken)
    .where(ApiToken.id == bindparam("token_id"))
    .values(last_used_at=bindparam("now"))
)
_TOKEN_SLID = (
    update(ApiToken)
    .where(ApiToken.id == bindparam("token_id"))
    .values(last_used_at=bindparam("now"), expires_at=bindparam("expires_at"))
)


def token_user(session: Session, token: str) -> tuple[User, int] | None:
    """Return the active user owning a live (not revoked, not expired) token and the token's
    id, or None. A login token's expiry slides on with use."""
    if not token or len(token) > 200:
        return None
    now = utcnow()
    found = session.execute(_TOKEN_USER, {"token_hash": _hash_token(token), "now": now}).first()
    if found is None or not found[0].active:
        return None
    user, token_id, last_used_at, sliding = found
    # Only write last_used_at (and slide the expiry) once a minute: a write per API call
    # would serialise reads.
    if last_used_at is None or now - last_used_at > timedelta(minutes=1):
        with write_transaction(session):
            if sliding:
                expires_at = now + timedelta(days=api_token_days(session))
                session.connection().execute(
                    _TOKEN_SLID, {"token_id": token_id, "now": now, "expires_at": expires_at}
                )
            else:
                session.connection().execute(_TOKEN_USED, {"token_id": token_id, "now": now})
        # The write transaction expired the user; the caller gets it fresh (and still active).
        fresh = session.get(User, user.id)
        return (fresh, token_id) if fresh is not None and fresh.active else None
    return user, token_id


def user_for_token(session: Session, token: str) -> User | None:
    """Return the active user owning a live token, or None."""
    found = token_user(session, token)
    return found[0] if found is not None else None


def end_token(session: Session, token_id: int) -> None:
    """End one token for good (POST /api/auth/logout): it answers 401 from now on."""
    with write_transaction(session):
        row = session.get(ApiToken, token_id)
        if row is None:
            return
        audit.record(
            session,
            "token.logout",
            user_id=row.user_id,
            entity="api_token",
            entity_id=row.id,
            before={"name": row.name},
        )
        session.delete(row)


def refresh_token(session: Session, user: User, token_id: int) -> str:
    """Swap a login token for a new one in one transaction (POST /api/v1/auth/refresh): the
    new token exists exactly when the old one has ended, whatever fails in between.

    Only a login token (sliding) can be refreshed: a named token is the admin's to manage."""
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(days=api_token_days(session))
    with write_transaction(session):
        row = session.get(ApiToken, token_id)
        if row is None or not row.sliding or row.revoked:
            raise Conflict(_("Only a login token can be refreshed."), code="not_a_login_token")
        new = ApiToken(
            user_id=user.id,
            name=row.name,
            token_hash=_hash_token(token),
            expires_at=expires_at,
            sliding=True,
        )
        session.add(new)
        session.flush()
        audit.record(
            session,
            "token.refresh",
            user_id=row.user_id,
            entity="api_token",
            entity_id=new.id,
            before={"name": row.name, "id": row.id},
            after={"name": new.name, "id": new.id},
        )
        session.delete(row)
    return token


TOKEN_NAME_LIMIT = 80


def create_named_token(
    session: Session, user_id: int, name: str, days: int = 0
) -> tuple[ApiToken, str]:
    """Create a named API token for a user; return it and the plain token (shown only once).

    The token acts as its user, so it carries the user's role (and stops with the account).
    It expires `days` (30, 90 or 365) after creation, or never (0).
    """
    if days != 0 and days not in TOKEN_DAYS_CHOICES:
        raise ValidationError(
            _("A token expires after 30, 90 or 365 days, or never."), field="expires"
        )
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(
            _("Give the token a name, e.g. the script that will use it."), field="name"
        )
    if len(name) > TOKEN_NAME_LIMIT:
        raise ValidationError(
            _("Token names take at most %(num)s characters.", num=TOKEN_NAME_LIMIT),
            field="name",
        )
    token = secrets.token_urlsafe(32)
    with write_transaction(session):
        user = _get(session, user_id)
        taken = session.scalar(
            select(ApiToken.id).where(
                ApiToken.user_id == user.id,
                ApiToken.revoked.is_(False),
                func.lower(ApiToken.name) == func.lower(name),
            )
        )
        if taken:
            raise Conflict(
                _("You already have a live token named %(name)s.", name=repr(name)),
                code="duplicate",
            )
        expires_at = utcnow() + timedelta(days=days) if days else None
        row = ApiToken(
            user_id=user.id, name=name, token_hash=_hash_token(token), expires_at=expires_at
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            "token.create",
            user_id=user.id,
            entity="api_token",
            entity_id=row.id,
            after={"name": name, "expires_days": days or None},
        )
    return row, token


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """Return a user's live tokens (named and from API logins), newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(
                ApiToken.user_id == user_id,
                ApiToken.revoked.is_(False),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()),
            )
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, user_id: int, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; another user's token is not found (404)."""
    with write_transaction(session):
        row = session.get(ApiToken, token_id)
        if row is None or row.user_id != user_id:
            raise NotFound(_("You have no such token."))
        if not row.revoked:
            row.revoked = True
            audit.record(
                session,
                "token.revoke",
                user_id=user_id,
                entity="api_token",
                entity_id=row.id,
                before={"name": row.name},
            )
    return row


def list_users(session: Session) -> list[User]:
    """Return every user, active ones first, by username."""
    return list(
        session.scalars(select(User).order_by(User.active.desc(), func.lower(User.username)))
    )


def _get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("There is no such user."))
    return user


def _other_active_admins(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == "admin", User.active.is_(True), User.id != user_id)
        )
        or 0
    )


def set_role(session: Session, user_id: int, role: str, by_user_id: int) -> User:
    """Change a user's role; nobody demotes themselves, and one active admin always remains."""
    if role not in ROLES:
        raise ValidationError(_("Role must be admin or cashier."), field="role")
    with write_transaction(session):
        user = _get(session, user_id)
        if user.role == role:
            return user
        if user.id == by_user_id:
            raise Conflict(_("You cannot change your own role."), code="own_role")
        if user.role == "admin" and user.active and not _other_active_admins(session, user.id):
            raise Conflict(_("The last active admin cannot be demoted."), code="last_admin")
        before = user.role
        user.role = role
        audit.record(
            session,
            "user.role",
            user_id=by_user_id,
            entity="user",
            entity_id=user.id,
            before={"role": before},
            after={"role": role},
        )
    return user


def set_active(session: Session, user_id: int, active: bool, by_user_id: int) -> User:
    """Deactivate (ending the user's sessions and API tokens) or reactivate a user."""
    with write_transaction(session):
        user = _get(session, user_id)
        if user.active == active:
            return user
        if not active:
            if user.id == by_user_id:
                raise Conflict(_("You cannot deactivate yourself."), code="own_account")
            if user.role == "admin" and not _other_active_admins(session, user.id):
                raise Conflict(_("The last active admin cannot be deactivated."), code="last_admin")
        user.active = active
        revoked = 0
        if not active:
            revoked = _end_sessions_and_tokens(session, user)
        after: dict[str, object] = {"active": active}
        if revoked:
            after["tokens_revoked"] = revoked
        audit.record(
            session,
            "user.activate" if active else "user.deactivate",
            user_id=by_user_id,
            entity="user",
            entity_id=user.id,
            before={"active": not active},
            after=after,
        )
    return user


def reset_password(
    session: Session, user_id: int, password: str, confirm: str, by_user_id: int
) -> User:
    """Set a temporary password chosen by an admin; the user must change it at next login.

    Every session and API token of the user ends.
    """
    validate_password(password, confirm)
    password_hash = generate_password_hash(password, method=HASH_METHOD)
    with write_transaction(session):
        user = _get(session, user_id)
        user.password_hash = password_hash
        user.must_change_password = True
        revoked = _end_sessions_and_tokens(session, user)
        # A fresh start from every address: the admin vouches for the user now.
        session.execute(
            delete(LoginAttempt).where(
                LoginAttempt.username == user.username.lower()[:ATTEMPT_KEY_LENGTH]
            )
        )
        audit.record(
            session,
            "user.password_reset",
            user_id=by_user_id,
            entity="user",
            entity_id=user.id,
            after={"must_change_password": True, "tokens_revoked": revoked},
        )
    return user


def change_password(session: Session, user_id: int, old: str, new: str, confirm: str) -> User:
    """Change one's own password: the old one is required, the new one twice and different.

    Every session and API token of the user ends; the caller re-issues its own session with
    the returned user's session_version.
    """
    user = _get(session, user_id)
    if not check_password_hash(user.password_hash, old or ""):
        raise ValidationError(_("The current password is wrong."), field="old_password")
    validate_password(new or "", confirm or "")
    if new == old:
        raise ValidationError(
            _("Choose a password different from the current one."), field="password"
        )
    password_hash = generate_password_hash(new, method=HASH_METHOD)
    with write_transaction(session):
        user = _get(session, user_id)
        user.password_hash = password_hash
        user.must_change_password = False
        revoked = _end_sessions_and_tokens(session, user)
        audit.record(
            session,
            "user.password_change",
            user_id=user.id,
            entity="user",
            entity_id=user.id,
            after={"tokens_revoked": revoked},
        )
    return user


def set_language(session: Session, user_id: int, code: str) -> User:
    """Set the language of a user's own screens: a code of `i18n.LANGUAGES`, or "" for the
    browser's; audited as user.language (nothing is written when it does not change)."""
    code = (code or "").strip()
    if code and code not in LANGUAGES:
        raise ValidationError(_("Choose a language from the list."), field="language")
    with write_transaction(session):
        user = _get(session, user_id)
        if user.language == code:
            return user
        before = user.language
        user.language = code
        audit.record(
            session,
            "user.language",
            user_id=user.id,
            entity="user",
            entity_id=user.id,
            before={"language": before},
            after={"language": code},
        )
    return user


def session_timeout_minutes(session: Session) -> int:
    """Return the idle timeout in minutes (0 = never); read fresh, one key, every request."""
    value = stored_value(session, "session_timeout_minutes")
    default = ShopSettings.session_timeout_minutes
    if value is None:
        return default
    try:
        return max(0, int(value))
    except ValueError:
        return default  # a hand-edited bad value falls back to the default


def set_session_timeout(session: Session, minutes: int, by_user_id: int) -> None:
    """Set the idle minutes after which a session ends (0 = never; at most a week)."""
    if not 0 <= minutes <= 7 * 24 * 60:
        raise ValidationError(
            _("The timeout is 0 (never) up to 10080 minutes (a week)."), field="timeout"
        )
    save_changes(
        session, {"session_timeout_minutes": minutes}, "settings.session_timeout", by_user_id
    )


# ---------------------------------------------------------------- till PINs

# An admin's till PIN approves a cashier's sale at the counter (services/approvals.py): short
# enough to type while the customer waits, hashed and throttled like a password.
PIN_RE = re.compile(r"^[0-9]{4,8}$")
# PIN failures count in the login throttle under their own name, so a cashier guessing an
# admin's PIN slows down the PIN, not the admin's login (the per-address limit covers both).
PIN_ATTEMPT_PREFIX = "pin:"


def set_pin(session: Session, user_id: int, pin: str, confirm: str) -> User:
    """Set an admin's own till PIN (4-8 digits, typed twice); audited as user.pin_set."""
    pin = pin if isinstance(pin, str) else ""
    if not PIN_RE.fullmatch(pin):
        raise ValidationError(_("The PIN must be 4 to 8 digits (0-9)."), field="pin")
    if confirm != pin:
        raise ValidationError(_("The two PINs do not match."), field="confirm")
    with write_transaction(session):
        user = _get(session, user_id)
        if user.role != "admin":
            raise Forbidden(_("Only admins have a till PIN."))
        user.pin_hash = generate_password_hash(pin, method=HASH_METHOD)
        audit.record(session, "user.pin_set", user_id=user.id, entity="user", entity_id=user.id)
    return user


def clear_pin(session: Session, user_id: int, by_user_id: int) -> User:
    """Remove a user's till PIN (an admin, e.g. for one who forgot it); audited."""
    with write_transaction(session):
        user = _get(session, user_id)
        had = user.pin_hash is not None
        user.pin_hash = None
        audit.record(
            session,
            "user.pin_clear",
            user_id=by_user_id,
            entity="user",
            entity_id=user.id,
            before={"had_pin": had},
        )
    return user


def check_pin(session: Session, username: str, pin: str, address: str = "?") -> User:
    """Return the active admin whose till PIN this is; throttled and audited like a login.

    A wrong PIN, an unknown username, a cashier and an admin without a PIN get the same
    answer (a 422 on the PIN field), so the dialog does not tell which admins exist.
    """
    username = (username or "").strip() if isinstance(username, str) else ""
    pin = pin if isinstance(pin, str) else ""
    key = PIN_ATTEMPT_PREFIX + username
    _refuse_while_throttled(session, key, address, pin=True)
    user = (
        session.scalar(select(User).where(func.lower(User.username) == username.lower()))
        if username
        else None
    )
    stored = (
        user.pin_hash
        if user is not None and user.active and user.role == "admin" and user.pin_hash
        else None
    )
    # The same scrypt work either way, so timing does not tell which admins have a PIN.
    ok = check_password_hash(stored or _DUMMY_HASH, pin)
    ok = bool(stored and ok and PIN_RE.fullmatch(pin))
    if ok:
        assert user is not None
        return user
    with write_transaction(session):
        _record_failure(session, "user.pin_failed", key, username, address, user)
    raise ValidationError(_("Wrong admin username or PIN."), field="approval.pin")
