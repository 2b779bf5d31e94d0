"""A batch of rows written at once is exactly the text of its rows written one by one.

``SafeWriter.writerows`` hands a batch to ``csv`` whole when it proves that the guard would leave
every cell as it is (``csvsafe.unchanged``), and neutralises row by row otherwise. Here both ways
write the same rows, byte for byte: hostile text (formula starts, the quote, CR, newlines, Thai,
control characters), numbers either side of zero, None, bytes, and columns shaped like the
audit log's (hexadecimal hashes straddle ``=`` and ``@``; integers; fixed-format times; JSON).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from workflow import csvsafe

#: Text a spreadsheet or a CSV reader treats specially, and text that merely looks like it.
HOSTILE = (
    "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1,1)", "\t=1+1", "\r=1+1", "'quoted", "''",
    "a\rb", "a\r\nb", "line\nbreak", '"', 'say "hi"', "a,b", " =1", "ก=1", "สวัสดี", "\x07\x1f",
    "\u2028", "", "0=", "9@", "A", "{\"k\":\"=v\"}", "2024-01-01T00:00:00.000000Z", "%s",
)  # fmt: skip
_HEX = st.text("0123456789abcdef", min_size=1, max_size=8)
_TEXT = st.sampled_from(HOSTILE) | st.text(max_size=6)
_NUMBER = (
    st.integers(-3, 3)
    | st.integers()
    | st.floats(allow_nan=True)
    | st.sampled_from([0.0, -0.0, Decimal("-0"), Decimal("1.5"), Decimal("-1")])
)
_ANY = st.none() | st.booleans() | _NUMBER | _TEXT | st.binary(max_size=2)
#: How one column of a batch is filled: the audit log's shapes, clean and not.
_COLUMNS = st.sampled_from(
    [
        _HEX,
        st.integers(1, 10**6),
        st.none() | st.integers(1, 99),
        st.sampled_from(["2024-05-01T03:00:00.000000Z", "2567-01-01T00:00:00Z"]),
        st.sampled_from(['{"a":1}', "{}", '{"note":"=x"}']),
        st.none() | st.sampled_from(["activity", "SC-2567-00001", "สมชาย", ""]),
        st.just(""),
        st.none(),
        _TEXT,
        _NUMBER,
        _ANY,
    ]
)


def one_by_one(rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO(newline="")
    writer = csvsafe.writer(out)
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def at_once(rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO(newline="")
    csvsafe.writer(out).writerows(rows)
    return out.getvalue()


@st.composite
def batches(draw: st.DrawFn) -> list[tuple[object, ...]]:
    """Rows of one width, each column drawn from one shape."""
    shapes = draw(st.lists(_COLUMNS, min_size=1, max_size=6))
    count = draw(st.integers(0, 8))
    return [tuple(draw(shape) for shape in shapes) for _ in range(count)]


@settings(max_examples=1000, deadline=None)
@given(batches())
def test_a_batch_is_written_as_its_rows_one_by_one(rows: list[tuple[object, ...]]) -> None:
    assert at_once(rows) == one_by_one(rows)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_ANY, max_size=4), max_size=5))
def test_rows_of_any_width_and_kind_too(rows: list[list[object]]) -> None:
    assert at_once(rows) == one_by_one(rows)


def test_a_clean_batch_is_proved_clean() -> None:
    """The audit log's usual shapes go to ``csv`` whole (the point of batching)."""
    rows = [
        (1, "70abdf04-d98f", 1, "activity", "SC-2567-00001", 3, None, "", "ประชุม", "=" * 0),
        (2, "70abdf04-d98f", 1, "officer", None, None, "add_officer", "", "", ""),
    ]
    hashes = [(f"{n:064x}", "9" * 64, "a" * 64, "f" * 64) for n in range(50)]
    assert csvsafe.unchanged(rows) and csvsafe.unchanged(hashes) and csvsafe.unchanged([])
    times = [("2024-05-01T03:00:00.000000Z", '{"activity_date":"2024-05-01"}', 1.5)]
    assert csvsafe.unchanged(times)


def test_one_risky_cell_sends_the_batch_through_the_guard() -> None:
    clean = ("a", 1, "b")
    for risky in (("=1", 1, "b"), ("a", -1, "b"), ("a", 1, "x\ry"), ("a", 1, "'q")):
        assert not csvsafe.unchanged([clean, risky, clean])
        assert at_once([clean, risky]) == one_by_one([clean, risky])
    assert not csvsafe.unchanged([("a", -0.0)]) and not csvsafe.unchanged([(b"x",)])
    assert not csvsafe.unchanged([("a",), ("a", "b")])  # rows of different widths
