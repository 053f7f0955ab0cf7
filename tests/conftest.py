"""Shared fixtures: a real app on a real database in a temp data dir, clients, a live server.

The database is a real SQLite file in the data dir. When a PostgreSQL and/or MariaDB server is
configured (see tests/databases.py), every test under tests/services and tests/api that uses the
database runs once more against each server, on a fresh database of its own; tests marked
`sqlite_only` are skipped there with their reason.

What the servers are for: SQL semantics that differ between databases: locks and concurrency,
numbering, money sums and rounding in SQL, date grouping, collation and search, migrations,
upserts, JSON, integer limits, and that a refused write leaves nothing. A test whose subject is
something else runs on SQLite only, not three times:
- `one_backend(reason)` on a module or one test: its subject is not the database (documents,
  printers, parsing, the network, routing, the words of messages);
- `servers_first_case(reason)` on a parametrized test: the cases differ only in what Python
  refuses (validation, who may call, a table of allowed moves); every case runs on SQLite, the
  first case on each server too, so the path through the database is still run there.
Every area keeps on all backends at least one test of each of its SQL paths (its writes, the
rollback of a refused write, its reports' sums and groupings, its searches).

Fixture costs matter (thousands of tests): `app`, `csrf_app` and `live_server` start from a
copy of a migrated database instead of migrating an empty one, and passwords are hashed at a
cheap cost (below).
"""

from __future__ import annotations

import gc
import shutil
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import event
from sqlalchemy.pool import Pool
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash

from posapp import create_app
from posapp.extensions import db
from posapp.services import users
from tests import databases
from tests.factories import PASSWORD, make_user

# Property tests draw the same examples on every run (a failure can be reproduced, a green run
# means the same thing each time) and are never failed for one slow example on a busy machine.
hypothesis_settings.register_profile("tillbook", derandomize=True, deadline=None, database=None)
hypothesis_settings.load_profile("tillbook")

# Only these folders hold the service and API tests that run on every configured backend.
MULTI_BACKEND_DIRS = ("services", "api")

# Passwords and PINs are hashed at a cheap scrypt cost in this process: at the shipped cost
# (~0.1-0.2 s a hash or check) the suite's users, logins and approvals spent many minutes
# hashing. What the cost protects is not what the tests check; test_password_cost.py checks
# the shipped cost. Processes the tests start (app.py) hash at the shipped cost.
SHIPPED_HASH_METHOD = users.HASH_METHOD
SHIPPED_DUMMY_HASH = users._DUMMY_HASH
users.HASH_METHOD = "scrypt:256:8:1"
users._DUMMY_HASH = generate_password_hash("not-a-real-password", method=users.HASH_METHOD)


class _OpenConnections:
    """Counts the database connections SQLAlchemy's pools opened and have not closed."""

    def __init__(self) -> None:
        self.open = 0
        self._lock = threading.Lock()  # pools open and close on request and worker threads

    def opened(self, *_: Any) -> None:
        with self._lock:
            self.open += 1

    def closed(self, *_: Any) -> None:
        with self._lock:
            self.open -= 1


_connections = _OpenConnections()
event.listen(Pool, "connect", _connections.opened)
event.listen(Pool, "close", _connections.closed)
event.listen(Pool, "close_detached", _connections.closed)


def _lazy_builder(rule: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
    """Compile a URL rule's builder the first time a URL is built with it, not when added.

    werkzeug writes and compiles two Python functions per rule when a blueprint is registered:
    ~280 rules made that most of `create_app`'s time, in every test, for the few URLs a test
    builds. The builder is the same function, compiled later; the rule is parsed (and a bad
    rule refused) when added, as before.
    """
    compiled: list[Callable[..., tuple[str, str]]] = []

    def build(self: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
        if not compiled:
            compiled.append(_compile_builder(rule, append_unknown))
        return compiled[0](self, *args, **kwargs)

    return build


_compile_builder = Rule._compile_builder
Rule._compile_builder = _lazy_builder  # type: ignore[method-assign]

# The database file a data dir holds after its first start, and what sits beside it.
SQLITE_FILE = "tillbook.db"
STARTED_FILES = (SQLITE_FILE, "numbers.json")


def build_app(data_dir: Path, **overrides: Any) -> Flask:
    """Create the real app on a data dir (migrations run, as at every start)."""
    # API_CHECK_RESPONSES: every API answer in the suite is checked against its documented model.
    config = {
        "DATA_DIR": str(data_dir),
        "TESTING": True,
        "LOG_TO_FILE": False,
        "API_CHECK_RESPONSES": True,
    }
    config.update(overrides)
    return create_app(config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run database tests of tests/services and tests/api once per configured backend."""
    if "database" not in metafunc.fixturenames:
        return
    servers = databases.configured_backends()
    folder = Path(str(metafunc.definition.path)).relative_to(Path(__file__).parent).parts[0]
    # A module whose subject is not the database (documents, printers, parsing, the network)
    # says so; running it on each server would test the same rendering three times.
    one_backend = metafunc.definition.get_closest_marker("one_backend") is not None
    if servers and folder in MULTI_BACKEND_DIRS and not one_backend:
        metafunc.parametrize("database", ["sqlite", *servers], indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep one case of a `servers_first_case` test on each server: its first."""
    seen: set[tuple[str, str]] = set()
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("database", "sqlite") if callspec else "sqlite"
        if backend == "sqlite" or item.get_closest_marker("servers_first_case") is None:
            kept.append(item)
            continue
        key = (f"{item.nodeid.split('[')[0]}", backend)
        if key in seen:
            dropped.append(item)
        else:
            seen.add(key)
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_collection_finish(session: pytest.Session) -> None:
    """Leave what was imported and collected out of every later garbage collection.

    Those objects live until the end anyway; without this each full collection walked them
    all again (hundreds of thousands), and each server test's teardown runs one.
    """
    gc.collect()
    gc.freeze()


def pytest_sessionfinish(session: pytest.Session) -> None:
    databases.close_all()


@pytest.fixture
def database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The backend of this test: SQLite in the data dir, or a fresh database on a server.

    A server database is handed over as DATABASE_URL, exactly as a shop configures it, so apps
    the test builds itself (and processes it starts) use it too.
    """
    name = getattr(request, "param", "sqlite")
    if name == "sqlite":
        monkeypatch.delenv("DATABASE_URL", raising=False)
        yield name
        return
    marker = request.node.get_closest_marker("sqlite_only")
    if marker is not None:
        pytest.skip(f"SQLite only: {marker.args[0] if marker.args else 'no reason given'}")
    server = databases.backend(name)
    db_name, url = server.fresh()
    monkeypatch.setenv("DATABASE_URL", url)
    opened = _connections.open
    try:
        yield name
    finally:
        # Apps a test built for itself may leave pooled connections behind; SQLite's close
        # silently, the server drivers warn when collected. Collect them here, then drop.
        # A full collection costs a good part of a second, so only when a connection the test
        # opened was not closed (the fixtures' own apps close theirs).
        if _connections.open > opened:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                gc.collect()
        server.drop(db_name)


@pytest.fixture
def data_dir(tmp_path: Path, database: str) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def started_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir as the app leaves it after its first start on SQLite (once per worker)."""
    path = tmp_path_factory.mktemp("started") / "data"
    path.mkdir()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.delenv("DATABASE_URL", raising=False)
        application = build_app(path)
        with application.app_context():
            db.session.remove()
            db.engine.dispose()  # the last connection folds the write-ahead log into the file
    assert not (path / f"{SQLITE_FILE}-wal").exists()
    return path


def build_started_app(request: pytest.FixtureRequest, data_dir: Path, **overrides: Any) -> Flask:
    """Build the app on a database that has had its first start (migrated, books opened).

    The start-up migration of an empty database cost every test ~0.3-1 s; a copy of a
    migrated SQLite file (or the server's copy of its migrated template, which `database`
    made) is what that migration would leave, so the app skips it. Tests of the first start
    itself build their own app on the empty data dir.
    """
    if request.getfixturevalue("database") == "sqlite":
        started: Path = request.getfixturevalue("started_sqlite")
        for name in STARTED_FILES:
            shutil.copyfile(started / name, data_dir / name)
    application = build_app(data_dir, AUTO_MIGRATE=False, **overrides)
    application.config["AUTO_MIGRATE"] = True  # as shipped, for anything that reads it later
    return application


@pytest.fixture
def app(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Flask]:
    """The app with CSRF off for plain form tests (CSRF has its own tests)."""
    application = build_started_app(request, data_dir, WTF_CSRF_ENABLED=False)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def csrf_app(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Flask]:
    """The app exactly as shipped: CSRF on."""
    application = build_started_app(request, data_dir)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app: Flask):  # type: ignore[no-untyped-def]
    return db.session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin(app: Flask):  # type: ignore[no-untyped-def]
    return make_user(db.session, "admin", "admin")


@pytest.fixture
def cashier(app: Flask):  # type: ignore[no-untyped-def]
    return make_user(db.session, "cashier", "cashier")


class ApiClient:
    """Calls the API with a bearer token obtained through /api/auth/login."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        response = self.client.post(
            "/api/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def api(client: FlaskClient) -> ApiClient:
    return ApiClient(client)


@pytest.fixture
def admin_headers(api: ApiClient, admin) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return api.token("admin")


@pytest.fixture
def cashier_headers(api: ApiClient, cashier) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return api.token("cashier")


class LiveServer:
    """The real waitress server, on a free loopback port, in a thread."""

    def __init__(self, app: Flask) -> None:
        from posapp.serving import Server

        self.app = app
        self.server = Server(app, host="127.0.0.1", port=0, threads=8)
        self.url = f"http://127.0.0.1:{self.server.port}"

    def start(self) -> LiveServer:
        self.server.start()
        return self

    def stop(self) -> None:
        # The app's own graceful stop: it closes sockets on waitress's loop thread. Closing
        # them from here raced the loop's select() (EBADF) while keep-alive clients lingered.
        self.server.stop()


@pytest.fixture
def live_server(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[LiveServer]:
    """A running server on a fresh data dir (CSRF on, as shipped)."""
    application = build_started_app(request, data_dir)
    server = LiveServer(application).start()
    yield server
    server.stop()
    with application.app_context():
        db.engine.dispose()
