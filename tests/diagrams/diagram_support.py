"""Helpers for the diagram tests: a small definition, fake history rows, SVG reading."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

SVG = "{http://www.w3.org/2000/svg}"

TINY = """
procedure = "tiny"
version = 2
effective_from = 2024-10-01
title = { th = "ขั้นตอนทดสอบ", en = "Tiny procedure" }
initial = "draft"
[[roles]]
id = "province_officer"
label = { th = "เจ้าหน้าที่", en = "Officer" }
[[states]]
id = "draft"
phase = "proposal"
label = { th = "ร่าง", en = "Draft" }
[[states]]
id = "review"
phase = "ministry_review"
expected_days = 10
label = { th = "พิจารณา", en = "Review" }
[[states]]
id = "on_hold"
phase = "ministry_review"
label = { th = "พักเรื่อง", en = "On hold" }
[[states]]
id = "done"
phase = "closed"
final = true
label = { th = "เสร็จ", en = "Done" }
[[transitions]]
trigger = "submit"
source = ["draft"]
dest = "review"
roles = ["province_officer"]
label = { th = "ส่ง", en = "Submit" }
[[transitions]]
trigger = "send_back"
source = ["review"]
dest = "draft"
kind = "revision"
roles = ["province_officer"]
label = { th = "ส่งกลับ", en = "Send back" }
[[transitions]]
trigger = "finish"
source = ["review"]
dest = "done"
roles = ["province_officer"]
label = { th = "เสร็จสิ้น", en = "Finish" }
[[transitions]]
trigger = "hold"
source = ["draft", "review"]
dest = "on_hold"
kind = "branch"
roles = ["province_officer"]
label = { th = "พัก", en = "Hold" }
[[transitions]]
trigger = "resume"
source = ["on_hold"]
dest = "@previous"
kind = "branch"
roles = ["province_officer"]
label = { th = "ทำต่อ", en = "Resume" }
"""


@dataclass(frozen=True)
class Row:
    """Stands in for an audit record: the diagram only needs these five attributes."""

    kind: str
    trigger: str | None
    source: str | None
    dest: str | None
    occurred_at: dt.datetime


def utc(text: str) -> dt.datetime:
    """An aware UTC time from ``YYYY-MM-DDTHH:MM``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def parse_svg(data: bytes) -> ET.Element:
    """The SVG as XML; parsing at all proves dot produced well-formed output."""
    return ET.fromstring(data)


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    """``<g>`` elements whose class list contains *cls*."""
    return [g for g in root.iter(f"{SVG}g") if cls in (g.get("class") or "").split()]


def title(group: ET.Element) -> str:
    found = group.find(f"{SVG}title")
    assert found is not None and found.text is not None
    return found.text


def texts(group: ET.Element) -> list[str]:
    return [t.text or "" for t in group.iter(f"{SVG}text")]


def bbox(group: ET.Element) -> tuple[float, float, float, float]:
    """Bounding box of every shape's coordinates in a ``<g>`` (paths, polygons, ellipses)."""
    xs: list[float] = []
    ys: list[float] = []
    for shape in group:
        if shape.tag in (f"{SVG}path", f"{SVG}polygon", f"{SVG}polyline"):
            raw = shape.get("d") or shape.get("points") or ""
            nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", raw)]
            xs += nums[0::2]
            ys += nums[1::2]
        elif shape.tag == f"{SVG}ellipse":
            cx, cy = float(shape.get("cx", 0)), float(shape.get("cy", 0))
            rx, ry = float(shape.get("rx", 0)), float(shape.get("ry", 0))
            xs += [cx - rx, cx + rx]
            ys += [cy - ry, cy + ry]
    assert xs and ys, f"no shapes in {title(group)}"
    return min(xs), min(ys), max(xs), max(ys)
