"""CSV cells a spreadsheet will not run as formulas (OWASP, *CSV Injection*), reversibly.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula, so a note such as ``=cmd|' /C calc'!A0`` in an export would run when an
auditor opens it. Every CSV the product writes goes through :func:`writer`, which prefixes such a
cell with one single quote ``'``, as OWASP advises. A cell that already starts with ``'`` gets one
too, so that the rule is exact and can be undone: **a cell that starts with ``'`` had one ``'``
added; remove that first character and you have the value as stored** (:func:`original`). Every
other cell is written as it is. The audit export's JSON Lines form is never neutralised.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

#: The first characters OWASP lists as starting a formula, and the quote that neutralises them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_NEUTRALISED = (*FORMULA_STARTS, QUOTE)


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


def writer(out: _Text) -> SafeWriter:
    """A CSV writer for *out* that neutralises formula cells (see the module docstring)."""
    return SafeWriter(out)
