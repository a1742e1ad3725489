"""The one error type the web app raises: an HTTP status with a Danish message for pages and an English one for the API."""

from __future__ import annotations

from collections.abc import Sequence


class WebError(Exception):
    """An error shown to the user: HTTP status, a Danish message for pages, an English one for the API."""

    def __init__(self, status: int, message: str, *, message_en: str | None = None, hint: str | None = None,
                 suggestions: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message_en or message)
        self.status = status
        self.message = message
        self.message_en = message_en or message
        self.hint = hint
        self.suggestions = list(suggestions)  # (label, url)

