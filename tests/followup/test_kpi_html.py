"""The HTML report is self-contained and renders, charts and Thai text, in headless Chromium."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import struct
import subprocess
import zlib
from html import escape
from pathlib import Path

import pytest

from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.demo import OFFICERS
from store.kpi import compute_kpis
from workflow import followup as fu
from workflow import importer, services
from workflow.kpi import DEFINITIONS, KpiReport
from workflow.kpi_html import render_html

from .conftest import SAMPLE, at

CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None
)


def _report(tmp_path: Path, empty: bool = False) -> KpiReport:
    engine = make_engine(str(tmp_path / ("e.db" if empty else "r.db")))
    init_database(engine, training=True)
    if empty:
        report = compute_kpis(engine, 2568, dt.date(2025, 10, 1))
        engine.dispose()
        return report
    uow = SqlAlchemyUnitOfWork(engine)
    for o in OFFICERS:
        services.add_officer(uow, o, None, at("2024-01-02"))
    somchai = OFFICERS[0]
    result = importer.import_relationships(
        uow, OFFICERS[3], SAMPLE.read_bytes(), "sample.csv", at("2024-07-01")
    )
    chiang_mai = [ref for line, ref in result.created if line in (2, 3)]
    for ref in chiang_mai:
        fu.record_activity(
            uow, somchai, ref, fu.ActivityInput(dt.date(2025, 1, 15), "culture", "ยี่เป็ง"), [],
            "", at("2025-01-16"),
        )  # fmt: skip
    fu.set_plan(uow, somchai, chiang_mai[0], 2568, "100000", SAMPLE, at("2025-01-17"))
    report = compute_kpis(engine, 2568, dt.date(2025, 10, 1))
    engine.dispose()
    return report


def _report_html(tmp_path: Path, lang: str = "both") -> str:
    return render_html(_report(tmp_path), lang)


def test_html_is_self_contained_and_bilingual(tmp_path: Path) -> None:
    html = _report_html(tmp_path)
    assert "<svg" in html and "<style>" in html
    assert not re.search(
        r"(src|href)\s*=|https?://(?!www\.w3\.org/2000/svg)|<script|@import", html
    )
    for text in ("เชียงใหม่", "Chiang Mai", "ปีงบประมาณ", "fiscal year", "ภูเก็ต"):
        assert text in html


def test_thai_mode_names_provinces_and_steps_and_defines_every_indicator(
    tmp_path: Path,
) -> None:
    report = _report(tmp_path)
    html = render_html(report, "th")
    assert report.quiet and report.overdue  # states and provinces the page has to name
    assert not re.search(r"TH-\d\d", html), "an ISO code shown in Thai mode"
    ids = {sid for sid, _, _ in report.state_names}
    shown = set(re.findall(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+", re.sub(r"<[^>]+>", " ", html)))
    assert not shown & ids, f"state ids shown in Thai mode: {shown & ids}"
    assert "Chiang Mai" not in html and "เชียงใหม่" in html and "ภูเก็ต" in html
    assert "ความสัมพันธ์ดำเนินอยู่" in html  # the state, by its Thai name
    assert "1 ต.ค. 2568" in html  # the as-of date, Buddhist Era
    headings = [m.start() for m in re.finditer(r"<h2>", html)]
    for number, definition in enumerate(DEFINITIONS.values(), 1):
        title = html.index(f"<h2>{number}. {definition.title_th}</h2>")
        text = html.index(escape(definition.th))
        following = [h for h in headings if h > title]
        assert title < text < (following[1] if len(following) > 1 else len(html))
        assert escape(definition.en) not in html


def _axis_values(svg: str) -> list[str]:
    return re.findall(r'text-anchor="end" fill="#666">([^<]+)</text>', svg)


def test_every_chart_has_one_scale_with_its_values(tmp_path: Path) -> None:
    html = _report_html(tmp_path, "th")
    charts = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(charts) >= 5
    for svg in charts:
        title = re.search(r"<title>([^<]+)</title>", svg)
        assert title, "every chart says what it shows"
        values = _axis_values(svg) or re.findall(
            r'y="\d+" font-size="10" text-anchor="middle" fill="#666">([^<]+)</text>', svg
        )
        assert len(values) >= 2, title.group(1)
        numbers = [float(v.replace("%", "").replace(",", "")) for v in values]
        top = numbers[: len(numbers) // 2] if not _axis_values(svg) else numbers
        assert top == sorted(top) and top[0] == 0, (title.group(1), values)
        assert "max " not in svg  # no second, hidden scale


def test_empty_sections_say_why(tmp_path: Path) -> None:
    html = render_html(_report(tmp_path, empty=True), "th")
    for message in (
        "ยังไม่มีความสัมพันธ์ที่ลงนามแล้ว",
        "ไม่มีความสัมพันธ์ที่มีผลตลอดปีงบประมาณนี้",
        "ยังไม่มีการบันทึกกลไกระดับกระทรวง",
        "ยังไม่มีความสัมพันธ์ที่ติดตามผลอยู่",
        "ยังไม่มีแผนหรือค่าใช้จ่ายของกิจกรรมในปีงบประมาณนี้",
        "ไม่มีขั้นตอนที่เจ้าหน้าที่ดำเนินการในปีงบประมาณนี้",
        "ไม่มีขั้นตอนใดสิ้นสุดในปีงบประมาณนี้",
        "ไม่มีเรื่องที่อยู่ในขั้นตอนนานเกินกำหนด",
        "ไม่มีจังหวัดที่มีความสัมพันธ์ที่ต้องรายงาน",
    ):
        assert message in html, message
    for definition in DEFINITIONS.values():
        assert escape(definition.th) in html


def _pixels(png: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """A minimal decoder for Chromium's screenshots: 8-bit RGB(A), not interlaced."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    height = depth = colour = 0
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        body = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert depth == 8 and colour in (2, 6)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytearray] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        rows.append(line)
        prev = line
    pixels = [tuple(r[x * bpp : x * bpp + 3]) for r in rows for x in range(width)]
    return width, height, pixels


def _screenshot(tmp_path: Path, name: str, html: str, size: str = "1000,1400") -> bytes:
    page, shot = tmp_path / f"{name}.html", tmp_path / f"{name}.png"
    page.write_text(html, encoding="utf-8")
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", f"--window-size={size}", f"--screenshot={shot}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return shot.read_bytes()


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_report_renders_charts_and_thai_in_chromium(tmp_path: Path) -> None:
    html = _report_html(tmp_path, "th")
    _, _, report = _pixels(_screenshot(tmp_path, "report", html, "1000,4200"))
    _, _, empty = _pixels(_screenshot(tmp_path, "empty", "<!DOCTYPE html><html></html>"))
    assert len(set(empty)) == 1  # a blank page is one colour
    assert len(set(report)) > 50 and report != empty
    bar_blue = sum(1 for p in report if p == (0x2B, 0x5D, 0x8A))
    line_red = sum(1 for p in report if p == (0xC0, 0x39, 0x2B))
    share_green = sum(1 for p in report if p == (0x27, 0xAE, 0x60))
    assert bar_blue > 500 and line_red > 50 and share_green > 100
    # Thai glyphs, not missing-glyph boxes: two different Thai letters render differently
    glyph = "<!DOCTYPE html><meta charset=utf-8><body style='font:64px Loma,Garuda,sans-serif'>"
    ko = _pixels(_screenshot(tmp_path, "ko", glyph + "กรุงเทพ", "300,120"))[2]
    kho = _pixels(_screenshot(tmp_path, "kho", glyph + "ขอนแก่น", "300,120"))[2]
    assert ko != kho and len(set(ko)) > 2
