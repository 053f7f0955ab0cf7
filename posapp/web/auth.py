"""First-run setup, login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from posapp.errors import DomainError
from posapp.extensions import db, login_manager
from posapp.models import User
from posapp.models.base import write_transaction
from posapp.services import users
from posapp.services.settings import save_settings

bp = Blueprint("auth", __name__)
LOCAL_ADDRESSES = {"127.0.0.1", "::1", "localhost"}
OPEN_ENDPOINTS = {"auth.setup", "static", "api.health"}

login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the session's user; inactive users are refused by Flask-Login."""
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def _setup_needed() -> bool:
    if current_app.config.get("HAS_USERS"):
        return False
    if users.has_users(db.session):
        current_app.config["HAS_USERS"] = True
        return False
    return True


@bp.before_app_request
def first_run_redirect() -> Response | None:
    """Until the first admin exists, every page leads to the setup page."""
    if request.endpoint in OPEN_ENDPOINTS or request.path.startswith("/api/"):
        return None
    if _setup_needed():
        return redirect(url_for("auth.setup"))
    return None


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Response | str | tuple[str, int]:
    """Create the first admin account (once, and only from this machine)."""
    if not _setup_needed():
        return redirect(url_for("auth.login"))
    if request.remote_addr not in LOCAL_ADDRESSES:
        abort(403, "The first admin can only be created on the shop computer itself.")
    error, fields = None, {}
    form = request.form
    if request.method == "POST":
        try:
            user = users.create_first_admin(
                db.session,
                form.get("username", ""),
                form.get("password", ""),
                form.get("confirm", ""),
            )
            shop_name = form.get("shop_name", "").strip()[:120]
            if shop_name:
                with write_transaction(db.session):
                    save_settings(db.session, shop_name=shop_name)
            current_app.config["HAS_USERS"] = True
            login_user(user)
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
                db.session, request.form.get("username", ""), request.form.get("password", "")
            )
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        except DomainError as exc:
            error, status = exc.message, exc.status
    return render_template(
        "auth/login.html", error=error, username=request.form.get("username", "")
    ), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Log out."""
    logout_user()
    return redirect(url_for("auth.login"))


@bp.get("/")
@login_required
def home() -> Response:
    """Send admins to the dashboard and cashiers to the till."""
    return redirect(url_for("dashboard.index" if current_user.is_admin else "pos.index"))
