"""The shop's own certificate authority and the LAN server certificate, made offline.

Browsers give the camera only to secure origins; a tablet that opens the till by its LAN
address needs HTTPS, and no public CA issues certificates for 192.168.x.y. So TillBook makes
a small CA once per data dir (`<data>/tls/ca.crt`, ten years) that each device trusts once, and
from it a short-lived server certificate (397 days, the longest any browser accepts) for the
names the devices use: the LAN addresses, this computer's name and the allowed host names.
The server certificate is made again when it nears expiry or when those names change (a new
address from the router); the devices trust the CA, so they notice nothing.

The CA's private key never leaves the data dir: no page serves it, the folder is private to
the account (0700, or an owner-only ACL on Windows) and the key files are owner-only.
Keys are ECDSA P-256, which Android, iOS/iPadOS, Windows and every current browser accept.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
import secrets
import socket
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from posapp.datadir import restrict_to_owner
from posapp.services.hosts import NAME_RE, host_name
from posapp.winfs import replace_with_retry

TLS_DIR = "tls"
CA_CERT = "ca.crt"
CA_KEY = "ca.key"
SERVER_CERT = "server.crt"
SERVER_KEY = "server.key"
CA_DAYS = 3650
SERVER_DAYS = 397  # Chrome and Safari refuse longer-lived server certificates
RENEW_DAYS = 30  # make a new server certificate this long before the old one expires
CN_MAX = 64  # X.509 upper bound of a common name (cryptography counts UTF-8 bytes)
O_BINARY = 0x8000  # Windows' _O_BINARY: without it os.write turns "\n" into "\r\n"
LOOPBACK_NAMES = ("localhost", "127.0.0.1")

Clock = Callable[[], dt.datetime]


def _key_usage(*, signs_certificates: bool) -> x509.KeyUsage:
    """What an ECDSA key may do: sign (TLS handshakes); the CA's also signs certificates."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Material:
    """Where the listener's certificate chain and key are, and what the devices compare."""

    cert_path: Path  # the server certificate followed by the CA (a full chain)
    key_path: Path
    ca_path: Path
    names: tuple[str, ...]  # the server certificate's subject alternative names
    not_after: dt.datetime
    renewed: bool  # whether this call made a new server certificate


def tls_dir(data_dir: Path) -> Path:
    """Return `<data>/tls`, creating it private to this account the first time."""
    folder = Path(data_dir) / TLS_DIR
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        restrict_to_owner(folder)
    return folder


def open_flags(platform: str | None = None) -> int:
    """The os.open flags of a new private file: binary on Windows (DER must not be altered)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_EXCL
    if (platform or sys.platform) == "win32":
        flags |= getattr(os, "O_BINARY", O_BINARY)
    return flags


def write_private(path: Path, data: bytes, *, platform: str | None = None) -> None:
    """Write a file atomically and owner-only: a crash leaves the old file or the new one.

    The bytes go to a new `.partial` file (mode 0600 from its creation, so a key is never
    readable by others even for a moment), are flushed to disk, then renamed over the target.
    On Windows a rename onto a file another program holds open (antivirus scanning the
    certificate just written) fails for a moment, so it is retried (winfs).
    """
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.partial")
    descriptor = os.open(partial, open_flags(platform), 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        replace_with_retry(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _spki(public: CertificatePublicKeyTypes) -> bytes:
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    # Unencrypted: a password would have to be stored beside the key to start unattended.
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def ca_common_name(shop_name: str) -> str:
    """Return the CA's name as devices list it: "TillBook local CA — <shop name>"."""
    name = f"TillBook local CA — {' '.join(shop_name.split()) or 'My Shop'}"
    return _fit(name)


def _fit(text: str) -> str:
    """Cut a name to CN_MAX bytes of UTF-8 (the limit cryptography checks), whole characters."""
    return text.encode("utf-8")[:CN_MAX].decode("utf-8", errors="ignore")


def _load_ca(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    try:
        cert = x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes())
        key = serialization.load_pem_private_key((folder / CA_KEY).read_bytes(), None)
    except (OSError, ValueError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    if _spki(cert.public_key()) != _spki(key.public_key()):
        return None  # a half-finished replacement: the pair must match
    return cert, key


def _make_ca(
    folder: Path, shop_name: str, now: dt.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, ca_common_name(shop_name)),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TillBook"),
        ]
    )
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))  # a device whose clock is a bit behind
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _key_usage(signs_certificates=True),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    # The key first: a certificate on disk without its key would be unusable.
    write_private(folder / CA_KEY, _pem_key(key))
    write_private(folder / CA_CERT, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def ensure_ca(
    data_dir: Path, shop_name: str, clock: Clock = _now
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """Return the shop's CA, made the first time (or again if it is missing or ran out).

    A CA that would expire before a new server certificate does is replaced: the devices then
    have to trust the new one, once in ten years.
    """
    folder = tls_dir(data_dir)
    now = clock()
    found = _load_ca(folder)
    if found and found[0].not_valid_after_utc > now + dt.timedelta(days=SERVER_DAYS):
        return found
    return _make_ca(folder, shop_name, now)


def _san_entry(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _san_names(cert: x509.Certificate) -> set[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    names = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return names | {n.lower() for n in san.get_values_for_type(x509.DNSName)}


def server_names(
    addresses: Iterable[str], allowed_hosts: Iterable[str], hostname: str | None = None
) -> tuple[str, ...]:
    """The names the server certificate covers, sorted: loopback, addresses, host names.

    The computer's name is added as itself and as `<name>.local` (how Windows, macOS and
    iOS find it over mDNS); a name that is not a valid DNS name (underscores, non-ASCII) is
    left out, as no browser could ask for it anyway.
    """
    wanted = set(LOOPBACK_NAMES)
    for raw in [*addresses, *allowed_hosts]:
        name = host_name(raw)
        if name:
            wanted.add(str(ipaddress.ip_address(name)) if _is_ip(name) else name)
    computer = (hostname if hostname is not None else socket.gethostname()).strip().lower()
    for name in (computer, f"{computer}.local") if computer else ():
        if NAME_RE.fullmatch(name):
            wanted.add(name)
    return tuple(sorted(wanted))


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _load_server(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    try:
        chain = x509.load_pem_x509_certificates((folder / SERVER_CERT).read_bytes())
        key = serialization.load_pem_private_key((folder / SERVER_KEY).read_bytes(), None)
    except (OSError, ValueError):
        return None
    if not chain or not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    if _spki(chain[0].public_key()) != _spki(key.public_key()):
        return None
    return chain[0], key


def needs_renewal(
    cert: x509.Certificate, ca: x509.Certificate, names: Iterable[str], now: dt.datetime
) -> bool:
    """Tell whether a server certificate must be made again.

    When it expires within RENEW_DAYS, covers other names than the wanted ones (the LAN address
    changed, a host name was added), or was not signed by this CA (the CA was made anew).
    """
    if cert.not_valid_after_utc - now < dt.timedelta(days=RENEW_DAYS):
        return True
    if cert.not_valid_before_utc > now:
        return True
    if _san_names(cert) != set(names):
        return True
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return True
    return False


def _make_server(
    folder: Path,
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
    names: tuple[str, ...],
    now: dt.datetime,
) -> x509.Certificate:
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    primary = next((n for n in names if n not in LOOPBACK_NAMES), names[0])
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _fit(primary))]))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(signs_certificates=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        # Browsers read only the SANs (never the common name) to match the address typed.
        .add_extension(x509.SubjectAlternativeName([_san_entry(n) for n in names]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(
        serialization.Encoding.PEM
    )
    write_private(folder / SERVER_KEY, _pem_key(key))
    write_private(folder / SERVER_CERT, chain)
    return cert


def ensure_server_cert(
    data_dir: Path, shop_name: str, names: Iterable[str], clock: Clock = _now
) -> Material:
    """Return the listener's certificate files, made or renewed as needed (see needs_renewal)."""
    wanted = tuple(sorted(set(names)))
    if not wanted:
        raise ValueError("a server certificate needs at least one name")
    folder = tls_dir(data_dir)
    now = clock()
    ca = ensure_ca(data_dir, shop_name, clock)
    found = _load_server(folder)
    if found is None or needs_renewal(found[0], ca[0], wanted, now):
        cert, renewed = _make_server(folder, ca, wanted, now), True
    else:
        cert, renewed = found[0], False
    return Material(
        cert_path=folder / SERVER_CERT,
        key_path=folder / SERVER_KEY,
        ca_path=folder / CA_CERT,
        names=wanted,
        not_after=cert.not_valid_after_utc,
        renewed=renewed,
    )


def ca_certificate(data_dir: Path) -> x509.Certificate | None:
    """The shop's CA certificate, or None before the first HTTPS start."""
    try:
        return x509.load_pem_x509_certificate((Path(data_dir) / TLS_DIR / CA_CERT).read_bytes())
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class CaInfo:
    """What the pages show and serve of the shop's CA: never its key."""

    common_name: str
    fingerprint: str
    sha1_fingerprint: str  # Windows' certificate dialog shows only this "thumbprint"
    not_after: dt.datetime
    der: bytes
    pem: bytes


def ca_info(data_dir: Path) -> CaInfo | None:
    """The shop's CA for the pages, or None before the first HTTPS start."""
    cert = ca_certificate(data_dir)
    if cert is None:
        return None
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return CaInfo(
        common_name=str(names[0].value) if names else "",
        fingerprint=fingerprint(cert),
        # SHA-1 only for a person to compare with what Windows shows; never for trust.
        sha1_fingerprint=cert.fingerprint(hashes.SHA1()).hex(":").upper(),  # noqa: S303
        not_after=cert.not_valid_after_utc,
        der=der_bytes(cert),
        pem=pem_bytes(cert),
    )


def der_bytes(cert: x509.Certificate) -> bytes:
    """The certificate as DER (`.crt` for Android and Windows)."""
    return cert.public_bytes(serialization.Encoding.DER)


def pem_bytes(cert: x509.Certificate) -> bytes:
    """The certificate as PEM (`.pem` for iPhone/iPad, Firefox, Linux)."""
    return cert.public_bytes(serialization.Encoding.PEM)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate, as devices show it: 32 hex pairs joined by colons."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def spki_sha256(cert: x509.Certificate) -> str:
    """Base64 SHA-256 of the public key (what Chromium's trust-this-key switch takes)."""
    return base64.b64encode(hashlib.sha256(_spki(cert.public_key())).digest()).decode("ascii")
