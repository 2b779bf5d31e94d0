"""Released procedure files never change: cases keep the SHA-256 of the file they were opened
under, and an edited file would silently change the rules of cases already in flight. A new rule
is a new version file, whose hash is added here when it is released."""

from __future__ import annotations

from states import available_procedures, load_procedure

RELEASED = {
    ("provincial", 1): "0bb714a2815fe34c018b27f4ef7d1bb2db1001399635c026c5eac318ac4cf902",
}


def test_every_shipped_version_is_released_and_unchanged() -> None:
    shipped = {(name, v) for name, versions in available_procedures().items() for v in versions}
    assert shipped == set(RELEASED), "add the new version's SHA-256 to RELEASED when releasing it"
    for (name, version), sha in RELEASED.items():
        assert load_procedure(name, version).sha256 == sha, (
            f"{name} v{version} changed after release: put the change in a new version file"
        )
