"""File renames and deletes that ride out Windows sharing violations, and SQLite file URIs.

Windows refuses to replace or delete a file another process holds open without
FILE_SHARE_DELETE: antivirus scanning a file just written, the search indexer, a backup
tool, a second TillBook command. Those holds usually last well under a second, so a bounded
retry with backoff gets through; a hold that outlasts it ends in a message the owner can act
on instead of a traceback.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path, PurePath, PureWindowsPath
from urllib.parse import quote

from posapp.errors import DomainError
from posapp.i18n import _

ACCESS_DENIED = 5  # what Windows answers for a file pending delete, too
SHARING_VIOLATION = 32
LOCK_VIOLATION = 33
TRANSIENT_WINERRORS = frozenset({ACCESS_DENIED, SHARING_VIOLATION, LOCK_VIOLATION})
ATTEMPTS = 6
DELAY = 0.05  # seconds before the second try; doubles each time (about 1.5 s in all)

StrPath = str | os.PathLike[str]


class FileInUse(DomainError, OSError):
    """A file stayed open in another program through every retry (409).

    Also an OSError, so callers that already treat a failed rename as an OS failure (the
    automatic backup logs it and lets the shop sell on) keep doing so.
    """

    status = 409
    code = "file_in_use"


def is_sharing_violation(exc: OSError) -> bool:
    """Tell whether an OS error is the kind another program's brief hold causes."""
    return isinstance(exc, PermissionError) or (
        getattr(exc, "winerror", None) in TRANSIENT_WINERRORS
    )


def _retry(
    operation: Callable[[], None],
    target: StrPath,
    attempts: int,
    delay: float,
    sleep: Callable[[float], None],
) -> None:
    wait = delay
    for attempt in range(1, max(1, attempts) + 1):
        try:
            operation()
            return
        except OSError as exc:
            if not is_sharing_violation(exc):
                raise
            if attempt >= attempts:
                raise FileInUse(
                    _(
                        "%(path)s is open in another program (antivirus, a backup); "
                        "close it and try again.",
                        path=os.fspath(target),
                    )
                ) from exc
        sleep(wait)
        wait *= 2


def replace_with_retry(
    src: StrPath,
    dst: StrPath,
    attempts: int = ATTEMPTS,
    delay: float = DELAY,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """os.replace(src, dst), retried on sharing violations; FileInUse once they persist."""
    _retry(lambda: os.replace(src, dst), dst, attempts, delay, sleep)


def unlink_with_retry(
    path: StrPath,
    attempts: int = ATTEMPTS,
    delay: float = DELAY,
    *,
    missing_ok: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Delete a file, retried on sharing violations; FileInUse once they persist."""

    def remove() -> None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            if not missing_ok:
                raise

    _retry(remove, path, attempts, delay, sleep)


def _windows_uri_path(path: PureWindowsPath) -> str:
    """The slash path SQLite's URI wants for a Windows path: /C:/x.db or //NAS/share/x.db."""
    text = str(path)
    # resolve() may hand back extended-length paths; SQLite's URI knows only the plain forms.
    if text.startswith("\\\\?\\UNC\\"):
        text = "\\\\" + text[len("\\\\?\\UNC\\") :]
    elif text.startswith("\\\\?\\"):
        text = text[len("\\\\?\\") :]
    plain = PureWindowsPath(text)
    if not plain.is_absolute():
        raise ValueError(f"{path} is not an absolute path.")
    posix = plain.as_posix()  # C:/Shop/x.db, or //NAS/share/x.db for UNC
    return posix if posix.startswith("//") else "/" + posix


def sqlite_ro_uri(path: StrPath) -> str:
    """Return a read-only SQLite URI for a file: `file:` + an empty authority + the path.

    Path.as_uri() writes a UNC path (\\\\NAS\\share, or a mapped drive resolve() turned into
    one) as file://NAS/share/..., an authority SQLite rejects ("invalid uri authority") unless
    built with SQLITE_ALLOW_URI_AUTHORITY, which CPython's Windows build is not. With the
    authority empty the host goes into the path: file:////NAS/share/x.db, file:///C:/x.db.
    ?, #, % and spaces (and anything not plain ASCII) are percent-escaped; SQLite decodes them.
    A PureWindowsPath is taken as given (tests build Windows paths on Linux); a concrete
    path is made absolute first.
    """
    if isinstance(path, PureWindowsPath):
        pure: PurePath = path if not isinstance(path, Path) else path.resolve()
    else:
        pure = Path(path).resolve()
    uri_path = _windows_uri_path(pure) if isinstance(pure, PureWindowsPath) else pure.as_posix()
    return f"file://{quote(uri_path, safe='/:')}?mode=ro"
