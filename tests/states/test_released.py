"""Released procedure files never change their rules: cases keep the SHA-256 of the file they were
opened under, and an edited file would silently change the rules of cases already in flight. A new
rule is a new version file, whose hash is added here when it is released.

A released text may be superseded by one that only *declares meaning* (what states count as, what
steps do, who takes the actions that are not steps): it names the earlier hash in
``supersedes_sha256``, and the earlier text is kept under ``tests/states/released/`` so this test
can show that every rule in it is unchanged.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Any

import pytest

from states import available_procedures, load_procedure

RELEASED = {
    ("provincial", 1): "9d9d294304f1a095da849b20483d25fe4c6f85b9d401e68cc5e50b7255734726",
    ("provincial", 2): "bf80f8f0fc9e07c8df31083fadfa82decd4ab7768c0522b01fb65b2e09b9e888",
    ("local", 1): "bda1132af440dfd00b0306b66d9996050361e7639c00612dea2968fa894a1ede",
    ("monitoring", 1): "af4fa546fc2a4d37bff7505bca1eaecf3150a3eef2feb968fbe6ac194174b1a5",
}
EARLIER = Path(__file__).parent / "released"
#: Declarations of meaning that an annotated text may add to a released one, and nothing else.
MEANING_KEYS = {"counts_as", "effects", "actions", "supersedes_sha256", "system"}


def test_every_shipped_version_is_released_and_unchanged() -> None:
    shipped = {(name, v) for name, versions in available_procedures().items() for v in versions}
    assert shipped == set(RELEASED), "add the new version's SHA-256 to RELEASED when releasing it"
    for (name, version), sha in RELEASED.items():
        assert load_procedure(name, version).sha256 == sha, (
            f"{name} v{version} changed after release: put the change in a new version file"
        )


def _rules(value: Any) -> Any:
    """The definition without declarations of meaning, comments or the changelog text."""
    if isinstance(value, dict):
        return {k: _rules(v) for k, v in value.items() if k not in MEANING_KEYS and k != "changes"}
    if isinstance(value, list):
        return [_rules(v) for v in value]
    return value


@pytest.mark.parametrize(
    "key", [k for k in RELEASED if load_procedure(*k).definition.supersedes_sha256]
)
def test_a_superseded_text_keeps_every_rule_of_the_earlier_one(key: tuple[str, int]) -> None:
    loaded = load_procedure(*key)
    current = tomllib.loads(Path(loaded.path).read_text(encoding="utf-8"))
    for digest in loaded.definition.supersedes_sha256:
        (earlier_file,) = EARLIER.glob(f"{key[0]}-v{key[1]}-{digest[:8]}.toml")
        data = earlier_file.read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest
        earlier = tomllib.loads(data.decode("utf-8"))
        assert _rules(current) == _rules(earlier)
