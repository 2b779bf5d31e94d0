"""Query parameters read strictly: anything unreadable is a ``BadRequest`` with one line.

Forms submit every field, so an empty value means "no filter"; an unknown parameter, a repeated
one or a value that does not parse is refused rather than ignored, so a mistyped link never
silently shows the wrong list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import Any

from starlette.datastructures import QueryParams

from states.i18n import N_, render
from web.i18n import LANGS, Lang
from web.queries import resolve_province
from workflow.fields import parse_date

MAX_LENGTH = 200


class Refusal(Exception):
    """What the view refuses to show, raised with a message id and named parameters, shown in
    the page's language (``states.i18n.render``)."""

    def __init__(self, msgid: str = "", /, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(msgid.format(**params) if params else msgid)


class BadRequest(Refusal):
    """A request the view cannot read; the message is one line for the reader."""


class Params:
    """The query string of one request, checked against the names a page accepts."""

    def __init__(self, query: QueryParams, allowed: Iterable[str]) -> None:
        names = {"lang", *allowed}
        for key in query:
            if key not in names:
                raise BadRequest(N_("unknown parameter '{name}'"), name=key[:40])
            values = query.getlist(key)
            if len(values) > 1:
                raise BadRequest(
                    N_("parameter '{name}' given {count} times"), name=key, count=len(values)
                )
            if len(values[0]) > MAX_LENGTH:
                raise BadRequest(
                    N_("parameter '{name}' is longer than {limit} characters"),
                    name=key,
                    limit=MAX_LENGTH,
                )
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
        raise BadRequest(N_("lang '{value}': use th or en"), value=value[:20])

    def integer(self, name: str, low: int, high: int) -> int | None:
        """A whole number between *low* and *high*."""
        value = self.text(name)
        if value is None:
            return None
        if not value.isdecimal() or not low <= int(value) <= high:
            raise BadRequest(
                N_("{name} '{value}': expected a number from {low} to {high}"),
                name=name,
                value=value[:20],
                low=low,
                high=high,
            )
        return int(value)

    def fiscal_year(self, name: str) -> int | None:
        """A Thai fiscal year in the Buddhist Era (C.E. years are a common slip)."""
        value = self.text(name)
        if value is not None and value.isdecimal() and 1900 <= int(value) < 2400:
            raise BadRequest(
                N_("{name} '{value}': give the Buddhist Era year, e.g. {year}"),
                name=name,
                value=value,
                year=int(value) + 543,
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
            raise BadRequest(
                N_("{name} '{value}': {reason}"), name=name, value=value[:20], reason=render(exc)
            ) from None

    def flag(self, name: str) -> bool:
        """A checkbox: absent, empty or ``0`` is off; ``1``, ``on``, ``yes`` or ``true`` is on."""
        value = (self.text(name) or "").lower()
        if value in ("", "0", "off", "no", "false"):
            return False
        if value in ("1", "on", "yes", "true"):
            return True
        raise BadRequest(N_("{name} '{value}': expected 1 or 0"), name=name, value=value[:20])

    def choice(self, name: str, choices: Collection[str]) -> str | None:
        """One of *choices*."""
        value = self.text(name)
        if value is not None and value not in choices:
            raise BadRequest(
                N_("{name} '{value}' is not one of the known values"), name=name, value=value[:40]
            )
        return value

    def province(self, name: str = "province") -> str | None:
        """A province by ISO code, Thai or English name, or common alias."""
        value = self.text(name)
        if value is None:
            return None
        code = resolve_province(value)
        if code is None:
            raise BadRequest(N_("province '{value}' is not known"), value=value[:40])
        return code
