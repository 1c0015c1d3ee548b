"""Every KNIME factory the column, String Manipulation and Date&Time nodes map has a settings
fragment in KNIME's layout here: it imports without a finding and fits the node's settings model
(tests/test_knime_import.py counts these factories as fragment-tested)."""

from __future__ import annotations

from typing import Any

import pytest
from knime_fragment import import_node

from engine.core.registry import registry

COLUMN_NODE_MODULES = {
    "nodes.groupby",
    "nodes.columns",
    "nodes.column_appender",
    "nodes.conversion",
    "nodes.auto_type_cast",
    "nodes.collection_columns",
    "nodes.cell_splitter",
    "nodes.column_header",
    "nodes.lookup",
    "nodes.string_manipulation",
    "nodes.date_time",
}


def _filter(*included: str) -> dict[str, Any]:
    """A DataColumnSpecFilterConfiguration as KNIME saves it."""
    return {
        "filter-type": "STANDARD",
        "included_names": list(included),
        "excluded_names": [],
        "enforce_option": "EnforceInclusion",
        "name_pattern": {"pattern": "", "type": "Wildcard", "caseSensitive": True},
    }


def _string_filter(*included: str) -> dict[str, Any]:
    """A SettingsModelFilterString (InclList/ExclList)."""
    return {"InclList": list(included), "ExclList": [], "keep_all_columns_selected": False}


P = "org.knime.base.node.preproc."
FRAGMENTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # factory: (KNIME settings, expected knitflow settings (a subset))
    P + "groupby.GroupByNodeFactory": (
        {
            "grouByColumns": _string_filter("g"),
            "aggregationColumn": {
                "columnNames": ["v"],
                "aggregationMethod": ["Mean"],
                "inclMissingVals": [False],
            },
            "columnNamePolicy": "Keep original name(s)",
            "maxNoneNumericalVals": 10000,
            "valueDelimiter": ", ",
            "retainOrder": True,
            "inMemory": False,
            "enableHilite": False,
        },
        {"groupByColumns": ["g"], "retainOrder": True, "columnNamePolicy": "Keep original name(s)"},
    ),
    P + "columnappend2.ColumnAppender2NodeFactory": (
        {"selected_rowid_mode": "GENERATE", "selected_rowid_table": -1, "selected_rowid_table_number": 1},
        {"selected_rowid_mode": "GENERATE"},
    ),
    P + "columnappend.ColumnAppenderNodeFactory": (
        {"selected_rowid_mode": "Use row keys from one of the input tables", "selected_rowid_table": 1},
        {"selected_rowid_mode": "KEY_TABLE", "selected_rowid_table_number": 2},
    ),
    P + "rename.RenameNodeFactory": (
        {"all_columns": {"0": {"old_column_name": "a", "new_column_name": "b", "new_column_type": 0}}},
        {"all_columns": [{"old_column_name": "a", "new_column_name": "b"}]},
    ),
    P + "column.renamer.ColumnRenamerNodeFactory": (
        {"renamings": {"0": {"oldName": "a", "newName": "b"}}},
        {"renamings": [{"oldName": "a", "newName": "b"}]},
    ),
    P + "columnresorter.ColumnResorterNodeFactory": (
        {"ColumnOrder": ["b", "<any unknown new column>", "a"]},
        {"ColumnOrder": ["b", "<any unknown new column>", "a"]},
    ),
    P + "constantvalue.ConstantValueColumnNodeFactory2": (
        {
            "newColumnSettings": {
                "0": {
                    "replaceOrAppend": "APPEND",
                    "columnNameToAppend": "c",
                    "columnNameToReplace": "a",
                    "type": {"cell_class": "org.knime.core.data.def.IntCell"},
                    "customOrMissingValue": "CUSTOM",
                    "value": "3",
                }
            }
        },
        {
            "newColumnSettings": [
                {
                    "replaceOrAppend": "APPEND",
                    "columnNameToAppend": "c",
                    "columnNameToReplace": "a",
                    "type": "Integer",
                    "customOrMissingValue": "CUSTOM",
                    "value": "3",
                }
            ]
        },
    ),
    P + "constantvalue.ConstantValueColumnNodeFactory": (
        {
            "replaced-column": "a",
            "new-column-name": None,
            "column-type": "STRING",
            "column-value": "x",
            "date-format": "dd.MM.yyyy",
        },
        {
            "newColumnSettings": [
                {
                    "replaceOrAppend": "REPLACE",
                    "columnNameToAppend": "New column",
                    "columnNameToReplace": "a",
                    "type": "String",
                    "customOrMissingValue": "CUSTOM",
                    "value": "x",
                }
            ]
        },
    ),
    P + "filter.missingvaluecolfilter.MissingValueColumnFilterNodeFactory": (
        {"column-filter": _filter("a"), "missing_value_percentage": 50.0},
        {"missing_value_percentage": 50.0},
    ),
    P + "colconvert.stringtonumber2.StringToNumber2NodeFactory": (
        {
            "include": _filter("s"),
            "decimal_separator": ",",
            "thousands_separator": ".",
            "parse_type": {"cell_class": "org.knime.core.data.def.IntCell"},
            "generic_parse": False,
        },
        {"parse_type": "Integer", "decimal_separator": ","},
    ),
    P + "colconvert.stringtonumber.StringToNumberNodeFactory": (
        {
            "include": _string_filter("s"),
            "decimal_separator": ".",
            "thousands_separator": "",
            "parse_type": {"cell_class": "org.knime.core.data.def.DoubleCell"},
        },
        {"parse_type": "Double"},
    ),
    P + "colconvert.numbertostring2.NumberToString2NodeFactory": ({"include": _filter("n")}, {}),
    P + "colcombine2.ColCombine2NodeFactory": (
        {
            "column-filter": {**_filter("a", "b"), "enforce_option": "EnforceExclusion"},
            "delimiter": "-",
            "is_quoting": False,
            "replace_delimiter": "",
            "new_column_name": "ab",
            "remove_included_columns": False,
        },
        {"delimiter": "-", "new_column_name": "ab", "is_quoting": False, "replace_delimiter": ""},
    ),
    P + "regexsplit.RegexSplitNodeFactory": (
        {
            "column": "s",
            "pattern": "([0-9]+)-(.*)",
            "isUnixLines": False,
            "isCaseInsensitive": False,
            "isComments": False,
            "isMultiLine": False,
            "isLiteral": False,
            "isDotAll": False,
            "isUniCodeCase": False,
            "isCanonEQ": False,
        },
        {"column": "s", "pattern": "([0-9]+)-(.*)"},
    ),
    P + "stringmanipulation.variable.StringManipulationVariableNodeFactory": (
        {
            "expression": 'join("a", $${Sname}$$)',
            "replaced_column": "url",
            "append_column": False,
            "test_compilation_on_dialog_close": True,
            "insert_missing_as_null": False,
            "return_type": "java.lang.String",
        },
        {"expression": 'join("a", $${Sname}$$)'},
    ),
    P + "double2int2.DoubleToIntNodeFactory": (
        {"include": _filter("d"), "typeofround": "floor", "long": True},
        {"typeofround": "floor", "long": True},
    ),
    P + "colconvert.numbertostring.NumberToStringNodeFactory": (
        {"include": _string_filter("n")},
        {"include": {"included_names": ["n"], "enforce_option": "EnforceInclusion"}},
    ),
    P + "rounddouble.RoundDoubleNodeFactory": (
        {
            "StringColNames": _filter("x"),
            "PrecisionNumer": 2,
            "AppendColumns": False,
            "ColumnSuffix": " (Rounded)",
            "RoundingMode": "HALF_EVEN",
            "OutputType": "Plain String (no exponent)",
            "NumberMode": "Significant figures",
        },
        {"PrecisionNumer": 2, "RoundingMode": "HALF_EVEN", "NumberMode": "Significant figures"},
    ),
    P + "colautotypecast.ColumnAutoTypeCasterNodeFactory": (
        {
            "column-filter": _filter("s"),
            "dateFormat": "dd.MM.yy",
            "missingValuePattern": "<none>",
            "doAQuickScan": False,
            "numberOfRowsForQuickScan": 1000,
        },
        {"dateFormat": "dd.MM.yy"},
    ),
    P + "cellsplit.CellSplitterNodeFactory": (
        {
            "colName": "s",
            "delimiter": ",",
            "quotePattern": '"',
            "removeQuotes": True,
            "numberOfCols": 2,
            "guessNumOfCols": False,
            "useEmptyString": True,
        },
        {"numberOfCols": 2, "guessNumOfCols": False},
    ),
    P + "cellsplit2.CellSplitter2NodeFactory": (
        {
            "colName": "s",
            "delimiter": ";",
            "quotePattern": None,
            "removeQuotes": False,
            "numberOfCols": 1,
            "guessNumOfCols": True,
            "useEmptyString": False,
            "useEscapeCharacter": False,
            "outputAsList": True,
            "outputAsSet": False,
            "outputAsColumns": False,
            "removeWhitespaces": True,
            "splitColumnNames": False,
            "hasScanLimit": True,
            "scanLimit": 50,
            "removeInputColumn": False,
        },
        {"outputAsList": True},
    ),
    "org.knime.base.collection.list.create2.CollectionCreate2NodeFactory": (
        {
            "includes": _filter("a", "b"),
            "createSet": True,
            "removeCols": False,
            "newColName": "AggregatedValues",
            "ignoreMissingValue": True,
        },
        {"createSet": True, "ignoreMissingValue": True},
    ),
    "org.knime.base.collection.list.split.CollectionSplitNodeFactory": (
        {
            "collectionColName": "l",
            "replaceInputColumn": False,
            "determineMostSpecificDataType": True,
            "countElementsPolicy": "Count",
        },
        {"collectionColName": "l", "countElementsPolicy": "Count"},
    ),
    P + "ungroup.UngroupNodeFactory": (
        {
            "removeCollectionCol": True,
            "skipMissingValues": False,
            "enableHilite": False,
            "columnNames": _filter("l"),
            "skipEmptyCollections": True,
        },
        {"skipEmptyCollections": True},
    ),
    P + "columntrans2.One2ManyCol2NodeFactory": (
        {"columns2Btransformed": _filter("c"), "removeSources": True},
        {"removeSources": True},
    ),
    P + "columntrans.One2ManyColNodeFactory": (
        {"columns2Btransformed": _string_filter("c"), "removeSources": False},
        {"columns2Btransformed": {"included_names": ["c"], "enforce_option": "EnforceInclusion"}},
    ),
    P + "rowtocolumnheader.RowToColumnHeaderNodeFactory": (
        {"headerRowIndex": 2, "discardBefore": True, "detectTypes": True},
        {"headerRowIndex": 2, "discardBefore": True, "detectTypes": True},
    ),
    P + "columnheaderextract.ColumnHeaderExtractorNodeFactory": (
        {
            "replaceColHeader": False,
            "unifyHeaderPrefix": "Column ",
            "coltype": "String",
            "transposeColHeader": True,
            "use_one_based_indexing_Internals": True,
        },
        {"use_one_based_indexing": True, "coltype": "String", "transposeColHeader": True},
    ),
    P + "columnheaderinsert.ColumnHeaderInsertNodeFactory": (
        {"lookupColumn": None, "valueColumn": "new", "failIfNoMatch": False},
        {"lookupColumn": "<RowID>", "valueColumn": "new", "failIfNoMatch": False},
    ),
    P + "valuelookup.ValueLookupNodeFactory": (
        {
            "lookupCol": "k",
            "dictKeyCol": "key",
            "searchDirection": "BACKWARD",
            "matchBehaviour": "EQUALORSMALLER",
            "stringMatchBehaviour": "FULLSTRING",
            "caseSensitive": True,
            "dictValueCols": {
                "mode": "MANUAL",
                "manualFilter": {
                    "manuallySelected": ["v"],
                    "manuallyDeselected": [],
                    "includeUnknownColumns": False,
                },
            },
            "createFoundCol": True,
            "deleteLookupCol": True,
        },
        {"lookupColumnOutput": "REMOVE", "searchDirection": "BACKWARD", "matchBehaviour": "EQUALORSMALLER"},
    ),
    "org.knime.testing.internal.nodes.differ.DifferenceCheckerNodeFactory": (
        {
            "columnConfig_a": {
                "checkerFactory": "org.knime.testing.internal.diffcheckers.IgnoreChecker$Factory"
            }
        },
        {"columns": [{"column": "a", "checker": "ignore"}]},
    ),
    "org.knime.testing.node.differNode.DifferNodeFactory": ({}, {"columns": []}),
    P + "stringmanipulation.StringManipulationNodeFactory": (
        {
            "expression": "upperCase($a$)",
            "replaced_column": "a",
            "append_column": True,
            "test_compilation_on_dialog_close": True,
            "insert_missing_as_null": True,
            "return_type": "java.lang.String",
        },
        {"append_column": True, "insert_missing_as_null": True},
    ),
    P + "stringmanipulation.multicolumn.MultiColumnStringManipulationNodeFactory": (
        {
            "column_selection": _filter("a"),
            "EXPRESSION": "strip($$CURRENTCOLUMN$$)",
            "APPEND_OR_REPLACE": "APPEND_COLUMNS",
            "APPEND_COLUMN_SUFFIX": "_t",
            "Abort execution on evaluation errors": False,
            "Insert missing values as null": False,
        },
        {"APPEND_COLUMN_SUFFIX": "_t", "abort_execution_on_evaluation_errors": False},
    ),
    "org.knime.time.node.calculate.datetimedifference.DateTimeDifferenceNodeFactory": (
        {
            "col_select1": "d1",
            "col_select2": "d2",
            "modus": "Use2ndColumn",
            "fixed_date_time": "2020-01-01T00:00:00",
            "output": "Granularity",
            "granularity": "Hours",
            "new_col_name": "hours",
        },
        {"granularity": "Hours", "col_select2": "d2"},
    ),
    "org.knime.time.node.convert.stringtodatetime.StringToDateTimeNodeFactory": (
        {
            "col_select": _filter("d"),
            "replace_or_append": "Append selected columns",
            "suffix": " (date)",
            "date_format": "yyyy-MM-dd",
            "locale": "de-DE",
            "cancel_on_fail": False,
            "typeEnum": "LOCAL_DATE",
        },
        {"typeEnum": "LOCAL_DATE", "suffix": " (date)"},
    ),
    "org.knime.time.node.convert.datetimetostring.DateTimeToStringNodeFactory": (
        {
            "col_select": _filter("d"),
            "replace_or_append": "Append selected columns",
            "suffix": " (text)",
            "date_format": "dd.MM.yyyy",
            "locale": "de-DE",
        },
        {"date_format": "dd.MM.yyyy", "suffix": " (text)"},
    ),
    "org.knime.time.node.extract.datetime.ExtractDateTimeFieldsNodeFactory": (
        {
            "col_select": "d",
            "Year": True,
            "Year (week-based)": False,
            "Quarter": False,
            "Month (number)": True,
            "Month (name)": False,
            "Week": True,
            "Day of year": False,
            "Day of month": False,
            "Day of week (number)": False,
            "Day of week (name)": False,
            "Hour": False,
            "Minute": False,
            "Second": False,
            "Subsecond in": False,
            "subsecond_units": "milliseconds",
            "Time zone name": False,
            "Time zone offset": False,
            "locale": "en-US",
        },
        {"Year": True, "month_number": True, "Week": True, "locale": "en-US"},
    ),
    "org.knime.time.node.manipulate.datetimeshift.DateTimeShiftNodeFactory": (
        {
            "col_select": _filter("d"),
            "replace_or_append": "Replace selected columns",
            "suffix": "(shifted)",
            "period_selection": "Value",
            "period_selection_Internals": {"SettingsModelID": "SMID_string", "EnabledStatus": True},
            "period_col_select": "",
            "period_value": "1M",
            "numerical_selection": "Column",
            "numerical_col_select": "",
            "numerical_value": 1,
            "numerical_granularity": "Days",
        },
        {"use_duration": True, "period_value": "1M", "period_selection": "Value"},
    ),
    "org.knime.time.node.create.createdatetime.CreateDateTimeNodeFactory": (
        {
            "column_name": "Date&Time",
            "rownr_option_selection": "Variable",
            "nr_rows": 1000,
            "start": "2024-01-01T00:00:00",
            "duration_or_end": "End",
            "duration": "1H",
            "end": "2024-01-02T00:00:00",
            "start_use_exec_time": False,
            "end_use_exec_time": False,
            "type": "LOCAL_DATE_TIME",
        },
        {"rownr_option_selection": "Variable", "duration": "1H", "type": "LOCAL_DATE_TIME"},
    ),
    "org.knime.time.node.manipulate.modifytime.ModifyTimeNodeFactory": (
        {
            "col_select": _filter("d"),
            "replace_or_append": "Replace selected columns",
            "suffix": "(modified time)",
            "time": "08:30:00",
            "time_zone": None,
            "modify_select": "Append time",
        },
        {"modify_select": "Append time", "time": "08:30:00"},
    ),
    "org.knime.time.node.manipulate.modifydate.ModifyDateNodeFactory": (
        {
            "col_select": _filter("d"),
            "replace_or_append": "Replace selected columns",
            "suffix": "(modified date)",
            "date": "2024-01-01",
            "time_zone": "Europe/Berlin",
            "modify_select": "Remove date",
        },
        {"modify_select": "Remove date", "date": "2024-01-01"},
    ),
    P + "colconvert.categorytonumber2.CategoryToNumberNodeFactory2": (
        {
            "column-filter": _filter("a"),
            "append_columns": True,
            "column_suffix": " (n)",
            "start_index": 1,
            "increment": 2,
            "max_categories": 50,
            "map_missing_to": {"datacell": "org.knime.core.data.MissingCell"},
        },
        {"column_suffix": " (n)", "start_index": 1, "increment": 2},
    ),
    P + "columnrenameregex.ColumnRenameRegexNodeFactory": (
        {"searchString": "a(.)", "replaceString": "b$1", "isCaseInsensitive": True, "isLiteral": False},
        {"searchString": "a(.)", "isCaseInsensitive": True},
    ),
}


def test_every_column_node_factory_has_a_fragment() -> None:
    factories = {
        m.factory for c in registry.all().values() if c.__module__ in COLUMN_NODE_MODULES for m in c.knime
    }
    assert factories == set(FRAGMENTS)


@pytest.mark.parametrize("factory", sorted(FRAGMENTS))
def test_fragment_imports_without_finding(tmp_path, factory: str) -> None:
    model, expected = FRAGMENTS[factory]
    _, settings, found = import_node(tmp_path, factory, model)
    assert found == []
    for key, value in expected.items():
        assert settings[key] == value, key
