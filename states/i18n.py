"""Every message of the product in Thai and English, from one gettext catalogue.

The message ids are the English texts, with ``{name}`` placeholders; the Thai catalogue is
``states/locale/th/LC_MESSAGES/sistercity.po`` (compiled to ``.mo`` beside it, both shipped).
Babel extracts and compiles (``pybabel extract -F babel.cfg``, ``pybabel compile``); at run time
only the standard library's ``gettext`` reads the ``.mo``, so that ``--help`` stays cheap.

Domain labels (states, steps, roles, fields) are not here: they come from the definitions'
``Label`` (``th``/``en``), and provinces from ``states.reference``.

A library error carries its message id and named parameters (``workflow.errors``); the CLI and
the web view render it in the chosen language (``render``). Mark a literal for extraction with
``N_`` where it is defined and translate it where it is shown.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, Literal

DOMAIN = "sistercity"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: The language of messages, help and output when no ``--lang`` is given.
LANG_ENV = "SISTERCITY_LANG"
Lang = Literal["th", "en", "both"]
LANGS: tuple[Lang, ...] = ("th", "en", "both")
DEFAULT_LANG: Lang = "en"


class Text(str):
    """A parameter value that is itself a message id: translated with the message it fills, and
    filled from the same parameters (``Text(N_("the copy of {path}"))`` with ``path=…``)."""

    __slots__ = ()


class Message(str):
    """A message to show later, in the language chosen then: the English text (so it compares,
    logs and serialises as before) that keeps its message id and parameters. A problem among
    several (``workflow.errors.MissingFields``), a verify finding, or a parameter that is a whole
    sentence; rendered in the language of the message it fills, or by ``render``.

    ``Message(N_("record #{seq} is missing"), seq=7)`` is the string ``"record #7 is missing"``.
    """

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, /, **params: Any) -> Message:
        self = super().__new__(cls, _fill(msgid, params))
        self.msgid = msgid
        self.params = params
        return self


class Joined(str):
    """Messages joined by *sep* (``"; "``), each rendered in the language of the whole."""

    items: tuple[str, ...]
    sep: str

    def __new__(cls, items: Iterable[str], sep: str = "; ") -> Joined:
        listed = tuple(items)
        self = super().__new__(cls, sep.join(listed))
        self.items = listed
        self.sep = sep
        return self


class Bilingual(str):
    """A label of the definitions (a field's, a state's): its English, and its Thai in Thai."""

    th: str

    def __new__(cls, en: str, th: str) -> Bilingual:
        self = super().__new__(cls, en)
        self.th = th
        return self


def N_(msgid: str) -> str:  # the conventional name of gettext's no-op marker
    """Mark *msgid* for extraction; it is translated where it is shown."""
    return msgid


@cache
def _thai() -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=["th"], fallback=True)


def thai(msgid: str) -> str:
    """The Thai text of *msgid* (the English itself when the catalogue lacks it)."""
    return _thai().gettext(msgid)


#: The language a command chose (``--lang``), until the next command resets it.
_CHOSEN: list[str | None] = [None]


def set_lang(lang: str | None) -> None:
    """Make *lang* this command's language (``None``: back to ``SISTERCITY_LANG``)."""
    _CHOSEN[0] = lang


def chosen_lang(lang: str | None = None) -> Lang:
    """*lang* if given, else the command's ``--lang``, else ``SISTERCITY_LANG``, else English."""
    value = lang or _CHOSEN[0] or os.environ.get(LANG_ENV) or DEFAULT_LANG
    return value if value in LANGS else DEFAULT_LANG


def _in(value: Any, lang: str, plain: dict[str, Any]) -> Any:
    if isinstance(value, Joined):
        return value.sep.join(str(_in(item, lang, plain)) for item in value.items)
    if isinstance(value, Message):
        return _fill(thai(value.msgid) if lang == "th" else value.msgid, value.params, lang)
    if isinstance(value, Bilingual):
        return value.th if lang == "th" else str(value)
    if isinstance(value, Text):
        return _fill(thai(value) if lang == "th" else str(value), plain, lang)
    return value


_SPECIAL = (Joined, Message, Bilingual, Text)


def _fill(text: str, params: dict[str, Any], lang: str = "en") -> str:
    if not params:
        return text
    if any(isinstance(v, _SPECIAL) for v in params.values()):
        plain = {k: v for k, v in params.items() if not isinstance(v, _SPECIAL)}
        params = {k: _in(v, lang, plain) for k, v in params.items()}
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def english(msgid: str, /, **params: Any) -> str:
    """*msgid* in English with its placeholders filled (what ``str()`` of an error says)."""
    return _fill(msgid, params)


def tr(msgid: str, lang: str | None = None, /, **params: Any) -> str:
    """*msgid* in *lang* (``th``, ``en``, or ``both``: Thai, then English), placeholders filled."""
    chosen = chosen_lang(lang)
    english = _fill(msgid, params)
    if chosen == "en":
        return english
    translated = _fill(thai(msgid), params, "th")
    if chosen == "th" or translated == english:
        return translated
    return f"{translated} / {english}"


def render(error: BaseException | str, lang: str | None = None) -> str:
    """An error (or a ``Message``) in *lang*: its message id and parameters when it has them
    (``workflow.errors``), else its text as raised. Always one line."""
    msgid = getattr(error, "msgid", None)
    params = getattr(error, "params", None)
    if isinstance(msgid, str):
        text = tr(msgid, lang, **(params if isinstance(params, dict) else {}))
    else:
        text = str(error)
    return " ".join(text.split("\n"))
