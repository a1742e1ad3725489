"""Request size cap and security headers, as plain ASGI middleware.

Request bodies over the size cap are refused with 413 before they are read
(``Content-Length``) or as soon as the cap is passed (streamed bodies). An error that
escapes the app becomes a 500 answered here, inside the middleware, so it too carries
the security headers and the connection stays usable; the traceback goes to the log only.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class TooLarge(Exception):
    pass


SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                                 b"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
#: /docs runs Swagger UI: its own scripts (no inline script) and a fetch of /openapi.json, nothing from elsewhere
DOCS_CSP = (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                        b"img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'")


class GuardMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413 (early when Content-Length says so), answer escaped
    errors with 500, and add the security headers to every response."""

    def __init__(self, app, *, max_bytes: int, too_large, server_error) -> None:  # noqa: ANN001
        self.app = app
        self.max_bytes = max_bytes
        self.too_large = too_large  # (path) -> Response
        self.server_error = server_error  # (path) -> Response

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = SECURITY_HEADERS
        if scope.get("path") == "/docs":
            headers = [DOCS_CSP, *SECURITY_HEADERS[1:]]

        async def send_with_headers(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.max_bytes:
            await self.too_large(scope["path"])(scope, receive, send_with_headers)
            return
        received = 0
        exceeded = False
        started = False

        async def limited_receive():  # noqa: ANN202
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise TooLarge
            return message

        async def guarded_send(message) -> None:  # noqa: ANN001
            nonlocal started
            if exceeded:  # the app turned the aborted read into some error; answer 413 instead
                if not started:
                    started = True
                    await self.too_large(scope["path"])(scope, receive, send_with_headers)
                return
            if message["type"] == "http.response.start":
                started = True
            await send_with_headers(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except TooLarge:
            if not started:
                await self.too_large(scope["path"])(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # half a response is out: only closing the connection is left
                raise
            started = True
            await self.server_error(scope["path"])(scope, receive, send_with_headers)
