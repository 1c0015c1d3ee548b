"""KNIME's Shape Manager and Size Manager: the view properties ride with the table and the local
Scatter Plot draws with them; their KNIME settings import."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.core.testing import run_node
from nodes._shapes import row_markers, row_size_factors, size_factor

TABLE = pd.DataFrame({"kind": ["a", "b", "a", "c"], "x": [1.0, 2.0, 3.0, 5.0], "y": [2.0, 1.0, 0.5, 4.0]})


def test_shapes_ride_with_the_table_and_other_columns_lose_them() -> None:
    run = run_node(
        "shape_manager", {"selected_column": "kind", "shapes": {"a": "Circle", "b": "X-Shape"}}, TABLE
    )
    df = run.df(1)
    assert df.reset_index(drop=True).equals(TABLE)
    assert row_markers(df) == ["o", "x", "o", "s"]  # c has no shape: KNIME's default rectangle
    again = run_node("shape_manager", {"selected_column": "x", "shapes": {"1.0": "Triangle"}}, df).df(1)
    assert row_markers(again) == ["^", "s", "s", "s"]  # one shape handler per table
    assert run.outputs[1].payload == ("kind", {"a": "Circle", "b": "X-Shape"})


def test_shape_manager_checks_as_knime() -> None:
    with pytest.raises(Exception, match="No column selected"):
        run_node("shape_manager", {"shapes": {"a": "Circle"}}, TABLE)
    with pytest.raises(Exception, match="Column nope not found"):
        run_node("shape_manager", {"selected_column": "nope", "shapes": {"a": "Circle"}}, TABLE)
    with pytest.raises(Exception, match="No shapes defined"):
        run_node("shape_manager", {"selected_column": "kind"}, TABLE)


@pytest.mark.parametrize(
    ("mapping", "scale"),
    [
        ("LINEAR", lambda v: v),
        ("SQUARE_ROOT", math.sqrt),
        ("LOGARITHMIC", math.log),
        ("EXPONENTIAL", lambda v: v * v),
    ],
)
def test_size_factors_follow_size_model_double(mapping: str, scale: object) -> None:
    settings = {"selected_column": "x", "size_factor": 3.0, "size_mapping_method": mapping}
    df = run_node("size_manager", settings, TABLE).df(1)
    f = scale  # type: ignore[assignment]
    expected = [(f(v) - f(1.0)) / (f(5.0) - f(1.0)) * 2 + 1 for v in TABLE["x"]]  # type: ignore[operator]
    assert row_size_factors(df) == pytest.approx(expected, rel=1e-15)
    assert row_size_factors(df)[0] == 1.0 and row_size_factors(df)[-1] == pytest.approx(3.0)


def test_size_factor_defaults_and_java_nan() -> None:
    assert size_factor(None, 1, 5, 2, "LINEAR") == 1.0  # missing
    assert size_factor(9.0, 1, 5, 2, "LINEAR") == 1.0  # out of range
    assert math.isnan(size_factor(0.0, 0.0, 5.0, 2, "LOGARITHMIC"))  # ln 0: Java's NaN
    with pytest.raises(Exception, match="No bounds defined"):
        run_node("size_manager", {"selected_column": "kind"}, TABLE)


def test_the_local_scatter_plot_draws_shapes_and_sizes() -> None:
    shaped = run_node("shape_manager", {"selected_column": "kind", "shapes": {"a": "Diamond"}}, TABLE).df(1)
    sized = run_node("size_manager", {"selected_column": "x", "size_factor": 4.0}, shaped).df(1)
    view = run_node("scatter_plot_local", {}, sized).outputs[0]
    plain = run_node("scatter_plot_local", {}, TABLE).outputs[0]
    assert view.has_picture and view.png != plain.png


SHAPE_FACTORY = "org.knime.base.node.viz.property.shape.ShapeManagerNodeFactory"
SIZE_FACTORY = "org.knime.base.node.viz.property.size.SizeManager2NodeFactory"


def cell(text: str) -> dict[str, object]:
    return {
        "datacell": "org.knime.core.data.def.StringCell",
        "org.knime.core.data.def.StringCell": {"StringCell": text},
    }


def test_knimes_settings_import(tmp_path: Path) -> None:
    model = {"selected_column": "kind", "a": "Circle", "b": "X Shape", "values": [cell("a"), cell("b")]}
    node, report, _ = import_fragment(tmp_path, SHAPE_FACTORY, model)
    assert node.type == "shape_manager" and findings(report) == []
    assert node.settings == {"selected_column": "kind", "shapes": {"a": "Circle", "b": "X-Shape"}}
    model["b"] = "Star"
    _, report, _ = import_fragment(tmp_path, SHAPE_FACTORY, model)
    assert len(findings(report)) == 1 and "Star" in findings(report)[0]
    sizes = {"selected_column": "x", "size_factor": 2.5, "size_mapping_method": "SQUARE_ROOT"}
    node, report, _ = import_fragment(tmp_path, SIZE_FACTORY, sizes)
    assert node.type == "size_manager" and findings(report) == [] and node.settings == sizes
    _, report, _ = import_fragment(tmp_path, SIZE_FACTORY, {**sizes, "size_border": 3})
    assert len(findings(report)) == 1
