"""Nothing the product writes ever makes ``audit verify`` fail.

After every class of refusal (wrong state, permission, scope, segregation of duties, a missing
field, a failing guard, and each action that is not a step) and after every follow-up action
(activity, plan, mechanism, import, sweep, signed head), through the CLI, ``audit verify`` exits 0.
Refusals for permission, scope and segregation leave exactly one ``denied`` record; the others
leave nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from store.demo import build_demo
from tests.cli_support import EXTRA_OFFICERS, Cli, document, open_case, snapshot

SAMPLE = Path(__file__).parent / "data" / "relationships-sample.csv"
TOMORROW = (dt.date.today() + dt.timedelta(days=2)).isoformat()


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Cli, str]:
    """The demo's training database (an active relationship) with the extra officers."""
    case, _ = build_demo(str(tmp_path / "demo.db"))
    c = Cli(tmp_path / "demo.db")
    for officer in EXTRA_OFFICERS:
        c.add_officer(officer)
    return c, case.reference


Scenario = Callable[[Cli, str, Path], list[str]]


def _draft(c: Cli) -> str:
    return open_case(c, partner="Kunming")


REFUSALS: dict[str, tuple[Scenario, bool]] = {
    # name: (arguments of a refused command, whether it leaves one denied record)
    "wrong state": (lambda c, ref, _t: ["case", "advance", ref, "begin_study", "--as", "somchai"], False),
    "permission": (lambda c, ref, _t: ["case", "advance", _draft(c), "begin_study", "--as", "anong"], True),
    "scope": (lambda c, ref, _t: ["case", "advance", _draft(c), "begin_study", "--as", "phuket-officer"], True),
    "missing field": (lambda c, ref, _t: ["activity", "add", ref, "--date", "2024-12-01", "--kind", "culture", "--title", " ", "--as", "somchai"], False),
    "guard": (lambda c, ref, _t: ["activity", "add", ref, "--date", TOMORROW, "--kind", "culture", "--title", "ลอยกระทง", "--as", "somchai"], False),
    "open": (lambda c, ref, _t: ["case", "open", "--province", "TH-50", "--partner", "X", "--country", "CN", "--level", "city", "--as", "anong"], True),
    "open out of province": (lambda c, ref, _t: ["case", "open", "--province", "TH-50", "--partner", "X", "--country", "CN", "--level", "city", "--as", "phuket-officer"], True),
    "import": (lambda c, ref, _t: ["import", "relationships", str(SAMPLE), "--as", "somchai"], True),
    "plan": (lambda c, ref, t: ["plan", "set", ref, "--fy", "2568", "--budget", "1000", "--file", str(document(t, "plan.pdf")), "--as", "anong"], True),
    "plan out of province": (lambda c, ref, t: ["plan", "set", ref, "--fy", "2568", "--budget", "1000", "--file", str(document(t, "plan.pdf")), "--as", "phuket-officer"], True),
    "mechanism": (lambda c, ref, _t: ["province", "mechanism", "set", "TH-50", "--order-no", "1/2567", "--date", "2567-02-01", "--chair", "ผู้ว่าฯ", "--as", "phuket-officer"], True),
    "head": (lambda c, ref, _t: ["audit", "head", "--as", "somchai"], True),
    "officers": (lambda c, ref, _t: ["officer", "add", "newbie", "--name", "N", "--role", "auditor", "--as", "somchai"], True),
    "migrate": (lambda c, ref, _t: ["case", "migrate", ref, "--to-version", "2", "--as", "somchai"], True),
}  # fmt: skip


def _run(c: Cli, argv: list[str]) -> tuple[int, str]:
    as_ = argv[argv.index("--as") + 1] if "--as" in argv else None
    args = [a for i, a in enumerate(argv) if a != "--as" and (i == 0 or argv[i - 1] != "--as")]
    result = c.run(*args, as_=as_)
    return result.exit_code, result.output


@pytest.mark.parametrize("name", list(REFUSALS))
def test_every_refusal_leaves_a_verifiable_log(
    demo: tuple[Cli, str], name: str, tmp_path: Path
) -> None:
    c, ref = demo
    scenario, denied = REFUSALS[name]
    argv = scenario(c, ref, tmp_path / "files")
    before = snapshot(c.db, None).records
    code, output = _run(c, argv)
    assert code == 1, output
    added = snapshot(c.db, None).records[len(before) :]
    assert [kind for _seq, kind, _ref in added] == (["denied"] if denied else []), output
    verified = c.run("audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_a_segregation_refusal_leaves_a_verifiable_log(
    demo: tuple[Cli, str], tmp_path: Path
) -> None:
    c, _ = demo
    ref = open_case(c, as_="dual", partner="Nanning")
    c.ok("case", "advance", ref, "begin_study", as_="dual")
    files = [f"{n}={document(tmp_path, n + '.pdf')}" for n in (
        "suitability_study", "working_group_minutes", "draft_mou_th", "draft_mou_en", "action_plan"
    )]  # fmt: skip
    c.ok("case", "advance", ref, "submit_to_committee", *sum((["-f", f] for f in files), []),
         as_="dual")  # fmt: skip
    result = c.run(
        "case", "advance", ref, "committee_approve", "-f", "committee_resolution_no=1/2567",
        "-f", "committee_resolution_date=2024-01-05", as_="dual",
    )  # fmt: skip
    assert result.exit_code == 1 and "may not also" in result.output
    assert c.json("case", "history", ref)[-1]["kind"] == "denied"
    assert c.run("audit", "verify").exit_code == 0


FOLLOW_UP: dict[str, Scenario] = {
    "activity": lambda c, ref, t: ["activity", "add", ref, "--date", "2567-12-01", "--kind", "meeting", "--title", "ประชุมร่วม", "--evidence", str(document(t, "photo.jpg")), "--as", "somchai"],
    "plan": lambda c, ref, t: ["plan", "set", ref, "--fy", "2568", "--budget", "120000", "--file", str(document(t, "plan.pdf")), "--as", "somchai"],
    "mechanism": lambda c, ref, t: ["province", "mechanism", "set", "TH-50", "--order-no", "123/2567", "--date", "2567-02-01", "--chair", "ผู้ว่าราชการจังหวัด", "--as", "somchai"],
    "import": lambda c, ref, _t: ["import", "relationships", str(SAMPLE), "--as", "anong"],
    "sweep": lambda c, ref, _t: ["sweep"],
    "head": lambda c, ref, _t: ["audit", "head", "--as", "auditor"],
}  # fmt: skip


@pytest.mark.parametrize("name", list(FOLLOW_UP))
def test_every_follow_up_action_leaves_a_verifiable_log(
    demo: tuple[Cli, str], name: str, tmp_path: Path
) -> None:
    c, ref = demo
    code, output = _run(c, FOLLOW_UP[name](c, ref, tmp_path / "files"))
    assert code == 0, output
    verified = c.run("audit", "verify")
    assert verified.exit_code == 0, verified.output
