"""TillBook: the Flask application factory."""

from __future__ import annotations

import json
import logging
import os
import re
from decimal import Decimal
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from posapp.config import (
    build_config,
    bundled,
    hq_database_problem,
    prepare_data_dir,
    register_static_types,
    resolve_data_dir,
)
from posapp.converters import IdConverter
from posapp.extensions import csrf, db, login_manager, migrate
from posapp.maintenance.database import set_app_builder, sqlite_file
from posapp.maintenance.gate import install_gate
from posapp.web.uploads import TillBookRequest

__version__ = "0.1.0"
MIGRATIONS_DIR = str(bundled("posapp", "migrations"))


MAX_JSON_DEPTH = 32  # no TillBook document nests deeper than a few levels


class ExactJSONProvider(DefaultJSONProvider):
    """JSON numbers with a fraction become Decimal, so floats never touch money.

    Documents nested deeper than MAX_JSON_DEPTH are refused with ValueError, which Flask's
    get_json answers as 400: past ~1000 levels the parser itself raised RecursionError (a 500).
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_float", Decimal)
        if isinstance(s, bytes | bytearray):
            s = bytes(s).decode(json.detect_encoding(s), "surrogatepass")  # as json.loads does
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("The JSON document is nested too deeply.") from None
        depth = json_text_depth(s, MAX_JSON_DEPTH)
        if depth is None:
            depth = json_depth(value)
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"The JSON document nests deeper than {MAX_JSON_DEPTH} levels.")
        return value


# Outside its strings a JSON text is ASCII: brackets, and these (Python's parser also takes
# NaN, Infinity and -Infinity).
_NOT_BRACKETS = b"0123456789+-.eE,: \t\n\rtruefalsnNIiy"
_EMPTY_PAIR = re.compile(rb"\[\]|\{\}")


def json_text_depth(text: str, limit: int) -> int | None:
    """How deeply lists and objects nest in a JSON text that parsed (a scalar is 0), counted
    up to `limit` + 1 at most; None if the text is not one this reading understands.

    The same as `json_depth` of the parsed value, read from the text with C-speed string
    methods: escapes out (pairs of backslashes first, then escaped quotes), the strings out
    (every other piece between quotes), everything but brackets out, then one level of
    innermost pairs off per pass. Walking the value in Python took a push of 200 sales to
    HQ ~50 ms; this takes a few.
    """
    plain = text.replace("\\\\", "").replace('\\"', "")
    outside = "".join(plain.split('"')[0::2])
    if not outside.isascii():
        return None
    brackets = outside.encode("ascii").translate(None, _NOT_BRACKETS)
    depth = 0
    while brackets and depth <= limit:
        shorter = _EMPTY_PAIR.sub(b"", brackets)
        if len(shorter) == len(brackets):  # something else is left: read the value instead
            return None
        brackets = shorter
        depth += 1
    return depth


def json_depth(value: Any) -> int:
    """Return how deeply lists and objects nest in a parsed JSON value (a scalar is 0)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:  # a loop, not recursion: the value may be ~1000 levels deep
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, error handlers, template filters."""
    config = dict(config or {})
    register_static_types()  # before any file is served
    data_dir = prepare_data_dir(resolve_data_dir(config.pop("DATA_DIR", None)))
    app = Flask(
        __name__,
        template_folder=str(bundled("templates")),
        static_folder=str(bundled("static")),
    )
    app.request_class = TillBookRequest  # per-page upload limits, known before CSRF reads forms
    app.url_map.converters["int"] = IdConverter  # before any route: ids beyond 64 bits are 404
    app.json_provider_class = ExactJSONProvider
    app.json = ExactJSONProvider(app)
    app.json.sort_keys = False  # keep the contract's field order
    app.config.from_mapping(build_config(data_dir, config))
    app.config["VERSION"] = __version__
    # A restore migrates its copy with a throwaway app: maintenance builds it with this
    # factory, handed over here so nothing below the factory imports it.
    set_app_builder(app, create_app)

    if app.config["HQ_MODE"]:
        problem = hq_database_problem(
            str(app.config["SQLALCHEMY_DATABASE_URI"]), bool(app.config.get("TESTING"))
        )
        if problem:
            raise RuntimeError(problem)

    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    if app.config["LOG_TO_FILE"]:
        _setup_file_logging(app, data_dir)
    _check_storage(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    _seal_audit_log(app, data_dir)
    csrf.init_app(app)
    login_manager.init_app(app)
    from posapp.web import i18n as web_i18n

    web_i18n.init_app(app)

    from posapp import models  # noqa: F401  (register every table before migrations run)
    from posapp.api import bp as api_bp
    from posapp.errorhandlers import register_error_handlers
    from posapp.services import sync_outbox  # noqa: F401  (the outbox's commit hooks)
    from posapp.web import (
        audit,
        auth,
        backups,
        books,
        cash,
        categories,
        customers,
        dashboard,
        desktop,
        display,
        display_settings,
        exports,
        hq_link,
        inventory,
        invoices,
        network,
        orders,
        pos,
        product_csv,
        products,
        reports,
        scale_settings,
        security,
        settings,
        suppliers,
        switch_in,
        users,
    )
    from posapp.web.filters import register_filters

    install_gate(app)  # first of all request hooks: a restore holds every request off
    security.install(app)  # then the Host check, before any view or login runs
    app.register_blueprint(auth.bp)
    app.register_blueprint(pos.bp)
    app.register_blueprint(products.bp)
    app.register_blueprint(product_csv.bp)
    app.register_blueprint(switch_in.bp)
    app.register_blueprint(categories.bp)
    app.register_blueprint(inventory.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(books.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(customers.bp)
    app.register_blueprint(suppliers.bp)
    app.register_blueprint(invoices.bp)
    app.register_blueprint(orders.bp)
    app.register_blueprint(cash.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(backups.bp)
    app.register_blueprint(hq_link.bp)
    from posapp.web import hq_due

    app.register_blueprint(hq_due.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(network.bp)
    app.register_blueprint(scale_settings.bp)
    from posapp.web import upi as upi_web

    app.register_blueprint(upi_web.bp)
    app.register_blueprint(desktop.bp)
    app.register_blueprint(display.bp)
    app.register_blueprint(display_settings.bp)
    from posapp.web import books_export

    app.register_blueprint(books_export.bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # the API checks CSRF itself, only for cookie-authenticated writes
    if app.config["HQ_MODE"]:
        from posapp.api import hq as hq_api
        from posapp.web import hq as hq_web

        app.register_blueprint(hq_web.bp)
        app.register_blueprint(hq_web.catalog_bp)
        app.register_blueprint(hq_web.transfers_bp)
        hq_api.register(app)  # shops authenticate by credential: no CSRF
        from posapp.api import hq_customers as hq_customers_api
        from posapp.web import hq_reports as hq_reports_web

        hq_customers_api.register(app)
        app.register_blueprint(hq_reports_web.bp)
    register_error_handlers(app)
    register_filters(app)

    if app.config["AUTO_MIGRATE"]:
        if app.config["AUTO_BACKUP"]:
            from posapp.maintenance.startup import backup_at_start

            backup_at_start(app)  # before the schema may change, and once a day
        upgrade_database(app)
        if app.config["AUTO_BACKUP"]:  # not the throwaway app a restore migrates a copy with
            from posapp.maintenance.startup import carry_numbers_forward

            carry_numbers_forward(app)  # a database file copied in by hand must not reuse numbers
    if not app.config["TESTING"] and app.config.get("HQ_PUSH_THREAD", True):
        start_hq_push(app)
    return app


def start_hq_push(app: Flask) -> None:
    """Start pushing the outbox to HQ on a daemon thread, when this shop is enrolled.

    Stopped by an event at exit (no SIGTERM on Windows); a request in flight ends at its
    timeout. The page's "Sync now" wakes it (app.extensions["hq_pusher"]).
    """
    import atexit

    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from posapp.services import hq_client
    from posapp.services.settings import load_hq

    with app.app_context():
        engine = db.engine
        try:
            enrolled = load_hq(db.session).enrolled
        except SQLAlchemyError as exc:  # a database not migrated yet (AUTO_MIGRATE off)
            logging.getLogger(__name__).warning("HQ push not started: %s", exc)
            return
        finally:
            db.session.remove()
    if not enrolled:
        return
    pusher = hq_client.Pusher(lambda: Session(engine, expire_on_commit=False))
    app.extensions["hq_pusher"] = pusher
    pusher.start()
    atexit.register(pusher.stop)


def _check_storage(app: Flask) -> None:
    """Log (and keep for the backups page) why the SQLite file's folder is a risky place."""
    from posapp import datadir

    db_file = sqlite_file(app)
    found = [] if db_file is None else datadir.storage_warnings(db_file.parent)
    app.config["STORAGE_WARNINGS"] = found
    for warning in found:
        logging.getLogger(__name__).warning("%s", warning)


def _seal_audit_log(app: Flask, data_dir: Path) -> None:
    """Key the audit log's hashes and anchor it in the data folder (services/audit.py)."""
    from posapp.services import audit

    seal = audit.Seal(audit.load_key(data_dir), data_dir / audit.ANCHOR_FILE)
    with app.app_context():
        for engine in db.engines.values():
            audit.bind(engine, seal)


def upgrade_database(app: Flask) -> None:
    """Bring the schema to the newest migration (the app does this at every start)."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        open_books()
        refresh_statistics()
        purge_expired_logins()


def open_books() -> None:
    """Post an existing shop's history to the books, once (services/books_history.py)."""
    from posapp.services.books_history import open_books as open_history

    open_history(db.session)
    db.session.remove()


def purge_expired_logins() -> None:
    """Delete expired and revoked API tokens and forgotten failed logins (also on each login)."""
    from sqlalchemy.exc import OperationalError

    from posapp.services.users import purge_expired

    try:
        purge_expired(db.session)
    except OperationalError as exc:  # e.g. another process holds the write lock too long
        logging.getLogger(__name__).warning("could not purge expired tokens: %s", exc)
    finally:
        db.session.remove()


def refresh_statistics() -> None:
    """Give SQLite's query planner fresh table statistics (sampled: ~10 ms at 1 M lines).

    Without them it guesses, and guessed wrong for searches: it walked every product's
    `archived` index entry instead of the few matching ids (30 ms instead of 0.5 ms at
    100 000 products). The app's own benchmarks always ran with statistics; shops had none.
    """
    from sqlalchemy.exc import OperationalError

    from posapp.models.base import WRITE_OPTION

    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL's autovacuum keeps its statistics
    try:
        connection = db.engine.connect().execution_options(**{WRITE_OPTION: True})
        with connection, connection.begin():
            connection.exec_driver_sql("PRAGMA analysis_limit=1000")
            # The app's own tables only: statistics of the FTS5 shadow tables, taken while
            # they are small, made a later big CSV import quadratic (50 000 rows: 32 s, not 7).
            for table in db.metadata.sorted_tables:
                connection.exec_driver_sql(f'ANALYZE "{table.name}"')
    except OperationalError as exc:  # e.g. another process holds the write lock too long
        logging.getLogger(__name__).warning("could not refresh query statistics: %s", exc)


def _setup_file_logging(app: Flask, data_dir: Path) -> None:
    """Log to the data dir's logs/<LOG_FILE_NAME>, rotated (the app's file, or the CLI's)."""
    log_file = data_dir / "logs" / app.config["LOG_FILE_NAME"]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "tillbook", False)]:
        # One process serves one data dir; a second create_app (tests, CLI) takes over the log.
        root.removeHandler(old)
        old.close()
    handler = RotatingFileHandler(log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.tillbook = True  # type: ignore[attr-defined]
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")
    )
    handler.setLevel(logging.INFO)
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    app.logger.info("TillBook %s starting, data dir %s, pid %s", __version__, data_dir, os.getpid())
