"""CSV cells a spreadsheet will not run as formulas (OWASP, *CSV Injection*), reversibly.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula, so a note such as ``=cmd|' /C calc'!A0`` in an export would run when an
auditor opens it. Every CSV the product writes goes through :func:`writer`, which prefixes such a
cell with one single quote ``'``, as OWASP advises. A cell that already starts with ``'`` gets one
too, so that the rule is exact and can be undone: **a cell that starts with ``'`` had one ``'``
added; remove that first character and you have the value as stored** (:func:`original`). Every
other cell is written as it is. The audit export's JSON Lines form is never neutralised.

A long export writes its rows in batches (:meth:`SafeWriter.writerows`): a batch in which no cell
needs the quote and no cell holds a carriage return is handed to ``csv`` whole, since the guard
would leave every cell of it as it is; any other batch goes row by row through the guard. That a
batch is clean is proved column by column from the values themselves (the first characters of
a column's text searched at once, the smallest of its numbers), never assumed from the schema's
types or formats: a database edited by hand is exported exactly as the guard writes it.
"""

from __future__ import annotations

import csv
import operator
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

#: The first characters OWASP lists as starting a formula, and the quote that neutralises them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_NEUTRALISED = (*FORMULA_STARTS, QUOTE)
_FIRSTS = "".join(_NEUTRALISED)
_first = operator.itemgetter(0)
_RISKY = re.compile(f"[{re.escape(_FIRSTS)}]")


class _Text(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralise(value: object) -> str:
    """The cell as written: ``None`` is empty, and a risky (or quote-led) text gets a ``'``."""
    text = "" if value is None else str(value)
    return QUOTE + text if text.startswith(_NEUTRALISED) else text


def original(cell: str) -> str:
    """Undo :func:`neutralise` on one cell read back from the CSV."""
    return cell[1:] if cell.startswith(QUOTE) else cell


class SafeWriter:
    """``csv.writer`` whose every cell is neutralised; rows end with ``\\n``.

    A row with a carriage return in any cell is written with every cell quoted: with ``\\n``
    line ends, Python 3.11's ``csv`` leaves a lone CR unquoted and readers split the row there.
    """

    def __init__(self, out: _Text) -> None:
        self._minimal = csv.writer(out, lineterminator="\n")
        self._quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, row: Iterable[object]) -> None:
        cells = [neutralise(value) for value in row]
        quoted = any("\r" in cell for cell in cells)
        (self._quoted if quoted else self._minimal).writerow(cells)

    def writerows(self, rows: Sequence[Sequence[object]]) -> None:
        """The same text as :meth:`writerow` on each row, without a call per cell when the
        batch is clean (see the module docstring)."""
        if unchanged(rows):
            self._minimal.writerows(rows)
            return
        for row in rows:
            self.writerow(row)


def unchanged(rows: Sequence[Sequence[object]]) -> bool:
    """Whether the guard leaves *rows* as they are, so that ``csv`` alone writes the same text:
    rows of one length whose every column is proved clean (``_clean_column``)."""
    try:
        return all(map(_clean_column, zip(*rows, strict=True)))
    except ValueError:  # rows of different lengths
        return False


def _clean_column(values: tuple[Any, ...]) -> bool:
    """Whether no cell of a column needs the quote or holds a carriage return.

    Text: clean when no cell's first character is risky (their string is searched once) and no
    cell holds a carriage return. Numbers: clean when the smallest is above zero (none is written
    with a minus sign). ``None`` is an empty cell. Anything else (bytes, text beside numbers) is
    not proved clean.
    """
    try:
        text = "".join(values)
    except TypeError:  # not all text
        try:
            low = min(values)
        except (TypeError, ArithmeticError):  # None beside values, or values that do not compare
            low = None
        if low is None:
            present = tuple(v for v in values if v is not None)
            return len(present) < len(values) and _clean_column(present)
        return type(low) in (int, float) and low > 0
    if "\r" in text:
        return False
    return not _RISKY.search("".join(map(_first, filter(None, values))))


def writer(out: _Text) -> SafeWriter:
    """A CSV writer for *out* that neutralises formula cells (see the module docstring)."""
    return SafeWriter(out)
