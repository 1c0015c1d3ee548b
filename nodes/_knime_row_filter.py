"""Every settings layout KNIME has written for its Row Filters, read into knitflow's Row Filter.

The web-UI Row Filter (`filter.row3.RowFilterNodeFactory`, KNIME 5.3 on) has had three layouts of
its filter criteria, and the classic Row Filter (`filter.row.RowFilterNodeFactory` and its
two-port variant, KNIME 1.x-5.2) a tree of filter objects (`RowFilterFactory`). A criterion that
cannot be read makes the whole node unreadable (the importer then keeps it as a placeholder): a
Row Filter that lost a condition would pass rows KNIME drops.
"""

from __future__ import annotations

import re
from typing import Any

from engine.api.knime import KnimeSettings, choice, column_selection, get, seq

OPERATORS = frozenset(
    {
        "EQ",
        "NEQ",
        "NEQ_MISS",
        "LT",
        "LTE",
        "GT",
        "GTE",
        "BETWEEN",
        "FIRST_N_ROWS",
        "LAST_N_ROWS",
        "REGEX",
        "WILDCARD",
        "IS_TRUE",
        "IS_FALSE",
        "IS_MISSING",
        "IS_NOT_MISSING",
    }
)
ROW_ID, ROW_NUMBER = "<ROW_ID>", "<ROW_NUMBER>"


class Unreadable(Exception):
    """A criterion this module cannot carry over exactly."""


# ------------------------------------------------------------------------------ web UI (row3)


def _criterion_column(p: dict[str, Any]) -> str | None:
    """5.5 on: `columnV2` (StringOrEnum: regularChoice or specialChoice ROW_ID / ROW_NUMBER);
    5.3-5.4: `column` (ColumnSelection: `selected`, with `<row-keys>` / `<row-numbers>`)."""
    if isinstance(p.get("columnV2"), dict):
        return choice(p["columnV2"])
    if isinstance(p.get("column"), dict):
        return column_selection(p["column"])
    return None


def _dynamic_values(p: dict[str, Any]) -> tuple[list[Any], str | None]:
    """`predicateValues` (DynamicValuesInput, 5.3-5.8): the values and their case matching
    (`stringCaseMatching.caseMatching` of a value, CASESENSITIVE or CASEINSENSITIVE)."""
    values, case = [], None
    for v in seq(get(p, "predicateValues.values")):
        if not isinstance(v, dict):
            raise Unreadable(f"predicate value {v!r} is not in a known layout")
        if "value" not in v:
            raise Unreadable("a predicate value is missing (KNIME: no value entered)")
        values.append(v["value"])
        case = get(v, "stringCaseMatching.caseMatching", case)
    return values, case


# FilterValueParameters (5.9 on): the keys KNIME's parameter classes persist
_CASE = {"CASE_SENSITIVE": "CASESENSITIVE", "CASE_INSENSITIVE": "CASEINSENSITIVE"}


def _filter_value_parameters(p: dict[str, Any], operator: str) -> tuple[list[Any], str | None]:
    params = p.get("filterValueParameters")
    if params is None:
        return [], None
    if not isinstance(params, dict):
        raise Unreadable(f"filter value parameters {params!r} are not in a known layout")
    known = {k: v for k, v in params.items() if not k.startswith("@") and not k.endswith("_Internals")}
    case = None
    if "caseSensitivity" in known:
        case = _CASE.get(str(known.pop("caseSensitivity")))
        if case is None:
            raise Unreadable(f"case sensitivity {params['caseSensitivity']!r} is not known")
    elif operator in ("REGEX", "WILDCARD"):
        case = "CASEINSENSITIVE"  # PatternFilterParameters' default
    for key in ("value", "pattern"):
        if key in known:
            value = known.pop(key)
            if known:
                raise Unreadable(f"filter value parameters {sorted(known)} are not supported")
            return [value], case
    if known:
        raise Unreadable(f"filter value parameters {sorted(known)} are not supported")
    return [], case


def _row3_predicate(p: dict[str, Any], i: int) -> dict[str, Any]:
    operator = str(p.get("operator") or "EQ")
    if operator not in OPERATORS:
        raise Unreadable(f"criterion {i}: operator {operator!r} is not supported")
    column = _criterion_column(p)
    if column is None:
        raise Unreadable(f"criterion {i}: no column (keys: {', '.join(p)})")
    if "filterValueParameters" in p:
        values, case = _filter_value_parameters(p, operator)
    else:
        values, case = _dynamic_values(p)
    pred: dict[str, Any] = {"column": column, "operator": operator}
    if operator == "BETWEEN":
        if len(values) != 2:
            raise Unreadable(f"criterion {i}: BETWEEN needs two values, KNIME holds {values!r}")
        pred["values"] = values
    elif operator not in ("IS_TRUE", "IS_FALSE", "IS_MISSING", "IS_NOT_MISSING"):
        if len(values) != 1:
            raise Unreadable(f"criterion {i}: operator {operator} needs one value, KNIME holds {values!r}")
        pred["value"] = values[0]
    if case is not None:
        if case not in ("CASESENSITIVE", "CASEINSENSITIVE"):
            raise Unreadable(f"criterion {i}: case matching {case!r} is not known")
        pred["caseMatching"] = case
    return pred


def row3_from_knime(knime: KnimeSettings) -> None:
    """`filter.row3` (all three layouts of its criteria)."""
    tree = knime.tree
    if "predicates" not in tree:
        knime.unreadable("Row Filter: no criteria in a known layout (no `predicates`)")
        return
    knime.take("matchCriteria")
    predicates = []
    try:
        for i, p in enumerate(seq(tree.get("predicates"))):
            if not isinstance(p, dict):
                raise Unreadable(f"criterion {i} is not in a known layout")
            predicates.append(_row3_predicate(p, i))
            knime.paths[f"predicates.{i}"] = f"predicates.{i}"
    except Unreadable as exc:
        knime.unreadable(f"Row Filter: {exc}")
        return
    knime.put("predicates", predicates, "predicates")
    knime.take_all(["outputMode", "domains"])
    knime.unread()


# --------------------------------------------------------------- the classic Row Filter (filter.row)

# a translated filter tree: (how its predicates combine, the predicates, whether it keeps matches)
Clause = tuple[str | None, list[Any], bool]


def _numeric_text(text: str) -> bool:
    return re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", text) is not None


def _data_cell(cfg: Any, where: str) -> Any:
    """A DataCell as KNIME's `Config.addDataCell` writes it: `datacell` names the class, a config
    of that name holds the value (`DoubleCell`, `IntCell`, ...); null: no bound."""
    if not isinstance(cfg, dict):
        return None
    cls = cfg.get("datacell")
    if cls is None:
        return None
    simple = str(cls).rsplit(".", 1)[-1]
    if simple not in ("DoubleCell", "IntCell", "LongCell", "StringCell", "BooleanCell"):
        raise Unreadable(f"{where}: a bound of type {cls} is not supported")
    holder = cfg.get(str(cls))  # keyed by the full class name (dots are part of the key)
    if not isinstance(holder, dict) or simple not in holder:
        raise Unreadable(f"{where}: the bound's {simple} value is missing")
    return holder[simple]


def _rowid_leaf(cfg: dict[str, Any]) -> Clause:
    pattern = str(cfg.get("RegExprRowFilterPattern") or "")
    if cfg.get("RegExprRowFilterStart"):
        pattern = f"(?:{pattern}).*"  # lookingAt(): the RowID starts with a match
    case = "CASESENSITIVE" if cfg.get("RegExprRowFilterCaseSense") else "CASEINSENSITIVE"
    pred: dict[str, Any] = {"column": ROW_ID, "operator": "REGEX", "value": pattern, "caseMatching": case}
    return None, [pred], bool(cfg.get("RegExprRowFilterInclude", True))


def _row_number_leaf(cfg: dict[str, Any]) -> Clause:
    start = int(cfg.get("RowRangeStartLong", cfg.get("RowRangeStart", 0)))
    end = int(cfg.get("RowRangeEndLong", cfg.get("RowRangeEnd", -1)))
    # KNIME counts rows from 0 and ends with -1 (end of table); knitflow's row numbers start at 1
    if end < 0:
        pred = {"column": ROW_NUMBER, "operator": "GTE", "value": start + 1}
    else:
        pred = {"column": ROW_NUMBER, "operator": "BETWEEN", "values": [start + 1, end + 1]}
    return None, [pred], bool(cfg.get("RowRangeInclude", True))


def _missing_predicate(cfg: dict[str, Any], column: str, where: str) -> dict[str, Any]:
    return {"column": column, "operator": "IS_MISSING"}


def _range_predicate(cfg: dict[str, Any], column: str, where: str) -> dict[str, Any]:
    low = _data_cell(cfg.get("lowerBound"), where)
    high = _data_cell(cfg.get("upperBound"), where)
    if low is None and high is None:
        raise Unreadable(f"{where}: a range without bounds")
    if low is not None and high is not None:
        return {"column": column, "operator": "BETWEEN", "values": [low, high]}
    if low is not None:
        return {"column": column, "operator": "GTE", "value": low}
    return {"column": column, "operator": "LTE", "value": high}


def _string_predicate(cfg: dict[str, Any], column: str, where: str) -> dict[str, Any]:
    pattern = str(cfg.get("Pattern") or "")
    case = "CASESENSITIVE" if cfg.get("CaseSensitive") else "CASEINSENSITIVE"
    if cfg.get("isRegExpr"):
        operator, value = "REGEX", pattern
    elif cfg.get("hasWildCards"):
        operator, value = "WILDCARD", pattern
    elif _numeric_text(pattern):
        # KNIME compares the cell's text ("5" never equals the double 5.0): a literal regex does
        # the same for integer columns and fails loudly on others, where EQ would compare numbers
        operator, value = "REGEX", re.escape(pattern)
    else:
        operator, value = "EQ", pattern
    return {"column": column, "operator": operator, "value": value, "caseMatching": case}


# classic filters on the row itself (no column), and on one column (`ColumnName`, `include`)
_ROW_LEAVES = {"RowID_RowFilter": _rowid_leaf, "RowNumber_RowFilter": _row_number_leaf}
_COLUMN_PREDICATES = {
    "MissingVal_RowFilter": _missing_predicate,
    "RangeVal_RowFilter": _range_predicate,
    "StringComp_RowFilter": _string_predicate,
}


def _leaf(cfg: dict[str, Any], kind: str, where: str) -> Clause:
    if kind in _ROW_LEAVES:
        return _ROW_LEAVES[kind](cfg)
    column = cfg.get("ColumnName")
    if not column:
        raise Unreadable(f"{where}: no column")
    include = bool(cfg.get("include", True))
    predicate = _COLUMN_PREDICATES.get(kind)
    if predicate is None:
        raise Unreadable(f"{where}: row filter type {kind!r} is not supported")
    return None, [predicate(cfg, column, where)], include


def _combine(op: str, a: Clause, b: Clause, where: str) -> Clause:
    """AND/OR of two translated filters, as one flat list where logic allows it (De Morgan for
    two excluding filters: not A and not B = not (A or B))."""
    other = "OR" if op == "AND" else "AND"
    for keep, joined in ((True, op), (False, other)):
        if a[2] == keep and b[2] == keep and a[0] in (None, joined) and b[0] in (None, joined):
            return joined, a[1] + b[1], keep
    raise Unreadable(f"{where}: this combination of including and excluding filters is not supported")


def _classic_clause(cfg: Any, where: str) -> Clause:
    if not isinstance(cfg, dict):
        raise Unreadable(f"{where}: no row filter")
    kind = str(cfg.get("RowFilter_TypeID") or "")
    if kind == "Inverter_RowFilter":
        op, preds, keep = _classic_clause(cfg.get("ConfigFilterIn"), where)
        return op, preds, not keep
    if kind in ("AND_RowFilter", "OR_RowFilter"):
        a = _classic_clause(cfg.get("ConfigFilter1"), where)
        b = _classic_clause(cfg.get("ConfigFilter2"), where)
        return _combine(kind.split("_")[0], a, b, where)
    if kind in ("Tauto_RowFilter", "Kontra_RowFilter"):
        return None, [], kind == "Tauto_RowFilter"
    if cfg.get("deepFiltering"):
        raise Unreadable(f"{where}: filtering the elements of collection cells is not supported")
    return _leaf(cfg, kind, where)


def classic_from_knime(knime: KnimeSettings) -> None:
    """`filter.row.RowFilterNodeFactory` / `RowFilter2PortNodeFactory`: the `rowFilter` tree."""
    try:
        op, preds, keep = _classic_clause(knime.tree.get("rowFilter"), "rowFilter")
    except Unreadable as exc:
        knime.unreadable(f"Row Filter: {exc}")
        return
    knime.put("matchCriteria", op or "AND", "rowFilter")
    knime.put("predicates", preds, "rowFilter")
    knime.put("outputMode", "MATCHING" if keep else "NON_MATCHING", "rowFilter")
