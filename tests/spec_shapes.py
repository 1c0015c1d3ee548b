"""Where the tests find what they compare with: KNIME's recorded port shapes (embedded in
`knime_facts`), the tutorial data (committed in data/; qm9.csv is generated) and the original KNIME
archives (not part of the project: only the tests that must read them need them, and they skip
with the reason when the archives are not at hand)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from knime_facts import TABLE_SHAPES

ROOT = Path(__file__).resolve().parent.parent
# the original .knwf archives: $KNITFLOW_KNIME_ARCHIVES, else ../shared/reference/knime_workflows
ARCHIVES = Path(
    os.environ.get("KNITFLOW_KNIME_ARCHIVES") or ROOT.parent / "shared" / "reference" / "knime_workflows"
)
QM9_HINT = "run `knitflow data fetch --qm9` (needs the qm9 extra: pip install -e '.[qm9]')"


def knime_archive(name: str) -> Path:
    """The original KNIME archive `<name>.knwf` (series archives as "series/<name>"); skips without."""
    path = ARCHIVES / f"{name}.knwf"
    if not path.is_file():
        pytest.skip(
            f"KNIME archive {name}.knwf not here ({ARCHIVES}); set KNITFLOW_KNIME_ARCHIVES to the folder "
            "holding the tutorial's .knwf files"
        )
    return path


def archives_available(sub: str = "") -> bool:
    folder = ARCHIVES / sub
    return folder.is_dir() and any(folder.glob("*.knwf"))


def with_archives(values: Any, width: int = 1, sub: str = "") -> list[Any]:
    """The cases of a test over the original archives (of ARCHIVES/sub), or one skipped case with the
    reason when they are not here: a clone without ../shared shows one skip per test, not per archive."""
    if archives_available(sub):
        return list(values)
    reason = (
        f"the original KNIME archives are not here ({ARCHIVES / sub}); set KNITFLOW_KNIME_ARCHIVES to the "
        "folder holding the tutorial's .knwf files (and series/)"
    )
    return [pytest.param(*[None] * width, marks=pytest.mark.skip(reason=reason), id="no-archives")]


def recorded_table_shapes(workflow: str) -> dict[tuple[int, int], tuple[int, int]]:
    """{(node id, port): (rows, columns)} for every data-table port KNIME recorded."""
    return dict(TABLE_SHAPES[workflow])


def data_dir(needs: str = "ZB_WZ_dE_rawdescriptor.csv", fetch: str = "knitflow data fetch --qm9") -> Path:
    """The data folder holding `needs`: $KNITFLOW_DATA, else the project's data/. The tutorial's
    tables are committed, so only generated files (qm9.csv) can be missing: the test then skips."""
    env = os.environ.get("KNITFLOW_DATA")
    for candidate in ([Path(env)] if env else []) + [ROOT / "data"]:
        if (candidate / needs).exists():
            return candidate
    if needs == "qm9.csv":
        pytest.skip(f"qm9.csv not available: {QM9_HINT}")
    raise AssertionError(f"{needs} is missing from {ROOT / 'data'}: the tutorial data ships with the project")


def data_file(name: str) -> Path:
    """One tutorial data file (see `data_dir`)."""
    return data_dir(name) / name
