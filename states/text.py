"""Thai text is normalised once, at the edge of the data, so equal words compare equal.

Nothing here imports pydantic: the definitions are plain frozen dataclasses, and the markers below
are read by pydantic only when a file is validated (``states.loader``), so that a command using an
already validated definition never pays for building validators.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

#: How pydantic validates the dataclasses of the definitions: an unknown key is an error.
STRICT_CONFIG: Any = {"extra": "forbid"}


def nfc(value: str) -> str:
    """Return *value* in Unicode NFC: Thai vowels and tone marks typed in another order match."""
    return unicodedata.normalize("NFC", value)


class _After:
    """Annotated marker: run *function* on the value once pydantic has validated its type (what
    ``pydantic.AfterValidator`` does, without importing pydantic to declare it)."""

    def __init__(self, function: Any) -> None:
        self.function = function

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.function, handler(source))


class Constraint:
    """Annotated marker: core-schema constraints of a plain type (``pattern`` of a string, ``ge``
    and ``le`` of an integer, ``min_length`` of a tuple), applied when pydantic validates."""

    def __init__(self, **constraints: Any) -> None:
        self.constraints = constraints

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = dict(handler(source))
        schema.update(self.constraints)
        return schema


NFCStr = Annotated[str, _After(nfc)]


@dataclass(frozen=True)
class Label:
    """A bilingual label: Thai for officers and provinces, English for partners and MFA."""

    __pydantic_config__ = STRICT_CONFIG

    th: NFCStr
    en: NFCStr

    def text(self, lang: str) -> str:
        """Render for a language choice of ``th``, ``en`` or ``both``."""
        if lang == "th":
            return self.th
        if lang == "en":
            return self.en
        return f"{self.th} / {self.en}"

    def as_dict(self) -> dict[str, str]:
        """The label as plain data (JSON output)."""
        return {"th": self.th, "en": self.en}

    def model_dump(self) -> dict[str, str]:
        """``as_dict``, by the name it had when labels were pydantic models."""
        return self.as_dict()
