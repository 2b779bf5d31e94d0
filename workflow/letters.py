"""Official letters drafted from a case, numbered from their unit's register, as the
Regulation of the Prime Minister's Office on Correspondence (ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ)
lays them out.

A procedure version declares its letters beside its file (``states.letters``): the step that sends
each, the unit whose register numbers it, who may take its number, and a template. Here:

* ``compose`` (pure) fills a template from the case's facts, the step's fields and the latest
  values of earlier steps' fields into a ``LetterContent``: every part in the Regulation's order,
  dates in the long Buddhist Era form, the enclosures from the documents recorded;
* ``render_html`` (pure) lays it out on A4 for print (Garuda, margins 3 cm left and 2 cm right,
  TH Sarabun New or Sarabun 16 pt), the source of the PDF; ``text_lines`` is the same text, in
  reading order; ``metadata`` what an electronic correspondence system takes with the PDF;
* ``draft_letter`` reads a case and composes its letter (the issued number and date once issued);
* ``issue_letter`` takes the next number of the unit's register for the calendar year, under the
  writers' lock, and records one ``letter`` audit event with the letter's SHA-256 (of its HTML,
  stored in the document store). The register is the projection of those events: the numbers of
  a unit and year are 1, 2, 3 … without a gap or a repeat, which ``audit verify`` checks.

The step that sends the letter then records that number in its own field (the letter's
``number_field``, e.g. ``submission_letter_no``), as officers record any letter number.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from states import ProcedureDefinition, nfc
from states.i18n import N_, Joined, Message, Text
from states.letters import (
    GARUDA_CM,
    KIND_LABELS,
    SECRECY,
    URGENCY,
    Letter,
    LetterBook,
    letters_of,
)
from states.reference import PROVINCES
from workflow.authorization import Access, authorize, recorded_refusals
from workflow.catalog import engine_for_case
from workflow.errors import InvalidInput, WorkflowError, as_message
from workflow.fields import convert
from workflow.model import Actor, AuditDraft, AuditRecord, Case
from workflow.ports import UnitOfWork
from workflow.services import find_case
from workflow.thaidate import format_long_date, local_date, to_buddhist_era

#: What a value not known yet looks like on a draft: a dotted line the officer fills in.
BLANK = "................"
#: The action a refusal to issue is recorded under.
ISSUE_ACTION = "issue_letter"
#: An emblem file (PNG, JPEG or SVG) for the Garuda; without one its box is reserved, empty.
GARUDA_ENV = "SISTERCITY_GARUDA"
FONT_STACK = '"TH Sarabun New", "TH SarabunPSK", "Sarabun", "Laksaman", sans-serif'
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class LetterError(WorkflowError):
    """A letter cannot be drafted or issued as asked (unknown letter, step without letters …)."""


@dataclass(frozen=True)
class Enclosure:
    """สิ่งที่ส่งมาด้วย: a document of the case, by its field's title, name and hash."""

    field: str
    title: str
    name: str | None = None
    sha256: str | None = None
    bytes: int | None = None


@dataclass(frozen=True)
class Issued:
    """A number taken from a unit's register."""

    unit: str
    year: int
    number: int
    date: dt.date
    urgency: str
    secrecy: str
    sha256: str
    audit_seq: int

    @property
    def text(self) -> str:
        """``ชม 0017/12``."""
        return f"{self.unit}/{self.number}"


@dataclass(frozen=True)
class LetterContent:
    """Every part of one letter, filled, in the Regulation's order."""

    letter_id: str
    kind: str
    title: str
    case_reference: str
    trigger: str
    unit_code: str
    number: str
    issued: bool
    date: dt.date
    date_text: str
    unit_name: str
    address: str
    subject: str
    to: str
    refer_to: str
    enclosures: tuple[Enclosure, ...]
    body: tuple[str, ...]
    closing: str
    signer_name: str
    signer_position: str
    owner: str
    phone: str
    email: str
    urgency: str = "normal"
    secrecy: str = "normal"
    #: Placeholders that had no value (shown as a dotted line).
    missing: tuple[str, ...] = field(default_factory=tuple)
    number_field: str | None = None
    date_field: str | None = None

    @property
    def kind_label(self) -> str:
        """หนังสือภายนอก / บันทึกข้อความ."""
        return KIND_LABELS[self.kind].th


# ---------------------------------------------------------------------- composing (pure)
def _value_text(definition: ProcedureDefinition, name: str, value: Any) -> str:
    """A recorded field value as a letter writes it: dates in the long B.E. form."""
    if value in (None, "", [], {}):
        return ""
    try:
        spec = definition.field(name)
    except KeyError:
        return str(value)
    if spec.type == "date":
        return format_long_date(dt.date.fromisoformat(str(value)))
    if spec.type == "file":
        first = value[0] if isinstance(value, list) else value
        return str(first.get("name", "")) if isinstance(first, Mapping) else str(first)
    return str(value)


def case_facts(case: Case, book: LetterBook) -> dict[str, str]:
    """The ``{case.X}`` values of a case."""
    words = book.book
    province_th, province_en = PROVINCES.get(case.province, (case.province, case.province))
    return {
        "reference": case.reference,
        "province": province_th,
        "province_en": province_en,
        "thai_party": case.thai_party_name or f"จังหวัด{province_th}",
        "partner_name": case.partner_name,
        "partner_country": words.countries.get(case.partner_country, case.partner_country),
        "instrument": words.instruments.get(case.instrument, case.instrument),
        "label": words.labels.get(case.label, case.label),
    }


def latest_fields(history: Sequence[AuditRecord]) -> dict[str, Any]:
    """The latest value each field was recorded with in the case's steps."""
    found: dict[str, Any] = {}
    for r in history:
        if r.kind in ("open", "import", "transition"):
            found.update({k: v for k, v in r.fields.items() if v not in (None, "", [], {})})
    return found


def step_record(history: Sequence[AuditRecord], trigger: str) -> AuditRecord | None:
    """The latest record of *trigger* in the case (``None`` before the step is taken)."""
    return next(
        (r for r in reversed(history) if r.kind == "transition" and r.trigger == trigger), None
    )


def _fill(text: str, values: Mapping[str, str], missing: list[str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(name, "")
        if not value:
            if name not in missing:
                missing.append(name)
            return BLANK
        return value

    return nfc(_PLACEHOLDER.sub(one, text))


def _unit(book: LetterBook, letter: Letter, case: Case) -> tuple[str, str, str, str, str, str]:
    """(code, name, owner, address, phone, email) of the letter's unit for this case."""
    unit = book.book.units[letter.spec.unit]
    if not unit.per_province:
        return unit.code, unit.name, unit.owner, unit.address, unit.phone, unit.email
    entry = book.book.provinces.get(case.province)
    if entry is None:
        raise LetterError(
            N_("no letter code for province {province}: add it under [provinces] in {file}"),
            province=case.province,
            file=Path(book.path).name,
        )
    province_th = PROVINCES.get(case.province, (case.province, ""))[0]

    def sub(text: str) -> str:
        return text.replace("{province_code}", entry.code).replace("{province}", province_th)

    return (
        sub(unit.code),
        sub(unit.name),
        sub(unit.owner),
        entry.address or unit.address,
        entry.phone or unit.phone,
        unit.email,
    )


def compose(
    definition: ProcedureDefinition,
    book: LetterBook,
    letter: Letter,
    case: Case,
    history: Sequence[AuditRecord],
    step_fields: Mapping[str, Any],
    note: str,
    signer_name: str,
    today: dt.date,
    issued: Issued | None = None,
    urgency: str = "normal",
    secrecy: str = "normal",
) -> LetterContent:
    """Fill *letter*'s template for *case*: the step's fields (as given, else as last recorded
    by that step), the latest values of earlier fields, the documents recorded as enclosures."""
    spec, t = letter.spec, letter.template
    earlier = latest_fields(history)
    taken = step_record(history, spec.trigger)
    step: dict[str, Any] = dict(taken.fields) if taken is not None else {}
    step.update({k: v for k, v in step_fields.items() if v not in (None, "")})
    step_note = note or (taken.note if taken is not None else "")
    values: dict[str, str] = {f"case.{k}": v for k, v in case_facts(case, book).items()}
    values.update({f"earlier.{k}": _value_text(definition, k, v) for k, v in earlier.items()})
    values.update({f"step.{k}": _value_text(definition, k, v) for k, v in step.items()})
    values["step.note"] = nfc(step_note.strip())
    missing: list[str] = []
    code, unit_name, owner, address, phone, email = _unit(book, letter, case)
    if issued is not None:
        number, day = issued.text, issued.date
        urgency, secrecy = issued.urgency, issued.secrecy
    else:
        number = f"{code}/"
        given_date = step.get(spec.date_field) if spec.date_field else None
        day = dt.date.fromisoformat(str(given_date)) if given_date else today
    enclosures: list[Enclosure] = []
    for name in t.enclosures:
        record = step.get(name) or earlier.get(name)
        records = record if isinstance(record, list) else [record] if record else []
        title = definition.field(name).label.th
        if not records:
            enclosures.append(Enclosure(name, title))
        for r in records:
            enclosures.append(
                Enclosure(name, title, str(r.get("name")), str(r.get("sha256")), r.get("bytes"))
            )
    return LetterContent(
        letter_id=spec.id,
        kind=t.kind,
        title=t.title.th,
        case_reference=case.reference,
        trigger=spec.trigger,
        unit_code=code,
        number=number,
        issued=issued is not None,
        date=day,
        date_text=format_long_date(day),
        unit_name=unit_name,
        address=address,
        subject=_fill(t.subject, values, missing),
        to=_fill(t.to, values, missing),
        refer_to=_fill(t.refer_to, values, missing) if t.refer_to else "",
        enclosures=tuple(enclosures),
        body=tuple(_fill(p, values, missing) for p in t.body),
        closing=t.closing,
        signer_name=signer_name or BLANK,
        signer_position=_fill(t.signer_position, values, missing),
        owner=owner,
        phone=phone,
        email=email,
        urgency=urgency,
        secrecy=secrecy,
        missing=tuple(missing),
        number_field=spec.number_field,
        date_field=spec.date_field,
    )


# ---------------------------------------------------------------------- text, HTML, metadata
def enclosure_lines(content: LetterContent) -> list[str]:
    """``1. ร่างบันทึกความเข้าใจ (ภาษาไทย)`` …, one per document (numbered when several)."""
    titles = list(dict.fromkeys(e.title for e in content.enclosures))
    if len(titles) == 1:
        return titles
    return [f"{i}. {t}" for i, t in enumerate(titles, 1)]


def text_lines(content: LetterContent) -> list[str]:
    """The letter's text in reading order, as printed (the PDF's text, line breaks aside)."""
    c = content
    lines: list[str] = []
    if c.secrecy != "normal":
        lines.append(SECRECY[c.secrecy])
    if c.urgency != "normal":
        lines.append(URGENCY[c.urgency])
    if c.kind == "memo":
        lines.append(c.kind_label)
        lines.append(f"ส่วนราชการ {c.owner} โทร. {c.phone or BLANK}")
        lines.append(f"ที่ {c.number} วันที่ {c.date_text}")
        lines.append(f"เรื่อง {c.subject}")
        lines.append(f"เรียน {c.to}")
        if c.refer_to:
            lines.append(f"อ้างถึง {c.refer_to}")
        if c.enclosures:
            first, *rest = enclosure_lines(c)
            lines.append(f"สิ่งที่ส่งมาด้วย {first}")
            lines.extend(rest)
        lines.extend(c.body)
        lines.append(f"({c.signer_name})")
        lines.append(c.signer_position)
    else:
        lines.append(f"ที่ {c.number} {c.unit_name}")
        if c.address:
            lines.append(c.address)
        lines.append(c.date_text)
        lines.append(f"เรื่อง {c.subject}")
        lines.append(f"เรียน {c.to}")
        if c.refer_to:
            lines.append(f"อ้างถึง {c.refer_to}")
        if c.enclosures:
            first, *rest = enclosure_lines(c)
            lines.append(f"สิ่งที่ส่งมาด้วย {first}")
            lines.extend(rest)
        lines.extend(c.body)
        lines.append(c.closing)
        lines.append(f"({c.signer_name})")
        lines.append(c.signer_position)
        lines.append(c.owner)
        lines.append(f"โทร. {c.phone or BLANK}")
        if c.email:
            lines.append(f"ไปรษณีย์อิเล็กทรอนิกส์ {c.email}")
    if c.secrecy != "normal":
        lines.append(SECRECY[c.secrecy])
    return lines


@cache
def _font_faces() -> str:
    """@font-face rules embedding Sarabun (OFL) from its package, when it is installed."""
    try:
        from fontpkg_sarabun import ROOT
    except ImportError:
        return ""
    rules = []
    for weight, name in ((400, "Sarabun-Regular.ttf"), (700, "Sarabun-Bold.ttf")):
        path = Path(ROOT) / "files" / name
        if path.is_file():
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            rules.append(
                f'@font-face{{font-family:"Sarabun";font-weight:{weight};'
                f'src:local("Sarabun"),url(data:font/ttf;base64,{data}) format("truetype");}}'
            )
    return "\n".join(rules)


def garuda_image(path: str | None) -> tuple[str, bytes] | None:
    """(media type, bytes) of the emblem file named by ``SISTERCITY_GARUDA``, if any."""
    if not path:
        return None
    p = Path(path)
    types = {
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".svg": "image/svg+xml",
    }
    media = types.get(p.suffix.lower())
    if media is None:
        raise InvalidInput(
            N_("{variable}: {name} is not a PNG, JPEG or SVG file"),
            variable=GARUDA_ENV,
            name=p.name,
        )
    try:
        return media, p.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            N_("{variable}: cannot read {path}: {reason}"),
            variable=GARUDA_ENV,
            path=p,
            reason=exc.strerror,
        ) from None


def _e(text: str) -> str:
    return html.escape(text, quote=True)


CSS = """
@page { size: A4; margin: 1.5cm 2cm 2cm 3cm; }
* { box-sizing: border-box; }
html { font-family: %(fonts)s; font-size: 16pt; line-height: 1.15; color: #000; }
body { margin: 0; }
p { margin: 0; }
.garuda { display: block; height: %(garuda)scm; width: auto; }
.garuda.box { width: %(garuda_w)scm; border: 0.5pt dashed #888; }
.external .garuda { margin: 0 auto 0.2cm auto; }
.memo-head { position: relative; min-height: 1.5cm; }
.memo-head .garuda { position: absolute; left: 0; top: 0; }
.memo-title { text-align: center; font-size: 29pt; font-weight: bold; line-height: 1.5cm; }
.stamp { font-size: 20pt; font-weight: bold; }
.secrecy { text-align: center; font-size: 20pt; font-weight: bold; }
.row { display: flex; justify-content: space-between; gap: 1em; }
.right { margin-left: 9cm; }
.date { margin-left: 7.5cm; margin-top: 0.2cm; margin-bottom: 0.2cm; }
.head p { padding-left: 0; }
.label { font-weight: bold; }
.enc { padding-left: 3.2cm; }
.body { text-indent: 2.5cm; text-align: justify; margin-top: 0.15cm; }
.sign { margin-left: 6cm; text-align: center; }
.closing { margin-top: 0.4cm; }
.signature { height: 1.3cm; }
.foot { margin-top: 0.8cm; }
.gap { margin-top: 0.1cm; }
"""


def _garuda_html(kind: str, emblem: tuple[str, bytes] | None) -> str:
    if emblem is None:
        return '<div class="garuda box" role="img" aria-label="ตราครุฑ"></div>'
    media, data = emblem
    src = f"data:{media};base64,{base64.b64encode(data).decode('ascii')}"
    return f'<img class="garuda" alt="ตราครุฑ" src="{src}">'


def render_html(content: LetterContent, emblem: tuple[str, bytes] | None = None) -> str:
    """The letter as one self-contained HTML page for A4 (nothing fetched), Thai first."""
    c = content
    garuda = GARUDA_CM[c.kind]
    css = CSS % {
        "fonts": FONT_STACK,
        "garuda": f"{garuda:g}",
        "garuda_w": f"{garuda * 0.85:g}",
    }
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="th"><head><meta charset="utf-8">',
        f"<title>{_e(c.kind_label)} {_e(c.number)} {_e(c.subject)}</title>",
        f"<style>{_font_faces()}\n{css}</style></head>",
        f'<body class="{c.kind}">',
    ]
    if c.secrecy != "normal":
        out.append(f'<p class="secrecy">{_e(SECRECY[c.secrecy])}</p>')
    if c.urgency != "normal":
        out.append(f'<p class="stamp">{_e(URGENCY[c.urgency])}</p>')
    label = '<span class="label">{}</span> {}'
    if c.kind == "memo":
        out.append(
            f'<div class="memo-head">{_garuda_html(c.kind, emblem)}'
            f'<p class="memo-title">{_e(c.kind_label)}</p></div>'
        )
        out.append(
            "<p>"
            + label.format("ส่วนราชการ", f"{_e(c.owner)} โทร. {_e(c.phone or BLANK)}")
            + "</p>"
        )
        out.append(
            '<div class="row"><p>'
            + label.format("ที่", _e(c.number))
            + "</p><p>"
            + label.format("วันที่", _e(c.date_text))
            + "</p></div>"
        )
    else:
        out.append(_garuda_html(c.kind, emblem))
        out.append(
            '<div class="row head"><p>'
            + label.format("ที่", _e(c.number))
            + f"</p><p>{_e(c.unit_name)}</p></div>"
        )
        if c.address:
            out.append(f'<p class="right">{_e(c.address)}</p>')
        out.append(f'<p class="date">{_e(c.date_text)}</p>')
    out.append('<p class="gap">' + label.format("เรื่อง", _e(c.subject)) + "</p>")
    out.append('<p class="gap">' + label.format("เรียน", _e(c.to)) + "</p>")
    if c.refer_to:
        out.append('<p class="gap">' + label.format("อ้างถึง", _e(c.refer_to)) + "</p>")
    if c.enclosures:
        first, *rest = enclosure_lines(c)
        out.append('<p class="gap">' + label.format("สิ่งที่ส่งมาด้วย", _e(first)) + "</p>")
        out.extend(f'<p class="enc">{_e(line)}</p>' for line in rest)
    out.extend(f'<p class="body">{_e(p)}</p>' for p in c.body)
    if c.closing:
        out.append(f'<p class="sign closing">{_e(c.closing)}</p>')
    out.append('<div class="sign signature"></div>')
    out.append(f'<p class="sign">({_e(c.signer_name)})</p>')
    out.append(f'<p class="sign">{_e(c.signer_position)}</p>')
    if c.kind != "memo":
        out.append(f'<div class="foot"><p>{_e(c.owner)}</p>')
        out.append(f"<p>โทร. {_e(c.phone or BLANK)}</p>")
        if c.email:
            out.append(f"<p>ไปรษณีย์อิเล็กทรอนิกส์ {_e(c.email)}</p>")
        out.append("</div>")
    if c.secrecy != "normal":
        out.append(f'<p class="secrecy">{_e(SECRECY[c.secrecy])}</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def metadata(content: LetterContent, files: Mapping[str, bytes] | None = None) -> dict[str, Any]:
    """What an electronic correspondence system takes with the PDF: number, date, subject, from,
    to, urgency and secrecy (code and Thai), enclosures and the files, with their hashes."""
    c = content
    return {
        "letter": c.letter_id,
        "kind": {"code": c.kind, "th": c.kind_label},
        "case": c.case_reference,
        "step": c.trigger,
        "number": c.number if c.issued else None,
        "date": c.date.isoformat(),
        "date_th": c.date_text,
        "subject": c.subject,
        "from": {"code": c.unit_code, "name": c.unit_name, "owner": c.owner, "phone": c.phone},
        "to": c.to,
        "refer_to": c.refer_to or None,
        "urgency": {"code": c.urgency, "th": URGENCY[c.urgency]},
        "secrecy": {"code": c.secrecy, "th": SECRECY[c.secrecy]},
        "enclosures": [
            {"title": e.title, "name": e.name, "sha256": e.sha256, "bytes": e.bytes}
            for e in c.enclosures
        ],
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in (files or {}).items()
        },
    }


# ---------------------------------------------------------------------- use cases
@dataclass(frozen=True)
class Drafted:
    """A letter composed from a case, with the HTML it prints from."""

    content: LetterContent
    html: str


def _book(case: Case) -> LetterBook:
    book = letters_of(case.procedure, case.version)
    if book is None:
        raise LetterError(
            N_("{procedure} v{version} declares no letters"),
            procedure=case.procedure,
            version=case.version,
        )
    return book


def _letter(book: LetterBook, trigger: str, letter_id: str | None) -> Letter:
    letters = book.for_trigger(trigger)
    if letter_id is not None:
        found = book.letter(letter_id)
        if found is None or found.spec.trigger != trigger:
            known = ", ".join(x.spec.id for x in letters) or Text(N_("none"))
            raise LetterError(
                N_("'{trigger}' sends no letter '{letter}' (it sends: {known})"),
                trigger=trigger,
                letter=letter_id,
                known=known,
            )
        return found
    if not letters:
        with_letters = sorted({x.spec.trigger for x in book.letters})
        raise LetterError(
            N_("'{trigger}' sends no letter; steps with letters: {steps}"),
            trigger=trigger,
            steps=", ".join(with_letters),
        )
    if len(letters) > 1:
        raise LetterError(
            N_("'{trigger}' sends several letters: name one with --letter ({letters})"),
            trigger=trigger,
            letters=", ".join(x.spec.id for x in letters),
        )
    return letters[0]


def _check_codes(urgency: str, secrecy: str) -> None:
    if urgency not in URGENCY:
        raise InvalidInput(
            N_("urgency '{value}' is not one of {choices}"),
            value=urgency,
            choices=", ".join(URGENCY),
        )
    if secrecy not in SECRECY:
        raise InvalidInput(
            N_("secrecy '{value}' is not one of {choices}"),
            value=secrecy,
            choices=", ".join(SECRECY),
        )


def _step_fields(
    definition: ProcedureDefinition, trigger: str, given: Mapping[str, Any]
) -> dict[str, Any]:
    """The fields given for the step, checked one by one (unknown names and bad values named)."""
    spec = next(t for t in definition.active_transitions if t.trigger == trigger)
    accepted = {*spec.requires, *spec.optional}
    problems: list[str] = []
    values: dict[str, Any] = {}
    for name, raw in given.items():
        if name not in accepted:
            allowed = ", ".join(sorted(accepted)) or Text(N_("none"))
            problems.append(
                Message(
                    N_("{field}: not a field of '{trigger}' (accepts: {allowed})"),
                    field=name,
                    trigger=trigger,
                    allowed=allowed,
                )
            )
            continue
        try:
            values[name] = convert(definition.field(name), raw)
        except ValueError as exc:
            problems.append(Message("{field}: {reason}", field=name, reason=as_message(exc)))
    if problems:
        raise InvalidInput("{problems}", problems=Joined(problems))
    return values


def _signer(uow: UnitOfWork, letter: Letter, case: Case, definition: ProcedureDefinition) -> str:
    role = letter.spec.signer_role
    if role is None:
        return ""
    scoped = definition.role(role).scoped
    for officer in uow.officers.list():
        if officer.retired or role not in officer.roles:
            continue
        if scoped and officer.province != case.province:
            continue
        return officer.name
    return ""


def _issued(records: Sequence[AuditRecord], letter_id: str) -> Issued | None:
    for r in reversed(records):
        if r.kind == "letter" and r.fields.get("letter") == letter_id:
            f = r.fields
            return Issued(
                str(f["unit"]),
                int(f["year"]),
                int(f["number"]),
                dt.date.fromisoformat(str(f["date"])),
                str(f["urgency"]),
                str(f["secrecy"]),
                str(f["sha256"]),
                r.seq,
            )
    return None


def draft_letter(
    uow: UnitOfWork,
    reference: str,
    trigger: str,
    now: dt.datetime,
    letter_id: str | None = None,
    fields: Mapping[str, Any] | None = None,
    note: str = "",
    urgency: str = "normal",
    secrecy: str = "normal",
    emblem: tuple[str, bytes] | None = None,
) -> Drafted:
    """The letter *trigger* sends, filled from the case (with its number once issued)."""
    _check_codes(urgency, secrecy)
    with uow:
        case = find_case(uow, reference)
        definition = engine_for_case(case).definition
        book = _book(case)
        letter = _letter(book, trigger, letter_id)
        given = _step_fields(definition, trigger, fields or {})
        history = uow.audit.for_case(case.reference)
        issued = _issued(history, letter.spec.id)
        if issued is not None:
            kept = uow.documents.get(issued.sha256)
            if kept is not None and not fields and not note:
                content = compose(
                    definition, book, letter, case, history[: _position(history, issued)],
                    {}, "", _signer(uow, letter, case, definition), issued.date, issued,
                )  # fmt: skip
                return Drafted(content, kept.decode("utf-8"))
        content = compose(
            definition,
            book,
            letter,
            case,
            history,
            given,
            note,
            _signer(uow, letter, case, definition),
            local_date(now),
            issued,
            urgency,
            secrecy,
        )
    return Drafted(content, render_html(content, emblem))


def _position(history: Sequence[AuditRecord], issued: Issued) -> int:
    """How many of the case's records came before the letter's: what it was composed from."""
    return next((i for i, r in enumerate(history) if r.seq == issued.audit_seq), len(history))


def next_number(uow: UnitOfWork, unit: str, year: int) -> int:
    """The next number of *unit*'s register for *year* (B.E.), from the ``letter`` events.

    Call it under the writers' lock: the number is then the one the letter is recorded with.
    """
    last = 0
    for r in uow.audit.of_kind("letter"):
        if r.fields.get("unit") == unit and r.fields.get("year") == year:
            last = max(last, int(r.fields.get("number", 0)))
    return last + 1


def issue_letter(
    uow: UnitOfWork,
    actor: Actor,
    reference: str,
    trigger: str,
    now: dt.datetime,
    letter_id: str | None = None,
    fields: Mapping[str, Any] | None = None,
    note: str = "",
    urgency: str = "normal",
    secrecy: str = "normal",
    emblem: tuple[str, bytes] | None = None,
) -> tuple[Drafted, AuditRecord]:
    """Take the next number of the letter's unit for this calendar year and record it.

    Refused, with one ``denied`` record, for an officer without one of the letter's
    ``issue_roles`` (a scoped role: in the case's province). The step must be one the case can
    take now: a letter is numbered when it is sent.
    """
    _check_codes(urgency, secrecy)
    with uow:
        case = find_case(uow, reference)
        engine = engine_for_case(case)
        definition = engine.definition
        book = _book(case)
        letter = _letter(book, trigger, letter_id)
        given = _step_fields(definition, trigger, fields or {})
        if trigger not in engine.allowed_triggers(case.state):
            allowed = ", ".join(engine.allowed_triggers(case.state)) or Text(N_("none"))
            raise LetterError(
                N_(
                    "'{trigger}' cannot be taken from '{state}' in case {reference}, so "
                    "its letter is not sent now (steps from here: {allowed})"
                ),
                trigger=trigger,
                state=case.state,
                reference=case.reference,
                allowed=allowed,
            )
    spec = letter.spec
    access = Access(
        ISSUE_ACTION,
        spec.issue_roles,
        frozenset(r for r in spec.issue_roles if definition.role(r).scoped),
        case.province,
        verb=Message(N_("issue the letter '{letter}'"), letter=spec.id),
    )
    with recorded_refusals(uow, actor, ISSUE_ACTION, case.reference, now), uow:
        role = authorize(actor, access)
        uow.lock()
        case = find_case(uow, reference)
        history = uow.audit.for_case(case.reference)
        code = _unit(book, letter, case)[0]
        today = local_date(now)
        year = to_buddhist_era(today.year)
        number = next_number(uow, code, year)
        provisional = Issued(code, year, number, today, urgency, secrecy, "", 0)
        content = compose(
            definition, book, letter, case, history, given, note,
            _signer(uow, letter, case, definition), today, provisional,
        )  # fmt: skip
        page = render_html(content, emblem)
        data = page.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        document = {
            "name": f"{spec.id}-{code.replace(' ', '')}-{number}-{year}.html",
            "sha256": digest,
            "bytes": len(data),
        }
        uow.documents.put(document, data, now)
        record = uow.audit.append(
            AuditDraft(
                kind="letter",
                case_reference=case.reference,
                trigger=spec.trigger,
                source=case.state,
                dest=None,
                actor_id=actor.id,
                actor_role=role,
                os_user=actor.os_user,
                occurred_at=now,
                fields={
                    "letter": spec.id,
                    "unit": code,
                    "year": year,
                    "number": number,
                    "number_text": f"{code}/{number}",
                    "date": today.isoformat(),
                    "subject": content.subject,
                    "to": content.to,
                    "urgency": urgency,
                    "secrecy": secrecy,
                    "sha256": digest,
                    "document": document,
                    "enclosures": [
                        {"title": e.title, "name": e.name, "sha256": e.sha256}
                        for e in content.enclosures
                    ],
                    **({"number_field": spec.number_field} if spec.number_field else {}),
                    **({"date_field": spec.date_field} if spec.date_field else {}),
                },
            )
        )
        uow.commit()
    content = replace(content, number=f"{code}/{number}")
    return Drafted(content, page), record


@dataclass(frozen=True)
class IssuedLetter:
    """A letter of the case as its ``letter`` event records it."""

    letter_id: str
    trigger: str
    number: str
    date: dt.date
    subject: str
    sha256: str
    audit_seq: int
    actor_id: str
    number_field: str | None
    date_field: str | None


def list_letters(uow: UnitOfWork, reference: str) -> list[IssuedLetter]:
    """The letters issued for a case, in order."""
    with uow:
        case = find_case(uow, reference)
        records = uow.audit.for_case(case.reference)
    return [
        IssuedLetter(
            str(r.fields["letter"]),
            str(r.trigger),
            str(r.fields["number_text"]),
            dt.date.fromisoformat(str(r.fields["date"])),
            str(r.fields.get("subject", "")),
            str(r.fields["sha256"]),
            r.seq,
            r.actor_id,
            r.fields.get("number_field"),
            r.fields.get("date_field"),
        )
        for r in records
        if r.kind == "letter"
    ]
