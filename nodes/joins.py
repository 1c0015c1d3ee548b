"""Joiner with KNIME's column naming and RowID rules (Concatenate: nodes/concatenate.py).

The Joiner follows KNIME's `Joiner3NodeModel` / `org.knime.core.data.join.JoinSpecification`: match
all (conjunctive) or any (disjunctive) column pairs, inner/left/right/full outer and anti joins by
three include flags, a right column whose name clashes gets the custom suffix (or " (#1)") appended
until unique, RowIDs `left_right` (`?_right` / `left_?` for unmatched rows), a row with a missing
value in a join column matches nothing ("like in SQL, NULL != NULL"), and the optional split into
matches / left unmatched / right unmatched ports. The legacy Joiner (`Joiner2NodeFactory`) and the
4.2 layout (`joinMode`, `assignNewRowKeys`) translate onto the same settings.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnSpec,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._common import ColumnFilter
from nodes._rows import ROW_ID, cell_text, coerce, is_missing, is_row_id, take

# ========================================================================================== Joiner


class MatchingCriterion(NodeSettings):
    leftTableColumn: str = Field(  # noqa: N815 (KNIME's key)
        ROW_ID, title="Top input ('left' table)", description="Join column of the top input, or <RowID>."
    )
    rightTableColumn: str = Field(  # noqa: N815
        ROW_ID,
        title="Bottom input ('right' table)",
        description="Join column of the bottom input, or <RowID>.",
    )


class JoinerSettings(NodeSettings):
    compositionMode: Literal["MATCH_ALL", "MATCH_ANY"] = Field(  # noqa: N815
        "MATCH_ALL",
        title="Match",
        description="MATCH_ALL: two rows join when every criterion holds; MATCH_ANY: when at least one does.",
    )
    matchingCriteria: list[MatchingCriterion] = Field(  # noqa: N815
        default_factory=lambda: [MatchingCriterion()],
        title="Join columns",
        description="Column pairs whose values must be equal: `[{leftTableColumn: id, rightTableColumn: key}]`; "
        "<RowID> compares RowIDs (as strings).",
    )
    dataCellComparisonMode: Literal["STRICT", "STRING", "NUMERIC"] = Field(  # noqa: N815
        "STRICT",
        title="Compare values in join columns by",
        description="STRICT: same type and value; STRING: equal text; NUMERIC: Integer and Long values compare "
        "as numbers.",
    )
    includeMatchesInOutput: bool = Field(True, title="Matching rows", description="Output the joined rows.")  # noqa: N815
    includeLeftUnmatchedInOutput: bool = Field(  # noqa: N815
        False, title="Left unmatched rows", description="Output left rows without partner (left outer join)."
    )
    includeRightUnmatchedInOutput: bool = Field(  # noqa: N815
        False,
        title="Right unmatched rows",
        description="Output right rows without partner (right outer join).",
    )
    leftColumnSelectionConfig: ColumnFilter = Field(  # noqa: N815
        default_factory=ColumnFilter, title="Top input columns", description="Left columns in the output."
    )
    rightColumnSelectionConfig: ColumnFilter = Field(  # noqa: N815
        default_factory=ColumnFilter, title="Bottom input columns", description="Right columns in the output."
    )
    mergeJoinColumns: bool = Field(  # noqa: N815
        False,
        title="Merge join columns",
        description="Merge each right join column into its left partner (named `left=right` when the names "
        "differ); right join columns are then not output.",
    )
    duplicateHandling: Literal["APPEND_SUFFIX", "APPEND_SUFFIX_AUTOMATIC", "DO_NOT_EXECUTE", "FILTER"] = (
        Field(  # noqa: N815
            "APPEND_SUFFIX",
            title="If there are duplicate column names",
            description="APPEND_SUFFIX: append `suffix` to a clashing right column (until unique); "
            "APPEND_SUFFIX_AUTOMATIC: append ' (#1)'; DO_NOT_EXECUTE: fail; FILTER (legacy Joiner): drop the "
            "clashing right column.",
        )
    )
    suffix: str = Field(
        " (Right)", title="Custom suffix", description="Suffix for clashing right column names."
    )
    outputUnmatchedRowsToSeparatePorts: bool = Field(  # noqa: N815
        False,
        title="Split join result into multiple tables",
        description="Matches on the first port, left unmatched rows on the second, right unmatched on the third "
        "(unmatched rows keep their RowIDs there).",
    )
    rowKeyFactory: Literal["CONCATENATE", "SEQUENTIAL", "KEEP_ROWID"] = Field(  # noqa: N815
        "CONCATENATE",
        title="RowIDs",
        description="CONCATENATE: left + separator + right (`?` for the absent side); SEQUENTIAL: Row0, Row1, ...; "
        "KEEP_ROWID: keep the RowIDs (needs a RowID = RowID criterion).",
    )
    rowKeySeparator: str = Field("_", title="Separator", description="Separator of concatenated RowIDs.")  # noqa: N815
    outputRowOrder: Literal["ARBITRARY", "LEFT_RIGHT"] = Field(  # noqa: N815
        "ARBITRARY",
        title="Row order",
        description="knitflow always outputs matches, then left unmatched, then right unmatched rows, each "
        "block by left then right row position (KNIME's LEFT_RIGHT, a valid ARBITRARY order).",
    )


def _col_type(spec: TableSpec, name: str) -> str:
    return ColumnType.STRING if is_row_id(name) and name not in spec else spec.type_of(name)


class _Layout:
    """Output columns of a join (`JoinSpecification.specForMatchTable`/`specForUnmatched`)."""

    def __init__(self, left: TableSpec, right: TableSpec, s: JoinerSettings, error: type[NodeError]) -> None:
        self.left_spec, self.right_spec = left, right
        self.s, self.error = s, error
        self.left_keys = [c.leftTableColumn for c in s.matchingCriteria]
        self.right_keys = [c.rightTableColumn for c in s.matchingCriteria]
        for side, spec, keys in (("left", left, self.left_keys), ("right", right, self.right_keys)):
            for i, k in enumerate(keys):
                if not is_row_id(k) and k not in spec:
                    raise error(
                        f"join column {k!r} not found in the {side} table (columns: {', '.join(spec.names)})",
                        setting=f"matchingCriteria.{i}.{side}TableColumn",
                    )
        self.left_include = s.leftColumnSelectionConfig.apply(left)
        self.right_include = s.rightColumnSelectionConfig.apply(right)
        if s.duplicateHandling == "APPEND_SUFFIX" and not s.suffix.strip():
            raise error("No suffix for duplicate columns provided", setting="suffix")
        self.suffix = " (#1)" if s.duplicateHandling == "APPEND_SUFFIX_AUTOMATIC" else s.suffix
        self.merge = s.mergeJoinColumns
        # (output name, type, left column or None, right column or None, merged right partners)
        self.columns: list[tuple[str, str, str | None, str | None, list[str]]] = []
        self.taken: set[str] = set()
        if self.merge:
            self._merged_left_columns()
            right_join = {r for r in self.right_keys if not is_row_id(r)}
            self._right_columns([n for n in self.right_include if n not in right_join])
        else:
            for n in self.left_include:
                self.taken.add(n)
                self.columns.append((n, left.type_of(n), n, None, []))
            self._right_columns(self.right_include)

    def _unique(self, name: str) -> str:
        """A clashing name gets the suffix until it is unique (or fails, if so set)."""
        if name in self.taken and self.s.duplicateHandling == "DO_NOT_EXECUTE":
            raise self.error(f"duplicate column name {name!r} in the output", setting="duplicateHandling")
        while name in self.taken:
            longer = (name + self.suffix).strip()
            name = name + name if longer == name else longer
        return name

    def _right_columns(self, names: list[str]) -> None:
        for n in names:
            if n in self.taken and self.s.duplicateHandling == "FILTER":
                continue
            out = self._unique(n)
            self.taken.add(out)
            self.columns.append((out, self.right_spec.type_of(n), None, n, []))

    def _merged_left_columns(self) -> None:
        """Left columns in table order; a join column merged with its right partners is named
        `left=right` unless the names agree."""
        right_included = set(self.right_include)
        for col in self.left_spec.columns:
            partners = [
                r
                for lk, r in zip(self.left_keys, self.right_keys, strict=True)
                if lk == col.name and not is_row_id(r)
            ]
            direct = col.name in self.left_include
            via_merge = bool(partners) and any(p in right_included for p in partners)
            if not (direct or via_merge):
                continue
            if not partners or col.name in partners:
                name = col.name
            else:
                name = self._unique(col.name + "=" + "=".join(partners))
            self.taken.add(name)
            self.columns.append((name, col.type, col.name, None, partners))

    def match_spec(self) -> TableSpec:
        return TableSpec(tuple(ColumnSpec(n, t) for n, t, _, _, _ in self.columns))

    def unmatched_spec(self, side: str) -> TableSpec:
        spec = self.left_spec if side == "left" else self.right_spec
        return spec.select(self.left_include if side == "left" else self.right_include)


def _key_values(table: Table, name: str, mode: str) -> list[Any]:
    """Comparable join values of one column (None: missing). STRICT keeps the type with the value,
    NUMERIC lets Integer and Long meet, STRING compares KNIME's text of the cell."""
    if is_row_id(name) and name not in table.types:
        ids = table.row_ids
        return [("S", r) for r in ids] if mode != "STRING" else list(ids)
    col_type = table.types[name]
    values = table.df[name].to_numpy(dtype=object)
    if mode == "STRING":
        return [cell_text(v) for v in values]
    tag = col_type
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        tag = "I" if mode == "NUMERIC" else col_type
        return [None if is_missing(v) else (tag, int(v)) for v in values]
    if col_type == ColumnType.DOUBLE:
        return [None if is_missing(v) else (tag, float(v)) for v in values]
    if col_type in (ColumnType.STRING, ColumnType.SMILES):
        tag = "S" if col_type == ColumnType.STRING else col_type
    return [
        None if is_missing(v) else (tag, v if isinstance(v, str | bool | int | float) else str(v))
        for v in values
    ]


def _match(left: Table, right: Table, s: JoinerSettings, layout: _Layout) -> list[tuple[int, int]]:
    """(left position, right position) of every matching pair, ordered by left then right row."""
    mode = s.dataCellComparisonMode
    lk = [_key_values(left, k, mode) for k in layout.left_keys]
    rk = [_key_values(right, k, mode) for k in layout.right_keys]
    n_left, n_right = len(left), len(right)
    # JoinTuple.get: a row with a missing value in any join column matches nothing
    left_ok = [all(col[i] is not None for col in lk) for i in range(n_left)]
    right_ok = [all(col[j] is not None for col in rk) for j in range(n_right)]
    if s.compositionMode == "MATCH_ALL":
        return _match_all(lk, rk, left_ok, right_ok)
    return _match_any(lk, rk, left_ok, right_ok)


def _match_all(
    lk: list[list[Any]], rk: list[list[Any]], left_ok: list[bool], right_ok: list[bool]
) -> list[tuple[int, int]]:
    """Pairs equal in every join column."""
    index: dict[tuple[Any, ...], list[int]] = {}
    for j in range(len(right_ok)):
        if right_ok[j]:
            index.setdefault(tuple(col[j] for col in rk), []).append(j)
    pairs: list[tuple[int, int]] = []
    for i in range(len(left_ok)):
        if left_ok[i]:
            pairs.extend((i, j) for j in index.get(tuple(col[i] for col in lk), ()))
    return pairs


def _match_any(
    lk: list[list[Any]], rk: list[list[Any]], left_ok: list[bool], right_ok: list[bool]
) -> list[tuple[int, int]]:
    """Pairs equal in at least one join column (each pair once, right rows in order)."""
    n_left, n_right = len(left_ok), len(right_ok)
    pairs: list[tuple[int, int]] = []
    indexes: list[dict[Any, list[int]]] = []
    for col in rk:
        idx: dict[Any, list[int]] = {}
        for j in range(n_right):
            if right_ok[j]:
                idx.setdefault(col[j], []).append(j)
        indexes.append(idx)
    for i in range(n_left):
        if not left_ok[i]:
            continue
        found: set[int] = set()
        for col, idx in zip(lk, indexes, strict=True):
            found.update(idx.get(col[i], ()))
        pairs.extend((i, j) for j in sorted(found))
    return pairs


def _merged(
    series: pd.Series, rights: list[Any], li: np.ndarray, ri: np.ndarray, composition: str
) -> pd.Series:
    """A merged join column: a right unmatched row takes the right values; with MATCH_ANY the
    values of both sides agree on one."""
    values = series.to_numpy(dtype=object).copy()
    for k in range(len(li)):
        if li[k] < 0:
            values[k] = _consensus([r[ri[k]] for r in rights])
        elif composition == "MATCH_ANY" and ri[k] >= 0:
            values[k] = _consensus([values[k]] + [r[ri[k]] for r in rights])
    return pd.Series(values, dtype=object)


def _joined_row_ids(lids: Any, rids: Any, li: np.ndarray, ri: np.ndarray, s: JoinerSettings) -> list[str]:
    """Row0, Row1, ...; the left (else right) RowID; or `left<sep>right` with `?` for no row."""
    if s.rowKeyFactory == "SEQUENTIAL":
        return [f"Row{k}" for k in range(len(li))]
    if s.rowKeyFactory == "KEEP_ROWID":
        return [lids[i] if i >= 0 else rids[j] for i, j in zip(li, ri, strict=True)]
    sep = s.rowKeySeparator
    return [
        (lids[i] if i >= 0 else "?") + sep + (rids[j] if j >= 0 else "?") for i, j in zip(li, ri, strict=True)
    ]


def _consensus(values: list[Any]) -> Any:
    first = values[0]
    return first if all(not is_missing(v) and v == first for v in values) else None


def _joiner_criteria(knime: KnimeSettings, tree: dict[str, Any]) -> list[dict[str, Any]]:
    """matchingCriteria (4.3+) or the legacy join predicates, RowID keys as knitflow's."""
    if "matchingCriteria" in tree:
        criteria = [
            {"leftTableColumn": c.get("leftTableColumn"), "rightTableColumn": c.get("rightTableColumn")}
            for c in seq(tree.get("matchingCriteria"))
        ]
        knime.paths["matchingCriteria"] = "matchingCriteria"
    else:
        lefts, rights = seq(tree.get("leftTableJoinPredicate")), seq(tree.get("rightTableJoinPredicate"))
        criteria = [
            {"leftTableColumn": a, "rightTableColumn": b} for a, b in zip(lefts, rights, strict=False)
        ]
        knime.paths["leftTableJoinPredicate"] = knime.paths["rightTableJoinPredicate"] = "matchingCriteria"
    for c in criteria:
        for k in c:
            if is_row_id(c[k]):
                c[k] = ROW_ID
    knime.put("matchingCriteria", criteria)
    return criteria


def _joiner_output_flags(knime: KnimeSettings, tree: dict[str, Any]) -> None:
    """The three include flags, or the legacy joinMode they replace."""
    join_mode = tree.get("joinMode")
    if join_mode is not None and "includeMatchesInOutput" not in tree:
        flags = {
            "INNER": (True, False, False),
            "InnerJoin": (True, False, False),
            "LEFT_OUTER": (True, True, False),
            "LeftOuterJoin": (True, True, False),
            "RIGHT_OUTER": (True, False, True),
            "RightOuterJoin": (True, False, True),
            "FULL_OUTER": (True, True, True),
            "FullOuterJoin": (True, True, True),
            "LEFT_ANTI": (False, True, False),
            "RIGHT_ANTI": (False, False, True),
            "FULL_ANTI": (False, True, True),
            "EMPTY": (False, False, False),
        }[join_mode]
        for key, flag in zip(
            ("includeMatchesInOutput", "includeLeftUnmatchedInOutput", "includeRightUnmatchedInOutput"),
            flags,
            strict=True,
        ):
            knime.put(key, flag, "joinMode")
    else:
        knime.take_all(
            ["includeMatchesInOutput", "includeLeftUnmatchedInOutput", "includeRightUnmatchedInOutput"]
        )


def _joiner_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    mode = tree.get("compositionMode")
    if mode is not None:
        knime.put(
            "compositionMode",
            {"MatchAll": "MATCH_ALL", "MatchAny": "MATCH_ANY"}.get(mode, mode),
            "compositionMode",
        )
    criteria = _joiner_criteria(knime, tree)
    knime.take("dataCellComparisonMode")
    _joiner_output_flags(knime, tree)
    knime.take_all(["leftColumnSelectionConfig", "rightColumnSelectionConfig", "mergeJoinColumns", "suffix"])
    knime.take_all(
        ["outputUnmatchedRowsToSeparatePorts", "rowKeySeparator", "rowKeyFactory", "outputRowOrder"]
    )
    handling = tree.get("duplicateHandling")
    if handling is not None:
        legacy = {"AppendSuffix": "APPEND_SUFFIX", "DontExecute": "DO_NOT_EXECUTE", "Filter": "FILTER"}
        value = legacy.get(handling, handling)
        if handling == "AppendSuffix" and tree.get("version", "version_1") == "version_2":
            value = "APPEND_SUFFIX_AUTOMATIC"  # Joiner2 v2.7+: the suffix option was replaced by " (#1)"
        knime.put("duplicateHandling", value, "duplicateHandling")
    if tree.get("assignNewRowKeys") is not None and "rowKeyFactory" not in tree:
        knime.put(
            "rowKeyFactory", "SEQUENTIAL" if tree["assignNewRowKeys"] else "CONCATENATE", "assignNewRowKeys"
        )
    if "leftIncludeAll" in tree:  # the legacy Joiner's column selection
        for side in ("left", "right"):
            cap = side.capitalize()
            keys = {c[f"{side}TableColumn"] for c in criteria}
            flt: dict[str, Any] = {
                "enforce_option": "EnforceExclusion",
                "included_names": [],
                "excluded_names": [],
            }
            if not tree.get(f"{side}IncludeAll"):
                flt = {
                    "enforce_option": "EnforceInclusion",
                    "included_names": list(seq(tree.get(f"{side}IncludeCols"))),
                }
            if tree.get(f"rm{cap}JoinCols"):
                flt["excluded_names"] = sorted(k for k in keys if not is_row_id(k))
            knime.put(f"{side}ColumnSelectionConfig", flt, f"{side}IncludeCols")
        knime.put("mergeJoinColumns", False)
    for key in (
        "maxOpenFiles",
        "enableHiliting",
        "enableHiLite",
        "version",
        "leftIncludeAll",
        "rightIncludeAll",
    ):
        knime.ignore_binding(key, "memory and hiliting options change no output")


class Joiner(Node):
    type_name = "joiner"
    display_name = "Joiner"
    category = Category.MANIPULATOR
    description = (
        "Joins two tables on equal values of column pairs (or RowIDs): inner, left/right/full outer or anti joins "
        "by what is included (matching rows, left unmatched, right unmatched), all or any criterion, KNIME's "
        "suffix for clashing right column names, RowIDs left_right. A row with a missing join value matches "
        "nothing. Optionally splits matches and unmatched rows over three ports."
    )
    keywords = ("join", "merge", "inner", "outer", "left join", "lookup", "combine", "sql")
    knime = (
        KnimeMapping("org.knime.base.node.preproc.joiner3.Joiner3NodeFactory", "Joiner", _joiner_from_knime),
        KnimeMapping(
            "org.knime.base.node.preproc.joiner.Joiner2NodeFactory", "Joiner (legacy)", _joiner_from_knime
        ),
    )
    inputs = (Port(TABLE, "Left table", "Top input"), Port(TABLE, "Right table", "Bottom input"))
    outputs = (
        Port(TABLE, "Join result", "The joined rows (all included rows unless split)"),
        Port(TABLE, "Left unmatched rows", "Filled only when the result is split"),
        Port(TABLE, "Right unmatched rows", "Filled only when the result is split"),
    )
    Settings = JoinerSettings

    @staticmethod
    def _check(s: JoinerSettings, error: type[NodeError]) -> None:
        if not s.matchingCriteria:
            raise error("Please define at least one joining column pair.", setting="matchingCriteria")
        if s.rowKeyFactory == "KEEP_ROWID" and not (
            s.compositionMode == "MATCH_ALL"
            and any(
                is_row_id(c.leftTableColumn) and is_row_id(c.rightTableColumn) for c in s.matchingCriteria
            )
        ):
            raise error(
                "retaining RowIDs needs a <RowID> = <RowID> criterion with 'match all'",
                setting="rowKeyFactory",
            )

    def configure(self, in_specs: list[Any], settings: JoinerSettings, ctx: NodeContext) -> list[Any]:
        self._check(settings, ConfigureError)
        left, right = in_specs
        if not isinstance(left, TableSpec) or not isinstance(right, TableSpec):
            return [UNKNOWN] * 3
        layout = _Layout(left, right, settings, ConfigureError)
        return [layout.match_spec(), layout.unmatched_spec("left"), layout.unmatched_spec("right")]

    def execute(self, inputs: list[Any], settings: JoinerSettings, ctx: NodeContext) -> list[Any]:
        self._check(settings, NodeError)
        left, right = inputs[0], inputs[1]
        s = settings
        layout = _Layout(left.spec, right.spec, s, NodeError)
        pairs = _match(left, right, s, layout)
        ctx.progress(0.6, "building the output")
        matched_left = np.zeros(len(left), dtype=bool)
        matched_right = np.zeros(len(right), dtype=bool)
        for i, j in pairs:
            matched_left[i] = matched_right[j] = True
        if not s.includeMatchesInOutput:
            pairs = []
        left_only = (
            np.flatnonzero(~matched_left) if s.includeLeftUnmatchedInOutput else np.zeros(0, dtype=np.int64)
        )
        right_only = (
            np.flatnonzero(~matched_right) if s.includeRightUnmatchedInOutput else np.zeros(0, dtype=np.int64)
        )
        if s.outputUnmatchedRowsToSeparatePorts:
            joined = self._rows(left, right, layout, s, pairs, [], [])
            return [
                joined,
                left.with_frame(left.df.iloc[left_only][layout.left_include]),
                right.with_frame(right.df.iloc[right_only][layout.right_include]),
            ]
        out = self._rows(left, right, layout, s, pairs, list(left_only), list(right_only))
        empty_left = left.with_frame(left.df.iloc[:0][layout.left_include])
        empty_right = right.with_frame(right.df.iloc[:0][layout.right_include])
        return [out, empty_left, empty_right]

    @staticmethod
    def _rows(
        left: Table,
        right: Table,
        layout: _Layout,
        s: JoinerSettings,
        pairs: list[tuple[int, int]],
        left_only: list[int],
        right_only: list[int],
    ) -> Table:
        li = np.array([i for i, _ in pairs] + left_only + [-1] * len(right_only), dtype=np.int64)
        ri = np.array([j for _, j in pairs] + [-1] * len(left_only) + right_only, dtype=np.int64)
        data: dict[str, pd.Series] = {}
        types: dict[str, str] = {}
        for name, col_type, lcol, rcol, partners in layout.columns:
            types[name] = col_type
            if rcol is not None:
                data[name] = take(right.df[rcol], col_type, ri)
                continue
            assert lcol is not None
            series = take(left.df[lcol], col_type, li)
            if layout.merge and partners:
                rights = [right.df[p].to_numpy(dtype=object) for p in partners]
                series = coerce(_merged(series, rights, li, ri, s.compositionMode), col_type)
            data[name] = series
        df = pd.DataFrame(data, columns=[c[0] for c in layout.columns])
        df.index = pd.Index(_joined_row_ids(left.row_ids, right.row_ids, li, ri, s), dtype=object)
        if df.index.has_duplicates:
            raise NodeError("the joined RowIDs are not unique (choose new RowIDs)", setting="rowKeyFactory")
        return Table(df, types)
