"""First-run setup, login and logout."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from posapp.errors import AuthError, DomainError, Forbidden, ValidationError
from posapp.extensions import db, login_manager
from posapp.i18n import LANGUAGES, _, lazy
from posapp.models import User
from posapp.money import money_str
from posapp.services import two_step, users
from posapp.services.settings import ShopSettings, load_settings
from posapp.web import admin_required

bp = Blueprint("auth", __name__)
LOCAL_ADDRESSES = {"127.0.0.1", "::1", "localhost"}
SETUP_CREDIT_FIELDS = ("new_customer_credit_limit", "new_customer_no_credit_limit")
OPEN_ENDPOINTS = {"auth.setup", "static", "api.health", "desktop.quit_app"}
# What a user whose password was reset may still reach before choosing a new one.
PASSWORD_CHANGE_ENDPOINTS = {
    "auth.change_password",
    "auth.logout",
    "static",
    "api.health",
    "desktop.quit_app",
}
# What an admin who must set up two-step login may still reach before doing so.
TWO_STEP_ENDPOINTS = {
    "auth.two_step",
    "auth.two_step_start",
    "auth.two_step_confirm",
    "auth.logout",
    "static",
    "api.health",
    "desktop.quit_app",
}
PENDING_USER = "two_step_user"  # password checked, code still due: not logged in yet
PENDING_VERSION = "two_step_version"
PENDING_AT = "two_step_at"
PENDING_SECONDS = 300  # the code must follow the password within 5 minutes
LAST_SEEN = "last_seen"
SESSION_VERSION = "session_version"  # the user's session_version when this session began
DEFAULT_TOKEN_DAYS = 90  # a named token's expiry when the form does not say
LAST_SEEN_RESOLUTION = 30  # seconds; refreshing the cookie on every request gains nothing

login_manager.login_view = "auth.login"
login_manager.login_message = lazy("Please log in.")
# Flashed as text in the request's language (a lazy message cannot be stored in the session).
login_manager.localize_callback = str
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the session's user, if the session is still current: a logout, password change or
    reset, or deactivation since it began bumped the user's session_version and ended it.
    Inactive users are refused by Flask-Login."""
    if not user_id.isdecimal():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or session.get(SESSION_VERSION) != user.session_version:
        return None
    return user


def _setup_needed() -> bool:
    if current_app.config.get("HAS_USERS"):
        return False
    if users.has_users(db.session):
        current_app.config["HAS_USERS"] = True
        return False
    return True


@bp.before_app_request
def first_run_redirect() -> Response | None:
    """Until the first admin exists, every page leads to the setup page.

    Not the APIs: a caller reading JSON (a shop enrolling at an HQ that has no admin yet)
    must get the API's answer, not a redirect to an HTML page it cannot read."""
    if request.endpoint in OPEN_ENDPOINTS or request.path.startswith(("/api/", "/hq/api/")):
        return None
    if _setup_needed():
        return redirect(url_for("auth.setup"))
    return None


def _is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


@bp.before_app_request
def session_guard() -> Response | None:
    """End idle sessions (server-side, by a last-seen time) and hold reset users at the
    change-password page."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    minutes = users.session_timeout_minutes(db.session)
    last_seen = session.get(LAST_SEEN)
    # The session cookie is signed, so last_seen cannot be forged or stripped; a session from
    # before the timeout existed simply starts counting now.
    if minutes and isinstance(last_seen, int) and now - last_seen > minutes * 60:
        logout_user()
        session.pop(LAST_SEEN, None)
        message = _("You were logged out after being idle; log in again.")
        if _is_api_request():
            raise AuthError(message, code="session_expired")
        flash(message, "info")
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for("auth.login", next=target))
    if not isinstance(last_seen, int) or now - last_seen >= LAST_SEEN_RESOLUTION:
        session[LAST_SEEN] = now
    if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        if _is_api_request():
            raise Forbidden(
                _("Your password was reset; choose a new one first."),
                code="password_change_required",
            )
        return redirect(url_for("auth.change_password"))
    if (
        current_user.is_admin
        and not current_user.totp_enabled
        and request.endpoint not in TWO_STEP_ENDPOINTS
        and two_step.needs_enrolment(db.session, current_user)
    ):
        if _is_api_request():
            raise Forbidden(
                _("Set up two-step login in the app first."), code="two_step_setup_required"
            )
        return redirect(url_for("auth.two_step"))
    return None


def _log_in(user: User) -> None:
    login_user(user)
    session[SESSION_VERSION] = user.session_version
    session[LAST_SEEN] = int(time.time())


def renew_session(user: User) -> None:
    """Keep the current session alive after the user's sessions were ended on purpose (own
    password change): it takes the user's new session_version."""
    session[SESSION_VERSION] = user.session_version


def client_address() -> str:
    """Return the client address (after ProxyFix, when TillBook runs behind a proxy)."""
    return request.remote_addr or "?"


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Response | str | tuple[str, int]:
    """Create the first admin account (once, and only from this machine)."""
    if not _setup_needed():
        return redirect(url_for("auth.login"))
    if request.remote_addr not in LOCAL_ADDRESSES:
        abort(403, _("The first admin can only be created on the shop computer itself."))
    error, fields = None, {}
    form: Mapping[str, Any] = request.form
    if request.method == "GET":
        # The shop's first answer to "how much udhaar may a new customer run up?", prefilled.
        default = ShopSettings().new_customer_credit_limit
        form = {"new_customer_credit_limit": money_str(default)}
    if request.method == "POST":
        try:
            user = users.create_first_admin(
                db.session,
                form.get("username", ""),
                form.get("password", ""),
                form.get("confirm", ""),
                form.get("shop_name", ""),
                {key: form[key] for key in SETUP_CREDIT_FIELDS if key in form},
                form.get("stock_policy", "block"),
            )
            current_app.config["HAS_USERS"] = True
            _log_in(user)
            return redirect(url_for("products.index"))
        except DomainError as exc:
            error, fields = exc.message, exc.details.get("fields", {})
    status = 422 if error else 200
    return render_template("auth/setup.html", error=error, fields=fields, form=form), status


def _safe_next(target: str | None) -> str:
    if (
        target
        and not urlsplit(target).netloc
        and target.startswith("/")
        and not target.startswith("//")
    ):
        return target
    return url_for("pos.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    """Log in with a username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("pos.index"))
    error = None
    status = 200
    if request.method == "POST":
        try:
            user = users.authenticate(
                db.session,
                request.form.get("username", ""),
                request.form.get("password", ""),
                client_address(),
            )
            if user.totp_enabled:
                session[PENDING_USER] = user.id
                session[PENDING_VERSION] = user.session_version
                session[PENDING_AT] = int(time.time())
                return redirect(url_for("auth.login_code", next=request.args.get("next")))
            _log_in(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")))
        except DomainError as exc:
            error, status = exc.message, exc.status
    return render_template(
        "auth/login.html", error=error, username=request.form.get("username", "")
    ), status


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> Response | str | tuple[str, int]:
    """The second step of a two-step login: a code from the app or a recovery code."""
    pending = session.get(PENDING_USER)
    user = db.session.get(User, pending) if isinstance(pending, int) else None
    started = session.get(PENDING_AT)
    if (
        user is None
        or not user.active
        or session.get(PENDING_VERSION) != user.session_version
        or not isinstance(started, int)
        or time.time() - started > PENDING_SECONDS
    ):
        session.pop(PENDING_USER, None)
        return redirect(url_for("auth.login"))
    error, status = None, 200
    if request.method == "POST":
        wait = users.throttle_wait(db.session, user.username, client_address())
        if wait is not None:
            error, status = _("Too many wrong codes. Wait a few minutes, then try again."), 429
        elif two_step.verify(db.session, user.id, request.form.get("code", "")):
            for key in (PENDING_USER, PENDING_VERSION, PENDING_AT):
                session.pop(key, None)
            user = db.session.get(User, user.id)
            assert user is not None
            _log_in(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")))
        else:
            users.record_failed_step(db.session, user, client_address())
            error, status = _("That code is not right. Type the code the app shows now."), 401
    return render_template("auth/login_code.html", error=error), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Log out, ending every session of this user for good (a copied cookie included)."""
    users.bump_session_version(db.session, current_user.id)
    logout_user()
    session.pop(SESSION_VERSION, None)
    return redirect(url_for("auth.login"))


@bp.get("/")
@login_required
def home() -> Response:
    """Send admins to the dashboard and cashiers to the till."""
    return redirect(url_for("dashboard.index" if current_user.is_admin else "pos.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | tuple[str, int]:
    """Change one's own password (the current one is required)."""
    error, fields, status = None, {}, 200
    if request.method == "POST":
        form = request.form
        try:
            user = users.change_password(
                db.session,
                current_user.id,
                form.get("old_password", ""),
                form.get("password", ""),
                form.get("confirm", ""),
            )
        except DomainError as exc:
            error, fields, status = exc.message, exc.details.get("fields", {}), exc.status
        else:
            renew_session(user)  # every other session and token of the user has ended
            flash(
                _("Your password was changed; your other sessions and API tokens ended."), "success"
            )
            return redirect(url_for("auth.home"))
    return render_template("auth/password.html", error=error, fields=fields), status


def _profile(
    *,
    new_token: str | None = None,
    new_name: str = "",
    new_days: int = DEFAULT_TOKEN_DAYS,
    error: str | None = None,
    fields: dict[str, str] | None = None,
    pin_error: str | None = None,
    pin_fields: dict[str, str] | None = None,
    language_error: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    tokens = users.list_tokens(db.session, current_user.id)
    page = render_template(
        "auth/profile.html",
        tokens=tokens,
        new_token=new_token,
        new_name=new_name,
        new_days=new_days,
        error=error,
        fields=fields or {},
        pin_error=pin_error,
        pin_fields=pin_fields or {},
        language_error=language_error,
        language_choices=[("", _("The browser's language")), *LANGUAGES.items()],
    )
    return page, status


@bp.get("/account")
@login_required
def profile() -> tuple[str, int]:
    """Show my account: role, password link, and my API tokens with their last use."""
    return _profile()


@bp.post("/account/tokens")
@login_required
def create_token() -> tuple[str, int]:
    """Create a named API token and show it this once (it is stored only as a hash)."""
    name = request.form.get("name", "")
    raw_days = request.form.get("expires", str(DEFAULT_TOKEN_DAYS)).strip()
    try:
        if not (raw_days.isascii() and raw_days.isdigit()) or len(raw_days) > 4:
            raise ValidationError(
                _("A token expires after 30, 90 or 365 days, or never."), field="expires"
            )
        _row, token = users.create_named_token(
            db.session, current_user.id, name, days=int(raw_days)
        )
    except DomainError as exc:
        return _profile(
            error=exc.message,
            fields=exc.details.get("fields", {}),
            new_name=name,
            status=exc.status,
        )
    # Rendered, not redirected: a redirect would have to carry the token in the URL or cookie.
    return _profile(new_token=token, new_name=" ".join(name.split()), status=201)


@bp.post("/account/pin")
@admin_required
def set_pin() -> Response | tuple[str, int]:
    """Set my till PIN (admins): it approves a cashier's sale at the till."""
    try:
        users.set_pin(
            db.session,
            current_user.id,
            request.form.get("pin", ""),
            request.form.get("confirm", ""),
        )
    except DomainError as exc:
        return _profile(
            pin_error=exc.message, pin_fields=exc.details.get("fields", {}), status=exc.status
        )
    flash(_("Your till PIN is set."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/account/language")
@login_required
def set_language() -> Response | tuple[str, int]:
    """Choose the language of my screens (or the browser's); the pages speak it from now on."""
    try:
        users.set_language(db.session, current_user.id, request.form.get("language", ""))
    except DomainError as exc:
        return _profile(language_error=exc.message, status=exc.status)
    refresh()  # the confirmation is said in the language just chosen
    flash(_("Your language is saved."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    """Revoke one of my API tokens; scripts using it get 401 from now on."""
    row = users.revoke_token(db.session, current_user.id, token_id)
    flash(_("The token “%(name)s” was revoked.", name=row.name), "success")
    return redirect(url_for("auth.profile"))


def _two_step_page(status: int = 200, **context: object) -> tuple[str, int]:
    context.setdefault("fields", {})
    page = render_template(
        "auth/two_step.html",
        required=two_step.needs_enrolment(db.session, current_user),
        codes_left=two_step.recovery_codes_left(current_user),
        **context,
    )
    return page, status


@bp.get("/account/two-step", endpoint="two_step")
@login_required
def two_step_page() -> tuple[str, int]:
    """Show two-step login: set it up, or see the recovery codes left and turn it off."""
    return _two_step_page()


@bp.post("/account/two-step/start")
@login_required
def two_step_start() -> tuple[str, int]:
    """Create a secret and show its QR code once, with the form for the first code."""
    try:
        secret = two_step.start_enrolment(db.session, current_user.id)
    except DomainError as exc:
        return _two_step_page(exc.status, error=exc.message)
    shop = load_settings(db.session).shop_name
    uri = two_step.provisioning_uri(current_user, secret, shop)
    return _two_step_page(secret=secret, qr_svg=two_step.qr_svg(uri))


@bp.post("/account/two-step/confirm")
@login_required
def two_step_confirm() -> tuple[str, int]:
    """Turn two-step login on with a first code; show the recovery codes once."""
    try:
        codes = two_step.confirm_enrolment(
            db.session, current_user.id, request.form.get("code", "")
        )
    except DomainError as exc:
        fields = exc.details.get("fields", {})
        if current_user.totp_secret and not current_user.totp_enabled:
            # Show the same QR again: the secret is unchanged until confirmed.
            shop = load_settings(db.session).shop_name
            uri = two_step.provisioning_uri(current_user, current_user.totp_secret, shop)
            return _two_step_page(
                exc.status,
                error=exc.message,
                fields=fields,
                secret=current_user.totp_secret,
                qr_svg=two_step.qr_svg(uri),
            )
        return _two_step_page(exc.status, error=exc.message, fields=fields)
    return _two_step_page(recovery_codes=codes)


@bp.post("/account/two-step/disable")
@login_required
def two_step_disable() -> Response | tuple[str, int]:
    """Turn two-step login off (the password is required)."""
    try:
        two_step.disable(db.session, current_user.id, request.form.get("password", ""))
    except DomainError as exc:
        return _two_step_page(exc.status, error=exc.message, fields=exc.details.get("fields", {}))
    flash(_("Two-step login is off."), "success")
    return redirect(url_for("auth.two_step"))
