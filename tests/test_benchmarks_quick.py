"""Every benchmark still runs: the quick mode of each (small sizes, figures printed, no limit
checked), so that none rots unnoticed. The figures themselves are ``python -m benchmarks``'s."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*argv: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("SISTERCITY_DB", "SISTERCITY_OFFICER")}
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout


@pytest.mark.parametrize(
    "group",
    [
        # startup draws a diagram with Graphviz's dot, as the command does
        pytest.param("startup", marks=pytest.mark.graphviz),
        "steps",
        "workers",
        "scale",
    ],
)
def test_the_benchmark_suite_runs_quick(group: str) -> None:
    out = _run("-m", "benchmarks", "--quick", "--only", group, "--markdown")
    assert "product" in out and "floor" in out and "ratio" in out, out
    assert "| measure | product (median) | floor (median) |" in out, out
    if group in ("steps", "workers") and os.environ.get("SISTERCITY_TEST_PG_URL"):
        assert "PostgreSQL" in out, out


def test_the_suite_runs_as_a_script_too() -> None:
    out = _run("benchmarks/run.py", "--help")
    assert "--quick" in out


@pytest.mark.parametrize(
    "script",
    [
        "advance_cases.py",
        "audit_verify.py",
        "kpi_report.py",
        "web_pages.py",
        pytest.param("diagram_render.py", marks=pytest.mark.graphviz),
    ],
)
def test_each_benchmark_script_runs_quick(script: str) -> None:
    out = _run(f"benchmarks/{script}", "--quick")
    assert out.strip(), f"{script} printed nothing"
