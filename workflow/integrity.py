"""The canonical form of an audit record and its hash: one definition for writing and verifying.

Canonical bytes are JSON with sorted keys, no whitespace, UTF-8, NFC strings, integers only and
UTC timestamps in one fixed format. A record's hash is SHA-256 over a 0x00 byte followed by those
bytes (the prefix keeps record hashes apart from any other SHA-256 use, e.g. payload hashes).
Changing anything here changes every hash: the golden fixture in the tests guards it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

RECORD_VERSION = 1
GENESIS_HASH = "0" * 64
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# Built once: ``json.dumps`` with non-default options builds an encoder at every call.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=256)
def utc_text(moment: dt.datetime) -> str:
    """The one timestamp format hashed and stored: microseconds, UTC, ``Z``.

    Kept for the moments most recently formatted: a step or an import formats its one "now"
    several times (two equal aware moments are the same instant, hence the same text).
    """
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime(TIMESTAMP_FORMAT)


def _canonical(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        raise TypeError("floats are not allowed in audit records; use integers or strings")
    if isinstance(value, Mapping):
        return {_canonical(str(k)): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, dt.datetime):
        return utc_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} in an audit record")


def canonical_json(value: Any) -> bytes:
    """Deterministic bytes for *value*."""
    return _ENCODER.encode(_canonical(value)).encode("utf-8")


def payload_sha256(fields: Mapping[str, Any], note: str) -> str:
    """Hash of what the officer supplied: fields, document hashes and the note."""
    return hashlib.sha256(canonical_json({"fields": fields, "note": note})).hexdigest()


def record_header(
    *,
    record_version: int,
    log_id: str,
    seq: int,
    kind: str,
    case_reference: str | None,
    case_seq: int | None,
    trigger: str | None,
    source: str | None,
    dest: str | None,
    actor_id: str,
    actor_role: str | None,
    os_user: str | None,
    occurred_at: dt.datetime | str,
    payload_sha256: str,
    prev_hash: str,
) -> dict[str, Any]:
    """Everything a record's hash covers, under short stable keys."""
    at = occurred_at if isinstance(occurred_at, str) else utc_text(occurred_at)
    return {
        "v": record_version,
        "log": log_id,
        "seq": seq,
        "kind": kind,
        "case": case_reference,
        "case_seq": case_seq,
        "trigger": trigger,
        "from": source,
        "to": dest,
        "actor": actor_id,
        "role": actor_role,
        "os_user": os_user,
        "at": at,
        "payload": payload_sha256,
        "prev": prev_hash,
    }


def record_hash(header: Mapping[str, Any]) -> str:
    """SHA-256 of 0x00 followed by the canonical header."""
    return hashlib.sha256(b"\x00" + canonical_json(header)).hexdigest()
