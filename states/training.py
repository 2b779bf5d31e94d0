"""Training walks: a realistic case walked through a procedure, as data beside the procedure.

``sistercity demo`` builds its training database from
``states/procedures/provincial/training.toml``: the officers it registers, the case it opens and
every step it makes, with their fields. Like the procedure itself, the walk names states, steps
and roles only in data; this module reads and checks the file's shape, and the store turns it
into officers and steps.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from states.errors import InvalidDefinition
from states.i18n import N_
from states.text import NFCStr

TRAINING_FILE = "training.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Document(_Strict):
    """A document the walk records: *text*'s UTF-8 bytes under the file name *document*."""

    document: NFCStr
    text: NFCStr

    def recorded(self) -> dict[str, Any]:
        """The field value a step records for it: name, SHA-256 and size."""
        data = self.text.encode("utf-8")
        return {
            "name": self.document,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }


class Officer(_Strict):
    id: str
    name: NFCStr
    roles: tuple[str, ...]
    province: str | None = None


class OpenedCase(_Strict):
    day: dt.date
    officer: str
    province: str
    partner: NFCStr
    country: str
    partner_level: str
    instrument: str
    relationship: str
    note: NFCStr = ""


class Step(_Strict):
    day: dt.date
    officer: str
    step: str
    note: NFCStr = ""
    fields: dict[str, NFCStr | Document] = {}

    def as_tuple(self) -> tuple[str, str, str, dict[str, Any], str]:
        """(day, officer, step, fields, note), documents given as recorded."""
        values = {
            k: v.recorded() if isinstance(v, Document) else v for k, v in self.fields.items()
        }
        return (self.day.isoformat(), self.officer, self.step, values, self.note)


class TrainingWalk(_Strict):
    procedure: str
    version: int
    case: OpenedCase
    officers: tuple[Officer, ...]
    steps: tuple[Step, ...]
    follow_up: tuple[Step, ...] = ()


@cache
def load_training_walk(procedure: str = "provincial") -> TrainingWalk:
    """The training walk shipped beside *procedure*'s definitions."""
    path = Path(__file__).parent / "procedures" / procedure / TRAINING_FILE
    try:
        walk = TrainingWalk.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise InvalidDefinition(
            N_("{path}: not a usable training walk ({reason})"), path=str(path), reason=str(exc)
        ) from None
    known = {o.id for o in walk.officers}
    for step in (*walk.steps, *walk.follow_up):
        if step.officer not in known:
            raise InvalidDefinition(
                N_("{path}: step '{step}' names unknown officer '{officer}'"),
                path=str(path),
                step=step.step,
                officer=step.officer,
            )
    return walk
