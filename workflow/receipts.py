"""Receipts: what an officer keeps of a step, to prove later that its record is still in the log.

A receipt names the log, the case, the step, the record's sequence number and its hash, all
known the moment the record is appended (no query more). It is printed as one line and given
in ``--json``; ``sistercity audit receipt check`` reads either form back (``store.receipts``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from states.i18n import N_
from workflow.errors import InvalidInput
from workflow.model import AuditRecord

RECEIPT_TYPE = "sistercity-receipt"
_LINE = re.compile(
    r"receipt:\s+log\s+(?P<log>\S+)\s+case\s+(?P<case>\S+)\s+step\s+(?P<step>\S+)\s+"
    r"audit\s+#(?P<seq>\d+)\s+hash\s+(?P<hash>[0-9a-f]{64})\b"
)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class ReceiptUnreadable(InvalidInput):
    """The text given is not a receipt."""


@dataclass(frozen=True)
class Receipt:
    """The proof an officer keeps of one step."""

    log: str
    case: str | None
    step: str | None
    seq: int
    hash: str

    @classmethod
    def of(cls, record: AuditRecord) -> Receipt:
        return cls(record.log_id, record.case_reference, record.trigger, record.seq, record.hash)

    def line(self) -> str:
        """The receipt as one printable line (``audit receipt check`` reads it back)."""
        return "receipt: log {log} case {case} step {step} audit #{seq} hash {hash}".format(
            log=self.log, case=self.case or "-", step=self.step or "-", seq=self.seq,
            hash=self.hash,
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": RECEIPT_TYPE,
            "log": self.log,
            "case": self.case,
            "step": self.step,
            "seq": self.seq,
            "hash": self.hash,
        }


def parse_receipt(text: str) -> Receipt:
    """A receipt from its line, its JSON, or a step's ``--json`` output that holds one."""
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        return _from_json(stripped)
    found = _LINE.search(stripped)
    if found is None:
        raise ReceiptUnreadable(
            N_(
                "not a receipt: expected the 'receipt: log … hash …' line a step printed, "
                "or its JSON"
            )
        )
    return Receipt(
        found["log"],
        None if found["case"] == "-" else found["case"],
        None if found["step"] == "-" else found["step"],
        int(found["seq"]),
        found["hash"],
    )


def _from_json(text: str) -> Receipt:
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError):
        raise ReceiptUnreadable(N_("not a receipt: the JSON cannot be read")) from None
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if isinstance(data, dict) and isinstance(data.get("receipt"), dict):
        data = data["receipt"]
    if not isinstance(data, dict) or data.get("type") != RECEIPT_TYPE:
        raise ReceiptUnreadable(
            N_("not a receipt: give one receipt object (a step's --json holds it under 'receipt')")
        )
    seq, digest, log = data.get("seq"), data.get("hash"), data.get("log")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ReceiptUnreadable(N_("not a receipt: its 'seq' is not a positive integer"))
    if not isinstance(digest, str) or not _HEX64.match(digest):
        raise ReceiptUnreadable(N_("not a receipt: its 'hash' is not a SHA-256"))
    if not isinstance(log, str) or not log:
        raise ReceiptUnreadable(N_("not a receipt: it names no log"))
    case, step = data.get("case"), data.get("step")
    return Receipt(
        log,
        case if isinstance(case, str) else None,
        step if isinstance(step, str) else None,
        seq,
        digest,
    )
