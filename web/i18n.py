"""The web view's own words (their Thai in the one catalogue, ``states.i18n``); domain words
come from the definitions.

States, phases, roles, fields and steps are labelled by the procedure definition (``Label``) and
provinces by ``states.reference``, exactly as the CLI shows them; only the page furniture is
here. Dates are ``workflow.thaidate``'s: Buddhist Era in Thai, ISO in English.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

from states.i18n import N_, tr
from states.reference import PROVINCES
from workflow.thaidate import format_date, format_moment

Lang = Literal["th", "en"]
LANGS: tuple[Lang, ...] = ("th", "en")

WORDS: dict[str, str] = {
    "app": N_("Sister-city tracker"),
    "skip": N_("Skip to content"),
    "nav": N_("Main menu"),
    "dashboard": N_("Dashboard"),
    "cases": N_("Cases"),
    "procedures": N_("Procedure"),
    "audit": N_("Audit"),
    "other_lang": N_("ภาษาไทย"),
    "viewer": N_("Signed in as"),
    "all_provinces": N_("all provinces"),
    "read_only": N_("Read-only view: nothing can be changed"),
    "as_of": N_("As of"),
    "fiscal_year": N_("Fiscal year"),
    "province": N_("Province"),
    "province_hint": N_("Name (Thai or English) or code"),
    "show": N_("Show"),
    "clear": N_("Clear filters"),
    "filters": N_("Filters"),
    "any": N_("any"),
    "state": N_("State"),
    "phase": N_("Phase"),
    "procedure": N_("Procedure"),
    "overdue": N_("Overdue"),
    "overdue_only": N_("Overdue only"),
    "opened_fy": N_("Fiscal year opened"),
    "signed_fy": N_("Fiscal year signed"),
    "reference": N_("Reference"),
    "partner": N_("Partner"),
    "country": N_("Country"),
    "since": N_("Since"),
    "until": N_("Until"),
    "days": N_("days"),
    "found": N_("{n} cases found"),
    "page_of": N_("Page {page} of {pages}"),
    "previous": N_("Previous"),
    "next": N_("Next"),
    "older": N_("Older"),
    "newest": N_("Newest"),
    "pagination": N_("Pagination"),
    "none": N_("none"),
    "yes": N_("yes"),
    "no": N_("no"),
    "indicators": N_("Indicators, fiscal year {fy}"),
    "with_activity": N_("With an activity in the year"),
    "in_force": N_("In force all year"),
    "mechanisms": N_("Provinces with a mechanism"),
    "with_plan": N_("With an action plan"),
    "with_budget": N_("With a budget"),
    "budget": N_("Budget (THB)"),
    "compliance": N_("Documents complete"),
    "active_dormant": N_("Active / dormant now"),
    "trend": N_("Established and provinces with relations"),
    "established": N_("Established"),
    "provinces_with": N_("Provinces with relations"),
    "share_by_province": N_("Share with an activity, per province"),
    "share": N_("Share"),
    "time_in_state": N_("Days in each step (median)"),
    "spans": N_("Spans"),
    "median": N_("Median"),
    "p90": N_("90th percentile"),
    "overdue_cases": N_("Cases past their expected days"),
    "overdue_more": N_("See all {n} cases"),
    "expected": N_("Expected"),
    "quiet": N_("No activity in the fiscal year"),
    "chart_table": N_("Data in the chart"),
    "kpi_defs": N_("Indicator definitions: workflow/kpi.py"),
    "facts": N_("Facts"),
    "level": N_("Partner level"),
    "instrument": N_("Instrument"),
    "label": N_("Label"),
    "opened": N_("Opened"),
    "opened_by": N_("Opened by"),
    "in_step": N_("In this step"),
    "days_of": N_("{days} days (expected {expected})"),
    "days_only": N_("{days} days"),
    "signed_on": N_("Signed on"),
    "expires_on": N_("Term ends"),
    "last_activity": N_("Last activity"),
    "next_steps": N_("Who acts next"),
    "step": N_("Step"),
    "goes_to": N_("Goes to"),
    "roles": N_("Roles"),
    "requires": N_("Required"),
    "final_state": N_("Final: no further step"),
    "back_to_previous": N_("back to the previous step"),
    "path": N_("The case's path on the procedure diagram"),
    "path_alt": N_("Procedure diagram with case {ref}'s path"),
    "legend_current": N_("current step"),
    "legend_visited": N_("visited"),
    "legend_taken": N_("path taken"),
    "full_diagram": N_("Full diagram with dates (SVG)"),
    "steps_taken": N_("Steps taken"),
    "documents": N_("Documents"),
    "document": N_("Document"),
    "field": N_("Field"),
    "size": N_("Size (bytes)"),
    "download": N_("Download"),
    "hash_only": N_("recorded by hash only"),
    "activities": N_("Activities with the partner"),
    "plans": N_("Action plans and budgets"),
    "date": N_("Date"),
    "kind": N_("Kind"),
    "title": N_("Title"),
    "history": N_("Full history"),
    "seq": N_("No."),
    "time": N_("Time"),
    "officer": N_("Officer"),
    "role": N_("Role"),
    "event": N_("Event"),
    "from_to": N_("From → to"),
    "details": N_("Details"),
    "note": N_("Note"),
    "diagram_unavailable": N_("The diagram cannot be drawn"),
    "versions": N_("Versions"),
    "version": N_("Version"),
    "effective_from": N_("Effective from"),
    "settings": N_("Settings"),
    "states": N_("Steps and states"),
    "expected_days": N_("Expected days"),
    "final": N_("Final"),
    "transitions": N_("Moves"),
    "optional": N_("Optional"),
    "separate_from": N_("Not by whoever made"),
    "diagram": N_("Diagram"),
    "diagram_alt": N_("Diagram of {name} version {version}"),
    "verification": N_("Verification of the audit chain"),
    "intact": N_("Intact"),
    "broken": N_("Integrity failure"),
    "inconsistent": N_("Inconsistent with a checkpoint"),
    "verified_at": N_("Verified at"),
    "not_verified": N_("Not verified yet (running)"),
    "verify_off": N_(
        "Not verified by this server (--verify-every 0) — use sistercity audit verify"
    ),
    "verify_failed": N_("Verification could not run"),
    "records": N_("Records"),
    "head": N_("Head hash"),
    "problems": N_("Problems"),
    "warnings": N_("Warnings"),
    "signed_head": N_("Latest signed head export"),
    "no_signed_head": N_("None yet — use sistercity audit head --sign"),
    "key": N_("Key fingerprint"),
    "log": N_("Audit log"),
    "case": N_("Case"),
    "officer_id": N_("Officer id"),
    "trigger": N_("Step"),
    "date_hint": N_("YYYY-MM-DD (B.E. or C.E.)"),
    "export": N_("Export the log"),
    "export_note": N_("Every export is itself recorded as an audit event"),
    "no_records": N_("No records"),
    "error": N_("Error"),
    "back_home": N_("Back to the dashboard"),
}


def translator(lang: Lang) -> Callable[..., str]:
    """``t(key, **values)``: the word in *lang*, from the one catalogue (``states.i18n``), with
    ``{name}`` placeholders filled."""

    def t(key: str, **values: object) -> str:
        return tr(WORDS[key], lang, **values)

    return t


def province_name(code: str, lang: Lang) -> str:
    """The province's Thai or English name, or the code itself when unknown."""
    names = PROVINCES.get(code)
    if names is None:
        return code
    return names[0] if lang == "th" else names[1]


def day(value: dt.date | None, lang: Lang) -> str:
    """A calendar day: ``31 มี.ค. 2567`` in Thai, ``2024-03-31`` in English."""
    return "–" if value is None else format_date(value, lang)


def moment(value: dt.datetime | None, lang: Lang) -> str:
    """A timestamp in Bangkok time, Buddhist Era in Thai."""
    return "–" if value is None else format_moment(value, lang)


def number(value: int | float) -> str:
    """Thousands separated, as both languages write them."""
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
