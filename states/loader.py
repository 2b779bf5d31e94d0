"""Find, parse and check procedure files; every failure becomes one readable line."""

from __future__ import annotations

import hashlib
import os
import typing
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from states import definition_cache
from states.errors import InvalidDefinition, UnknownProcedure
from states.i18n import N_
from states.schema import ProcedureDefinition, definition_problems

if TYPE_CHECKING:
    from pydantic import ValidationError

DEFAULT_PROCEDURE = "provincial"
#: A folder of procedure files (``NAME/vN.toml``) added to the shipped ones.
PROCEDURES_ENV = "SISTERCITY_PROCEDURES"


@dataclass(frozen=True)
class LoadedDefinition:
    """A definition together with the SHA-256 of the exact bytes it came from."""

    definition: ProcedureDefinition
    sha256: str
    path: str


def _procedures_root() -> Path:
    return Path(__file__).parent / "procedures"  # a package on disk, as installed


def _extra_roots() -> list[Path]:
    value = os.environ.get(PROCEDURES_ENV, "")
    return [Path(p) for p in value.split(os.pathsep) if p]


def parse_definition(data: bytes, origin: str) -> LoadedDefinition:
    """Parse TOML bytes into a checked definition; *origin* names the file in messages.

    Validated once per process for the same bytes (keyed by their SHA-256), and kept validated
    between processes (``states.definition_cache``).
    """
    digest = hashlib.sha256(data).hexdigest()
    return LoadedDefinition(_validated(digest, data, origin), digest, origin)


@cache
def _validated(digest: str, data: bytes, origin: str) -> ProcedureDefinition:
    kept = definition_cache.load(digest)
    if kept is not None:
        return kept
    import tomllib  # only for a file not validated before

    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidDefinition(
            N_("{origin}: not valid UTF-8 TOML: {reason}"), origin=origin, reason=str(exc)
        ) from None
    definition = _validate(raw, origin)
    definition_cache.store(digest, definition)
    return definition


def _validate(raw: Any, origin: str) -> ProcedureDefinition:
    """*raw* (parsed TOML) as a definition: pydantic checks every value's type, then the
    definition's own rules (references, the graph, variants) are checked."""
    from pydantic import ValidationError

    try:
        definition = _adapter().validate_python(raw)
    except ValidationError as exc:
        raise InvalidDefinition(
            N_("{origin}: {problems}"), origin=origin, problems=_one_line(exc)
        ) from None
    problems = definition_problems(definition)
    if problems:
        raise InvalidDefinition(
            N_("{origin}: {problems}"), origin=origin, problems="; ".join(problems)
        )
    return typing.cast(ProcedureDefinition, definition)


@cache
def _adapter() -> Any:
    """pydantic's validator for a definition, built once per process (and only on a file not
    validated before)."""
    from pydantic import TypeAdapter

    return TypeAdapter(ProcedureDefinition)


def load_file(path: str | Path) -> LoadedDefinition:
    """Load any definition file, released or draft (``procedure check``)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InvalidDefinition(
            N_("{path}: cannot read: {reason}"), path=str(p), reason=exc.strerror
        ) from None
    return parse_definition(data, str(p))


def _files() -> dict[tuple[str, int], Path]:
    """Every procedure file: the shipped ones, then those of ``SISTERCITY_PROCEDURES``."""
    found: dict[tuple[str, int], Path] = {}
    for root in (_procedures_root(), *_extra_roots()):
        if root != _procedures_root() and not root.is_dir():
            raise InvalidDefinition(
                N_("{variable}/--procedures: {path} is not a folder"),
                variable=PROCEDURES_ENV,
                path=str(root),
            )
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            for f in sorted(folder.glob("v*.toml")):
                if not f.stem[1:].isdigit():
                    continue
                key = (folder.name, int(f.stem[1:]))
                if key in found:
                    raise InvalidDefinition(
                        N_(
                            "{path}: {procedure} v{version} is already defined by {other}; a "
                            "procedures folder adds procedures and versions, it never replaces one"
                        ),
                        path=str(f),
                        procedure=key[0],
                        version=key[1],
                        other=str(found[key]),
                    )
                found[key] = f
    return found


def available_procedures() -> dict[str, list[int]]:
    """Procedures (shipped and from ``SISTERCITY_PROCEDURES``) and their versions, oldest first."""
    found: dict[str, list[int]] = {}
    for name, version in sorted(_files()):
        found.setdefault(name, []).append(version)
    return found


def load_all() -> list[LoadedDefinition]:
    """Every version of every procedure, in name and version order."""
    return [load_procedure(name, v) for name, vs in available_procedures().items() for v in vs]


def newest_definitions() -> list[LoadedDefinition]:
    """The newest version of every procedure: whose actions govern what is not a case's."""
    return [load_procedure(name) for name in available_procedures()]


def load_procedure(name: str = DEFAULT_PROCEDURE, version: int | None = None) -> LoadedDefinition:
    """Load a version (shipped or from the procedures folder); ``None`` means the newest one."""
    known = available_procedures()
    if name not in known:
        raise UnknownProcedure(
            N_("unknown procedure '{name}' (known: {known})"),
            name=name,
            known=", ".join(sorted(known)) or "none",
        )
    if version is None:
        version = known[name][-1]
    if version not in known[name]:
        listed = ", ".join(str(v) for v in known[name])
        raise UnknownProcedure(
            N_("procedure '{name}' has no version {version} (known: {known})"),
            name=name,
            version=version,
            known=listed,
        )
    loaded = load_file(_files()[(name, version)])
    if (loaded.definition.procedure, loaded.definition.version) != (name, version):
        raise InvalidDefinition(
            N_("{path}: file declares a different procedure or version"), path=loaded.path
        )
    return loaded


def _one_line(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)
