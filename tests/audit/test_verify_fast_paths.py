"""The verifier's fast checks decide exactly as the obvious ones they replace.

``audit verify`` reads a million records, so it checks a record's text columns in one go (joined
by a newline, which composes with nothing) and an NFC fields text by re-encoding it with the
plain encoder; ``workflow.integrity.canonical_json`` normalises every string first. Here both
ways judge the same texts, including non-NFC text, escapes and combining marks (hypothesis found
that an escape ``\\n`` before a combining mark makes the text non-NFC with every string NFC).
"""

from __future__ import annotations

import json
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from store.verify import COLUMNS, RECORDS_SQL, canonical_fields
from workflow.integrity import canonical_json

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# Thai, Latin with combining marks, Hangul jamo: the scripts where normalisation changes text.
_ALPHABET = st.sampled_from(
    ["a", "e", "\u0301", "\u0308", "é", "ก", "\u0e31", "\u0e48", "\u1100", "\u1161", "\u11a8",
     "가", "\u212b", '"', "\\", "\n", " "]
)  # fmt: skip
_TEXT = st.text(_ALPHABET, max_size=6)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)


def fast_canonical(text: str) -> bool:
    return canonical_fields(text, json.loads(text))


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_TEXT, _VALUES, max_size=4))
def test_the_fast_canonical_check_agrees_with_canonical_json(fields: dict[str, object]) -> None:
    for text in (_CANONICAL.encode(fields), canonical_json(fields).decode("utf-8")):
        assert fast_canonical(text) == (canonical_json(json.loads(text)).decode() == text)


@settings(max_examples=400, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=10))
def test_joined_columns_are_nfc_exactly_when_each_is(columns: list[str]) -> None:
    joined = "\n".join(columns)
    assert unicodedata.is_normalized("NFC", joined) == all(
        unicodedata.is_normalized("NFC", c) for c in columns
    )


def test_the_records_query_reads_the_columns_in_order() -> None:
    listed = RECORDS_SQL.split("SELECT ", 1)[1].split(" FROM ", 1)[0]
    assert tuple(c.strip().strip('"') for c in listed.split(",")) == COLUMNS
