"""Which Host names TillBook answers to: the guard against DNS rebinding.

A page on the internet can point its own hostname at 127.0.0.1; the shop's browser then sends
that page's requests to the till with the attacker's name in the Host header, and the page can
read the answers. Refusing every Host the shop did not choose stops it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from posapp.errors import ValidationError
from posapp.i18n import _

ALLOWED_HOSTS_ENV = "TILLBOOK_ALLOWED_HOSTS"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
# A DNS name or an IPv4 address; IPv6 addresses are written without brackets.
NAME_RE = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
MAX_NAMES = 20


def host_name(host: str) -> str:
    """Return the name part of a Host header, lower-cased: no port, no IPv6 brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def parse_names(text: str, field: str = "allowed_hosts") -> list[str]:
    """Read comma-separated host names (as typed in settings or the environment); 422 if bad."""
    names = [host_name(part) for part in text.replace("\n", ",").split(",") if part.strip()]
    bad = [n for n in names if not NAME_RE.fullmatch(n) and not _ipv6(n)]
    if bad:
        raise ValidationError(
            _(
                "Not a host name: %(name)s. Type names like till.example.com, separated by commas.",
                name=repr(bad[0][:60]),
            ),
            field=field,
        )
    if len(names) > MAX_NAMES:
        raise ValidationError(_("At most %(count)s names.", count=MAX_NAMES), field=field)
    return names


def _ipv6(name: str) -> bool:
    return ":" in name and re.fullmatch(r"[0-9a-f:.]{2,45}", name) is not None


def allowed(host: str, extra: Iterable[str]) -> bool:
    """Tell whether a request's Host header names TillBook: loopback, or one of `extra`.

    `extra` holds the LAN addresses while the till is shared, the names chosen in settings or
    TILLBOOK_ALLOWED_HOSTS, and (behind a proxy) the proxy's forwarded host. Any port is fine:
    the port is not what a rebinding page can change.
    """
    name = host_name(host)
    if not name:
        return False
    return name in LOOPBACK_NAMES or name in {host_name(e) for e in extra}


def env_names(raw: str | None) -> list[str]:
    """Read TILLBOOK_ALLOWED_HOSTS; a bad value stops the start with a clear message."""
    try:
        return parse_names(raw or "", field=ALLOWED_HOSTS_ENV)
    except ValidationError as exc:
        raise RuntimeError(f"{ALLOWED_HOSTS_ENV}: {exc.message}") from None
