"""The command line: one click group; no arguments opens the desktop window."""

from __future__ import annotations

import ipaddress
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from alembic.util import CommandError
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from posapp import create_app
from posapp.errors import DomainError
from posapp.extensions import db
from posapp.i18n import _, ngettext

if TYPE_CHECKING:
    from posapp.instance import InstanceLock

LOOPBACK_NAMES = {"localhost"}
# The window and `serve` keep logs/tillbook.log to themselves; short commands write cli.log.
# On Windows a rotating log cannot be renamed while another process holds it open, so a
# `backup` run by a scheduled task beside the open till would break the till's rotation.
SERVER_LOG = "tillbook.log"
CLI_LOG = "cli.log"


class NoTerminal(click.ClickException):
    """A command would have to ask, but nobody can answer: stdin is not a terminal (exit 2)."""

    exit_code = 2


def stdin_is_interactive() -> bool:
    """Tell whether someone can answer a prompt: stdin is an open terminal.

    Not so when started from Explorer or a scheduled task, or with stdin piped or closed:
    input() would fail at end of file and getpass would wait for a console nobody watches.
    """
    stream = sys.stdin
    try:
        return stream is not None and not stream.closed and stream.isatty()
    except (AttributeError, ValueError):  # a replaced stream without isatty, or closed
        return False


def _app(ctx: click.Context, serving: bool = False) -> Flask:
    """Build the app once per invocation, for the chosen data dir.

    A server (window or `serve`) runs long enough to take the day's backup on a thread, so
    the till answers at once; short commands take it before they start, as before.
    """
    obj = ctx.ensure_object(dict)
    if "app" not in obj:
        config: dict = {
            "DAILY_BACKUP_IN_BACKGROUND": serving,
            "LOG_FILE_NAME": SERVER_LOG if serving else CLI_LOG,
            # The HQ push loop runs in the server; `hq push` pushes once itself.
            "HQ_PUSH_THREAD": serving,
        }
        if obj.get("data_dir"):
            config["DATA_DIR"] = obj["data_dir"]
        obj["app"] = create_app(config)
    return obj["app"]


def is_loopback(host: str) -> bool:
    """Tell whether a host name or address is this machine only."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.group(invoke_without_command=True)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar="TILLBOOK_DATA_DIR",
    help="Where the database, backups and logs live.",
)
@click.version_option(
    package_name=None, version=__import__("posapp").__version__, prog_name="TillBook"
)
@click.pass_context
def main(ctx: click.Context, data_dir: str | None) -> None:
    """TillBook: point of sale and billing. With no command, opens the desktop window."""
    ctx.ensure_object(dict)["data_dir"] = data_dir
    if ctx.invoked_subcommand is None:
        from posapp.desktop import run_desktop

        ctx.exit(run_desktop(_data_dir(ctx), lambda: _app(ctx, serving=True)))


def _data_dir(ctx: click.Context) -> Path:
    """Resolve and create the data dir before the app (and its migrations) starts."""
    from posapp.config import prepare_data_dir, resolve_data_dir

    return prepare_data_dir(resolve_data_dir(ctx.ensure_object(dict).get("data_dir")))


def _lock_or_exit(data_dir: Path) -> InstanceLock:
    """Take the data dir's instance lock, or stop with a clear message (exit 1)."""
    from posapp.instance import InstanceLock, read_info

    lock = InstanceLock(data_dir)
    if lock.acquire():
        return lock
    info = read_info(data_dir)
    if info:
        message = _(
            "TillBook is already running on %(data)s (process %(pid)s, %(url)s). Close it "
            "first, or use another --data-dir.",
            data=data_dir,
            pid=info.pid,
            url=f"http://127.0.0.1:{info.port}/",
        )
    else:
        message = _(
            "TillBook is already running on %(data)s. Close it first, or use another --data-dir.",
            data=data_dir,
        )
    raise click.ClickException(message)


@main.command("window", hidden=True)
@click.option("--customer-display", is_flag=True, help="Full screen on the second monitor.")
@click.argument("url")
def window_command(url: str, customer_display: bool) -> None:
    """Show one of the app's pages in a window of its own (started by the desktop window)."""
    from posapp.second_window import run_window

    raise SystemExit(run_window(url, customer_display=customer_display))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0 picks a free one).",
)
@click.option("--lan", is_flag=True, help="Allow other computers of the shop to connect.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--https-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="With --lan: the HTTPS port for tablets' cameras (default: the Local network page's).",
)
@click.option("--no-https", is_flag=True, help="With --lan: plain http only.")
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    lan: bool,
    threads: int,
    https_port: int | None,
    no_https: bool,
) -> None:
    """Run the server only, and print its URL."""
    if lan and host == "127.0.0.1":
        host = "0.0.0.0"  # noqa: S104 (--lan is the explicit opt-in to listen on the network)
    if not is_loopback(host) and not lan:
        raise click.UsageError(
            _(
                "Refusing to listen on %(host)s: other computers could reach the till. "
                "Add --lan if that is what you want.",
                host=host,
            )
        )
    data_dir = _data_dir(ctx)
    lock = _lock_or_exit(data_dir)
    try:
        app = _app(ctx, serving=True)
        # Behind an HTTPS proxy (hosted, TILLBOOK_PROXY_HOPS) the proxy already serves TLS.
        https = lan and not no_https and not app.config.get("PROXY_HOPS")
        _serve(app, lock, host, port, lan, threads, https=https, https_port=https_port)
    finally:
        lock.release()


def _serve(
    app: Flask,
    lock: InstanceLock,
    host: str,
    port: int,
    lan: bool,
    threads: int,
    *,
    https: bool = False,
    https_port: int | None = None,
) -> None:
    """Serve until Ctrl+C or SIGTERM, then stop gracefully and close the database."""
    import threading

    from posapp.desktop import ShowWindowMiddleware, WindowControl
    from posapp.lan_https import start_https, stop_https
    from posapp.maintenance.startup import close_database
    from posapp.serving import Server, stop_on_signals, wait_for_stop

    stop = threading.Event()
    stop_on_signals(stop)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    # A desktop launch on this data dir opens the browser on this server instead of a second one.
    control = WindowControl("")
    app.wsgi_app = ShowWindowMiddleware(app.wsgi_app, lock.token, control.show)  # type: ignore[method-assign]
    server = Server(app, host=host, port=port, threads=threads)
    control.url = f"http://{shown}:{server.port}/"
    lock.publish(server.port)
    click.echo(_("TillBook is serving at %(url)s", url=f"http://{shown}:{server.port}/"), err=False)
    if lan:
        click.secho(
            _(
                "WARNING: --lan makes TillBook reachable from every computer on this network. "
                "Use it only on the shop's own network, with strong passwords."
            ),
            fg="yellow",
            err=True,
        )
        _announce_lan(app, host, server.port)
    if https:
        start_https(app, host, https_port, echo=click.echo)
    sys.stdout.flush()
    server.start()
    try:
        wait_for_stop(stop, server)
    finally:
        stop_https(app)
        server.stop()
        close_database(app)
    click.echo(_("TillBook stopped."))


def _announce_lan(app: Flask, host: str, port: int) -> None:
    """Print the address the other tills open, with a QR code for tablets and phones."""
    from posapp.services import network

    address = network.lan_address(host)
    if address is None:
        click.echo(
            _(
                "No network address found: is this computer connected to the shop's network "
                "(Wi-Fi or cable)? The other tills cannot reach it until it is."
            ),
            err=True,
        )
        return
    url = network.share_url(address, port)
    app.config["LAN_URL"] = url  # the admin's Local network page shows it too
    click.echo(_("On the other tills, tablets and phones open: %(url)s", url=url))
    try:
        click.echo(network.terminal_qr(url))
    except UnicodeEncodeError:  # an old Windows console code page has no block characters
        click.echo(_("(The QR code of this address is on the Admin > Local network page.)"))
    others = [a for a in network.lan_addresses() if a != address]
    if host in network.ANY_ADDRESSES and others:
        addresses = ", ".join(network.share_url(a, port) for a in others)
        click.echo(_("Also reachable at: %(addresses)s", addresses=addresses))


@main.command("create-user")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "cashier"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def create_user(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Create a user (asks for the password twice unless --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n") if sys.stdin is not None else ""
        confirm = password
    elif not stdin_is_interactive():
        raise NoTerminal(
            _(
                "Cannot ask for the password: standard input is not a terminal. Use "
                "--password-stdin and pipe the password in, e.g. "
                "`echo PASSWORD | TillBook create-user NAME --role cashier --password-stdin`."
            )
        )
    else:
        password = click.prompt(_("Password"), hide_input=True)
        confirm = click.prompt(_("Repeat password"), hide_input=True)
    app = _app(ctx)
    from posapp.services.users import create_first_admin, has_users
    from posapp.services.users import create_user as create

    with app.app_context():
        try:
            if role == "admin" and not has_users(db.session):
                # The first admin made here sets the shop up as the first-run page would
                # (an INR shop rounds to the rupee), so the two ways in start alike.
                user = create_first_admin(db.session, name, password, confirm)
            else:
                user = create(db.session, name, password, role, confirm=confirm)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(
            _("Created admin %(name)s.", name=user.username)
            if user.role == "admin"
            else _("Created cashier %(name)s.", name=user.username)
        )


# What a damaged, foreign, locked or newer database raises while it is opened and checked.
DATABASE_ERRORS = (SQLAlchemyError, sqlite3.Error, CommandError, OSError)


def _reason(exc: Exception) -> str:
    """The driver's own sentence ("file is not a database"), without SQLAlchemy's SQL dump."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@main.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Check database integrity and the money/stock invariants; exit 1 on any problem."""
    from posapp.services.integrity import run_checks

    try:
        app = _app(ctx)
        with app.app_context():
            report = run_checks(db.session)
    except DATABASE_ERRORS as exc:
        # A damaged, foreign or locked file: say what is wrong, never a traceback.
        click.echo(
            _("PROBLEM: the database cannot be checked: %(reason)s", reason=_reason(exc)), err=True
        )
        click.echo(
            _(
                "If the file is damaged, restore the newest good backup (app.py restore FILE); "
                "if another program has it open, close that program and check again."
            ),
            err=True,
        )
        ctx.exit(1)
    for name in report.checked:
        click.echo(_("checked: %(name)s", name=name))
    if report.ok:
        click.echo(_("OK: no problems found."))
        return
    for problem in report.problems:
        click.echo(_("PROBLEM: %(problem)s", problem=problem), err=True)
    click.echo(
        ngettext("%(num)s problem found.", "%(num)s problems found.", len(report.problems)),
        err=True,
    )
    ctx.exit(1)


@main.command("rebuild-summaries")
@click.pass_context
def rebuild_summaries(ctx: click.Context) -> None:
    """Recompute the daily sales summary (dashboard and reports) from the invoices."""
    app = _app(ctx)
    from posapp.models.base import write_transaction
    from posapp.services import summaries

    with app.app_context(), write_transaction(db.session):
        days = summaries.rebuild(db.session)
    click.echo(
        ngettext(
            "Rebuilt the daily sales summary: %(num)s day.",
            "Rebuilt the daily sales summary: %(num)s days.",
            days,
        )
    )


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """Draw a progress bar (on a terminal) for a copy that reports (pages done, pages total)."""
    with click.progressbar(length=1000, label=label, file=sys.stderr) as bar:
        shown = 0

        def update(done: int, total: int) -> None:
            nonlocal shown
            target = done * 1000 // max(total, 1)
            bar.update(target - shown)
            shown = target

        yield update


def _cli_actor() -> str:
    """Who ran a command, for the audit log: the CLI has no TillBook user, only an OS account."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name (a service account without one)
        return "cli"


def _audit(app: Flask, action: str, after: dict[str, object]) -> None:
    """Audit-log a command-line backup or restore like the page's (who = the OS user)."""
    from posapp.services import backups

    with app.app_context():
        backups.record_event(db.session, action, None, {**after, "by": _cli_actor()})
        db.session.remove()


@main.command()
@click.option(
    "--to",
    "to_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the backup into this folder (a USB stick) instead of the data dir's backups/.",
)
@click.pass_context
def backup(ctx: click.Context, to_dir: Path | None) -> None:
    """Write a consistent, verified copy of the database (SQLite online backup API)."""
    from posapp.maintenance.jobs import backup_now

    app = _app(ctx)
    try:
        with _progress("Backing up") as progress:
            info = backup_now(app, to_dir, progress=progress)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    except OSError as exc:
        raise click.ClickException(
            _("Could not write the backup: %(reason)s", reason=exc)
        ) from None
    _audit(
        app,
        "backup.create",
        {"file": info.path.name, "size": info.size, "to": str(info.path.parent)},
    )
    click.echo(
        _(
            "Backup written: %(path)s (%(size)s bytes, verified)",
            path=info.path,
            size=f"{info.size:,}",
        )
    )


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def restore(ctx: click.Context, file: Path, yes: bool) -> None:
    """Replace the shop's data with a backup (close TillBook first).

    The file is verified and brought to this version's schema first, and the current data is
    backed up before it is replaced; a bad file changes nothing.
    """
    if not yes and not stdin_is_interactive():
        # Checked before the data dir is touched: the command ends having written nothing.
        raise NoTerminal(
            _(
                "Cannot ask for confirmation: standard input is not a terminal. Add --yes to "
                "replace the data without asking."
            )
        )
    lock = _lock_or_exit(_data_dir(ctx))  # never swap the database under a running TillBook
    try:
        _restore(ctx, file, yes)
    finally:
        lock.release()


def _restore(ctx: click.Context, file: Path, yes: bool) -> None:
    """Confirm, then verify, migrate and swap in the backup (the data dir is locked)."""
    from posapp.maintenance.startup import restore as restore_backup

    app = _app(ctx)
    if not yes:
        click.confirm(
            _(
                "Replace all data in %(data)s with %(file)s? "
                "(The current data is backed up first.)",
                data=app.config["DATA_DIR"],
                file=file,
            ),
            abort=True,
        )
    try:
        with _progress(_("Restoring")) as progress:
            info = restore_backup(app, file, progress=progress)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    # Written into the restored data, after the swap, as the page does.
    _audit(app, "backup.restore", {"source": file.name, "size": info.size})
    click.echo(
        _(
            "Restored %(file)s into %(path)s. The previous data is in the backups folder.",
            file=file,
            path=info.path,
        )
    )


@main.command("demo-data")
@click.pass_context
def demo_data(ctx: click.Context) -> None:
    """Fill an empty shop with a realistic sample: catalog, customers, 60 days of trading."""
    from posapp.services.demo import build_demo_shop

    app = _app(ctx)
    with app.app_context():
        try:
            with _progress(_("Trading 60 days")) as progress:
                report = build_demo_shop(db.session, progress=progress)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(
        _(
            "Demo shop ready: %(products)s products, %(customers)s customers, %(invoices)s "
            "bills (%(credit_sales)s on credit), %(purchases)s purchases, %(payments)s "
            "payments on account, %(returns)s returns.",
            products=report.products,
            customers=report.customers,
            invoices=report.invoices,
            credit_sales=report.credit_sales,
            purchases=report.purchases,
            payments=report.payments,
            returns=report.returns,
        )
    )


@main.command("db-revision", hidden=True)
@click.option("-m", "--message", required=True)
@click.pass_context
def db_revision(ctx: click.Context, message: str) -> None:
    """(developers) Autogenerate a migration from the models."""
    from flask_migrate import migrate as make_migration

    from posapp import MIGRATIONS_DIR

    obj = ctx.ensure_object(dict)
    obj["app"] = create_app(
        {"DATA_DIR": obj.get("data_dir"), "AUTO_MIGRATE": False, "LOG_FILE_NAME": CLI_LOG}
    )
    with obj["app"].app_context():
        make_migration(directory=MIGRATIONS_DIR, message=message)


@main.command("i18n", hidden=True)
@click.argument("step", type=click.Choice(["extract", "update", "compile", "status"]))
def i18n_command(step: str) -> None:
    """(developers) Translations: extract the marked messages into messages.pot, update every
    language's messages.po from it, compile the .mo files, or show how much is translated."""
    from posapp import catalogs
    from posapp.i18n import LANGUAGES

    if step == "extract":
        catalogs.TEMPLATE.write_bytes(catalogs.template_text(catalogs.extract()))
        click.echo(f"wrote {catalogs.TEMPLATE}")
    elif step == "update":
        template = catalogs.extract()
        catalogs.TEMPLATE.write_bytes(catalogs.template_text(template))
        for language in LANGUAGES:
            if language != "en":
                catalogs.update(language, template)
                click.echo(f"updated {catalogs.po_path(language)}")
    elif step == "compile":
        for path in catalogs.compile_all():
            click.echo(f"wrote {path}")
    else:
        for language in LANGUAGES:
            if language != "en":
                done, total = catalogs.coverage(language)
                click.echo(f"{language}: {done} of {total} messages translated")


@main.command("export-docs", hidden=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("docs"),
    show_default=True,
)
def export_docs(out_dir: Path) -> None:
    """(developers) Write docs/openapi.json, the Postman collection and docs/schema.sql."""
    from posapp.docgen import write_all

    for path in write_all(out_dir):
        click.echo(f"wrote {path}")


@main.command(hidden=True)
@click.option(
    "--data-dir",
    "selftest_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="A new or empty folder for the self-test's data dir (default: a temporary one).",
)
@click.option(
    "--window", is_flag=True, help="Open the window step off Windows too (needs a display)."
)
def selftest(selftest_dir: Path | None, window: bool) -> None:
    """(build) Check the window, PDFs, printers, a UNC backup and the check; exit 1 on a failure.

    It never uses the shop's data dir: --data-dir here names a fresh folder for its own.
    """
    from posapp.selftest import run_selftest

    if selftest_dir is not None and selftest_dir.is_dir() and any(selftest_dir.iterdir()):
        raise click.BadParameter(
            f"{selftest_dir} is not empty; the self-test needs a new or empty folder.",
            param_hint="--data-dir",
        )
    if not run_selftest(selftest_dir, click.echo, window=window):
        sys.exit(1)


# ---------------------------------------------------------------- HQ sync (issue 24)


@main.group("hq")
def hq_group() -> None:
    """HQ sync: push this shop's records to its HQ, see the sync's state; run HQ itself."""


@hq_group.command("push")
@click.pass_context
def hq_push(ctx: click.Context) -> None:
    """Push everything waiting to HQ once; exit 1 when HQ could not take it."""
    from posapp.services import hq_client

    app = _app(ctx)
    with app.app_context():
        try:
            result = hq_client.push(db.session)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        except (hq_client.HqRefused, hq_client.HqUnavailable) as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            db.session.remove()
    click.echo(
        _(
            "Pushed %(sent)s changes; HQ holds everything up to number %(acked)s.",
            sent=result.sent,
            acked=result.acked,
        )
    )
    if result.applied or result.refused:
        click.echo(
            _(
                "Applied %(applied)s of HQ's changes; %(refused)s could not be applied "
                "(the HQ page under Admin says why).",
                applied=result.applied,
                refused=result.refused,
            )
        )


@hq_group.command("rebuild")
@click.option("--shop", "shop_id", default=None, help="Only this shop (its id); default: all.")
@click.pass_context
def hq_rebuild(ctx: click.Context, shop_id: str | None) -> None:
    """(HQ) Make HQ's report tables again from the records the shops pushed."""
    from posapp.services import hq_projections

    app = _app(ctx)
    with app.app_context():
        try:
            count = hq_projections.rebuild(db.session, shop_id)
        finally:
            db.session.remove()
    click.echo(_("HQ's reports rebuilt from %(count)s records.", count=count))


@hq_group.command("status")
@click.pass_context
def hq_status(ctx: click.Context) -> None:
    """Show HQ's address, this shop's id, the last sync and what waits to be sent."""
    from posapp.services import hq_client

    app = _app(ctx)
    with app.app_context():
        state = hq_client.status(db.session)
        db.session.remove()
    link = state.link
    if not link.enrolled:
        click.echo(_("This shop is not enrolled at an HQ."))
        return
    click.echo(_("HQ: %(url)s", url=link.url))
    click.echo(_("Shop id: %(id)s", id=link.shop_id))
    click.echo(_("Last successful sync (UTC): %(when)s", when=link.last_sync or _("not yet")))
    click.echo(
        _(
            "Waiting: %(changes)s changes, %(records)s records (HQ holds up to %(acked)s).",
            changes=state.waiting_changesets,
            records=state.waiting_records,
            acked=link.acked_seq,
        )
    )
    if link.last_error:
        reason = (
            str(hq_client.CREDENTIAL_REFUSED)
            if state.refused
            else hq_client.error_text(link.last_error)
        )
        click.echo(_("Last error: %(reason)s", reason=reason))


@hq_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0 picks a free one).",
)
@click.option("--threads", default=16, show_default=True, type=click.IntRange(1, 64))
@click.pass_context
def hq_serve(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """Run HQ: the shops push their records here (DATABASE_URL must be PostgreSQL)."""
    from posapp.config import database_url, hq_database_problem

    data_dir = _data_dir(ctx)
    if hq_database_problem(database_url(data_dir), testing=False):
        raise click.ClickException(
            _(
                "HQ needs PostgreSQL: set DATABASE_URL=postgresql+psycopg://user:password@host/db "
                "(see docs/DEPLOY.md)."
            )
        )
    if not is_loopback(host):
        # HQ is meant to be reached by the shops; say so, as `serve --lan` does.
        click.secho(
            _(
                "HQ listens on %(host)s: every computer that reaches this address can try to "
                "log in. Put HTTPS in front of it and use strong passwords.",
                host=host,
            ),
            fg="yellow",
            err=True,
        )
    lock = _lock_or_exit(data_dir)
    try:
        config: dict = {
            "HQ_MODE": True,
            "DAILY_BACKUP_IN_BACKGROUND": True,
            "LOG_FILE_NAME": SERVER_LOG,
            "DATA_DIR": str(data_dir),
        }
        _serve(create_app(config), lock, host, port, False, threads)
    finally:
        lock.release()
