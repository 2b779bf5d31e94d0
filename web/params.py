"""Query parameters read strictly: anything unreadable is a ``BadRequest`` with one line.

Forms submit every field, so an empty value means "no filter"; an unknown parameter, a repeated
one or a value that does not parse is refused rather than ignored, so a mistyped link never
silently shows the wrong list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable

from starlette.datastructures import QueryParams

from web.i18n import LANGS, Lang
from web.queries import resolve_province
from workflow.fields import parse_date

MAX_LENGTH = 200


class BadRequest(Exception):
    """A request the view cannot read; the message is one line for the reader."""


class Params:
    """The query string of one request, checked against the names a page accepts."""

    def __init__(self, query: QueryParams, allowed: Iterable[str]) -> None:
        names = {"lang", *allowed}
        for key in query:
            if key not in names:
                raise BadRequest(f"unknown parameter '{key[:40]}'")
            values = query.getlist(key)
            if len(values) > 1:
                raise BadRequest(f"parameter '{key}' given {len(values)} times")
            if len(values[0]) > MAX_LENGTH:
                raise BadRequest(f"parameter '{key}' is longer than {MAX_LENGTH} characters")
        self.query = query

    def text(self, name: str) -> str | None:
        """The value, stripped; ``None`` when absent or empty."""
        value = self.query.get(name, "").strip()
        return value or None

    def lang(self) -> Lang:
        """``th`` (the default) or ``en``."""
        value = self.text("lang") or "th"
        for known in LANGS:
            if value == known:
                return known
        raise BadRequest(f"lang '{value[:20]}': use th or en")

    def integer(self, name: str, low: int, high: int) -> int | None:
        """A whole number between *low* and *high*."""
        value = self.text(name)
        if value is None:
            return None
        if not value.isdecimal() or not low <= int(value) <= high:
            raise BadRequest(f"{name} '{value[:20]}': expected a number from {low} to {high}")
        return int(value)

    def fiscal_year(self, name: str) -> int | None:
        """A Thai fiscal year in the Buddhist Era (C.E. years are a common slip)."""
        value = self.text(name)
        if value is not None and value.isdecimal() and 1900 <= int(value) < 2400:
            raise BadRequest(
                f"{name} '{value}': give the Buddhist Era year, e.g. {int(value) + 543}"
            )
        return self.integer(name, 2400, 2800)

    def date(self, name: str) -> dt.date | None:
        """A date as YYYY-MM-DD, in the Buddhist or the Common Era."""
        value = self.text(name)
        if value is None:
            return None
        try:
            return parse_date(value)
        except ValueError as exc:
            raise BadRequest(f"{name} '{value[:20]}': {exc}") from None

    def flag(self, name: str) -> bool:
        """A checkbox: absent, empty or ``0`` is off; ``1``, ``on``, ``yes`` or ``true`` is on."""
        value = (self.text(name) or "").lower()
        if value in ("", "0", "off", "no", "false"):
            return False
        if value in ("1", "on", "yes", "true"):
            return True
        raise BadRequest(f"{name} '{value[:20]}': expected 1 or 0")

    def choice(self, name: str, choices: Collection[str]) -> str | None:
        """One of *choices*."""
        value = self.text(name)
        if value is not None and value not in choices:
            raise BadRequest(f"{name} '{value[:40]}' is not one of the known values")
        return value

    def province(self, name: str = "province") -> str | None:
        """A province by ISO code, Thai or English name, or common alias."""
        value = self.text(name)
        if value is None:
            return None
        code = resolve_province(value)
        if code is None:
            raise BadRequest(f"province '{value[:40]}' is not known")
        return code
