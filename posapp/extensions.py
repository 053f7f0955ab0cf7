"""Flask extensions, created unbound here and bound in create_app (imports nothing of ours)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase, Session


class Base(DeclarativeBase):
    """Declarative base of every model."""


class ScopedSession(Session):
    """What `db.session` offers: a Session, plus `remove()` to end this thread's session."""

    def remove(self) -> None:
        """Close and forget this thread's session (scoped_session.remove)."""
        raise NotImplementedError  # only a type: db.session is the real scoped_session


class _SQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy with `session` typed as the Session the services take.

    At run time `db.session` is a `scoped_session`, a proxy that forwards every Session
    method to the request's session; services are typed against `Session` so that they stay
    Flask-free. Declaring the proxy as what it forwards to keeps every call site checked
    instead of casting at each of them.
    """

    session: ScopedSession  # type: ignore[assignment]


db = _SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()

# The models' base class. mypy cannot take an instance attribute (db.Model) as a base class,
# so it is told the declarative Base that db.Model extends; at run time it is db.Model.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
