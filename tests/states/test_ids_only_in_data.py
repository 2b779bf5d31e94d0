"""No Python module of the product names a state, step or role id: only the definitions do.

Every string constant in the product's modules is read; one equal to an id of a shipped
procedure is a finding, unless it is a word of the meaning vocabulary the code is allowed to
know (what a state counts as, a transition's kind, an effect, a diagram's edge kind), which some
definitions happen to use as ids too. ``tests/test_renamed_ids.py`` proves the same from the
other side, by renaming every id and getting the same results.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

from diagrams.model import EdgeKind
from states import available_procedures, load_procedure
from states.schema import MEANINGS, FieldType, TransitionKind
from workflow.effects import EFFECTS

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("states", "workflow", "store", "web", "diagrams")
#: Words the code may know, whatever the definitions call their states.
VOCABULARY = {
    *MEANINGS,
    *get_args(TransitionKind),
    *get_args(FieldType),
    *get_args(EdgeKind),
    *EFFECTS,
    "signed",  # the import report's key for the signing date
}


def procedure_ids() -> set[str]:
    ids: set[str] = set()
    for name, versions in available_procedures().items():
        for version in versions:
            definition = load_procedure(name, version).definition
            ids |= {s.id for s in definition.states}
            ids |= {t.trigger for t in definition.transitions}
            ids |= {r.id for r in definition.roles}
    return ids


def product_modules() -> list[Path]:
    found = [ROOT / "cli.py"]
    for package in PRODUCT:
        found += [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]
    return found


def test_the_scan_sees_the_shipped_ids_and_the_product() -> None:
    ids = procedure_ids()
    assert {"begin_study", "province_officer"} <= ids  # read from the TOML, not listed here
    assert len(product_modules()) > 40


def test_no_product_module_names_a_procedure_id() -> None:
    ids = procedure_ids() - VOCABULARY
    findings = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for path in product_modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in ids
    ]
    assert not findings, "ids belong in states/procedures/: " + ", ".join(findings)
