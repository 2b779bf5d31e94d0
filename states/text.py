"""Thai text is normalised once, at the edge of the data, so equal words compare equal."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


def nfc(value: str) -> str:
    """Return *value* in Unicode NFC: Thai vowels and tone marks typed in another order match."""
    return unicodedata.normalize("NFC", value)


NFCStr = Annotated[str, AfterValidator(nfc)]


class Label(BaseModel):
    """A bilingual label: Thai for officers and provinces, English for partners and MFA."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    th: NFCStr
    en: NFCStr

    def text(self, lang: str) -> str:
        """Render for a language choice of ``th``, ``en`` or ``both``."""
        if lang == "th":
            return self.th
        if lang == "en":
            return self.en
        return f"{self.th} / {self.en}"
