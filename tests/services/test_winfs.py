"""Windows file handling: retried renames/deletes on sharing violations, SQLite read-only URIs."""

from __future__ import annotations

import io
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path, PureWindowsPath

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from posapp import winfs
from posapp.errors import DomainError
from posapp.instance import INFO_NAME, InstanceLock
from posapp.models import User
from posapp.services import backups, shop_settings
from posapp.services.settings import load_settings
from posapp.winfs import FileInUse, replace_with_retry, sqlite_ro_uri, unlink_with_retry


def sharing_violation(code: int = winfs.SHARING_VIOLATION) -> OSError:
    """What Windows raises when another process holds the file (winerror is Windows-only)."""
    exc = PermissionError(13, "The process cannot access the file")
    exc.winerror = code  # type: ignore[attr-defined]
    return exc


class Flaky:
    """Stands in for os.replace/os.unlink: fails `failures` times, then does the real thing."""

    def __init__(self, real: Callable[..., None], failures: int, error: OSError) -> None:
        self.real, self.failures, self.error, self.calls = real, failures, error, 0

    def __call__(self, *args: object) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        self.real(*args)


def test_a_replace_that_hits_two_sharing_violations_succeeds_on_the_third_try(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, dst = tmp_path / "new.tmp", tmp_path / "file.db"
    src.write_text("new")
    dst.write_text("old")
    flaky = Flaky(os.replace, 2, sharing_violation())
    monkeypatch.setattr(os, "replace", flaky)
    waits: list[float] = []
    replace_with_retry(src, dst, attempts=5, delay=0.1, sleep=waits.append)
    assert flaky.calls == 3
    assert waits == [0.1, 0.2]  # backoff doubles
    assert dst.read_text() == "new" and not src.exists()


def test_a_file_held_open_throughout_ends_in_a_clear_message_after_bounded_tries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, dst = tmp_path / "new.tmp", tmp_path / "tillbook.db"
    src.write_text("new")
    dst.write_text("old")
    flaky = Flaky(os.replace, 10**6, sharing_violation(winfs.LOCK_VIOLATION))
    monkeypatch.setattr(os, "replace", flaky)
    waits: list[float] = []
    with pytest.raises(FileInUse) as caught:
        replace_with_retry(src, dst, attempts=4, delay=0.01, sleep=waits.append)
    assert flaky.calls == 4 and len(waits) == 3
    assert isinstance(caught.value, DomainError) and isinstance(caught.value, OSError)
    assert str(dst) in caught.value.message
    assert "is open in another program (antivirus, a backup); close it and try again" in (
        caught.value.message
    )
    assert dst.read_text() == "old" and src.exists()


def test_other_os_errors_are_not_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flaky = Flaky(os.unlink, 10**6, FileExistsError(17, "exists"))
    monkeypatch.setattr(os, "unlink", flaky)
    with pytest.raises(FileExistsError):
        unlink_with_retry(tmp_path / "x", sleep=lambda _s: None)
    assert flaky.calls == 1


def test_unlink_retries_access_denied_and_ignores_a_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = tmp_path / "old-daily.db"
    held.write_text("x")
    flaky = Flaky(os.unlink, 1, sharing_violation(winfs.ACCESS_DENIED))
    monkeypatch.setattr(os, "unlink", flaky)
    unlink_with_retry(held, sleep=lambda _s: None)
    assert not held.exists() and flaky.calls == 2
    unlink_with_retry(held, sleep=lambda _s: None)  # already gone: fine
    with pytest.raises(FileNotFoundError):
        unlink_with_retry(held, missing_ok=False, sleep=lambda _s: None)


def test_publishing_instance_json_rides_out_a_reader_holding_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(winfs.time, "sleep", lambda _s: None)
    flaky = Flaky(os.replace, 2, sharing_violation())
    monkeypatch.setattr(os, "replace", flaky)
    InstanceLock(tmp_path).publish(8123)
    assert json.loads((tmp_path / INFO_NAME).read_text())["port"] == 8123
    assert flaky.calls == 3


def test_swap_in_and_copy_file_retry_a_held_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = tmp_path / "tillbook.db"
    sqlite3.connect(live).close()
    prepared = tmp_path / "prepared.db"
    connection = sqlite3.connect(prepared)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    monkeypatch.setattr(winfs.time, "sleep", lambda _s: None)
    flaky = Flaky(os.replace, 1, sharing_violation())
    monkeypatch.setattr(os, "replace", flaky)
    backups.swap_in(prepared, live)
    assert flaky.calls == 2 and not prepared.exists()
    flaky.calls, flaky.failures = 0, 2
    copied = backups.copy_file(live, tmp_path / "stick")
    assert flaky.calls == 3 and copied.is_file()


def test_rotation_leaves_a_held_backup_for_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    names = [f"tillbook-202611{day:02d}-080000-daily.db" for day in range(1, 4)]
    for name in names:
        (folder / name).write_text("x")
    monkeypatch.setattr(winfs.time, "sleep", lambda _s: None)
    flaky = Flaky(os.unlink, 10**6, sharing_violation())
    monkeypatch.setattr(os, "unlink", flaky)
    assert backups.rotate(folder, keep_daily=1, keep_monthly=0) == []
    assert all((folder / name).exists() for name in names)


# SQLite URIs. A UNC path must not become an authority (file://NAS/...): CPython's Windows
# SQLite rejects that with "invalid uri authority".
@pytest.mark.parametrize(
    ("path", "uri"),
    [
        (r"\\NAS\shop\tillbook.db", "file:////NAS/shop/tillbook.db?mode=ro"),
        (r"\\nas.local\Shop Backups\x.db", "file:////nas.local/Shop%20Backups/x.db?mode=ro"),
        (r"\\?\UNC\NAS\shop\x.db", "file:////NAS/shop/x.db?mode=ro"),
        (r"C:\Shop\tillbook.db", "file:///C:/Shop/tillbook.db?mode=ro"),
        (r"\\?\C:\Shop\x.db", "file:///C:/Shop/x.db?mode=ro"),
        (r"D:\Back ups\#1 ?50%.db", "file:///D:/Back%20ups/%231%20%3F50%25.db?mode=ro"),
        (
            r"C:\Dukaan\दुकान.db",
            "file:///C:/Dukaan/%E0%A4%A6%E0%A5%81%E0%A4%95%E0%A4%BE%E0%A4%A8.db?mode=ro",
        ),
    ],
)
def test_windows_paths_give_uris_with_an_empty_authority(path: str, uri: str) -> None:
    assert sqlite_ro_uri(PureWindowsPath(path)) == uri


def test_a_relative_windows_path_is_refused() -> None:
    with pytest.raises(ValueError, match="absolute"):
        sqlite_ro_uri(PureWindowsPath(r"Shop\x.db"))


@pytest.mark.parametrize(
    "name", ["with space.db", "hash#1.db", "what?.db", "100%.db", "दुकान ₹.db", "a%20b.db"]
)
def test_real_files_with_awkward_names_open_read_only(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "Shop #2 ? 50% दुकान"
    folder.mkdir()
    path = folder / name
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE alembic_version (version_num TEXT)")
    connection.execute("INSERT INTO alembic_version VALUES ('abc123')")
    connection.commit()
    connection.close()
    uri = sqlite_ro_uri(path)
    assert uri.startswith("file:///") and "#" not in uri and "?" not in uri[:-8]
    assert backups.integrity_ok(path) == []
    assert backups.schema_revision(path) == "abc123"
    reader = sqlite3.connect(uri, uri=True)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.execute("INSERT INTO alembic_version VALUES ('x')")
    finally:
        reader.close()
    assert sorted(p.name for p in folder.iterdir()) == [name]  # opened that file, made no other


def test_saving_the_logo_rides_out_a_reader_holding_the_old_one(
    session: Session, admin: User, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(picture, format="PNG")
    monkeypatch.setattr(winfs.time, "sleep", lambda _s: None)
    flaky = Flaky(os.replace, 2, sharing_violation())
    monkeypatch.setattr(os, "replace", flaky)
    assert shop_settings.save_logo(session, data_dir, picture.getvalue(), admin.id) == (40, 20)
    path = shop_settings.logo_path(data_dir, load_settings(session).logo)
    assert flaky.calls == 3 and path is not None and path.is_file()
    # Removing it stops new documents using it; the file stays for the documents issued.
    assert shop_settings.remove_logo(session, data_dir, admin.id) and path.is_file()
