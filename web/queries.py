"""Every call the web view makes into the library, in one place.

The pages never touch a session, a table or a unit of work: they call a ``Library`` method and
get the library's own frozen values back. When the unit of work or the definitions change shape,
this module is what changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import diagrams
from states import (
    RETURN,
    Label,
    LoadedDefinition,
    ProcedureDefinition,
    available_procedures,
    load_procedure,
)
from states.aliases import resolve_province
from store import SqlAlchemyUnitOfWork, make_engine
from store.audit import LogFilter
from store.browse import (
    CasePage,
    CaseQuery,
    ExportFormat,
    LogExport,
    LogPage,
    export_chunks,
    latest_head_export,
    log_page,
    record_log_export,
    search_cases,
    stored_digests,
)
from store.kpi import compute_kpis
from store.verify import VerifyResult, verify_database
from workflow import followup, services
from workflow.followup import Activity, CaseFacts, Overdue, Plan
from workflow.kpi import KpiReport
from workflow.model import Actor, AuditRecord, Case

__all__ = [
    "CasePage",
    "CaseQuery",
    "DocumentRef",
    "ExportFormat",
    "Library",
    "LogExport",
    "LogFilter",
    "LogPage",
    "NextStep",
    "resolve_province",
]


@dataclass(frozen=True)
class NextStep:
    """A step the procedure allows from a case's state, and who may take it."""

    trigger: str
    label: Label
    dest: Label | None
    roles: tuple[Label, ...]
    requires: tuple[Label, ...]
    optional: tuple[Label, ...]


@dataclass(frozen=True)
class DocumentRef:
    """A document named in a case's records: by hash always, with its bytes when stored."""

    field: str
    name: str
    sha256: str
    size: int | None
    seq: int
    at: dt.datetime
    stored: bool


def _documents_in(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping) and isinstance(value.get("sha256"), str):
        return [value]
    if isinstance(value, list):
        return [v for item in value for v in _documents_in(item)]
    return []


@lru_cache(maxsize=32)
def _procedure_svg(name: str, version: int, lang: str, roles: bool) -> str:
    picture = diagrams.procedure_diagram(load_procedure(name, version), lang, show_roles=roles)
    return diagrams.render(picture, "svg").decode("utf-8")


class Library:
    """The database behind the view, and the read calls the pages need."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.engine = make_engine(db)

    def close(self) -> None:
        """Return pooled connections."""
        self.engine.dispose()

    def _uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine)

    def _fuow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine)

    # ------------------------------------------------------------------ identity
    def officer_by_login(self, login: str) -> Actor | None:
        """The registered officer working under *login* (what a reverse proxy authenticates)."""
        with self._uow() as uow:
            return uow.officers.by_os_user(login)

    def serving_officer(self, os_login: str, as_officer: str | None) -> Actor:
        """The officer running ``serve``: by OS login, or ``--as`` in a training database."""
        return services.resolve_actor(self._uow(), os_login, as_officer)

    @staticmethod
    def read_scope(actor: Actor) -> str | None:
        """The one province *actor* may read, or ``None`` for all."""
        return services.read_scope(actor)

    # ------------------------------------------------------------------ cases
    def search(self, query: CaseQuery, offset: int, limit: int) -> CasePage:
        """A page of cases matching *query*."""
        return search_cases(self.engine, query, offset, limit)

    def case(self, reference: str) -> Case:
        """One case (``CaseNotFound`` if none)."""
        return services.get_case(self._uow(), reference)

    def history(self, reference: str) -> tuple[Case, list[AuditRecord]]:
        """A case and every audit record on it."""
        return services.case_history(self._uow(), reference)

    def facts(self, reference: str) -> CaseFacts | None:
        """Signing, term and activity dates of a relationship."""
        with self._fuow() as uow:
            return uow.facts.get(reference)

    def activities(self, reference: str) -> list[Activity]:
        """Activities recorded with the partner, newest first."""
        return followup.list_activities(self._fuow(), reference)

    def plans(self, reference: str) -> list[Plan]:
        """Yearly plans and budgets of a relationship."""
        return followup.list_plans(self._fuow(), reference)

    @staticmethod
    def time_in_step(case: Case, as_of: dt.date) -> Overdue | None:
        """Days in the current step against its expected days (``None`` without a deadline)."""
        return followup.time_in_step(case, as_of)

    @staticmethod
    def definition(procedure: str, version: int) -> ProcedureDefinition:
        """A released procedure version."""
        return load_procedure(procedure, version).definition

    def next_steps(self, case: Case) -> list[NextStep]:
        """Every step the case's procedure allows from its state, with roles and documents."""
        d = self.definition(case.procedure, case.version)
        found: list[NextStep] = []
        for t in d.active_transitions:
            if case.state not in t.source:
                continue
            if t.dest == RETURN:
                dest = d.state(case.previous_state).label if case.previous_state else None
            else:
                dest = d.state(t.dest).label
            found.append(
                NextStep(
                    trigger=t.trigger,
                    label=t.label,
                    dest=dest,
                    roles=tuple(d.role(r).label for r in t.roles),
                    requires=tuple(d.field(f).label for f in t.requires),
                    optional=tuple(d.field(f).label for f in t.optional),
                )
            )
        return found

    def documents(
        self, history: Sequence[AuditRecord], plans: Sequence[Plan]
    ) -> list[DocumentRef]:
        """Documents cited by a case's records and plans, marked when their bytes are stored."""
        cited: list[tuple[str, Mapping[str, Any], int, dt.datetime]] = []
        for r in history:
            for name, value in r.fields.items():
                cited.extend((name, doc, r.seq, r.occurred_at) for doc in _documents_in(value))
        for p in plans:
            if p.document:
                cited.append(("plan", p.document, p.audit_seq, p.set_at))
        stored = stored_digests(self.engine, [str(doc["sha256"]) for _, doc, _, _ in cited])
        return [
            DocumentRef(
                field=name,
                name=str(doc.get("name", "")),
                sha256=str(doc["sha256"]),
                size=int(doc["bytes"]) if isinstance(doc.get("bytes"), int) else None,
                seq=seq,
                at=at,
                stored=str(doc["sha256"]) in stored,
            )
            for name, doc, seq, at in cited
        ]

    def document(self, sha256: str) -> bytes:
        """A stored document's bytes, checked against its hash."""
        return services.get_document(self._uow(), sha256)

    # ------------------------------------------------------------------ indicators
    def kpis(self, fiscal_year: int, as_of: dt.date, province: str | None) -> KpiReport:
        """The fiscal year's indicators, nationally or for one province."""
        return compute_kpis(self.engine, fiscal_year, as_of, province)

    # ------------------------------------------------------------------ procedures and pictures
    @staticmethod
    def procedures() -> dict[str, list[int]]:
        """Every shipped procedure and its released versions."""
        return available_procedures()

    @staticmethod
    def loaded(procedure: str, version: int | None = None) -> LoadedDefinition:
        """A released definition with its file's SHA-256."""
        return load_procedure(procedure, version)

    @staticmethod
    def procedure_svg(procedure: str, version: int, lang: str, roles: bool) -> str:
        """The procedure drawn by ``diagrams`` as SVG (drawn once per version and language)."""
        return _procedure_svg(procedure, version, lang, roles)

    @staticmethod
    def case_picture(
        case: Case, history: Sequence[AuditRecord], now: dt.datetime, lang: str
    ) -> diagrams.Diagram:
        """``diagrams``' model of the case's path: emphasis per state, the edges taken."""
        return diagrams.case_diagram(
            load_procedure(case.procedure, case.version),
            history,
            case.state,
            now=now,
            lang=lang,
            reference=case.reference,
        )

    @staticmethod
    def case_svg(case: Case, history: Sequence[AuditRecord], now: dt.datetime, lang: str) -> bytes:
        """The full case picture (dates on every step) rendered by Graphviz."""
        picture = Library.case_picture(case, history, now, lang)
        return diagrams.render(picture, "svg")

    # ------------------------------------------------------------------ audit
    def verify(self) -> VerifyResult:
        """Verify the whole chain (read-only; seconds per million records)."""
        return verify_database(self.engine)

    def log(self, flt: LogFilter, before: int | None, limit: int) -> LogPage:
        """A page of the audit log, newest first."""
        return log_page(self.engine, flt, before, limit)

    def latest_signed_head(self) -> AuditRecord | None:
        """The newest signed ``audit head`` export record."""
        return latest_head_export(self.engine, signed=True)

    def record_export(
        self, actor: Actor, now: dt.datetime, fmt: ExportFormat, flt: LogFilter
    ) -> LogExport:
        """Record the export as an audit event before any record is sent."""
        return record_log_export(self.engine, actor, now, fmt, flt)

    def export(self, fmt: ExportFormat, flt: LogFilter, through: int) -> Iterator[str]:
        """The exported records (up to the size the export event states), streamed."""
        return export_chunks(self.engine, fmt, flt, through)
