"""The shop's local CA and the LAN server certificate (services/tls.py), on a real data dir."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import ssl
import stat
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from posapp import winfs
from posapp.services import tls

NOW = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)
NAMES = ("127.0.0.1", "127.0.0.2", "localhost", "till.shop.test")


def at(moment: dt.datetime) -> tls.Clock:
    return lambda: moment


def chain(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def sans(cert: x509.Certificate) -> set[str]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} | set(
        san.get_values_for_type(x509.DNSName)
    )


def test_the_ca_is_named_after_the_shop_lives_ten_years_and_signs_only_certificates(
    tmp_path: Path,
) -> None:
    cert, _key = tls.ensure_ca(tmp_path, "Sharma  Kirana\nStores", at(NOW))
    name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert name == "TillBook local CA — Sharma Kirana Stores"
    assert cert.issuer == cert.subject
    assert cert.not_valid_after_utc - NOW == dt.timedelta(days=3650)
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    # Made once: the devices trust this one, so a second start keeps it.
    again, _ = tls.ensure_ca(tmp_path, "Another name", at(NOW + dt.timedelta(days=400)))
    assert again == cert


def test_a_long_shop_name_still_makes_a_valid_common_name(tmp_path: Path) -> None:
    cert, _ = tls.ensure_ca(tmp_path, "Ш" * 200, at(NOW))
    name = str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
    assert name.startswith("TillBook local CA — ШШ")
    assert tls.CN_MAX - 1 <= len(name.encode()) <= tls.CN_MAX  # no character cut in half


def test_the_server_certificate_covers_the_names_for_397_days_as_browsers_require(
    tmp_path: Path,
) -> None:
    material = tls.ensure_server_cert(tmp_path, "Shop", NAMES, at(NOW))
    assert material.renewed and material.names == tuple(sorted(NAMES))
    leaf, ca = chain(material.cert_path)
    assert sans(leaf) == set(NAMES)
    assert (
        leaf.not_valid_after_utc - NOW
        == dt.timedelta(days=tls.SERVER_DAYS)
        <= dt.timedelta(days=397)
    )
    assert leaf.not_valid_before_utc <= NOW
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    leaf.verify_directly_issued_by(ca)
    assert ca == tls.ca_certificate(tmp_path)
    # IP addresses are IP SANs (browsers never match an address against a DNS name).
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.2") in san.get_values_for_type(x509.IPAddress)


def test_a_tls_client_that_trusts_the_ca_verifies_the_server(tmp_path: Path) -> None:
    material = tls.ensure_server_cert(tmp_path, "Shop", NAMES, at(dt.datetime.now(dt.UTC)))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(material.cert_path, material.key_path)
    client = ssl.create_default_context(cafile=str(material.ca_path))
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    back_in, back_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    c = client.wrap_bio(incoming, outgoing, server_hostname="till.shop.test")
    s = server.wrap_bio(back_in, back_out, server_side=True)
    for _ in range(10):  # shake hands in memory: no socket needed to prove the chain
        for side in (c, s):
            with contextlib.suppress(ssl.SSLWantReadError):
                side.do_handshake()
        back_in.write(outgoing.read())
        incoming.write(back_out.read())
    assert c.version() in ("TLSv1.2", "TLSv1.3")
    assert c.getpeercert()["subjectAltName"]


def test_it_is_kept_until_renewal_is_due(tmp_path: Path) -> None:
    first = tls.ensure_server_cert(tmp_path, "Shop", NAMES, at(NOW))
    pem = first.cert_path.read_bytes()
    later = NOW + dt.timedelta(days=tls.SERVER_DAYS - tls.RENEW_DAYS - 1)
    kept = tls.ensure_server_cert(tmp_path, "Shop", NAMES, at(later))
    assert not kept.renewed and first.cert_path.read_bytes() == pem
    due = NOW + dt.timedelta(days=tls.SERVER_DAYS - tls.RENEW_DAYS + 1)
    renewed = tls.ensure_server_cert(tmp_path, "Shop", NAMES, at(due))
    assert renewed.renewed
    assert chain(renewed.cert_path)[0].not_valid_after_utc == due + dt.timedelta(days=397)


def test_a_new_lan_address_or_host_name_makes_a_new_certificate_from_the_same_ca(
    tmp_path: Path,
) -> None:
    first = tls.ensure_server_cert(tmp_path, "Shop", NAMES, at(NOW))
    ca_before = tls.ca_certificate(tmp_path)
    moved = (*NAMES[:1], "192.168.1.40", *NAMES[2:])  # the router gave a new address
    second = tls.ensure_server_cert(tmp_path, "Shop", moved, at(NOW + dt.timedelta(hours=1)))
    assert second.renewed
    assert sans(chain(second.cert_path)[0]) == set(moved)
    assert tls.ca_certificate(tmp_path) == ca_before  # the devices keep trusting it
    third = tls.ensure_server_cert(tmp_path, "Shop", moved, at(NOW + dt.timedelta(hours=2)))
    assert not third.renewed
    assert first.cert_path == second.cert_path


def test_a_ca_made_anew_makes_the_server_certificate_anew(tmp_path: Path) -> None:
    tls.ensure_server_cert(tmp_path, "Shop", NAMES, at(NOW))
    (tmp_path / "tls" / "ca.key").unlink()  # a damaged or half-restored folder
    again = tls.ensure_server_cert(tmp_path, "Shop", NAMES, at(NOW + dt.timedelta(hours=1)))
    assert again.renewed
    leaf, ca = chain(again.cert_path)
    leaf.verify_directly_issued_by(ca)
    assert ca == tls.ca_certificate(tmp_path)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_the_folder_and_keys_are_private_to_this_account(tmp_path: Path) -> None:
    tls.ensure_server_cert(tmp_path, "Shop", NAMES, at(NOW))
    folder = tmp_path / "tls"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("ca.key", "server.key", "ca.crt", "server.crt"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    assert sorted(p.name for p in folder.iterdir()) == [
        "ca.crt",
        "ca.key",
        "server.crt",
        "server.key",
    ]  # no .partial file left behind


def test_the_files_are_opened_binary_on_windows_and_never_over_an_existing_one() -> None:
    windows = tls.open_flags("win32")
    assert windows & tls.O_BINARY  # text mode would turn DER's 0x0A bytes into CR LF
    assert windows & os.O_EXCL and windows & os.O_CREAT
    assert not tls.open_flags("linux") & tls.O_BINARY


def test_a_write_that_fails_leaves_the_old_file_and_no_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "server.key"
    target.write_bytes(b"old")

    def held_open(src: object, dst: object) -> None:
        raise winfs.FileInUse(f"{dst} is open in another program")

    monkeypatch.setattr(tls, "replace_with_retry", held_open)
    with pytest.raises(winfs.FileInUse):
        tls.write_private(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["server.key"]


def test_the_rename_rides_out_a_brief_windows_sharing_violation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "server.crt"
    target.write_bytes(b"old")
    real_replace = os.replace
    refusals = [PermissionError(13, "in use")]  # antivirus scanning the old file

    def replace(src: object, dst: object) -> None:
        if refusals:
            raise refusals.pop()
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(winfs.os, "replace", replace)
    monkeypatch.setattr(winfs.time, "sleep", lambda _s: None)
    tls.write_private(target, b"new")
    assert target.read_bytes() == b"new"


def test_server_names_take_addresses_allowed_hosts_and_this_computer() -> None:
    names = tls.server_names(
        ["192.168.1.5", "[fe80::1]"], ["Till.Shop.Test:8443", "10.0.0.9"], hostname="Shop-PC"
    )
    assert names == tuple(
        sorted(
            {
                "127.0.0.1",
                "localhost",
                "192.168.1.5",
                "fe80::1",
                "till.shop.test",
                "10.0.0.9",
                "shop-pc",
                "shop-pc.local",
            }
        )
    )
    # A Windows computer name a browser could never ask for is left out.
    assert "my_pc" not in tls.server_names([], [], hostname="MY_PC")


def test_the_ca_is_shown_and_served_without_its_key(tmp_path: Path) -> None:
    assert tls.ca_info(tmp_path) is None
    tls.ensure_server_cert(tmp_path, "Shop", NAMES, at(NOW))
    info = tls.ca_info(tmp_path)
    assert info is not None
    cert = x509.load_der_x509_certificate(info.der)
    assert x509.load_pem_x509_certificate(info.pem) == cert
    assert info.common_name == "TillBook local CA — Shop"
    assert len(info.fingerprint.split(":")) == 32 and len(info.sha1_fingerprint.split(":")) == 20
    assert b"PRIVATE" not in info.pem


def test_the_tls_folder_is_made_private_with_icacls_on_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from posapp import datadir

    ran: list[list[str]] = []

    def run(args: list[str]) -> str:
        ran.append(list(args))
        return '"shop-pc\\owner","S-1-5-21-1-2-3-1001"\n' if args[0] == "whoami" else ""

    real = datadir.restrict_to_owner
    monkeypatch.setattr(
        tls,
        "restrict_to_owner",
        lambda folder: real(folder, platform="win32", run=run),
    )
    folder = tls.tls_dir(tmp_path)
    assert folder == tmp_path / "tls" and folder.is_dir()
    assert ran[-1] == datadir.icacls_arguments(str(folder), "S-1-5-21-1-2-3-1001")
    ran.clear()
    tls.tls_dir(tmp_path)  # an existing folder keeps what the owner set
    assert ran == []
