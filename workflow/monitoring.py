"""The yearly monitoring report: each province reports, per fiscal year, on its relations.

A report is a case of the procedure whose definition says ``subject = "yearly_report"`` (no id
is named here), one per province and fiscal year, with the reference ``RP-<FY>-<province>``
(``RP-2568-TH-50``): its identity is the province and the year.
"""

from __future__ import annotations

import re

from states import LoadedDefinition, load_procedure, newest_definitions
from workflow.errors import InvalidInput

PREFIX = "RP"
_REFERENCE = re.compile(rf"^{PREFIX}-(\d{{4}})-(TH-[0-9A-Z]+)$")


def report_reference(fiscal_year: int, province: str) -> str:
    """The reference of a province's report for a fiscal year."""
    return f"{PREFIX}-{fiscal_year}-{province}"


def parse_report_reference(reference: str) -> tuple[int, str] | None:
    """(fiscal year, province) of a report's reference, or ``None`` for another case."""
    m = _REFERENCE.match(reference.strip().upper())
    return (int(m.group(1)), m.group(2)) if m else None


def report_procedures() -> list[str]:
    """The procedures whose cases are yearly reports."""
    return [
        x.definition.procedure
        for x in newest_definitions()
        if x.definition.subject == "yearly_report"
    ]


def report_procedure(day_version: int | None = None) -> LoadedDefinition:
    """The (newest version of the) one procedure whose cases are yearly reports."""
    found = report_procedures()
    if len(found) != 1:
        raise InvalidInput(
            'no procedure declares subject = "yearly_report"'
            if not found
            else f"several procedures are yearly reports: {', '.join(found)}"
        )
    return load_procedure(found[0], day_version)
