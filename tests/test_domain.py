"""Domain Calculator: a pass-through that checks KNIME's column selections, warns where KNIME's
recomputed domains would differ from what knitflow's nodes take from the data, and its mapping."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError
from engine.core.testing import run_node

FACTORY = "org.knime.base.node.preproc.domain.dialog2.DomainNodeFactory"
DF = pd.DataFrame({"s": ["a", "b", "a", None], "x": [1.0, 2.0, 3.0, 4.0]})


def enforce_inclusion(*names: str) -> dict:
    return {"included_names": list(names), "enforce_option": "EnforceInclusion"}


def test_passes_the_table_through() -> None:
    table = run_node("domain_calculator", {}, DF)[1]
    assert table.df.equals(DF.set_axis([f"Row{i}" for i in range(4)])) and table.types == {
        "s": "String",
        "x": "Double",
    }


def test_included_columns_missing_from_the_input() -> None:
    with pytest.raises(ConfigureError) as caught:
        run_node("domain_calculator", {"colFilter_possVals": enforce_inclusion("s", "zz")}, DF)
    assert str(caught.value) == (
        'Input table does not contain the following column(s) selected in the possible value panel: "zz"'
    )
    # new HashSet<String>: "BB" and "Aa" (hashCode 2112, bucket 0, arrival order), "b" (98), "c" (99)
    with pytest.raises(ConfigureError, match='panel: "BB", "Aa", "b",  ... <1 more>$'):
        run_node("domain_calculator", {"colFilter_possVals": enforce_inclusion("c", "BB", "Aa", "b")}, DF)


def test_min_max_panel_is_checked_with_the_possible_value_filters_option() -> None:
    missing = {"colFilter_minMax": enforce_inclusion("x", "gone")}
    with pytest.raises(ConfigureError, match='Min/Max value panel: "gone"') as caught:
        run_node("domain_calculator", {**missing, "colFilter_possVals": enforce_inclusion("s")}, DF)
    assert caught.value.setting == "colFilter_minMax"
    # KNIME tests the possible-value filter's EnforceInclusion for both panels: no error here
    assert run_node("domain_calculator", missing, DF).warnings == []


def test_warns_where_the_possible_value_limit_makes_a_difference() -> None:
    assert run_node("domain_calculator", {"max_poss_values": 1}, DF).warnings == [
        "KNIME keeps no possible values for s (more than 1 distinct values); knitflow's nodes take them from the data"
    ]
    many = pd.DataFrame({"s": [f"v{i}" for i in range(61)], "t": ["a"] * 61})
    [warning] = run_node("domain_calculator", {"max_poss_values": -1}, many).warnings
    assert warning.startswith("KNIME keeps all possible values of s (more than 60)")
    assert run_node("domain_calculator", {"max_poss_values": 60}, many).warnings == []
    assert run_node("domain_calculator", {"max_poss_values": 61}, DF).warnings == []


def test_warns_when_unselected_domains_are_dropped() -> None:
    settings = {"colFilter_possVals": enforce_inclusion("s"), "possible_values_unselected_retain": False}
    assert run_node("domain_calculator", settings, DF).warnings == [
        "KNIME drops the possible values of x; knitflow's nodes take them from the data"
    ]
    everything = {"possible_values_unselected_retain": False, "min_max_unselected_retain": False}
    assert run_node("domain_calculator", everything, DF).warnings == []


def classic_filter(included: list[str], excluded: list[str], **pattern: object) -> dict:
    """A DataColumnSpecFilterConfiguration as the real Domain Calculators write it."""
    types = ["BooleanValue", "date.DateAndTimeValue", "DoubleValue", "IntValue", "LongValue", "StringValue"]
    return {
        "filter-type": "STANDARD",
        "included_names": included,
        "excluded_names": excluded,
        "enforce_option": "EnforceInclusion",
        "name_pattern": {"pattern": "", "type": "Wildcard", "caseSensitive": True, **pattern},
        "datatype": {"typelist": {f"org.knime.core.data.{t}": False for t in types}},
    }


def test_imports_the_real_layouts(tmp_path: Path) -> None:
    # 3.5 (Domain Calculator (#314)): no excludeMatching, no limit on possible values
    model = {
        "colFilter_possVals": classic_filter(["s"], ["x"]),
        "colFilter_minMax": classic_filter(["s"], ["x"]),
        "max_poss_values": -1,
        "possible_values_unselected_retain": True,
        "min_max_unselected_retain": True,
    }
    node, report, _ = import_fragment(tmp_path, FACTORY, model)
    assert node.type == "domain_calculator" and findings(report) == []
    assert node.settings["colFilter_possVals"]["included_names"] == ["s"]
    assert node.settings["max_poss_values"] == -1
    assert run_node("domain_calculator", node.settings, DF)[1].df["s"].tolist()[:2] == ["a", "b"]
    # 4.5 / 5.2 (Domain Calculator (#13), (#14)): excludeMatching, 60 possible values
    newer = {
        **model,
        "colFilter_possVals": classic_filter(["x"], ["s"], excludeMatching=False),
        "colFilter_minMax": classic_filter(["x", "s"], [], excludeMatching=False),
        "max_poss_values": 60,
    }
    node, report, _ = import_fragment(tmp_path, FACTORY, newer)
    assert findings(report) == [] and node.settings["colFilter_minMax"]["included_names"] == ["x", "s"]


def test_dropping_domains_is_a_finding(tmp_path: Path) -> None:
    model = {
        "colFilter_possVals": classic_filter(["s"], ["x"]),
        "colFilter_minMax": classic_filter(["x"], ["s"]),
        "max_poss_values": 60,
        "possible_values_unselected_retain": False,
        "min_max_unselected_retain": True,
    }
    _, report, _ = import_fragment(tmp_path, FACTORY, model)
    [finding] = findings(report)
    assert "possible_values_unselected_retain = false" in finding
