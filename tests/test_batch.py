"""One decision over several cases: ``case advance REF... TRIGGER`` is all or nothing.

A Cabinet resolution often covers several relationships at once. Applied as one batch, every
case gets its own audit record with the same field values and documents (stored once); when any
case is in the wrong state, refused or fails a rule, nothing changes and the refusal names each
failing case, and a refusal for permission still leaves its one ``denied`` record per case.
Run on SQLite and PostgreSQL, through the command line.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from store import SqlAlchemyUnitOfWork
from store.demo import STEPS
from tests.cli_support import Cli, document, sha256_of
from workflow import services
from workflow.model import Actor, NewCase
from workflow.thaidate import BANGKOK

PARTNERS = ("Guangzhou", "Kunming", "Nagano", "Busan", "Hue")
#: Up to and including the MFA's opinion: the case then awaits the Cabinet proposal.
TO_NEGOTIATION = STEPS[:9]
RESOLUTION = {
    "cabinet_resolution_date": "2023-12-19",
    "cabinet_secretariat_letter_no": "นร 0505/3456",
}


def _at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(10), BANGKOK).astimezone(dt.UTC)


def _cases_in_negotiation(engine: Engine, officers: dict[str, Actor]) -> list[str]:
    uow = SqlAlchemyUnitOfWork(engine)
    references = []
    for partner in PARTNERS:
        case = services.open_case(
            uow,
            officers["somchai"],
            NewCase("TH-50", partner, "CN", "city", "MOU", "sister"),
            _at("2021-05-10"),
            version=1,
        )
        for day, officer, trigger, fields, note in TO_NEGOTIATION:
            services.advance_case(
                uow, officers[officer], case.reference, trigger, fields, note, _at(day)
            )
        references.append(case.reference)
    return references


def _rows(engine: Engine) -> tuple[list[Any], list[Any], list[Any]]:
    """Every audit record, case and stored document, as stored."""
    with engine.connect() as conn:
        return (
            [tuple(r) for r in conn.execute(text("SELECT * FROM audit_records ORDER BY seq"))],
            [tuple(r) for r in conn.execute(text("SELECT * FROM cases ORDER BY reference"))],
            [tuple(r) for r in conn.execute(text("SELECT sha256 FROM documents ORDER BY 1"))],
        )


def _verified(c: Cli) -> None:
    result = c.run("audit", "verify", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"] is True


def test_a_cabinet_resolution_over_five_cases_is_all_or_nothing(
    engine: Engine, db_url: str, officers: dict[str, Actor], tmp_path: Path
) -> None:
    refs = _cases_in_negotiation(engine, officers)
    c = Cli(db_url)
    # Four proposals go to the Cabinet in one letter, with the agreed texts, kept once.
    texts = tmp_path / "texts"
    agreed_th, agreed_en = document(texts, "agreed-th.pdf"), document(texts, "agreed-en.pdf")
    proposed = c.json(
        "case", "advance", *refs[:4], "propose_to_cabinet",
        "-f", "cabinet_proposal_no=มท 0204.3/9012",
        "--doc", f"agreed_text_th={agreed_th}", "--doc", f"agreed_text_en={agreed_en}",
        as_="permsec",
    )  # fmt: skip
    assert [r["case_reference"] for r in proposed] == refs[:4]
    assert {r["fields"]["agreed_text_th"]["sha256"] for r in proposed} == {sha256_of(agreed_th)}
    assert _rows(engine)[2] == sorted([(sha256_of(agreed_th),), (sha256_of(agreed_en),)])

    # The resolution over all five: the fifth was never proposed, so nothing changes.
    before = _rows(engine)
    resolution = [f"-f{name}={value}" for name, value in RESOLUTION.items()]
    message = c.refused(
        "case", "advance", *refs, "record_cabinet_approval", *resolution, as_="anong"
    )
    assert f"{refs[4]}: 'record_cabinet_approval' is not allowed from 'partner_negotiation'" in (
        message
    )
    assert "1 of 5 cases refused" in message
    assert not any(f"{ref}:" in message for ref in refs[:4])
    assert _rows(engine) == before
    _verified(c)

    # Once it is proposed too, the same resolution moves all five, one record each.
    c.ok(
        "case", "advance", refs[4], "propose_to_cabinet",
        "-f", "cabinet_proposal_no=มท 0204.3/9013",
        "--doc", f"agreed_text_th={agreed_th}", "--doc", f"agreed_text_en={agreed_en}",
        as_="permsec",
    )  # fmt: skip
    approved = c.json(
        "case", "advance", *refs, "record_cabinet_approval", *resolution, as_="anong"
    )
    assert [r["case_reference"] for r in approved] == refs
    assert all(r["dest"] == "approved_for_signing" for r in approved)
    assert {json.dumps(r["fields"], sort_keys=True) for r in approved} == {
        json.dumps(RESOLUTION, sort_keys=True)
    }
    seqs = [r["seq"] for r in approved]
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    assert [r["receipt"]["seq"] for r in approved] == seqs
    assert [r["receipt"]["hash"] for r in approved] == [r["hash"] for r in approved]
    for ref in refs:
        assert c.json("case", "show", ref)["state"] == "approved_for_signing"
    _verified(c)


def test_a_batch_refused_for_permission_leaves_one_denied_record_per_case(
    engine: Engine, db_url: str, officers: dict[str, Actor]
) -> None:
    refs = _cases_in_negotiation(engine, officers)[:3]
    c = Cli(db_url)
    before = _rows(engine)
    message = c.refused(
        "case", "advance", *refs, "propose_to_cabinet", "-f", "cabinet_proposal_no=มท 1/2566",
        as_="somchai",
    )  # fmt: skip
    assert "3 of 3 cases refused" in message
    for ref in refs:
        assert f"{ref}: officer 'somchai' may not 'propose_to_cabinet'" in message
    records, cases, documents = _rows(engine)
    assert cases == before[1] and documents == before[2]
    added = records[len(before[0]) :]
    assert records[: len(before[0])] == before[0]
    assert [(r[3], r[4], r[6], r[9]) for r in added] == [
        ("denied", ref, "propose_to_cabinet", "somchai") for ref in refs
    ]
    _verified(c)


def test_a_batch_with_a_missing_field_names_every_case_and_writes_nothing(
    engine: Engine, db_url: str, officers: dict[str, Actor]
) -> None:
    refs = _cases_in_negotiation(engine, officers)[:2]
    c = Cli(db_url)
    before = _rows(engine)
    message = c.refused("case", "advance", *refs, "propose_to_cabinet", as_="permsec")
    for ref in refs:
        assert f"{ref}: missing or invalid: agreed_text_th: required" in message
    assert _rows(engine) == before
    assert "given twice" in c.refused(
        "case", "advance", refs[0], refs[0].lower(), "propose_to_cabinet", as_="permsec"
    )
    assert _rows(engine) == before
