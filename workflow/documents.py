"""Keeping the documents of approval steps (signed texts, letters), not only their hashes.

A step records each document by name, size and SHA-256. When asked to *keep* them, the step also
stores each file's bytes in the document store, in the same transaction as its audit record,
deduplicated by SHA-256, up to a size the office chooses; a larger file is recorded by hash
only, as before, and named so that the officer knows. ``document get`` gives a kept document
back after checking it against its hash.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from states import nfc
from states.i18n import N_
from workflow.catalog import engine_for_case
from workflow.errors import InvalidInput
from workflow.followup import MAX_DOCUMENT_BYTES
from workflow.ports import UnitOfWork
from workflow.services import find_case

#: The environment variable giving the largest document kept (e.g. ``20MB``).
KEEP_ENV = "SISTERCITY_KEEP_UP_TO"
DEFAULT_KEEP = 20 * 1024 * 1024
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3,
          "gb": 1024**3}  # fmt: skip


def parse_size(text: str) -> int:
    """``20MB``, ``500 KB`` or a number of bytes; at most the store's own limit."""
    m = _SIZE.match(text)
    if not m:
        raise InvalidInput(N_("'{text}' is not a size (e.g. 20MB, 500KB, 1048576)"), text=text)
    size = int(float(m.group(1)) * _UNITS[(m.group(2) or "").lower()])
    if size > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            N_("'{text}' is more than the {limit} MB a document may be"),
            text=text,
            limit=MAX_DOCUMENT_BYTES // 1024**2,
        )
    return size


def keep_limit(given: str | None = None) -> int:
    """The largest document kept: *given*, else ``SISTERCITY_KEEP_UP_TO``, else 20 MB."""
    text = given or os.environ.get(KEEP_ENV)
    return parse_size(text) if text else DEFAULT_KEEP


@dataclass(frozen=True)
class Kept:
    """The step's fields with each document read once, what to store, and what is too large."""

    fields: dict[str, Any]
    documents: tuple[tuple[Mapping[str, Any], bytes], ...]
    #: (field, file name, bytes) of the documents recorded by hash only.
    too_large: tuple[tuple[str, str, int], ...]


def keep_documents(
    uow: UnitOfWork,
    reference: str,
    fields: Mapping[str, Any],
    limit: int,
    only: Collection[str] | None = None,
) -> Kept:
    """Read the documents the step's fields name (fields of type ``file`` of the case's
    procedure, or only those of *only*): each becomes its record, read once, so what is stored
    is what is hashed."""
    with uow:
        definition = engine_for_case(find_case(uow, reference)).definition
    files = {f.name for f in definition.fields if f.type == "file"}
    values: dict[str, Any] = dict(fields)
    documents: list[tuple[Mapping[str, Any], bytes]] = []
    too_large: list[tuple[str, str, int]] = []
    for name, value in fields.items():
        if name not in files or not isinstance(value, str | Path):
            continue
        if only is not None and name not in only:
            continue
        path = Path(value)
        if not path.is_file():
            continue  # the step names the missing file in its own refusal
        size = path.stat().st_size
        if size > limit:
            too_large.append((name, nfc(path.name), size))
            continue
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(
                N_("cannot read {path}: {reason}"), path=value, reason=exc.strerror
            ) from None
        record = {
            "name": nfc(path.name),
            "sha256": hashlib.sha256(content).hexdigest(),
            "bytes": len(content),
        }
        values[name] = record
        documents.append((record, content))
    return Kept(values, tuple(documents), tuple(too_large))
