"""The ministry's own mechanism: recorded by the roles the definitions name, audited, verified."""

from __future__ import annotations

from pathlib import Path

from store import make_engine
from store.verify import verify_database
from tests.cli_support import Cli, document, training_db


def _verified(c: Cli) -> None:
    engine = make_engine(c.db)
    try:
        assert verify_database(engine).exit_code == 0
    finally:
        engine.dispose()


def test_the_ministry_records_its_mechanism(tmp_path: Path) -> None:
    c = training_db(tmp_path / "m.db")
    assert "no ministry mechanism" in c.ok("ministry", "mechanism", "show").stdout
    order = document(tmp_path, "order.pdf")
    c.ok(
        "ministry", "mechanism", "set", "--order-no", "คำสั่ง มท. 1/2569", "--date", "2569-01-05",
        "--chair", "ปลัดกระทรวงมหาดไทย", "--agency", "กระทรวงการต่างประเทศ", "--agency", "สถ.",
        "--agency", "สถ.", "--file", str(order), as_="anong",
    )  # fmt: skip
    _verified(c)
    shown = c.json("ministry", "mechanism", "show")
    assert shown["order_no"] == "คำสั่ง มท. 1/2569" and shown["order_date"] == "2026-01-05"
    assert shown["agencies"] == ["กระทรวงการต่างประเทศ", "สถ."]
    # the order is kept and given back verified
    got = c.ok("document", "get", shown["document"]["sha256"])
    assert got.stdout_bytes == order.read_bytes()
    records = c.json("audit", "log", "--trigger", "set_ministry_mechanism")
    assert [(r["kind"], r["actor_id"], r["fields"]["level"]) for r in records] == [
        ("mechanism", "anong", "ministry")
    ]


def test_only_the_roles_the_definitions_name_may_record_it(tmp_path: Path) -> None:
    c = training_db(tmp_path / "m.db")
    before = len(c.json("audit", "log"))
    message = c.refused(
        "ministry", "mechanism", "set", "--order-no", "1/2569", "--date", "2569-01-05",
        "--chair", "x", as_="somchai",
    )  # fmt: skip
    assert "may not record the ministry's mechanism" in message and "moi_officer" in message
    records = c.json("audit", "log")
    assert len(records) == before + 1 and records[-1]["kind"] == "denied"
    assert records[-1]["trigger"] == "ministry_mechanism"
    _verified(c)
    # a refusal of the input writes nothing
    assert "must contain a number" in c.refused(
        "ministry", "mechanism", "set", "--order-no", "x", "--date", "2569-01-05", "--chair",
        "x", as_="anong",
    )  # fmt: skip
    assert len(c.json("audit", "log")) == before + 1
