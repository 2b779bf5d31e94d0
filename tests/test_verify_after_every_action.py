"""Nothing the product writes ever makes ``audit verify`` fail.

After every class of refusal (wrong state, permission, scope, segregation of duties, a missing
field, a failing guard, and each action that is not a step) and after every follow-up action
(activity, plan, mechanism, import, sweep, signed head), through the CLI, ``audit verify`` exits 0.
Refusals for permission, scope and segregation leave exactly one ``denied`` record; the others
leave nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from store.demo import build_demo
from tests.cli_support import EXTRA_OFFICERS, Cli, document, open_case, snapshot

SAMPLE = Path(__file__).parent / "data" / "relationships-sample.csv"
TOMORROW = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Cli, str]:
    """The demo's training database (an active relationship) with the extra officers."""
    case, _ = build_demo(str(tmp_path / "demo.db"))
    c = Cli(tmp_path / "demo.db")
    for officer in EXTRA_OFFICERS:
        c.add_officer(officer)
    return c, case.reference


def _args(template: str, c: Cli, ref: str, folder: Path) -> list[str]:
    """A command line from a template: {ref} the active case, {draft} a new draft case, {plan}
    and {photo} small files, {sample} the sample register, {tomorrow} a date in the future."""
    values = {
        "ref": ref,
        "draft": _draft(c) if "{draft}" in template else "",
        "plan": str(document(folder, "plan.pdf")),
        "photo": str(document(folder, "photo.jpg")),
        "sample": str(SAMPLE),
        "tomorrow": TOMORROW,
    }
    return [word.format(**values) for word in template.split()]


def _draft(c: Cli) -> str:
    return open_case(c, partner="Kunming")


OPEN = "case open --province TH-50 --partner X --country CN --level city"
ACTIVITY = "activity add {ref} --kind culture"
REFUSALS: dict[str, tuple[str, bool]] = {
    # name: (a refused command, whether it leaves one denied record)
    "wrong state": ("case advance {ref} begin_study --as somchai", False),
    "permission": ("case advance {draft} begin_study --as anong", True),
    "scope": ("case advance {draft} begin_study --as phuket-officer", True),
    "missing field": (f"{ACTIVITY} --date 2024-12-01 --title= --as somchai", False),
    "guard": (f"{ACTIVITY} --date {{tomorrow}} --title ลอยกระทง --as somchai", False),
    "open": (f"{OPEN} --as anong", True),
    "open out of province": (f"{OPEN} --as phuket-officer", True),
    "import": ("import relationships {sample} --as somchai", True),
    "plan": ("plan set {ref} --fy 2568 --budget 1000 --file {plan} --as anong", True),
    "plan out of province": (
        "plan set {ref} --fy 2568 --budget 1000 --file {plan} --as phuket-officer",
        True,
    ),
    "mechanism": (
        "province mechanism set TH-50 --order-no 1/2567 --date 2567-02-01 --chair ผู้ว่าฯ "
        "--as phuket-officer",
        True,
    ),
    "head": ("audit head --as somchai", True),
    "officers": ("officer add newbie --name N --role auditor --as somchai", True),
    "migrate": ("case migrate {ref} --to-version 2 --as somchai", True),
}


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
    template, denied = REFUSALS[name]
    argv = _args(template, c, ref, tmp_path / "files")
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
    names = ("suitability_study", "working_group_minutes", "draft_mou_th", "draft_mou_en")
    files = [f"-f{n}={document(tmp_path, n + '.pdf')}" for n in (*names, "action_plan")]
    c.ok("case", "advance", ref, "submit_to_committee", *files, as_="dual")
    result = c.run(
        "case", "advance", ref, "committee_approve", "-f", "committee_resolution_no=1/2567",
        "-f", "committee_resolution_date=2024-01-05", as_="dual",
    )  # fmt: skip
    assert result.exit_code == 1 and "may not also" in result.output
    assert c.json("case", "history", ref)[-1]["kind"] == "denied"
    assert c.run("audit", "verify").exit_code == 0


FOLLOW_UP: dict[str, str] = {
    "activity": f"{ACTIVITY} --date 2567-12-01 --title ประชุมร่วม --evidence {{photo}} --as somchai",
    "plan": "plan set {ref} --fy 2568 --budget 120000 --file {plan} --as somchai",
    "mechanism": "province mechanism set TH-50 --order-no 123/2567 --date 2567-02-01 "
    "--chair ผู้ว่าราชการจังหวัด --as somchai",
    "import": "import relationships {sample} --as anong",
    "sweep": "sweep --as sweeper",
    "head": "audit head --as auditor",
}


@pytest.mark.parametrize("name", list(FOLLOW_UP))
def test_every_follow_up_action_leaves_a_verifiable_log(
    demo: tuple[Cli, str], name: str, tmp_path: Path
) -> None:
    c, ref = demo
    code, output = _run(c, _args(FOLLOW_UP[name], c, ref, tmp_path / "files"))
    assert code == 0, output
    verified = c.run("audit", "verify")
    assert verified.exit_code == 0, verified.output
