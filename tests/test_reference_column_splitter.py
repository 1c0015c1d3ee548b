"""Reference Column Splitter: columns split by name, and by KNIME's super-type rule, and the two
factories' `type_compatibility` key."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.core.testing import run_node

FACTORY = "org.knime.base.node.preproc.filter.columnref.ColumnSplitRefNodeFactory"
FACTORY2 = "org.knime.base.node.preproc.filter.columnref.ColumnSplitRefNodeFactory2"
DATA = pd.DataFrame({"d": [1.5, 2.5], "i": [1, 2], "s": ["a", "b"], "prediction": ["x", "y"]})
REFERENCE = pd.DataFrame({"i": [0.5], "d": [3], "s": ["z"]})  # i is Double here, d Integer


def test_names_alone_decide_by_default() -> None:
    run = run_node("reference_column_splitter", {}, DATA, REFERENCE)
    assert run[1].columns == ["d", "i", "s"] and run[2].columns == ["prediction"]
    assert run[1].df["d"].tolist() == [1.5, 2.5] and run[2].df.index.tolist() == ["Row0", "Row1"]
    assert [s.names for s in run.specs] == [["d", "i", "s"], ["prediction"]]


def test_type_compatibility_needs_a_super_type_in_the_first_table() -> None:
    run = run_node("reference_column_splitter", {"type_compatibility": True}, DATA, REFERENCE)
    # d (Double) covers the reference's Integer; i (Integer) does not cover its Double
    assert run[1].columns == ["d", "s"] and run[2].columns == ["i", "prediction"]


@pytest.mark.parametrize("factory", [FACTORY, FACTORY2])
def test_imports_both_factories(tmp_path: Path, factory: str) -> None:
    model = {"type_compatibility_Internals": {"SettingsModelID": "SMID_boolean"}, "type_compatibility": True}
    node, report, _ = import_fragment(tmp_path, factory, model)
    assert node.type == "reference_column_splitter" and findings(report) == []
    assert node.settings == {"type_compatibility": True}
