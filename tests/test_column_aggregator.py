"""Column Aggregator: row-wise aggregation checked against pandas' own row-wise methods, naming,
removed columns, the unique-values limit, mixed column types, and the KNIME mapping with the keys
of real settings.xml files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError
from engine.core.testing import run_node
from nodes.column_aggregator import java_unescaped

FACTORY = "org.knime.base.node.preproc.columnaggregator.ColumnAggregatorNodeFactory"
DF = pd.DataFrame(
    {
        "id": ["r1", "r2", "r3", "r4"],
        "a": [1.5, 2.0, np.nan, 4.0],
        "b": [3.0, np.nan, np.nan, -1.0],
        "c": [0.5, 7.0, np.nan, 2.25],
        "s": ["x", "y", None, "x"],
    }
)
NUMBERS: dict[str, object] = {"included_names": ["a", "b", "c"], "enforce_option": "EnforceInclusion"}


def aggregated(
    methods: list[dict[str, object]], columns: dict[str, object] = NUMBERS, **settings: object
) -> pd.DataFrame:
    out = run_node(
        "column_aggregator", {"aggregationColumns": columns, "aggregationMethods": methods, **settings}, DF
    )[1]
    return out.df


def test_numeric_methods_match_pandas_row_wise() -> None:
    ids = ["Sum_V2.5.2", "Mean", "Minimum", "Maximum", "Median_V3.4", "Range", "Count", "Missing value count"]
    out = aggregated([{"aggregationMethod": m} for m in ids])
    rows = DF[["a", "b", "c"]]
    expected = {
        "Sum": rows.sum(axis=1, min_count=1),
        "Mean": rows.mean(axis=1),
        "Min": rows.min(axis=1),
        "Max": rows.max(axis=1),
        "Median": rows.median(axis=1),
        "Range": rows.max(axis=1) - rows.min(axis=1),
        "Count": rows.notna().sum(axis=1),
        "Missing value count": rows.isna().sum(axis=1),
    }
    assert list(out.columns) == ["id", "a", "b", "c", "s", *expected]
    for name, values in expected.items():
        np.testing.assert_allclose(
            out[name].to_numpy(dtype=float), values.to_numpy(dtype=float), err_msg=name
        )
    dispersion = aggregated([{"aggregationMethod": "Standard deviation"}, {"aggregationMethod": "Variance"}])
    two_or_more = rows.notna().sum(axis=1) >= 2  # KNIME gives 0 for a single value, pandas NaN
    chosen = two_or_more.to_numpy()
    np.testing.assert_allclose(dispersion["Standard deviation"].to_numpy()[chosen], rows.std(axis=1)[chosen])
    np.testing.assert_allclose(dispersion["Variance"].to_numpy()[chosen], rows.var(axis=1)[chosen])


def test_collecting_methods_and_missing_cells() -> None:
    methods: list[dict[str, object]] = [
        {"aggregationMethod": "Concatenate", "inclMissingVals": True},
        {"aggregationMethod": "Concatenate", "resultColName": "present"},
        {"aggregationMethod": "List", "resultColName": "values"},
        {"aggregationMethod": "Unique count", "resultColName": "distinct"},
    ]
    out = aggregated(methods, valueDelimiter="|")
    assert out["Concatenate"].tolist() == ["1.5|3.0|0.5", "2.0|?|7.0", "?|?|?", "4.0|-1.0|2.25"]
    assert out["present"].tolist() == ["1.5|3.0|0.5", "2.0|7.0", None, "4.0|-1.0|2.25"]
    assert out["values"].tolist() == [(1.5, 3.0, 0.5), (2.0, 7.0), (), (4.0, -1.0, 2.25)]
    assert out["distinct"].tolist() == [3, 2, 0, 3]


def test_removed_columns_and_unique_limit() -> None:
    only_new = aggregated(
        [{"aggregationMethod": "Sum_V2.5.2", "resultColName": "total"}],
        removeAggregationColumns=True,
        removeRetainedColumns=True,
    )
    assert list(only_new.columns) == ["total"]
    retained = aggregated([{"aggregationMethod": "Count"}], removeAggregationColumns=True)
    assert list(retained.columns) == ["id", "s", "Count"]
    limited = aggregated([{"aggregationMethod": "Unique count"}], maxNoneNumericalVals=2)["Unique count"]
    assert limited.isna().tolist() == [True, False, False, True]  # three distinct values are too many
    assert limited.tolist()[1:3] == [2, 0]


def test_mixed_column_types() -> None:
    frame = pd.DataFrame({"i": [1, 2], "d": [0.5, 2.0], "s": ["p", "q"]})
    both = {"included_names": ["i", "d"], "enforce_option": "EnforceInclusion"}
    run = run_node(
        "column_aggregator",
        {
            "aggregationColumns": both,
            "aggregationMethods": [{"aggregationMethod": "Sum_V2.5.2"}, {"aggregationMethod": "Concatenate"}],
        },
        frame,
    )
    assert run[1].types["Sum"] == "Double" and run[1].df["Sum"].tolist() == [1.5, 4.0]
    assert run[1].df["Concatenate"].tolist() == ["1, 0.5", "2, 2.0"]  # each cell written as its own type
    everything = {"included_names": ["i", "s"], "enforce_option": "EnforceInclusion"}
    text = run_node(
        "column_aggregator",
        {"aggregationColumns": everything, "aggregationMethods": [{"aggregationMethod": "Concatenate"}]},
        frame,
    )
    assert text[1].df["Concatenate"].tolist() == ["1, p", "2, q"]
    with pytest.raises(ConfigureError, match="Mean needs numeric columns"):
        run_node(
            "column_aggregator",
            {"aggregationColumns": everything, "aggregationMethods": [{"aggregationMethod": "Mean"}]},
            frame,
        )


def test_configure_errors() -> None:
    with pytest.raises(ConfigureError, match="No aggregation method specified"):
        aggregated([])
    with pytest.raises(ConfigureError, match="No aggregated column"):
        aggregated(
            [{"aggregationMethod": "Count"}], {"included_names": [], "enforce_option": "EnforceInclusion"}
        )
    with pytest.raises(ConfigureError, match='Duplicate column name "Count" found at position 1 and 2'):
        aggregated([{"aggregationMethod": "Count"}, {"aggregationMethod": "Count"}])
    with pytest.raises(ConfigureError, match="Duplicate column name: id"):
        aggregated([{"aggregationMethod": "Count", "resultColName": "id"}])


def _filter(included: list[str], excluded: list[str]) -> dict[str, object]:
    types = ["StringValue", "BooleanValue", "IntValue", "DoubleValue", "LongValue", "date.DateAndTimeValue"]
    return {
        "filter-type": "STANDARD",
        "included_names": included,
        "excluded_names": excluded,
        "enforce_option": "EnforceExclusion",
        "name_pattern": {"pattern": "", "type": "Wildcard", "caseSensitive": True},
        "datatype": {"typelist": {f"org.knime.core.data.{t}": False for t in types}},
    }


def _model(**changes: object) -> dict[str, object]:
    """The keys of Noobzik/VDD_Project "Column Aggregator (#10)" (KNIME 4.1): Count of one column."""
    model: dict[str, object] = {
        "aggregationColumns_Internals": {"SettingsModelID": "SMID_columnfilter", "EnabledStatus": True},
        "aggregationColumns": _filter(["s"], ["id", "a", "b", "c"]),
        "removeAggregationColumns": False,
        "removeRetainedColumns": False,
        "maxNoneNumericalVals": 10000,
        "valueDelimiter": ", ",
        "aggregationMethods": {
            "resultColName": ["Count"],
            "aggregationMethod": ["Count"],
            "inclMissingVals": [False],
        },
        "nodeVersion": 1,
    }
    return {**model, **changes}


def test_imports_the_real_layouts(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, FACTORY, _model())
    assert node.type == "column_aggregator" and findings(report) == []
    out = run_node("column_aggregator", node.settings, DF)[1]
    assert out.columns == ["id", "a", "b", "c", "s", "Count"] and out.types["Count"] == "Integer"
    assert out.df["Count"].tolist() == [1, 1, 0, 1]
    # IssouProjects/FDD_MQV "Column Aggregator (#248)" (KNIME 3.5): nothing chosen yet
    empty = _model(
        aggregationColumns={**_filter([], []), "datatype": {"typelist": {}}},
        aggregationMethods={"resultColName": [], "aggregationMethod": [], "inclMissingVals": []},
    )
    node, report, _ = import_fragment(tmp_path, FACTORY, empty)
    assert findings(report) == [] and node.settings["aggregationMethods"] == []
    with pytest.raises(ConfigureError, match="No aggregation method specified"):
        run_node("column_aggregator", node.settings, DF)


def test_delimiter_escapes_and_unsupported_methods(tmp_path: Path) -> None:
    assert java_unescaped(r"\t|\u0041\101\\") == "\t|AA\\"
    node, report, _ = import_fragment(tmp_path, FACTORY, _model(valueDelimiter="\\t"))
    assert findings(report) == [] and node.settings["valueDelimiter"] == "\t"
    node, _, _ = import_fragment(tmp_path, FACTORY, _model(valueDelimiter="\\t", nodeVersion=0))
    assert node.settings["valueDelimiter"] == "\\t"  # before 2.10 KNIME used the text as typed
    quantile = {
        "resultColName": ["0.5-quantile"],
        "aggregationMethod": ["Quantile"],
        "inclMissingVals": [False],
        "Quantile_0.5-quantile": {"customQuantile": 0.5, "customEstimation": "LEGACY"},
    }
    _, report, _ = import_fragment(tmp_path, FACTORY, _model(aggregationMethods=quantile))
    messages = findings(report)
    assert any("'Quantile' is not supported" in m for m in messages)
    assert any("Quantile_0.5-quantile" in m for m in messages)
