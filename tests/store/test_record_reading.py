"""Reading a stored audit row: the same record as the dataclass's constructor makes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from store.repository import AUDIT_COLUMNS, _fields, _record, parse_utc
from workflow.model import AuditRecord

ROW = (
    7, "log", 1, "transition", "SC-2567-00001", 3, "submit", "draft", "review", "somchai",
    "provincial_officer", "somchai", "2024-05-01T03:04:05.123456Z",
    '{"a":[1,{"b":null}],"ชื่อ":"ค่า"}', "หมายเหตุ", "p" * 64, "q" * 64, "r" * 64,
)  # fmt: skip


def test_a_read_record_equals_the_constructed_one() -> None:
    read = _record(ROW)
    made = AuditRecord(
        **{
            **dict(zip(AUDIT_COLUMNS, ROW, strict=True)),
            "occurred_at": parse_utc(ROW[12]),
            "fields": json.loads(ROW[13]),
        }
    )
    assert [f.name for f in dataclasses.fields(AuditRecord)] == list(AUDIT_COLUMNS)
    assert read == made and repr(read) == repr(made) and vars(read) == vars(made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.seq = 8  # type: ignore[misc]


@pytest.mark.parametrize(
    "text", ["{}", '{"a":1}', ' {"a": 1} ', '{"a":1}\n', "[1]", '"x"', "1", '{"a":1.5}']
)
def test_fields_decode_as_json_loads(text: str) -> None:
    assert _fields(text) == json.loads(text)


@pytest.mark.parametrize("text", ["", "{", '{"a":1}x', "\ufeff{}", "nope"])
def test_fields_refuse_as_json_loads(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    with pytest.raises(json.JSONDecodeError):
        _fields(text)
