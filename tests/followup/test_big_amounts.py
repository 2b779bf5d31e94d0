"""Amounts are satang in 64-bit columns (migration 0009): a budget past 21 million baht, which a
32-bit column cannot hold, is stored exactly on SQLite and PostgreSQL; one past the stated
maximum is refused in one line, with nothing written."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from store import SqlAlchemyUnitOfWork
from workflow import followup as fu
from workflow.errors import InvalidInput
from workflow.fields import MAX_AMOUNT
from workflow.model import Actor

from .conftest import at, walk_to_active


def test_large_budgets_are_stored_exactly(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], tmp_path: Path
) -> None:
    ref = walk_to_active(fuow, officers)
    plan_pdf = tmp_path / "plan.pdf"
    plan_pdf.write_bytes(b"plan")
    largest = f"{MAX_AMOUNT:,}"  # 1,000,000,000,000: 10^14 satang
    fu.set_plan(fuow, officers["somchai"], ref, 2568, "30,000,000.25", plan_pdf, at("2024-10-02"))
    fu.set_plan(fuow, officers["somchai"], ref, 2569, largest, plan_pdf, at("2024-10-02"))
    budgets = {p.fiscal_year: p.budget_thb for p in fu.list_plans(fuow, ref)}
    assert budgets == {2568: Decimal("30000000.25"), 2569: MAX_AMOUNT.quantize(Decimal("0.01"))}
    with fuow:
        before = len(list(fuow.audit.iter_all()))
    for too_much in ("1e400", "1" * 41, f"{MAX_AMOUNT + 1}"):
        with pytest.raises(InvalidInput, match="at most 1,000,000,000,000 baht"):
            fu.set_plan(fuow, officers["somchai"], ref, 2570, too_much, plan_pdf, at("2024-10-02"))
    with fuow:
        assert len(list(fuow.audit.iter_all())) == before
