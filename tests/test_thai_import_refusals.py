"""An import's refusal in Thai names each bad row in Thai: the line, the column and the reason."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from workflow.model import Actor

HEADER = (
    "province,partner_name,partner_country,partner_level,instrument,label,signed_on,status,source"
)


def _import(db_url: str, register: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    env.update(SISTERCITY_DB=db_url, SISTERCITY_OFFICER="anong")
    program = shutil.which("sistercity") or "sistercity"
    return subprocess.run(
        [program, "--lang", "th", "import", "relationships", str(register)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_one_bad_row_is_one_thai_line(
    officers: dict[str, Actor], db_url: str, tmp_path: Path
) -> None:
    register = tmp_path / "register.csv"
    register.write_text(
        f"{HEADER}\nTH-99,Kunming,CN,city,MOU,sister,2020-01-01,active,register\n",
        encoding="utf-8",
    )
    done = _import(db_url, register)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "บรรทัดที่ 2 คอลัมน์ province: ไม่รู้จักจังหวัด 'TH-99'" in done.stderr
    assert "unknown province" not in done.stderr and "line 2" not in done.stderr


def test_each_bad_row_is_named_in_thai(
    officers: dict[str, Actor], db_url: str, tmp_path: Path
) -> None:
    register = tmp_path / "register.csv"
    register.write_text(
        f"{HEADER}\nTH-99,Kunming,CN,city,MOU,sister,2020-01-01,active,register\n"
        "TH-50,,CN,city,MOU,sister,2020-01-01,active,register\n",
        encoding="utf-8",
    )
    done = _import(db_url, register)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0].endswith("บรรทัดที่ 2 คอลัมน์ province: ไม่รู้จักจังหวัด 'TH-99'")
    assert lines[1].endswith("บรรทัดที่ 3 คอลัมน์ partner_name: ไม่ได้กรอกข้อมูล")
    assert "line " not in done.stderr
