"""User accounts: creation, password checks with lockout, and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from posapp.errors import AuthError, Conflict, LockedOut, NotFound, ValidationError
from posapp.models import ROLES, ApiToken, Setting, User
from posapp.models.base import utcnow, write_transaction
from posapp.services import audit
from posapp.services.settings import ShopSettings, save_settings

MIN_PASSWORD_LENGTH = 8
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
# Checked when the user does not exist, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def has_users(session: Session) -> bool:
    """Tell whether any user exists (the first-run setup is open only when none does)."""
    return session.scalar(select(func.count()).select_from(User)) > 0


def validate_password(password: str, confirm: str | None = None) -> None:
    """Check password rules; raise ValidationError with a clear message."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    if len(password) > 256:
        raise ValidationError("The password is too long.", field="password")
    if confirm is not None and password != confirm:
        raise ValidationError("The two passwords do not match.", field="confirm")


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    confirm: str | None = None,
    by_user_id: int | None = None,
) -> User:
    """Create a user in its own write transaction; usernames are unique, case-insensitively."""
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise ValidationError(
            "Usernames are 2-64 letters, digits, dots, dashes or underscores.", field="username"
        )
    if role not in ROLES:
        raise ValidationError("Role must be admin or cashier.", field="role")
    validate_password(password, confirm)
    password_hash = generate_password_hash(password, method="scrypt")
    with write_transaction(session):
        taken = session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
        if taken:
            raise Conflict(f"The username {username!r} is taken.", code="duplicate")
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


def create_first_admin(session: Session, username: str, password: str, confirm: str) -> User:
    """Create the first admin; refused once any user exists."""
    if has_users(session):
        raise Conflict("Setup is already done; log in instead.", code="setup_done")
    return create_user(session, username, password, "admin", confirm=confirm)


def authenticate(session: Session, username: str, password: str) -> User:
    """Check a password; count failures and lock the account after too many."""
    username = (username or "").strip()
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password or "")
        raise AuthError("Wrong username or password.", code="invalid_credentials")
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        minutes = int((user.locked_until - now).total_seconds() // 60) + 1
        raise LockedOut(
            f"Too many failed logins. Try again in {minutes} minute(s).",
            details={"locked_until": user.locked_until.isoformat() + "Z"},
        )
    ok = check_password_hash(user.password_hash, password or "")
    with write_transaction(session):
        user = session.get(User, user.id)
        assert user is not None
        if ok:
            user.failed_logins = 0
            user.locked_until = None
            user.last_login_at = now
            audit.record(session, "login.ok", user_id=user.id, entity="user", entity_id=user.id)
        else:
            user.failed_logins += 1
            action = "login.failed"
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
                action = "login.locked"
            audit.record(session, action, user_id=user.id, entity="user", entity_id=user.id)
    if not ok:
        if user.locked_until and user.locked_until > now:
            raise LockedOut("Too many failed logins. The account is locked for 15 minutes.")
        raise AuthError("Wrong username or password.", code="invalid_credentials")
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, name: str = "login") -> str:
    """Create an API token for a user; return the plain token (shown once, stored hashed)."""
    token = secrets.token_urlsafe(32)
    with write_transaction(session):
        session.add(ApiToken(user_id=user.id, name=name[:80], token_hash=_hash_token(token)))
    return token


# Built once: every API call comes here. The user and the token's bookkeeping in one query;
# the statement is not rebuilt per call.
_TOKEN_USER = (
    select(User, ApiToken.id, ApiToken.last_used_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked.is_(False))
)
_TOKEN_USED = (
    update(ApiToken)
    .where(ApiToken.id == bindparam("token_id"))
    .values(last_used_at=bindparam("now"))
)


def user_for_token(session: Session, token: str) -> User | None:
    """Return the active user owning a live token, or None."""
    if not token or len(token) > 200:
        return None
    found = session.execute(_TOKEN_USER, {"token_hash": _hash_token(token)}).first()
    if found is None or not found[0].active:
        return None
    user, token_id, last_used_at = found
    now = utcnow()
    # Only write last_used_at once a minute: a write per API call would serialise reads.
    if last_used_at is None or now - last_used_at > timedelta(minutes=1):
        with write_transaction(session):
            session.connection().execute(_TOKEN_USED, {"token_id": token_id, "now": now})
        # The write transaction expired the user; the caller gets it fresh (and still active).
        fresh = session.get(User, user.id)
        return fresh if fresh is not None and fresh.active else None
    return user  # type: ignore[no-any-return]


TOKEN_NAME_LIMIT = 80


def create_named_token(session: Session, user_id: int, name: str) -> tuple[ApiToken, str]:
    """Create a named API token for a user; return it and the plain token (shown only once).

    The token acts as its user, so it carries the user's role (and stops with the account).
    """
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(
            "Give the token a name, e.g. the script that will use it.", field="name"
        )
    if len(name) > TOKEN_NAME_LIMIT:
        raise ValidationError(
            f"Token names take at most {TOKEN_NAME_LIMIT} characters.", field="name"
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
            raise Conflict(f"You already have a live token named {name!r}.", code="duplicate")
        row = ApiToken(user_id=user.id, name=name, token_hash=_hash_token(token))
        session.add(row)
        session.flush()
        audit.record(
            session,
            "token.create",
            user_id=user.id,
            entity="api_token",
            entity_id=row.id,
            after={"name": name},
        )
    return row, token


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """Return a user's live tokens (named and from API logins), newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, user_id: int, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; another user's token is not found (404)."""
    with write_transaction(session):
        row = session.get(ApiToken, token_id)
        if row is None or row.user_id != user_id:
            raise NotFound("You have no such token.")
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
        raise NotFound("There is no such user.")
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
        raise ValidationError("Role must be admin or cashier.", field="role")
    with write_transaction(session):
        user = _get(session, user_id)
        if user.role == role:
            return user
        if user.id == by_user_id:
            raise Conflict("You cannot change your own role.", code="own_role")
        if user.role == "admin" and user.active and not _other_active_admins(session, user.id):
            raise Conflict("The last active admin cannot be demoted.", code="last_admin")
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
    """Deactivate (revoking the user's API tokens) or reactivate a user."""
    with write_transaction(session):
        user = _get(session, user_id)
        if user.active == active:
            return user
        if not active:
            if user.id == by_user_id:
                raise Conflict("You cannot deactivate yourself.", code="own_account")
            if user.role == "admin" and not _other_active_admins(session, user.id):
                raise Conflict("The last active admin cannot be deactivated.", code="last_admin")
        user.active = active
        revoked = 0
        if not active:
            revoked = (
                session.execute(
                    update(ApiToken)
                    .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
                    .values(revoked=True)
                ).rowcount
                or 0
            )
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
    """Set a temporary password chosen by an admin; the user must change it at next login."""
    validate_password(password, confirm)
    password_hash = generate_password_hash(password, method="scrypt")
    with write_transaction(session):
        user = _get(session, user_id)
        user.password_hash = password_hash
        user.must_change_password = True
        user.failed_logins = 0
        user.locked_until = None
        audit.record(
            session,
            "user.password_reset",
            user_id=by_user_id,
            entity="user",
            entity_id=user.id,
            after={"must_change_password": True},
        )
    return user


def change_password(session: Session, user_id: int, old: str, new: str, confirm: str) -> User:
    """Change one's own password: the old one is required, the new one twice and different."""
    user = _get(session, user_id)
    if not check_password_hash(user.password_hash, old or ""):
        raise ValidationError("The current password is wrong.", field="old_password")
    validate_password(new or "", confirm or "")
    if new == old:
        raise ValidationError("Choose a password different from the current one.", field="password")
    password_hash = generate_password_hash(new, method="scrypt")
    with write_transaction(session):
        user = _get(session, user_id)
        user.password_hash = password_hash
        user.must_change_password = False
        audit.record(
            session, "user.password_change", user_id=user.id, entity="user", entity_id=user.id
        )
    return user


def session_timeout_minutes(session: Session) -> int:
    """Return the idle timeout in minutes (0 = never); read fresh, one key, every request."""
    row = session.get(Setting, "session_timeout_minutes")
    default = ShopSettings.session_timeout_minutes
    if row is None:
        return default
    try:
        return max(0, int(row.value))
    except ValueError:
        return default  # a hand-edited bad value falls back to the default


def set_session_timeout(session: Session, minutes: int, by_user_id: int) -> None:
    """Set the idle minutes after which a session ends (0 = never; at most a week)."""
    if not 0 <= minutes <= 7 * 24 * 60:
        raise ValidationError(
            "The timeout is 0 (never) up to 10080 minutes (a week).", field="timeout"
        )
    with write_transaction(session):
        changed = save_settings(session, session_timeout_minutes=minutes)
        if changed:
            old, new = changed["session_timeout_minutes"]
            audit.record(
                session,
                "settings.session_timeout",
                user_id=by_user_id,
                entity="setting",
                before={"session_timeout_minutes": old},
                after={"session_timeout_minutes": new},
            )
