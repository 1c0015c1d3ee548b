"""The RowID node against RowKeyUtil2's rules, and its KNIME mapping (5.3+ and older key layouts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, NodeError, Table
from engine.core.testing import configure_node, run_node

FACTORY = "org.knime.base.node.preproc.rowkey2.RowKeyNodeFactory2"


def _table() -> Table:
    frame = pd.DataFrame({"k": ["a", "b", "a", None, "a(1)", "a"], "x": [1.0, 2.5, np.nan, 4.0, 5.0, 1e7]})
    frame.index = pd.Index(["r1", "r2", "r3", "r4", "r5", "r6"], dtype=object)
    return Table.from_frame(frame, {"k": ColumnType.STRING, "x": ColumnType.DOUBLE})


def test_new_row_ids_and_the_old_ones_in_a_column() -> None:
    run = run_node("row_id", {"appendRowKeyCol": True, "newColumnName4RowKeyValues": "old"}, _table())
    out = run.outputs[0]
    assert out.row_ids == [f"Row{i}" for i in range(6)]
    assert (
        out.df["old"].tolist() == ["r1", "r2", "r3", "r4", "r5", "r6"]
        and out.types["old"] == ColumnType.STRING
    )
    assert run.specs[0] == out.spec
    kept = run_node("row_id", {"replaceRowKey": False, "appendRowKeyCol": True}, _table()).outputs[0]
    assert kept.row_ids[0] == "r1" and kept.df["Old RowID"].tolist()[0] == "r1"


def test_column_values_with_counters_and_missing_replaced() -> None:
    settings = {
        "replaceRowKeyMode": "USE_COLUMN",
        "newRowKeyColumnV2": "k",
        "handleMissingsMode": "REPLACE",
        "handleDuplicatesMode": "APPEND_COUNTER",
        "removeRowKeyCol": True,
    }
    run = run_node("row_id", settings, _table())
    # a repeated value counts up from its own counter; a literal "a(1)" then becomes "a(1)(1)"
    assert run.outputs[0].row_ids == ["a", "b", "a(1)", "?", "a(1)(1)", "a(2)"]
    assert run.outputs[0].df.columns.tolist() == ["x"]
    assert any("1 missing value(s) replaced with ?. 3 duplicate(s) now unique." in w for w in run.warnings)
    numbers = run_node("row_id", {**settings, "newRowKeyColumnV2": "x", "removeRowKeyCol": False}, _table())
    assert numbers.outputs[0].row_ids == ["1.0", "2.5", "?", "4.0", "5.0", "1.0E7"]
    with pytest.raises(NodeError, match="Missing value found in row 4"):
        run_node("row_id", {**settings, "handleMissingsMode": "FAIL"}, _table())
    with pytest.raises(NodeError, match='Duplicate RowID "a" in row 3'):
        run_node("row_id", {**settings, "handleDuplicatesMode": "FAIL"}, _table())


def test_configure_checks() -> None:
    spec = _table().spec
    with pytest.raises(ConfigureError, match="No column selected"):
        configure_node("row_id", {"replaceRowKeyMode": "USE_COLUMN"}, spec)
    with pytest.raises(ConfigureError, match="'k' already exists"):
        configure_node("row_id", {"appendRowKeyCol": True, "newColumnName4RowKeyValues": "k"}, spec)
    # the ID column is removed, so its name is free for the old RowIDs
    ok = {"replaceRowKeyMode": "USE_COLUMN", "newRowKeyColumnV2": "k", "removeRowKeyCol": True}
    out = configure_node("row_id", {**ok, "appendRowKeyCol": True, "newColumnName4RowKeyValues": "k"}, spec)
    assert out[0].names == ["x", "k"]


def test_knime_layouts(tmp_path: Path) -> None:
    legacy = {
        "replaceRowKey": True,
        "newRowKeyColumnName": None,
        "removeRowKeyCol": False,
        "ensureUniqueness": False,
        "replaceMissingValues": False,
        "appendRowKeyCol": True,
        "newColumnName4RowKeyValues": "Type",
        "enableHilite": False,
    }
    node, report, _ = import_fragment(tmp_path, FACTORY, legacy)
    assert node.type == "row_id" and findings(report) == []
    assert (
        node.settings["replaceRowKeyMode"] == "GENERATE_NEW"
        and node.settings["newColumnName4RowKeyValues"] == "Type"
    )
    node, report, _ = import_fragment(
        tmp_path,
        FACTORY,
        {**legacy, "newRowKeyColumnName": "k", "ensureUniqueness": True, "replaceMissingValues": True},
    )
    assert findings(report) == []
    assert node.settings["replaceRowKeyMode"] == "USE_COLUMN" and node.settings["newRowKeyColumnV2"] == "k"
    assert (
        node.settings["handleDuplicatesMode"] == "APPEND_COUNTER"
        and node.settings["handleMissingsMode"] == "REPLACE"
    )
    current = {
        "replaceRowKey": True,
        "replaceRowKeyMode": "USE_COLUMN",
        "newRowKeyColumnV2": "k",
        "removeRowKeyCol": True,
        "handleMissingsMode": "FAIL",
        "handleDuplicatesMode": "APPEND_COUNTER",
        "enableHilite": False,
        "appendRowKeyCol": False,
        "newColumnName4RowKeyValues": "Old RowID",
        "doNotAllowPaddedColumnName": True,
    }
    node, report, _ = import_fragment(tmp_path, FACTORY, current)
    assert findings(report) == [] and node.settings["removeRowKeyCol"] is True
