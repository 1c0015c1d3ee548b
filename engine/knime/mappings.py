"""KNIME node factory -> knitflow node type, with the translation of its settings.

`MAPPINGS` is keyed by `KnimeNode.factory_key` (the factory's simple class name, or
`extension:node_id` for Python extension nodes). A mapping's `settings` function receives the
node's settings tree (the `model` config, with the `view` config of view nodes merged in), the
flattened flow-variable bindings ({KNIME path: Binding}) and a `NodeReport`, and returns
`(settings, use_variables, expose_variables)` in knitflow's terms.

knitflow's settings follow KNIME's keys, so most mappings only pick keys, unwrap KNIME's setting
containers (column filters, column choices, one-element port arrays) and rename what is not a
Python identifier. `engine.knime` then fits the result to the node type's settings model when that
type is registered (names compared without case, `_`, `-`, `.` and spaces).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PureWindowsPath
from typing import Any

from engine.knime.archive import Binding, NodeReport

SettingsFn = Callable[
    [dict[str, Any], dict[str, Binding], NodeReport], tuple[dict[str, Any], dict[str, str], dict[str, str]]
]


PortMap = dict[int, int | None]  # KNIME port -> knitflow port (None: knitflow has no such port)
PortsFn = Callable[[dict[str, Any]], tuple[PortMap, PortMap]]


@dataclass(frozen=True)
class Mapping:
    knime_name: str  # the node's name in KNIME's node repository (the README's node list shows it)
    type_name: str
    settings: SettingsFn
    note: str = ""
    # nodes with KNIME dynamic port groups: (inputs, outputs) port maps from `node_creation_config`
    ports: PortsFn | None = None


# --------------------------------------------------------------------------------- tree helpers


def key_name(key: str) -> str:
    """A KNIME key as a settings field name: kept when it is an identifier, else snake_cased
    ("new-column-name" -> new_column_name, "remove original column?" -> remove_original_column)."""
    if key.isidentifier():
        return key
    return re.sub(r"[^0-9A-Za-z]+", "_", key).strip("_").lower()


def seq(value: Any) -> list[Any]:
    """KNIME sequences: a list already, a config keyed "0", "1", ... (no array-size), or nothing."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        keys = [k for k in value if k.isdigit()]
        return [value[k] for k in sorted(keys, key=int)]
    return [value]


def first(value: Any) -> Any:
    """Dynamic-port settings are stored one per port (`ignoreEmptyTables: [false]`)."""
    return value[0] if isinstance(value, list) and value else value


def get(tree: Any, path: str, default: Any = None) -> Any:
    for part in path.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return default
        tree = tree[part]
    return tree


_TYPE_NAMES = {
    # KNIME cell classes, value interfaces and reader type names -> knitflow column types
    "org.knime.core.data.def.DoubleCell": "Double",
    "org.knime.core.data.def.IntCell": "Integer",
    "org.knime.core.data.def.LongCell": "Long",
    "org.knime.core.data.def.StringCell": "String",
    "org.knime.core.data.def.BooleanCell": "Boolean",
    "org.knime.core.data.vector.bitvector.DenseBitVectorCell": "BitVector",
    "org.knime.chem.types.SmilesAdapterCell": "Smiles",
    "org.knime.chem.types.SmilesCell": "Smiles",
    "org.knime.core.data.DoubleValue": "Double",
    "org.knime.core.data.IntValue": "Integer",
    "org.knime.core.data.LongValue": "Long",
    "org.knime.core.data.StringValue": "String",
    "org.knime.core.data.BooleanValue": "Boolean",
    "Number (Integer)": "Integer",
    "Number (Float)": "Double",
    "Number (Double)": "Double",
    "Number (Long)": "Long",
    "String": "String",
    "Boolean": "Boolean",
    "Boolean value": "Boolean",
}


def column_type(knime_type: str | None) -> str | None:
    if knime_type is None:
        return None
    return _TYPE_NAMES.get(knime_type, knime_type.rsplit(".", 1)[-1].removesuffix("Cell"))


def is_standard_filter(value: Any) -> bool:
    return isinstance(value, dict) and "filter-type" in value and "included_names" in value


def is_manual_filter(value: Any) -> bool:
    return isinstance(value, dict) and "manualFilter" in value and "mode" in value


def is_choice(value: Any) -> bool:
    return isinstance(value, dict) and "regularChoice" in value


def is_string_filter(value: Any) -> bool:
    return isinstance(value, dict) and "InclList" in value


def standard_filter(tree: dict[str, Any], report: NodeReport, where: str) -> dict[str, Any]:
    """KNIME's `DataColumnSpecFilterConfiguration` as knitflow's `ColumnFilter`."""
    out: dict[str, Any] = {
        "included_names": list(seq(tree.get("included_names"))),
        "excluded_names": list(seq(tree.get("excluded_names"))),
        "enforce_option": tree.get("enforce_option") or "EnforceExclusion",
    }
    kind = tree.get("filter-type", "STANDARD")
    if kind == "datatype":
        types = [column_type(t) for t, on in (get(tree, "datatype.typelist") or {}).items() if on]
        out["type_filter"] = types
    elif kind != "STANDARD":
        pattern = get(tree, "name_pattern.pattern")
        report.setting(
            f"{where}: column filter mode {kind!r} (pattern {pattern!r}) is not supported; "
            "the manual include/exclude lists are used"
        )
    return out


def manual_filter(tree: dict[str, Any], report: NodeReport, where: str) -> dict[str, Any]:
    """The web-UI column filter (`manualFilter`): includeUnknownColumns = true is EnforceExclusion."""
    manual = tree.get("manualFilter") or {}
    out: dict[str, Any] = {
        "included_names": list(seq(manual.get("manuallySelected"))),
        "excluded_names": list(seq(manual.get("manuallyDeselected"))),
        "enforce_option": "EnforceExclusion" if manual.get("includeUnknownColumns") else "EnforceInclusion",
    }
    mode = tree.get("mode", "MANUAL")
    if mode == "TYPE":
        out["type_filter"] = [column_type(t) for t in seq(get(tree, "typeFilter.selectedTypes"))]
        out["enforce_option"] = "EnforceExclusion"
        out["included_names"], out["excluded_names"] = [], []
    elif mode != "MANUAL":
        pattern = get(tree, "patternFilter.pattern")
        report.setting(
            f"{where}: column selection mode {mode!r} (pattern {pattern!r}) is not supported; "
            "the manual selection is used"
        )
    return out


def choice(tree: dict[str, Any]) -> str | None:
    """A column choice (`regularChoice` / `specialChoice`): the column name, or KNIME's special
    choice spelled `<ROW_ID>`, `<ROW_NUMBER>`, `<NONE>`."""
    if tree.get("regularChoice") is not None:
        return str(tree["regularChoice"])
    special = tree.get("specialChoice_Internals") or tree.get("specialChoice")
    return f"<{special}>" if special else None


def _trim(flt: dict[str, Any]) -> dict[str, Any]:
    """With EnforceInclusion the exclude list only repeats what is not included (1024 bit-vector
    names in 13_01): drop it, keeping the rule that a name in both lists is excluded."""
    if flt.get("enforce_option") == "EnforceInclusion" and flt.get("excluded_names"):
        excluded = set(flt["excluded_names"])
        flt["included_names"] = [n for n in flt["included_names"] if n not in excluded]
        flt["excluded_names"] = []
    return flt


def convert(value: Any, report: NodeReport, where: str) -> Any:
    """Unwrap KNIME's setting containers wherever they occur; drop internal bookkeeping keys."""
    if is_standard_filter(value):
        return _trim(standard_filter(value, report, where))
    if is_manual_filter(value):
        return _trim(manual_filter(value, report, where))
    if is_choice(value):
        return choice(value)
    if is_string_filter(value):
        return list(seq(value.get("InclList")))
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k.endswith("_Internals") or k == "json-type_Internals":
                continue
            out[key_name(k)] = convert(v, report, f"{where}.{k}" if where else k)
        return out
    if isinstance(value, list):
        return [convert(v, report, where) for v in value]
    return value


# ---------------------------------------------------------------------------- translation state

_ABSENT: Any = object()  # a key the KNIME settings do not hold


@dataclass
class Out:
    """Collects one node's knitflow settings and carries its flow-variable bindings along: each
    `put` names the KNIME path it came from so a binding on that path follows the setting."""

    tree: dict[str, Any]
    variables: dict[str, Binding]
    report: NodeReport
    settings: dict[str, Any] = field(default_factory=dict)
    use: dict[str, str] = field(default_factory=dict)
    expose: dict[str, str] = field(default_factory=dict)
    _paths: dict[str, str] = field(default_factory=dict)  # KNIME path -> knitflow setting path

    def put(self, name: str, value: Any, knime: str | None = None) -> None:
        self.settings[name] = value
        if knime is not None:
            self._paths[knime] = name

    def take(
        self,
        name: str,
        knime: str | None = None,
        *,
        transform: Callable[[Any], Any] | None = None,
        default: Any = _ABSENT,
    ) -> Any:
        """settings[name] = tree[knime] (converted); the KNIME path defaults to the same name. A key
        the settings do not hold (an older node version) is left out, so the node's default, which
        is KNIME's, applies; unless a `default` is given."""
        knime = knime or name
        value = get(self.tree, knime, _ABSENT)
        if value is _ABSENT:
            if default is _ABSENT:
                return None
            value = default
        value = transform(value) if transform else convert(value, self.report, knime)
        self.put(name, value, knime)
        return value

    def take_all(
        self, keys: Iterable[str] | None = None, *, tree_path: str = "", skip: Iterable[str] = ()
    ) -> None:
        """Every key (or the given ones) of a subtree, renamed by `key_name` and converted."""
        sub = get(self.tree, tree_path) if tree_path else self.tree
        if not isinstance(sub, dict):
            return
        skipped = set(skip)
        for k in keys if keys is not None else list(sub):
            if k not in sub or k in skipped or k.endswith("_Internals"):
                continue
            path = f"{tree_path}.{k}" if tree_path else k
            self.put(key_name(k), convert(sub[k], self.report, path), path)

    def ignore_binding(self, knime: str, why: str) -> None:
        b = self.variables.get(knime)
        if b is not None:
            self.report.note(f"flow variable binding of {knime} ({_describe(b)}) dropped: {why}")
            self._paths[knime] = ""

    def result(self) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
        for path, binding in self.variables.items():
            target = self._paths.get(path)
            if target is None:
                # a binding on an element inside a mapped setting (e.g. one entry of a list)
                parent = next((p for p in self._paths if path.startswith(p + ".")), None)
                target = self._paths.get(parent) if parent else None
                if target:
                    self.report.setting(
                        f"flow variable binding of {path} ({_describe(binding)}) applies to part of setting "
                        f"{target!r}, which knitflow cannot bind separately"
                    )
                    continue
            if target == "":
                continue
            if target is None:
                self.report.setting(
                    f"flow variable binding of KNIME setting {path} ({_describe(binding)}) has no knitflow equivalent"
                )
                continue
            if binding.used:
                self.use[target] = binding.used
            if binding.exposed:
                self.expose[target] = binding.exposed
        return self.settings, self.use, self.expose


def _describe(b: Binding) -> str:
    parts = []
    if b.used:
        parts.append(f"uses {b.used!r}")
    if b.exposed:
        parts.append(f"exposes {b.exposed!r}")
    return ", ".join(parts)


def generic(tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport) -> Out:
    """All keys of the settings tree, KNIME containers unwrapped."""
    out = Out(tree, variables, report)
    out.take_all()
    return out


def _generic_fn(skip: Iterable[str] = (), extra: Callable[[Out], None] | None = None) -> SettingsFn:
    skipped = tuple(skip)

    def fn(tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport) -> tuple[Any, Any, Any]:
        out = Out(tree, variables, report)
        out.take_all(skip=skipped)
        if extra is not None:
            extra(out)
        return out.result()

    return fn


def _none(tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport) -> tuple[Any, Any, Any]:
    return Out(tree, variables, report).result()


# ------------------------------------------------------------------------------------------ paths


def file_name(path: str | None) -> str | None:
    """The file name of a KNIME path (Windows or POSIX, or a knime:// URL)."""
    if not path:
        return None
    return PureWindowsPath(str(path).replace("/", "\\")).name


# ------------------------------------------------------------------------------------------- IO


def csv_reader(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    s = "settings"
    path = get(tree, f"{s}.file_selection.path.path")
    bound = f"{s}.file_selection.path" in variables
    name = file_name(path)
    # data files live in the workflow variable data_dir; a file another node writes (path bound to
    # a flow variable) is read relative to the workflow
    out.put("file", name if bound or not name else f"${{data_dir}}/{name}", f"{s}.file_selection.path")
    if path and name != path:
        report.note(f"file {path!r} imported as {out.settings['file']!r}")
    if get(tree, f"{s}.file_selection.filter_mode.filter_mode", "FILE") != "FILE":
        report.setting("reading a folder of files is not supported; the path is read as one file")
    if get(tree, f"{s}.skip_empty_data_rows"):
        report.setting("skip_empty_data_rows = true is not supported: knitflow does not skip empty lines")
    out.take("has_column_header", f"{s}.has_column_header")
    out.take("has_row_id", f"{s}.has_row_id")
    out.take("column_delimiter", f"{s}.column_delimiter")
    out.take("quote_char", f"{s}.quote_char")
    out.take("quote_escape_char", f"{s}.quote_escape_char")
    out.take("comment_char", f"{s}.comment_char")
    if not get(tree, f"{s}.use_line_break_row_delimiter", True):
        out.take("row_delimiter", f"{s}.row_delimiter")
    out.take("charset", "encoding.charset")
    adv = "advanced_settings"
    out.take("quote_option", f"{adv}.quote_option")
    out.take("replace_empty_quotes_with_missing", f"{adv}.replace_empty_quotes_with_missing")
    thousands = get(tree, f"{adv}.thousands_separator")
    if thousands not in (None, "", "\x00"):
        out.put("thousands_separator", thousands, f"{adv}.thousands_separator")
    decimal = get(tree, f"{adv}.decimal_separator")
    if decimal not in (None, "."):
        out.put("decimal_separator", decimal, f"{adv}.decimal_separator")
    for flag, count, name_ in (
        ("limit_rows.skip_lines", "limit_rows.number_of_lines_to_skip", "skip_lines"),
        ("limit_rows.skip_data_rows", "limit_rows.number_of_rows_to_skip", "skip_data_rows"),
        ("limit_rows.limit_data_rows", "limit_rows.max_rows", "max_rows"),
    ):
        if get(tree, flag):
            out.put(name_, get(tree, count), count)
    out.take("support_short_data_rows", f"{s}.support_short_data_rows")
    out.take("limit_data_rows_scanned", f"{adv}.limit_data_rows_scanned")
    out.take("max_data_rows_scanned", f"{adv}.max_data_rows_scanned")
    trans = "table_spec_config_Internals.table_transformation"
    if get(tree, f"{trans}.enforce_types") is not None:
        out.take("enforce_types", f"{trans}.enforce_types")
    columns = _reader_columns(tree, report)
    if columns:
        out.put("columns", columns)
    return out.result()


def _reader_columns(tree: dict[str, Any], report: NodeReport) -> list[dict[str, Any]]:
    """The stored table transformation: columns in output order with their types (`keep: false`
    drops one, `name` renames)."""
    trans = get(tree, "table_spec_config_Internals.table_transformation")
    if not isinstance(trans, dict):
        return []
    cols = []
    for c in seq(trans.get("columns")):
        source = get(c, "external_spec.name")
        entry: dict[str, Any] = {"name": source}
        new = c.get("name")
        if new is not None and new != source:
            entry["rename"] = new
        entry["type"] = column_type(get(c, "production_path._converter_dst"))
        if c.get("keep") is False:
            entry["keep"] = False
        cols.append((c.get("position", len(cols)), entry))
    cols.sort(key=lambda pe: pe[0])
    unknown = trans.get("unknown_columns_transformation") or {}
    if unknown.get("keep") is False:
        report.setting("columns not in the stored spec are dropped in KNIME (unknown columns: keep = false)")
    return [e for _, e in cols]


def csv_writer(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    s = "settings"
    fc = f"{s}.file_chooser_settings"
    path = get(tree, f"{fc}.path.path")
    out.put("file", file_name(path), f"{fc}.path")
    if path and file_name(path) != path:
        report.note(f"file {path!r} imported as {file_name(path)!r} (relative to the workflow)")
    out.take("if_path_exists", f"{fc}.if_path_exists")
    out.take("create_missing_folders", f"{fc}.create_missing_folders")
    out.take("column_delimiter", f"{s}.column_delimiter")
    if get(tree, f"{s}.row_delimiter") is not None:
        out.take("row_delimiter", f"{s}.row_delimiter")
    out.take("quote_char", f"{s}.quote_char")
    out.take("quote_escape_char", f"{s}.quote_escape_char")
    out.take("write_column_header", f"{s}.write_column_header")
    out.take("write_row_header", f"{s}.write_row_header")
    out.take("skip_column_header_on_append", f"{s}.skip_column_header_on_append")
    adv = "advanced_settings"
    out.take_all(
        [
            "missing_value_pattern",
            "compress_with_gzip",
            "quote_mode",
            "separator_replacement",
            "decimal_separator",
            "use_scientific_format",
            "keep_trailing_zero_in_decimals",
        ],
        tree_path=adv,
    )
    out.take("charset", "encoding.character_set")
    comment = get(tree, "comment_header_settings") or {}
    if any(
        comment.get(k)
        for k in (
            "add_time_to_comment",
            "add_user_to_comment",
            "add_table_name_to_comment",
            "add_custom_text_to_comment",
        )
    ):
        report.setting("the comment header is not supported")
    return out.result()


def table_creator(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    """KNIME stores the cells as parallel arrays; knitflow gets columns and rows of strings."""
    out = Out(tree, variables, report)
    props = tree.get("columnProperties") or {}
    col_keys = sorted((k for k in props if k.isdigit()), key=int)
    columns = []
    for k in col_keys:
        p = props[k]
        if p.get("SkipThisColumn"):
            continue
        columns.append({"name": p.get("ColumnName"), "type": column_type(get(p, "ColumnClass.cell_class"))})
        if p.get("MissValuePattern"):
            columns[-1]["missing_value_pattern"] = p["MissValuePattern"]
    index = {int(k): i for i, k in enumerate(k for k in col_keys if not props[k].get("SkipThisColumn"))}
    rows_i, cols_i, vals = (
        seq(tree.get("rowIndices")),
        seq(tree.get("columnIndices")),
        seq(tree.get("values")),
    )
    n_rows = max((r for r in rows_i if r >= 0), default=-1) + 1
    rows: list[list[str | None]] = [[None] * len(columns) for _ in range(n_rows)]
    for r, c, v in zip(rows_i, cols_i, vals, strict=False):
        if r < 0 or c not in index:
            continue  # KNIME keeps stale cells of deleted rows/columns at index -1
        rows[r][index[c]] = v
    out.put("columns", columns, "columnProperties")
    out.put("rows", rows, "values")
    out.take_all(["rowIdPrefix", "rowIdSuffix", "rowIdStartValue"])
    return out.result()


# ------------------------------------------------------------------------------- manipulation


def _sampling(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    """Table Partitioner / Row Sampler; legacy (pre-5.5) keys migrated like KNIME does."""
    out = Out(tree, variables, report)
    if "method" in tree and "partitioningMode" not in tree:
        relative = str(tree.get("method", "Relative")).lower().startswith("rel")
        out.put("partitioningMode", "RELATIVE" if relative else "ABSOLUTE", "method")
        out.put("percentage", float(tree.get("fraction", 0.1)) * 100.0, "fraction")
        out.put("rowCount", tree.get("count", 100), "count")
        legacy_mode = {
            "random": "RANDOM",
            "first": "FIRST_ROWS",
            "linear": "LINEAR",
            "stratified": "STRATIFIED",
        }
        mode = str(tree.get("samplingMethod", "Random")).lower()
        out.put("mode", legacy_mode.get(mode, mode.upper()), "samplingMethod")
        out.put("class_column", tree.get("class_column"), "class_column")
        seed = tree.get("random_seed")
        out.put("seed", int(seed) if seed not in (None, "") else None, "random_seed")
        out.put("actionEmpty", "OUTPUT_EMPTY")
        report.note("legacy Table Partitioner settings migrated (method/fraction/samplingMethod/random_seed)")
        return out.result()
    out.take_all(["partitioningMode", "percentage", "rowCount", "mode", "class_column"])
    out.put("seed", tree.get("seed") if tree.get("seed_is_present") else None, "seed")
    out.take("actionEmpty")
    # a binding of the inactive count setting is meaningless (13_01 #185 binds both to N)
    inactive = "percentage" if tree.get("partitioningMode") == "ABSOLUTE" else "rowCount"
    out.ignore_binding(inactive, f"partitioningMode is {tree.get('partitioningMode')}")
    if out.settings.get("mode") != "STRATIFIED":
        out.settings.pop("class_column", None)
    return out.result()


def rule_engine(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    out.take("rules", transform=lambda v: list(seq(v)))
    out.take_all(["append-column", "new-column-name", "replace-column-name"])
    return out.result()


def expression(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    """Main expression plus `additionalExpressions`, as one ordered list."""
    out = Out(tree, variables, report)
    keys = ("script", "columnOutputMode", "createdColumn", "replacedColumn")
    exprs = [{k: tree.get(k) for k in keys}]
    exprs += [{k: e.get(k) for k in keys} for e in seq(tree.get("additionalExpressions"))]
    for e in exprs:
        e["script"] = (e["script"] or "").strip()
        if e["columnOutputMode"] == "APPEND":
            e.pop("replacedColumn")
        else:
            e.pop("createdColumn")
    out.put("expressions", exprs, "script")
    return out.result()


def math_formula(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    out.take("expression", transform=lambda v: (v or "").strip())
    out.take_all(["append_column", "replaced_column", "convert_to_int"])
    return out.result()


def row_filter(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    out.take("matchCriteria")
    predicates = []
    for i, p in enumerate(seq(tree.get("predicates"))):
        values = [v.get("value") for v in seq(get(p, "predicateValues.values"))]
        pred: dict[str, Any] = {"column": choice(p.get("columnV2") or {}), "operator": p.get("operator")}
        if len(values) == 1:
            pred["value"] = values[0]
        elif values:
            pred["values"] = values
        if p.get("caseMatching"):
            pred["caseMatching"] = p.get("caseMatching")
        predicates.append(pred)
        out._paths[f"predicates.{i}"] = f"predicates.{i}"
    out.put("predicates", predicates, "predicates")
    out.take_all(["outputMode", "domains"])
    return out.result()


def sorter(tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    criteria = [
        {
            "column": choice(c.get("columnV2") or {}),
            "sortingOrder": c.get("sortingOrder"),
            "stringComparison": c.get("stringComparison"),
        }
        for c in seq(tree.get("sortingCriteria"))
    ]
    if not criteria and "incllist" in tree:  # pre-5.1 Sorter settings
        names = seq(tree.get("incllist"))
        orders = seq(tree.get("sortOrder"))
        criteria = [
            {"column": n, "sortingOrder": "ASCENDING" if o else "DESCENDING"}
            for n, o in zip(names, orders, strict=False)
        ]
    out.put("sortingCriteria", criteria, "sortingCriteria")
    out.take("missingToEnd")
    return out.result()


def loop_end(tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    out.take_all(["addIterationColumn", "rowKeyPolicy", "propagateLoopVariables"])
    for k in ("ignoreEmptyTables", "tolerateColumnTypes", "tolerateChangingSpecs"):
        values = seq(tree.get(k))
        if len(set(values)) > 1:
            report.setting(f"{k} differs between input ports ({values}); the first port's value is used")
        out.take(k, transform=first)
    return out.result()


def pivot(tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    out.take("groupByColumns", "grouByColumns")  # sic: KNIME's key is misspelt
    out.take("pivotColumns")
    agg = tree.get("aggregationColumn") or {}
    names, methods = seq(agg.get("columnNames")), seq(agg.get("aggregationMethod"))
    missing = seq(agg.get("inclMissingVals"))
    out.put(
        "aggregations",
        [
            {"column": c, "method": m, "include_missing": bool(missing[i]) if i < len(missing) else False}
            for i, (c, m) in enumerate(zip(names, methods, strict=False))
        ],
        "aggregationColumn",
    )
    for k in ("patternAggregators", "dataTypeAggregators"):
        if tree.get(k):
            report.setting(f"{k} (aggregation by pattern or type) is not supported")
    out.take_all(
        [
            "column_name_option",
            "columnNamePolicy",
            "missing_values",
            "ignore_domain",
            "total_aggregation",
            "sort_lexicographical",
            "retainOrder",
            "maxNoneNumericalVals",
            "valueDelimiter",
        ]
    )
    return out.result()


def missing_value(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    """Per-type and per-column treatments; KNIME's handler factory ids are shortened to their
    class name without `MissingCellHandlerFactory` (e.g. RemoveRow, Mean, FixedDouble)."""
    out = Out(tree, variables, report)

    def handler(cfg: dict[str, Any]) -> dict[str, Any] | str:
        name = str(cfg.get("factoryID", "")).rsplit(".", 1)[-1]
        name = name.removesuffix("MissingCellHandlerFactory").removesuffix("Factory")
        params = convert(cfg.get("settings") or {}, report, "settings")
        return {"method": name, **params} if params else name

    by_type = {column_type(t): handler(cfg) for t, cfg in (tree.get("dataTypeSettings") or {}).items()}
    by_column: dict[str, Any] = {}
    for cfg in seq(tree.get("columnSettings")) if isinstance(tree.get("columnSettings"), dict) else []:
        for col in seq(cfg.get("colNames")):
            by_column[col] = handler(cfg.get("settings") or cfg)
    out.put("dataTypeSettings", by_type, "dataTypeSettings")
    if by_column:
        out.put("columnSettings", by_column, "columnSettings")
    return out.result()


def expand_bit_vector(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    out.take_all()
    return out.result()


# ---------------------------------------------------------------------------- flow variables


def _row_to_variable(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    out.take("column_selection")
    out.take_all(
        [
            "missing_value_policy",
            "default_value_string",
            "default_value_boolean",
            "default_value_integer",
            "default_value_long",
            "default_value_double",
        ]
    )
    return out.result()


def parameter_loop_start(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    out.take("method")
    out.take("parameter_name_column")
    for k in ("start_value", "stop_value", "step_size", "is_integer"):
        out.take(k)
    method = tree.get("method")
    if method != "BruteForce":
        out.take_all(_SEARCH_KEYS)
    return out.result()


_SEARCH_KEYS = [
    "useSeed",
    "seed",
    "numTrials",
    "useEarlyStopping",
    "sizeMovingWindow",
    "tolerance",
    "enableStepSize",
    "gamma",
    "warmupRounds",
    "numCandidatesPerRound",
]
# KNIME's keys of one parameter of the dialog-configured loop start, by knitflow field (compared
# without case and separators: `parameterName`, `start_value`, `stepSize`, `isInteger`, ...)
_PARAMETER_KEYS = {
    "parameter_name": ("parametername", "name", "paramname", "variablename"),
    "start_value": ("startvalue", "start", "from", "lowerbound"),
    "stop_value": ("stopvalue", "stop", "to", "upperbound"),
    "step_size": ("stepsize", "step", "stepvalue"),
    "is_integer": ("isinteger", "integer", "integertype", "isint"),
}


def _norm_key(key: str) -> str:
    return re.sub(r"[^0-9a-z]", "", key.lower())


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _records(value: Any) -> list[dict[str, Any]]:
    """The configs of a KNIME list of configs (an array, `"0"`, `"1"`, ... or `parameter_0`, ...)."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    if isinstance(value, dict):
        entries = {k: v for k, v in value.items() if k != "array-size"}
        if entries and all(isinstance(v, dict) for v in entries.values()):
            return list(entries.values())
    return []


def parameter_loop_start_dialog(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    """Parameter Optimization Loop Start with the parameters given in its dialog: the strategy
    settings as in the table variant, and the parameters as a list of name/start/stop/step/integer.
    The parameters are found as the config whose entries carry those keys; any other key of a
    parameter is reported."""
    out = Out(tree, variables, report)
    out.take("method")
    out.take_all(_SEARCH_KEYS)
    parameters: list[dict[str, Any]] = []
    source = None
    for key, value in tree.items():
        items = _records(value)
        if not items or key in _SEARCH_KEYS:
            continue
        if not all(any(_norm_key(k) in _PARAMETER_KEYS["parameter_name"] for k in item) for item in items):
            continue
        source = key
        for i, item in enumerate(items):
            param: dict[str, Any] = {}
            for k, v in item.items():
                field_name = next(
                    (f for f, aliases in _PARAMETER_KEYS.items() if _norm_key(k) in aliases), None
                )
                if field_name is None:
                    report.setting(f"parameter {i}: key {k!r} = {_short(v)} has no counterpart in knitflow")
                    continue
                param[field_name] = v
            parameters.append(param)
        break
    if source is None:
        report.setting("no parameter list found in the settings (keys: " + ", ".join(map(repr, tree)) + ")")
    out.put("parameters", parameters, source)
    return out.result()


# ------------------------------------------------------------------------------------- mining


def logreg_learner(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    out.take("target")
    ref = tree.get("targetReferenceCategory")
    if isinstance(ref, dict):
        cls = ref.get("datacell")
        cell = ref.get(cls) if cls else None
        ref = next(iter(cell.values())) if isinstance(cell, dict) and cell else None
    out.put("targetReferenceCategory", ref, "targetReferenceCategory")
    out.take("column_filter", "column-filter")
    out.take_all(
        [
            "solver",
            "maxEpoch",
            "performLazy",
            "epsilon",
            "learningRateStrategy",
            "stepSize",
            "prior",
            "priorVariance",
            "inMemory",
            "seed",
            "chunkSize",
            "calcCoefficientStatistics",
            "useOrderFromTargetDomain",
            "useOrderFromFeatureDomain",
        ]
    )
    return out.result()


def scorer(tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    out.take_all(
        ["first", "second", "flowVarPrefix", "sortingStrategy", "sortingReversed", "ignore.missing.values"]
    )
    return out.result()


def numeric_scorer(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    for k in ("reference", "predicted"):
        if get(tree, f"{k}.useRowID"):
            report.setting(f"{k}: using the RowID as a column is not supported")
        out.put(k, get(tree, f"{k}.columnName"), k)
    out.take_all(
        [
            "override default output name",
            "output column",
            "generate flow variables",
            "name prefix for flowvars",
            "number_of_predictors",
        ]
    )
    if not tree.get("override default output name"):
        out.settings.pop("output_column", None)  # unused: the output is named after the predicted column
    return out.result()


def lasso_learner(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    out.take_all(["feature_columns", "target_column", "missing_value_handling"], tree_path="general_settings")
    out.take_all(["alpha", "fit_intercept", "max_iter"], tree_path="algo_settings")
    return out.result()


def regression_predictor(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    out.take_all(["prediction_column"], tree_path="predictor_settings")
    return out.result()


_RF_KEYS = [
    "targetColumn",
    "columnFilterConfig",
    "seed",
    "maxLevels",
    "minNodeSize",
    "minChildSize",
    "dataFraction",
    "isDataSelectionWithReplacement",
    "rowSamplingMode",
    "columnSamplingMode",
    "columnFractionPerTree",
    "columnAbsolutePerTree",
    "isUseDifferentAttributesAtEachNode",
    "nrModels",
    "splitCriterion",
    "missingValueHandling",
    "useAverageSplitPoints",
    "useBinaryNominalSplits",
    "ignoreColumnsWithoutDomain",
]


def rf_learner(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    out.take_all(_RF_KEYS)
    if tree.get("fingerprintColumn"):
        report.setting("learning on a fingerprint (bit vector) column is not supported")
    if tree.get("hardCodedRootColumn"):
        report.setting("a hard-coded root split column is not supported")
    return out.result()


# -------------------------------------------------------------------------------------- views


_VERSIONED = re.compile(r"^(.*?)V(\d+)$")


def layout_key(tree: dict[str, Any], key: str) -> str | None:
    """Where `key` is stored: KNIME renames a setting when its layout changes (`displayedColumns`
    became `displayedColumnsV2`, `xAxisColumnV2` became `xAxisColumnV3`); an older workflow holds
    the previous name, which knitflow reads in the newest one's place."""
    if key in tree:
        return key
    m = _VERSIONED.match(key)
    if m is None:
        return None
    stem, version = m[1], int(m[2])
    for older in [f"{stem}V{v}" for v in range(version - 1, 1, -1)] + [stem]:
        if older in tree:
            return older
    return None


def _view(keys: list[str]) -> SettingsFn:
    """The keys of a view node (or any node whose keys are taken as they are), older layouts too;
    an optional setting whose `<key>_is_present` flag is off is None."""

    def fn(tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport) -> tuple[Any, Any, Any]:
        out = Out(tree, variables, report)
        for key in keys:
            source = layout_key(tree, key)
            if source is None:
                continue
            if source != key:
                report.note(f"setting {source} (an older layout) read as {key}")
            present = tree.get(f"{source}_is_present", True)
            value = convert(tree[source], report, source) if present else None
            out.put(key_name(key), value, source)
        return out.result()

    return fn


table_view = _view(["displayedColumnsV2", "title", "showRowKeys", "showRowIndices"])
scatter_plot = _view(
    [
        "xAxisColumnV3",
        "yAxisColumnV3",
        "colorColumnV2",
        "title",
        "xAxisScale",
        "yAxisScale",
        "axisExtentMethod",
        "manualAxisLimits",
        "customXAxisLabelV2",
        "customYAxisLabelV2",
        "dataPointSize",
        "maxRows",
        "showLegend",
    ]
)
line_plot = _view(
    [
        "xAxisColumnV3",
        "yAxisColumnV2",
        "title",
        "yAxisScale",
        "axisExtentMethod",
        "manualAxisLimits",
        "customXAxisLabelV2",
        "customYAxisLabelV2",
        "lineSize",
        "showDataPointMarkers",
        "dataPointMarkerSize",
        "maxRows",
        "showLegend",
    ]
)
histogram = _view(
    [
        "dimensionV3",
        "binningType",
        "nBins",
        "hasIntegerCutoff",
        "hasFixedLowerBound",
        "lowerBound",
        "hasFixedUpperBound",
        "upperBound",
        "customBinCutoff",
        "specialValueHandling",
        "frequencyAxisType",
        "title",
        "axisExtentMethod",
        "manualMax",
        "customDimensionAxisLabelV2",
        "customFrequencyAxisLabelV2",
        "showNumericLabels",
    ]
)


PYTHON_TABLES, PYTHON_OBJECTS_AT = 4, 5  # knitflow: tables on ports 1-4, pickled objects from port 5


def _port_groups(creation: dict[str, Any], direction: str) -> list[tuple[str, int]]:
    """KNIME's port groups of one direction in port order, with their port counts."""
    return [
        (name, len(ports) if isinstance(ports, dict) else 0)
        for name, ports in creation.items()
        if name.lower().startswith(direction)
    ]


def python_ports(creation: dict[str, Any]) -> tuple[PortMap, PortMap]:
    """KNIME numbers a Python node's ports group by group (inputs: objects, then tables; outputs:
    tables, images, objects); knitflow has fixed slots for tables and objects."""
    maps: list[PortMap] = []
    for direction in ("input", "output"):
        mapping: PortMap = {}
        port, n_tables, n_objects = 1, 0, 0
        for group, count in _port_groups(creation, direction):
            for _ in range(count):
                if "table" in group.lower():
                    n_tables += 1
                    mapping[port] = n_tables if n_tables <= PYTHON_TABLES else None
                elif "object" in group.lower():
                    mapping[port] = PYTHON_OBJECTS_AT + n_objects
                    n_objects += 1
                else:
                    mapping[port] = None  # e.g. the image output
                port += 1
        maps.append(mapping)
    return maps[0], maps[1]


def python_script(
    tree: dict[str, Any], variables: dict[str, Binding], report: NodeReport
) -> tuple[Any, Any, Any]:
    out = Out(tree, variables, report)
    script = str(tree.get("script") or "").replace("\r\n", "\n")
    tidy = "\n".join(line.rstrip() for line in script.split("\n"))
    if tidy != script:
        # trailing blanks force YAML's quoted style: one long line full of \n instead of the script
        report.note("trailing whitespace removed from script lines")
    out.put("script", tidy, "script")
    if tree.get("python3_command"):
        report.note(f"python3_command {tree['python3_command']!r} ignored (knitflow runs its own Python)")
    outputs = dict(_port_groups(report.node.creation_config, "output"))
    if outputs.get("Output table"):
        out.put("output_tables", outputs["Output table"])
    if outputs.get("Output object (pickled)"):
        out.put("output_objects", outputs["Output object (pickled)"])
    if outputs.get("Output image"):
        report.setting("the image output port is not supported (use a Python View)")
    tables = dict(_port_groups(report.node.creation_config, "input")).get("Input table", 0)
    if tables > PYTHON_TABLES:
        report.setting(f"{tables} input tables; knitflow's Python nodes take at most {PYTHON_TABLES}")
    return out.result()


# ------------------------------------------------------------------------------------ the table

MAPPINGS: dict[str, Mapping] = {
    # IO
    "CSVTableReaderNodeFactory": Mapping("CSV Reader", "csv_reader", csv_reader),
    "CSVWriter2NodeFactory": Mapping("CSV Writer", "csv_writer", csv_writer),
    "TableCreator2NodeFactory": Mapping("Table Creator", "table_creator", table_creator),
    # manipulation
    "DataColumnSpecFilterNodeFactory": Mapping("Column Filter", "column_filter", _generic_fn()),
    "SorterNodeFactory": Mapping("Sorter", "sorter", sorter),
    "TransposeTableNodeFactory": Mapping(
        "Table Transposer", "table_transposer", _none, "guess_or_fixed/chunk_size only tune memory"
    ),
    "Normalizer3NodeFactory": Mapping("Normalizer", "normalizer", _generic_fn()),
    "NormalizerApplyNodeFactory": Mapping("Normalizer (Apply)", "normalizer_apply", _none, "no settings"),
    "PartitionNodeFactory": Mapping("Table Partitioner", "table_partitioner", _sampling),
    "SamplingNodeFactory": Mapping("Row Sampler", "row_sampler", _sampling),
    "RuleEngineNodeFactory": Mapping("Rule Engine", "rule_engine", rule_engine),
    "ExpressionRowMapperNodeFactory": Mapping("Expression", "expression", expression),
    "RowFilterNodeFactory": Mapping("Row Filter", "row_filter", row_filter),
    "JEPNodeFactory": Mapping("Math Formula", "math_formula", math_formula),
    "MissingValueHandlerNodeFactory": Mapping("Missing Value", "missing_value", missing_value),
    "CrossJoinerNodeFactory": Mapping("Cross Joiner", "cross_joiner", _generic_fn(skip=["CFG_CACHE"])),
    "Pivot2NodeFactory": Mapping("Pivot", "pivot", pivot),
    "Unpivot2NodeFactory": Mapping("Unpivot", "unpivot", _generic_fn(skip=["enable-hiliting"])),
    "ExpandBitVectorNodeFactory": Mapping("Expand Bit Vector", "expand_bit_vector", expand_bit_vector),
    # flow variables and loops
    "TableToVariable3NodeFactory": Mapping(
        "Table Row to Variable", "table_row_to_variable", _row_to_variable
    ),
    "AppendVariableToTable4NodeFactory": Mapping(
        "Variable to Table Column", "variable_to_table_column", _generic_fn()
    ),
    "LoopStartVariable3NodeFactory": Mapping(
        "Table Row to Variable Loop Start", "table_row_to_variable_loop_start", _row_to_variable
    ),
    "LoopEndDynamicNodeFactory": Mapping("Loop End", "loop_end", loop_end),
    "TableLoopStartParOptNodeFactory": Mapping(
        "Parameter Optimization Loop Start (Table)",
        "parameter_optimization_loop_start_table",
        parameter_loop_start,
    ),
    "LoopStartParOptNodeFactory": Mapping(
        "Parameter Optimization Loop Start",
        "parameter_optimization_loop_start",
        parameter_loop_start_dialog,
        "the settings layout of the parameter list is matched by key names (no tutorial workflow holds this node)",
    ),
    "LoopEndParOptNodeFactory": Mapping(
        "Parameter Optimization Loop End", "parameter_optimization_loop_end", _generic_fn()
    ),
    # mining
    "LogRegLearnerNodeFactory4": Mapping(
        "Logistic Regression Learner", "logistic_regression_learner", logreg_learner
    ),
    "LogisticRegressionPredictorNodeFactory": Mapping(
        "Logistic Regression Predictor", "logistic_regression_predictor", _generic_fn()
    ),
    "AccuracyScorer2NodeFactory": Mapping("Scorer", "scorer", scorer),
    "NumericScorer2NodeFactory": Mapping("Numeric Scorer", "numeric_scorer", numeric_scorer),
    "org.knime.python.sklearn:LassoLearner": Mapping(
        "Sklearn Lasso Regression Learner (Labs)", "lasso_learner", lasso_learner
    ),
    "org.knime.python.sklearn:RegressionPredictor": Mapping(
        "Sklearn Regression Predictor (Labs)", "regression_predictor", regression_predictor
    ),
    "RandomForestRegressionLearnerNodeFactory": Mapping(
        "Random Forest Learner (Regression)", "random_forest_learner_regression", rf_learner
    ),
    "RandomForestRegressionPredictorNodeFactory": Mapping(
        "Random Forest Predictor (Regression)",
        "random_forest_predictor_regression",
        _generic_fn(skip=["appendClassConfidences", "suffixForClassProbabilities", "useSoftVoting"]),
    ),
    # views
    "TableViewNodeFactory": Mapping("Table View", "table_view", table_view),
    "LinePlotNodeFactory": Mapping("Line Plot", "line_plot", line_plot),
    "ScatterPlotNodeFactory": Mapping("Scatter Plot", "scatter_plot", scatter_plot),
    "HistogramNodeFactory": Mapping("Histogram", "histogram", histogram),
    # scripting
    "PythonScriptNodeFactory": Mapping("Python Script", "python_script", python_script, ports=python_ports),
    "PythonViewNodeFactory": Mapping("Python View", "python_view", python_script, ports=python_ports),
    # Spark
    "LocalEnvironmentCreatorNodeFactory3": Mapping(
        "Create Local Big Data Environment",
        "create_local_big_data_environment",
        _view(
            [
                "contextName",
                "numberOfThreads",
                "onDisposeAction",
                "sqlSupport",
                "workingDirectoryMode",
                "workingDirectory",
                "overrideSparkSettings",
                "customSparkSettings",
            ]
        ),
    ),
    "Table2SparkNodeFactory2": Mapping("Table to Spark", "table_to_spark", _none),
    "MLlibSVDNodeFactory": Mapping("Spark SVD", "spark_svd", _generic_fn(skip=["classColumn"])),
    "Spark2TableNodeFactory": Mapping("Spark to Table", "spark_to_table", _generic_fn()),
    # chemistry
    "MolParserNodeFactory": Mapping("Molecule Type Cast", "molecule_type_cast", _generic_fn()),
    "RDKitFingerprintNodeFactory": Mapping("RDKit Fingerprint", "rdkit_fingerprint", _generic_fn()),
}
