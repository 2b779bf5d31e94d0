"""Official letters (หนังสือราชการ) a procedure version produces, as data beside its file.

A released ``vN.toml`` never changes its bytes (cases record its SHA-256), so the letters of a
version are declared in a file of their own, ``vN.letters.toml``, with one template per letter in
the procedure's ``letters/`` folder. Each letter names the step that sends it (a trigger of that
version), the owner unit whose register numbers it, the roles that may take its number, the
step's fields that receive its number and date, and its template: the kind of letter under the
Regulation of the Prime Minister's Office on Correspondence (หนังสือภายนอก or บันทึกข้อความ), the
subject, the addressee, the body and who signs.

Templates say ``{case.partner_name}``, ``{step.committee_resolution_no}`` or
``{earlier.submission_letter_no}``: a fact of the case (``CASE_FACTS``), a field of the step that
sends the letter (or its ``note``), or the latest value a field was recorded with in the case's
history. Like a definition, the book is refused at load time with every offending name: an
unknown trigger, role, field or placeholder.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from states.errors import InvalidDefinition
from states.i18n import N_
from states.loader import load_procedure
from states.schema import ProcedureDefinition
from states.text import Label, NFCStr

LetterKind = Literal["external", "memo"]
#: The kinds of letter the Regulation on Correspondence names, and the Garuda's height (cm).
KIND_LABELS: dict[str, Label] = {
    "external": Label(th="หนังสือภายนอก", en="External letter"),
    "memo": Label(th="บันทึกข้อความ", en="Memo"),
}
GARUDA_CM: dict[str, float] = {"external": 3.0, "memo": 1.5}

#: The electronic correspondence exchange's code lists: urgency (ชั้นความเร็ว), secrecy (ชั้นความลับ).
URGENCY: dict[str, str] = {
    "normal": "ปกติ",
    "urgent": "ด่วน",
    "very_urgent": "ด่วนมาก",
    "most_urgent": "ด่วนที่สุด",
}
SECRECY: dict[str, str] = {
    "normal": "ปกติ",
    "confidential": "ลับ",
    "secret": "ลับมาก",
    "top_secret": "ลับที่สุด",
}

#: Facts of a case a template may name as ``{case.X}``.
CASE_FACTS: dict[str, str] = {
    "reference": "the case reference (SC-2569-0001)",
    "province": "the province's Thai name (เชียงใหม่)",
    "province_en": "the province's English name",
    "thai_party": "the Thai party (จังหวัดเชียงใหม่, or the local government's name)",
    "partner_name": "the foreign partner's name",
    "partner_country": "the partner's country, in Thai where the book names it",
    "instrument": "the instrument, in Thai (บันทึกความเข้าใจ, หนังสือแสดงเจตจำนง …)",
    "label": "the kind of relationship, in Thai (เมืองพี่เมืองน้อง, เมืองคู่มิตร …)",
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^(case|step|earlier)\.([a-z][a-z0-9_]*)$")
_ID = r"^[a-z][a-z0-9_]*$"


def _frozen() -> ConfigDict:
    return ConfigDict(frozen=True, extra="forbid")


class Unit(BaseModel):
    """An owner unit (ส่วนราชการเจ้าของหนังสือ): its code numbers its letters, per calendar year.

    A unit with ``per_province = true`` is the case's province's: its code, name and owner may
    say ``{province_code}`` (from the book's ``provinces``) and ``{province}`` (the Thai name);
    its address and telephone are the province's entry's.
    """

    model_config = _frozen()

    code: NFCStr = Field(min_length=1)
    name: NFCStr = Field(min_length=1)
    #: The division or section that owns the matter (ส่วนราชการเจ้าของเรื่อง), under the signature.
    owner: NFCStr = ""
    address: NFCStr = ""
    phone: NFCStr = ""
    email: NFCStr = ""
    per_province: bool = False


class ProvinceUnit(BaseModel):
    """A province's letter code (อักษรย่อจังหวัด) and, where known, its address and telephone."""

    model_config = _frozen()

    code: NFCStr = Field(min_length=1)
    address: NFCStr = ""
    phone: NFCStr = ""


class LetterTemplate(BaseModel):
    """One letter's text, in the order the Regulation sets its parts."""

    model_config = _frozen()

    kind: LetterKind
    title: Label
    subject: NFCStr = Field(min_length=1)
    to: NFCStr = Field(min_length=1)
    #: อ้างถึง: the earlier letter referred to (omitted when it renders empty).
    refer_to: NFCStr = ""
    #: สิ่งที่ส่งมาด้วย: file fields of the step or of earlier steps, as recorded in the case.
    enclosures: tuple[str, ...] = ()
    body: tuple[NFCStr, ...] = Field(min_length=1)
    #: คำลงท้าย (an external letter's; a memo has none).
    closing: NFCStr = ""
    signer_position: NFCStr = Field(min_length=1)


class LetterSpec(BaseModel):
    """A letter a step sends: its template, register, roles and the step's fields it fills."""

    model_config = _frozen()

    id: str = Field(pattern=_ID)
    trigger: str
    template: str
    #: The unit whose register numbers it (a key of ``units``).
    unit: str
    issue_roles: tuple[str, ...] = Field(min_length=1)
    #: The role of the officer who signs it; the name printed is that officer's.
    signer_role: str | None = None
    number_field: str | None = None
    date_field: str | None = None


class LetterBookFile(BaseModel):
    """``vN.letters.toml``."""

    model_config = _frozen()

    procedure: str = Field(pattern=_ID)
    version: int = Field(ge=1)
    units: dict[str, Unit]
    provinces: dict[str, ProvinceUnit] = Field(default_factory=dict)
    countries: dict[str, NFCStr] = Field(default_factory=dict)
    instruments: dict[str, NFCStr] = Field(default_factory=dict)
    labels: dict[str, NFCStr] = Field(default_factory=dict)
    letters: tuple[LetterSpec, ...] = Field(min_length=1)


@dataclass(frozen=True)
class Letter:
    """A letter with its template loaded."""

    spec: LetterSpec
    template: LetterTemplate


@dataclass(frozen=True)
class LetterBook:
    """The letters of one procedure version, checked against it."""

    book: LetterBookFile
    letters: tuple[Letter, ...]
    path: str

    def for_trigger(self, trigger: str) -> tuple[Letter, ...]:
        """The letters the step *trigger* sends (none when it sends no letter)."""
        return tuple(x for x in self.letters if x.spec.trigger == trigger)

    def letter(self, letter_id: str) -> Letter | None:
        """The letter of that id, if the book declares one."""
        return next((x for x in self.letters if x.spec.id == letter_id), None)


def placeholders(text: str) -> list[str]:
    """The names a template text refers to, in order."""
    return _PLACEHOLDER.findall(text)


def template_texts(t: LetterTemplate) -> list[tuple[str, str]]:
    """(part, text) of every part of a template that may hold placeholders."""
    parts = [
        ("subject", t.subject),
        ("to", t.to),
        ("refer_to", t.refer_to),
        ("closing", t.closing),
        ("signer_position", t.signer_position),
    ]
    parts.extend((f"body[{i}]", p) for i, p in enumerate(t.body))
    return parts


def letters_path(definition_path: str | Path) -> Path:
    """Where the letters of the definition at *definition_path* are declared (vN.letters.toml)."""
    p = Path(definition_path)
    return p.with_name(f"{p.stem}.letters.toml")


def load_letters(
    definition: ProcedureDefinition, definition_path: str | Path
) -> LetterBook | None:
    """The letters declared beside *definition_path*, checked; ``None`` when it declares none.

    Checked once per process for the same bytes and the same definition.
    """
    path = letters_path(definition_path)
    if not path.is_file():
        return None
    data = path.read_bytes()
    key = (hashlib.sha256(data).hexdigest(), str(path), definition.procedure, definition.version)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = _load(data, str(path), definition)
    return found


def letters_of(procedure: str, version: int) -> LetterBook | None:
    """The letters of a shipped (or added) procedure version; ``None`` when it has none."""
    loaded = load_procedure(procedure, version)
    return load_letters(loaded.definition, loaded.path)


_CACHE: dict[tuple[str, str, str, int], LetterBook] = {}


def _load(data: bytes, origin: str, definition: ProcedureDefinition) -> LetterBook:
    try:
        raw = tomllib.loads(data.decode("utf-8"))
        book = LetterBookFile.model_validate(raw)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidDefinition(
            N_("{origin}: not valid UTF-8 TOML: {reason}"), origin=origin, reason=str(exc)
        ) from None
    except ValidationError as exc:
        raise InvalidDefinition(
            N_("{origin}: {problems}"), origin=origin, problems=_one_line(exc)
        ) from None
    folder = Path(origin).parent
    letters: list[Letter] = []
    problems: list[str] = []
    for spec in book.letters:
        template_path = folder / spec.template
        try:
            template = LetterTemplate.model_validate(
                tomllib.loads(template_path.read_text(encoding="utf-8"))
            )
        except OSError as exc:
            problems.append(f"letter '{spec.id}': cannot read {spec.template}: {exc.strerror}")
            continue
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            problems.append(f"letter '{spec.id}': {spec.template} is not valid TOML: {exc}")
            continue
        except ValidationError as exc:
            problems.append(f"letter '{spec.id}': {spec.template}: {_one_line(exc)}")
            continue
        letters.append(Letter(spec, template))
    problems.extend(book_problems(book, tuple(letters), definition))
    if problems:
        raise InvalidDefinition(
            N_("{origin}: {problems}"), origin=origin, problems="; ".join(problems)
        )
    return LetterBook(book, tuple(letters), origin)


def book_problems(
    book: LetterBookFile, letters: tuple[Letter, ...], d: ProcedureDefinition
) -> list[str]:
    """Every name the book uses that its procedure version does not know."""
    problems: list[str] = []
    if (book.procedure, book.version) != (d.procedure, d.version):
        problems.append(
            f"declares {book.procedure} v{book.version}, beside {d.procedure} v{d.version}"
        )
    triggers = {t.trigger: t for t in d.active_transitions}
    roles = {r.id for r in d.roles}
    fields = {f.name: f for f in d.fields}
    used_by_steps = {n for t in d.transitions for n in (*t.requires, *t.optional)}
    seen: set[str] = set()
    for letter in letters:
        s, t = letter.spec, letter.template
        where = f"letter '{s.id}'"
        if s.id in seen:
            problems.append(f"{where} is declared twice")
        seen.add(s.id)
        step = triggers.get(s.trigger)
        if step is None:
            problems.append(f"{where}: unknown trigger '{s.trigger}'")
            continue
        step_fields = {*step.requires, *step.optional}
        if s.unit not in book.units:
            problems.append(f"{where}: unknown unit '{s.unit}' (units: {', '.join(book.units)})")
        problems.extend(f"{where}: unknown role '{r}'" for r in s.issue_roles if r not in roles)
        if s.signer_role is not None and s.signer_role not in roles:
            problems.append(f"{where}: unknown signer role '{s.signer_role}'")
        for attr, wanted in (("number_field", "reference"), ("date_field", "date")):
            name = getattr(s, attr)
            if name is None:
                continue
            if name not in step_fields:
                problems.append(f"{where}: {attr} '{name}' is not a field of '{s.trigger}'")
            elif fields[name].type != wanted:
                problems.append(f"{where}: {attr} '{name}' is a {fields[name].type}, not {wanted}")
        for name in t.enclosures:
            if name not in fields or fields[name].type != "file":
                problems.append(f"{where}: enclosure '{name}' is not a file field")
        for part, text in template_texts(t):
            for name in placeholders(text):
                problem = _placeholder_problem(name, step_fields, fields, used_by_steps)
                if problem:
                    problems.append(f"{where} {part}: {{{name}}} {problem}")
    return problems


def _placeholder_problem(
    name: str,
    step_fields: set[str],
    fields: Mapping[str, object],
    used_by_steps: set[str],
) -> str | None:
    match = _NAME.match(name)
    if match is None:
        return "is not case.X, step.X or earlier.X"
    scope, key = match.groups()
    if scope == "case":
        return None if key in CASE_FACTS else f"is not a case fact ({', '.join(CASE_FACTS)})"
    if scope == "step":
        return None if key in step_fields or key == "note" else "is not a field of the step"
    if key not in fields or key not in used_by_steps:
        return "is not a field any step records"
    return None


def _one_line(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)
