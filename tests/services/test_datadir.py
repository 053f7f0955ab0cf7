"""The data folder: owner-only rights when new, and warnings where SQLite's WAL is unsafe.

The Windows branch runs here on Linux with the OS calls faked; the tests check exactly what
would be handed to icacls, whoami and kernel32.
"""

from __future__ import annotations

import logging
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path, PureWindowsPath

import pytest

from posapp import datadir
from posapp.config import prepare_data_dir
from posapp.extensions import db
from tests.conftest import build_app
from tests.factories import PASSWORD, make_user

USER_SID = "S-1-5-21-1004336348-1177238915-682003330-1001"
WHOAMI = f'"shop-laptop\\ramesh","{USER_SID}"\r\n'


class FakeShell:
    """Records commands; answers whoami like Windows does."""

    def __init__(self, fail_icacls: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail_icacls = fail_icacls

    def __call__(self, args: Sequence[str]) -> str:
        self.calls.append(list(args))
        if args[0] == "whoami":
            return WHOAMI
        if self.fail_icacls:
            raise subprocess.CalledProcessError(5, list(args), "", "Access is denied.")
        return "processed file: ...\r\nSuccessfully processed 1 files"


def test_a_new_windows_data_folder_is_left_to_the_user_and_system(tmp_path: Path) -> None:
    shell = FakeShell()
    folder = PureWindowsPath(r"C:\Shop\TillBook-data")
    assert datadir.restrict_to_owner(folder, platform="win32", run=shell)
    assert shell.calls == [
        ["whoami", "/user", "/fo", "csv", "/nh"],
        [
            "icacls",
            r"C:\Shop\TillBook-data",
            "/inheritance:r",
            "/grant:r",
            f"*{USER_SID}:(OI)(CI)F",
            "/grant:r",
            "*S-1-5-18:(OI)(CI)F",
        ],
    ]


def test_a_failing_icacls_is_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    shell = FakeShell(fail_icacls=True)
    with caplog.at_level(logging.WARNING, "posapp.datadir"):
        ok = datadir.restrict_to_owner(r"E:\TillBook-data", platform="win32", run=shell)
    assert not ok and "could not make E:\\TillBook-data private" in caplog.text


def test_without_a_sid_icacls_is_not_run(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[Sequence[str]] = []

    def no_sid(args: Sequence[str]) -> str:
        calls.append(args)
        return "INFO: nothing\r\n"

    assert not datadir.restrict_to_owner(r"C:\Shop", platform="win32", run=no_sid)
    assert len(calls) == 1  # whoami only


def test_prepare_data_dir_restricts_a_new_or_empty_folder_only(tmp_path: Path) -> None:
    restricted: list[Path] = []
    new = tmp_path / "made" / "TillBook-data"
    prepare_data_dir(new, restrict=restricted.append)
    assert restricted == [new] and (new / "backups").is_dir()
    portable = tmp_path / "portable"
    portable.mkdir()  # the owner made an empty TillBook-data next to the exe
    prepare_data_dir(portable, restrict=restricted.append)
    assert restricted == [new, portable]
    prepare_data_dir(new, restrict=restricted.append)  # in use: its rights are the owner's
    assert restricted == [new, portable]


def test_on_posix_a_new_data_folder_is_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    prepare_data_dir(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (folder / "backups").is_dir()


def windows_warnings(
    folder: str,
    *,
    file_system: str = "NTFS",
    drive: int = 3,
    environ: dict[str, str] | None = None,
) -> tuple[list[str], list[str]]:
    asked: list[str] = []

    def volume(root: str) -> str:
        asked.append(root)
        return file_system

    found = datadir.storage_warnings(
        PureWindowsPath(folder),
        platform="win32",
        environ=environ or {},
        volume_file_system=volume,
        drive_type=lambda root: drive,
    )
    return found, asked


def test_a_local_ntfs_folder_raises_no_warning() -> None:
    found, asked = windows_warnings(r"C:\Users\ramesh\AppData\Local\TillBook")
    assert found == [] and asked == ["C:\\"]


@pytest.mark.parametrize("file_system", ["FAT", "FAT32", "exFAT"])
def test_fat_and_exfat_drives_are_warned_about(file_system: str) -> None:
    found, asked = windows_warnings(r"E:\TillBook-data", file_system=file_system)
    assert asked == ["E:\\"]
    (warning,) = found
    assert f"on a {file_system} drive" in warning and "NTFS" in warning


def test_unc_paths_and_mapped_network_drives_are_warned_about() -> None:
    found, asked = windows_warnings(r"\\NAS\shop\TillBook-data")
    (warning,) = found
    assert "network share" in warning and r"\\NAS\shop\TillBook-data" in warning
    assert asked == ["\\\\NAS\\shop\\"]
    found, _asked = windows_warnings(r"Z:\TillBook-data", drive=datadir.DRIVE_REMOTE)
    assert len(found) == 1 and "network share" in found[0]


def test_folders_onedrive_syncs_are_warned_about() -> None:
    env = {
        "OneDrive": r"C:\Users\ramesh\OneDrive",
        "OneDriveCommercial": r"C:\Users\ramesh\OneDrive - Sharma Stores",
    }
    found, _ = windows_warnings(r"c:\users\RAMESH\onedrive\Documents\TillBook", environ=env)
    assert len(found) == 1 and "inside OneDrive" in found[0]
    found, _ = windows_warnings(r"C:\Users\ramesh\OneDrive - Sharma Stores\Till", environ=env)
    assert len(found) == 1
    # A sibling whose name merely starts the same is not inside OneDrive.
    found, _ = windows_warnings(
        r"C:\Users\ramesh\OneDriveBackup\Till", environ={"OneDrive": env["OneDrive"]}
    )
    assert found == []


def test_posix_gets_no_windows_warnings() -> None:
    assert datadir.storage_warnings("/srv/tillbook", platform="linux") == []


def test_start_up_logs_the_warnings_and_the_backups_page_shows_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    warning = "The data folder X is on a network share. Keep it on this computer's own disk."
    seen: list[Path] = []

    def fake(folder: Path) -> list[str]:
        seen.append(folder)
        return [warning]

    monkeypatch.setattr(datadir, "storage_warnings", fake)
    with caplog.at_level(logging.WARNING, "posapp"):
        app = build_app(tmp_path / "data", WTF_CSRF_ENABLED=False)
    assert warning in caplog.text and seen == [tmp_path / "data"]
    with app.app_context():
        make_user(db.session, "admin", "admin")
        client = app.test_client()
        login = client.post("/login", data={"username": "admin", "password": PASSWORD})
        assert login.status_code == 302
        page = client.get("/backups/").get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()
    assert "data-storage-warning" in page and "on a network share" in page
