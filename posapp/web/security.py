"""Request and response guards for every page and API call: the Host check and the headers.

The Host check refuses names the shop did not choose (DNS rebinding, see services.hosts). The
headers keep pages out of other sites' frames, keep scripts to the app's own files, and behind
an HTTPS proxy make the session cookie Secure and send HSTS.
"""

from __future__ import annotations

import os
import time

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response

from posapp.errors import DomainError
from posapp.i18n import _
from posapp.services import hosts, network
from posapp.web import shop_settings

# Styles: the templates still carry style="" attributes and the printable receipts a <style>
# block, so inline styles stay allowed; scripts never are (no inline script, no on* handlers).
CSP = "; ".join(
    [
        "default-src 'self'",
        # 'unsafe-eval': pywebview's js_api bridge (webview/js/api.js) builds each desktop
        # function with `new Function`; inline script stays forbidden. 'wasm-unsafe-eval':
        # the till's camera compiles the vendored barcode reader (WebAssembly).
        "script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",  # the shop's logo is shown as a data: URI
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000"
LAN_HTTPS_MARK = "tillbook.lan_https"  # set in the environ by the LAN's HTTPS listener
LAN_HTTPS_COOKIE_PREFIX = "__Host-"


class BadHost(DomainError):
    """The Host header names a server TillBook is not (400)."""

    status = 400
    code = "bad_host"


class ProxyAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, marked Secure whenever the request came over HTTPS (a proxy's)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured, or when this request is HTTPS (ProxyFix read the proxy)."""
        return bool(super().get_cookie_secure(app) or request.is_secure)

    def get_cookie_name(self, app: Flask) -> str:
        """`__Host-<name>` on the LAN's HTTPS port, the configured name elsewhere.

        A device may use both the http and the https address of one computer. Browsers let a
        plain-http page neither read nor overwrite a Secure cookie of the same name and host,
        so a sign-in over http after one over https would lose its session (and its CSRF
        token). Two names keep the two apart; `__Host-` also pins the cookie to this host.
        """
        name = super().get_cookie_name(app)
        return f"{LAN_HTTPS_COOKIE_PREFIX}{name}" if request.environ.get(LAN_HTTPS_MARK) else name


LAN_ADDRESSES_TTL = 60  # seconds; an address the router gives out changes far less often
LAN_CACHE_KEY = "tillbook_lan_addresses"


def _lan_addresses(app: Flask) -> list[str]:
    """This machine's LAN addresses, asked of the OS at most once a minute.

    Every request from another till carries a LAN address as its Host, and asking the OS
    (UDP probes, a host-name lookup that can wait on DNS on Windows) on each one would put
    that on the till's hot path.
    """
    expires, addresses = app.extensions.get(LAN_CACHE_KEY, (float("-inf"), []))
    now = time.monotonic()
    if now >= expires:
        addresses = network.lan_addresses()
        app.extensions[LAN_CACHE_KEY] = (now + LAN_ADDRESSES_TTL, addresses)
    return addresses


def _extra_hosts(app: Flask) -> list[str]:
    """Names besides loopback: settings, the environment, the LAN addresses while shared."""
    names = list(app.config.get("ALLOWED_HOSTS", ()))
    names += hosts.parse_names(shop_settings().allowed_hosts or "")
    if app.config.get("LAN_URL"):
        names += _lan_addresses(app)
    return names


def _forwarded_by_proxy() -> bool:
    """Tell whether a trusted proxy set this request's host (X-Forwarded-Host, via ProxyFix)."""
    # Only with TILLBOOK_PROXY_HOPS set (a hosted server behind its proxy), whose own
    # virtual hosts decide which names reach the app; on the shop laptop the header is ignored.
    return bool(current_app.config.get("PROXY_HOPS")) and bool(
        request.headers.get("X-Forwarded-Host")
    )


def install(app: Flask) -> None:
    """Install the Host check and the security headers on the app."""
    app.session_interface = ProxyAwareSessionInterface()
    app.config.setdefault("ALLOWED_HOSTS", hosts.env_names(os.environ.get(hosts.ALLOWED_HOSTS_ENV)))

    @app.before_request
    def check_host() -> None:
        host = request.host
        if hosts.allowed(host, app.config["ALLOWED_HOSTS"]) or _forwarded_by_proxy():
            return
        if hosts.allowed(host, _extra_hosts(app)):
            return
        raise BadHost(
            _(
                "This address is not one TillBook answers to. Open it as 127.0.0.1 or "
                "localhost, or add the name in Settings (allowed host names)."
            )
        )

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", CSP)
        if request.is_secure and app.config.get("PROXY_HOPS"):
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
