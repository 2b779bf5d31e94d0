"""Turn what an officer typed into the typed, hashed values an audit record keeps.

Documents are recorded by SHA-256 (plus name and size), so the record proves which file was
meant without the database holding the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from states import FieldSpec, ProcedureDefinition, TransitionSpec, nfc
from states.i18n import N_, Bilingual, Message, Text
from workflow.errors import InvalidInput, InvalidValue, MissingFields, as_message

MAX_TEXT = 2000
#: Longest note (the reason given for a step), and longest name (of an officer, a partner, a
#: Thai party): a clear refusal above these, never a megabyte in the log.
MAX_NOTE = 4000
MAX_NAME = 200


def check_length(what: str, text: str, limit: int) -> str:
    """*text* when it is at most *limit* characters and holds no NUL character (which no
    database text can keep: PostgreSQL refuses it), else a one-line refusal naming *what*."""
    if "\x00" in text:
        raise InvalidInput(
            N_("{what} contains a NUL character (0x00), which text cannot hold: remove it"),
            what=what,
        )
    if len(text) > limit:
        raise InvalidInput(
            N_("{what} has {length} characters; at most {limit} are accepted"),
            what=what,
            length=len(text),
            limit=limit,
        )
    return text


_SHA = re.compile(r"^[0-9a-f]{64}$")


def file_record(path: str | Path) -> dict[str, Any]:
    """Name, size and SHA-256 of a document, read in chunks."""
    p = Path(path)
    digest = hashlib.sha256()
    size = 0
    with p.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return {"name": nfc(p.name), "sha256": digest.hexdigest(), "bytes": size}


#: The largest amount accepted, in baht: one trillion (10^14 satang, well inside the 64-bit
#: integer columns amounts are stored in).
MAX_AMOUNT = Decimal("1000000000000")


def parse_amount(text: str) -> Decimal:
    """A non-negative baht amount with at most two decimals ("1,500,000" is accepted), at most
    ``MAX_AMOUNT``."""
    try:
        amount = Decimal(str(text).replace(",", "").strip())
    except InvalidOperation:
        raise InvalidValue(N_("expected an amount such as 150000 or 150000.50")) from None
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or amount < 0 or (isinstance(exponent, int) and exponent < -2):
        raise InvalidValue(N_("expected a non-negative amount with at most 2 decimals"))
    if amount > MAX_AMOUNT:
        raise InvalidValue(N_("at most {amount} baht can be recorded"), amount=f"{MAX_AMOUNT:,}")
    return amount.quantize(Decimal("0.01"))


def parse_date(text: str) -> dt.date:
    """A day as an officer types it: ``workflow.partial_dates.parse_day`` (ISO or D/M/YYYY, C.E.
    or B.E., a year of 2400 or more being B.E.)."""
    from workflow.partial_dates import parse_day

    return parse_day(str(text))


def _convert(spec: FieldSpec, raw: Any) -> Any:
    if spec.type == "file":
        # Several documents for one field (e.g. photos and a report as evidence of an activity)
        # are kept as a list of records; one document keeps the single-record form.
        if isinstance(raw, list | tuple):
            if not raw:
                raise InvalidValue(N_("no document given"))
            records = [_file_value(item) for item in raw]
            return records[0] if len(records) == 1 else records
        return _file_value(raw)
    return _scalar(spec, raw)


def convert(spec: FieldSpec, raw: Any) -> Any:
    """One field's value as a step records it (a document by its record, a date in ISO form),
    or ``ValueError`` saying what is wrong with it."""
    return _convert(spec, raw)


def _file_value(raw: Any) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        if not _SHA.match(str(raw.get("sha256", ""))):
            raise InvalidValue(N_("a document record needs a sha256"))
        return {
            "name": nfc(str(raw.get("name", ""))),
            "sha256": str(raw["sha256"]),
            "bytes": int(raw.get("bytes", 0)),
        }
    p = Path(str(raw))
    if not p.is_file():
        raise InvalidValue(N_("no such file: {path}"), path=raw)
    try:
        return file_record(p)
    except OSError as exc:
        raise InvalidValue(
            N_("cannot read {path}: {reason}"), path=raw, reason=exc.strerror
        ) from None


def _scalar(spec: FieldSpec, raw: Any) -> Any:
    if isinstance(raw, dt.date) and spec.type == "date":
        return raw.isoformat()
    text = nfc(str(raw)).strip()
    if not text:
        raise InvalidValue(N_("empty"))
    if spec.type == "date":
        return parse_date(text).isoformat()
    if spec.type == "integer":
        if not text.isdigit():
            raise InvalidValue(N_("expected a whole number"))
        return int(text)
    if spec.type == "amount":
        return f"{parse_amount(text):.2f}"
    if spec.type == "choice":
        if text not in spec.choices:
            raise InvalidValue(N_("expected one of {choices}"), choices=", ".join(spec.choices))
        return text
    if len(text) > MAX_TEXT:
        raise InvalidValue(N_("longer than {limit} characters"), limit=MAX_TEXT)
    if spec.type == "reference" and not any(c.isdigit() for c in text):
        raise InvalidValue(N_("a reference number must contain a number"))
    return text


def validate_fields(
    definition: ProcedureDefinition,
    spec: TransitionSpec,
    given: Mapping[str, Any],
    note: str,
) -> dict[str, Any]:
    """Check *given* against the trigger's needs; every problem is named at once."""
    problems: list[str] = []
    accepted = set(spec.requires) | set(spec.optional)
    for name in sorted(set(given) - accepted):
        allowed = ", ".join(sorted(accepted)) or Text(N_("none"))
        problems.append(
            Message(
                N_("{field}: not a field of '{trigger}' (accepts: {allowed})"),
                field=name,
                trigger=spec.trigger,
                allowed=allowed,
            )
        )
    values: dict[str, Any] = {}
    for name in (*spec.requires, *spec.optional):
        if name not in given or given[name] is None or given[name] == "":
            if name in spec.requires:
                label = definition.field(name).label
                problems.append(
                    Message(
                        N_("{field}: required ({label})"),
                        field=name,
                        label=Bilingual(label.en, label.th),
                    )
                )
            continue
        if isinstance(given[name], str) and "\x00" in given[name]:
            problems.append(Message(N_("{field}: contains a NUL character (0x00)"), field=name))
            continue
        try:
            values[name] = _convert(definition.field(name), given[name])
        except ValueError as exc:
            problems.append(Message("{field}: {reason}", field=name, reason=as_message(exc)))
    if spec.note_required and not note.strip():
        problems.append(Message(N_("note: required for this step (say why)")))
    if "\x00" in note:
        problems.append(Message(N_("note: contains a NUL character (0x00)")))
    if len(note) > MAX_NOTE:
        problems.append(
            Message(
                N_("note: {length} characters, at most {limit}"), length=len(note), limit=MAX_NOTE
            )
        )
    if problems:
        raise MissingFields(problems)
    return values
