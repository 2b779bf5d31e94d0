"""Validated definitions kept between runs, so that a command does not build validators.

Validating a definition file means building pydantic's validators for every class of
``states.schema``, which costs several times the start of Python itself; an officer's command runs
in a fresh process each time. So the first process to validate a file keeps the result, as plain
JSON named by the SHA-256 of the file's bytes and of the code that defines and checks it, in the
user's cache folder (like Python's own bytecode cache); later processes read it back into the same
frozen dataclasses without importing pydantic. A changed file has another SHA-256 and is validated
afresh; a changed schema has another code fingerprint; an entry that cannot be read is ignored and
written again. ``SISTERCITY_CACHE`` names the folder (``off`` keeps nothing): see
``states.cache_home``, which places rendered diagrams beside it too.

The entries are the user's own, like their bytecode: whoever can write to the folder can change
the user's installed code as well.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

from states import graph, schema, text
from states.cache_home import CACHE_ENV as CACHE_ENV
from states.cache_home import cache_folder


@cache
def _folder() -> Path | None:
    return cache_folder("definitions")


@cache
def _code_fingerprint() -> str:
    """The SHA-256 of the code that defines, checks and stores a definition."""
    digest = hashlib.sha256()
    for source in (schema.__file__, graph.__file__, text.__file__, __file__):
        digest.update(Path(str(source)).read_bytes())
    return digest.hexdigest()[:16]


def _entry(sha256: str) -> Path | None:
    folder = _folder()
    return None if folder is None else folder / f"{_code_fingerprint()}-{sha256}.json"


def load(sha256: str) -> schema.ProcedureDefinition | None:
    """The definition validated earlier from the file with this SHA-256, or ``None``."""
    entry = _entry(sha256)
    if entry is None:
        return None
    try:
        data = json.loads(entry.read_bytes())
        if data.get("sha256") != sha256:
            return None
        return typing.cast(
            schema.ProcedureDefinition, _build(schema.ProcedureDefinition, data["definition"])
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def store(sha256: str, definition: schema.ProcedureDefinition) -> None:
    """Keep *definition*, validated from the file with this SHA-256 (best effort: a folder that
    cannot be written just means validating again next time)."""
    entry = _entry(sha256)
    if entry is None:
        return
    body = json.dumps(
        {"sha256": sha256, "definition": dataclasses.asdict(definition)},
        ensure_ascii=False,
        default=_plain,
    ).encode("utf-8")
    partial = entry.with_name(f"{entry.name}.{os.getpid()}.partial")
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial.write_bytes(body)
        os.replace(partial, entry)
        for stale in entry.parent.glob(f"*-{sha256}.json"):  # kept by an earlier release
            if stale != entry:
                stale.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _build(kind: Any, value: Any) -> Any:
    """*value* (plain JSON data of an earlier validated definition) as the type *kind* again."""
    convert = _converter(kind)
    return value if convert is None else convert(value)


@cache
def _converter(kind: Any) -> Any:
    """A function turning plain JSON data into *kind*, or ``None`` where the data is the value
    (strings, numbers, booleans, literals): worked out once per type, not once per value."""
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        fields = {name: _converter(hint) for name, hint in typing.get_type_hints(kind).items()}

        def instance(value: dict[str, Any]) -> Any:
            return kind(
                **{
                    name: item if (c := fields[name]) is None or item is None else c(item)
                    for name, item in value.items()
                }
            )

        return instance
    origin = typing.get_origin(kind)
    if origin is tuple:
        inner = _converter(typing.get_args(kind)[0])
        return tuple if inner is None else lambda value: tuple(map(inner, value))
    if origin is dict:
        inner = _converter(typing.get_args(kind)[1])
        if inner is None:
            return None
        return lambda value: {key: inner(item) for key, item in value.items()}
    if origin in (typing.Union, types.UnionType):
        arms = [a for a in typing.get_args(kind) if a is not type(None)]
        converters = [_converter(a) for a in arms]
        if all(c is None for c in converters):
            return None
        [convert] = [c for c in converters if c is not None]  # X | None of a structured X
        return convert
    if kind is dt.date:
        return dt.date.fromisoformat
    return None
