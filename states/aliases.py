"""Province names as people write them, resolved to ISO 3166-2:TH codes.

Lists kept by provinces and news sources spell provinces in many ways ("Chonburi", "Chon Buri",
"ชลบุรี", "กทม."). Spaces, hyphens, dots and case are ignored first, which already matches most
romanisations to the ISO name ("Phang Nga" = "Phangnga", "Sisaket" = "Si Sa Ket"); the table
below adds the spellings that differ by more than that. A name not resolved here is a reported
import error, never a guess.
"""

from __future__ import annotations

import re
import unicodedata

from states.reference import PROVINCES

#: Common spellings that differ from the ISO English or Thai name by more than spacing.
ALIASES: dict[str, str] = {
    "bangkok metropolis": "TH-10",
    "krung thep": "TH-10",
    "krung thep maha nakhon": "TH-10",
    "กรุงเทพ": "TH-10",
    "กรุงเทพฯ": "TH-10",
    "กทม": "TH-10",
    "ayutthaya": "TH-14",
    "ayuthaya": "TH-14",
    "phra nakhon si ayuthaya": "TH-14",
    "อยุธยา": "TH-14",
    "korat": "TH-30",
    "khorat": "TH-30",
    "โคราช": "TH-30",
    "srisaket": "TH-33",
    "sri sa ket": "TH-33",
    "ubon": "TH-34",
    "udon": "TH-41",
    "sakaew": "TH-27",
    "sa kaew": "TH-27",
    "chantaburi": "TH-22",
    "prachuap": "TH-77",
    "phetburi": "TH-76",
    "petchaburi": "TH-76",
    "phetchaburi": "TH-76",
    "petchabun": "TH-67",
    "patthalung": "TH-93",
    "bungkan": "TH-38",
    "nong bua lamphu": "TH-39",
    "nongbualamphu": "TH-39",
    "หนองบัวลำพู": "TH-39",
    "kampaeng phet": "TH-62",
    "suratthani": "TH-84",
    "nakhon si thammarat": "TH-80",
    "nakorn si thammarat": "TH-80",
    "chiengmai": "TH-50",
    "chiengrai": "TH-57",
}

_SEPARATORS = re.compile(r"[\s\-_.'’]+")


def name_key(text: str) -> str:
    """The comparison form: NFC, casefolded, without spaces, hyphens, dots or apostrophes."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFC", text).casefold())


def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, (thai, english) in PROVINCES.items():
        index[name_key(code)] = code
        index[name_key(thai)] = code
        index[name_key(english)] = code
    for alias, code in ALIASES.items():
        index.setdefault(name_key(alias), code)
    return index


_INDEX = _index()


def resolve_province(text: str) -> str | None:
    """ISO code for a code, an English or Thai name or a known alias; ``None`` if unknown."""
    key = name_key(text)
    if not key:
        return None
    found = _INDEX.get(key)
    if found is None and key.startswith("จังหวัด"):
        found = _INDEX.get(key.removeprefix("จังหวัด"))
    if found is None and key.endswith("province"):
        found = _INDEX.get(key.removesuffix("province"))
    return found
