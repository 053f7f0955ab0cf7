"""Configuration: data-dir resolution, bundled-file paths, and the Config classes."""

from __future__ import annotations

import mimetypes
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

import platformdirs

from posapp import datadir

APP_NAME = "TillBook"
PORTABLE_DIR_NAME = "TillBook-data"
DATA_DIR_ENV = "TILLBOOK_DATA_DIR"


def is_frozen() -> bool:
    """Tell whether we run from a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def bundle_root() -> Path:
    """Return the folder holding templates/, static/ and posapp/: the bundle or the repo root."""
    if is_frozen():
        return Path(sys._MEIPASS)  # type: ignore[attr-defined]
    return Path(__file__).resolve().parent.parent


def bundled(*parts: str) -> Path:
    """Resolve a bundled (read-only) file, from source and frozen alike."""
    return bundle_root().joinpath(*parts)


# The types the pages' static files must be served with. On Windows, Python's mimetypes also
# reads HKEY_CLASSES_ROOT, where an editor or an old installer may have set .js to text/plain:
# a browser then refuses every ES module of the till (strict MIME checking for modules).
STATIC_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".wasm": "application/wasm",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",  # the pages' Devanagari font (a registry may say application/octet-stream)
}


def register_static_types() -> None:
    """Serve static files with the types above, whatever the Windows registry says."""
    for extension, kind in STATIC_TYPES.items():
        mimetypes.add_type(kind, extension)


def executable_dir() -> Path:
    """Return the folder of the executable (frozen) or of app.py (from source)."""
    if is_frozen():
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Find the data dir: option/env, then a portable folder next to the exe, then per-user."""
    chosen = explicit or os.environ.get(DATA_DIR_ENV)
    if chosen:
        return Path(chosen).expanduser().resolve()
    portable = executable_dir() / PORTABLE_DIR_NAME
    if portable.is_dir():
        return portable.resolve()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def prepare_data_dir(
    path: Path, restrict: Callable[[Path], object] = datadir.restrict_to_owner
) -> Path:
    """Create the data dir and its sub-folders; return it.

    A new data dir (missing, or an empty folder made for it, like a portable TillBook-data)
    is made private to this account before anything is written in it: outside the user
    profile Windows would let every account read the secret key and the shop's data.
    """
    if datadir.is_new(path):
        path.mkdir(parents=True, exist_ok=True)
        restrict(path)  # before the sub-folders, so they inherit the owner-only rights
    for sub in ("", "backups", "logs", "exports"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    return path


SECRET_KEY_ENV = "TILLBOOK_SECRET_KEY"  # noqa: S105 (the variable's name, not a key)


def load_secret_key(data_dir: Path) -> str:
    """Return the secret key: TILLBOOK_SECRET_KEY, else the data dir's, made on first use."""
    given = os.environ.get(SECRET_KEY_ENV, "").strip()
    if given:
        if len(given) < 32:
            # A short key makes session cookies guessable; refuse to start rather than risk it.
            raise RuntimeError(f"{SECRET_KEY_ENV} must be at least 32 characters long.")
        return given
    key_file = data_dir / "secret_key"
    if key_file.exists():
        key = key_file.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
    key = secrets.token_hex(32)
    tmp = key_file.with_suffix(".tmp")
    tmp.write_text(key, encoding="ascii")
    if os.name != "nt":
        tmp.chmod(0o600)
    os.replace(tmp, key_file)
    return key


# Hosting platforms (Render, Railway, Heroku-style add-ons) hand out URLs without a driver, or
# with the old `postgres` scheme SQLAlchemy no longer accepts: pin the drivers TillBook ships.
DRIVERLESS_SCHEMES = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
}


def normalise_database_url(url: str) -> str:
    """Give a driverless PostgreSQL/MySQL URL the driver TillBook ships (psycopg, PyMySQL)."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme in DRIVERLESS_SCHEMES:
        return f"{DRIVERLESS_SCHEMES[scheme]}://{rest}"
    return url


def database_url(data_dir: Path) -> str:
    """Return DATABASE_URL if set, else the SQLite file in the data dir."""
    given = os.environ.get("DATABASE_URL", "").strip()
    if given:
        return normalise_database_url(given)
    return f"sqlite:///{(data_dir / 'tillbook.db').as_posix()}"


PROXY_HOPS_ENV = "TILLBOOK_PROXY_HOPS"


def _int_env(name: str) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return 0
    if not raw.isdigit():
        raise RuntimeError(f"{name} must be a whole number (the reverse proxies in front).")
    return int(raw)


def build_config(data_dir: Path, overrides: dict | None = None) -> dict:
    """Assemble the Flask config for a data dir."""
    config = {
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": load_secret_key(data_dir),
        "SQLALCHEMY_DATABASE_URI": database_url(data_dir),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # the till stays open all day
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "AUTO_MIGRATE": True,
        "AUTO_BACKUP": True,  # a verified copy at the first start of a day and before migrating
        "LOG_TO_FILE": True,
        # The file under logs/: the window and `serve` own tillbook.log; the command line
        # passes cli.log, since Windows cannot rotate a log another process holds open.
        "LOG_FILE_NAME": "tillbook.log",
        # Tests turn this on: every API answer is validated against its documented model.
        "API_CHECK_RESPONSES": False,
        # Behind an HTTPS reverse proxy (Render, Railway, Caddy...): how many proxies to trust
        # for X-Forwarded-Proto/-Host/-For, so the API's same-origin check sees the page's
        # https://host origin. 0 (no proxy) on the shop laptop and the LAN.
        "PROXY_HOPS": _int_env(PROXY_HOPS_ENV),
        # The desktop launcher without its window (no WebView2) serves the system browser and
        # stops after this many minutes without a request; 0 keeps it running.
        "DESKTOP_IDLE_MINUTES": 30,
        # HQ mode (`app.py hq serve`): the shops' records on PostgreSQL, and the HQ pages/API.
        "HQ_MODE": False,
    }
    config.update(overrides or {})
    if "SQLALCHEMY_ENGINE_OPTIONS" not in (overrides or {}):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(str(config["SQLALCHEMY_DATABASE_URI"]))
    return config


def hq_database_problem(url: str, testing: bool) -> str | None:
    """Say why HQ mode cannot run on a database URL (None when it can): PostgreSQL only.

    HQ holds every shop's records and takes their pushes at once; a SQLite file would queue
    every shop behind one writer. The tests run HQ on each backend, so TESTING allows all.
    """
    if testing or url.startswith("postgresql"):
        return None
    return (
        "HQ mode needs PostgreSQL: set DATABASE_URL=postgresql+psycopg://user:password@host/db "
        "(see docs/DEPLOY.md)."
    )


def engine_options(url: str) -> dict:
    """Return the SQLAlchemy engine options a database URL needs."""
    if url.startswith("sqlite"):
        return {"pool_pre_ping": False}  # a file: nothing can drop the connection
    options: dict = {"pool_pre_ping": True}  # a server may restart or drop idle connections
    if url.startswith(("mysql", "mariadb")):
        # The services are written for READ COMMITTED (PostgreSQL's default): after taking a
        # row lock they read the latest committed sums. MariaDB's REPEATABLE READ would answer
        # from the transaction's first snapshot, e.g. a stale customer balance under the lock.
        options["isolation_level"] = "READ COMMITTED"
        options["pool_recycle"] = 3600  # below the server's wait_timeout
    return options
