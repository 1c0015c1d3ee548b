"""Issue 17: the importer never guesses. Every settings layout KNIME has written for a supported
node is read (and the imported node computes what KNIME's did), or the node becomes a finding
that `import-knime --strict` refuses. Each test builds the settings.xml of one KNIME version's
layout (keys as KNIME's source writes them; the class is named in each test) and runs the
imported node.

The four silent drops of the issue, which fail on the main branch before it: Row Filters saved
by KNIME 5.4/5.5 and classic Row Filters (test_row_filter_*), Normalizers in the older
column-selection format (test_normalizer_*), a Missing Value rule set with MedianNumber
(test_missing_value_*), Scatter Plots saved by 5.2 (test_scatter_plot_5_2_axes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_knime_import import entry, findings, import_fragment, notes

from engine import run_node

ROW3 = "org.knime.base.node.preproc.filter.row3.RowFilterNodeFactory"
ROW_CLASSIC = "org.knime.base.node.preproc.filter.row.RowFilterNodeFactory"
ROW_CLASSIC_2 = "org.knime.base.node.preproc.filter.row.RowFilter2PortNodeFactory"
ROW_CLASSIC_SPLITTER = "org.knime.base.node.preproc.filter.row.RowSplitterNodeFactory"

DF = pd.DataFrame(
    {
        "name": ["alpha", "Beta", "gamma", None, "delta"],
        "n": pd.array([1, 5, 10, 15, 20], dtype="Int32"),
        "x": [0.5, 1.5, np.nan, 3.5, 4.5],
    }
)


def imported(tmp_path: Path, factory: str, model: dict[str, Any], **kw: Any) -> tuple[Any, Any]:
    node, report, _ = import_fragment(tmp_path, factory, model, **kw)
    return node, report


def kept(node: Any, df: pd.DataFrame = DF) -> list[Any]:
    """The names of the rows an imported Row Filter keeps."""
    assert node.type == "row_filter", node.settings
    return list(run_node("row_filter", node.settings, df).df()["name"])


# ------------------------------------------------------------------------------- Row Filter (row3)


def dynamic_value(value: Any, cell: str, case: str | None = None) -> dict[str, Any]:
    """One value of a `DynamicValuesInput` (knime-core-ui `DynamicValuePersistor`)."""
    out: dict[str, Any] = {"typeIdentifier": {"cell_class": cell, "is_null": False}, "value": value}
    if case:
        out["stringCaseMatching"] = {"caseMatching": case}
    return out


STRING = "org.knime.core.data.def.StringCell"
INT = "org.knime.core.data.def.IntCell"
LONG = "org.knime.core.data.def.LongCell"


def test_row_filter_5_4_column_selection_layout(tmp_path: Path) -> None:
    """KNIME 5.3/5.4 write `column` as a ColumnSelection (`selected`, `compatibleTypes`; RowIDs
    as `<row-keys>`, row numbers as `<row-numbers>`); main read only `columnV2` and passed every row."""
    model = {
        "matchCriteria": "AND",
        "predicates": [
            {
                "column": {"selected": "n", "compatibleTypes": ["org.knime.core.data.IntValue"]},
                "operator": "GT",
                "predicateValues": {"values": [dynamic_value(3, INT)], "inputKind": "SINGLE"},
            },
            {
                # (a text starting with "<" is written as an entry here, not taken for XML)
                "column": {"selected": entry("selected", "<row-numbers>"), "compatibleTypes": []},
                "operator": "LTE",
                "predicateValues": {"values": [dynamic_value(4, LONG)], "inputKind": "SINGLE"},
            },
        ],
        "outputMode": "MATCHING",
        "domains": "RETAIN",
    }
    node, report = imported(tmp_path, ROW3, model)
    assert findings(report) == []
    assert node.settings["predicates"][1] == {"column": "<ROW_NUMBER>", "operator": "LTE", "value": 4}
    assert kept(node) == ["Beta", "gamma", None]


def test_row_filter_5_5_case_matching_and_row_ids(tmp_path: Path) -> None:
    """5.5-5.8: `columnV2` (StringOrEnum) and the value's `stringCaseMatching`; a RowID criterion."""
    model = {
        "matchCriteria": "OR",
        "predicates": [
            {
                "columnV2": {"regularChoice": "name"},
                "operator": "EQ",
                "predicateValues": {"values": [dynamic_value("beta", STRING, "CASEINSENSITIVE")]},
            },
            {
                "columnV2": {"regularChoice": None, "specialChoice_Internals": "ROW_ID"},
                "operator": "REGEX",
                "predicateValues": {"values": [dynamic_value("Row[04]", STRING, "CASESENSITIVE")]},
            },
        ],
        "outputMode": "NON_MATCHING",
        "domains": "RETAIN",
    }
    node, report = imported(tmp_path, ROW3, model)
    assert findings(report) == []
    assert node.settings["predicates"][0]["caseMatching"] == "CASEINSENSITIVE"
    assert kept(node) == ["gamma", None]


def test_row_filter_5_9_filter_value_parameters(tmp_path: Path) -> None:
    """5.9 on: `filterValueParameters` (value / pattern with `caseSensitivity`)."""
    model = {
        "predicates": [
            {
                "columnV2": {"regularChoice": "name"},
                "operator": "WILDCARD",
                "filterValueParameters": {"pattern": "*TA", "caseSensitivity": "CASE_INSENSITIVE"},
            },
        ],
        "outputMode": "MATCHING",
    }
    node, report = imported(tmp_path, ROW3, model)
    assert findings(report) == [] and kept(node) == ["Beta", "delta"]


def test_row_filter_with_an_unreadable_criterion_becomes_a_placeholder(tmp_path: Path) -> None:
    """A criterion in no layout knitflow reads: not a Row Filter passing every row, but a finding
    and a placeholder that keeps KNIME's settings."""
    model = {
        "predicates": [{"columnV2": {"regularChoice": "n"}, "operator": "EXT_FANCY_OPERATOR"}],
        "outputMode": "MATCHING",
    }
    node, report = imported(tmp_path, ROW3, model)
    assert node.type == "knime_placeholder"
    assert any("EXT_FANCY_OPERATOR" in m and "placeholder" in m for m in findings(report))
    assert node.settings["knime_settings"]["predicates"]


# ------------------------------------------------------------------------ Row Filter (classic)


def classic(cfg: dict[str, Any]) -> dict[str, Any]:
    return {"rowFilter": cfg}


def cell(value: Any, cls: str) -> dict[str, Any]:
    """A DataCell as `Config.addDataCell` writes it."""
    return {"datacell": cls, cls: {cls.rsplit(".", 1)[-1]: value}}


CLASSIC_CASES = [
    pytest.param(
        {
            "RowFilter_TypeID": "StringComp_RowFilter",
            "ColumnName": "name",
            "include": True,
            "Pattern": "a*",
            "CaseSensitive": False,
            "hasWildCards": True,
            "isRegExpr": False,
        },
        ["alpha"],
        id="wildcard",
    ),
    pytest.param(
        {
            "RowFilter_TypeID": "StringComp_RowFilter",
            "ColumnName": "name",
            "include": False,
            "Pattern": "beta",
            "CaseSensitive": False,
            "hasWildCards": False,
            "isRegExpr": False,
        },
        ["alpha", "gamma", None, "delta"],
        id="exclude-equal-ignoring-case",
    ),
    pytest.param(
        {
            "RowFilter_TypeID": "StringComp_RowFilter",
            "ColumnName": "n",
            "include": True,
            "Pattern": "10",
            "CaseSensitive": True,
            "hasWildCards": False,
            "isRegExpr": False,
        },
        ["gamma"],
        id="text-of-an-integer",
    ),
    pytest.param(
        {
            "RowFilter_TypeID": "RangeVal_RowFilter",
            "ColumnName": "x",
            "include": True,
            "lowerBound": cell(1.0, "org.knime.core.data.def.DoubleCell"),
            "upperBound": {"datacell": None},
        },
        ["Beta", None, "delta"],
        id="range-lower-bound",
    ),
    pytest.param(
        {
            "RowFilter_TypeID": "RangeVal_RowFilter",
            "ColumnName": "n",
            "include": False,
            "lowerBound": cell(5, "org.knime.core.data.def.IntCell"),
            "upperBound": cell(15, "org.knime.core.data.def.IntCell"),
        },
        ["alpha", "delta"],
        id="range-exclude",
    ),
    pytest.param(
        {"RowFilter_TypeID": "MissingVal_RowFilter", "ColumnName": "x", "include": False},
        ["alpha", "Beta", None, "delta"],
        id="missing-exclude",
    ),
    pytest.param(
        {
            "RowFilter_TypeID": "RowNumber_RowFilter",
            "RowRangeStart": 1,
            "RowRangeEnd": 2,
            "RowRangeInclude": True,
        },
        ["Beta", "gamma"],
        id="row-numbers",
    ),
    pytest.param(
        {
            "RowFilter_TypeID": "RowNumber_RowFilter",
            "RowRangeStart": 3,
            "RowRangeEnd": -1,
            "RowRangeInclude": False,
        },
        ["alpha", "Beta", "gamma"],
        id="row-numbers-to-the-end-excluded",
    ),
    pytest.param(
        {
            "RowFilter_TypeID": "RowID_RowFilter",
            "RegExprRowFilterPattern": "row[12]",
            "RegExprRowFilterCaseSense": False,
            "RegExprRowFilterStart": False,
            "RegExprRowFilterInclude": True,
        },
        ["Beta", "gamma"],
        id="rowid-regex",
    ),
    pytest.param(
        {
            "RowFilter_TypeID": "RowID_RowFilter",
            "RegExprRowFilterPattern": "Row",
            "RegExprRowFilterCaseSense": True,
            "RegExprRowFilterStart": True,
            "RegExprRowFilterInclude": False,
        },
        [],
        id="rowid-starts-with-excluded",
    ),
    pytest.param(
        {
            "RowFilter_TypeID": "AND_RowFilter",
            "ConfigFilter1": {
                "RowFilter_TypeID": "MissingVal_RowFilter",
                "ColumnName": "name",
                "include": False,
            },
            "ConfigFilter2": {
                "RowFilter_TypeID": "MissingVal_RowFilter",
                "ColumnName": "x",
                "include": False,
            },
        },
        ["alpha", "Beta", "delta"],
        id="and-of-two-excluding",
    ),
    pytest.param(
        {
            "RowFilter_TypeID": "Inverter_RowFilter",
            "ConfigFilterIn": {
                "RowFilter_TypeID": "OR_RowFilter",
                "ConfigFilter1": {
                    "RowFilter_TypeID": "MissingVal_RowFilter",
                    "ColumnName": "name",
                    "include": True,
                },
                "ConfigFilter2": {
                    "RowFilter_TypeID": "RowNumber_RowFilter",
                    "RowRangeStart": 0,
                    "RowRangeEnd": 0,
                    "RowRangeInclude": True,
                },
            },
        },
        ["Beta", "gamma", "delta"],
        id="inverted-or",
    ),
]


@pytest.mark.parametrize(("cfg", "expected"), CLASSIC_CASES)
def test_row_filter_classic_layouts(tmp_path: Path, cfg: dict[str, Any], expected: list[Any]) -> None:
    """`filter.row.RowFilterNodeFactory` (KNIME 1.x-5.2) keeps its filter as a `RowFilterFactory`
    tree; main matched it by its class name to the web-UI Row Filter, read no criterion and passed
    every row. Expected rows are KNIME's semantics (include flags, 0-based row ranges, text
    comparison of the cell's string, lookingAt for 'starts with')."""
    node, report = imported(tmp_path, ROW_CLASSIC, classic(cfg))
    assert findings(report) == []
    assert kept(node) == expected


@pytest.mark.parametrize("factory", [ROW_CLASSIC_2, ROW_CLASSIC_SPLITTER])
def test_row_filter_classic_two_ports(tmp_path: Path, factory: str) -> None:
    """The two-port Row Filter and the legacy Row Splitter: the rows the filter keeps on port 1,
    the others on port 2, as knitflow's Row Splitter; an excluding filter would swap the ports."""
    missing_x = {"RowFilter_TypeID": "MissingVal_RowFilter", "ColumnName": "x", "include": True}
    node, report = imported(tmp_path, factory, classic(missing_x))
    assert node.type == "row_splitter" and findings(report) == []
    result = run_node("row_splitter", node.settings, DF)
    assert list(result.df(1)["name"]) == ["gamma"]
    assert "gamma" not in list(result.df(2)["name"]) and len(result.df(2)) == len(DF) - 1
    node, report = imported(tmp_path, factory, classic({**missing_x, "include": False}))
    assert node.type == "knime_placeholder" and any("Row Splitter" in m for m in findings(report))


def test_row_filter_classic_mixed_combinations(tmp_path: Path) -> None:
    mixed = {
        "RowFilter_TypeID": "AND_RowFilter",
        "ConfigFilter1": {"RowFilter_TypeID": "MissingVal_RowFilter", "ColumnName": "name", "include": True},
        "ConfigFilter2": {"RowFilter_TypeID": "MissingVal_RowFilter", "ColumnName": "x", "include": False},
    }
    node, report = imported(tmp_path, ROW_CLASSIC, classic(mixed))
    assert node.type == "knime_placeholder"
    assert any("combination" in m for m in findings(report))
    assert notes(report) == []


# ------------------------------------------------------------------------------------ Normalizer

NORMALIZER3 = "org.knime.base.node.preproc.normalize3.Normalizer3NodeFactory"
NUMBERS = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [10.0, 20.0, 30.0, 50.0], "s": list("wxyz")})


def normalized(node: Any) -> pd.DataFrame:
    assert node.type == "normalizer", node.settings
    return run_node("normalizer", node.settings, NUMBERS).df()


def test_normalizer_classic_column_filter_layout(tmp_path: Path) -> None:
    """Normalizer3 before 5.3 (Normalizer3Config): `data-column-filter` as a classic
    DataColumnSpecFilterConfiguration; main dropped it and normalized every numeric column."""
    model = {
        "mode": "MINMAX",
        "new-min": 0.0,
        "new-max": 1.0,
        "data-column-filter": {
            "filter-type": "STANDARD",
            "included_names": ["a"],
            "excluded_names": ["b"],
            "enforce_option": "EnforceInclusion",
        },
    }
    node, report = imported(tmp_path, NORMALIZER3, model)
    assert findings(report) == []
    out = normalized(node)
    np.testing.assert_allclose(out["a"], [0.0, 1 / 3, 2 / 3, 1.0], rtol=1e-15)
    assert list(out["b"]) == list(NUMBERS["b"])  # untouched


def test_normalizer_classic_filter_by_pattern(tmp_path: Path) -> None:
    model = {
        "mode": "Z_SCORE",
        "data-column-filter": {
            "filter-type": "name_pattern",
            "included_names": [],
            "excluded_names": [],
            "enforce_option": "EnforceExclusion",
            "name_pattern": {
                "pattern": "B",
                "type": "Regex",
                "caseSensitive": False,
                "excludeMatching": False,
            },
        },
    }
    node, report = imported(tmp_path, NORMALIZER3, model)
    assert findings(report) == []
    out = normalized(node)
    b = NUMBERS["b"]
    np.testing.assert_allclose(out["b"], (b - b.mean()) / b.std(ddof=1), rtol=1e-15)
    assert list(out["a"]) == list(NUMBERS["a"])


@pytest.mark.parametrize(
    ("factory", "model", "changed"),
    [
        (
            "org.knime.base.node.preproc.normalize.NormalizerNodeFactory",
            {"mode": 1, "newmin": -1.0, "newmax": 1.0, "columns": ["b"], "all_numeric_columns_used": False},
            ["b"],
        ),
        (
            "org.knime.base.node.preproc.normalize2.Normalizer2NodeFactory",
            {"mode": 1, "newmin": -1.0, "newmax": 1.0, "columns": ["b"], "all_numeric_columns_used": True},
            ["a", "b"],
        ),
    ],
)
def test_normalizer_older_factories(
    tmp_path: Path, factory: str, model: dict[str, Any], changed: list[str]
) -> None:
    """NormalizerNodeFactory / Normalizer2NodeFactory: the mode as 1-3, `newmin`/`newmax`, the
    `columns` array or all numeric columns."""
    node, report = imported(tmp_path, factory, model)
    assert findings(report) == []
    out = normalized(node)
    for col in ("a", "b"):
        x = NUMBERS[col]
        expected = (x - x.min()) / (x.max() - x.min()) * 2 - 1 if col in changed else x
        np.testing.assert_allclose(out[col], expected, rtol=1e-15, atol=1e-15)
    node, report = imported(tmp_path, factory, {**model, "mode": 0})
    assert node.type == "knime_placeholder" and any("no normalization" in m for m in findings(report))


def test_normalizer_apply_older_factory(tmp_path: Path) -> None:
    node, report = imported(tmp_path, "org.knime.base.node.preproc.normalize.NormalizerApplyNodeFactory", {})
    assert node.type == "normalizer_apply" and findings(report) == []


# --------------------------------------------------------------------------------- Missing Value

MISSING_VALUE = "org.knime.base.node.preproc.pmml.missingval.compute.MissingValueHandlerNodeFactory"
HANDLERS = "org.knime.base.node.preproc.pmml.missingval.handlers."
GAPS = pd.DataFrame(
    {
        "d": [1.0, np.nan, 4.0, 10.0, np.nan],
        "i": pd.array([1, None, 2, 2, None], dtype="Int32"),
        "s": ["a", None, "b", "b", None],
    }
)


def handler(name: str, **settings: Any) -> dict[str, Any]:
    return {"factoryID": f"{HANDLERS}{name}MissingCellHandlerFactory", "settings": settings}


def test_missing_value_median_number_and_more(tmp_path: Path) -> None:
    """MVSettings with MedianNumber for doubles (main dropped the whole rule set), IntegerMean
    (Math.round of the mean, an Int cell) and MostFrequentValue, and a column group."""
    model = {
        "dataTypeSettings": {
            "org.knime.core.data.def.DoubleCell": handler("MedianNumber"),
            "org.knime.core.data.def.IntCell": handler("IntegerMean"),
            "org.knime.core.data.def.StringCell": handler("MostFrequentValue"),
        },
        "columnSettings": {},
    }
    node, report = imported(tmp_path, MISSING_VALUE, model)
    assert findings(report) == []
    out = run_node("missing_value", node.settings, GAPS).df()
    assert list(out["d"]) == [1.0, 4.0, 4.0, 10.0, 4.0]  # the median of 1, 4, 10
    assert list(out["i"]) == [1, 2, 2, 2, 2]  # round(5 / 3)
    assert list(out["s"]) == ["a", "b", "b", "b", "b"]


@pytest.mark.parametrize(
    ("name", "settings", "expected"),
    [
        ("DoubleMean", {}, [1.0, 5.0, 4.0, 10.0, 5.0]),
        ("MinNumber", {}, [1.0, 1.0, 4.0, 10.0, 1.0]),
        ("Max", {}, [1.0, 10.0, 4.0, 10.0, 10.0]),
        ("FixedDoubleValue", {"fixDoubleValue": -1.5}, [1.0, -1.5, 4.0, 10.0, -1.5]),
        ("Previous", {}, [1.0, 1.0, 4.0, 10.0, 10.0]),
        ("timeseries.Next", {}, [1.0, 4.0, 4.0, 10.0, np.nan]),
        ("LinearInterpolation", {}, [1.0, 2.5, 4.0, 10.0, np.nan]),
        ("timeseries.AverageInterpolation", {"tableBackedExec": False}, [1.0, 2.5, 4.0, 10.0, np.nan]),
        ("DoNothing", {}, [1.0, np.nan, 4.0, 10.0, np.nan]),
    ],
)
def test_missing_value_handlers_by_column(
    tmp_path: Path, name: str, settings: dict[str, Any], expected: list[float]
) -> None:
    model = {
        "dataTypeSettings": {},
        "columnSettings": {"0": {"colNames": ["d"], "settings": handler(name, **settings)}},
    }
    node, report = imported(tmp_path, MISSING_VALUE, model)
    assert findings(report) == []
    np.testing.assert_array_equal(run_node("missing_value", node.settings, GAPS).df()["d"], expected)


def test_missing_value_remove_row_and_unsupported_handlers(tmp_path: Path) -> None:
    model = {
        "dataTypeSettings": {"org.knime.core.data.def.StringCell": handler("RemoveRow")},
        "columnSettings": {},
    }
    node, report = imported(tmp_path, MISSING_VALUE, model)
    assert len(run_node("missing_value", node.settings, GAPS).df()) == 3
    moving = {"dataTypeSettings": {"org.knime.core.data.def.DoubleCell": handler("DoubleMovingAverage")}}
    node, report = imported(tmp_path, MISSING_VALUE, moving)
    assert node.type == "knime_placeholder"
    assert any("DoubleMovingAverage" in m and "no knitflow equivalent" in m for m in findings(report))
    dates = {
        "dataTypeSettings": {
            "org.knime.core.data.time.localdate.LocalDateCell": {
                "factoryID": "org.knime.time.node.missingvaluehandler.FixedLocalDateMissingCellHandlerFactory",
                "settings": {},
            }
        }
    }
    node, report = imported(tmp_path, MISSING_VALUE, dates)
    assert node.type == "knime_placeholder"


# ---------------------------------------------------------------------------------- Scatter Plot


def test_scatter_plot_5_2_axes(tmp_path: Path) -> None:
    """KNIME 5.2's Scatter Plot keeps its axes as ColumnSelections (`xAxisColumn`: `selected`,
    `compatibleTypes`); main lost them (the plot took the first numeric columns instead)."""
    view = {
        "xAxisColumn": {"selected": "b", "compatibleTypes": ["org.knime.core.data.DoubleValue"]},
        "yAxisColumn": {"selected": "a", "compatibleTypes": ["org.knime.core.data.DoubleValue"]},
        "title": "5.2",
    }
    node, report = imported(
        tmp_path,
        "org.knime.base.views.node.scatterplot.ScatterPlotNodeFactory",
        {},
        extra=node_xml_view(view),
    )
    assert (node.settings["x_axis_column_v3"], node.settings["y_axis_column_v3"]) == ("b", "a")
    assert findings(report) == []
    assert run_node("scatter_plot", node.settings, NUMBERS).outputs[0].png


def node_xml_view(view: dict[str, Any]) -> str:
    from test_knime_import import node_xml

    return node_xml("view", view)


def test_view_keys_knitflow_does_not_draw_are_findings(tmp_path: Path) -> None:
    view = {
        "xAxisColumnV3": "a",
        "yAxisColumnV3": "b",
        "showTooltip": True,  # interaction only
        "referenceLines": {"0": {"value": 3.0}},  # drawn by KNIME, not by knitflow
    }
    node, report = imported(
        tmp_path,
        "org.knime.base.views.node.scatterplot.ScatterPlotNodeFactory",
        {},
        extra=node_xml_view(view),
    )
    assert [m for m in findings(report)] == [
        "view setting referenceLines = {'0': {'value': 3.0}} has no counterpart in knitflow"
    ]


# --------------------------------------------------------------------------------- Column Filter

COLUMN_FILTER = "org.knime.base.node.preproc.filter.column.DataColumnSpecFilterNodeFactory"
WIDE = pd.DataFrame({"Alpha": [1.0], "alpha_2": [2], "beta": ["b"], "Gamma": [3.0], "a.b": ["x"]}).astype(
    {"alpha_2": "int32"}
)


def kept_columns(node: Any) -> list[str]:
    assert node.type == "column_filter", node.settings
    return list(run_node("column_filter", node.settings, WIDE).df().columns)


def classic_filter(kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "column-filter": {
            "filter-type": kind,
            "included_names": ["beta"],
            "excluded_names": [],
            "enforce_option": "EnforceInclusion",
            **extra,
        }
    }


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"pattern": "alpha*", "type": "Wildcard", "caseSensitive": True}, ["alpha_2"]),
        ({"pattern": "alpha*", "type": "Wildcard", "caseSensitive": False}, ["Alpha", "alpha_2"]),
        ({"pattern": "a?b", "type": "Wildcard", "caseSensitive": True}, ["a.b"]),  # '.' is literal
        ({"pattern": "[A-Z].*", "type": "Regex", "caseSensitive": True}, ["Alpha", "Gamma"]),
        (
            {"pattern": "[A-Z].*", "type": "Regex", "caseSensitive": True, "excludeMatching": True},
            ["alpha_2", "beta", "a.b"],
        ),
        ({"pattern": "a", "type": "Regex", "caseSensitive": False}, []),  # the whole name must match
    ],
)
def test_column_filter_classic_name_pattern(
    tmp_path: Path, pattern: dict[str, Any], expected: list[str]
) -> None:
    """NameFilterConfiguration `name_pattern` (PatternFilterConfiguration): wildcards turned into a
    regex, Java's CASE_INSENSITIVE flag, matches(), excludeMatching (4.5 on); the manual lists unused."""
    node, report = imported(tmp_path, COLUMN_FILTER, classic_filter("name_pattern", name_pattern=pattern))
    assert findings(report) == [] and kept_columns(node) == expected


def test_column_filter_classic_type_filter(tmp_path: Path) -> None:
    typelist = {"org.knime.core.data.DoubleValue": True, "org.knime.core.data.IntValue": False}
    node, report = imported(
        tmp_path, COLUMN_FILTER, classic_filter("datatype", datatype={"typelist": typelist})
    )
    assert findings(report) == [] and kept_columns(node) == ["Alpha", "Gamma"]


def webui_filter(mode: str, **parts: Any) -> dict[str, Any]:
    return {
        "column-filter": {
            "mode": mode,
            "patternFilter": parts.get(
                "pattern", {"pattern": "", "isCaseSensitive": False, "isInverted": False}
            ),
            "manualFilter": {
                "manuallySelected": ["beta"],
                "manuallyDeselected": [],
                "includeUnknownColumns": False,
            },
            "typeFilter": {"selectedTypes": parts.get("types", []), "typeDisplays": {}},
        }
    }


@pytest.mark.parametrize(
    ("mode", "parts", "expected"),
    [
        (
            "REGEX",
            {"pattern": {"pattern": "ALPHA.*", "isCaseSensitive": False, "isInverted": False}},
            ["Alpha", "alpha_2"],
        ),
        (
            "REGEX",
            {"pattern": {"pattern": "a|G.*", "isCaseSensitive": True, "isInverted": False}},
            ["alpha_2", "Gamma", "a.b"],
        ),
        (
            "WILDCARD",
            {"pattern": {"pattern": "*a", "isCaseSensitive": True, "isInverted": True}},
            ["alpha_2", "a.b"],
        ),
        ("TYPE", {"types": ["org.knime.core.data.StringValue"]}, ["beta", "a.b"]),
        ("MANUAL", {}, ["beta"]),
    ],
)
def test_column_filter_web_ui_modes(
    tmp_path: Path, mode: str, parts: dict[str, Any], expected: list[str]
) -> None:
    """The web UI's ColumnFilter (knime-core-ui PatternFilter): lower-cased name and pattern when not case
    sensitive, regexes found as `^pattern$` (so `a|G.*` is `^a` or `G.*$`), wildcards matched whole."""
    node, report = imported(tmp_path, COLUMN_FILTER, webui_filter(mode, **parts))
    assert findings(report) == [] and kept_columns(node) == expected


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ({"exclude": ["beta", "Gamma"]}, ["Alpha", "alpha_2", "a.b"]),
        ({"exclude": ["beta", "Gamma"], "selectionOption": "EnforceInclusion"}, ["beta", "Gamma"]),
        ({"exclude": ["Alpha"], "enforce_inclusion": True}, ["Alpha"]),
    ],
)
def test_column_filter_legacy_factory(tmp_path: Path, model: dict[str, Any], expected: list[str]) -> None:
    """FilterColumnNodeFactory (KNIME 1.x-2.x): `exclude` and `selectionOption` / `enforce_inclusion`."""
    node, report = imported(
        tmp_path, "org.knime.base.node.preproc.filter.column.FilterColumnNodeFactory", model
    )
    assert findings(report) == [] and kept_columns(node) == expected


# ------------------------------------------------------------------------ older factories (Scorer, ...)


def test_scorer_v1(tmp_path: Path) -> None:
    model = {
        "first": "truth",
        "second": "pred",
        "flowVarPrefix": "v1_",
        "sortingStrategy": "InsertionOrder",
        "sortingReversed": False,
        "ignore.missing.values": True,
    }
    node, report = imported(
        tmp_path, "org.knime.base.node.mine.scorer.accuracy.AccuracyScorerNodeFactory", model
    )
    assert node.type == "scorer" and findings(report) == []
    df = pd.DataFrame({"truth": ["a", "a", "b", "b"], "pred": ["a", "b", "b", "b"]})
    result = run_node("scorer", node.settings, df)
    assert result.variables["v1_Accuracy"] == 0.75 and result.variables["v1_#Correct"] == 3


RF_V1 = "org.knime.base.node.mine.treeensemble.node.randomforest."


def test_random_forest_v1_learner_and_predictor(tmp_path: Path) -> None:
    """The first tree ensemble plugin's Random Forest (Regression): a subset of the newer keys."""
    learner = {
        "targetColumn": "y",
        "columnFilterConfig": {
            "filter-type": "STANDARD",
            "included_names": ["x"],
            "excluded_names": [],
            "enforce_option": "EnforceInclusion",
        },
        "fingerprintColumn": None,
        "nrModels": 20,
        "seed": "7",
        "maxLevels": 5,
        "minNodeSize": -1,
        "minChildSize": -1,
        "nrHilitePatterns": -1,
    }
    node, report = imported(
        tmp_path, RF_V1 + "learner.regression.RandomForestRegressionLearnerNodeFactory", learner
    )
    assert node.type == "random_forest_learner_regression" and findings(report) == []
    assert (node.settings["nrModels"], node.settings["seed"], node.settings["maxLevels"]) == (20, "7", 5)
    node, report = imported(
        tmp_path,
        RF_V1 + "predictor.regression.RandomForestRegressionPredictorNodeFactory",
        {
            "predictionColumnName": "Prediction (y)",
            "changePredictionColumnName": False,
            "appendPredictionConfidence": True,
        },
    )
    assert node.type == "random_forest_predictor_regression" and findings(report) == []
    node, report = imported(
        tmp_path,
        RF_V1 + "learner.regression.RandomForestRegressionLearnerNodeFactory",
        {**learner, "newOption": 3},
    )
    assert any("newOption" in m for m in findings(report))
    node, report = imported(
        tmp_path,
        RF_V1 + "learner.regression.RandomForestRegressionLearnerNodeFactory",
        {**learner, "missingValueHandling": "Surrogate"},
    )
    assert any("urrogate" in m for m in findings(report))  # it used to run the XGBoost mode silently


def test_interactive_table_and_legacy_scatter_plot(tmp_path: Path) -> None:
    node, report = imported(tmp_path, "org.knime.base.node.viz.table.TableNodeFactory", {})
    assert node.type == "table_view" and findings(report) == []
    node, report = imported(
        tmp_path,
        "org.knime.base.node.viz.scatterplot.ScatterPlotNodeFactory",
        {"end": 500, "antialias": False, "max_nominal_values": 60},
    )
    assert node.type == "scatter_plot" and node.settings == {"max_rows": 500} and findings(report) == []
    assert any("picks its axes in the view" in n for n in notes(report))


def test_loop_end_legacy_and_loop_start_v2(tmp_path: Path) -> None:
    """LoopEndNodeFactory (one port; before 3.1 `uniqueRowIDs`) and LoopStartVariable2 (= TableToVariable3's settings)."""
    node, report = imported(
        tmp_path,
        "org.knime.base.node.meta.looper.LoopEndNodeFactory",
        {"addIterationColumn": False, "uniqueRowIDs": False, "ignoreEmptyTables": True},
    )
    assert node.type == "loop_end" and findings(report) == []
    assert node.settings == {
        "add_iteration_column": False,
        "row_key_policy": "UNMODIFIED",
        "ignore_empty_tables": True,
    }
    node, report = imported(
        tmp_path,
        "org.knime.base.node.meta.looper.variable.start.LoopStartVariable2NodeFactory",
        {"missing_value_policy": "OMIT"},
    )
    assert node.type == "table_row_to_variable_loop_start" and findings(report) == []


def test_table_row_to_variable_v2(tmp_path: Path) -> None:
    model = {
        "CFG_FAILONMISS": "Use Defaults",
        "CFG_Integer": -1,
        "CFG_Long": 0,
        "CFG_Double": 0.5,
        "CFG_String": "?",
        "CFG_Boolean": "true",
    }
    node, report = imported(
        tmp_path, "org.knime.base.node.flowvariable.tablerowtovariable2.TableToVariable2NodeFactory", model
    )
    assert node.type == "table_row_to_variable" and findings(report) == []
    df = pd.DataFrame({"i": pd.array([None], dtype="Int32"), "s": [None]})
    assert run_node("table_row_to_variable", node.settings, df).variables == {
        "RowID": "Row0",
        "i": -1,
        "s": "?",
    }
    node, report = imported(
        tmp_path,
        "org.knime.base.node.flowvariable.tablerowtovariable2.TableToVariable2NodeFactory",
        {"CFG_FAILONMISS": "Omit"},
    )
    assert node.settings["missing_value_policy"] == "OMIT"


def test_sorter_5_1_column_selection_and_classic_row_key(tmp_path: Path) -> None:
    sorter = "org.knime.base.node.preproc.sorter.SorterNodeFactory"
    criteria = [
        {
            "column": {"selected": "b", "compatibleTypes": []},
            "sortingOrder": "DESCENDING",
            "stringComparison": "NATURAL",
        }
    ]
    node, report = imported(tmp_path, sorter, {"sortingCriteria": criteria, "missingToEnd": False})
    assert node.settings["sorting_criteria"] == [
        {"column": "b", "sorting_order": "DESCENDING", "string_comparison": "NATURAL"}
    ]
    legacy = {
        "incllist": ["-ROWKEY -", "x", "- DO NOT SORT -"],
        "sortOrder": [False, True, True],
        "alphaNumStringComp": [False, True, False],
        "sortinmemory": False,
        "missingToEnd": True,
    }
    node, report = imported(tmp_path, sorter, legacy)
    assert findings(report) == []
    assert node.settings["sorting_criteria"] == [
        {"column": "<ROW_ID>", "sorting_order": "DESCENDING", "string_comparison": "LEXICOGRAPHIC"},
        {"column": "x", "sorting_order": "ASCENDING", "string_comparison": "NATURAL"},
    ]


# ---------------------------------------------------------------------------- older text readers

CSV_TEXT = 'id,name,value\nr1,"a, b",1.5\nr2,c,2\n'


def read_imported(node: Any, path: Path) -> pd.DataFrame:
    assert node.type == "csv_reader", node.settings
    settings = {**node.settings, "file": str(path)}
    return run_node("csv_reader", settings).df()


def test_classic_csv_reader(tmp_path: Path) -> None:
    """CSVReaderConfig (KNIME 3.7 writes exactly these keys); hasRowHeader takes the first column as RowIDs."""
    data = tmp_path / "in.csv"
    data.write_text(CSV_TEXT, encoding="utf-8")
    model = {
        "url": "file:/C:/Users/me/in.csv",
        "colDelimiter": ",",
        "rowDelimiter": "\n",
        "quote": '"',
        "commentStart": "#",
        "hasRowHeader": True,
        "hasColHeader": True,
        "supportShortLines": False,
        "limitRowsCount": -1,
        "skipFirstLinesCount": -1,
        "characterSetName": None,
        "limitAnalysisCount": -1,
    }
    node, report = imported(tmp_path, "org.knime.base.node.io.csvreader.CSVReaderNodeFactory", model)
    assert findings(report) == [] and node.settings["file"] == "${data_dir}/in.csv"
    df = read_imported(node, data)
    assert list(df.index) == ["r1", "r2"] and list(df.columns) == ["name", "value"]
    assert list(df["name"]) == ["a, b", "c"] and list(df["value"]) == [1.5, 2.0]
    node, report = imported(
        tmp_path, "org.knime.base.node.io.csvreader.CSVReaderNodeFactory", {**model, "commentStart": "//"}
    )
    assert any("more than one character" in m for m in findings(report))


def file_reader_model(**over: Any) -> dict[str, Any]:
    """A FileReaderNodeSettings as KNIME saves it for a comma-separated file with a header."""
    model: dict[str, Any] = {
        "DataURL": "file:/data/in.csv",
        "TableName": "in.csv",
        "hasColHdr": True,
        "hasRowHdr": True,
        "ignoreEmptyLines": True,
        "RowDelims": {"RDelim0": "\n", "RDelim1": "\r"},
        "MissingPatterns": {},
        "DecimalSeparator": ".",
        "ignEmtpyTokensAtEOR": False,
        "acceptShortLines": False,
        "uniquifyRowID": False,
        "Delimiters": {
            "Delim0": {
                "pattern": ",",
                "combineMultiple": False,
                "returnAsToken": False,
                "includeInToken": False,
            },
            "Delim1": {
                "pattern": "\n",
                "combineMultiple": False,
                "returnAsToken": True,
                "includeInToken": False,
            },
            "Delim2": {
                "pattern": "\r",
                "combineMultiple": False,
                "returnAsToken": True,
                "includeInToken": False,
            },
        },
        "Quotes": {"Quote0": {"left": '"', "right": '"', "EscChar": "\\", "DontRem": False}},
        "Comments": {},
        "WhiteSpaces": {"WhiteSpace0": " ", "WhiteSpace1": "\t"},
        "CombineMultDelims": False,
        "SkipFirstLines": 0,
        "NewLineInQuotes": False,
        "delimsAtEOLuserVal": False,
        "numOfColumns": 2,
        "ColumnProperties": {
            "0": {
                "UserSetValues": False,
                "MissValuePattern": None,
                "ReadPossValsFromFile": False,
                "SkipThisColumn": False,
                "ColumnName": "name",
                "ColumnClass": {"cell_class": "org.knime.core.data.def.StringCell", "is_null": False},
            },
            "1": {
                "UserSetValues": False,
                "MissValuePattern": None,
                "ReadPossValsFromFile": False,
                "SkipThisColumn": False,
                "ColumnName": "value",
                "ColumnClass": {"cell_class": "org.knime.core.data.def.DoubleCell", "is_null": False},
            },
        },
    }
    return {**model, **over}


def test_file_reader(tmp_path: Path) -> None:
    data = tmp_path / "in.csv"
    data.write_text(CSV_TEXT, encoding="utf-8")
    factory = "org.knime.base.node.io.filereader.FileReaderNodeFactory"
    node, report = imported(tmp_path, factory, file_reader_model())
    assert findings(report) == []
    df = read_imported(node, data)
    assert (
        list(df.index) == ["r1", "r2"]
        and list(df["name"]) == ["a, b", "c"]
        and list(df["value"]) == [1.5, 2.0]
    )
    # KNIME's default patterns knitflow's reader does not have: each one a finding
    defaults = file_reader_model(
        Quotes={
            "Quote0": {"left": '"', "right": '"', "EscChar": "\\"},
            "Quote1": {"left": "'", "right": "'", "EscChar": "\\"},
        },
        Comments={"Comment0": {"begin": "/*", "end": "*/"}, "Comment1": {"begin": "//", "end": "\n"}},
        WhiteSpaces={},
    )
    node, report = imported(tmp_path, factory, defaults)
    problems = " | ".join(findings(report))
    assert "further quote patterns" in problems and "comments" in problems and "blanks" in problems


# ------------------------------------------------------------------------------- legacy CSV Writer

LEGACY_CSV_WRITER = "org.knime.base.node.io.csvwriter.CSVWriterNodeFactory"


def legacy_writer_model(**over: Any) -> dict[str, Any]:
    """FileWriterNodeSettings as KNIME 3.8-4.1 saved them (keys of FileWriterSettings.saveSettingsTo)."""
    model = {
        "colSeparator": ",",
        "missing": "",
        "quoteBegin": '"',
        "quoteEnd": '"',
        "quoteMode": "STRINGS",
        "quoteReplacement": '""',
        "sepReplacePattern": "",
        "ReplSepInStrings": False,
        "writeColHeader": True,
        "writeRowHeader": True,
        "decimalSeparator": ".",
        "lineEndingMode": "LF",
        "charSet": "UTF-8",
        "scientificExtrema": False,
        "filename": "/tmp/out.csv",
        "fileOverwritePolicy": "Overwrite",
        "skipWriteColHeaderOnAppend": False,
        "commentBegin": "",
        "commentEnd": "",
        "addTime": False,
        "addUser": False,
        "addTablename": False,
        "userCommentLine": "",
        "gzip": False,
    }
    return {**model, **over}


def test_legacy_csv_writer_keys(tmp_path: Path) -> None:
    """The legacy translator read `writeRowID`, `charsetName` and `gzipCompression`, keys KNIME never
    wrote (FileWriterSettings: writeRowHeader, charSet; FileWriterNodeSettings: gzip), and always
    printed doubles as Double.toString although `scientificExtrema` false prints them plain."""
    node, report = imported(tmp_path, LEGACY_CSV_WRITER, legacy_writer_model())
    assert findings(report) == []
    out = tmp_path / "out.csv"
    frame = pd.DataFrame({"x": [1.0, 1e-5], "s": ['a"b', "c"]}, index=["r1", "r2"])
    run_node("csv_writer", {**node.settings, "file": str(out)}, frame)
    assert out.read_text(encoding="utf-8").splitlines() == [
        '"row ID","x","s"',
        '"r1",1,"a""b"',
        '"r2",.00001,"c"',
    ]
    node, report = imported(
        tmp_path, LEGACY_CSV_WRITER, legacy_writer_model(quoteReplacement="", addTime=True, gzip=True)
    )
    problems = " | ".join(findings(report))
    assert "quotes inside values" in problems and "comment header" in problems
    assert node.settings["compress_with_gzip"] is True


# --------------------------------------------------------------------- older Partitioning / Sampling


@pytest.mark.parametrize(
    ("factory", "node_type"),
    [
        ("org.knime.base.node.preproc.partition.PartitionNodeFactory", "table_partitioner"),
        ("org.knime.base.node.preproc.sample.SamplingNodeFactory", "row_sampler"),
    ],
)
@pytest.mark.parametrize(
    ("model", "mode"),
    [
        # KNIME 2.1-5.4: SamplingNodeSettings
        ({"method": "Absolute", "samplingMethod": "Linear", "count": 3, "fraction": 0.1}, "LINEAR"),
        # before 2.1: `random` / `stratified_sampling` instead of samplingMethod
        ({"method": "Absolute", "random": False, "count": 3, "fraction": 0.1}, "FIRST_ROWS"),
        ({"method": "Absolute", "random": True, "stratified_sampling": True, "count": 3}, "STRATIFIED"),
    ],
)
def test_older_partitioning_and_sampling(
    tmp_path: Path, factory: str, node_type: str, model: dict[str, Any], mode: str
) -> None:
    model = {**model, "random_seed": "5", "class_column": "name"}
    node, report = imported(tmp_path, factory, model)
    assert node.type == node_type and findings(report) == []
    assert node.settings["mode"] == mode and node.settings["row_count"] == 3 and node.settings["seed"] == 5
