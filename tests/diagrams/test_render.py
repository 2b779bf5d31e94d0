"""Rendering with the real ``dot``: SVG read back as XML, fonts checked in PDF and PNG."""

from __future__ import annotations

import re
import subprocess
import zlib

import pytest

from diagrams import (
    DEFAULT_FONT,
    START,
    Diagram,
    GraphvizNotFound,
    Node,
    Style,
    UnknownFormat,
    case_diagram,
    procedure_diagram,
    render,
    to_source,
)
from states import PHASE_LABELS, LoadedDefinition
from tests.diagrams.diagram_support import Row, bbox, groups, parse_svg, texts, title, utc

pytestmark = pytest.mark.graphviz


def test_every_state_once_with_thai_and_english_label(provincial: LoadedDefinition) -> None:
    root = parse_svg(render(procedure_diagram(provincial, "both"), "svg"))
    nodes = {title(g): g for g in groups(root, "node")}
    for spec in provincial.definition.states:
        assert [title(g) for g in groups(root, "node")].count(spec.id) == 1
        shown = texts(nodes[spec.id])
        assert spec.label.th in shown and spec.label.en in shown, spec.id
    finals = {title(g) for g in groups(root, "final")}
    assert finals == {s.id for s in provincial.definition.states if s.final}
    for g in groups(root, "final"):
        assert len(g.findall("{http://www.w3.org/2000/svg}path")) == 2  # peripheries=2
    starts = [title(g) for g in groups(root, "start") if "node" in (g.get("class") or "")]
    assert starts == [START]


def test_clusters_match_phases(provincial: LoadedDefinition) -> None:
    root = parse_svg(render(procedure_diagram(provincial, "both"), "svg"))
    nodes = {title(g): g for g in groups(root, "node")}
    clusters = {title(g).removeprefix("cluster_"): g for g in groups(root, "cluster")}
    phases = {s.phase for s in provincial.definition.states}
    assert set(clusters) == phases
    for phase, cluster in clusters.items():
        label = PHASE_LABELS[phase]
        assert label.th in texts(cluster) and label.en in texts(cluster)
        cx0, cy0, cx1, cy1 = bbox(cluster)
        for spec in provincial.definition.states:
            x0, y0, x1, y1 = bbox(nodes[spec.id])
            inside = cx0 <= x0 and x1 <= cx1 and cy0 <= y0 and y1 <= cy1
            assert inside == (spec.phase == phase), (spec.id, phase)


def test_case_highlights_current_state_and_history_edges_in_order(
    provincial: LoadedDefinition, provincial_history: list[Row]
) -> None:
    current = "provincial_committee_review"
    diagram = case_diagram(provincial, provincial_history, current, utc("2024-08-01T03:00"), "th")
    root = parse_svg(render(diagram, "svg"))
    assert [title(g) for g in groups(root, "current")] == [current]
    assert [title(g) for g in groups(root, "overdue")] == [current]
    numbered: list[tuple[int, str]] = []
    for edge in groups(root, "taken"):
        for text in texts(edge):
            if match := re.fullmatch(r"(\d+) · (.+)", text):
                numbered.append((int(match[1]), title(edge)))
    moves = [r for r in provincial_history if r.kind != "denied"]
    expected = [f"{r.source or START}->{r.dest}" for r in moves]
    assert [t for _, t in sorted(numbered)] == expected
    assert {title(g) for g in groups(root, "taken")} == set(expected)
    step5 = next(g for g in groups(root, "taken") if "5 · 31 มี.ค. 2567" in texts(g))
    assert title(step5) == "provincial_revision->provincial_committee_review"
    visited = {r.dest for r in moves} - {current}
    assert {title(g) for g in groups(root, "visited")} == visited
    faded = {
        title(g)
        for g in groups(root, "faded")
        if "node" in (g.get("class") or "") and not title(g).startswith("__")
    }
    all_states = {s.id for s in provincial.definition.states}
    assert faded == all_states - visited - {current}


# ------------------------------------------------------------------------------- Thai fonts


def _thai_only(fontname: str, fmt: str) -> bytes:
    node = Node(id="n", kind="state", lines=("ความสัมพันธ์เมืองพี่เมืองน้อง",))
    diagram = Diagram("t", "th", ("เมืองพี่เมืองน้อง",), (), (node,), (), ())
    return render(diagram, fmt, Style(fontname=fontname))


def _fonts_with_thai(pdf: bytes) -> set[str]:
    """Font families whose ToUnicode map sends glyphs to Thai code points."""
    objects = {
        int(num): body for num, body in re.findall(rb"(\d+) 0 obj(.*?)endobj", pdf, re.DOTALL)
    }
    found: set[str] = set()
    for body in objects.values():
        font = re.search(rb"/BaseFont\s*/(?:[A-Z]{6}\+)?([^\s/]+)", body)
        cmap_ref = re.search(rb"/ToUnicode\s+(\d+) 0 R", body)
        if not (font and cmap_ref):
            continue
        stream = re.search(
            rb"stream\r?\n(.*?)\r?\nendstream", objects[int(cmap_ref[1])], re.DOTALL
        )
        assert stream is not None
        cmap = (
            zlib.decompress(stream[1])
            if b"FlateDecode" in objects[int(cmap_ref[1])]
            else stream[1]
        )
        targets = re.findall(rb"<([0-9A-Fa-f]+)>\s*(?:\n|$)", cmap, re.MULTILINE)
        targets += re.findall(rb"<[0-9A-Fa-f]+>\s*<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]+)>", cmap)
        text = "".join(bytes.fromhex(t.decode()).decode("utf-16-be", "replace") for t in targets)
        if any("\u0e00" <= ch <= "\u0e7f" for ch in text):
            found.add(font[1].decode().split("-")[0])
    return found


def _has_thai(family: str) -> bool:
    listed = subprocess.run(
        ["fc-list", ":lang=th", "family"], capture_output=True, text=True, check=True
    ).stdout
    return any(family in line.split(",") for line in listed.splitlines())


def test_default_font_has_thai_glyphs() -> None:
    assert _has_thai(DEFAULT_FONT), f"install fonts-thai-tlwg: {DEFAULT_FONT} is missing"


def test_pdf_draws_thai_with_the_chosen_font(provincial: LoadedDefinition) -> None:
    """Every Thai glyph in the PDF comes from our font, not from fontconfig's fallback."""
    pdf = render(procedure_diagram(provincial, "th"), "pdf")
    assert _fonts_with_thai(pdf) == {DEFAULT_FONT}
    # The check can fail: a font without Thai glyphs gets a fallback font for the Thai text.
    assert not _has_thai("DejaVu Sans Mono")
    fallback = _fonts_with_thai(_thai_only("DejaVu Sans Mono", "pdf"))
    assert fallback and "DejaVuSansMono" not in fallback


def test_png_renders_thai_with_the_chosen_font() -> None:
    """Thai-only text looks different in our font than in a font that lacks Thai glyphs.

    Were the font setting ignored, both would fall back to the same face and match exactly.
    """
    ours = _thai_only(DEFAULT_FONT, "png")
    other = _thai_only("DejaVu Sans Mono", "png")
    assert ours.startswith(b"\x89PNG\r\n\x1a\n")
    assert ours != other
    assert _thai_only(DEFAULT_FONT, "png") == ours  # deterministic, so the difference is the font


# --------------------------------------------------------------------------------- refusals


def test_unknown_format_is_refused(provincial: LoadedDefinition) -> None:
    with pytest.raises(UnknownFormat, match=r"unknown diagram format 'gif' \(choose svg, png"):
        render(procedure_diagram(provincial), "gif")


def test_missing_dot_is_one_clear_line(
    provincial: LoadedDefinition, monkeypatch: pytest.MonkeyPatch
) -> None:
    diagram = procedure_diagram(provincial)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(GraphvizNotFound) as caught:
        render(diagram, "svg")
    assert str(caught.value) == (
        "Graphviz 'dot' not found: install it with 'apt-get install graphviz'"
    )
    # DOT source needs no binary
    assert render(diagram, "dot").decode() == to_source(diagram)
