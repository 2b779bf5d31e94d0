"""Regenerate the procedure pictures kept in the repository: ``python -m diagrams.regenerate``.

Each shipped procedure version gets ``<procedure>-v<N>.svg`` (embedded in the README) and
``<procedure>-v<N>.dot`` beside it. The DOT file is what the freshness test compares: it is
exact and needs no Graphviz, while SVG bytes change with the Graphviz version installed.
``--check`` exits 1 when a file is stale, for CI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from diagrams.dot import render, to_source
from diagrams.extract import procedure_diagram
from states import available_procedures, load_procedure

HERE = Path(__file__).resolve().parent
#: Both languages: the README is read by officers and by partners and MFA alike.
LANG = "both"


def stem(procedure: str, version: int) -> str:
    """Base file name of one version's pictures."""
    return f"{procedure}-v{version}"


def expected_sources() -> dict[Path, str]:
    """The DOT file each shipped version should have, keyed by its path."""
    sources: dict[Path, str] = {}
    for procedure, versions in available_procedures().items():
        for version in versions:
            diagram = procedure_diagram(load_procedure(procedure, version), LANG)
            sources[HERE / f"{stem(procedure, version)}.dot"] = to_source(diagram)
    return sources


def stale() -> list[Path]:
    """DOT files missing or different from what the definitions give now."""
    return [
        path
        for path, source in expected_sources().items()
        if not path.exists() or path.read_text(encoding="utf-8") != source
    ]


def regenerate() -> list[Path]:
    """Rewrite every DOT and SVG file; returns the files written."""
    written: list[Path] = []
    for procedure, versions in available_procedures().items():
        for version in versions:
            diagram = procedure_diagram(load_procedure(procedure, version), LANG)
            dot_path = HERE / f"{stem(procedure, version)}.dot"
            svg_path = HERE / f"{stem(procedure, version)}.svg"
            dot_path.write_text(to_source(diagram), encoding="utf-8")
            svg_path.write_bytes(render(diagram, "svg"))
            written += [dot_path, svg_path]
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry; argparse keeps click out of this package."""
    parser = argparse.ArgumentParser(prog="python -m diagrams.regenerate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    if args.check:
        out_of_date = stale()
        for path in out_of_date:
            print(f"stale: {path.name} (run: python -m diagrams.regenerate)", file=sys.stderr)
        return 1 if out_of_date else 0
    for path in regenerate():
        print(f"wrote {path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
