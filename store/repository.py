"""Rows to frozen values and back, explicitly; repositories never commit."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from store.tables import AuditHeadRow, AuditRow, CaseRow, DocumentRow, OfficerRow, SettingRow
from workflow.errors import ConcurrentUpdate
from workflow.integrity import (
    RECORD_VERSION,
    canonical_json,
    payload_sha256,
    record_hash,
    record_header,
    utc_text,
)
from workflow.model import Actor, AuditDraft, AuditRecord, Case, EventKind, actors_of


def parse_utc(text: str) -> dt.datetime:
    """The stored canonical timestamp back to an aware datetime."""
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def _case(row: CaseRow) -> Case:
    return Case(
        reference=row.reference,
        procedure=row.procedure,
        version=row.version,
        definition_sha256=row.definition_sha256,
        state=row.state,
        province=row.province,
        partner_name=row.partner_name,
        partner_country=row.partner_country,
        partner_level=row.partner_level,
        instrument=row.instrument,
        label=row.label,
        opened_at=parse_utc(row.opened_at),
        opened_by=row.opened_by,
        state_since=parse_utc(row.state_since),
        previous_state=row.previous_state,
        trigger_actors={k: actors_of(v) for k, v in row.trigger_actors.items()},
        row_version=row.row_version,
        thai_party_level=row.thai_party_level,
        thai_party_name=row.thai_party_name,
    )


class SqlAlchemyCaseRepository:
    """Cases; updates go through the ORM so the version counter guards them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # Rows read in this transaction: an advance reads the case, then updates it.
        self._rows: dict[str, CaseRow] = {}

    def _row(self, reference: str) -> CaseRow | None:
        row = self._rows.get(reference)
        if row is None:
            row = self.session.scalars(
                select(CaseRow).where(CaseRow.reference == reference)
            ).one_or_none()
            if row is not None:
                self._rows[reference] = row
        return row

    def get(self, reference: str) -> Case | None:
        row = self._row(reference)
        return _case(row) if row else None

    def add(self, case: Case) -> None:
        self.session.add(
            CaseRow(
                reference=case.reference,
                procedure=case.procedure,
                version=case.version,
                definition_sha256=case.definition_sha256,
                state=case.state,
                previous_state=case.previous_state,
                province=case.province,
                partner_name=case.partner_name,
                partner_country=case.partner_country,
                partner_level=case.partner_level,
                instrument=case.instrument,
                label=case.label,
                opened_at=utc_text(case.opened_at),
                opened_by=case.opened_by,
                state_since=utc_text(case.state_since),
                trigger_actors={k: list(actors_of(v)) for k, v in case.trigger_actors.items()},
                thai_party_level=case.thai_party_level,
                thai_party_name=case.thai_party_name,
            )
        )

    def update(self, case: Case) -> None:
        row = self._row(case.reference)
        if row is None or row.row_version != case.row_version:
            raise ConcurrentUpdate(
                f"case {case.reference} changed under you; read it again and retry"
            )
        row.state = case.state
        row.previous_state = case.previous_state
        row.procedure = case.procedure
        row.version = case.version
        row.definition_sha256 = case.definition_sha256
        row.state_since = utc_text(case.state_since)
        row.trigger_actors = {k: list(actors_of(v)) for k, v in case.trigger_actors.items()}
        # Every step bumps the version counter, even a self-loop that changes no column value,
        # so a concurrent writer always sees that the case moved on.
        flag_modified(row, "trigger_actors")

    def next_reference(self, year_be: int) -> str:
        prefix = f"SC-{year_be}-"
        last = self.session.scalar(
            select(func.max(CaseRow.reference)).where(CaseRow.reference.like(f"{prefix}%"))
        )
        number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        return f"{prefix}{number:04d}"

    def list(self, province: str | None = None, state: str | None = None) -> list[Case]:
        query = select(CaseRow).order_by(CaseRow.reference)
        if province:
            query = query.where(CaseRow.province == province)
        if state:
            query = query.where(CaseRow.state == state)
        return [_case(r) for r in self.session.scalars(query)]


def _actor(row: OfficerRow) -> Actor:
    return Actor(
        row.id,
        row.name,
        frozenset(row.roles),
        row.province,
        row.os_user,
        bool(row.deputy),
        bool(row.retired),
    )


class SqlAlchemyOfficerRepository:
    """Registered officers."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, officer_id: str) -> Actor | None:
        row = self.session.get(OfficerRow, officer_id)
        return _actor(row) if row else None

    def by_os_user(self, login: str) -> Actor | None:
        row = self.session.scalars(
            select(OfficerRow).where(OfficerRow.os_user == login)
        ).one_or_none()
        return _actor(row) if row else None

    def add(self, actor: Actor, audit_seq: int) -> None:
        self.session.add(
            OfficerRow(
                id=actor.id,
                name=actor.name,
                roles=sorted(actor.roles),
                province=actor.province,
                os_user=actor.os_user,
                deputy=actor.deputy,
                retired=actor.retired,
                created_at=utc_text(dt.datetime.now(dt.UTC)),
                audit_seq=audit_seq,
            )
        )

    def update(self, actor: Actor, audit_seq: int) -> None:
        row = self.session.get(OfficerRow, actor.id)
        if row is None:
            raise ConcurrentUpdate(f"officer {actor.id} disappeared; read again")
        row.name = actor.name
        row.roles = sorted(actor.roles)
        row.province = actor.province
        row.os_user = actor.os_user
        row.deputy = actor.deputy
        row.retired = actor.retired
        row.audit_seq = audit_seq
        self.session.flush()

    def audit_seq(self, officer_id: str) -> int | None:
        return self.session.scalar(select(OfficerRow.audit_seq).where(OfficerRow.id == officer_id))

    def list(self) -> list[Actor]:
        return [
            _actor(r) for r in self.session.scalars(select(OfficerRow).order_by(OfficerRow.id))
        ]


def audit_record(row: AuditRow) -> AuditRecord:
    """A stored row as the value verifiers and views read."""
    return AuditRecord(
        seq=row.seq,
        log_id=row.log_id,
        record_version=row.record_version,
        kind=cast(EventKind, row.kind),
        case_reference=row.case_reference,
        case_seq=row.case_seq,
        trigger=row.trigger,
        source=row.source,
        dest=row.dest,
        actor_id=row.actor_id,
        actor_role=row.actor_role,
        os_user=row.os_user,
        occurred_at=parse_utc(row.occurred_at),
        fields=json.loads(row.fields),
        note=row.note,
        payload_sha256=row.payload_sha256,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _nfc(value: str | None) -> str | None:
    return unicodedata.normalize("NFC", value) if value is not None else None


class SqlAlchemyAuditLog:
    """The chained, gapless audit log. There is deliberately no update or delete here."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_head(self) -> AuditHeadRow:
        """The head row, locked for this transaction (PostgreSQL: SELECT … FOR UPDATE)."""
        head = self.session.scalars(
            select(AuditHeadRow).where(AuditHeadRow.id == 1).with_for_update()
        ).one_or_none()
        if head is None:
            raise RuntimeError("database not initialised: run 'sistercity init'")
        return head

    def append(self, draft: AuditDraft) -> AuditRecord:
        # Store exactly the (NFC) strings the hash covers, so a verifier can insist on NFC.
        draft = replace(
            draft,
            case_reference=_nfc(draft.case_reference),
            trigger=_nfc(draft.trigger),
            source=_nfc(draft.source),
            dest=_nfc(draft.dest),
            actor_id=unicodedata.normalize("NFC", draft.actor_id),
            actor_role=_nfc(draft.actor_role),
            os_user=_nfc(draft.os_user),
            note=unicodedata.normalize("NFC", draft.note),
        )
        head = self.lock_head()
        case_seq: int | None = None
        if draft.case_reference is not None:
            last = self.session.scalar(
                select(func.max(AuditRow.case_seq)).where(
                    AuditRow.case_reference == draft.case_reference
                )
            )
            case_seq = (last or 0) + 1
        fields_json = canonical_json(dict(draft.fields)).decode("utf-8")
        payload = payload_sha256(draft.fields, draft.note)
        seq = head.seq + 1
        header: dict[str, Any] = record_header(
            record_version=RECORD_VERSION,
            log_id=head.log_id,
            seq=seq,
            kind=draft.kind,
            case_reference=draft.case_reference,
            case_seq=case_seq,
            trigger=draft.trigger,
            source=draft.source,
            dest=draft.dest,
            actor_id=draft.actor_id,
            actor_role=draft.actor_role,
            os_user=draft.os_user,
            occurred_at=draft.occurred_at,
            payload_sha256=payload,
            prev_hash=head.hash,
        )
        digest = record_hash(header)
        row = AuditRow(
            seq=seq,
            log_id=head.log_id,
            record_version=RECORD_VERSION,
            kind=draft.kind,
            case_reference=draft.case_reference,
            case_seq=case_seq,
            trigger=draft.trigger,
            source=draft.source,
            dest=draft.dest,
            actor_id=draft.actor_id,
            actor_role=draft.actor_role,
            os_user=draft.os_user,
            occurred_at=header["at"],
            fields=fields_json,
            note=draft.note,
            payload_sha256=payload,
            prev_hash=head.hash,
            hash=digest,
        )
        self.session.add(row)
        head.seq = seq
        head.hash = digest
        self.session.flush()
        return audit_record(row)

    def for_case(self, reference: str) -> list[AuditRecord]:
        rows = self.session.scalars(
            select(AuditRow).where(AuditRow.case_reference == reference).order_by(AuditRow.seq)
        )
        return [audit_record(r) for r in rows]

    def get(self, seq: int) -> AuditRecord | None:
        row = self.session.get(AuditRow, seq)
        return audit_record(row) if row is not None else None

    def latest_of_kind(self, kind: str) -> AuditRecord | None:
        row = self.session.scalars(
            select(AuditRow).where(AuditRow.kind == kind).order_by(AuditRow.seq.desc()).limit(1)
        ).one_or_none()
        return audit_record(row) if row is not None else None

    def of_kind(self, kind: str, after: int | None = None) -> list[AuditRecord]:
        query = select(AuditRow).where(AuditRow.kind == kind).order_by(AuditRow.seq)
        if after is not None:
            query = query.where(AuditRow.seq > after)
        return [audit_record(r) for r in self.session.scalars(query)]

    def iter_all(self) -> Iterator[AuditRecord]:
        result = self.session.execute(
            select(AuditRow).order_by(AuditRow.seq).execution_options(yield_per=2000)
        )
        for row in result.scalars():
            yield audit_record(row)


class SqlAlchemyDocumentStore:
    """Documents by SHA-256 in the database: one backup holds the log and its evidence."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, record: Mapping[str, Any], content: bytes, now: dt.datetime) -> None:
        if self.session.get(DocumentRow, record["sha256"]) is None:
            self.session.add(
                DocumentRow(
                    sha256=record["sha256"],
                    name=record["name"],
                    size=len(content),
                    content=content,
                    stored_at=utc_text(now),
                )
            )
            self.session.flush()

    def get(self, sha256: str) -> bytes | None:
        row = self.session.get(DocumentRow, sha256)
        return row.content if row else None


def read_setting(session: Session, key: str) -> str | None:
    """A database-wide setting, or ``None``."""
    row = session.get(SettingRow, key)
    return row.value if row else None
