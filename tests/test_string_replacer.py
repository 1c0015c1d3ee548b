"""String Replacer: literal, wildcard and regex patterns, all occurrences or whole values, and
its KNIME mapping (5.x keys and the older patternIsRegex / findPattern)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError
from engine.core.testing import run_node

DF = pd.DataFrame({"phone": ["+49 (0)7531-12", "abc", None, "a*b"], "n": [1, 2, 3, 4]})
FACTORY = "org.knime.base.node.preproc.stringreplacer.StringReplacerNodeFactory"


def replaced(**settings: object) -> list[object]:
    out = run_node("string_replacer", {"colName": "phone", **settings}, DF)[1]
    column = settings.get("newColName", "phone") if settings.get("createNewCol") else "phone"
    return out.df[column].tolist()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"patternType": "REGEX", "pattern": "[^0-9]", "replacement": ""}, ["490753112", "", None, ""]),
        (
            {"patternType": "REGEX", "pattern": "(a)(b)", "replacement": "$2$1"},
            ["+49 (0)7531-12", "bac", None, "a*b"],
        ),
        (
            {"patternType": "LITERAL", "pattern": "*", "replacement": "$1"},
            ["+49 (0)7531-12", "abc", None, "a$1b"],
        ),
        (
            {"patternType": "WILDCARD", "pattern": "a?c", "replacement": "X"},
            ["+49 (0)7531-12", "X", None, "a*b"],
        ),
        (
            {"patternType": "WILDCARD", "pattern": "a\\*b", "enableEscaping": True, "replacement": "X"},
            ["+49 (0)7531-12", "abc", None, "X"],
        ),
        (
            {"patternType": "WILDCARD", "pattern": "A*", "replacement": "X", "caseSensitive": False},
            ["+49 (0)7531-12", "X", None, "X"],
        ),
        (
            {"patternType": "LITERAL", "pattern": "b", "replacement": "Y", "replaceAllOccurences": False},
            ["+49 (0)7531-12", "abc", None, "a*b"],
        ),
        (
            {"patternType": "LITERAL", "pattern": "abc", "replacement": "Y", "replaceAllOccurences": False},
            ["+49 (0)7531-12", "Y", None, "a*b"],
        ),
    ],
)
def test_string_replacer_patterns(settings: dict, expected: list[object]) -> None:
    assert replaced(**settings) == expected


def test_string_replacer_new_column_and_errors() -> None:
    out = run_node(
        "string_replacer",
        {"colName": "phone", "pattern": "a*", "replacement": "-", "createNewCol": True, "newColName": "p2"},
        DF,
    )[1]
    assert out.columns == ["phone", "n", "p2"] and out.df["phone"].tolist()[1] == "abc"
    with pytest.raises(ConfigureError, match="does not contain strings"):
        run_node("string_replacer", {"colName": "n", "pattern": "1"}, DF)
    with pytest.raises(ConfigureError, match="Invalid pattern"):
        run_node("string_replacer", {"colName": "phone", "patternType": "REGEX", "pattern": "(a"}, DF)


def test_string_replacer_imports_both_layouts(tmp_path: Path) -> None:
    model = {
        "colName": "phone",
        "patternType": "REGEX",
        "enableEscaping": False,
        "caseSensitive": True,
        "pattern": "[^0-9]",
        "replacement": "",
        "replaceAllOccurences": True,
        "createNewCol": False,
        "newColName": "ReplacedColumn",
        "useNewFixedWildcardBehavior": True,
    }
    node, report, _ = import_fragment(tmp_path, FACTORY, model)
    assert node.type == "string_replacer" and findings(report) == []
    assert run_node("string_replacer", node.settings, DF)[1].df["phone"].tolist()[0] == "490753112"
    older = {
        "colName": "phone",
        "pattern": "abc",
        "replacement": "Y",
        "findPattern": False,
        "caseSensitive": True,
        "patternIsRegex": False,
        "createNewCol": False,
        "newColName": "x",
        "enableEscaping": False,
    }
    node, report, _ = import_fragment(tmp_path, FACTORY, older)
    assert findings(report) == []
    assert node.settings["patternType"] == "WILDCARD" and node.settings["replaceAllOccurences"] is False
    unfixed = {**model, "patternType": "WILDCARD", "useNewFixedWildcardBehavior": False}
    _, report, _ = import_fragment(tmp_path, FACTORY, unfixed)
    assert any("useNewFixedWildcardBehavior" in f for f in findings(report))
