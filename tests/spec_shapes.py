"""Reads the recorded port shapes (port_object_summary) out of the reference specs, so that workflow
tests compare against KNIME's numbers instead of numbers copied into the tests."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("KNITFLOW_REFERENCE", ROOT.parent / "shared" / "reference"))
_ROW = re.compile(
    r"^\|\s*#(\d+)[^|]*\|\s*(\d+)\s*\|\s*data table\s*\|\s*Rows:\s*([\d,]+),\s*Cols:\s*(\d+)\s*\|"
)


def spec_path(workflow: str) -> Path:
    path = REFERENCE / "workflows" / f"{workflow}.md"
    if not path.exists():
        pytest.skip(f"reference spec {path} not available")
    return path


def recorded_table_shapes(workflow: str) -> dict[tuple[int, int], tuple[int, int]]:
    """{(node id, port): (rows, columns)} for every data-table port the spec lists."""
    shapes = {}
    in_section = False
    for line in spec_path(workflow).read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            in_section = line.startswith("## Expected output port shapes")
            continue
        m = _ROW.match(line) if in_section else None
        if m:
            shapes[(int(m[1]), int(m[2]))] = (int(m[3].replace(",", "")), int(m[4]))
    assert shapes, f"no shapes found in the spec of {workflow}"
    return shapes


def data_dir(needs: str = "ZB_WZ_dE_rawdescriptor.csv", fetch: str = "knitflow data fetch") -> Path:
    """The first data folder ($KNITFLOW_DATA, data/, ../shared/data) holding `needs`; skips without."""
    env = os.environ.get("KNITFLOW_DATA")
    for candidate in ([Path(env)] if env else []) + [ROOT / "data", ROOT.parent / "shared" / "data"]:
        if (candidate / needs).exists():
            return candidate
    pytest.skip(f"{needs} not available: run `{fetch}`")
    raise AssertionError
