"""Dates follow the case's history: a step's dates are not earlier than those recorded by the
steps before it, and not in the future.

A rule derived from the case's own records, so no released definition changes: every date field
an officer's step records (a step of any kind but ``follow_up``, which records independent
occurrences such as activities, and but the system's) is kept in the case's read model
(``CaseFacts.step_dates``: each field's latest date and the step that recorded it). A later step
may not give a date earlier than any of them, except those its own trigger recorded before (a
repeated step records another occurrence), nor one after today (Bangkok). So a signing dated
before the Cabinet resolution it rests on is refused, naming both fields, dates and steps.

The check runs once the step's fields are valid and its guards hold, before anything is
written: a date out of order is invalid input, like a missing field (no ``denied`` record).
Imports and the sweep are not officers' steps and are not checked; imported dates are not
among the recorded ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from states import ProcedureDefinition, TransitionSpec
from states.i18n import N_, Message
from workflow.errors import DatesOutOfOrder
from workflow.thaidate import date_param, local_date

#: (field, ISO date, trigger of the step that recorded it).
StepDate = tuple[str, str, str]
#: The kind of step whose dates are occurrences of their own (activities), not the case's path.
OCCURRENCES = "follow_up"
#: The refusals' wording, one template each (named placeholders).
IN_FUTURE = N_("{field} {date} is in the future (today is {today})")
BEFORE = N_(
    "{field} {date} of '{step}' is earlier than {other} {other_date} recorded by '{other_step}'"
)


def _date_fields(definition: ProcedureDefinition, fields: Mapping[str, Any]) -> list[str]:
    names = []
    for name, value in fields.items():
        try:
            kind = definition.field(name).type
        except KeyError:
            continue
        if kind == "date" and isinstance(value, str) and len(value) == len("2024-01-01"):
            names.append(name)
    return names


def recorded_dates(
    definition: ProcedureDefinition,
    spec: TransitionSpec | None,
    role: str | None,
    fields: Mapping[str, Any],
    earlier: Sequence[StepDate],
) -> tuple[StepDate, ...]:
    """The case's step dates after a step recorded *fields* (unchanged for an occurrence, a
    system step or a record that is no step of *definition*)."""
    if spec is None or spec.kind == OCCURRENCES or role in definition.system_roles:
        return tuple(earlier)
    names = _date_fields(definition, fields)
    if not names:
        return tuple(earlier)
    kept = {name: (name, date, trigger) for name, date, trigger in earlier}
    for name in names:
        kept[name] = (name, str(fields[name]), spec.trigger)
    return tuple(sorted(kept.values()))


def check_dates(
    definition: ProcedureDefinition,
    spec: TransitionSpec,
    role: str,
    fields: Mapping[str, Any],
    earlier: Sequence[StepDate],
    now: dt.datetime,
) -> None:
    """Refuse a step whose dates are before those the case's earlier steps recorded, or after
    today; every problem is named at once."""
    if role in definition.system_roles:
        return
    today = local_date(now)
    problems: list[str] = []
    for name in _date_fields(definition, fields):
        given = dt.date.fromisoformat(str(fields[name]))
        if given > today:
            problems.append(
                Message(IN_FUTURE, field=name, date=date_param(given), today=date_param(today))
            )
        for other, date, trigger in earlier:
            if trigger != spec.trigger and given < dt.date.fromisoformat(date):
                problems.append(
                    Message(
                        BEFORE, field=name, date=date_param(given), step=spec.trigger, other=other,
                        other_date=date_param(dt.date.fromisoformat(date)), other_step=trigger,
                    )
                )  # fmt: skip
    if problems:
        raise DatesOutOfOrder(problems)
