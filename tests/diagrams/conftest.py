"""Fixtures for the diagram tests; helpers live in ``diagram_support``."""

from __future__ import annotations

import pytest

from states import LoadedDefinition, load_procedure, parse_definition
from tests.diagrams.diagram_support import TINY, Row, utc


@pytest.fixture(scope="session")
def provincial() -> LoadedDefinition:
    return load_procedure("provincial", 1)


@pytest.fixture(scope="session")
def tiny() -> LoadedDefinition:
    return parse_definition(TINY.encode("utf-8"), "tiny.toml")


@pytest.fixture
def provincial_history() -> list[Row]:
    """A case that went round the committee twice, was suspended and resumed."""
    return [
        Row("open", "open", None, "proposal_draft", utc("2024-01-05T03:00")),
        Row("transition", "begin_study", "proposal_draft", "suitability_study",
            utc("2024-01-20T03:00")),
        Row("transition", "submit_to_committee", "suitability_study",
            "provincial_committee_review", utc("2024-03-01T03:00")),
        Row("denied", "committee_approve", "provincial_committee_review", None,
            utc("2024-03-02T03:00")),
        Row("transition", "committee_return", "provincial_committee_review",
            "provincial_revision", utc("2024-03-10T03:00")),
        # 20:00 UTC is already 31 March in Bangkok.
        Row("transition", "resubmit_to_committee", "provincial_revision",
            "provincial_committee_review", utc("2024-03-30T20:00")),
        Row("transition", "suspend", "provincial_committee_review", "suspended",
            utc("2024-04-10T03:00")),
        Row("transition", "resume", "suspended", "provincial_committee_review",
            utc("2024-04-20T03:00")),
    ]  # fmt: skip
