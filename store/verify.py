"""The audit verifier: re-derive everything the log claims from the stored columns, read-only.

``verify_rows`` is pure (rows in, result out) so it can be fuzzed in memory; ``verify_database``
feeds it from a database in one read transaction, streaming rows as plain tuples (no ORM object
per row) so a million records verify in seconds and in constant memory.

What is checked, in this order for each record:

* ``sequence``: 1..N without gaps or repeats;
* ``log_id`` and ``record_version``;
* ``prev_hash``: the link to the record before (the first links to the genesis hash);
* ``fields``/``note``: canonical JSON, NFC text;
* ``payload (fields/note)`` / ``payload_sha256``: the payload hash recomputed from fields and note,
  telling apart an edited payload from an edited stored payload hash;
* ``hash``: the record hash recomputed from the stored columns;
* ``case_seq`` and ``transition``: per case, 1, 2, 3 …; each transition starts in the state the
  previous one ended in and is an edge of the procedure version the case runs under;
* ``head_export``: an export's stated size and head are the record before it.

Then the database: every case's current state is its last moving record's, and the head row is the
last record. Storage first: ``PRAGMA integrity_check`` on SQLite and the append-only triggers
(on PostgreSQL also the identity triggers of ``store/pg_identity.py``).

Checkpoints (signed head exports) are what catch what the chain cannot: deleting the newest
records, restoring an older backup, or re-chaining everything after an edit.
"""

from __future__ import annotations

import hashlib
import json
import operator
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import EllipsisType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, select

from states import load_procedure
from states.i18n import N_, Message
from store import append_only, pg_identity
from store.checkpoint import CheckpointInvalid, HeadDocument, read_checkpoint
from store.core_tables import AUDIT_HEAD, CASES, OFFICERS, SETTINGS
from store.repository import AUDIT_COLUMNS
from workflow.integrity import (
    GENESIS_HASH,
    RECORD_VERSION,
    canonical_json,
    record_hash,
    record_header,
)
from workflow.model import Actor
from workflow.progress import Progress, reporting
from workflow.replay import IDENTITY, Replay, Step, steps_of

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

#: The stored columns, in the order rows are read and exported (one list, the repository's).
COLUMNS = AUDIT_COLUMNS
MOVING_KINDS = frozenset({"open", "import", "transition", "migrate"})
#: Kinds of case records that leave the case where it was.
STILL_KINDS = frozenset({"denied", "plan", "letter"})
#: Kinds never about a case; a ``denied`` record is about a case only when one was targeted.
CASELESS_KINDS = frozenset({"officer", "head_export", "mechanism", "settings"})
MAYBE_CASELESS_KINDS = frozenset({"denied"})
NO_CHECKPOINT_WARNING = Message(
    N_(
        "no checkpoint given: deleting the newest records, or restoring an older backup, cannot "
        "be ruled out; verify with --checkpoint FILE --key PUB from a signed 'audit head' export"
    )
)
_TEXT_COLUMNS = (1, 3, 4, 6, 7, 8, 9, 10, 11, 12)
_texts = operator.itemgetter(*_TEXT_COLUMNS)
_WIDTH = len(COLUMNS)
# Built once: json.dumps with non-default options builds an encoder per call, a third of the time.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
#: A JSON string literal, as the encoders above write one (the C function they call).
_string: Callable[[str], str] = json.encoder.encode_basestring
_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)
#: ``_CANONICAL.encode`` in chunks, its C encoder built once (``encode`` builds it again at every
#: call, and a million records call it once each). No circular check: what it encodes was
#: just decoded from JSON text.
_encode_chunks: Callable[[Any, int], Sequence[str]] = (
    _C_ENCODER(None, _CANONICAL.default, _string, None, ":", ",", True, False, True)
    if _C_ENCODER is not None
    else lambda value, _indent: [_CANONICAL.encode(value)]
)


def _canonical_text(value: Any) -> str:
    return "".join(_encode_chunks(value, 0))


#: The record header with its keys in sorted order, as ``_CANONICAL`` writes it.
_HEADER = (
    '{"actor":%s,"at":%s,"case":%s,"case_seq":%s,"from":%s,"kind":%s,"log":%s,"os_user":%s,'
    '"payload":%s,"prev":%s,"role":%s,"seq":%s,"to":%s,"trigger":%s,"v":%s}'
)
_PAYLOAD = '{"fields":%s,"note":%s}'
_sha256 = hashlib.sha256


def _no_floats(text: str) -> Any:
    raise ValueError(f"not an integer: {text}")


_DECODER = json.JSONDecoder(parse_float=_no_floats, parse_constant=_no_floats)
#: ``_DECODER.raw_decode`` without its Python frame: (value, end), or StopIteration.
_scan: Callable[[str, int], tuple[Any, int]] = getattr(_DECODER, "scan_once")  # noqa: B009


_HEX = frozenset("0123456789abcdef")
#: What stored values of the wrong type or shape raise while a record is checked.
_MALFORMED = (TypeError, ValueError, AttributeError, KeyError, RecursionError)
_MAX_LISTED = 100


@dataclass(frozen=True)
class Problem:
    """One finding: the first sequence number it concerns (if any), what differs, and why."""

    seq: int | None
    field: str
    detail: str
    checkpoint: bool = False

    def line(self) -> str:
        """``#seq field: detail``; a ``Message``, so its detail can be shown translated."""
        where = f"#{self.seq} " if self.seq is not None else ""
        return Message(
            "{where}{field}: {detail}", where=where, field=self.field, detail=self.detail
        )


@dataclass(frozen=True)
class CheckpointStatus:
    """How one checkpoint file compared with the log."""

    path: str
    ok: bool
    detail: str
    size: int | None = None
    head: str | None = None
    at: str | None = None


@dataclass(frozen=True)
class CaseState:
    """What the cases table says about a case, to compare with what its records imply."""

    procedure: str
    version: int
    state: str
    #: The state before the current one (where a resume returns to); ``...`` when not read.
    previous_state: str | EllipsisType | None = ...
    #: Identity, opener and step actors (``workflow.replay.IDENTITY``…); ``None`` when not read.
    details: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class VerifyResult:
    """The verdict: exit code 0 intact, 1 integrity failure, 3 inconsistent with a checkpoint."""

    log_id: str | None
    records: int
    head: str
    cases: int
    problems: tuple[Problem, ...]
    more_problems: int = 0
    checkpoints: tuple[CheckpointStatus, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def integrity_problems(self) -> list[Problem]:
        return [p for p in self.problems if not p.checkpoint]

    @property
    def exit_code(self) -> int:
        if self.integrity_problems or self.more_problems:
            return 1
        if any(p.checkpoint for p in self.problems):
            return 3
        return 0

    @property
    def first_bad_seq(self) -> int | None:
        """The first failing sequence number: integrity problems first, then checkpoint ones."""
        for group in (self.integrity_problems, [p for p in self.problems if p.checkpoint]):
            seqs = [p.seq for p in group if p.seq is not None]
            if seqs:
                return min(seqs)
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.exit_code == 0,
            "exit_code": self.exit_code,
            "log_id": self.log_id,
            "records": self.records,
            "head": self.head,
            "cases": self.cases,
            "first_bad_seq": self.first_bad_seq,
            "problems": [
                {"seq": p.seq, "field": p.field, "detail": p.detail, "checkpoint": p.checkpoint}
                for p in self.problems
            ],
            "more_problems": self.more_problems,
            "checkpoints": [
                {
                    "path": c.path,
                    "ok": c.ok,
                    "detail": c.detail,
                    "size": c.size,
                    "head": c.head,
                    "at": c.at,
                }
                for c in self.checkpoints
            ],
            "warnings": list(self.warnings),
        }


# ---------------------------------------------------------------------- procedure edges
_EDGES: dict[tuple[str, int], tuple[frozenset[tuple[str, str, str]], str, frozenset[str]]] = {}


def procedure_edges(
    procedure: str, version: int
) -> tuple[frozenset[tuple[str, str, str]], str, frozenset[str]]:
    """(trigger, from, to) edges, the initial state and all states of a procedure version.

    ``@previous`` becomes one edge per state the source can have been entered from.
    """
    key = (procedure, version)
    if key not in _EDGES:
        definition = load_procedure(procedure, version).definition
        states = frozenset(s.id for s in definition.states)
        _EDGES[key] = (frozenset(steps_of(procedure, version)), definition.initial, states)
    return _EDGES[key]


# ---------------------------------------------------------------------- hashing, fast path
def _is_hex64(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and _HEX.issuperset(value)


def canonical_fields(text: str, parsed: Any) -> bool:
    """Whether *text* is ``canonical_json`` of *parsed* (the object decoded from it).

    When the text is NFC so is every string in it, and the plain encoder gives the canonical
    bytes; only a text that is not NFC (rare, and where an escape such as ``\\n`` may meet a
    combining mark) goes the slow way. ``tests/audit/test_verify_fast_paths.py`` pins the two.
    """
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return bool(_canonical_text(parsed) == text)
    return canonical_json(parsed).decode("utf-8") == text


def expected_payload(fields_text: str, note: str) -> str:
    """Payload hash from the stored canonical fields text and note (both already checked)."""
    body = _PAYLOAD % (fields_text, _string(note))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _json(value: Any) -> str:
    """*value* as JSON if it is a string, ``None`` or an int (not a bool); else ``TypeError``."""
    if type(value) is str:
        return _string(value)
    if value is None:
        return "null"
    if type(value) is int:
        return int.__repr__(value)
    raise TypeError(type(value).__name__)


def expected_hash(row: Sequence[Any], payload: str | None = None) -> str:
    """Record hash recomputed from a stored row (optionally with another payload hash)."""
    # The header's text written directly (the C encoder would sort the same keys for every
    # record); a value of another type takes the encoder's way. A test pins the two.
    try:
        data = _HEADER % (
            _json(row[9]), _json(row[12]), _json(row[4]), _json(row[5]), _json(row[7]),
            _json(row[3]), _json(row[1]), _json(row[11]),
            _json(row[15] if payload is None else payload), _json(row[16]), _json(row[10]),
            _json(row[0]), _json(row[8]), _json(row[6]), _json(row[2]),
        )  # fmt: skip
    except TypeError:
        data = _header_text(row, payload)
    return hashlib.sha256(b"\x00" + data.encode("utf-8")).hexdigest()


def _header_text(row: Sequence[Any], payload: str | None) -> str:
    header = {
        "v": row[2],
        "log": row[1],
        "seq": row[0],
        "kind": row[3],
        "case": row[4],
        "case_seq": row[5],
        "trigger": row[6],
        "from": row[7],
        "to": row[8],
        "actor": row[9],
        "role": row[10],
        "os_user": row[11],
        "at": row[12],
        "payload": row[15] if payload is None else payload,
        "prev": row[16],
    }
    # Same bytes as workflow.integrity.canonical_json for NFC text and integers (checked first);
    # the golden fixture and a test pin the equality.
    return _CANONICAL.encode(header)


def reference_hash(row: Sequence[Any]) -> str:
    """The slow, obviously-correct recomputation through ``workflow.integrity``."""
    return record_hash(
        record_header(
            record_version=row[2],
            log_id=row[1],
            seq=row[0],
            kind=row[3],
            case_reference=row[4],
            case_seq=row[5],
            trigger=row[6],
            source=row[7],
            dest=row[8],
            actor_id=row[9],
            actor_role=row[10],
            os_user=row[11],
            occurred_at=row[12],
            payload_sha256=row[15],
            prev_hash=row[16],
        )
    )


# ---------------------------------------------------------------------- the pure verifier
class _Findings:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.more = 0

    def add(self, seq: int | None, name: str, detail: str, checkpoint: bool = False) -> None:
        if len(self.items) < _MAX_LISTED:
            self.items.append(Problem(seq, name, detail, checkpoint))
        else:
            self.more += 1


@dataclass(slots=True)
class _Case:
    last_case_seq: int = 0
    state: str | None = None
    previous: str | None = None
    last_move_seq: int | None = None
    edges: frozenset[tuple[str, str, str]] = frozenset()
    initial: str = ""
    states: frozenset[str] = frozenset()
    #: The edges, each with who may take it and what it needs (``workflow.replay``).
    steps: Mapping[tuple[str, str, str], Step] = field(default_factory=dict)
    known: bool = True
    procedure: str = ""
    #: The version in force at this point of the case (a migration changes it).
    version: int | None = None

    def use(self, procedure: str, version: int) -> None:
        self.edges, self.initial, self.states = procedure_edges(procedure, version)
        self.steps = steps_of(procedure, version)
        self.procedure, self.version = procedure, version


@dataclass(slots=True)
class _Walk:
    """Running state of one pass over the records."""

    findings: _Findings
    log_id: str | None
    cases: Mapping[str, CaseState]
    wanted: set[int] = field(default_factory=set)
    seen_hash: dict[int, str] = field(default_factory=dict)
    case_walks: dict[str, _Case] = field(default_factory=dict)
    replay: Replay = field(default_factory=Replay)
    authority: bool = True
    expected_seq: int = 1
    prev_hash: str = GENESIS_HASH
    #: ``log_id`` as a JSON string, as each record's header holds it.
    log_json: str = ""
    #: Whether ``prev_hash`` is a hex digest this walk computed (the genesis hash, or that of a
    #: record ``usual_step`` took), which a header holds unescaped.
    link_is_digest: bool = True

    def __post_init__(self) -> None:
        if self.log_id is not None:
            self.log_json = _string(self.log_id)

    count: int = 0
    last_seq: int = 0

    def case_walk(self, reference: str, seq: int) -> _Case:
        walk = self.case_walks.get(reference)
        if walk is None:
            info = self.cases.get(reference)
            walk = _Case()
            if info is None:
                walk.known = False
                self.findings.add(
                    seq,
                    "case",
                    Message(
                        N_("case {reference} has records but no case row"), reference=reference
                    ),
                )
            self.case_walks[reference] = walk
        return walk

    def use_version(self, walk: _Case, seq: int, reference: str, procedure: Any,
                    version: Any) -> None:  # fmt: skip
        """Check the case's records from here on against *procedure* *version*."""
        try:
            walk.use(str(procedure), int(version))
        except Exception as exc:  # an unknown or broken definition is a finding
            walk.known = False
            self.findings.add(
                seq,
                "case",
                Message(
                    N_(
                        "case {reference}: procedure {procedure} v{version} cannot be loaded "
                        "({error})"
                    ),
                    reference=reference,
                    procedure=procedure,
                    version=version,
                    error=type(exc).__name__,
                ),
            )

    def usual_step(self, row: Sequence[Any]) -> bool:
        """Check and walk the usual record in one go: a step of a known case, with nothing to
        find but (perhaps) its authority. ``False``, having changed nothing, for any other
        record or at the first doubt: ``record`` then checks it in full and says what is
        wrong. Most of a log is steps; these are ``record``'s checks in the order they pass."""
        if len(row) != _WIDTH:
            return False
        (seq, log, version, kind, reference, case_seq, trigger, source, dest, actor, role,
         os_user, at, fields_text, note, payload, prev, digest) = row  # fmt: skip
        try:
            if (
                kind != "transition"
                or type(seq) is not int
                or seq != self.expected_seq
                or prev != self.prev_hash
                or type(version) is not int
                or version != RECORD_VERSION
                or type(case_seq) is not int
                or (self.log_id is not None and log != self.log_id)
                or seq in self.wanted
            ):
                return False
            walk = self.case_walks.get(reference)
            if (
                walk is None
                or not walk.known
                or walk.version is None
                or walk.state is None
                or source != walk.state
                or case_seq != walk.last_case_seq + 1
            ):
                return False
            step = walk.steps.get((trigger, source, dest))  # an edge of its procedure
            if step is None:
                return False
            # Every text column NFC (TypeError: one is not text); the short ones together, as
            # ``record`` does, where ``isascii`` (which costs nothing) mostly settles it.
            joined = "\n".join(
                (log, kind, reference, trigger, source, dest, actor, at,
                 "" if role is None else role, "" if os_user is None else os_user)
            )  # fmt: skip
            if not (
                (joined.isascii() or unicodedata.is_normalized("NFC", joined))
                and (fields_text.isascii() or unicodedata.is_normalized("NFC", fields_text))
                and (note.isascii() or unicodedata.is_normalized("NFC", note))
            ):
                return False
            if fields_text == "{}":
                parsed: dict[str, Any] = {}
            else:
                parsed, end = _scan(fields_text, 0)  # StopIteration: not JSON
                if (
                    end != len(fields_text)
                    or type(parsed) is not dict
                    or "".join(_encode_chunks(parsed, 0)) != fields_text  # _canonical_text
                ):
                    return False
            s = _string
            body = f'{{"fields":{fields_text},"note":{s(note)}}}'
            if _sha256(body.encode("utf-8")).hexdigest() != payload:
                return False
            # _HEADER, spelt out: an f-string is a fifth quicker than formatting (the ints are
            # ints, so written as JSON writes them). A hex digest needs no escaping: the payload
            # hash is the one just computed, the link mostly the one the record before hashed to.
            link = '"' + prev + '"' if self.link_is_digest else s(prev)
            header = (
                f'\x00{{"actor":{s(actor)},"at":{s(at)},"case":{s(reference)},'
                f'"case_seq":{case_seq},"from":{s(source)},"kind":{s(kind)},'
                f'"log":{self.log_json if self.log_id is not None else s(log)},'
                f'"os_user":{"null" if os_user is None else s(os_user)},"payload":"{payload}",'
                f'"prev":{link},'
                f'"role":{"null" if role is None else s(role)},"seq":{seq},'
                f'"to":{s(dest)},"trigger":{s(trigger)},"v":{version}}}'
            )
            if _sha256(header.encode("utf-8")).hexdigest() != digest:
                return False
        except (*_MALFORMED, StopIteration):
            return False
        # It holds: walk on as ``record`` would.
        self.expected_seq = seq + 1
        self.count += 1
        self.last_seq = seq
        walk.last_case_seq = case_seq
        if dest != walk.state:
            walk.previous = walk.state
        walk.state = dest
        walk.last_move_seq = seq
        if self.authority:
            try:
                for detail in self.replay.step(
                    reference, step, trigger, actor, role, parsed, note
                ):
                    self.findings.add(seq, "authority", detail)
            except _MALFORMED as exc:
                self.malformed(seq, exc)
        self.prev_hash = digest
        self.link_is_digest = True
        return True

    def malformed(self, seq: int, exc: BaseException) -> None:
        self.findings.add(
            seq, "row", Message(N_("malformed stored values ({error})"), error=type(exc).__name__)
        )

    def record(self, row: Sequence[Any]) -> None:
        """Check one record in full and walk on."""
        self.link_is_digest = False
        f = self.findings
        seq = row[0]
        if isinstance(seq, bool) or not isinstance(seq, int):
            f.add(
                self.expected_seq,
                "sequence",
                Message(N_("not an integer: {value}"), value=repr(seq)),
            )
            self.expected_seq += 1
            self.prev_hash = row[17] if isinstance(row[17], str) else ""
            return
        if seq != self.expected_seq:
            if seq > self.expected_seq:
                missing = f"#{self.expected_seq}" + (
                    f"–#{seq - 1}" if seq - 1 > self.expected_seq else ""
                )
                f.add(
                    self.expected_seq,
                    "sequence",
                    Message(N_("{missing} missing (gap before #{seq})"), missing=missing, seq=seq),
                )
            else:
                f.add(
                    seq,
                    "sequence",
                    Message(
                        N_("#{seq} out of order (expected #{expected_seq})"),
                        seq=seq,
                        expected_seq=self.expected_seq,
                    ),
                )
        self.expected_seq = seq + 1
        self.count += 1
        self.last_seq = seq
        stored_hash = row[17]
        if seq in self.wanted:
            self.seen_hash[seq] = stored_hash if isinstance(stored_hash, str) else ""
        try:
            self._record_body(row, seq)
        except _MALFORMED as exc:
            self.malformed(seq, exc)
        self.prev_hash = stored_hash if isinstance(stored_hash, str) else ""

    def _record_body(self, row: Sequence[Any], seq: int) -> None:
        f = self.findings
        if len(row) != _WIDTH:
            raise ValueError("wrong number of columns")
        if self.log_id is not None and row[1] != self.log_id:
            f.add(
                seq,
                "log_id",
                Message(
                    N_("{value} is not this database's log {log}"),
                    value=repr(row[1]),
                    log=self.log_id,
                ),
            )
        if row[2] != RECORD_VERSION:
            f.add(
                seq,
                "record_version",
                Message(N_("unknown record version {value}"), value=repr(row[2])),
            )
        if row[16] != self.prev_hash:
            f.add(
                seq,
                "prev_hash",
                Message(N_("does not equal the previous record's hash (link broken)")),
            )
        # The text columns, joined by a character that composes with nothing: one check for the
        # usual row (all text, all NFC); column by column only when that fails.
        try:
            joined = "\n".join([v for v in _texts(row) if v is not None])
        except TypeError:
            joined = None
        if joined is None or not (joined.isascii() or unicodedata.is_normalized("NFC", joined)):
            for i in _TEXT_COLUMNS:
                value = row[i]
                if value is None:
                    continue
                if type(value) is not str:
                    raise TypeError(COLUMNS[i])
                if not value.isascii() and not unicodedata.is_normalized("NFC", value):
                    f.add(seq, COLUMNS[i], Message(N_("stored text is not NFC")))
        case_seq = row[5]
        if case_seq is not None and (isinstance(case_seq, bool) or not isinstance(case_seq, int)):
            raise TypeError(COLUMNS[5])
        fields_text, note = row[13], row[14]
        if not isinstance(fields_text, str) or not isinstance(note, str):
            raise TypeError("fields/note")
        payload_ok = True
        parsed: Any
        try:
            if fields_text == "{}":
                parsed, canonical = {}, True
            else:
                # raw_decode: canonical text has no whitespace to skip; anything after the
                # object leaves it non-canonical.
                parsed, end = _DECODER.raw_decode(fields_text)
                if end != len(fields_text):
                    raise ValueError("text after the object")
                canonical = canonical_fields(fields_text, parsed)
        except (ValueError, TypeError, RecursionError):
            parsed, canonical = None, False
        if not canonical or not isinstance(parsed, dict):
            f.add(
                seq,
                "fields",
                Message(N_("not canonical JSON of an object (the stored text was edited)")),
            )
            payload_ok = False
        if note and not note.isascii() and not unicodedata.is_normalized("NFC", note):
            f.add(seq, "note", Message(N_("stored text is not NFC")))
            payload_ok = False
        stored_hash = row[17]
        if payload_ok:
            payload = expected_payload(fields_text, note)
            recomputed = expected_hash(row)
            if payload == row[15] and recomputed == stored_hash:
                pass  # the usual record: payload and hash hold (so the hash is a hex digest)
            else:
                if not _is_hex64(stored_hash):
                    f.add(seq, "hash", Message(N_("not a SHA-256 hex digest")))
                if payload != row[15]:
                    if expected_hash(row, payload) == stored_hash:
                        f.add(
                            seq,
                            "payload_sha256",
                            Message(N_("the stored payload hash was changed")),
                        )
                    else:
                        f.add(
                            seq,
                            "payload (fields/note)",
                            Message(N_("fields or note differ from what the payload hash covers")),
                        )
                elif recomputed != stored_hash:
                    f.add(
                        seq,
                        "hash",
                        Message(
                            N_(
                                "the stored hash does not match the record's columns "
                                "(a column or the hash itself was changed)"
                            )
                        ),
                    )
        else:
            if not _is_hex64(stored_hash):
                f.add(seq, "hash", Message(N_("not a SHA-256 hex digest")))
            if expected_hash(row) != stored_hash:
                f.add(
                    seq, "hash", Message(N_("the stored hash does not match the record's columns"))
                )
        self._semantics(row, seq, parsed)
        if self.authority:
            self._authority(row, seq, parsed)

    def _authority(self, row: Sequence[Any], seq: int, parsed: Any) -> None:
        """Could the product have written this record? (``workflow.replay``)."""
        reference = row[4]
        walk = self.case_walks.get(reference) if reference is not None else None
        definition = (
            (walk.procedure, walk.version)
            if walk is not None and walk.known and walk.version is not None
            else None
        )
        for detail in self.replay.record(
            kind=row[3],
            reference=reference,
            trigger=row[6],
            source=row[7],
            dest=row[8],
            actor=row[9],
            role=row[10],
            fields=parsed if isinstance(parsed, dict) else {},
            note=row[14],
            definition=definition,
            seq=seq,
        ):
            self.findings.add(seq, "authority", detail)

    def _semantics(self, row: Sequence[Any], seq: int, parsed: Any) -> None:
        f = self.findings
        kind, reference, case_seq, trigger, source, dest = (
            row[3],
            row[4],
            row[5],
            row[6],
            row[7],
            row[8],
        )
        if kind == "head_export" and (
            not isinstance(parsed, dict)
            or parsed.get("size") != seq - 1
            or parsed.get("head") != row[16]
        ):
            f.add(
                seq,
                "head_export",
                Message(N_("the exported size/head is not the record before it")),
            )
        if reference is None:
            if kind not in CASELESS_KINDS and kind not in MAYBE_CASELESS_KINDS:
                f.add(seq, "kind", Message(N_("a '{kind}' record without a case"), kind=kind))
            if case_seq is not None:
                f.add(seq, "case_seq", Message(N_("set on a record without a case")))
            return
        if kind in CASELESS_KINDS or (kind not in MOVING_KINDS and kind not in STILL_KINDS):
            f.add(seq, "kind", Message(N_("'{kind}' is not a kind of case record"), kind=kind))
            return
        walk = self.case_walk(reference, seq)
        fields = parsed if isinstance(parsed, dict) else {}
        if walk.known and walk.version is None and kind in {"open", "import"}:
            info = self.cases.get(reference)
            self.use_version(
                walk,
                seq,
                reference,
                fields.get("procedure", info.procedure if info else None),
                fields.get("version", info.version if info else None),
            )
        if case_seq != walk.last_case_seq + 1:
            f.add(
                seq,
                "case_seq",
                Message(
                    N_("case {reference}: #{case_seq} follows #{last_case_seq}"),
                    reference=reference,
                    case_seq=case_seq,
                    last_case_seq=walk.last_case_seq,
                ),
            )
        walk.last_case_seq = case_seq if isinstance(case_seq, int) else walk.last_case_seq + 1
        if walk.known and walk.version is None:
            f.add(
                seq,
                "transition",
                Message(
                    N_("case {reference}: a '{kind}' record before it was opened"),
                    reference=reference,
                    kind=kind,
                ),
            )
            walk.known = False
        if not walk.known:
            return
        if kind == "migrate":
            self._migration(walk, row, seq, fields)
            return
        if kind in STILL_KINDS:
            if dest is not None:
                f.add(
                    seq,
                    "dest",
                    Message(
                        N_("a '{kind}' record may not move case {reference}"),
                        kind=kind,
                        reference=reference,
                    ),
                )
            if kind == "denied" and source != walk.state:
                f.add(
                    seq,
                    "source",
                    Message(
                        N_("case {reference} was in '{state}', not '{source}'"),
                        reference=reference,
                        state=walk.state,
                        source=source,
                    ),
                )
            return
        if kind == "open" or (kind == "import" and walk.state is None):
            if walk.state is not None:
                f.add(
                    seq,
                    "transition",
                    Message(N_("case {reference} opened twice"), reference=reference),
                )
            expected_dest = walk.initial if kind == "open" else dest
            if source is not None or dest != expected_dest or dest not in walk.states:
                f.add(
                    seq,
                    "transition",
                    Message(
                        N_("case {reference} cannot start in '{dest}'"),
                        reference=reference,
                        dest=dest,
                    ),
                )
        elif walk.state is None:
            f.add(
                seq,
                "transition",
                Message(N_("case {reference} moves before it was opened"), reference=reference),
            )
        elif source != walk.state:
            f.add(
                seq,
                "transition",
                Message(
                    N_("case {reference}: from '{source}' but it was in '{state}'"),
                    reference=reference,
                    source=source,
                    state=walk.state,
                ),
            )
        elif kind == "transition" and (trigger, source, dest) not in walk.edges:
            f.add(
                seq,
                "transition",
                Message(
                    N_(
                        "case {reference}: '{trigger}' {source} → {dest} is not a step of its "
                        "procedure"
                    ),
                    reference=reference,
                    trigger=trigger,
                    source=source,
                    dest=dest,
                ),
            )
        elif kind == "import" and dest not in walk.states:
            f.add(
                seq,
                "transition",
                Message(
                    N_("case {reference}: unknown state '{dest}'"), reference=reference, dest=dest
                ),
            )
        if kind == "import":
            walk.previous = None
        elif dest != walk.state:
            walk.previous = walk.state
        walk.state = dest
        walk.last_move_seq = seq

    def _migration(
        self, walk: _Case, row: Sequence[Any], seq: int, fields: Mapping[str, Any]
    ) -> None:
        """A migration: checked against the version it leaves, then the case runs under the new
        one; its state (and resume target) go where the recorded mapping, or the same id, says."""
        problem = _migration_problem(walk, row, fields)
        if problem is not None:
            self.findings.add(seq, "transition", problem)
        mapping = fields.get("map") if isinstance(fields.get("map"), dict) else {}
        self.use_version(walk, seq, str(row[4]), walk.procedure, fields.get("to_version"))
        if not walk.known:
            return
        expected = _map_state(walk.state, mapping or {}, walk.states)
        if row[8] != expected:
            self.findings.add(
                seq,
                "transition",
                Message(
                    N_(
                        "case {reference}: migrated to '{dest}' where its mapping leads to "
                        "'{expected}'"
                    ),
                    reference=row[4],
                    dest=row[8],
                    expected=expected,
                ),
            )
        walk.previous = _map_state(walk.previous, mapping or {}, walk.states)
        walk.state = row[8]
        walk.last_move_seq = seq


def _map_state(
    state: str | None, mapping: Mapping[str, Any], states: frozenset[str]
) -> str | None:
    """Where a migration takes *state*: its mapping, else the same id if the new version has it."""
    if state is None:
        return None
    target = mapping.get(state, state)
    return target if isinstance(target, str) and target in states else None


def _migration_problem(walk: _Case, row: Sequence[Any], fields: Mapping[str, Any]) -> str | None:
    source, reference = row[7], row[4]
    if fields.get("procedure") != walk.procedure or fields.get("from_version") != walk.version:
        return Message(
            N_(
                "case {reference}: migration from {procedure} v{version}, but it ran under "
                "{walked} v{walked_version}"
            ),
            reference=reference,
            procedure=fields.get("procedure"),
            version=fields.get("from_version"),
            walked=walk.procedure,
            walked_version=walk.version,
        )
    if source != walk.state:
        return Message(
            N_("case {reference}: migration from '{source}' but it was in '{state}'"),
            reference=reference,
            source=source,
            state=walk.state,
        )
    return None


def verify_rows(
    rows: Iterable[Sequence[Any]],
    *,
    log_id: str | None,
    cases: Mapping[str, CaseState],
    head: tuple[int, str, str] | None,
    checkpoints: Sequence[tuple[str, HeadDocument | str]] = (),
    storage: Sequence[str] = (),
    officers: Mapping[str, tuple[Actor, int | None]] | None = None,
    settings: Mapping[str, str] | None = None,
    replay: bool = True,
) -> VerifyResult:
    """Verify records given as tuples in ``COLUMNS`` order, ordered by ``seq``.

    *head* is the head row (seq, hash, log id) or ``None`` when missing; *checkpoints* pairs each
    file name with its already signature-checked document, or with why it could not be used;
    *storage* lists storage-level findings made by the caller; *officers* (id → (registration,
    latest event seq)) and *settings* are the rows the product relies on, compared with what the
    log makes of them when given. ``replay=False`` checks the chain and the procedure's graph
    only, not who could make each record (for synthetic fixtures). Never raises on bad data.
    """
    findings = _Findings()
    for message in storage:
        findings.add(None, "storage", message)
    docs = [(p, d) for p, d in checkpoints if isinstance(d, HeadDocument)]
    walk = _Walk(
        findings, log_id, cases, wanted={d.size for _, d in docs if d.size > 0}, authority=replay
    )
    usual_step, record = walk.usual_step, walk.record
    for row in rows:
        if not usual_step(row):
            record(row)
    size = walk.count
    last_hash = walk.prev_hash if size else GENESIS_HASH
    # Cases: the cases table against what the records imply.
    for reference, info in sorted(cases.items()):
        case_walk = walk.case_walks.get(reference)
        if case_walk is None:
            findings.add(
                None,
                "case",
                Message(N_("case {reference} has no audit records"), reference=reference),
            )
        elif case_walk.known and case_walk.version not in (None, info.version):
            findings.add(
                case_walk.last_move_seq,
                "version",
                Message(
                    N_("case {reference} runs under v{version} but its records under v{walked}"),
                    reference=reference,
                    version=info.version,
                    walked=case_walk.version,
                ),
            )
        elif case_walk.known and case_walk.state != info.state:
            findings.add(
                case_walk.last_move_seq,
                "state",
                Message(
                    N_("case {reference} is '{state}' but its records end in '{walked}'"),
                    reference=reference,
                    state=info.state,
                    walked=case_walk.state,
                ),
            )
        elif (
            case_walk.known
            and info.previous_state is not ...
            and case_walk.previous != info.previous_state
        ):
            findings.add(
                case_walk.last_move_seq,
                "previous_state",
                Message(
                    N_(
                        "case {reference} would resume to '{state}' but its records left "
                        "'{walked}'"
                    ),
                    reference=reference,
                    state=info.previous_state,
                    walked=case_walk.previous,
                ),
            )
        if walk.authority and case_walk is not None and info.details is not None:
            for problem in walk.replay.case_problems(reference, info.details):
                findings.add(case_walk.last_move_seq, "case", problem)
    if replay and officers is not None:
        for problem in walk.replay.officer_problems(officers):
            findings.add(None, "officers", problem)
    if replay and settings is not None:
        for problem in walk.replay.settings_problems(
            settings.get("log_id"), settings.get("training")
        ):
            findings.add(None, "settings", problem)
    # The head row.
    if head is None:
        findings.add(None, "head", Message(N_("the audit head row is missing")))
    else:
        head_seq, head_hash, head_log = head
        if head_seq != walk.last_seq or head_hash != last_hash:
            findings.add(
                min(head_seq, walk.last_seq) + 1 if isinstance(head_seq, int) else None,
                "head",
                Message(
                    N_(
                        "the head row says #{seq} {hash}…, the log ends at #{last_seq} "
                        "{last_hash}…"
                    ),
                    seq=head_seq,
                    hash=str(head_hash)[:12],
                    last_seq=walk.last_seq,
                    last_hash=last_hash[:12],
                ),
            )
        if log_id is not None and head_log != log_id:
            findings.add(
                None,
                "head",
                Message(
                    N_("the head row names log {head_log}, not {log_id}"),
                    head_log=head_log,
                    log_id=log_id,
                ),
            )
    # Checkpoints.
    statuses: list[CheckpointStatus] = []
    for path, doc in checkpoints:
        if not isinstance(doc, HeadDocument):
            statuses.append(CheckpointStatus(path, False, doc))
            findings.add(
                None,
                "checkpoint",
                Message(N_("{file}: {detail}"), file=Path(path).name, detail=doc),
                checkpoint=True,
            )
            continue
        detail = _compare_checkpoint(doc, log_id, walk, last_hash)
        statuses.append(
            CheckpointStatus(
                path,
                detail is None,
                detail or Message(N_("consistent")),
                doc.size,
                doc.head,
                doc.at,
            )
        )
        if detail is not None:
            bad = walk.last_seq + 1 if doc.size > walk.last_seq else max(doc.size, 1)
            findings.add(
                bad,
                "checkpoint",
                Message(N_("{file}: {detail}"), file=Path(path).name, detail=detail),
                checkpoint=True,
            )
    warnings = () if checkpoints else (NO_CHECKPOINT_WARNING,)
    return VerifyResult(
        log_id=log_id,
        records=size,
        head=last_hash,
        cases=len(cases),
        problems=tuple(findings.items),
        more_problems=findings.more,
        checkpoints=tuple(statuses),
        warnings=warnings,
    )


def _compare_checkpoint(
    doc: HeadDocument, log_id: str | None, walk: _Walk, last_hash: str
) -> str | None:
    if log_id is not None and doc.log != log_id:
        return Message(
            N_("belongs to log {log}, not this database's log {log_id}"),
            log=doc.log,
            log_id=log_id,
        )
    if doc.size > walk.last_seq:
        return Message(
            N_(
                "the checkpoint of {at} saw {size} records but the log has {records}: records "
                "#{first}–#{size} were removed (tail truncated or an older backup restored)"
            ),
            at=doc.at,
            size=doc.size,
            records=walk.last_seq,
            first=walk.last_seq + 1,
        )
    stored = GENESIS_HASH if doc.size == 0 else walk.seen_hash.get(doc.size)
    if stored != doc.head:
        return Message(
            N_(
                "the hash of record #{size} differs from the checkpoint of {at}: the log was "
                "rewritten at or before #{size} (re-chained, or restored and continued)"
            ),
            size=doc.size,
            at=doc.at,
        )
    return None


# ---------------------------------------------------------------------- the database
def _integrity_findings(conn: Connection) -> list[str]:
    """SQLite's ``PRAGMA integrity_check``, as a finding when it is not ``ok``."""
    results = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
    if results != ["ok"]:
        return ["PRAGMA integrity_check: " + "; ".join(str(r) for r in results[:5])]
    return []


#: How much of the file the integrity check maps (SQLite caps it at its own limit).
_INTEGRITY_MMAP = 1 << 32


def _integrity_beside(engine: Engine) -> Callable[[], list[str]] | None:
    """``_integrity_findings`` of a SQLite file, started on a connection of its own in a
    thread; call the function returned for its findings once the records are read.

    The check reads every page of the file (a seventh of a verify's time) and SQLite leaves
    Python's lock while it runs, so it takes a second core while the records are checked.
    ``None`` for PostgreSQL, and for an in-memory database, which no other connection sees.
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or ":memory:" in url.database:
        return None
    if "memory" in str(url.query.get("mode", "")):
        return None
    outcome: list[list[str] | BaseException] = []

    def check() -> None:
        try:
            with engine.connect() as conn:
                # The file mapped rather than read page by page: a quarter less CPU for a
                # million records (no system call per page); the pooled connection is left
                # as it was found.
                conn.exec_driver_sql(f"PRAGMA mmap_size={_INTEGRITY_MMAP}").fetchall()
                try:
                    outcome.append(_integrity_findings(conn))
                finally:
                    conn.exec_driver_sql("PRAGMA mmap_size=0").fetchall()
        except BaseException as exc:  # handed to the caller, who raises it
            outcome.append(exc)

    thread = threading.Thread(target=check, name="sistercity-integrity-check", daemon=True)
    thread.start()

    def findings() -> list[str]:
        thread.join()
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    return findings


def _storage_findings(conn: Connection, integrity: bool = True) -> list[str]:
    """Storage-level findings: the integrity check (*integrity*: here, on SQLite) and the
    append-only and identity triggers."""
    found: list[str] = []
    if integrity and conn.dialect.name == "sqlite":
        found.extend(_integrity_findings(conn))
    expected = append_only.TRIGGER_NAMES.get(conn.dialect.name, ())
    present = append_only.installed(conn)
    missing = [n for n in expected if n not in present]
    if missing:
        found.append(
            Message(N_("append-only trigger(s) missing: {names}"), names=", ".join(missing))
        )
    elif conn.dialect.name == "postgresql":
        disabled = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname = 'audit_records' AND NOT t.tgisinternal AND t.tgenabled = 'D'"
            )
        ]
        if disabled:
            found.append(
                Message(
                    N_("append-only trigger(s) disabled: {names}"),
                    names=", ".join(sorted(disabled)),
                )
            )
    if pg_identity.migrated(conn):
        enabled = pg_identity.installed(conn)
        off = [n for n in pg_identity.TRIGGERS.values() if n not in enabled]
        if off:
            found.append(
                Message(
                    N_("identity trigger(s) missing or disabled: {names}"), names=", ".join(off)
                )
            )
    return found


#: The records in ``COLUMNS`` order (``trigger`` quoted: a keyword in SQLite).
RECORDS_SQL = (
    'SELECT seq, log_id, record_version, kind, case_reference, case_seq, "trigger", source, '
    "dest, actor_id, actor_role, os_user, occurred_at, fields, note, payload_sha256, "
    "prev_hash, hash FROM audit_records ORDER BY seq"
)


def _stream(conn: Connection, batch: int) -> Iterator[tuple[Any, ...]]:
    """Every record as the driver's own tuple, in this transaction, in constant memory.

    A million rows pass through here: the DB-API cursor hands out tuples with nothing in
    between (a server-side cursor on PostgreSQL, so rows arrive *batch* at a time).
    """
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        cursor = driver.cursor(name="sistercity_verify")  # type: ignore[union-attr]
        cursor.itersize = batch
    else:
        cursor = driver.cursor()  # type: ignore[union-attr]
        cursor.arraysize = batch
    try:
        cursor.execute(RECORDS_SQL)
        while chunk := cursor.fetchmany(batch):
            yield from chunk
    finally:
        cursor.close()


def verify_database(
    engine: Engine,
    checkpoints: Sequence[str | Path] = (),
    trusted_key: Ed25519PublicKey | None = None,
    batch: int = 5000,
    progress: Progress | None = None,
) -> VerifyResult:
    """Verify the database behind *engine* in one read-only transaction; *progress* is told
    how many records were read."""
    docs: list[tuple[str, HeadDocument | str]] = []
    for path in checkpoints:
        if trusted_key is None:
            docs.append(
                (str(path), Message(N_("no trusted public key given to check its signature")))
            )
            continue
        try:
            docs.append((str(path), read_checkpoint(path, trusted_key)))
        except CheckpointInvalid as exc:
            given = exc.args[0] if exc.args else ""
            docs.append((str(path), given if isinstance(given, Message) else str(exc)))
    integrity = _integrity_beside(engine)
    conn = engine.connect()
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    try:
        with conn.begin():
            storage = _storage_findings(conn, integrity=integrity is None)
            settings = dict(conn.execute(select(SETTINGS.c.key, SETTINGS.c.value)).all())
            log_id = settings.get("log_id")
            head_row = conn.execute(
                select(AUDIT_HEAD.c.seq, AUDIT_HEAD.c.hash, AUDIT_HEAD.c.log_id).where(
                    AUDIT_HEAD.c.id == 1
                )
            ).one_or_none()
            cases = {
                r.reference: CaseState(
                    r.procedure,
                    r.version,
                    r.state,
                    r.previous_state,
                    {k: getattr(r, k) for k in (*IDENTITY, "opened_by", "trigger_actors")},
                )
                for r in conn.execute(select(CASES))
            }
            officers = {
                r.id: (
                    Actor(
                        r.id, r.name, frozenset(r.roles), r.province, r.os_user, bool(r.deputy),
                        bool(r.retired), r.pg_login,
                    ),
                    r.audit_seq,
                )
                for r in conn.execute(select(OFFICERS))
            }  # fmt: skip
            rows = _stream(conn, batch)
            if progress is not None:
                size = head_row[0] if head_row is not None and isinstance(head_row[0], int) else 0
                rows = reporting(rows, size, progress)
            result = verify_rows(
                rows,
                log_id=log_id,
                cases=cases,
                head=tuple(head_row) if head_row is not None else None,
                checkpoints=docs,
                storage=storage,
                officers=officers,
                settings=settings,
            )
    finally:
        conn.close()
    return result if integrity is None else _storage_first(result, integrity())


def _storage_first(result: VerifyResult, storage: Sequence[str]) -> VerifyResult:
    """*result* as ``verify_rows`` would have given it with *storage* among its storage
    findings: they come first, and the listed problems stay the first ``_MAX_LISTED``."""
    if not storage:
        return result
    problems = [Problem(None, "storage", message) for message in storage]
    problems.extend(result.problems)
    return replace(
        result,
        problems=tuple(problems[:_MAX_LISTED]),
        more_problems=result.more_problems + max(len(problems) - _MAX_LISTED, 0),
    )
