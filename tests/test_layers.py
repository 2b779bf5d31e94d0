"""The dependency direction holds: import-linter's contracts, and click in cli.py only."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = {"tests", "benchmarks", "build", "dist", "node_modules"}


def test_import_contracts_are_kept() -> None:
    exe = shutil.which("lint-imports")
    command = [exe] if exe else [sys.executable, "-m", "importlinter.cli"]
    result = subprocess.run(
        [*command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", "") == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value).split(".")[0])
    return found


def source_files() -> list[Path]:
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if any(p.startswith(".") or p in SKIP or p.endswith(".egg-info") for p in parts):
            continue
        files.append(path)
    return files


def test_click_is_imported_by_cli_only() -> None:
    files = source_files()
    assert ROOT / "cli.py" in files
    assert any(p.parts[-2:] == ("workflow", "engine.py") for p in files)
    importers = [str(p.relative_to(ROOT)) for p in files if "click" in imported_modules(p)]
    assert importers == ["cli.py"]


def test_the_scanner_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import click.testing\nfrom click import echo\n__import__('click')\n")
    assert imported_modules(sample) == {"click"}
