"""Serving on the shop's local network: the LAN address, the tills' URL and its QR code."""

from __future__ import annotations

import io
import ipaddress
import socket
from collections.abc import Mapping
from typing import Any

import qrcode
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.i18n import _
from posapp.services import shop_settings
from posapp.services.settings import load_settings
from posapp.vocabulary import is_yes

# Any private address does: connecting a UDP socket sends nothing, it only asks the OS which
# local address would route there. So it works with no internet and no packets on the wire.
PROBE_ADDRESSES = ("10.255.255.255", "172.31.255.255", "192.168.255.255")
ANY_ADDRESSES = ("0.0.0.0", "::", "")  # noqa: S104 (names of the wildcard bind, not a bind)
DEFAULT_LAN_PORT = 8000
DEFAULT_HTTPS_PORT = 8443


def usable(address: str) -> bool:
    """Tell whether an address can be given to another computer (not loopback/link-local)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast)


def _routed_address(probe: str) -> str | None:
    """Return the local IPv4 address the OS would use towards `probe`, sending nothing."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect((probe, 9))
            return str(sock.getsockname()[0])
        except OSError:
            return None


def lan_addresses() -> list[str]:
    """Return this machine's LAN IPv4 addresses, the one the default route uses first."""
    found: list[str] = []
    for probe in PROBE_ADDRESSES:
        address = _routed_address(probe)
        if address and usable(address) and address not in found:
            found.append(address)
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        infos = []
    for info in infos:
        address = str(info[4][0])
        if usable(address) and address not in found:
            found.append(address)
    return found


def lan_address(bound_host: str) -> str | None:
    """Return the address other tills should use for a server bound to `bound_host`."""
    if bound_host not in ANY_ADDRESSES:
        return bound_host if usable(bound_host) else None
    addresses = lan_addresses()
    return addresses[0] if addresses else None


def share_url(address: str, port: int, scheme: str = "http") -> str:
    """Return the URL tablets and other tills open (https for the camera)."""
    host = f"[{address}]" if ":" in address else address
    return f"{scheme}://{host}:{port}/"


def terminal_qr(url: str) -> str:
    """Draw a QR code of the URL in text blocks for a terminal (light characters on dark)."""
    qr = qrcode.QRCode(border=2)
    qr.add_data(url)
    qr.make(fit=True)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    return out.getvalue()


def validate_port(raw: str, default: int = DEFAULT_LAN_PORT) -> int:
    """Parse a LAN port typed on the network page (1024-65535)."""
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not 1024 <= int(text) <= 65535:
        raise ValidationError(
            _(
                "Type a port from 1024 to 65535 (%(port)s unless something else uses it).",
                port=default,
            ),
            field="port",
        )
    return int(text)


def update_sharing(session: Session, data: Mapping[str, Any], user_id: int | None) -> bool:
    """Save the "Share on the local network" switch and ports (audited); True if changed."""
    sharing = is_yes(str(data.get("lan_sharing") or ""))
    errors: dict[str, str] = {}
    ports: dict[str, int] = {}
    # A form from before the HTTPS port existed keeps the one saved.
    current = {"lan_https_port": str(load_settings(session).lan_https_port)}
    for key, default in (("lan_port", DEFAULT_LAN_PORT), ("lan_https_port", DEFAULT_HTTPS_PORT)):
        raw = data.get(key, current.get(key))
        try:
            ports[key] = validate_port(str(raw or ""), default)
        except ValidationError as exc:
            errors[key] = exc.message
    if not errors and ports["lan_port"] == ports["lan_https_port"]:
        errors["lan_https_port"] = _("HTTPS needs a port of its own (8443 unless it is in use).")
    if errors:
        raise ValidationError(_("The port needs fixing; nothing was saved."), fields=errors)
    values = {"lan_sharing": sharing, **ports}
    return bool(shop_settings.save_changes(session, values, "settings.network", user_id))
