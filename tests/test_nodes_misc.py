"""Rule-based Row Splitter, Image Writer (Port), Data to Report, and the older factories mapped onto
existing nodes: Interactive Table (local) -> Table View, Scorer v1 -> Scorer."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, NodeError, TableSpec, View
from engine.core.testing import configure_node, run_node
from nodes.misc import svg_wrapping

SPLITTER = "org.knime.base.node.rules.engine.RuleEngineSplitterNodeFactory"


@pytest.fixture
def data() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [1.0, 5.0, -2.0, 7.0, 0.0],
            "s": ["a", "b", "a", "c", "b"],
            "f": pd.array([True, None, False, True, None], dtype="boolean"),
        },
        index=pd.Index([f"Row{i}" for i in range(5)], dtype=object),
    )


def test_first_matching_rule_decides(data: pd.DataFrame) -> None:
    rules = ["// comment", "$x$ > 6 => FALSE", '$s$ = "a" => TRUE', "$x$ > 4 => TRUE"]
    res = run_node("rule_based_row_splitter", {"rules": rules}, data)
    assert res.df(1).index.tolist() == [
        "Row0",
        "Row1",
        "Row2",
    ]  # Row3 matches FALSE first; Row4 matches nothing
    assert res.df(2).index.tolist() == ["Row3", "Row4"]
    assert res.specs == [res[1].spec, res[2].spec] and res[1].types == res[2].types
    res = run_node("rule_based_row_splitter", {"rules": rules, "include": False}, data)
    assert res.df(1).index.tolist() == ["Row3", "Row4"] and res.df(2).index.tolist() == [
        "Row0",
        "Row1",
        "Row2",
    ]


def test_outcomes_from_columns_variables_and_row_index(data: pd.DataFrame) -> None:
    # a missing Boolean outcome is no BooleanValue: KNIME sends the row to the "match" output
    res = run_node("rule_based_row_splitter", {"rules": ["TRUE => $f$"]}, data)
    assert res.df(1).index.tolist() == ["Row0", "Row1", "Row3", "Row4"]
    res = run_node(
        "rule_based_row_splitter",
        {"rules": ["$$ROWINDEX$$ < $${Ilimit}$$ => TRUE"]},
        data,
        variables={"limit": 2},
    )
    assert res.df(1).index.tolist() == ["Row0", "Row1"]


def test_rule_errors() -> None:
    spec = TableSpec.of([("x", ColumnType.DOUBLE)])
    with pytest.raises(ConfigureError, match="TRUE or FALSE"):
        configure_node("rule_based_row_splitter", {"rules": ['$x$ > 0 => "yes"']}, spec)
    with pytest.raises(ConfigureError, match="rules.0"):
        configure_node("rule_based_row_splitter", {"rules": ["$x$ >> 0 => TRUE"]}, spec)
    with pytest.raises(ConfigureError, match="not found"):
        configure_node("rule_based_row_splitter", {"rules": ["$y$ > 0 => TRUE"]}, spec)


def test_splitter_import(tmp_path: Path) -> None:
    model = {
        "rules": ["$x$ > 0 => TRUE", "// keep the rest"],
        "include": False,
        "new-column-name": "prediction",
        "append-column": True,
        "replace-column-name": "",
    }
    node, report, _ = import_fragment(tmp_path, SPLITTER, model)
    assert node.type == "rule_based_row_splitter" and findings(report) == []
    assert node.settings == {"rules": ["$x$ > 0 => TRUE", "// keep the rest"], "include": False}


FILTER = "org.knime.base.node.rules.engine.RuleEngineFilterNodeFactory"


def test_rule_based_row_filter_keeps_the_splitters_first_output(data: pd.DataFrame, tmp_path: Path) -> None:
    rules = ["$x$ > 6 => FALSE", '$s$ = "a" => TRUE', "$x$ > 4 => TRUE"]
    for include in (True, False):
        kept = run_node("rule_based_row_filter", {"rules": rules, "include": include}, data).df(1)
        split = run_node("rule_based_row_splitter", {"rules": rules, "include": include}, data).df(1)
        assert kept.index.tolist() == split.index.tolist()
    assert run_node("rule_based_row_filter", {"rules": rules}, data).df(1).index.tolist() == [
        "Row0",
        "Row1",
        "Row2",
    ]
    model = {"rules": ["$x$ > 0 => TRUE"], "include": True, "new-column-name": "p", "append-column": True}
    node, report, _ = import_fragment(tmp_path, FILTER, model)
    assert node.type == "rule_based_row_filter" and findings(report) == []


# ------------------------------------------------------------------------------------ Image Writer


def _png() -> bytes:
    from nodes._plotting import figure, picture

    fig, ax = figure("t", (2, 1.5), 50)
    ax.plot([0, 1], [0, 1])
    return picture(fig)


def test_image_writer_writes_png_and_svg(tmp_path: Path) -> None:
    picture = _png()
    target = tmp_path / "out" / "plot.png"
    with pytest.raises(NodeError, match="does not exist"):
        run_node("image_writer", {"file": str(target)}, View(png=picture))
    run_node("image_writer", {"file": str(target), "create_missing_folders": True}, View(png=picture))
    assert target.read_bytes() == picture
    with pytest.raises(NodeError, match="exists"):
        run_node("image_writer", {"file": str(target)}, View(png=picture))
    run_node("image_writer", {"file": str(target), "if_path_exists": "overwrite"}, View(png=picture))
    svg = tmp_path / "plot.svg"
    run_node("image_writer", {"file": str(svg)}, View(png=picture))
    text = svg.read_text()
    assert text.startswith("<svg") and base64.b64encode(picture).decode() in text
    assert 'width="100" height="75"' in svg_wrapping(picture).decode()  # 2 x 1.5 inches at 50 dpi
    with pytest.raises(NodeError, match="no picture"):
        run_node("image_writer", {"file": str(tmp_path / "x.png")}, View(title="empty"))


def test_image_writer_writes_a_drawn_view_as_real_svg(tmp_path: Path) -> None:
    def draw() -> bytes:
        from nodes._plotting import figure, picture

        fig, ax = figure("t", (2, 1.5), 50)
        ax.plot([0, 1], [0, 1])
        return picture(fig)

    run_node("image_writer", {"file": str(tmp_path / "v.svg")}, View(render=draw))
    text = (tmp_path / "v.svg").read_text()
    assert "<svg" in text[:500] and "data:image/png" not in text  # vector paths, not a wrapped raster
    run_node("image_writer", {"file": str(tmp_path / "v.png")}, View(render=draw))
    assert (tmp_path / "v.png").read_bytes().startswith(b"\x89PNG")


def test_image_writer_import(tmp_path: Path) -> None:
    model = {
        "filechooser": {
            "path": {"location_present": True, "path": "C:\\charts\\roc.png"},
            "if_path_exists": "overwrite",
            "create_missing_folders": True,
        }
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.io.filehandling.imagewriter.ImagePortWriterNodeFactory", model
    )
    assert node.type == "image_writer" and findings(report) == []
    assert node.settings["file"] == "roc.png" and node.settings["if_path_exists"] == "overwrite"


# ------------------------------------------------------------------------- Data to Report and others


def test_data_to_report_passes_the_table(data: pd.DataFrame, tmp_path: Path) -> None:
    res = run_node("data_to_report", {}, data)
    pd.testing.assert_frame_equal(res.df(1), data)
    node, report, _ = import_fragment(
        tmp_path, "org.knime.reporting.nodes.dataset.ReportingDataSetNodeFactory", {"useCustomSize": False}
    )
    assert node.type == "data_to_report" and findings(report) == []


def test_interactive_table_is_a_table_view(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, "org.knime.base.node.viz.table.TableNodeFactory", {})
    assert node.type == "table_view" and findings(report) == []


def test_scorer_v1_names_specifity(tmp_path: Path) -> None:
    model = {
        "first": "a",
        "second": "b",
        "flowVarPrefix": None,
        "sortingStrategy": 0,
        "sortingReversed": False,
        "ignore.missing.values": True,
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.mine.scorer.accuracy.AccuracyScorerNodeFactory", model
    )
    assert node.type == "scorer" and findings(report) == [] and node.settings["legacy_column_names"] is True
    df = pd.DataFrame({"a": ["x", "y", "x", "y"], "b": ["x", "y", "y", "y"]})
    res = run_node("scorer", {"first": "a", "second": "b", "legacy_column_names": True}, df)
    assert "Specifity" in res[2].columns and "Specificity" not in res[2].columns
    assert res.specs[1].names == res[2].columns
    assert res.df(2).loc["x", "Specifity"] == pytest.approx(1.0)
    assert np.isnan(res.df(2).loc["Overall", "Specifity"])


def test_legacy_image_port_writer_imports(tmp_path: Path) -> None:
    model = {"file_out_path": "knime://knime.workflow/__outputs__/figures/violins.png", "overwrite_ok": True}
    factory = "org.knime.base.node.image.writeimage.WriteImageNodeFactory"
    node, report, _ = import_fragment(tmp_path, factory, model)
    assert node.type == "image_writer" and findings(report) == []
    assert node.settings == {"file": "violins.png", "if_path_exists": "overwrite"}


def test_cache_passes_the_table(data: pd.DataFrame, tmp_path: Path) -> None:
    res = run_node("cache", {}, data)
    assert res[1].df.equals(data) and res.specs[0] == res.outputs[0].spec
    node, report, _ = import_fragment(tmp_path, "org.knime.base.node.util.cache.CacheNodeFactory", {})
    assert node.type == "cache" and findings(report) == []
