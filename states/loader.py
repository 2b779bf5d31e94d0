"""Find, parse and check procedure files; every failure becomes one readable line."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from states.errors import InvalidDefinition, UnknownProcedure
from states.schema import ProcedureDefinition

DEFAULT_PROCEDURE = "provincial"


@dataclass(frozen=True)
class LoadedDefinition:
    """A definition together with the SHA-256 of the exact bytes it came from."""

    definition: ProcedureDefinition
    sha256: str
    path: str


def _procedures_root() -> Path:
    return Path(str(resources.files("states") / "procedures"))


def parse_definition(data: bytes, origin: str) -> LoadedDefinition:
    """Parse TOML bytes into a checked definition; *origin* names the file in messages."""
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidDefinition(f"{origin}: not valid UTF-8 TOML: {exc}") from None
    try:
        definition = ProcedureDefinition.model_validate(raw)
    except ValidationError as exc:
        raise InvalidDefinition(f"{origin}: {_one_line(exc)}") from None
    return LoadedDefinition(definition, hashlib.sha256(data).hexdigest(), origin)


def load_file(path: str | Path) -> LoadedDefinition:
    """Load any definition file, released or draft (``procedure check``)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InvalidDefinition(f"{p}: cannot read: {exc.strerror}") from None
    return parse_definition(data, str(p))


def available_procedures() -> dict[str, list[int]]:
    """Shipped procedures and their released versions, oldest first."""
    found: dict[str, list[int]] = {}
    root = _procedures_root()
    for folder in sorted(root.iterdir()):
        versions = sorted(int(f.stem[1:]) for f in folder.glob("v*.toml") if f.stem[1:].isdigit())
        if versions:
            found[folder.name] = versions
    return found


def load_procedure(name: str = DEFAULT_PROCEDURE, version: int | None = None) -> LoadedDefinition:
    """Load a shipped version; ``None`` means the newest one."""
    known = available_procedures()
    if name not in known:
        raise UnknownProcedure(
            f"unknown procedure '{name}' (known: {', '.join(sorted(known)) or 'none'})"
        )
    if version is None:
        version = known[name][-1]
    if version not in known[name]:
        listed = ", ".join(str(v) for v in known[name])
        raise UnknownProcedure(f"procedure '{name}' has no version {version} (known: {listed})")
    loaded = load_file(_procedures_root() / name / f"v{version}.toml")
    if (loaded.definition.procedure, loaded.definition.version) != (name, version):
        raise InvalidDefinition(f"{loaded.path}: file declares a different procedure or version")
    return loaded


def _one_line(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)
