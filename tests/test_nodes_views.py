"""View nodes: each renders a PNG (or keeps the displayed table) with the archives' settings;
wrong column types are configure errors, stale column names give an empty picture as in KNIME."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from engine.api import UNKNOWN, ConfigureError, Table, TableSpec, View
from engine.core.testing import configure_node, run_node
from nodes.histogram import HistogramSettings, _edges

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "alpha": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0],
            "R^2": [0.83, 0.84, 0.80, 0.58, 0.34, -0.03],
            "group": ["a", "b", "a", "b", "a", "b"],
            "noise": rng.normal(size=6),
        }
    )


def image_size(png: bytes) -> tuple[int, int]:
    from matplotlib.image import imread

    arr = imread(io.BytesIO(png))
    return arr.shape[1], arr.shape[0]


def assert_png(view: object) -> bytes:
    assert isinstance(view, View) and view.png is not None
    assert view.png.startswith(PNG)
    assert image_size(view.png) == (800, 600)
    return view.png


# ------------------------------------------------------------------------------------ scatter plot


def test_scatter_plot_10_02_settings(data: pd.DataFrame) -> None:
    # Scatter Plot #176 of 10_02 as imported: x alpha on a log axis, y R^2
    settings = {
        "x_axis_column_v3": "alpha",
        "y_axis_column_v3": "R^2",
        "color_column_v2": "<NONE>",
        "x_axis_scale": "LOG",
        "data_point_size": 5,
        "custom_x_axis_label_v2": None,
    }
    res = run_node("scatter_plot", settings, data)
    assert_png(res[1])
    assert res[1].title == "Scatter Plot"
    assert res.specs == [UNKNOWN]


def test_scatter_plot_options_change_the_picture(data: pd.DataFrame) -> None:
    base = {"x_axis_column_v3": "alpha", "y_axis_column_v3": "R^2"}
    plain = assert_png(run_node("scatter_plot", base, data)[1])
    log = assert_png(
        run_node("scatter_plot", {**base, "x_axis_scale": "LOG", "y_axis_scale": "LOG"}, data)[1]
    )
    manual = {
        **base,
        "axis_extent_method": "MANUAL",
        "manual_axis_limits": {
            "x_axis_manual_min": 0,
            "x_axis_manual_max": 12,
            "y_axis_manual_min": 0,
            "y_axis_manual_max": 12,
        },
    }
    boxed = assert_png(run_node("scatter_plot", manual, data)[1])
    colored = assert_png(run_node("scatter_plot", {**base, "color_column_v2": "group"}, data)[1])
    by_number = assert_png(run_node("scatter_plot", {**base, "color_column_v2": "noise"}, data)[1])
    assert len({plain, log, boxed, colored, by_number}) == 5


def test_scatter_plot_defaults_to_numeric_columns(data: pd.DataFrame) -> None:
    assert_png(run_node("scatter_plot", {}, data[["group", "alpha", "R^2"]])[1])
    with pytest.raises(ConfigureError, match="no numeric column"):
        configure_node("scatter_plot", {}, TableSpec.of([("s", "String")]))


def test_scatter_plot_stale_columns_give_an_empty_picture(data: pd.DataFrame) -> None:
    # 11_01 #244 names columns that do not exist; KNIME still executes it
    settings = {
        "x_axis_column_v3": "(rho0 lambda) perp lambda (10^-16 m^2)",
        "y_axis_column_v3": "Prediction ((rho0 lambda) perp lambda (10^-16 m^2))",
    }
    configure_node("scatter_plot", settings, Table.from_frame(data).spec)
    assert_png(run_node("scatter_plot", settings, data)[1])


def test_scatter_plot_rejects_bit_vectors() -> None:
    spec = TableSpec.of([("fp", "Bit vector"), ("y", "Double")])
    with pytest.raises(ConfigureError, match="'fp'.*cannot be plotted"):
        configure_node("scatter_plot", {"x_axis_column_v3": "fp", "y_axis_column_v3": "y"}, spec)


def test_scatter_plot_missing_values_and_empty_table(data: pd.DataFrame) -> None:
    holes = data.copy()
    holes.loc[1, "R^2"] = np.nan
    assert_png(run_node("scatter_plot", {"x_axis_column_v3": "alpha", "y_axis_column_v3": "R^2"}, holes)[1])
    assert_png(
        run_node(
            "scatter_plot",
            {"x_axis_column_v3": "alpha", "y_axis_column_v3": "R^2", "x_axis_scale": "LOG"},
            data.iloc[:0],
        )[1]
    )


# --------------------------------------------------------------------------------------- line plot


def test_line_plot_10_02_settings(data: pd.DataFrame) -> None:
    # Line Plot #184: x = RowID, y = R^2 from a manual filter, line size 2, empty custom y label
    settings = {
        "x_axis_column_v3": "<ROW_ID>",
        "y_axis_column_v2": {
            "included_names": ["R^2"],
            "excluded_names": [],
            "enforce_option": "EnforceInclusion",
        },
        "custom_y_axis_label_v2": "",
        "line_size": 2,
        "show_data_point_markers": False,
    }
    assert_png(run_node("line_plot", settings, data)[1])


def test_line_plot_variants(data: pd.DataFrame) -> None:
    by_list = assert_png(run_node("line_plot", {"y_axis_column_v2": ["R^2", "noise"]}, data)[1])
    all_numeric = assert_png(run_node("line_plot", {}, data)[1])  # default: every numeric column
    over_x = assert_png(
        run_node(
            "line_plot",
            {
                "x_axis_column_v3": "alpha",
                "y_axis_column_v2": ["R^2"],
                "y_axis_scale": "LOG",
                "show_data_point_markers": True,
            },
            data,
        )[1]
    )
    assert len({by_list, all_numeric, over_x}) == 3
    assert_png(run_node("line_plot", {"y_axis_column_v2": ["R^2"]}, data.iloc[:0])[1])
    assert_png(run_node("line_plot", {"y_axis_column_v2": ["gone"]}, data)[1])


def test_line_plot_configure_errors() -> None:
    spec = TableSpec.of([("s", "String"), ("y", "Double")])
    with pytest.raises(ConfigureError, match="'s' is String"):
        configure_node("line_plot", {"y_axis_column_v2": ["s"]}, spec)
    # a filter only offers numeric columns, as KNIME's dialog
    configure_node("line_plot", {"y_axis_column_v2": {"included_names": ["s", "y"]}}, spec)


# --------------------------------------------------------------------------------------- histogram


def test_histogram_11_01_settings() -> None:
    values = pd.DataFrame({"rho0 lambda lambda": [0.5, 1.2, 3.3, 2.2, 137.0, np.nan, 4.4]})
    settings = {
        "dimension_v3": "rho0 lambda lambda",
        "binning_type": "EQUAL_WIDTH",
        "n_bins": 20,
        "special_value_handling": "IGNORE",
        "frequency_axis_type": "FREQUENCY",
        "custom_frequency_axis_label_v2": "",
    }
    assert_png(run_node("histogram", settings, values)[1])


def test_histogram_binning() -> None:
    values = np.array([0.0, 1.0, 2.0, 3.0, 10.0])
    edges = _edges(values, HistogramSettings(n_bins=5))
    assert edges.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert np.histogram(values, bins=edges)[0].tolist() == [2, 2, 0, 0, 1]
    fixed = _edges(
        values,
        HistogramSettings(
            n_bins=2, has_fixed_lower_bound=True, lower_bound=-2, has_fixed_upper_bound=True, upper_bound=2
        ),
    )
    assert fixed.tolist() == [-2.0, 0.0, 2.0]
    custom = _edges(values, HistogramSettings(binning_type="CUSTOM", custom_bin_cutoff="0, 1.5, 10"))
    assert custom.tolist() == [0.0, 1.5, 10.0]
    integer = _edges(np.array([0.2, 2.7]), HistogramSettings(n_bins=4, has_integer_cutoff=True))
    assert integer.tolist() == [0.0, 1.0, 2.0, 3.0]
    quantiles = _edges(values, HistogramSettings(n_bins=2, binning_type="SAMPLE_QUANTILES"))
    assert quantiles.tolist() == [0.0, 2.0, 10.0]
    constant = _edges(np.array([5.0, 5.0]), HistogramSettings(n_bins=2))
    assert constant.tolist() == [4.5, 5.0, 5.5]


def test_histogram_variants_and_errors() -> None:
    values = pd.DataFrame({"v": [1.0, 2.0, np.inf, np.nan, 2.5], "s": list("abcde")})
    separate = assert_png(
        run_node(
            "histogram",
            {
                "dimension_v3": "v",
                "special_value_handling": "SEPARATE_BIN",
                "frequency_axis_type": "PERCENTAGE",
                "show_numeric_labels": True,
            },
            values,
        )[1]
    )
    ignore = assert_png(run_node("histogram", {"dimension_v3": "v"}, values)[1])
    assert separate != ignore
    assert_png(run_node("histogram", {}, values.iloc[:0])[1])  # empty table; default column = first numeric
    assert_png(run_node("histogram", {"dimension_v3": "gone"}, values)[1])
    with pytest.raises(ConfigureError, match="'s' is String"):
        configure_node("histogram", {"dimension_v3": "s"}, Table.from_frame(values).spec)
    with pytest.raises(ConfigureError, match="custom_bin_cutoff"):
        configure_node("histogram", {"binning_type": "CUSTOM", "custom_bin_cutoff": "1, x"}, None)
    with pytest.raises(ConfigureError, match="no numeric column"):
        configure_node("histogram", {}, TableSpec.of([("s", "String")]))


# -------------------------------------------------------------------------------------- table view


def test_table_view(data: pd.DataFrame) -> None:
    settings = {
        "displayed_columns_v2": {"included_names": ["R^2", "alpha"], "enforce_option": "EnforceInclusion"},
        "title": "Results",
    }
    view = run_node("table_view", settings, data)[1]
    assert isinstance(view, View) and view.png is None and view.title == "Results"
    assert view.table.columns == ["alpha", "R^2"]  # input order, as KNIME's filter
    assert view.table.row_ids == [f"Row{i}" for i in range(6)]
    numbered = run_node("table_view", {"show_row_indices": True}, data)[1].table
    assert numbered.columns[0] == "#" and numbered.df["#"].tolist() == list(range(6))
    assert run_node("table_view", {}, data.iloc[:0])[1].table.shape == (0, 4)


def test_plots_are_drawn_when_first_looked_at(data: pd.DataFrame) -> None:
    import pickle

    calls: list[int] = []
    view = run_node("scatter_plot", {"x_axis_column_v3": "alpha", "y_axis_column_v3": "R^2"}, data)[1]
    assert view._render is not None  # executed, not drawn yet: a plot in a loop body costs no drawing
    png = assert_png(view)
    assert view._render is None and view.png is png  # drawn once

    lazy = View(render=lambda: calls.append(1) or PNG, title="t")
    copy = pickle.loads(pickle.dumps(lazy))  # a forked loop worker sends the drawn bytes back
    assert copy.png == PNG and copy.title == "t" and calls == [1]
    assert lazy.png == PNG and calls == [1]
