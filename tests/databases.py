"""Test databases on PostgreSQL and MariaDB servers: a migrated template, one fresh copy per test.

A server backend is configured by an environment variable holding a URL whose user may create
and drop databases (the database part of the URL is ignored):

    TILLBOOK_TEST_POSTGRESQL_URL=postgresql+psycopg://tillbook:tillbook@127.0.0.1:5432/postgres
    TILLBOOK_TEST_MARIADB_URL=mysql+pymysql://tillbook:tillbook@127.0.0.1:3306/mysql

The migrations run once per test session into a template database; each test then gets its own
database copied from it (PostgreSQL: CREATE DATABASE ... TEMPLATE; MariaDB, which has no
templates: the template's CREATE TABLE statements replayed), and drops it afterwards. So every
test starts from exactly what `create_app` makes of an empty database, without a migration run.
The copying and dropping run on background threads: the next test's copy is made while the
current test runs.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError

BACKEND_ENV = {
    "postgresql": "TILLBOOK_TEST_POSTGRESQL_URL",
    "mariadb": "TILLBOOK_TEST_MARIADB_URL",
}

_counter = itertools.count(1)


def configured_backends() -> list[str]:
    """Return the server backends whose URL is set in the environment, in a fixed order."""
    return [name for name, env in BACKEND_ENV.items() if os.environ.get(env)]


class ServerBackend:
    """One database server: makes the template once, then a fresh database per test."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.base: URL = make_url(url)
        self.prefix = f"tbt_{os.getpid()}"
        self.template = f"{self.prefix}_template"
        self._admin: Engine | None = None
        self._tables: list[tuple[str, str, list[str]]] | None = None  # MariaDB copy plan
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"tbt-{name}")
        self._next: Future[str] | None = None  # the database the next test gets
        self._drops: list[Future[None]] = []

    def url(self, database: str) -> str:
        """Return the URL of one database on this server, as the app takes it."""
        url = self.base.set(database=database)
        if self.name == "mariadb":
            url = url.update_query_dict({"charset": "utf8mb4"})
        return url.render_as_string(hide_password=False)

    @property
    def admin(self) -> Engine:
        if self._admin is None:
            maintenance = "postgres" if self.name == "postgresql" else "mysql"
            self._admin = create_engine(self.url(maintenance), isolation_level="AUTOCOMMIT")
        return self._admin

    def _prepare_template(self) -> None:
        """Create the template database and run the real migrations into it (once)."""
        from posapp import create_app
        from posapp.extensions import db

        self._drop(self.template)
        self._create_empty(self.template)
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app(
                {
                    "DATA_DIR": str(Path(tmp) / "data"),
                    "TESTING": True,
                    "LOG_TO_FILE": False,
                    "SQLALCHEMY_DATABASE_URI": self.url(self.template),
                }
            )
            with app.app_context():
                db.engine.dispose()  # PostgreSQL copies a template only while nobody is on it
        if self.name == "mariadb":
            self._tables = self._mariadb_plan()
        else:
            self._tables = []

    def _mariadb_plan(self) -> list[tuple[str, str, list[str]]]:
        """Read each template table's DDL and the columns to copy (none for an empty table)."""
        plan = []
        with self.admin.connect() as conn:
            names = conn.execute(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = :s AND table_type = 'BASE TABLE'"
                ),
                {"s": self.template},
            ).scalars()
            for name in list(names):
                ddl = conn.execute(text(f"SHOW CREATE TABLE `{self.template}`.`{name}`")).one()[1]
                columns = conn.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = :s AND table_name = :t "
                        "AND extra NOT LIKE '%GENERATED%' ORDER BY ordinal_position"
                    ),
                    {"s": self.template, "t": name},
                ).scalars()
                # Only tables the migrations put rows in are copied: an INSERT ... SELECT per
                # empty table cost each test's copy a commit (a log flush) for nothing.
                source = f"`{self.template}`.`{name}`"
                filled = conn.execute(text(f"SELECT 1 FROM {source} LIMIT 1"))  # noqa: S608
                plan.append((name, ddl, list(columns) if filled.first() else []))
        return plan

    def _create_empty(self, database: str) -> None:
        with self.admin.connect() as conn:
            if self.name == "postgresql":
                conn.execute(text(f"CREATE DATABASE \"{database}\" ENCODING 'UTF8'"))
            else:
                conn.execute(text(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4"))

    def _drop(self, database: str) -> None:
        with self.admin.connect() as conn:
            if self.name != "postgresql":
                conn.execute(text(f"DROP DATABASE IF EXISTS `{database}`"))
                return
            # An autovacuum worker analysing the test's rows may be on the database, and only
            # a member of pg_signal_backend (.ci/run grants it) may end it; without that grant,
            # wait for the worker to finish instead.
            for attempt in range(20):
                try:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
                    return
                except DBAPIError as exc:
                    if "pg_signal_backend" not in str(exc.orig) or attempt == 19:
                        raise
                    time.sleep(0.5)

    def _copy(self) -> str:
        """Create one new database from the template; return its name."""
        name = f"{self.prefix}_{next(_counter)}"
        with self.admin.connect() as conn:
            if self.name == "postgresql":
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
            else:
                conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
                conn.execute(text(f"USE `{name}`"))
                conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
                for _table, ddl, _columns in self._tables or []:
                    conn.execute(text(ddl))
                for table, _ddl, columns in self._tables or []:
                    if not columns:
                        continue
                    cols = ", ".join(f"`{c}`" for c in columns)
                    source = f"`{self.template}`.`{table}`"
                    copy = f"INSERT INTO `{name}`.`{table}` ({cols}) SELECT {cols} FROM {source}"  # noqa: S608
                    conn.execute(text(copy))
                conn.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
        return name

    def fresh(self) -> tuple[str, str]:
        """Hand out a new migrated database for one test; return (its name, its URL).

        Creating and dropping a database is the server's work, mostly waiting for its disk
        (a second or two for MariaDB's tables): both run on two background threads, the next
        test's database made while this test runs, so the test waits only for what is left.
        """
        if self._tables is None:
            self._prepare_template()
            self._next = self._pool.submit(self._copy)
        assert self._next is not None
        name = self._next.result()
        self._next = self._pool.submit(self._copy)
        return name, self.url(name)

    def drop(self, database: str) -> None:
        """Drop one test's database (in the background; at most two drops behind)."""
        self._drops.append(self._pool.submit(self._drop, database))
        while len(self._drops) > 2:  # the server's disk must not fill up with old databases
            self._drops.pop(0).result()

    def close(self) -> None:
        """Drop the unused next copy and the template; close the admin connection."""
        for pending in self._drops:
            pending.result()
        self._drops.clear()
        if self._next is not None:
            self._drop(self._next.result())
            self._next = None
        self._pool.shutdown()
        if self._tables is not None:
            self._drop(self.template)
        if self._admin is not None:
            self._admin.dispose()


_backends: dict[str, ServerBackend] = {}


def backend(name: str) -> ServerBackend:
    """Return the (session-wide) server backend of that name."""
    if name not in _backends:
        _backends[name] = ServerBackend(name, os.environ[BACKEND_ENV[name]])
    return _backends[name]


def close_all() -> None:
    """Drop every template this session made."""
    for item in _backends.values():
        item.close()
    _backends.clear()
