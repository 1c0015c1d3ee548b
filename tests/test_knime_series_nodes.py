"""KNIME mappings of the series' PCA, clustering, colour, embedding and legacy view nodes, on
hand-made settings fragments (the layouts the series archives and KNIME's sources use)."""

from __future__ import annotations

from pathlib import Path

from test_knime_import import findings, import_fragment, notes

PCA2 = "org.knime.base.node.mine.transformation.pca"
USED_COLUMNS = {
    "filter-type": "STANDARD",
    "included_names": ["a", "b"],
    "excluded_names": ["c"],
    "enforce_option": "EnforceExclusion",
    "name_pattern": {"pattern": "", "type": "Wildcard", "caseSensitive": True, "excludeMatching": False},
    "datatype": {"typelist": {"org.knime.core.data.DoubleValue": False}},
}
APPLY = {
    "use_fixed_number_dimensions": False,
    "number_of_dimensions": 2,
    "information_preservation": 90.0,
    "remove_used_columns": True,
    "fail_on_missings": False,
}
FILTER = {"included_names": ["a", "b"], "excluded_names": ["c"], "enforce_option": "EnforceExclusion"}


def test_pca_nodes(tmp_path: Path) -> None:
    model = {"used_columns": USED_COLUMNS, **APPLY, "fail_on_missings": True}
    node, report, _ = import_fragment(tmp_path, f"{PCA2}.perform.PCA2NodeFactory", model)
    assert node.type == "pca" and findings(report) == []
    assert node.settings == {"used_columns": FILTER, **APPLY, "fail_on_missings": True}
    compute = {"used_columns": USED_COLUMNS, "fail_on_missings": False}
    node, report, _ = import_fragment(tmp_path, f"{PCA2}.compute.PCA2ComputeNodeFactory", compute)
    assert node.type == "pca_compute" and node.settings == {"used_columns": FILTER, "fail_on_missings": False}
    node, report, _ = import_fragment(tmp_path, f"{PCA2}.apply.PCA2ApplyNodeFactory", APPLY)
    assert node.type == "pca_apply" and node.settings == APPLY and findings(report) == []


def test_kmeans_column_lists_and_legacy_initialisation(tmp_path: Path) -> None:
    factory = "org.knime.base.node.mine.cluster.kmeans.ClusterNodeFactory2"
    cols = {"InclList": ["x", "y"], "ExclList": ["z"], "keep_all_columns_selected": False}
    model = {
        "nrClusters": 4,
        "centroid_initialization": "RANDOM_INITIALIZATION",
        "centroid_seeds": 3,
        "centroid_seeds_BOOL": True,
        "maxNrIterations": 50,
        "cfgColmns": cols,
        "enableHilite": False,
    }
    node, report, _ = import_fragment(tmp_path, factory, model)
    assert findings(report) == []
    assert node.settings["cfgColmns"] == {
        "included_names": ["x", "y"],
        "excluded_names": ["z"],
        "enforce_option": "EnforceExclusion",
    }
    assert node.settings["centroid_seeds"] == 3 and node.settings["centroid_seeds_BOOL"] is True
    # a k-Means of KNIME < 4.1 has no initialisation setting: it starts from the first rows
    old = {k: v for k, v in model.items() if not k.startswith("centroid")}
    old["cfgColmns"] = {**cols, "keep_all_columns_selected": True}
    node, report, _ = import_fragment(tmp_path, factory, old)
    assert node.settings["centroid_initialization"] == "FIRST_ROWS"
    assert node.settings["cfgColmns"]["excluded_names"] == []


def test_color_manager_palettes_and_custom_colours(tmp_path: Path) -> None:
    factory = "org.knime.base.node.viz.property.color.ColorManager2NodeFactory"
    node, report, _ = import_fragment(
        tmp_path, factory, {"selected_column": "polytype", "is_nominal": True, "palette_option": "set_1"}
    )
    assert node.settings == {"selected_column": "polytype", "is_nominal": True, "palette_option": "set_1"}
    custom = {
        "palette_option": "custom_set",
        "selected_column": "s",
        "is_nominal": True,
        "values": '<config key="values"><entry key="array-size" type="xint" value="2"/>'
        '<config key="0"><entry key="datacell" type="xstring" value="org.knime.core.data.def.StringCell"/>'
        '<config key="org.knime.core.data.def.StringCell"><entry key="StringCell" type="xstring" value="ZB"/>'
        "</config></config>"
        '<config key="1"><entry key="datacell" type="xstring" value="org.knime.core.data.def.StringCell"/>'
        '<config key="org.knime.core.data.def.StringCell"><entry key="StringCell" type="xstring" value="WZ"/>'
        "</config></config></config>",
        "ZB": -65536,
        "WZ": -16776961,
    }
    node, report, _ = import_fragment(tmp_path, factory, custom)
    assert findings(report) == []
    assert node.settings["custom_colors"] == {"ZB": "#ff0000", "WZ": "#0000ff"}
    ranged = {"selected_column": "x", "is_nominal": False, "min_color": -16777216, "max_color": -1}
    node, report, _ = import_fragment(tmp_path, factory, ranged)
    assert node.settings["min_color"] == "#000000" and node.settings["max_color"] == "#ffffff"
    assert node.settings["palette_option"] == "custom_set"  # settings older than the palettes


def test_color_appender_both_versions(tmp_path: Path) -> None:
    for version in (2, 3):
        factory = f"org.knime.base.node.viz.property.color.ColorAppender{version}NodeFactory"
        node, report, _ = import_fragment(
            tmp_path, factory, {"apply_to_column_names": False, "selected_column": "Cluster"}
        )
        assert node.type == "color_appender" and findings(report) == []
        assert node.settings == {"apply_to_column_names": False, "selected_column": "Cluster"}


def test_legacy_javascript_scatter_plot(tmp_path: Path) -> None:
    factory = "org.knime.js.base.node.viz.plotter.scatterSelectionAppender.ScatterPlotNodeFactory"
    model = {
        "xCol": "PCA dimension 0",
        "yCol": "PCA dimension 1",
        "maxRows": 2500,
        "selectionColumnName": "Selected (Scatter Plot)",
        "showLegend": False,
        "dot_size": "3",
        "xAxisMin": None,
        "enableZooming": True,
        "enablePanning": True,
    }
    node, report, _ = import_fragment(tmp_path, factory, model)
    assert node.type == "scatter_plot_js" and findings(report) == []
    assert node.settings["xCol"] == "PCA dimension 0" and node.settings["xAxisMin"] is None
    assert any("enablePanning, enableZooming" in n for n in notes(report))
    # the modern Scatter Plot keeps its own mapping
    node, _, _ = import_fragment(
        tmp_path, "org.knime.base.views.node.scatterplot.ScatterPlotNodeFactory", {"xAxisColumnV3": "a"}
    )
    assert node.type == "scatter_plot"


def test_hierarchical_mds_and_tsne(tmp_path: Path) -> None:
    node, report, _ = import_fragment(
        tmp_path,
        "org.knime.base.node.mine.cluster.hierarchical.HierarchicalClusterNodeFactory",
        {
            "numberClusters": 4,
            "distFunction": "Manhattan",
            "linkageType": "AVERAGE",
            "cacheDistances": True,
            "selectedColumns": {
                "InclList": ["a", "b"],
                "ExclList": ["c"],
                "keep_all_columns_selected": False,
            },
        },
    )
    assert findings(report) == []
    assert node.settings["selectedColumns"] == ["a", "b"] and node.settings["linkageType"] == "AVERAGE"
    node, report, _ = import_fragment(
        tmp_path,
        "org.knime.base.node.mine.mds.MDSNodeFactory",
        {
            "Cols": {"InclList": ["a", "b"], "ExclList": [], "keep_all_columns_selected": False},
            "Distance": "euclidean",
            "Epochs": 20,
            "Learningrate": 0.5,
            "OutDims": 2,
            "Seed": 42,
            "UseMaxRows": True,
            "Rows": 1000,
        },
    )
    assert findings(report) == [] and node.settings["Cols"] == ["a", "b"]
    assert node.settings["Distance"] == "Euclidean"
    node, report, _ = import_fragment(
        tmp_path,
        "org.knime.ext.tsne.node.TsneNodeFactory",
        {
            "iterations": 500,
            "perplexity": 10.0,
            "theta": 0.5,
            "outputDimensions": 2,
            "features": USED_COLUMNS,
            "removeOriginalColumns": False,
            "failOnMissingValues": False,
            "seed": 7,
            "seed_BOOL": True,
            "numberOfThreads": 2,
        },
    )
    assert findings(report) == [] and node.settings["seed"] == 7
    node, _, _ = import_fragment(
        tmp_path, "org.knime.ext.tsne.node.TsneNodeFactory", {"seed": 7, "seed_BOOL": False}
    )
    assert node.settings["seed"] is None
