"""How long a case has been in its step, against the days its procedure expects.

Deadlines are reported, never enforced: ``case show`` says how long a case has waited, and the
sweep and the indicators list the overdue ones (``workflow.followup``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workflow.catalog import engine_for_case
from workflow.model import Case
from workflow.thaidate import local_date


@dataclass(frozen=True)
class Overdue:
    """An open case longer in its state than the procedure expects (reported, never blocked)."""

    reference: str
    province: str
    state: str
    since: dt.date
    days: int
    expected_days: int


def time_in_step(case: Case, as_of: dt.date) -> Overdue | None:
    """Days the case has spent in its step against the step's expected days (``None`` when the
    step has no deadline). Deadlines are reported, never enforced."""
    spec = engine_for_case(case).definition.state(case.state)
    if spec.final or spec.expected_days is None:
        return None
    since = local_date(case.state_since)
    days = (as_of - since).days
    return Overdue(case.reference, case.province, case.state, since, days, spec.expected_days)
