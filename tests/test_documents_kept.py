"""Documents of the approval steps kept in the store when asked, up to a chosen size,
deduplicated, and given back only if they still match their hash."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from store import make_engine
from store.verify import verify_database
from tests.cli_support import Cli, open_case, training_db


def _file(folder: Path, name: str, size: int, fill: bytes = b"x") -> Path:
    path = folder / name
    path.write_bytes((f"{name}\n".encode() + fill * size)[:size])
    return path


def _stored(c: Cli) -> set[str]:
    with sqlite3.connect(c.db) as conn:
        return {row[0] for row in conn.execute("SELECT sha256 FROM documents")}


def test_signed_texts_and_letters_are_kept_when_asked(tmp_path: Path) -> None:
    c = training_db(tmp_path / "k.db")
    ref = open_case(c)
    c.ok("case", "advance", ref, "begin_study", as_="somchai")
    files = tmp_path / "files"
    files.mkdir()
    study = _file(files, "study.pdf", 3000)
    minutes = _file(files, "minutes.pdf", 900)
    draft = _file(files, "draft-th.docx", 700)
    same = files / "draft-en.docx"
    same.write_bytes(draft.read_bytes())  # the same bytes under another name: stored once
    plan = _file(files, "plan.pdf", 500)
    args = [f"-f{name}={path}" for name, path in (
        ("suitability_study", study), ("working_group_minutes", minutes),
        ("draft_mou_th", draft), ("draft_mou_en", same), ("action_plan", plan),
    )]  # fmt: skip
    result = c.run(
        "case", "advance", ref, "submit_to_committee", *args, "--keep-up-to", "2KB",
        as_="somchai",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "suitability_study: study.pdf (3,000 bytes) recorded by hash only" in result.stderr

    digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files.iterdir()}
    stored = _stored(c)
    assert stored == {digest["minutes.pdf"], digest["draft-th.docx"], digest["plan.pdf"]}
    record = c.json("case", "history", ref)[-1]
    assert record["fields"]["draft_mou_en"] == {
        "name": "draft-en.docx", "sha256": digest["draft-th.docx"], "bytes": 700
    }  # fmt: skip
    assert record["fields"]["suitability_study"]["sha256"] == digest["study.pdf"]
    got = c.ok("document", "get", digest["draft-en.docx"])
    assert got.stdout_bytes == draft.read_bytes()
    assert "no document" in c.refused("document", "get", digest["study.pdf"])

    # a later step citing a kept file stores nothing new; without the flag nothing is kept
    c.ok(
        "case", "advance", ref, "committee_return", "-f", "committee_resolution_no=1/2564",
        "-f", "committee_resolution_date=2564-06-10", "--note", "แก้ไขร่าง", as_="malee",
    )  # fmt: skip
    revised = _file(files, "revised.docx", 400)
    c.ok("case", "advance", ref, "resubmit_to_committee", "-f", f"revised_draft={revised}",
         as_="somchai")  # fmt: skip
    assert _stored(c) == stored
    engine = make_engine(c.db)
    try:
        assert verify_database(engine).exit_code == 0
    finally:
        engine.dispose()

    # a kept document that no longer matches its hash is refused, not handed out
    with sqlite3.connect(c.db) as conn:
        conn.execute(
            "UPDATE documents SET content = ? WHERE sha256 = ?", (b"x", digest["plan.pdf"])
        )
    assert "does not match its hash" in c.refused("document", "get", digest["plan.pdf"])


def test_a_size_that_is_no_size_is_a_usage_error(tmp_path: Path) -> None:
    c = training_db(tmp_path / "k.db")
    ref = open_case(c)
    result = c.run("case", "advance", ref, "begin_study", "--keep-up-to", "big", as_="somchai")
    assert result.exit_code == 2 and "is not a size" in result.output
    result = c.run("case", "advance", ref, "begin_study", "--keep-up-to", "1GB", as_="somchai")
    assert result.exit_code == 2 and "MB a document may be" in result.output
