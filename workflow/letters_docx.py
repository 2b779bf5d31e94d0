"""A letter as a .docx the officer can edit, laid out like its PDF.

Word chooses a run's font and size for Thai from its complex-script properties (``w:rFonts
w:cs`` and ``w:szCs``), which python-docx's ``run.font`` does not set: every run here gets its
fonts for all four scripts and both sizes written into its properties, so Thai text shows in TH
Sarabun New 16 pt (Word substitutes an installed Sarabun-like font where it is missing).
"""

from __future__ import annotations

import io
from typing import Any

from states.i18n import N_
from states.letters import SECRECY, URGENCY
from workflow.errors import InvalidInput
from workflow.letters import BLANK, LetterContent, enclosure_lines

FONT = "TH Sarabun New"
SIZE_PT = 16
TITLE_PT = 29


def _run(paragraph: Any, text: str, bold: bool = False, size: float = SIZE_PT) -> Any:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run(text)
    rpr = run._r.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    if bold:
        for tag in ("w:b", "w:bCs"):
            rpr.append(OxmlElement(tag))
    half_points = str(round(size * 2))
    for tag in ("w:sz", "w:szCs"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), half_points)
        rpr.append(element)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:bidi"), "th-TH")
    rpr.append(lang)
    return run


def _paragraph(doc: Any, left_cm: float = 0, first_cm: float = 0, align: str | None = None) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    if left_cm:
        fmt.left_indent = Cm(left_cm)
    if first_cm:
        fmt.first_line_indent = Cm(first_cm)
    if align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif align == "thai":
        p.alignment = WD_ALIGN_PARAGRAPH.THAI_JUSTIFY
    return p


def _labelled(doc: Any, label: str, text: str, left_cm: float = 0) -> None:
    p = _paragraph(doc, left_cm)
    _run(p, label, bold=True)
    _run(p, f" {text}")


def _garuda(doc: Any, height_cm: float, emblem: tuple[str, bytes] | None, center: bool) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    if emblem is not None and emblem[0] != "image/svg+xml":
        p = _paragraph(doc, align="center" if center else None)
        p.add_run().add_picture(io.BytesIO(emblem[1]), height=Cm(height_cm))
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        return
    # The emblem's place, reserved at its size (an emblem file of the agency goes there).
    table = doc.add_table(rows=1, cols=1)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER if center else WD_TABLE_ALIGNMENT.LEFT
    row = table.rows[0]
    row.height = Cm(height_cm)
    row.cells[0].width = Cm(height_cm * 0.85)


def letter_docx(content: LetterContent, emblem: tuple[str, bytes] | None = None) -> bytes:
    """The letter as .docx bytes: A4, margins 3 cm left and 2 cm right, Thai runs in 16 pt."""
    try:
        from docx import Document
        from docx.shared import Cm
    except ImportError:
        raise InvalidInput(
            N_("a .docx needs python-docx: pip install 'sistercity[letters]'")
        ) from None
    c = content
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(1.5), Cm(2)
    if c.secrecy != "normal":
        _run(_paragraph(doc, align="center"), SECRECY[c.secrecy], bold=True, size=20)
    if c.urgency != "normal":
        _run(_paragraph(doc), URGENCY[c.urgency], bold=True, size=20)
    if c.kind == "memo":
        _garuda(doc, 1.5, emblem, center=False)
        _run(_paragraph(doc, align="center"), c.kind_label, bold=True, size=TITLE_PT)
        _labelled(doc, "ส่วนราชการ", f"{c.owner} โทร. {c.phone or BLANK}")
        p = _paragraph(doc)
        p.paragraph_format.tab_stops.add_tab_stop(Cm(8))
        _run(p, "ที่", bold=True)
        _run(p, f" {c.number}\t")
        _run(p, "วันที่", bold=True)
        _run(p, f" {c.date_text}")
    else:
        _garuda(doc, 3.0, emblem, center=True)
        p = _paragraph(doc)
        p.paragraph_format.tab_stops.add_tab_stop(Cm(9))
        _run(p, "ที่", bold=True)
        _run(p, f" {c.number}\t{c.unit_name}")
        if c.address:
            _run(_paragraph(doc, left_cm=9), c.address)
        _run(_paragraph(doc, left_cm=7.5), c.date_text)
    _labelled(doc, "เรื่อง", c.subject)
    _labelled(doc, "เรียน", c.to)
    if c.refer_to:
        _labelled(doc, "อ้างถึง", c.refer_to)
    if c.enclosures:
        first, *rest = enclosure_lines(c)
        _labelled(doc, "สิ่งที่ส่งมาด้วย", first)
        for line in rest:
            _run(_paragraph(doc, left_cm=3.2), line)
    for text in c.body:
        _run(_paragraph(doc, first_cm=2.5, align="thai"), text)
    if c.closing:
        _run(_paragraph(doc, left_cm=6, align="center"), c.closing)
    for _ in range(2):
        _paragraph(doc)
    _run(_paragraph(doc, left_cm=6, align="center"), f"({c.signer_name})")
    _run(_paragraph(doc, left_cm=6, align="center"), c.signer_position)
    if c.kind != "memo":
        _paragraph(doc)
        _run(_paragraph(doc), c.owner)
        _run(_paragraph(doc), f"โทร. {c.phone or BLANK}")
        if c.email:
            _run(_paragraph(doc), f"ไปรษณีย์อิเล็กทรอนิกส์ {c.email}")
    if c.secrecy != "normal":
        _run(_paragraph(doc, align="center"), SECRECY[c.secrecy], bold=True, size=20)
    # Fixed document properties: the same letter gives the same bytes.
    props = doc.core_properties
    props.title = c.subject
    props.author = c.unit_name
    props.comments = c.number
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
