"""The data folder's safety: owner-only permissions when it is new, and where SQLite is unsafe.

On Windows a folder outside the user profile (a portable TillBook-data next to the exe,
--data-dir C:\\Shop) inherits an ACL that lets every account on the laptop read it, the
secret key and the whole shop's data included. The per-user folder (%LOCALAPPDATA%) is
private already. SQLite's write-ahead log needs shared memory and working byte-range locks,
which network shares do not give reliably; FAT/exFAT have no journaling and lose files on a
power cut; OneDrive syncs a live database file half-written.

Every Windows call is a parameter with a real default, so tests run the Windows branch on
Linux and check exactly what would be handed to the OS.
"""

from __future__ import annotations

import csv
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePath, PureWindowsPath

log = logging.getLogger(__name__)

SYSTEM_SID = "S-1-5-18"  # LocalSystem: backup software and antivirus run as it
DRIVE_REMOTE = 4  # GetDriveTypeW: a network drive
UNSAFE_FILE_SYSTEMS = frozenset({"FAT", "FAT32", "EXFAT"})
ONEDRIVE_ENV = ("OneDrive", "OneDriveConsumer", "OneDriveCommercial")

Run = Callable[[Sequence[str]], str]  # runs a command without a shell, returns its stdout
Chmod = Callable[[str, int], None]
VolumeFileSystem = Callable[[str], str | None]  # root like C:\ -> "NTFS" (None: unknown)
DriveType = Callable[[str], int]


def run_command(args: Sequence[str]) -> str:
    """Run a console tool without a shell and without flashing a console window."""
    completed = subprocess.run(  # noqa: S603 (fixed programs, arguments never from a user)
        list(args),
        capture_output=True,
        stdin=subprocess.DEVNULL,  # the windowed exe has no console to inherit
        text=True,
        encoding="utf-8",
        errors="replace",  # whoami writes the user name in the OEM code page
        timeout=60,
        check=True,
        creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
    )
    return completed.stdout


def current_user_sid(run: Run = run_command) -> str | None:
    """The SID of the account TillBook runs as, from `whoami /user /fo csv /nh`."""
    output = run(["whoami", "/user", "/fo", "csv", "/nh"])
    for row in csv.reader(output.splitlines()):
        for field in reversed(row):
            if field.strip().startswith("S-1-"):
                return field.strip()
    return None


def icacls_arguments(folder: str, user_sid: str) -> list[str]:
    """The icacls call that leaves a folder (and all it will hold) to the user and SYSTEM."""
    return [
        "icacls",
        folder,
        "/inheritance:r",
        "/grant:r",
        f"*{user_sid}:(OI)(CI)F",
        "/grant:r",
        f"*{SYSTEM_SID}:(OI)(CI)F",
    ]


def restrict_to_owner(
    folder: str | os.PathLike[str],
    *,
    platform: str | None = None,
    run: Run = run_command,
    chmod: Chmod = os.chmod,
) -> bool:
    """Make a folder readable by the current user (and SYSTEM on Windows) only.

    Returns whether it worked; a failure is logged, never raised: TillBook must still start
    on a file system without ACLs (a FAT stick) or where icacls is missing.
    """
    platform = platform or sys.platform
    path = os.fspath(folder)
    try:
        if platform == "win32":
            sid = current_user_sid(run)
            if sid is None:
                log.warning("could not find this account's SID; %s keeps its permissions", path)
                return False
            run(icacls_arguments(path, sid))
        else:
            chmod(path, 0o700)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not make %s private to this account: %s", path, exc)
        return False
    return True


def _volume_file_system(root: str) -> str | None:
    import ctypes

    name = ctypes.create_unicode_buffer(261)
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    ok = kernel32.GetVolumeInformationW(
        ctypes.c_wchar_p(root), None, 0, None, None, None, name, len(name)
    )
    return name.value if ok else None


def _drive_type(root: str) -> int:
    import ctypes

    return int(ctypes.windll.kernel32.GetDriveTypeW(ctypes.c_wchar_p(root)))  # type: ignore[attr-defined]


def _under(path: PureWindowsPath, parent: str) -> bool:
    base = PureWindowsPath(parent)
    return base.is_absolute() and (path == base or base in path.parents)


def storage_warnings(
    folder: str | os.PathLike[str],
    *,
    platform: str | None = None,
    environ: Mapping[str, str] | None = None,
    volume_file_system: VolumeFileSystem | None = None,
    drive_type: DriveType | None = None,
) -> list[str]:
    """Say why a data folder is a risky home for a SQLite database (empty: no reason known).

    Checks Windows only: a network share (UNC path or a mapped network drive), FAT/FAT32/exFAT
    and folders OneDrive syncs. PureWindowsPath compares case-insensitively, as Windows does.
    """
    if (platform or sys.platform) != "win32":
        return []
    env = os.environ if environ is None else environ
    path = PureWindowsPath(os.fspath(folder) if not isinstance(folder, PurePath) else str(folder))
    root = path.anchor  # C:\ or \\NAS\share\
    shown = str(path)
    warnings: list[str] = []
    remote = path.drive.startswith("\\\\")
    if not remote and root:
        try:
            remote = (drive_type or _drive_type)(root) == DRIVE_REMOTE
        except (OSError, AttributeError) as exc:  # AttributeError: no windll (not Windows)
            log.info("could not tell the drive type of %s: %s", root, exc)
    if remote:
        warnings.append(
            f"The data folder {shown} is on a network share. SQLite cannot lock a database "
            "safely over the network: sales can be lost or the file damaged. Keep the data "
            "folder on this computer's own disk and back up to the share instead."
        )
    if root:
        try:
            file_system = (volume_file_system or _volume_file_system)(root)
        except (OSError, AttributeError) as exc:
            log.info("could not read the file system of %s: %s", root, exc)
            file_system = None
        if file_system and file_system.upper() in UNSAFE_FILE_SYSTEMS:
            warnings.append(
                f"The data folder {shown} is on a {file_system} drive (a USB stick or memory "
                "card?). It has no journal, so a power cut or pulling the drive can damage "
                "the database. Keep the data folder on an NTFS disk."
            )
    for name in ONEDRIVE_ENV:
        synced = env.get(name, "").strip()
        if synced and _under(path, synced):
            warnings.append(
                f"The data folder {shown} is inside OneDrive ({synced}). OneDrive uploads "
                "and replaces the database while TillBook writes to it, which can damage it "
                "or bring back old data. Move the data folder out of OneDrive and back up to "
                "OneDrive instead."
            )
            break
    return warnings


def is_new(folder: Path) -> bool:
    """Tell whether a data folder is new: missing, or an empty folder made for TillBook."""
    if not folder.exists():
        return True
    return folder.is_dir() and not any(folder.iterdir())
