"""Who may reach the view at all, and the headers every response carries.

Two ways in, never both:

* no trusted header (the default): only loopback clients are served, under the name of the
  officer who runs ``sistercity serve``, and only with a loopback ``Host`` (a page on another
  site cannot rebind its name to 127.0.0.1 and read the view through the visitor's browser);
* ``--trusted-header NAME``: the reverse proxy in front authenticates and names the user in that
  header; only requests from the trusted proxy addresses are served, and the header's value
  must be the login of a registered officer.

The TCP peer is what counts: the server does not rewrite it from ``X-Forwarded-For``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: No script at all, styles only from our own stylesheet, nothing framed or framing.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str | None) -> bool:
    """Whether *host* is a loopback address (127.0.0.0/8 or ::1)."""
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without port or IPv6 brackets."""
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


class AccessGuard:
    """Refuse, before any page runs, requests from where the view is not served."""

    def __init__(
        self, app: ASGIApp, trusted_header: str | None, trusted_proxies: Sequence[str]
    ) -> None:
        self.app = app
        self.trusted_header = trusted_header
        self.proxies = frozenset(_address(p) for p in trusted_proxies)

    def refusal(self, scope: Scope) -> str | None:
        """Why this request is not served, or ``None``."""
        client = scope.get("client")
        peer = _address(client[0]) if client else ""
        if self.trusted_header:
            if peer not in self.proxies:
                return "only the trusted reverse proxy may reach this server"
            return None
        if not is_loopback(peer):
            return "served to this computer only (start with --trusted-header behind a proxy)"
        host = ""
        for key, value in scope.get("headers", ()):
            if key == b"host":
                host = value.decode("latin-1")
        if host_name(host).lower() not in LOOPBACK_NAMES:
            return "open this view as http://127.0.0.1 or http://localhost"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reason = self.refusal(scope)
        if reason is None:
            await self.app(scope, receive, send)
            return
        body = f"403 Forbidden: {reason}\n".encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Add the security headers to every response; pages are never stored by caches."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                headers.extend(HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
