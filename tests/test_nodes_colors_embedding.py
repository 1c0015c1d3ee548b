"""Color Manager / Color Appender (colour models carried with the table and used by the views), the
legacy JavaScript Scatter Plot, Image View, t-SNE and MDS."""

from __future__ import annotations

import io
import struct

import numpy as np
import pandas as pd
import pytest

from engine import run_node
from engine.api import View
from nodes._colors import COLUMN_NAMES, color_models, row_colors
from nodes.colors import PALETTES
from nodes.embedding import knime_mds

FRAME = pd.DataFrame(
    {
        "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "y": [2.0, 1.0, 4.0, 3.0, 6.0, 5.0],
        "kind": ["wz", "ZB", "rs", "ZB", "wz", None],
    }
)


def _pixels(png: bytes) -> np.ndarray:
    import matplotlib.image

    return (matplotlib.image.imread(io.BytesIO(png), format="png")[:, :, :3] * 255).round().astype(int)


def _has_color(png: bytes, hex_color: str) -> bool:
    rgb = [int(hex_color[i : i + 2], 16) for i in (1, 3, 5)]
    return bool((np.abs(_pixels(png) - rgb).sum(axis=2) <= 3).any())


def _png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


# ------------------------------------------------------------------------------------------ Color Manager


def test_color_manager_sorts_values_case_insensitively_through_the_palette() -> None:
    result = run_node("color_manager", {"selected_column": "kind", "palette_option": "set_2"}, FRAME)
    table, model = result.outputs
    assert model.summary == 'Coloring on "kind"'
    palette = PALETTES["set_2"]
    # rs < wz < ZB (case-insensitive), each taking the next palette colour
    assert color_models(table.df)["kind"].colors == {"rs": palette[0], "wz": palette[1], "ZB": palette[2]}
    assert row_colors(table.df) == [palette[1], palette[2], palette[0], palette[2], palette[1], "#808080"]
    assert table.df.reset_index(drop=True).equals(FRAME) and result.specs[0] == table.spec


def test_colors_survive_the_nodes_that_pass_columns_through() -> None:
    colored = run_node("color_manager", {"selected_column": "kind"}, FRAME).outputs[0]
    filtered = run_node("column_filter", {"column_filter": {"excluded_names": ["y"]}}, colored).outputs[0]
    projected = run_node(
        "pca", {"used_columns": {"included_names": ["x"]}, "number_of_dimensions": 1}, filtered
    )
    assert row_colors(projected.df(1)) == row_colors(colored.df)
    gone = run_node("column_filter", {"column_filter": {"excluded_names": ["kind"]}}, colored).outputs[0]
    assert row_colors(gone.df) is None  # the coloured column is gone, and its colours with it


def test_range_and_custom_and_column_name_models() -> None:
    ranged = run_node(
        "color_manager",
        {"selected_column": "x", "is_nominal": False, "min_color": "#000000", "max_color": "#ffffff"},
        FRAME,
    ).outputs[0]
    assert row_colors(ranged.df) == ["#000000", "#333333", "#666666", "#999999", "#cccccc", "#ffffff"]
    custom = run_node(
        "color_manager",
        {"selected_column": "kind", "palette_option": "custom_set", "custom_colors": {"ZB": "#ff0000"}},
        FRAME,
    ).outputs[0]
    assert color_models(custom.df)["kind"].colors == {"wz": "#000000", "ZB": "#ff0000", "rs": "#000000"}
    names = run_node("color_manager", {"selected_column": COLUMN_NAMES}, FRAME).outputs[0]
    assert list(color_models(names.df)[COLUMN_NAMES].colors) == ["kind", "x", "y"]
    with pytest.raises(Exception, match="not numeric"):
        run_node("color_manager", {"selected_column": "kind", "is_nominal": False}, FRAME)


def test_color_appender_keeps_known_colours_and_colours_new_values() -> None:
    manager = run_node("color_manager", {"selected_column": "kind", "palette_option": "set_3"}, FRAME)
    other = pd.DataFrame({"kind": ["ZB", "new", "rs", "newer"]})
    result = run_node("color_appender", {}, manager.outputs[1], other)
    colors = color_models(result.df(1))["kind"].colors
    palette = PALETTES["set_3"]
    # rs, wz, ZB hold palette colours 0-2; the new values take 3 and 4 (KNIME's applyToNewValues)
    assert colors["ZB"] == palette[2] and colors["new"] == palette[3] and colors["newer"] == palette[4]
    assert result.outputs[1].summary == 'Coloring on "kind"'


# ----------------------------------------------------------------------------------------------- views


def test_scatter_plot_draws_the_color_managers_colours() -> None:
    colored = run_node(
        "color_manager", {"selected_column": "kind", "palette_option": "set_3"}, FRAME
    ).outputs[0]
    png = run_node("scatter_plot", {"x_axis_column_v3": "x", "y_axis_column_v3": "y"}, colored).outputs[0].png
    assert all(_has_color(png, c) for c in PALETTES["set_3"][:3])
    plain = run_node("scatter_plot", {"x_axis_column_v3": "x", "y_axis_column_v3": "y"}, FRAME).outputs[0].png
    assert not _has_color(plain, PALETTES["set_3"][0])


def test_line_plot_uses_column_name_colours() -> None:
    colored = run_node("color_manager", {"selected_column": COLUMN_NAMES, "palette_option": "set_3"}, FRAME)
    png = run_node("line_plot", {"y_axis_column_v2": ["x", "y"]}, colored.outputs[0]).outputs[0].png
    model = color_models(colored.df(1))[COLUMN_NAMES]
    assert _has_color(png, model.colors["x"]) and _has_color(png, model.colors["y"])


def test_legacy_javascript_scatter_plot_outputs() -> None:
    colored = run_node(
        "color_manager", {"selected_column": "kind", "palette_option": "set_1"}, FRAME
    ).outputs[0]
    result = run_node("scatter_plot_js", {"xCol": "x", "yCol": "y", "showLegend": True}, colored)
    image, table = result.outputs
    assert list(table.df.columns) == ["x", "y", "kind", "Selected (Scatter Plot)"]
    assert table.types["Selected (Scatter Plot)"] == "Boolean" and not table.df.iloc[:, -1].any()
    assert result.specs[1] == table.spec
    assert _png_size(image.png) == (800, 600)  # KNIME: "SVG 800 x 600"
    assert _has_color(image.png, PALETTES["set_1"][0])
    shown = run_node("image_view", {"title": "plot"}, image)
    assert shown.outputs[0].png == image.png and shown.outputs[0].title == "plot"
    empty = run_node("image_view", {}, View(title="nothing"))
    assert empty.warnings


# ------------------------------------------------------------------------------------------ embeddings


def test_mds_is_knimes_algorithm() -> None:
    # a reference value of KNIME's MDSManager (java.util.Random(7) start, 5 epochs, rate 1 -> 0.001)
    d = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    points = knime_mds(d, 1, 5, 1.0, 7, None)
    low = np.abs(points[:, 0][:, None] - points[:, 0][None, :])
    np.testing.assert_allclose(low, d, atol=1e-2)  # a line embeds exactly
    result = run_node("mds", {"Epochs": 20, "OutDims": 2, "Seed": 3}, FRAME)
    df = result.df()
    assert list(df.columns)[-2:] == ["MDS Col 1", "MDS Col 2"]
    assert result.specs[0] == result.outputs[0].spec
    again = run_node("mds", {"Epochs": 20, "OutDims": 2, "Seed": 3}, FRAME).df()
    assert df.equals(again)
    limited = run_node("mds", {"UseMaxRows": False, "Rows": 4}, FRAME)
    assert len(limited.df()) == 4 and limited.warnings


def test_tsne_shape_seed_and_checks() -> None:
    rng = np.random.default_rng(0)
    values = pd.DataFrame(
        np.concatenate([rng.normal(size=(15, 4)), rng.normal(size=(15, 4)) + 8]), columns=list("abcd")
    )
    settings = {"perplexity": 5.0, "seed": 1}
    first = run_node("t_sne", settings, values)
    assert list(first.df().columns)[-2:] == ["t-SNE dimension 0", "t-SNE dimension 1"]
    assert first.df().equals(run_node("t_sne", settings, values).df())
    emb = first.df()[["t-SNE dimension 0", "t-SNE dimension 1"]].to_numpy()
    # neighbourhoods survive: each point's 3 nearest neighbours in the embedding are from its group
    d = ((emb[:, None] - emb[None]) ** 2).sum(axis=2)
    np.fill_diagonal(d, np.inf)
    group = np.repeat([0, 1], 15)
    assert (group[np.argsort(d, axis=1)[:, :3]] == group[:, None]).all()
    with pytest.raises(Exception, match="perplexity must be at most"):
        run_node("t_sne", {"perplexity": 30.0, "seed": 1}, values)
    with pytest.raises(Exception, match="must not exceed"):
        run_node("t_sne", {"outputDimensions": 5}, values)
    removed = run_node("t_sne", {**settings, "removeOriginalColumns": True}, values)
    assert list(removed.df().columns) == ["t-SNE dimension 0", "t-SNE dimension 1"]
