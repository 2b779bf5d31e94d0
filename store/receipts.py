"""Checking a receipt against the log: is the record still there, unchanged, and (given a
signed head at least as new as it) has the log not been rewritten since?

Read-only, in one read transaction. The record's payload and hash are recomputed from its stored
columns exactly as ``audit verify`` does (``store.verify.expected_payload`` and
``expected_hash``), its link to the record before and the next record's link to it are checked,
and its hash must be the receipt's. With a head, every record from the receipt's to the head's
is recomputed and linked, and the last must hash to what the head states; the head's signature
is checked against the trusted key (``store.checkpoint``).

The verdicts use ``audit verify``'s exit codes: 0 the receipt holds, 1 the record is missing or
changed (integrity), 3 the log is inconsistent with the signed head (rewritten, truncated, or
the head cannot be trusted); 2 when the head is older than the record and so proves nothing
about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select

from states.i18n import N_, Message, Text
from store.checkpoint import CheckpointInvalid, read_checkpoint
from store.core_tables import AUDIT_RECORDS, SETTINGS
from store.verify import COLUMNS, expected_hash, expected_payload
from workflow.integrity import GENESIS_HASH
from workflow.receipts import Receipt

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

INTACT, TAMPERED, USAGE, REWRITTEN = 0, 1, 2, 3
_SEQ, _LOG, _CASE, _TRIGGER, _FIELDS, _NOTE, _PAYLOAD, _PREV, _HASH = (
    COLUMNS.index(name)
    for name in (
        "seq", "log_id", "case_reference", "trigger", "fields", "note", "payload_sha256",
        "prev_hash", "hash",
    )
)  # fmt: skip
_ROWS = select(*[AUDIT_RECORDS.c[name] for name in COLUMNS]).order_by(AUDIT_RECORDS.c.seq)


@dataclass(frozen=True)
class ReceiptCheck:
    """The verdict on one receipt: an exit code and one line for each thing found."""

    receipt: Receipt
    exit_code: int
    findings: tuple[str, ...]
    head_size: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.exit_code == INTACT,
            "exit_code": self.exit_code,
            "receipt": self.receipt.as_dict(),
            "head_size": self.head_size,
            "findings": list(self.findings),
        }


def _recomputed(row: Sequence[Any]) -> str | None:
    """Why the stored row does not hash to its own columns, or ``None`` when it does."""
    if expected_payload(row[_FIELDS], row[_NOTE]) != row[_PAYLOAD]:
        return Text(N_("its fields or note no longer match its payload hash"))
    if expected_hash(row) != row[_HASH]:
        return Text(N_("its stored columns no longer hash to its stored hash"))
    return None


def _reason(exc: Exception) -> str:
    """Why a head could not be used: its message when it is one (``CheckpointInvalid``)."""
    given = exc.args[0] if exc.args else ""
    return given if isinstance(given, Message) else str(exc)


def check_receipt(
    engine: Engine,
    receipt: Receipt,
    head: str | Path | None = None,
    trusted_key: Ed25519PublicKey | None = None,
) -> ReceiptCheck:
    """Check *receipt* against the log behind *engine* (and a signed *head*, if given)."""
    document = None
    if head is not None:
        if trusted_key is None:
            return ReceiptCheck(
                receipt, USAGE, (Message(N_("a head needs the trusted public key (--key)")),)
            )
        try:
            document = read_checkpoint(head, trusted_key)
        except CheckpointInvalid as exc:
            return ReceiptCheck(
                receipt,
                REWRITTEN,
                (Message(N_("head {file}: {reason}"), file=Path(head).name, reason=_reason(exc)),),
            )
        if document.size < receipt.seq:
            return ReceiptCheck(
                receipt,
                USAGE,
                (
                    Message(
                        N_(
                            "head {file} describes {size} records, before record #{seq}: sign a "
                            "newer head ('audit head --sign') to prove the log since"
                        ),
                        file=Path(head).name,
                        size=document.size,
                        seq=receipt.seq,
                    ),
                ),
                document.size,
            )
    with engine.connect() as conn, conn.begin():
        log_id = conn.execute(select(SETTINGS.c.value).where(SETTINGS.c.key == "log_id")).scalar()
        near = conn.execute(
            _ROWS.where(AUDIT_RECORDS.c.seq.between(receipt.seq - 1, receipt.seq + 1))
        ).all()
        problem = _record_problem(receipt, log_id, {row[_SEQ]: tuple(row) for row in near})
        if problem is not None:
            return ReceiptCheck(receipt, TAMPERED, (problem,))
        found: list[str] = [
            Message(
                N_("record #{seq} of case {case}, step {step}, is in log {log} unchanged"),
                seq=receipt.seq, case=receipt.case or "-", step=receipt.step or "-",
                log=receipt.log,
            )
        ]  # fmt: skip
        if document is None or head is None:
            return ReceiptCheck(receipt, INTACT, tuple(found))
        name = Path(head).name
        if document.log != receipt.log:
            return ReceiptCheck(
                receipt,
                REWRITTEN,
                (
                    *found,
                    Message(
                        N_("head {file} belongs to log {log}, not {receipt_log}"),
                        file=name,
                        log=document.log,
                        receipt_log=receipt.log,
                    ),
                ),
                document.size,
            )
        # Every record from the receipt's to the head's, streamed: recomputed and linked.
        previous, seq = receipt.hash, receipt.seq
        later = conn.execution_options(stream_results=True, yield_per=2000).execute(
            _ROWS.where(AUDIT_RECORDS.c.seq > receipt.seq, AUDIT_RECORDS.c.seq <= document.size)
        )
        for row in later:
            seq += 1
            broken = (Text(N_("it is missing")) if row[_SEQ] != seq else None) or _recomputed(row)
            if broken is None and row[_PREV] != previous:
                broken = Text(N_("it does not link to the record before it"))
            if broken is not None:
                return ReceiptCheck(
                    receipt,
                    TAMPERED,
                    (
                        *found,
                        Message(
                            N_("record #{seq} after the receipt's: {broken}"),
                            seq=seq,
                            broken=broken,
                        ),
                    ),
                    document.size,
                )
            previous = row[_HASH]
    if seq < document.size:
        return ReceiptCheck(
            receipt,
            REWRITTEN,
            (
                *found,
                Message(
                    N_(
                        "head {file} of {at} saw {size} records; the log has {records} (tail "
                        "truncated or an older backup restored)"
                    ),
                    file=name,
                    at=document.at,
                    size=document.size,
                    records=seq,
                ),
            ),
            document.size,
        )
    if previous != document.head:
        return ReceiptCheck(
            receipt,
            REWRITTEN,
            (
                *found,
                Message(
                    N_(
                        "the log no longer hashes to head {file} of {at} at record #{size}: it "
                        "was rewritten after that head was signed"
                    ),
                    file=name,
                    at=document.at,
                    size=document.size,
                ),
            ),
            document.size,
        )
    found.append(
        Message(
            N_("head {file} of {at} (record #{size}) still matches the log, signature valid"),
            file=name,
            at=document.at,
            size=document.size,
        )
    )
    return ReceiptCheck(receipt, INTACT, tuple(found), document.size)


def _record_problem(
    receipt: Receipt, log_id: str | None, by_seq: dict[int, tuple[Any, ...]]
) -> str | None:
    """Why the receipt's record is not in the log as it was, or ``None``."""
    if log_id != receipt.log:
        return Message(
            N_("this database holds log {log}, the receipt is of log {receipt_log}"),
            log=log_id,
            receipt_log=receipt.log,
        )
    row = by_seq.get(receipt.seq)
    if row is None:
        return Message(N_("record #{seq} is missing from the log"), seq=receipt.seq)
    named = (row[_LOG], row[_CASE], row[_TRIGGER])
    if named != (receipt.log, receipt.case, receipt.step):
        return Message(
            N_("record #{seq} is now of case {case}, step {step}, not the receipt's"),
            seq=receipt.seq,
            case=row[_CASE] or "-",
            step=row[_TRIGGER] or "-",
        )
    broken = _recomputed(row)
    if broken is not None:
        return Message(N_("record #{seq} was changed: {broken}"), seq=receipt.seq, broken=broken)
    if row[_HASH] != receipt.hash:
        return Message(
            N_("record #{seq} hashes to {hash}…, the receipt says {receipt_hash}…"),
            seq=receipt.seq,
            hash=row[_HASH][:12],
            receipt_hash=receipt.hash[:12],
        )
    earlier = by_seq.get(receipt.seq - 1)
    before = GENESIS_HASH if receipt.seq == 1 else earlier[_HASH] if earlier else None
    if row[_PREV] != before:
        return Message(
            N_("record #{seq} no longer links to the record before it"), seq=receipt.seq
        )
    after = by_seq.get(receipt.seq + 1)
    if after is not None and after[_PREV] != row[_HASH]:
        return Message(N_("the record after #{seq} no longer links to it"), seq=receipt.seq)
    return None
